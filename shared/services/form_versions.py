"""The form editor (F-ES-2, F-ES-3): versions of an e-service's form, their steps and questions.

A builder changes a form through these functions, never by writing JSON:

- a version is a draft until it is published; publishing makes it the one new applicants
  get (``EService.published_version``) and retires the one published before; a case keeps
  the version it was started on;
- only a draft that no case uses is changed in place: a change to any other version (a
  published or retired one, or one that cases use) makes a new draft, a copy of it, and
  changes that (the result says so, ``Edit.forked``);
- a definition with a problem (``shared.forms.check_definition``) cannot be published or
  imported; a change to one step or question is refused when it gives *that* item a
  problem, while problems that other items get meanwhile (a question named by a condition
  was deleted) are listed on the version until they are fixed;
- every change is recorded in the audit log with the changed item before and after.

The editor's forms post plain text fields; ``question_from_fields`` and ``step_from_fields``
turn them into the definition's shape, with a Swedish message per field when they cannot.
"""

from __future__ import annotations

import copy
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select

from shared import clock
from shared.db import db, transactional
from shared.errors import Invalid, NotFound
from shared.forms import check_definition
from shared.forms.conditions import iter_comparisons
from shared.forms.definition import DefinitionProblem
from shared.forms.fields import FieldError, date_limit, parse_number
from shared.forms.formula import FormulaError, formula_names
from shared.forms.html import FILE_TYPE_NAMES
from shared.forms.structure import (
    CHOICE_TYPES,
    ID_PATTERN,
    NO_INPUT_TYPES,
    NUMERIC_TYPES,
    QUESTION_TYPES,
    TEXT_TYPES,
)
from shared.models import Case, EService, EServiceVersion, StaffUser, VersionState
from shared.services import access, trial_runs
from shared.services.audit import record_config_change

UP, DOWN = "up", "down"
# The comparisons the editor offers (conditions.py has "in" too: imported ones are kept).
OPERATORS = ("equals", "not_equals", "contains", "answered", "not_answered")
JOINS = ("all", "any")
CONDITION_ROWS = 3
MAX_IMPORT_BYTES = 1024 * 1024
_ID = re.compile(ID_PATTERN)
_ID_MAX = 64
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_TODAY_WORDS = frozenset({"today", "idag", "i dag", "dagens datum"})

STARTER_DEFINITION: dict[str, Any] = {"steps": [{"id": "steg_1", "title": "Steg 1", "questions": []}]}


# --- reading -----------------------------------------------------------------------------


@dataclass(frozen=True)
class VersionRow:
    """One version in the list of versions, with how many cases use it."""

    version: EServiceVersion
    cases: int

    @property
    def editable(self) -> bool:
        return self.version.state == VersionState.DRAFT and self.cases == 0


@dataclass(frozen=True)
class Edit:
    """The result of a change: the version changed, whether it is a new draft, the item's id."""

    version: EServiceVersion
    forked: bool = False
    item_id: str | None = None
    forked_from: int | None = None


def _eservice(eservice_id: int, *, lock: bool = False) -> EService:
    query = select(EService).where(EService.id == eservice_id)
    if lock:
        query = query.with_for_update()
    eservice = db.session.scalars(query).first()
    if eservice is None:
        raise NotFound(_("The e-service does not exist."))
    return eservice


def _version(eservice: EService, version_id: int, *, lock: bool = False) -> EServiceVersion:
    query = select(EServiceVersion).where(EServiceVersion.id == version_id, EServiceVersion.eservice_id == eservice.id)
    if lock:
        query = query.with_for_update()
    version = db.session.scalars(query).first()
    if version is None:
        raise NotFound(_("The version does not exist."))
    return version


def case_count(version: EServiceVersion) -> int:
    """How many cases (drafts too, not test runs) use this version."""
    return (
        db.session.scalar(
            select(func.count()).select_from(Case).where(Case.version_id == version.id, Case.is_test.is_(False))
        )
        or 0
    )


def list_versions(eservice_id: int, *, actor: StaffUser) -> tuple[EService, list[VersionRow]]:
    """The e-service and its versions, newest first, each with its number of cases."""
    access.require_builder(actor)
    eservice = _eservice(eservice_id)
    counts = dict(
        db.session.execute(
            select(Case.version_id, func.count())
            .join(EServiceVersion, EServiceVersion.id == Case.version_id)
            .where(EServiceVersion.eservice_id == eservice.id, Case.is_test.is_(False))
            .group_by(Case.version_id)
        ).all()
    )
    versions = sorted(eservice.versions, key=lambda v: v.number, reverse=True)
    return eservice, [VersionRow(v, counts.get(v.id, 0)) for v in versions]


