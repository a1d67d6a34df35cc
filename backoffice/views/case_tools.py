"""The Verktyg box of the case view: take, handlers, status, flag, colour, edit answers, delete.

Each action is one service call (shared.services.cases); the view only reads the form,
calls it and says what happened. Who may do what is decided by the services (access.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app, flash, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext as _

from backoffice.views.access import staff_access
from backoffice.views.case_common import case_errors, current_staff, overview_url
from backoffice.views.case_common import int_or_none as _int_or_none
from backoffice.views.case_words import subtask_status
from shared import forms
from shared.db import db
from shared.errors import AlreadyTaken, Invalid
from shared.models import Case, Status
from shared.services import access, cases, subtasks


def _ints(name: str) -> list[int]:
    return [number for number in (_int_or_none(v) for v in request.form.getlist(name)) if number is not None]


def form_values(definition: Mapping[str, Any], answers: Mapping[str, Any]) -> dict[str, Any]:
    """The stored answers as the edit form shows them (a yes/no as "yes"/"no", a decimal with a comma)."""
    values: dict[str, Any] = {}
    for _step, question in forms.iter_questions(definition):
        value = answers.get(question["id"])
        if value is None:
            continue
        if isinstance(value, bool):
            value = "yes" if value else "no"
        elif isinstance(value, float):
            value = str(value).replace(".", ",")
        elif isinstance(value, int):
            value = str(value)
        values[question["id"]] = value
    return values


def raw_answers(form, definition: Mapping[str, Any], stored: Mapping[str, Any]) -> dict[str, Any]:
    """The answers the edit form sent, shaped for the form engine; file answers stay as they were."""
    raw: dict[str, Any] = {}
    for _step, question in forms.iter_questions(definition):
        question_id, kind = question["id"], question.get("type")
        if kind in ("info", "computed"):
            continue
        if kind == "file":
            # Files are shown read-only here: the applicant's attachments are kept as they are.
            if stored.get(question_id) is not None:
                raw[question_id] = stored[question_id]
            continue
        values = form.getlist(question_id)
        if kind == "multiple_choice":
            raw[question_id] = values
        else:
            raw[question_id] = values[0] if values else ""
    return raw


def conditions_script() -> str | None:
    """The form engine's script that shows follow-up questions (shared/forms), where the app serves it."""
    if "forms" not in current_app.blueprints:
        return None
    return url_for("forms.static", filename="forms/conditions.js")


