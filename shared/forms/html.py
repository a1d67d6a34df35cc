"""A form definition as an HTML form, for the back office and the portal alike.

The Jinja macros are in ``templates/forms/fields.html`` (one per question type) and the
script that shows follow-up questions (``visible_if``) in ``static/forms/conditions.js``;
each app registers ``blueprint`` so that both are found:

    {% import "forms/fields.html" as fields %}
    <script src="{{ url_for('forms.static', filename='forms/conditions.js') }}"></script>

Inputs are named by question id, so a posted form reads back with ``raw_answers``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import IO, Any

from flask import Blueprint
from flask_babel import gettext as _

from shared import clock
from shared.forms.answers import _walk
from shared.forms.display import display_value
from shared.forms.structure import Definition, iter_questions

# Templates and static files only: no routes of its own besides the static folder.
blueprint = Blueprint(
    "forms", __name__, template_folder="templates", static_folder="static", static_url_path="/forms-static"
)

YES, NO = "yes", "no"

# Content types as applicants know them, for "Allowed file types: PDF, JPEG, PNG".
FILE_TYPE_NAMES = {
    "application/pdf": "PDF",
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/gif": "GIF",
    "image/heic": "HEIC",
    "image/heif": "HEIF",
    "image/tiff": "TIFF",
    "text/plain": "TXT",
    "text/csv": "CSV",
    "application/rtf": "RTF",
    "application/msword": "Word (doc)",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word (docx)",
    "application/vnd.ms-excel": "Excel (xls)",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel (xlsx)",
    "application/vnd.oasis.opendocument.text": "OpenDocument (odt)",
    "application/vnd.oasis.opendocument.spreadsheet": "OpenDocument (ods)",
}


@blueprint.app_template_filter("form_scalar")
def form_scalar(value: Any) -> str:
    """An input's value as text: the first of several, "" for none (a template filter)."""
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    if value is None or isinstance(value, Mapping):
        return ""
    return str(value)


@blueprint.app_template_filter("form_choices")
def form_choices(value: Any) -> list[str]:
    """The chosen option values as text, for checking boxes and radio buttons (a template filter)."""
    if value is None:
        return []
    if isinstance(value, bool):
        return [YES if value else NO]
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [str(value)]


@blueprint.app_template_filter("form_question_ids")
def form_question_ids(definition: Definition) -> set[str]:
    """Every question id of a definition (a template filter)."""
    return set(_questions(definition))


@blueprint.app_template_filter("form_file_types")
def file_type_names(content_types: Collection[str]) -> str:
    """Content types as names applicants know ("PDF, JPEG, PNG"; "image/*" is every image) (a template filter)."""
    names: list[str] = []
    for content_type in content_types:
        if content_type.endswith("/*"):
            name = _("images") if content_type == "image/*" else content_type
        else:
            name = FILE_TYPE_NAMES.get(content_type) or content_type.split("/", 1)[-1].upper()
        if name not in names:
            names.append(name)
    return ", ".join(names)


@blueprint.app_template_filter("form_file_size")
def file_size(size: Any) -> str:
    """A file's size for people: "340 kB", "2,1 MB" (a template filter)."""
    if not isinstance(size, int | float) or isinstance(size, bool) or size < 0:
        return ""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB".replace(".", ",")
    return f"{max(1, round(size / 1024))} kB"


def _questions(definition: Definition) -> dict[str, Mapping[str, Any]]:
    return {q["id"]: q for _step, q in iter_questions(definition) if q.get("id")}


def _values(form: Mapping[str, Any], name: str) -> list[Any]:
    getlist = getattr(form, "getlist", None)
    if callable(getlist):
        return list(getlist(name))
    value = form.get(name)
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def raw_answers(form: Mapping[str, Any], definition: Definition) -> dict[str, Any]:
    """The posted answers to the definition's questions (other fields are left out), for the form engine.

    A repeated field (multiple choice) keeps every value; a file question keeps the
    documents ticked to be kept, as {"document_id": n} (the service checks they are the case's own).
    """
    answers: dict[str, Any] = {}
    for question_id, question in _questions(definition).items():
        values = _values(form, question_id)
        if question.get("type") == "file":
            kept = [{"document_id": int(v)} for v in values if str(v).isdigit()]
            if kept:
                answers[question_id] = kept
        elif question.get("type") == "multiple_choice":
            if values:
                answers[question_id] = values
        elif values:
            answers[question_id] = values[0] if len(values) == 1 else values
    return answers


def uploads(files: Mapping[str, Any], definition: Definition) -> dict[str, list[tuple[str, IO[bytes], str]]]:
    """The files posted for the definition's file questions: {question id: [(name, stream, content type)]}."""
    found: dict[str, list[tuple[str, IO[bytes], str]]] = {}
    for question_id, question in _questions(definition).items():
        if question.get("type") != "file":
            continue
        chosen = [f for f in _values(files, question_id) if getattr(f, "filename", "")]
        if chosen:
            found[question_id] = [(f.filename, f.stream, f.mimetype or "") for f in chosen]
    return found


def input_values(definition: Definition, answers: Mapping[str, Any]) -> dict[str, Any]:
    """Stored answers as the inputs show them: yes/no as "yes"/"no", numbers as text, files as they are."""
    values: dict[str, Any] = {}
    for question_id, question in _questions(definition).items():
        value = answers.get(question_id)
        if value is None:
            continue
        kind = question.get("type")
        if kind == "yes_no" and isinstance(value, bool):
            values[question_id] = YES if value else NO
        elif isinstance(value, int | float) and not isinstance(value, bool):
            values[question_id] = str(value)
        else:
            values[question_id] = value
    return values


def computed_values(definition: Definition, raw: Mapping[str, Any]) -> dict[str, str]:
    """The computed questions' results for these answers, written for people (left out where not computable yet)."""
    walk = _walk(definition, raw, clock.today())
    return {
        question_id: display_value(question, walk.values[question_id])
        for question_id, question in walk.computed.items()
        if question_id in walk.values
    }


def condition_context(definition: Definition, raw: Mapping[str, Any], on_page: Collection[str]) -> dict[str, Any]:
    """What forms/conditions.js must know of the questions that are not on the page (a form shown one step at a
    time): which of them are shown, their answers as the script reads answers, and which are computed.

    Put it on the form as ``data-form-context="{{ context | tojson | forceescape }}"``; a follow-up question on
    this page whose condition names an earlier step's answer then shows and hides as the server would decide.
    """
    walk = _walk(definition, raw, clock.today())
    on_page = set(on_page)
    shown = [
        q["id"] for _step, q in iter_questions(definition) if q.get("id") in walk.visible and q["id"] not in on_page
    ]
    questions = _questions(definition)
    values: dict[str, Any] = {}
    for question_id in shown:
        value = walk.values.get(question_id)
        if value is None or question_id in walk.computed:
            continue
        # The script counts a file question's files; their names are of no use to it.
        values[question_id] = [len(value)] if questions[question_id].get("type") == "file" else value
    return {"shown": shown, "values": values, "computed": [qid for qid in shown if qid in walk.computed]}
