"""What the builder's core screens (part A of issue 6) share: the acting user, forms that
re-show what was typed with an error per field, and the answers to the services' errors.

Every screen is a FAB ``BaseView`` with our own templates; its methods map onto five
permissions (list, show, add, edit, delete) so the Builder role is granted them by name
(backoffice/security.py). The services check the actor again (access.require_builder).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
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

    def load(self, service: Callable[..., Any], *args: Any, back: str, **kwargs: Any) -> Any:
        """What a service returns for the logged-in user; on an error the answer of ``fail``.

        The answer is raised (``abort`` with a response), so a view reads its object in one line.
        """
        try:
            return service(*args, actor=actor(), **kwargs)
        except DomainError as error:
            abort(self.fail(error, back))

    def submit(
        self,
        service: Callable[..., Any],
        *args: Any,
        redraw: Callable[[dict[str, Any], Invalid], Any],
        back: str,
        done: Callable[[Any], tuple[str, str]],
    ):
        """A posted add/change form: ``service(*args, data, actor=…)``.

        Invalid input draws the form again with what was typed (``redraw(data, error)``); another
        error goes to ``fail``; on success ``done(result)`` gives the message and where to go.
        """
        data = form_data()
        try:
            result = service(*args, data, actor=actor())
        except Invalid as error:
            return redraw(data, error)
        except DomainError as error:
            return self.fail(error, back)
        message, to = done(result)
        return self.saved(message, to)

    def form_page(self, template: str, values: dict[str, Any], error: Invalid | None, **context: Any):
        """A form page showing ``values``, with the error summary and a message per field if invalid."""
        return self.render_template(
            f"backoffice/builder/{template}",
            values=values,
            errors=error.errors if error else {},
            message=error_message(error) if error else None,
            **context,
        )

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