def get_version(eservice_id: int, version_id: int, *, actor: StaffUser) -> tuple[EService, VersionRow]:
    """One version of the e-service with its number of cases."""
    access.require_builder(actor)
    eservice = _eservice(eservice_id)
    version = _version(eservice, version_id)
    return eservice, VersionRow(version, case_count(version))


def problems_of(version: EServiceVersion) -> list[DefinitionProblem]:
    """What stops the version from being published (empty when nothing does)."""
    return check_definition(version.definition)


# --- versions ----------------------------------------------------------------------------


def _next_number(eservice: EService) -> int:
    highest = db.session.scalar(
        select(func.max(EServiceVersion.number)).where(EServiceVersion.eservice_id == eservice.id)
    )
    return (highest or 0) + 1


def _version_facts(version: EServiceVersion) -> dict[str, Any]:
    return {
        "number": version.number,
        "state": str(version.state),
        "published_at": version.published_at,
    }


def _new_draft(
    eservice: EService, definition: Mapping[str, Any], *, actor: StaffUser, note: str | None, source: str
) -> EServiceVersion:
    version = EServiceVersion(
        eservice=eservice,
        number=_next_number(eservice),
        definition=copy.deepcopy(dict(definition)),
        state=VersionState.DRAFT,
        note=note,
        created_by_id=actor.id,
    )
    db.session.add(version)
    db.session.flush()
    record_config_change(
        "config_form_version_created",
        user=actor,
        obj=version,
        before=None,
        after={
            "number": version.number,
            "state": str(version.state),
            "source": source,
            # An imported definition is new content: the log keeps it; a copy names its source.
            **({"definition": version.definition} if source == "import" else {}),
        },
    )
    return version


@transactional
def create_draft(eservice_id: int, *, actor: StaffUser, from_version_id: int | None = None) -> EServiceVersion:
    """Start a new draft version (Ny version): a copy of the given version, else of the newest."""
    access.require_builder(actor)
    eservice = _eservice(eservice_id, lock=True)
    if from_version_id is not None:
        source = _version(eservice, from_version_id)
    else:
        source = max(eservice.versions, key=lambda v: v.number, default=None)
    if source is None:
        return _new_draft(eservice, STARTER_DEFINITION, actor=actor, note=None, source="new")
    return _new_draft(
        eservice,
        source.definition,
        actor=actor,
        note=_("Copy of version %(number)s", number=source.number),
        source=f"version {source.number}",
    )


def _editable(eservice_id: int, version_id: int, actor: StaffUser) -> tuple[EServiceVersion, bool, int | None]:
    """The version a change goes to: this one if it is a draft no case uses, else a new draft copied from it."""
    access.require_builder(actor)
    eservice = _eservice(eservice_id, lock=True)
    version = _version(eservice, version_id, lock=True)
    if version.state == VersionState.DRAFT and case_count(version) == 0:
        return version, False, None
    draft = _new_draft(
        eservice,
        version.definition,
        actor=actor,
        note=_("Copy of version %(number)s", number=version.number),
        source=f"version {version.number}",
    )
    return draft, True, version.number


@transactional
def publish_version(eservice_id: int, version_id: int, *, actor: StaffUser) -> EServiceVersion:
    """Publish a version: new applicants get it from now on; the one published before is retired."""
    access.require_builder(actor)
    eservice = _eservice(eservice_id, lock=True)
    version = _version(eservice, version_id, lock=True)
    if version.state == VersionState.PUBLISHED:
        raise Invalid(_("Version %(number)s is already published.", number=version.number))
    problems = check_definition(version.definition)
    if problems:
        raise _problems_error(
            problems, _("Version %(number)s cannot be published until these problems are fixed:", number=version.number)
        )
    for other in eservice.versions:
        if other.state == VersionState.PUBLISHED and other.id != version.id:
            before = _version_facts(other)
            other.state = VersionState.RETIRED
            record_config_change(
                "config_form_version_retired", user=actor, obj=other, before=before, after=_version_facts(other)
            )
    before = _version_facts(version)
    version.state = VersionState.PUBLISHED
    version.published_at = clock.now()
    db.session.flush()
    record_config_change(
        "config_form_version_published", user=actor, obj=version, before=before, after=_version_facts(version)
    )
    return version


