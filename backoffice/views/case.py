"""The case view (ärendevyn, F-CASE-1/2): the tabs Visa ärende, Ärendehistorik, Externt ärendenr,
Deluppgifter and the PDF; the Verktyg actions and the messages, notes and documents tabs come
from the mixins in case_tools.py and case_messages.py.

Routes (under the back office's root, beside the overview's /arenden/ of the list view):
only ``/arenden/<int:case_id>…``, so the two views share the prefix without clashing.
"""

from __future__ import annotations

from flask import flash, make_response, redirect, request
from flask_appbuilder import expose
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext as _

from backoffice.views.access import staff_access
from backoffice.views.case_common import CaseScreen, case_errors, current_staff, int_or_none
from backoffice.views.case_messages import CaseMessagesMixin
from backoffice.views.case_tools import CaseToolsMixin, _ints
from backoffice.views.case_words import actor_name, event_details, event_label, subtask_status
from shared.db import db
from shared.errors import Invalid
from shared.services import access, case_queries, cases, mailings, pdf, subtasks


class CaseView(CaseToolsMixin, CaseMessagesMixin, CaseScreen):
    """One case, its tabs and its tools. Permissions: can_show (read the tabs), can_edit (act)."""

    @expose("/<int:case_id>")
    @staff_access
    @permission_name("show")
    def show(self, case_id: int):
        """Visa ärende: the answers by step, as the applicant gave them."""
        user, case = self.open_case(case_id)
        return self.render_case(
            "backoffice/case/show.html",
            user,
            case,
            "show",
            sections=case_queries.answer_sections(case),
            mailings=mailings.case_mailings(case.id),
            answer_label=mailings.answer_label,
        )

    @expose("/<int:case_id>/historik")
    @staff_access
    @permission_name("show")
    def history(self, case_id: int):
        """Ärendehistorik: every event, who, what and when; the PDF of the application."""
        user, case = self.open_case(case_id)
        colours = {label.colour: label.meaning for label in case.eservice.colour_labels}
        rows = [
            {
                "when": event.created_at,
                "who": actor_name(event),
                "what": event_label(event.kind),
                "details": event_details(event.kind, event.data, colours),
            }
            for event in case_queries.case_history(case.id)
        ]
        return self.render_case(
            "backoffice/case/history.html", user, case, "history", rows=rows, is_admin=access.is_admin(user)
        )

    @expose("/<int:case_id>/externt")
    @staff_access
    @permission_name("show")
    def external(self, case_id: int):
        """Externt ärendenr: the number in another system, which the applicant sees too."""
        user, case = self.open_case(case_id)
        return self.render_case("backoffice/case/external.html", user, case, "external")

    @expose("/<int:case_id>/externt", methods=["POST"])
    @staff_access
    @permission_name("edit")
    @case_errors
    def set_external(self, case_id: int):
        user = current_staff()
        case = cases.set_external_number(case_id, request.form.get("external_number"), actor=user)
        if case.external_number:
            self.flash_success(_("The external case number is saved."))
        else:
            self.flash_success(_("The external case number is removed."))
        return redirect(self.case_url(case_id, "external"))

    @expose("/<int:case_id>/deluppgifter")
    @staff_access
    @permission_name("show")
    @case_errors
    def subtasks(self, case_id: int):
        """Deluppgifter: the case's subtasks with status, responsible, deadline and conclusion (F-SUB-4)."""
        user, case = self.open_case(case_id)
        rows = subtasks.case_subtasks(case.id, actor=user)
        return self.render_case(
            "backoffice/case/subtasks.html",
            user,
            case,
            "subtasks",
            subtasks=rows,
            allowed={row.id: subtasks.subtask_permissions(row, user) for row in rows},
            # The service decides (subtask_form/create_subtask); the button is offered where it would.
            may_create=case.eservice.subtasks_enabled and case.closed_at is None and not case.status.is_final,
            subtask_status=subtask_status,
        )

    @expose("/<int:case_id>/deluppgifter/ny", methods=["GET", "POST"])
    @staff_access
    @permission_name("edit")
    @case_errors
    def new_subtask(self, case_id: int):
        """Ny deluppgift: title, deadline, responsible, description and the documents it may see (F-SUB-1)."""
        user = current_staff()
        errors: dict[str, str] = {}
        values: dict = {}
        status = 200
        if request.method == "POST":
            values = {
                "title": request.form.get("title", ""),
                "deadline": request.form.get("deadline", ""),
                "responsible_id": int_or_none(request.form.get("responsible_id")),
                "description": request.form.get("description", ""),
                "document_ids": _ints("document_ids"),
            }
            try:
                subtask = subtasks.create_subtask(
                    case_id,
                    title=values["title"],
                    deadline=values["deadline"],
                    responsible_id=values["responsible_id"],
                    description=values["description"],
                    document_ids=values["document_ids"],
                    actor=user,
                )
            except Invalid as error:
                db.session.rollback()
                errors, status = dict(error.errors), 422
                if not errors:
                    flash(error.message, "danger")
            else:
                self.flash_success(_("The subtask %(title)s is created.", title=subtask.title))
                return redirect(self.case_url(case_id, "subtasks"))
        form = subtasks.subtask_form(case_id, actor=user)
        return self.render_case(
            "backoffice/case/subtask_new.html",
            user,
            form.case,
            "subtasks",
            status=status,
            form=form,
            values=values,
            errors=errors,
        )

    @expose("/<int:case_id>/pdf")
    @staff_access
    @permission_name("show")
    @case_errors
    def pdf(self, case_id: int):
        """Skriv ut: the application as PDF (F-CASE-7)."""
        filename, content = pdf.application_pdf(case_id, actor=current_staff())
        response = make_response(content)
        response.headers["Content-Type"] = "application/pdf"
        response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
        response.headers["Cache-Control"] = "private, no-store"
        return response
