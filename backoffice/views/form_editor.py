"""Formulär (F-ES-2, F-ES-3): the form editor of an e-service, for builders, without JSON.

URLs under /byggare/etjanster/<eservice_id>/formular:

- ``/``                                   the versions (number, state, cases), Ny version, import
- ``/<version_id>``                       one version: its steps and questions with buttons to
                                          change, move and delete them, problems, publish, preview
- ``/<version_id>/nytt-steg``, ``/steg/<step_id>`` …  a step's form (title, description, condition)
- ``/<version_id>/steg/<step_id>/ny-fraga``, ``/fraga/<question_id>`` …  a question's form
- ``/<version_id>/export.json``, ``/importera``         the definition as a JSON file

Every change is one call to shared.services.form_versions; a change to a version that is
published or that cases use lands in a new draft (the page then says so and opens it).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from flask import abort, flash, make_response, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from backoffice.views.access import staff_access
from backoffice.views.builder_common import ROUTE_BASE, call, hub_url, list_url
from backoffice.views.case_common import current_staff, local_time
from shared.errors import DomainError, Invalid, NotAllowed, NotFound
from shared.forms.html import FILE_TYPE_NAMES
from shared.forms.structure import CHOICE_TYPES, QUESTION_TYPES, TEXT_TYPES
from shared.models import EService, VersionState
from shared.services import form_versions
from shared.services.form_versions import CONDITION_ROWS, Edit

EXTRA_OPTION_ROWS = 3

TYPE_LABELS = {
    "text": _l("Short text"),
    "textarea": _l("Long text"),
    "number": _l("Number"),
    "date": _l("Date"),
    "email": _l("E-mail address"),
    "phone": _l("Telephone number"),
    "personnummer": _l("Personal identity number"),
    "organisationsnummer": _l("Organisation number"),
    "single_choice": _l("Single choice (one option)"),
    "multiple_choice": _l("Multiple choice (several options)"),
    "yes_no": _l("Yes or no"),
    "file": _l("File upload"),
    "info": _l("Information text (no answer)"),
    "computed": _l("Computed value (formula)"),
}
TYPE_HELP = {
    "text": _l("One line of text, such as a name."),
    "textarea": _l("Several lines of free text."),
    "number": _l("A number, with limits and decimals if you like."),
    "date": _l("A date, with an earliest and latest date if you like."),
    "email": _l("An e-mail address, checked when the form is sent."),
    "phone": _l("A telephone number."),
    "personnummer": _l("A Swedish personal identity number, checked."),
    "organisationsnummer": _l("A Swedish organisation number, checked."),
    "single_choice": _l("The applicant chooses one option, as radio buttons or a list."),
    "multiple_choice": _l("The applicant ticks one or more options."),
    "yes_no": _l("Yes or no."),
    "file": _l("The applicant attaches one or more files."),
    "info": _l("A text for the applicant to read; it has no answer."),
    "computed": _l("A number the form calculates from other number questions."),
}
STATE_LABELS = {
    VersionState.DRAFT: _l("Draft"),
    VersionState.PUBLISHED: _l("Published"),
    VersionState.RETIRED: _l("Retired"),
}
OPERATOR_LABELS = {
    "equals": _l("is"),
    "not_equals": _l("is not"),
    "contains": _l("contains (multiple choice)"),
    "answered": _l("is answered"),
    "not_answered": _l("is not answered"),
}
# The editor's field names and the words the error summary uses for them.
FIELD_LABELS = {
    "type": _l("Type"),
    "label": _l("Question"),
    "title": _l("Title"),
    "id": _l("Id"),
    "formula": _l("Formula"),
    "v-min_length": _l("Fewest characters"),
    "v-max_length": _l("Most characters"),
    "v-pattern": _l("Pattern (regular expression)"),
    "v-min": _l("Smallest value"),
    "v-max": _l("Largest value"),
    "v-decimals": _l("Decimals"),
    "v-date_min": _l("Earliest date"),
    "v-date_max": _l("Latest date"),
    "v-min_choices": _l("Fewest choices"),
    "v-max_choices": _l("Most choices"),
    "file-max_size_mb": _l("Largest file size (MB)"),
    "file-max_files": _l("Most files"),
    "definition": _l("The form"),
    "file": _l("File"),
}


def field_label(key: str) -> str:
    """How the error summary names a field of the editor."""
    if key in FIELD_LABELS:
        return str(FIELD_LABELS[key])
    parts = key.split("-")
    if key.startswith("option-") and len(parts) == 3:
        return _("Option %(number)s", number=parts[1])
    if key.startswith("cond-") and len(parts) == 3:
        return _("Condition %(number)s", number=parts[1])
    return key


def _posted() -> dict[str, Any]:
    """The posted form as lists of values (the content types are several checkboxes)."""
    return {k: v for k, v in request.form.to_dict(flat=False).items() if k != "csrf_token"}


def _redraw() -> bool:
    """The post asks to redraw the question's form (another type, more options), not to save."""
    return bool(request.form.get("refresh") or request.form.get("more_options"))