@transactional
def delete_draft(eservice_id: int, version_id: int, *, actor: StaffUser) -> int:
    """Delete a draft version that no case uses; returns its number."""
    access.require_builder(actor)
    eservice = _eservice(eservice_id, lock=True)
    version = _version(eservice, version_id, lock=True)
    if version.state != VersionState.DRAFT:
        raise Invalid(_("Only a draft can be deleted; a published or retired version is kept for its cases."))
    if case_count(version):
        raise Invalid(_("The version cannot be deleted: cases use it."))
    number = version.number
    # A builder's test runs of the draft go with it (they are never cases: F-ES-4).
    trial_runs.discard_test_drafts(version_id=version.id)
    record_config_change(
        "config_form_version_deleted",
        user=actor,
        obj=version,
        before={**_version_facts(version), "definition": version.definition},
        after=None,
    )
    eservice.versions.remove(version)
    db.session.delete(version)
    db.session.flush()
    return number


def _problems_error(problems: list[DefinitionProblem], message: str) -> Invalid:
    errors: dict[str, str] = {}
    for problem in problems:
        key = problem.question_id or problem.step_id or "definition"
        errors[key] = f"{errors[key]} {problem.message}" if key in errors else problem.message
    return Invalid(
        message,
        errors=errors,
        problems=[{"step_id": p.step_id, "question_id": p.question_id, "message": p.message} for p in problems],
    )


# --- import and export ---------------------------------------------------------------------


@transactional
def import_definition(eservice_id: int, content: bytes | str, *, actor: StaffUser) -> EServiceVersion:
    """Make a new draft version from a definition in JSON, checked as a publication would be."""
    access.require_builder(actor)
    eservice = _eservice(eservice_id, lock=True)
    if isinstance(content, bytes):
        if len(content) > MAX_IMPORT_BYTES:
            raise Invalid(_("The file is too large to be a form definition (at most 1 MB)."), errors={"file": ""})
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise Invalid(_("The file is not a text file in UTF-8."), errors={"file": ""}) from None
    if not content.strip():
        raise Invalid(_("Choose a file with a form definition (JSON)."), errors={"file": ""})
    try:
        definition = json.loads(content)
    except json.JSONDecodeError as error:
        raise Invalid(
            _("The file is not valid JSON (line %(line)d, column %(column)d).", line=error.lineno, column=error.colno),
            errors={"file": ""},
        ) from None
    problems = check_definition(definition)
    if problems:
        raise _problems_error(problems, _("The definition cannot be imported:"))
    return _new_draft(eservice, definition, actor=actor, note=_("Imported"), source="import")


def export_definition(eservice_id: int, version_id: int, *, actor: StaffUser) -> tuple[str, bytes]:
    """The version's definition as a JSON file: (file name, content)."""
    access.require_builder(actor)
    eservice = _eservice(eservice_id)
    version = _version(eservice, version_id)
    name = f"{eservice.slug}-v{version.number}.json"
    content = json.dumps(version.definition, ensure_ascii=False, indent=2) + "\n"
    return name, content.encode("utf-8")


# --- ids -----------------------------------------------------------------------------------


