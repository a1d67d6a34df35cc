"""What the builder's core screens (part A of issue 6) share: the acting user, forms that
re-show what was typed with an error per field, and the answers to the services' errors.

Every screen is a FAB ``BaseView`` with our own templates; its methods map onto five
permissions (list, show, add, edit, delete) so the Builder role is granted them by name
(backoffice/security.py). The services check the actor again (access.require_builder).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import abort, flash, redirect, request
from flask_appbuilder import BaseView
from flask_babel import gettext as _

from backoffice.views.case_common import current_staff
from shared.errors import DomainError, Invalid, NotAllowed, NotFound
from shared.models import StaffUser


def actor() -> StaffUser:
    """The logged-in builder or administrator."""
    return current_staff()


def form_data() -> dict[str, Any]:
    """The posted form as a plain dict (one value per field; the CSRF token left out)."""
    return {key: value for key, value in request.form.items() if key != "csrf_token"}


def error_message(error: Invalid) -> str:
    count = len(error.errors)
    if count > 1:
        return _("There are %(num)d errors in the form. Correct them and save again.", num=count)
    return _("There is an error in the form. Correct it and save again.")


class BuilderScreen(BaseView):
    """A builder's configuration screen (role Builder or Admin)."""

    # list/show/add/edit/delete: each screen maps its methods onto these.
    method_permission_name: Mapping[str, str] = {}

    def fail(self, error: DomainError, back: str):
        """An error that is not about one field: 404, 403, or a message on the page one came from."""
        if isinstance(error, NotFound):
            abort(404)
        if isinstance(error, NotAllowed) and request.method == "GET":
            abort(403)
        flash(str(error), "danger")
        return redirect(back)

    def confirm(self, *, title: str, explanation: str, button: str, action: str, cancel: str, crumbs=None):
        """The "Delete …?" page; its button posts to ``action``."""
        return self.render_template(
            "backoffice/builder/core_confirm.html",
            title=title,
            explanation=explanation,
            button=button,
            action=action,
            cancel=cancel,
            crumbs=crumbs,
        )

    def saved(self, message: str, to: str):
        flash(message, "success")
        return redirect(to)