def _first(values: Mapping[str, Any], key: str) -> str:
    value = values.get(key)
    if isinstance(value, list | tuple):
        return str(value[0]) if value else ""
    return "" if value is None else str(value)


def _all(values: Mapping[str, Any], key: str) -> list[str]:
    value = values.get(key)
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]


def _number_text(value: Any) -> str:
    if value is None:
        return ""
    return str(value).replace(".", ",") if isinstance(value, float) else str(value)


def condition_values(condition: Mapping[str, Any] | None) -> dict[str, Any]:
    """A stored visible_if as the editor's condition fields."""
    form = form_versions.condition_form(condition)
    if form.advanced is not None:
        return {"cond-advanced": json.dumps(form.advanced, ensure_ascii=False), "cond-keep": "1"}
    values: dict[str, Any] = {"cond-join": form.join}
    for n, row in enumerate(form.rows, start=1):
        values.update(
            {
                f"cond-{n}-question": row.question,
                f"cond-{n}-operator": row.operator,
                f"cond-{n}-choice": row.choice,
                f"cond-{n}-text": row.text,
            }
        )
    return values


def question_values(question: Mapping[str, Any]) -> dict[str, Any]:
    """A stored question as the editor's fields (the inverse of form_versions.question_from_fields)."""
    kind = question.get("type", "")
    values: dict[str, Any] = {
        "type": kind,
        "label": question.get("label", ""),
        "id": question.get("id", ""),
        "help": question.get("help", ""),
        "required": "1" if question.get("required") else "",
        "display": question.get("display", "radio"),
        "text": question.get("text", ""),
        "formula": question.get("formula", ""),
    }
    options = list(question.get("options") or ())
    for n, option in enumerate(options, start=1):
        values[f"option-{n}-value"] = option.get("value", "")
        values[f"option-{n}-label"] = option.get("label", "")
        values[f"option-{n}-exclusive"] = "1" if option.get("exclusive") else ""
        values[f"option-{n}-order"] = str(n)
    values["option_rows"] = str(len(options))
    rules = question.get("validation") or {}
    if kind == "date":
        values["v-date_min"] = rules.get("min", "")
        values["v-date_max"] = rules.get("max", "")
    else:
        for key, value in rules.items():
            values[f"v-{key}"] = _number_text(value) if not isinstance(value, str) else value
    limits = question.get("file") or {}
    values["file-max_size_mb"] = _number_text(limits.get("max_size_mb"))
    values["file-max_files"] = _number_text(limits.get("max_files"))
    values["file-content_types"] = list(limits.get("content_types") or ())
    values.update(condition_values(question.get("visible_if")))
    return values


def describe_condition(condition: Mapping[str, Any] | None, definition: Mapping[str, Any]) -> str:
    """A visible_if in words: "Grund för specialkost är Medicinska skäl"."""
    if not condition:
        return ""
    labels = {q["id"]: q for s in definition.get("steps") or () for q in s.get("questions") or ()}

    def answer(question: Mapping[str, Any] | None, value: Any) -> str:
        if isinstance(value, bool):
            return _("Yes") if value else _("No")
        for option in (question or {}).get("options") or ():
            if option.get("value") == value:
                return str(option.get("label"))
        return str(value)

    def words(part: Mapping[str, Any]) -> str:
        if "all" in part or "any" in part:
            word = _("and") if "all" in part else _("or")
            join = f" {word} "
            return join.join(words(p) for p in part.get("all") or part.get("any") or ())
        if "not" in part:
            return _("not (%(condition)s)", condition=words(part["not"]))
        question = labels.get(part.get("question"))
        name = question["label"] if question else part.get("question")
        if "answered" in part:
            return f"{name} {OPERATOR_LABELS['answered' if part['answered'] else 'not_answered']}"
        if "in" in part:
            return _(
                "%(question)s is one of %(values)s",
                question=name,
                values=", ".join(answer(question, v) for v in part["in"]),
            )
        for operator in ("equals", "not_equals", "contains"):
            if operator in part:
                return f"{name} {OPERATOR_LABELS[operator]} {answer(question, part[operator])}"
        return ""

    return words(condition)