def make_id(text: str, taken: Iterable[str], *, prefix: str = "fraga") -> str:
    """An id from a label ("Barnets namn" → "barnets_namn"), unique among `taken`."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    ascii_text = "".join(c for c in decomposed if not unicodedata.combining(c))
    base = re.sub(r"[^a-z0-9]+", "_", ascii_text).strip("_")[:40].strip("_")
    if not base or not base[0].isalpha():
        base = f"{prefix}_{base}" if base else prefix
    taken = set(taken)
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}_{n}", n + 1
    return candidate


def _question_ids(definition: Mapping[str, Any]) -> list[str]:
    return [q["id"] for s in definition.get("steps") or () for q in s.get("questions") or ()]


def _step_ids(definition: Mapping[str, Any]) -> list[str]:
    return [s["id"] for s in definition.get("steps") or ()]


def _find_step(definition: Mapping[str, Any], step_id: str) -> dict[str, Any]:
    for step in definition.get("steps") or ():
        if step.get("id") == step_id:
            return step
    raise NotFound(_("The step does not exist."))


def _find_question(definition: Mapping[str, Any], question_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    for step in definition.get("steps") or ():
        for question in step.get("questions") or ():
            if question.get("id") == question_id:
                return step, question
    raise NotFound(_("The question does not exist."))


# --- the editor's fields -------------------------------------------------------------------


def _one(fields: Mapping[str, Any], key: str) -> str:
    value = fields.get(key)
    if isinstance(value, list | tuple):
        value = value[0] if value else ""
    return str(value or "").strip()


def _many(fields: Mapping[str, Any], key: str) -> list[str]:
    value = fields.get(key)
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if str(v).strip()]
    return [str(value).strip()] if str(value).strip() else []


def _checked(fields: Mapping[str, Any], key: str) -> bool:
    return _one(fields, key) not in ("", "0", "false", "off")


class _Errors:
    def __init__(self) -> None:
        self.by_field: dict[str, str] = {}

    def add(self, key: str, message: str) -> None:
        self.by_field.setdefault(key, message)

    def raise_if_any(self) -> None:
        if self.by_field:
            count = len(self.by_field)
            raise Invalid(
                ngettext("There is %(num)d error in the form.", "There are %(num)d errors in the form.", count),
                errors=self.by_field,
            )


def _whole(fields: Mapping[str, Any], key: str, errors: _Errors, *, minimum: int = 0) -> int | None:
    text = _one(fields, key)
    if not text:
        return None
    if not re.fullmatch(r"[0-9]+", text) or len(text) > 9:
        errors.add(key, _("Enter a whole number."))
        return None
    number = int(text)
    if number < minimum:
        errors.add(key, _("Enter a number of at least %(min)d.", min=minimum))
        return None
    return number


def _number(fields: Mapping[str, Any], key: str, errors: _Errors) -> int | float | None:
    text = _one(fields, key)
    if not text:
        return None
    try:
        number = parse_number(text)
    except FieldError as error:
        errors.add(key, error.message)
        return None
    return int(number) if number == number.to_integral_value() else float(number)


def _date_limit(fields: Mapping[str, Any], key: str, errors: _Errors) -> str | None:
    text = _one(fields, key)
    if not text:
        return None
    if text.lower() in _TODAY_WORDS:
        return "today"
    if not _DATE.fullmatch(text) or date_limit(text, clock.today()) is None:
        errors.add(key, _('Enter a date (YYYY-MM-DD) or "today".'))
        return None
    return text


def _item_id(
    fields: Mapping[str, Any], errors: _Errors, *, label: str, current: str | None, taken: Iterable[str], prefix: str
) -> str:
    text = _one(fields, "id")
    taken = {t for t in taken if t != current}
    if not text:
        return current or make_id(label, taken, prefix=prefix)
    if not _ID.fullmatch(text) or len(text) > _ID_MAX:
        errors.add("id", _("Use a–z, 0–9 and _ only, starting with a letter (at most 64 characters)."))
    elif text in taken:
        errors.add("id", _("Another item in the form already has this id."))
    return text


def _options(fields: Mapping[str, Any], errors: _Errors) -> list[dict[str, Any]]:
    rows = _whole(fields, "option_rows", _Errors()) or 0
    options: list[tuple[int, int, dict[str, Any]]] = []
    seen: set[str] = set()
    for n in range(1, min(rows, 200) + 1):
        label, value = _one(fields, f"option-{n}-label"), _one(fields, f"option-{n}-value")
        if not label and not value:
            continue
        if not label:
            errors.add(f"option-{n}-label", _("Write the text of the option."))
            continue
        if not value:
            value = make_id(label, seen, prefix="val")
        if len(value) > 200:
            errors.add(f"option-{n}-value", _("The value can be at most 200 characters."))
            continue
        if value in seen:
            errors.add(f"option-{n}-value", _("Two options have the value '%(value)s'.", value=value))
            continue
        seen.add(value)
        option: dict[str, Any] = {"value": value, "label": label}
        if _checked(fields, f"option-{n}-exclusive"):
            option["exclusive"] = True
        # The place in the list: "Order" reorders the options without retyping them.
        order = _whole(fields, f"option-{n}-order", errors)
        options.append((order if order is not None else n, n, option))
    return [option for _order, _n, option in sorted(options, key=lambda item: item[:2])]


# --- conditions ------------------------------------------------------------------------------


@dataclass
class ConditionRow:
    """One comparison of a condition as the editor shows it."""

    question: str = ""
    operator: str = "equals"
    choice: str = ""
    text: str = ""


@dataclass
class ConditionForm:
    """A visible_if as the editor's fields: all/any of up to three comparisons, or kept as it is."""

    join: str = "all"
    rows: list[ConditionRow] = field(default_factory=list)
    advanced: Any = None  # a condition the fields cannot show (nested, "in" …): kept unless removed


def _answer_text(value: Any) -> tuple[str, str]:
    """(choice, text) for a comparison's value: booleans are the yes/no choice."""
    if isinstance(value, bool):
        return ("yes" if value else "no"), ""
    if isinstance(value, int | float):
        return "", str(value).replace(".", ",")
    return str(value), str(value)


def condition_form(condition: Mapping[str, Any] | None) -> ConditionForm:
    """Show a stored condition as the editor's fields."""
    form = ConditionForm()
    if not condition:
        return form
    parts: list[Any]
    if "all" in condition or "any" in condition:
        form.join = "all" if "all" in condition else "any"
        parts = list(condition.get(form.join) or ())
    else:
        parts = [condition]
    rows = []
    for part in parts:
        row = _row_of(part)
        if row is None or len(parts) > CONDITION_ROWS:
            return ConditionForm(advanced=condition)
        rows.append(row)
    form.rows = rows
    return form


