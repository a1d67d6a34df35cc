"""The e-service builder's detail sections, each a page under the e-service's hub.

/byggare/etjanster/<id>/farger            colour legend (F-ES-10)
/byggare/etjanster/<id>/sammanfattning    summary fields (F-ES-11)
/byggare/etjanster/<id>/excel             Excel columns and headings (F-ES-12)
/byggare/etjanster/<id>/meddelandemallar  message templates (F-ES-13)
/byggare/etjanster/<id>/tilldelning       automatic assignment rules and default (F-ES-9)
/byggare/etjanster/<id>/personuppgifter   personal data (GDPR) texts with a preview (F-ES-6)

Views are thin: they parse the form, call one service in shared.services.eservice_details
and render; an ``Invalid`` re-renders the form with what was typed and a message per field.
Roles Builder and Admin have the permissions; the services check the actor again.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from backoffice.views.access import staff_access
from backoffice.views.builder_common import EServiceSectionView
from backoffice.views.case_common import current_staff
from backoffice.views.overview import COLOUR_NAMES
from shared.errors import DomainError, Invalid
from shared.models import EService, LegalBasis, PersonalDataCategory
from shared.services import access, catalogue, eservice_details
from shared.services.eservice_details import COLOURS, PersonalDataForm

# The permissions every section uses: reading the page, adding, changing (also moving), removing.
PERMISSIONS = {"index": "list", "add": "add", "edit": "edit", "move": "edit", "delete": "delete"}


def colour_name(colour: str) -> str:
    return str(COLOUR_NAMES.get(colour, colour))


class _SectionView(EServiceSectionView):
    """What every detail section shares besides the breadcrumb: its e-service, errors, going back."""

    method_permission_name = PERMISSIONS

    def _eservice(self, eservice_id: int) -> EService:
        return self._call(eservice_details.builder_eservice, eservice_id)

    def _render(self, template_name: str, eservice: EService, status: int = 200, **context: Any):
        return super()._render(template_name, eservice, status, colour_name=colour_name, **context)

    def _back(self, eservice_id: int, anchor: str = ""):
        return redirect(url_for(f"{self.endpoint}.index", eservice_id=eservice_id) + anchor)

    def _confirm_delete(self, eservice: EService, question: str):
        """The "Ta bort …?" page of a removal; its button posts to the same address."""
        return self._render(
            "details_confirm_delete.html",
            eservice,
            question=question,
            action=request.path,
            cancel=url_for(f"{self.endpoint}.index", eservice_id=eservice.id),
        )

    def _post(self, service, eservice_id: int, *args: Any, values: dict, again, saved, anchor: str = ""):
        """Save a posted item: ``service(eservice_id, *args, **values)``.

        A DomainError draws the page again with what was typed (``again(errors, message)``);
        else flash ``saved`` (or ``saved(result)``, to name what was added) and go back to the list.
        """
        try:
            result = self._call(service, eservice_id, *args, **values)
        except DomainError as error:
            return again(getattr(error, "errors", {}), error.message)
        flash(saved(result) if callable(saved) else saved, "success")
        return self._back(eservice_id, anchor)


def _direction() -> bool:
    return request.form.get("direction") != "down"


# -- colour legend (F-ES-10) ----------------------------------------------------------------


class BuilderColoursView(_SectionView):
    section_title = _l("Colour legend")

    def _eservice(self, eservice_id: int) -> EService:
        # Handlers of the e-service set its colour legend too (F-ES-10).
        return self._call(eservice_details.colour_legend_eservice, eservice_id)

    def _render(self, template_name: str, eservice: EService, status: int = 200, **context: Any):
        # A handler has no builder's hub to go back to: the breadcrumb leads to the start page.
        context.setdefault("builder", access.is_builder(current_staff()))
        return super()._render(template_name, eservice, status, **context)

    def _list(self, eservice: EService, *, values: dict | None = None, errors=None, message=None, status=200):
        used = {label.colour for label in eservice.colour_labels}
        return self._render(
            "details_colours.html",
            eservice,
            status=status,
            palette=COLOURS,
            free_colours=[c for c in COLOURS if c not in used],
            values=values or {},
            errors=errors or {},
            message=message,
        )

    @expose("/<int:eservice_id>/farger", methods=["GET"])
    @staff_access
    def index(self, eservice_id: int):
        return self._list(self._eservice(eservice_id))

    @expose("/<int:eservice_id>/farger", methods=["POST"])
    @staff_access
    def add(self, eservice_id: int):
        values = {"colour": request.form.get("colour", ""), "meaning": request.form.get("meaning", "")}
        return self._post(
            eservice_details.add_colour_label,
            eservice_id,
            values=values,
            again=lambda errors, message: self._list(
                self._eservice(eservice_id), values=values, errors=errors, message=message, status=422
            ),
            saved=lambda label: _("The colour %(colour)s has been added.", colour=colour_name(label.colour)),
        )

    @expose("/<int:eservice_id>/farger/<int:label_id>", methods=["GET", "POST"])
    @staff_access
    def edit(self, eservice_id: int, label_id: int):
        label = self._call(eservice_details.colour_label, eservice_id, label_id)
        eservice = self._eservice(eservice_id)
        used = {lbl.colour for lbl in eservice.colour_labels if lbl.id != label.id}

        def page(values: dict, errors: dict, message: str | None):
            return self._render(
                "details_colour_edit.html",
                eservice,
                status=422 if errors or message else 200,
                label=label,
                free_colours=[c for c in COLOURS if c not in used],
                values=values,
                errors=errors,
                message=message,
            )

        if request.method == "POST":
            values = {"colour": request.form.get("colour", ""), "meaning": request.form.get("meaning", "")}
            return self._post(
                eservice_details.change_colour_label,
                eservice_id,
                label_id,
                values=values,
                again=lambda errors, message: page(values, errors, message),
                saved=_("The colour has been saved."),
            )
        return page({"colour": label.colour, "meaning": label.meaning}, {}, None)

    @expose("/<int:eservice_id>/farger/<int:label_id>/flytta", methods=["POST"])
    @staff_access
    def move(self, eservice_id: int, label_id: int):
        self._call(eservice_details.move_colour_label, eservice_id, label_id, up=_direction())
        return self._back(eservice_id, f"#colour-{label_id}")

    @expose("/<int:eservice_id>/farger/<int:label_id>/ta-bort", methods=["GET", "POST"])
    @staff_access
    def delete(self, eservice_id: int, label_id: int):
        if request.method == "GET":
            label = self._call(eservice_details.colour_label, eservice_id, label_id)
            what = f"{colour_name(label.colour)} – {label.meaning}"
            return self._confirm_delete(self._eservice(eservice_id), _("Remove the colour %(what)s?", what=what))
        self._call(eservice_details.delete_colour_label, eservice_id, label_id)
        flash(_("The colour has been removed from the legend."), "success")
        return self._back(eservice_id)


# -- summary fields (F-ES-11) and Excel columns (F-ES-12) -----------------------------------


def _reordered(items: list[Any], action: str) -> list[Any] | None:
    """Apply a list button ("up:2", "down:0", "remove:1") to a copy of the items; None if not one."""
    verb, _sep, index_text = action.partition(":")
    if not index_text.isdigit() or int(index_text) >= len(items):
        return None
    index, items = int(index_text), list(items)
    if verb == "remove":
        del items[index]
    elif verb in ("up", "down"):
        other = index - 1 if verb == "up" else index + 1
        if 0 <= other < len(items):
            items[index], items[other] = items[other], items[index]
    else:
        return None
    return items


class BuilderSummaryFieldsView(_SectionView):
    section_title = _l("Summary fields")
    method_permission_name = {"index": "list", "save": "edit"}

    def _page(self, eservice: EService, chosen: list[str], *, errors=None, message=None, status=200):
        questions = eservice_details.question_choices(eservice)
        return self._render(
            "details_summary.html",
            eservice,
            status=status,
            version=eservice_details.current_version(eservice),
            questions=questions,
            by_id={q.id: q for q in questions},
            chosen=chosen,
            errors=errors or {},
            message=message,
        )

    @expose("/<int:eservice_id>/sammanfattning", methods=["GET"])
    @staff_access
    def index(self, eservice_id: int):
        eservice = self._eservice(eservice_id)
        return self._page(eservice, list(eservice.summary_fields or []))

    @expose("/<int:eservice_id>/sammanfattning", methods=["POST"])
    @staff_access
    def save(self, eservice_id: int):
        eservice = self._eservice(eservice_id)
        chosen = [str(v) for v in request.form.getlist("field")]
        action = request.form.get("action", "")
        if action == "add":
            question = (request.form.get("question") or "").strip()
            if not question:
                message = _("Choose a question to add.")
                return self._page(eservice, chosen, errors={"question": message}, message=message, status=422)
            chosen.append(question)
        elif action == "clear":
            chosen = []
        else:
            chosen = _reordered(chosen, action) if action != "save" else chosen
            if chosen is None:
                abort(400)
        try:
            self._call(eservice_details.set_summary_fields, eservice_id, chosen)
        except Invalid as error:
            return self._page(eservice, chosen, errors=error.errors, message=error.message, status=422)
        flash(_("The summary fields have been saved."), "success")
        return self._back(eservice_id, "#chosen")


class BuilderExcelColumnsView(_SectionView):
    section_title = _l("Excel columns")
    method_permission_name = {"index": "list", "save": "edit"}

    def _page(self, eservice: EService, columns: list[dict], *, errors=None, message=None, status=200):
        questions = eservice_details.question_choices(eservice)
        return self._render(
            "details_excel.html",
            eservice,
            status=status,
            version=eservice_details.current_version(eservice),
            questions=questions,
            by_id={q.id: q for q in questions},
            columns=columns,
            errors=errors or {},
            message=message,
        )

    @expose("/<int:eservice_id>/excel", methods=["GET"])
    @staff_access
    def index(self, eservice_id: int):
        eservice = self._eservice(eservice_id)
        return self._page(eservice, [dict(item) for item in eservice.excel_columns or []])

    @expose("/<int:eservice_id>/excel", methods=["POST"])
    @staff_access
    def save(self, eservice_id: int):
        eservice = self._eservice(eservice_id)
        ids, headings = request.form.getlist("question_id"), request.form.getlist("heading")
        columns = [{"question": q, "heading": h} for q, h in zip(ids, headings, strict=False)]
        action = request.form.get("action", "")
        if action == "add":
            question = (request.form.get("new_question") or "").strip()
            if not question:
                message = _("Choose a question to add.")
                return self._page(eservice, columns, errors={"new_question": message}, message=message, status=422)
            columns.append({"question": question, "heading": (request.form.get("new_heading") or "").strip()})
        elif action == "all":
            columns = [{"question": q.id, "heading": q.label} for q in eservice_details.question_choices(eservice)]
        elif action == "clear":
            columns = []
        elif action != "save":
            columns = _reordered(columns, action)
            if columns is None:
                abort(400)
        try:
            self._call(
                eservice_details.set_excel_columns, eservice_id, [(c["question"], c["heading"]) for c in columns]
            )
        except Invalid as error:
            return self._page(eservice, columns, errors=error.errors, message=error.message, status=422)
        flash(_("The Excel columns have been saved."), "success")
        return self._back(eservice_id, "#columns")


# -- message templates (F-ES-13) ------------------------------------------------------------


class BuilderMessageTemplatesView(_SectionView):
    section_title = _l("Message templates")

    def _list(self, eservice: EService, *, values=None, errors=None, message=None, status=200):
        return self._render(
            "details_templates.html",
            eservice,
            status=status,
            values=values or {},
            errors=errors or {},
            message=message,
        )

    @expose("/<int:eservice_id>/meddelandemallar", methods=["GET"])
    @staff_access
    def index(self, eservice_id: int):
        return self._list(self._eservice(eservice_id))

    @expose("/<int:eservice_id>/meddelandemallar", methods=["POST"])
    @staff_access
    def add(self, eservice_id: int):
        values = {"name": request.form.get("name", ""), "body": request.form.get("body", "")}
        return self._post(
            eservice_details.add_message_template,
            eservice_id,
            values=values,
            again=lambda errors, message: self._list(
                self._eservice(eservice_id), values=values, errors=errors, message=message, status=422
            ),
            saved=lambda template: _("The template %(name)s has been added.", name=template.name),
        )

    @expose("/<int:eservice_id>/meddelandemallar/<int:template_id>", methods=["GET", "POST"])
    @staff_access
    def edit(self, eservice_id: int, template_id: int):
        template = self._call(eservice_details.message_template, eservice_id, template_id)
        eservice = self._eservice(eservice_id)

        def page(values: dict, errors: dict, message: str | None):
            return self._render(
                "details_template_edit.html",
                eservice,
                status=422 if message else 200,
                message_template=template,
                values=values,
                errors=errors,
                message=message,
            )

        if request.method == "POST":
            values = {"name": request.form.get("name", ""), "body": request.form.get("body", "")}
            return self._post(
                eservice_details.change_message_template,
                eservice_id,
                template_id,
                values=values,
                again=lambda errors, message: page(values, errors, message),
                saved=_("The template has been saved."),
            )
        return page({"name": template.name, "body": template.body}, {}, None)

    @expose("/<int:eservice_id>/meddelandemallar/<int:template_id>/ta-bort", methods=["GET", "POST"])
    @staff_access
    def delete(self, eservice_id: int, template_id: int):
        if request.method == "GET":
            template = self._call(eservice_details.message_template, eservice_id, template_id)
            question = _("Remove the message template %(name)s?", name=template.name)
            return self._confirm_delete(self._eservice(eservice_id), question)
        self._call(eservice_details.delete_message_template, eservice_id, template_id)
        flash(_("The template has been removed."), "success")
        return self._back(eservice_id)


# -- automatic assignment (F-ES-9) ----------------------------------------------------------


def _rule_values() -> dict[str, str]:
    return {
        "question_id": request.form.get("question", ""),
        "answer_value": request.form.get("answer", ""),
        "user_id": request.form.get("user_id", ""),
        "group_id": request.form.get("group_id", ""),
    }


class BuilderAssignmentRulesView(_SectionView):
    section_title = _l("Automatic assignment")
    method_permission_name = {**PERMISSIONS, "default": "edit"}

    def _context(self, eservice: EService) -> dict[str, Any]:
        choices = eservice_details.assignment_choices(eservice)
        return {
            "choices": choices,
            "questions_by_id": {q.id: q for q in choices.questions},
            "handler_ids": {u.id for u in choices.handlers},
            "group_ids": {g.id for g in choices.groups},
            "version": eservice_details.current_version(eservice),
        }

    def _list(self, eservice: EService, *, values=None, errors=None, message=None, form=None, status=200):
        default_values = {
            "user_id": str(eservice.default_handler_id or ""),
            "group_id": str(eservice.default_group_id or ""),
        }
        return self._render(
            "details_rules.html",
            eservice,
            status=status,
            values=values if form == "rule" else {},
            errors=errors if form == "rule" else {},
            default_values=values if form == "default" else default_values,
            default_errors=errors if form == "default" else {},
            message=message,
            **self._context(eservice),
        )

    @expose("/<int:eservice_id>/tilldelning", methods=["GET"])
    @staff_access
    def index(self, eservice_id: int):
        return self._list(self._eservice(eservice_id))

    @expose("/<int:eservice_id>/tilldelning", methods=["POST"])
    @staff_access
    def add(self, eservice_id: int):
        values = _rule_values()
        return self._post(
            eservice_details.add_assignment_rule,
            eservice_id,
            values=values,
            again=lambda errors, message: self._list(
                self._eservice(eservice_id), values=values, errors=errors, message=message, form="rule", status=422
            ),
            saved=_("The assignment rule has been added."),
            anchor="#rules",
        )

    @expose("/<int:eservice_id>/tilldelning/standard", methods=["POST"])
    @staff_access
    def default(self, eservice_id: int):
        values = {"user_id": request.form.get("user_id", ""), "group_id": request.form.get("group_id", "")}
        return self._post(
            eservice_details.set_default_assignment,
            eservice_id,
            values=values,
            again=lambda errors, message: self._list(
                self._eservice(eservice_id), values=values, errors=errors, message=message, form="default", status=422
            ),
            saved=_("The default assignment has been saved."),
            anchor="#default",
        )

    @expose("/<int:eservice_id>/tilldelning/<int:rule_id>", methods=["GET", "POST"])
    @staff_access
    def edit(self, eservice_id: int, rule_id: int):
        rule = self._call(eservice_details.assignment_rule, eservice_id, rule_id)
        eservice = self._eservice(eservice_id)

        def page(values: dict, errors: dict, message: str | None):
            return self._render(
                "details_rule_edit.html",
                eservice,
                status=422 if message else 200,
                rule=rule,
                values=values,
                errors=errors,
                message=message,
                **self._context(eservice),
            )

        if request.method == "POST":
            values = _rule_values()
            return self._post(
                eservice_details.change_assignment_rule,
                eservice_id,
                rule_id,
                values=values,
                again=lambda errors, message: page(values, errors, message),
                saved=_("The assignment rule has been saved."),
                anchor="#rules",
            )
        values = {
            "question_id": rule.question_id,
            "answer_value": rule.answer_value,
            "user_id": str(rule.user_id or ""),
            "group_id": str(rule.group_id or ""),
        }
        return page(values, {}, None)

    @expose("/<int:eservice_id>/tilldelning/<int:rule_id>/flytta", methods=["POST"])
    @staff_access
    def move(self, eservice_id: int, rule_id: int):
        self._call(eservice_details.move_assignment_rule, eservice_id, rule_id, up=_direction())
        return self._back(eservice_id, f"#rule-{rule_id}")

    @expose("/<int:eservice_id>/tilldelning/<int:rule_id>/ta-bort", methods=["GET", "POST"])
    @staff_access
    def delete(self, eservice_id: int, rule_id: int):
        if request.method == "GET":
            eservice = self._eservice(eservice_id)
            rule = self._call(eservice_details.assignment_rule, eservice_id, rule_id)
            number = next((i for i, r in enumerate(eservice.assignment_rules, start=1) if r.id == rule.id), 1)
            return self._confirm_delete(eservice, _("Remove assignment rule %(number)s?", number=number))
        self._call(eservice_details.delete_assignment_rule, eservice_id, rule_id)
        flash(_("The assignment rule has been removed."), "success")
        return self._back(eservice_id, "#rules")


# -- personal data (GDPR, F-ES-6) -----------------------------------------------------------


def _personal_data_form() -> PersonalDataForm:
    form = request.form
    return PersonalDataForm(
        categories=form.getlist("categories"),
        extra_categories=form.get("extra_categories", ""),
        own_purpose=form.get("purpose_choice") == "own",
        purpose=form.get("purpose", ""),
        legal_bases=form.getlist("legal_bases"),
        retention=form.get("retention", ""),
        controller_name=form.get("controller_name", ""),
        controller_email=form.get("controller_email", ""),
        own_complaint=form.get("complaint_choice") == "own",
        complaint_text=form.get("complaint_text", ""),
    )


class BuilderPersonalDataView(_SectionView):
    section_title = _l("Personal data (GDPR)")
    method_permission_name = {"index": "list", "save": "edit"}

    def _page(
        self, eservice: EService, form: PersonalDataForm, *, errors=None, message=None, previewing=False, status=200
    ):
        return self._render(
            "details_gdpr.html",
            eservice,
            status=status,
            form=form,
            categories=[(c.value, catalogue.CATEGORY_LABELS[c]) for c in PersonalDataCategory],
            legal_bases=[(b.value, catalogue.LEGAL_BASIS_LABELS[b]) for b in LegalBasis],
            personal_data=eservice_details.personal_data_preview(form),
            standard_purpose=eservice_details.personal_data_preview(PersonalDataForm()).purpose,
            previewing=previewing,
            errors=errors or {},
            message=message,
        )

    @expose("/<int:eservice_id>/personuppgifter", methods=["GET"])
    @staff_access
    def index(self, eservice_id: int):
        eservice = self._eservice(eservice_id)
        return self._page(eservice, PersonalDataForm.of(eservice))

    @expose("/<int:eservice_id>/personuppgifter", methods=["POST"])
    @staff_access
    def save(self, eservice_id: int):
        eservice = self._eservice(eservice_id)
        form = _personal_data_form()
        if request.form.get("action") == "preview":
            return self._page(eservice, form, previewing=True)
        try:
            self._call(eservice_details.update_personal_data, eservice_id, form)
        except Invalid as error:
            return self._page(eservice, form, errors=error.errors, message=error.message, status=422)
        flash(_("The personal data settings have been saved."), "success")
        return self._back(eservice_id)


VIEWS = (
    BuilderColoursView,
    BuilderSummaryFieldsView,
    BuilderExcelColumnsView,
    BuilderMessageTemplatesView,
    BuilderAssignmentRulesView,
    BuilderPersonalDataView,
)