def step_values(step: Mapping[str, Any]) -> dict[str, Any]:
    values = {"title": step.get("title", ""), "id": step.get("id", ""), "description": step.get("description", "")}
    values.update(condition_values(step.get("visible_if")))
    return values


class FormEditorView(BaseView):
    """The form editor (role Builder or Admin; the service checks the user again)."""

    route_base = ROUTE_BASE
    default_view = "versions"
    method_permission_name = {
        "versions": "list",
        "version": "list",
        "export": "list",
        "new_version": "edit",
        "import_version": "edit",
        "publish": "edit",
        "delete_version": "edit",
        "step_new": "edit",
        "step_edit": "edit",
        "step_move": "edit",
        "step_delete": "edit",
        "question_new": "edit",
        "question_edit": "edit",
        "question_move": "edit",
        "question_delete": "edit",
    }

    # -- helpers ---------------------------------------------------------------------------

    def _render(self, template: str, eservice: EService, status: int = 200, **context: Any):
        return (
            self.render_template(
                f"backoffice/builder/{template}",
                eservice=eservice,
                hub_url=hub_url(eservice.id),
                list_url=list_url(),
                versions_url=url_for(f"{self.endpoint}.versions", eservice_id=eservice.id),
                state_labels=STATE_LABELS,
                type_labels=TYPE_LABELS,
                field_label=field_label,
                local_time=local_time,
                first=_first,
                describe=describe_condition,
                every=_all,
                **context,
            ),
            status,
        )

    def _version_url(self, eservice_id: int, version_id: int, anchor: str | None = None) -> str:
        url = url_for(f"{self.endpoint}.version", eservice_id=eservice_id, version_id=version_id)
        return f"{url}#{anchor}" if anchor else url

    def _load(self, eservice_id: int, version_id: int):
        return call(form_versions.get_version, eservice_id, version_id)

    def _fail(self, error: DomainError, back: str):
        if isinstance(error, NotFound):
            abort(404)
        if isinstance(error, NotAllowed):
            abort(403)
        flash(str(error), "danger")
        return redirect(back)

    def _done(self, edit: Edit, eservice_id: int, message: str, anchor: str | None = None):
        """After a change: say what happened (and that it went into a new draft, if it did)."""
        if edit.forked:
            flash(
                _(
                    "Version %(old)s is published or used by cases, so it is kept as it is: "
                    "your change was saved in a new draft, version %(new)s.",
                    old=edit.forked_from,
                    new=edit.version.number,
                ),
                "warning",
            )
        flash(message, "success")
        return redirect(self._version_url(eservice_id, edit.version.id, anchor))

    def _change(self, service, eservice_id: int, version_id: int, *args: Any, message: str, anchor=None, redraw=None):
        """One change to a version's steps or questions: ``service(eservice_id, version_id, *args)``.

        Invalid input draws the form again (``redraw(error)``) where there is one; any other error
        is shown on the version's page; then ``_done``. ``anchor`` may be a function of the Edit,
        as an added item's id is known only then.
        """
        try:
            edit = service(eservice_id, version_id, *args, actor=current_staff())
        except DomainError as error:
            if isinstance(error, Invalid) and redraw is not None:
                return redraw(error)
            return self._fail(error, self._version_url(eservice_id, version_id))
        return self._done(edit, eservice_id, message, anchor(edit) if callable(anchor) else anchor)

    # -- versions --------------------------------------------------------------------------

    @expose("/<int:eservice_id>/formular")
    @staff_access
    def versions(self, eservice_id: int):
        """The versions of the e-service's form, with Ny version and import."""
        eservice, rows = call(form_versions.list_versions, eservice_id)
        return self._render("form_versions.html", eservice, rows=rows, title=_("Form and versions"))

    @expose("/<int:eservice_id>/formular/ny", methods=["POST"])
    @staff_access
    def new_version(self, eservice_id: int):
        """Ny version: a draft copied from the newest version (or from the one posted)."""
        source = request.form.get("from_version", type=int)
        try:
            version = form_versions.create_draft(eservice_id, actor=current_staff(), from_version_id=source)
        except DomainError as error:
            return self._fail(error, url_for(f"{self.endpoint}.versions", eservice_id=eservice_id))
        flash(_("Version %(number)s has been created as a draft.", number=version.number), "success")
        return redirect(self._version_url(eservice_id, version.id))

    @expose("/<int:eservice_id>/formular/importera", methods=["POST"])
    @staff_access
    def import_version(self, eservice_id: int):
        """Import a definition (a JSON file) as a new draft."""
        upload = request.files.get("file")
        content = upload.read(form_versions.MAX_IMPORT_BYTES + 1) if upload is not None else b""
        try:
            version = form_versions.import_definition(eservice_id, content, actor=current_staff())
        except Invalid as error:
            try:
                eservice, rows = form_versions.list_versions(eservice_id, actor=current_staff())
            except DomainError as other:
                return self._fail(other, list_url())
            return self._render(
                "form_versions.html",
                eservice,
                status=422,
                rows=rows,
                title=_("Form and versions"),
                import_error=error,
            )
        except DomainError as error:
            return self._fail(error, url_for(f"{self.endpoint}.versions", eservice_id=eservice_id))
        flash(_("The definition has been imported as version %(number)s (a draft).", number=version.number), "success")
        return redirect(self._version_url(eservice_id, version.id))

    @expose("/<int:eservice_id>/formular/<int:version_id>")
    @staff_access
    def version(self, eservice_id: int, version_id: int):
        """One version: the editor (steps and questions), its problems, publishing and a preview."""
        eservice, row = self._load(eservice_id, version_id)
        return self._version_page(eservice, row)

    def _version_page(self, eservice: EService, row, status: int = 200, publish_error: Invalid | None = None):
        definition = row.version.definition
        problems = form_versions.problems_of(row.version) if row.version.state == VersionState.DRAFT else []
        return self._render(
            "form_version.html",
            eservice,
            status=status,
            row=row,
            version=row.version,
            definition=definition,
            problems=problems,
            publish_error=publish_error,
            title=_("Form version %(number)s", number=row.version.number),
        )

    @expose("/<int:eservice_id>/formular/<int:version_id>/publicera", methods=["POST"])
    @staff_access
    def publish(self, eservice_id: int, version_id: int):
        """Publish the version: new applicants get it; the one before is archived."""
        try:
            version = form_versions.publish_version(eservice_id, version_id, actor=current_staff())
        except Invalid as error:
            eservice, row = self._load(eservice_id, version_id)
            return self._version_page(eservice, row, status=422, publish_error=error)
        except DomainError as error:
            return self._fail(error, self._version_url(eservice_id, version_id))
        flash(
            _(
                "Version %(number)s is published: new applications use it. Cases already started keep their version.",
                number=version.number,
            ),
            "success",
        )
        return redirect(url_for(f"{self.endpoint}.versions", eservice_id=eservice_id))

    @expose("/<int:eservice_id>/formular/<int:version_id>/ta-bort", methods=["GET", "POST"])
    @staff_access
    def delete_version(self, eservice_id: int, version_id: int):
        """Delete a draft (asks first)."""
        eservice, row = self._load(eservice_id, version_id)
        if request.method == "GET":
            return self._render(
                "form_confirm_delete.html",
                eservice,
                version=row.version,
                what=_("draft version %(number)s", number=row.version.number),
                title=_("Delete version %(number)s", number=row.version.number),
                back_url=self._version_url(eservice_id, version_id),
            )
        try:
            number = form_versions.delete_draft(eservice_id, version_id, actor=current_staff())
        except DomainError as error:
            return self._fail(error, self._version_url(eservice_id, version_id))
        flash(_("Version %(number)s has been deleted.", number=number), "success")
        return redirect(url_for(f"{self.endpoint}.versions", eservice_id=eservice_id))

    @expose("/<int:eservice_id>/formular/<int:version_id>/export.json")
    @staff_access
    def export(self, eservice_id: int, version_id: int):
        """The definition as a JSON file to download."""
        name, content = call(form_versions.export_definition, eservice_id, version_id)
        response = make_response(content)
        response.mimetype = "application/json"
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    # -- steps -----------------------------------------------------------------------------

    @expose("/<int:eservice_id>/formular/<int:version_id>/nytt-steg", methods=["GET", "POST"])
    @staff_access
    def step_new(self, eservice_id: int, version_id: int):
        """Add a step at the end of the form."""
        eservice, row = self._load(eservice_id, version_id)
        if request.method == "GET":
            return self._step_form(eservice, row, None, {})
        return self._change(
            form_versions.add_step,
            eservice_id,
            version_id,
            _posted(),
            message=_("The step has been added."),
            anchor=lambda edit: f"step-{edit.item_id}",
            redraw=lambda error: self._step_form(eservice, row, None, _posted(), error),
        )

    @expose("/<int:eservice_id>/formular/<int:version_id>/steg/<step_id>", methods=["GET", "POST"])
    @staff_access
    def step_edit(self, eservice_id: int, version_id: int, step_id: str):
        """Change a step: title, description, id, condition."""
        eservice, row = self._load(eservice_id, version_id)
        step = self._step(row.version.definition, step_id)
        if request.method == "GET":
            return self._step_form(eservice, row, step, step_values(step))
        return self._change(
            form_versions.update_step,
            eservice_id,
            version_id,
            step_id,
            _posted(),
            message=_("The step has been saved."),
            anchor=lambda edit: f"step-{edit.item_id}",
            redraw=lambda error: self._step_form(eservice, row, step, _posted(), error),
        )

    @expose("/<int:eservice_id>/formular/<int:version_id>/steg/<step_id>/flytta", methods=["POST"])
    @staff_access
    def step_move(self, eservice_id: int, version_id: int, step_id: str):
        direction = request.form.get("direction", "")
        return self._change(
            form_versions.move_step,
            eservice_id,
            version_id,
            step_id,
            direction,
            message=_("The step has been moved."),
            anchor=f"step-{step_id}",
        )

    @expose("/<int:eservice_id>/formular/<int:version_id>/steg/<step_id>/ta-bort", methods=["GET", "POST"])
    @staff_access
    def step_delete(self, eservice_id: int, version_id: int, step_id: str):
        eservice, row = self._load(eservice_id, version_id)
        step = self._step(row.version.definition, step_id)
        if request.method == "GET":
            return self._render(
                "form_confirm_delete.html",
                eservice,
                version=row.version,
                what=_(
                    'the step "%(title)s" and its %(num)d questions', title=step["title"], num=len(step["questions"])
                ),
                title=_("Delete step"),
                back_url=self._version_url(eservice_id, version_id, f"step-{step_id}"),
            )
        return self._change(
            form_versions.delete_step,
            eservice_id,
            version_id,
            step_id,
            message=_("The step has been deleted."),
        )

    def _step(self, definition: Mapping[str, Any], step_id: str) -> dict[str, Any]:
        for step in definition.get("steps") or ():
            if step.get("id") == step_id:
                return step
        abort(404)

    def _step_form(self, eservice, row, step, values, error: Invalid | None = None):
        definition = row.version.definition
        if step is None:
            earlier = form_versions.condition_questions(definition, step_id="", new=True)
        else:
            earlier = form_versions.condition_questions(definition, step_id=step["id"])
        return self._render(
            "form_step.html",
            eservice,
            status=422 if error else 200,
            row=row,
            version=row.version,
            step=step,
            values=values,
            error=error,
            errors=error.errors if error else {},
            earlier=earlier,
            operators=OPERATOR_LABELS,
            condition_rows=CONDITION_ROWS,
            title=_("New step") if step is None else _("Change step"),
        )

    # -- questions -------------------------------------------------------------------------

    @expose("/<int:eservice_id>/formular/<int:version_id>/steg/<step_id>/ny-fraga", methods=["GET", "POST"])
    @staff_access
    def question_new(self, eservice_id: int, version_id: int, step_id: str):
        """Add a question: first its type, then its form."""
        eservice, row = self._load(eservice_id, version_id)
        step = self._step(row.version.definition, step_id)
        kind = request.values.get("type", "")
        if kind not in QUESTION_TYPES:
            return self._render(
                "form_question_type.html",
                eservice,
                status=422 if request.values.get("chosen") else 200,
                row=row,
                version=row.version,
                step=step,
                type_help=TYPE_HELP,
                types=QUESTION_TYPES,
                missing=bool(request.values.get("chosen")),
                title=_("New question"),
            )
        if request.method == "GET" or _redraw():
            values = _posted() if request.method == "POST" else {"type": kind, "display": "radio"}
            return self._question_form(eservice, row, step, None, values)
        return self._change(
            form_versions.add_question,
            eservice_id,
            version_id,
            step_id,
            _posted(),
            message=_("The question has been added."),
            anchor=lambda edit: f"question-{edit.item_id}",
            redraw=lambda error: self._question_form(eservice, row, step, None, _posted(), error),
        )

    @expose("/<int:eservice_id>/formular/<int:version_id>/fraga/<question_id>", methods=["GET", "POST"])
    @staff_access
    def question_edit(self, eservice_id: int, version_id: int, question_id: str):
        """Change a question of any type; "Update the form" redraws it for another type or more options."""
        eservice, row = self._load(eservice_id, version_id)
        step, question = self._question(row.version.definition, question_id)
        if request.method == "GET":
            return self._question_form(eservice, row, step, question, question_values(question))
        if _redraw():
            return self._question_form(eservice, row, step, question, _posted())
        return self._change(
            form_versions.update_question,
            eservice_id,
            version_id,
            question_id,
            _posted(),
            message=_("The question has been saved."),
            anchor=lambda edit: f"question-{edit.item_id}",
            redraw=lambda error: self._question_form(eservice, row, step, question, _posted(), error),
        )

    @expose("/<int:eservice_id>/formular/<int:version_id>/fraga/<question_id>/flytta", methods=["POST"])
    @staff_access
    def question_move(self, eservice_id: int, version_id: int, question_id: str):
        direction = request.form.get("direction", "")
        return self._change(
            form_versions.move_question,
            eservice_id,
            version_id,
            question_id,
            direction,
            message=_("The question has been moved."),
            anchor=f"question-{question_id}",
        )

    @expose("/<int:eservice_id>/formular/<int:version_id>/fraga/<question_id>/ta-bort", methods=["GET", "POST"])
    @staff_access
    def question_delete(self, eservice_id: int, version_id: int, question_id: str):
        eservice, row = self._load(eservice_id, version_id)
        step, question = self._question(row.version.definition, question_id)
        if request.method == "GET":
            return self._render(
                "form_confirm_delete.html",
                eservice,
                version=row.version,
                what=_('the question "%(label)s"', label=question["label"]),
                title=_("Delete question"),
                back_url=self._version_url(eservice_id, version_id, f"question-{question_id}"),
            )
        return self._change(
            form_versions.delete_question,
            eservice_id,
            version_id,
            question_id,
            message=_("The question has been deleted."),
            anchor=f"step-{step['id']}",
        )

    def _question(self, definition: Mapping[str, Any], question_id: str):
        for step in definition.get("steps") or ():
            for question in step.get("questions") or ():
                if question.get("id") == question_id:
                    return step, question
        abort(404)

    def _question_form(self, eservice, row, step, question, values, error: Invalid | None = None):
        definition = row.version.definition
        kind = _first(values, "type")
        if kind not in QUESTION_TYPES:
            kind = question["type"] if question else "text"
        if question is None:
            earlier = form_versions.condition_questions(definition, step_id=step["id"], new=True)
        else:
            earlier = form_versions.condition_questions(definition, step_id=step["id"], question_id=question["id"])
        posted_rows = min(int(_first(values, "option_rows")), 200) if _first(values, "option_rows").isdigit() else 0
        # As many rows as are filled in (empty ones are not carried over), then a few empty ones.
        rows = max(
            (
                n
                for n in range(1, posted_rows + 1)
                if _first(values, f"option-{n}-label") or _first(values, f"option-{n}-value")
            ),
            default=0,
        )
        if request.form.get("more_options"):
            rows += 5
        option_rows = min(rows, 200) + EXTRA_OPTION_ROWS
        preview = None
        if error is None:
            # The question as the fields say now (typed, or stored), drawn as applicants will see it.
            try:
                fields = {**values, "type": kind}
                preview = form_versions.question_from_fields(fields, definition, step_id=step["id"], current=question)
            except Invalid:
                preview = None
        return self._render(
            "form_question.html",
            eservice,
            status=422 if error else 200,
            row=row,
            version=row.version,
            step=step,
            question=question,
            kind=kind,
            values=values,
            error=error,
            errors=error.errors if error else {},
            earlier=earlier,
            operators=OPERATOR_LABELS,
            condition_rows=CONDITION_ROWS,
            option_rows=option_rows,
            preview=preview,
            number_questions=form_versions.number_questions(definition, exclude=question["id"] if question else None),
            file_types=FILE_TYPE_NAMES,
            types=QUESTION_TYPES,
            choice_types=CHOICE_TYPES,
            text_types=TEXT_TYPES,
            title=_("New question") if question is None else _("Change question"),
        )