def _row_of(part: Any) -> ConditionRow | None:
    if not isinstance(part, Mapping) or "question" not in part:
        return None
    question = str(part["question"])
    if "answered" in part:
        return ConditionRow(question, "answered" if part["answered"] else "not_answered")
    for operator in ("equals", "not_equals", "contains"):
        if operator in part:
            choice, text = _answer_text(part[operator])
            return ConditionRow(question, operator, choice, text)
    return None


def _condition_from_fields(
    fields: Mapping[str, Any], errors: _Errors, earlier: list[Mapping[str, Any]]
) -> dict[str, Any] | None:
    """The visible_if the fields describe (None: always shown), naming only `earlier` questions."""
    if _checked(fields, "cond-keep"):
        kept = _one(fields, "cond-advanced")
        try:
            return json.loads(kept) if kept else None
        except json.JSONDecodeError:
            return None
    by_id = {q["id"]: q for q in earlier}
    parts = []
    for n in range(1, CONDITION_ROWS + 1):
        ref = _one(fields, f"cond-{n}-question")
        if not ref:
            continue
        key = f"cond-{n}"
        target = by_id.get(ref)
        if target is None:
            errors.add(f"{key}-question", _("Choose a question that comes before this one."))
            continue
        operator = _one(fields, f"cond-{n}-operator") or "equals"
        if operator not in OPERATORS:
            errors.add(f"{key}-operator", _("Choose how to compare."))
            continue
        if operator in ("answered", "not_answered"):
            parts.append({"question": ref, "answered": operator == "answered"})
            continue
        kind = target["type"]
        if kind == "file":
            errors.add(f"{key}-operator", _("A file question can only be compared with 'is answered'."))
            continue
        if (operator == "contains") != (kind == "multiple_choice"):
            errors.add(
                f"{key}-operator",
                _("Use 'contains' for a multiple-choice question, and only for one."),
            )
            continue
        value = _condition_value(fields, n, target, errors)
        if value is not None:
            parts.append({"question": ref, operator: value})
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    join = _one(fields, "cond-join")
    return {join if join in JOINS else "all": parts}


def _condition_value(fields: Mapping[str, Any], n: int, target: Mapping[str, Any], errors: _Errors) -> Any:
    key = f"cond-{n}"
    kind = target["type"]
    choice, text = _one(fields, f"{key}-choice"), _one(fields, f"{key}-text")
    if kind in CHOICE_TYPES:
        values = {o["value"] for o in target.get("options") or ()}
        if choice not in values:
            errors.add(
                f"{key}-choice", _("Choose one of the options of the question '%(label)s'.", label=target["label"])
            )
            return None
        return choice
    if kind == "yes_no":
        if choice not in ("yes", "no"):
            errors.add(f"{key}-choice", _("Choose yes or no."))
            return None
        return choice == "yes"
    if kind in NUMERIC_TYPES:
        try:
            number = parse_number(text)
        except FieldError:
            errors.add(f"{key}-text", _("Write the number to compare with."))
            return None
        return int(number) if number == number.to_integral_value() else float(number)
    if not text:
        errors.add(f"{key}-text", _("Write the answer to compare with."))
        return None
    return text


def _earlier_questions(definition: Mapping[str, Any], *, step_id: str, question_id: str | None) -> list[dict[str, Any]]:
    """The questions before a question (or before a whole step when question_id is None) that a condition may name."""
    found = []
    for step in definition.get("steps") or ():
        if question_id is None and step.get("id") == step_id:
            return found
        for question in step.get("questions") or ():
            if question.get("id") == question_id:
                return found
            if question.get("type") != "info":
                found.append(question)
    return found


def condition_questions(
    definition: Mapping[str, Any], *, step_id: str, question_id: str | None = None, new: bool = False
) -> list[dict[str, Any]]:
    """The questions a condition of this question (or step) may name, for the editor's select."""
    if new and question_id is None:
        # A new question goes last in its step: every question before it in the form.
        found = []
        for step in definition.get("steps") or ():
            found.extend(q for q in step.get("questions") or () if q.get("type") != "info")
            if step.get("id") == step_id:
                break
        return found
    return _earlier_questions(definition, step_id=step_id, question_id=question_id)


def number_questions(definition: Mapping[str, Any], *, exclude: str | None = None) -> list[dict[str, Any]]:
    """The questions a formula may use."""
    return [
        q
        for s in definition.get("steps") or ()
        for q in s.get("questions") or ()
        if q.get("type") in NUMERIC_TYPES and q.get("id") != exclude
    ]


# --- steps and questions from fields ------------------------------------------------------------


