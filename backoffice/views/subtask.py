"""Deluppgifter (F-SUB-*): the subtask page and Mina deluppgifter.

The subtask page is the one screen a responsible who is not otherwise allowed on the case
sees of it: the subtask, its granted documents, its messages and conclusion. Every rule is
in ``shared.services.subtasks``; the view reads the form, calls one service and renders.
"Ny deluppgift" and the case's Deluppgifter tab are in the case view (case.py).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import abort, flash, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext as _

from backoffice.views.access import staff_access
from backoffice.views.case_common import current_staff, invalid_text, local_date, local_time
from backoffice.views.case_words import subtask_status
from shared.db import db
from shared.errors import DomainError, Invalid, NotFound
from shared.services import access, documents, subtasks


def subtask_errors(view: Callable[..., Any]) -> Callable[..., Any]:
    """The services' errors as the user sees them: 404 (may not see it), else the reason on the subtask page.

    A refusal (NotAllowed: resolved and locked, not the responsible or owner) is shown as a
    message on the page, which the user may still see.
    """

    @functools.wraps(view)
    def wrapper(self: SubtaskView, subtask_id: int, *args: Any, **kwargs: Any) -> Any:
        try:
            return view(self, subtask_id, *args, **kwargs)
        except NotFound:
            db.session.rollback()
            abort(404)
        except DomainError as error:
            db.session.rollback()
            flash(invalid_text(error) if isinstance(error, Invalid) else str(error), "danger")
            return redirect(url_for(f"{self.endpoint}.show", subtask_id=subtask_id))

    return wrapper


class SubtaskView(BaseView):
    """One subtask (deluppgift) and the list of one's own. Permissions: can_list, can_show, can_edit."""

    route_base = "/deluppgifter"
    default_view = "index"

    @expose("/")
    @staff_access
    @permission_name("list")
    def index(self):
        """Mina deluppgifter: the subtasks where I am responsible, open ones first; resolved on request."""
        user = current_staff()
        include_resolved = request.args.get("losta") == "1"
        return self.render_template(
            "backoffice/subtask/index.html",
            title=_("My subtasks"),
            subtasks=subtasks.my_subtasks(user, include_resolved=include_resolved),
            include_resolved=include_resolved,
            local_date=local_date,
            subtask_status=subtask_status,
        )

    @expose("/<int:subtask_id>")
    @staff_access
    @permission_name("show")
    @subtask_errors
    def show(self, subtask_id: int):
        """The subtask page; the responsible's first visit opens it (Ny → Öppen)."""
        user = current_staff()
        subtask = subtasks.open_subtask(subtask_id, actor=user)
        case = subtask.case
        return self.render_template(
            "backoffice/subtask/show.html",
            title=subtask.title,
            subtask=subtask,
            case=case,
            owners=[h.user.display_name if h.user else h.group.name for h in case.handlers],
            may_see_case=access.can(user, "view", case),
            allowed=subtasks.subtask_permissions(subtask, user),
            granted=subtasks.granted_documents(subtask, user),
            local_date=local_date,
            local_time=local_time,
            subtask_status=subtask_status,
        )

    @expose("/<int:subtask_id>/meddelanden", methods=["POST"])
    @staff_access
    @permission_name("edit")
    @subtask_errors
    def message(self, subtask_id: int):
        """Write a message to the other side (the responsible or the case owner)."""
        subtasks.add_subtask_message(subtask_id, request.form.get("body", ""), actor=current_staff())
        flash(_("The message is sent."), "success")
        return redirect(url_for(f"{self.endpoint}.show", subtask_id=subtask_id, _anchor="subtask-messages"))

    @expose("/<int:subtask_id>/slutsats", methods=["POST"])
    @staff_access
    @permission_name("edit")
    @subtask_errors
    def conclude(self, subtask_id: int):
        """Spara slutsats."""
        subtasks.save_conclusion(subtask_id, request.form.get("conclusion", ""), actor=current_staff())
        flash(_("The conclusion is saved."), "success")
        return redirect(url_for(f"{self.endpoint}.show", subtask_id=subtask_id))

    @expose("/<int:subtask_id>/los", methods=["POST"])
    @staff_access
    @permission_name("edit")
    @subtask_errors
    def resolve(self, subtask_id: int):
        """Lös deluppgift: resolved and locked; back where the button was (the subtask or the case's tab)."""
        subtask = subtasks.resolve_subtask(subtask_id, actor=current_staff())
        flash(_("The subtask is resolved."), "success")
        if request.form.get("next") == "case":
            return redirect(url_for("CaseView.subtasks", case_id=subtask.case_id))
        return redirect(url_for(f"{self.endpoint}.show", subtask_id=subtask_id))

    @expose("/<int:subtask_id>/handlingar/<int:document_id>")
    @staff_access
    @permission_name("show")
    @subtask_errors
    def download(self, subtask_id: int, document_id: int):
        """Download a document the subtask grants (the document service honours the grant)."""
        user = current_staff()
        subtask = subtasks.open_subtask(subtask_id, actor=user)
        if document_id not in {d.id for d in subtasks.granted_documents(subtask, user)}:
            abort(404)
        document, handle = documents.download_document(document_id, actor=user)
        response = send_file(
            handle, mimetype=document.content_type, as_attachment=True, download_name=document.filename, max_age=0
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "private, no-store"
        return response