class CaseToolsMixin:
    """Routes of the Verktyg box; mixed into CaseView (needs CaseScreen's helpers)."""

    @expose("/<int:case_id>/ta", methods=["POST"])
    @staff_access
    @permission_name("edit")
    @case_errors
    def take(self, case_id: int):
        """Ta ärendet; a case someone else holds is taken over only after a confirmation (take_over=1)."""
        user = current_staff()
        take_over = request.form.get("take_over") == "1"
        try:
            cases.take_case(case_id, actor=user, take_over=take_over)
        except AlreadyTaken as error:
            return self.take_over_page(user, case_id, error.by, self.back_url(case_id))
        self.flash_success(_("You have taken the case.") if not take_over else _("You have taken over the case."))
        return redirect(self.back_url(case_id))

    @expose("/<int:case_id>/handlaggare", methods=["POST"])
    @staff_access
    @permission_name("edit")
    @case_errors
    def assign(self, case_id: int):
        """Ändra handläggare: the persons and groups checked replace those on the case."""
        user = current_staff()
        cases.assign_case(case_id, actor=user, user_ids=_ints("user_ids"), group_ids=_ints("group_ids"))
        if not self.still_visible(user, case_id):
            flash(_("The handlers are changed. You no longer have access to the case."), "info")
            return redirect(overview_url())
        self.flash_success(_("The handlers are changed."))
        return redirect(self.back_url(case_id))

    @expose("/<int:case_id>/ta-bort-mig", methods=["POST"])
    @staff_access
    @permission_name("edit")
    @case_errors
    def remove_me(self, case_id: int):
        """Ta bort mig som handläggare; a restricted handler then goes back to the overview."""
        user = current_staff()
        cases.remove_self(case_id, actor=user)
        if not self.still_visible(user, case_id):
            flash(_("You are no longer a handler of the case and no longer have access to it."), "info")
            return redirect(overview_url())
        self.flash_success(_("You are no longer a handler of the case."))
        return redirect(self.back_url(case_id))

    @expose("/<int:case_id>/status", methods=["POST"])
    @staff_access
    @permission_name("edit")
    @case_errors
    def change_status(self, case_id: int):
        """Ändra status, telling the applicant unless the handler unticked "Meddela den sökande"."""
        user = current_staff()
        status_id = _int_or_none(request.form.get("status_id"))
        if status_id is None:
            flash(_("Choose a status."), "danger")
            return redirect(self.back_url(case_id))
        notify = request.form.get("notify") == "1"
        try:
            case = cases.change_status(
                case_id,
                status_id,
                actor=user,
                notify_applicant=notify,
                resolve_subtasks=request.form.get("resolve_subtasks") == "1",
            )
        except subtasks.OpenSubtasks as error:
            # F-SUB-5: say which subtasks are open first; confirming resolves them all.
            db.session.rollback()
            return self.close_with_subtasks_page(user, case_id, error, status_id, notify)
        self.flash_success(_("The status is now %(status)s.", status=case.status.name))
        return redirect(self.back_url(case_id))

    def close_with_subtasks_page(self, user, case_id: int, error, status_id: int, notify: bool):
        """The warning before closing a case with unresolved subtasks, with the confirm button."""
        case = db.session.get(Case, case_id)
        return self.render_case(
            "backoffice/case/confirm_close_subtasks.html",
            user,
            case,
            "subtasks",
            message=str(error),
            open_subtasks=error.subtasks,
            new_status=db.session.get(Status, status_id),
            notify=notify,
            next_url=self.back_url(case_id),
            subtask_status=subtask_status,
        )

    @expose("/<int:case_id>/flagga", methods=["POST"])
    @staff_access
    @permission_name("edit")
    @case_errors
    def flag(self, case_id: int):
        """Lägg till som flaggad / Ta bort flagga (a personal star)."""
        flagged = request.form.get("flagged") == "1"
        cases.set_flag(case_id, actor=current_staff(), flagged=flagged)
        self.flash_success(_("The case is flagged.") if flagged else _("The flag is removed."))
        return redirect(self.back_url(case_id))

    @expose("/<int:case_id>/farg", methods=["POST"])
    @staff_access
    @permission_name("edit")
    @case_errors
    def colour(self, case_id: int):
        """Färgmarkera with one of the e-service's colours (empty: no colour)."""
        case = cases.set_colour(case_id, request.form.get("colour"), actor=current_staff())
        self.flash_success(_("The colour marking is saved.") if case.colour else _("The colour marking is removed."))
        return redirect(self.back_url(case_id))

    @expose("/<int:case_id>/andra", methods=["GET", "POST"])
    @staff_access
    @permission_name("edit")
    @case_errors
    def edit(self, case_id: int):
        """Ändra inskickade uppgifter: the case's own version as a form, checked by the form engine, logged."""
        if request.method == "POST":
            user = current_staff()
            case = db.session.get(Case, case_id)
        else:
            user, case = self.open_case(case_id)
        access.require(user, "edit_answers", case)
        definition = case.version.definition
        errors: dict[str, str] = {}
        status = 200
        if request.method == "POST":
            raw = raw_answers(request.form, definition, case.answers or {})
            try:
                cases.edit_answers(case_id, raw, actor=user)
            except Invalid as error:
                errors, status = dict(error.errors), 422
                if not errors:
                    flash(error.message, "danger")
                values = raw
                case = db.session.get(Case, case_id)
            else:
                self.flash_success(_("The submitted answers are saved."))
                return redirect(self.case_url(case_id))
        else:
            values = form_values(definition, case.answers or {})
        return self.render_case(
            "backoffice/case/edit.html",
            user,
            case,
            "show",
            status=status,
            definition=definition,
            values=values,
            errors=errors,
            conditions_script=conditions_script(),
        )

    @expose("/<int:case_id>/ta-bort", methods=["GET", "POST"])
    @staff_access
    @permission_name("edit")
    @case_errors
    def delete(self, case_id: int):
        """Ta bort ärende: a confirmation page, then the deletion (only where the status allows it)."""
        if request.method == "POST":
            record = cases.delete_case(case_id, actor=current_staff())
            self.flash_success(_("Case %(number)s is deleted.", number=record.case_number))
            return redirect(overview_url())
        user, case = self.open_case(case_id)
        access.require(user, "delete", case)
        return self.render_case("backoffice/case/confirm_delete.html", user, case, "show")