def step_from_fields(
    fields: Mapping[str, Any], definition: Mapping[str, Any], *, current: Mapping[str, Any] | None
) -> dict[str, Any]:
    """A step (without its questions) from the editor's fields; Invalid names each bad field."""
    errors = _Errors()
    title = _one(fields, "title")
    if not title:
        errors.add("title", _("Write the title of the step."))
    step_id = _item_id(
        fields,
        errors,
        label=title or "steg",
        current=current.get("id") if current else None,
        taken=_step_ids(definition),
        prefix="steg",
    )
    step: dict[str, Any] = {"id": step_id, "title": title}
    description = _one(fields, "description")
    if description:
        step["description"] = description
    if current is not None:
        condition = _condition_from_fields(
            fields, errors, _earlier_questions(definition, step_id=current["id"], question_id=None)
        )
    else:
        condition = _condition_from_fields(fields, errors, condition_questions(definition, step_id="", new=True))
    if condition is not None:
        step["visible_if"] = condition
    errors.raise_if_any()
    return step


def question_from_fields(
    fields: Mapping[str, Any],
    definition: Mapping[str, Any],
    *,
    step_id: str,
    current: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """A question from the editor's fields; Invalid names each bad field."""
    errors = _Errors()
    kind = _one(fields, "type")
    if kind not in QUESTION_TYPES:
        errors.add("type", _("Choose the type of the question."))
        errors.raise_if_any()
    label = _one(fields, "label")
    if not label:
        errors.add("label", _("Write the question (its label)."))
    taken = [i for i in _question_ids(definition)]
    question_id = _item_id(
        fields,
        errors,
        label=label or "fraga",
        current=current.get("id") if current else None,
        taken=taken,
        prefix="fraga",
    )
    question: dict[str, Any] = {"id": question_id, "type": kind, "label": label}
    help_text = _one(fields, "help")
    if help_text:
        question["help"] = help_text
    if kind not in NO_INPUT_TYPES and _checked(fields, "required"):
        question["required"] = True
    if kind in CHOICE_TYPES:
        options = _options(fields, errors)
        if not options:
            errors.add("option-1-label", _("A choice question needs at least one option."))
        question["options"] = options
    if kind == "single_choice":
        display = _one(fields, "display")
        question["display"] = display if display in ("radio", "select") else "radio"
    if kind == "info":
        text = _one(fields, "text")
        if text:
            question["text"] = text
    if kind == "computed":
        formula = _one(fields, "formula")
        if not formula:
            errors.add("formula", _("Write the formula."))
        else:
            try:
                formula_names(formula)
            except FormulaError as error:
                errors.add("formula", error.message)
            question["formula"] = formula
    validation = _validation_from_fields(fields, kind, errors)
    if validation:
        question["validation"] = validation
    if kind == "file":
        limits = _file_limits(fields, errors)
        if limits:
            question["file"] = limits
    if current is not None:
        earlier = _earlier_questions(definition, step_id=step_id, question_id=current["id"])
    else:
        earlier = condition_questions(definition, step_id=step_id, new=True)
    condition = _condition_from_fields(fields, errors, earlier)
    if condition is not None:
        question["visible_if"] = condition
    errors.raise_if_any()
    return question


def _validation_from_fields(fields: Mapping[str, Any], kind: str, errors: _Errors) -> dict[str, Any]:
    rules: dict[str, Any] = {}
    if kind in TEXT_TYPES:
        rules["min_length"] = _whole(fields, "v-min_length", errors)
        rules["max_length"] = _whole(fields, "v-max_length", errors, minimum=1)
        pattern = _one(fields, "v-pattern")
        if pattern:
            if len(pattern) > 500:
                errors.add("v-pattern", _("The pattern can be at most 500 characters."))
            else:
                try:
                    re.compile(pattern)
                    rules["pattern"] = pattern
                except re.error as error:
                    errors.add(
                        "v-pattern", _("The pattern is not a valid regular expression (%(error)s).", error=str(error))
                    )
        message = _one(fields, "v-pattern_message")
        if message and pattern:
            rules["pattern_message"] = message
        _order(rules, "min_length", "max_length", errors, "v-max_length")
    elif kind == "number":
        rules["min"] = _number(fields, "v-min", errors)
        rules["max"] = _number(fields, "v-max", errors)
        decimals = _whole(fields, "v-decimals", errors)
        if decimals is not None and decimals > 10:
            errors.add("v-decimals", _("At most 10 decimals."))
            decimals = None
        rules["decimals"] = decimals
        _order(rules, "min", "max", errors, "v-max")
    elif kind == "date":
        rules["min"] = _date_limit(fields, "v-date_min", errors)
        rules["max"] = _date_limit(fields, "v-date_max", errors)
        low, high = rules["min"], rules["max"]
        if low and high and "today" not in (low, high) and low > high:
            errors.add("v-date_max", _("The latest date is before the earliest."))
    elif kind == "multiple_choice":
        rules["min_choices"] = _whole(fields, "v-min_choices", errors)
        rules["max_choices"] = _whole(fields, "v-max_choices", errors, minimum=1)
        _order(rules, "min_choices", "max_choices", errors, "v-max_choices")
    return {key: value for key, value in rules.items() if value is not None}


def _order(rules: dict[str, Any], low_key: str, high_key: str, errors: _Errors, field_key: str) -> None:
    low, high = rules.get(low_key), rules.get(high_key)
    if low is not None and high is not None and low > high:
        errors.add(field_key, _("The largest value is smaller than the smallest."))


def _file_limits(fields: Mapping[str, Any], errors: _Errors) -> dict[str, Any]:
    limits: dict[str, Any] = {}
    size = _number(fields, "file-max_size_mb", errors)
    if size is not None:
        if size <= 0:
            errors.add("file-max_size_mb", _("Enter a size larger than 0."))
        else:
            limits["max_size_mb"] = size
    count = _whole(fields, "file-max_files", errors, minimum=1)
    if count is not None:
        limits["max_files"] = count
    types = [t for t in _many(fields, "file-content_types") if t in FILE_TYPE_NAMES]
    if types:
        limits["content_types"] = list(dict.fromkeys(types))
    return limits


# --- changing steps and questions ------------------------------------------------------------------


def _refuse_own_problems(definition: Mapping[str, Any], *, question_id: str | None, step_id: str | None) -> None:
    """Refuse a change that gives the changed item itself a problem; others' problems wait for publication."""
    problems = check_definition(definition)
    own = [
        p
        for p in problems
        if (question_id is not None and p.question_id == question_id)
        or (question_id is None and step_id is not None and p.step_id == step_id and p.question_id is None)
    ]
    if own:
        raise Invalid(" ".join(p.message for p in own), errors={"definition": " ".join(p.message for p in own)})


def _save(version: EServiceVersion, definition: dict[str, Any]) -> None:
    version.definition = definition  # a new object, so the JSON column sees the change
    db.session.flush()


def _rename_refs(definition: dict[str, Any], old: str, new: str) -> None:
    """A question's new id replaces the old one in every condition that names it."""
    items = list(definition.get("steps") or ())
    items += [q for s in definition.get("steps") or () for q in s.get("questions") or ()]
    for item in items:
        for comparison in iter_comparisons(item.get("visible_if")):
            if comparison.get("question") == old:
                comparison["question"] = new  # type: ignore[index]


@transactional
def add_step(eservice_id: int, version_id: int, fields: Mapping[str, Any], *, actor: StaffUser) -> Edit:
    """Add a step at the end of the form."""
    version, forked, source = _editable(eservice_id, version_id, actor)
    definition = copy.deepcopy(version.definition)
    step = step_from_fields(fields, definition, current=None)
    step["questions"] = []
    definition.setdefault("steps", []).append(step)
    _refuse_own_problems(definition, question_id=None, step_id=step["id"])
    _save(version, definition)
    record_config_change(
        "config_form_step_created", user=actor, obj=version, before=None, after=_without_questions(step)
    )
    return Edit(version, forked, step["id"], source)


def _without_questions(step: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in step.items() if k != "questions"}


@transactional
def update_step(
    eservice_id: int, version_id: int, step_id: str, fields: Mapping[str, Any], *, actor: StaffUser
) -> Edit:
    """Change a step's title, description, id or condition."""
    version, forked, source = _editable(eservice_id, version_id, actor)
    definition = copy.deepcopy(version.definition)
    step = _find_step(definition, step_id)
    before = _without_questions(step)
    changed = step_from_fields(fields, definition, current=step)
    questions = step["questions"]
    step.clear()
    step.update(changed)
    step["questions"] = questions
    _refuse_own_problems(definition, question_id=None, step_id=step["id"])
    _save(version, definition)
    record_config_change(
        "config_form_step_changed", user=actor, obj=version, before=before, after=_without_questions(step)
    )
    return Edit(version, forked, step["id"], source)


@transactional
def delete_step(eservice_id: int, version_id: int, step_id: str, *, actor: StaffUser) -> Edit:
    """Delete a step and its questions."""
    version, forked, source = _editable(eservice_id, version_id, actor)
    definition = copy.deepcopy(version.definition)
    step = _find_step(definition, step_id)
    if len(definition["steps"]) == 1:
        raise Invalid(_("A form needs at least one step: add another before deleting this one."))
    definition["steps"].remove(step)
    _save(version, definition)
    record_config_change("config_form_step_deleted", user=actor, obj=version, before=step, after=None)
    return Edit(version, forked, step_id, source)


@transactional
def move_step(eservice_id: int, version_id: int, step_id: str, direction: str, *, actor: StaffUser) -> Edit:
    """Move a step one place up or down."""
    version, forked, source = _editable(eservice_id, version_id, actor)
    definition = copy.deepcopy(version.definition)
    steps = definition["steps"]
    step = _find_step(definition, step_id)
    index = steps.index(step)
    target = index - 1 if direction == UP else index + 1
    if direction not in (UP, DOWN) or not 0 <= target < len(steps):
        return Edit(version, forked, step_id, source)
    steps.insert(target, steps.pop(index))
    _save(version, definition)
    record_config_change(
        "config_form_step_moved",
        user=actor,
        obj=version,
        before={"step": step_id, "position": index + 1},
        after={"step": step_id, "position": target + 1},
    )
    return Edit(version, forked, step_id, source)


@transactional
def add_question(
    eservice_id: int, version_id: int, step_id: str, fields: Mapping[str, Any], *, actor: StaffUser
) -> Edit:
    """Add a question at the end of a step."""
    version, forked, source = _editable(eservice_id, version_id, actor)
    definition = copy.deepcopy(version.definition)
    step = _find_step(definition, step_id)
    question = question_from_fields(fields, definition, step_id=step_id, current=None)
    step.setdefault("questions", []).append(question)
    _refuse_own_problems(definition, question_id=question["id"], step_id=step_id)
    _save(version, definition)
    record_config_change(
        "config_form_question_created", user=actor, obj=version, before=None, after={"step": step_id, **question}
    )
    return Edit(version, forked, question["id"], source)


@transactional
def update_question(
    eservice_id: int, version_id: int, question_id: str, fields: Mapping[str, Any], *, actor: StaffUser
) -> Edit:
    """Change a question: its type, text, options, validation, condition or formula."""
    version, forked, source = _editable(eservice_id, version_id, actor)
    definition = copy.deepcopy(version.definition)
    step, question = _find_question(definition, question_id)
    before = copy.deepcopy(question)
    changed = question_from_fields(fields, definition, step_id=step["id"], current=question)
    question.clear()
    question.update(changed)
    if changed["id"] != question_id:
        _rename_refs(definition, question_id, changed["id"])
    _refuse_own_problems(definition, question_id=changed["id"], step_id=step["id"])
    _save(version, definition)
    record_config_change("config_form_question_changed", user=actor, obj=version, before=before, after=changed)
    return Edit(version, forked, changed["id"], source)


@transactional
def delete_question(eservice_id: int, version_id: int, question_id: str, *, actor: StaffUser) -> Edit:
    """Delete a question (conditions or formulas naming it are then listed as problems)."""
    version, forked, source = _editable(eservice_id, version_id, actor)
    definition = copy.deepcopy(version.definition)
    step, question = _find_question(definition, question_id)
    step["questions"].remove(question)
    _save(version, definition)
    record_config_change(
        "config_form_question_deleted",
        user=actor,
        obj=version,
        before={"step": step["id"], **question},
        after=None,
    )
    return Edit(version, forked, question_id, source)


@transactional
def move_question(eservice_id: int, version_id: int, question_id: str, direction: str, *, actor: StaffUser) -> Edit:
    """Move a question one place up or down; past the first or last of its step it moves to the next step."""
    version, forked, source = _editable(eservice_id, version_id, actor)
    definition = copy.deepcopy(version.definition)
    steps = definition["steps"]
    step, question = _find_question(definition, question_id)
    step_index = steps.index(step)
    index = step["questions"].index(question)
    before = {"step": step["id"], "position": index + 1}
    if direction == UP and index > 0:
        step["questions"].insert(index - 1, step["questions"].pop(index))
        target_step = step
    elif direction == DOWN and index < len(step["questions"]) - 1:
        step["questions"].insert(index + 1, step["questions"].pop(index))
        target_step = step
    elif direction == UP and step_index > 0:
        step["questions"].pop(index)
        target_step = steps[step_index - 1]
        target_step.setdefault("questions", []).append(question)
    elif direction == DOWN and step_index < len(steps) - 1:
        step["questions"].pop(index)
        target_step = steps[step_index + 1]
        target_step.setdefault("questions", []).insert(0, question)
    else:
        return Edit(version, forked, question_id, source)
    _save(version, definition)
    record_config_change(
        "config_form_question_moved",
        user=actor,
        obj=version,
        before=before,
        after={"step": target_step["id"], "position": target_step["questions"].index(question) + 1},
    )
    return Edit(version, forked, question_id, source)
