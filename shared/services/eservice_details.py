"""The details a builder sets on one e-service besides its form and statuses.

Colour legend (F-ES-10), summary fields (F-ES-11), Excel columns (F-ES-12), message
templates (F-ES-13), automatic assignment rules with the default handler/group (F-ES-9)
and the personal-data (GDPR) texts shown to applicants (F-ES-6).

Questions are offered from the e-service's current version (the newest published one,
else the newest draft) and named by their labels; a choice kept from an older version
stays until the builder removes it (the case list and export skip what a case's version
lacks). Every change checks that the actor is a builder, validates with Swedish messages
per field (``Invalid.errors``) and is written to the audit log with before and after.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from shared.db import db, transactional
from shared.errors import Invalid, NotFound
from shared.forms import iter_questions, summarize
from shared.models import (
    AssignmentRule,
    Case,
    ColourLabel,
    EService,
    EServiceVersion,
    HandlerGroup,
    LegalBasis,
    MessageTemplate,
    PersonalDataCategory,
    StaffUser,
    VersionState,
)
from shared.services import access, audit, catalogue, users
from shared.services.cases import SUMMARY_MAX
from shared.services.messages import MAX_BODY

# F-ES-10: the fixed palette (CSS colour names, so every screen can draw the swatch); the
# back office names each colour in words beside its swatch, never by colour alone.
COLOURS: tuple[str, ...] = ("green", "yellow", "red", "blue", "orange", "purple", "grey")
MAX_MEANING = 200
MAX_HEADING = 200
MAX_TEMPLATE_NAME = 200
MAX_SUMMARY_FIELDS = 10
MAX_GDPR_TEXT = 5000

# F-ES-9: questions whose answer is one of a fixed set; yes/no answers match "ja"/"nej"
# (shared.services.cases._answer_matches).
RULE_QUESTION_TYPES = frozenset({"single_choice", "multiple_choice", "yes_no"})
YES_NO_OPTIONS: tuple[tuple[str, Any], ...] = (("ja", _l("Yes")), ("nej", _l("No")))


# -- reading ---------------------------------------------------------------------------------


@dataclass
class QuestionChoice:
    """A question a builder may pick, named by its label (and its step's title)."""

    id: str
    label: str
    step: str
    type: str
    options: list[tuple[str, str]] = field(default_factory=list)  # (value, label)

    def option_label(self, value: str) -> str | None:
        return next((label for v, label in self.options if v == value), None)


def _eservice(eservice_id: int, actor: StaffUser | None) -> EService:
    access.require_builder(actor)
    eservice = db.session.get(EService, eservice_id)
    if eservice is None:
        raise NotFound(_("The e-service was not found."))
    return eservice


def _legend_eservice(eservice_id: int, actor: StaffUser | None) -> EService:
    # F-ES-10: the e-service's handlers set what its colours mean, as builders may.
    eservice = db.session.get(EService, eservice_id)
    if not access.may_edit_colour_legend(actor, eservice):
        access.require_builder(actor)  # the builder's refusal, in its words
    if eservice is None:
        raise NotFound(_("The e-service was not found."))
    return eservice


def colour_legend_eservice(eservice_id: int, *, actor: StaffUser | None) -> EService:
    """The e-service whose colour legend a builder or one of its handlers is editing; NotAllowed for others."""
    return _legend_eservice(eservice_id, actor)


def builder_eservice(eservice_id: int, *, actor: StaffUser | None) -> EService:
    """The e-service a builder is configuring; NotAllowed for others, NotFound if it does not exist."""
    return _eservice(eservice_id, actor)


def current_version(eservice: EService) -> EServiceVersion | None:
    """The version whose questions the builder chooses from: the newest published, else the newest draft."""
    versions = sorted(eservice.versions, key=lambda v: v.number, reverse=True)
    for state in (VersionState.PUBLISHED, VersionState.DRAFT):
        found = next((v for v in versions if v.state == state), None)
        if found is not None:
            return found
    return None


def question_choices(eservice: EService) -> list[QuestionChoice]:
    """Every answerable question of the current version in form order (info texts left out)."""
    version = current_version(eservice)
    if version is None:
        return []
    choices = []
    for step, question in iter_questions(version.definition or {}):
        kind = str(question.get("type") or "")
        if kind == "info" or not question.get("id"):
            continue
        if kind == "yes_no":
            options = [(value, str(label)) for value, label in YES_NO_OPTIONS]
        else:
            options = [
                (str(o.get("value")), str(o.get("label") or o.get("value"))) for o in question.get("options") or ()
            ]
        choices.append(
            QuestionChoice(
                id=str(question["id"]),
                label=str(question.get("label") or question["id"]).strip(),
                step=str(step.get("title") or step.get("id") or ""),
                type=kind,
                options=options,
            )
        )
    return choices


def rule_questions(eservice: EService) -> list[QuestionChoice]:
    """The choice questions of the current version (with their options) that a rule may test."""
    return [q for q in question_choices(eservice) if q.type in RULE_QUESTION_TYPES and q.options]


def _by_id(choices: Sequence[QuestionChoice]) -> dict[str, QuestionChoice]:
    return {q.id: q for q in choices}


def _invalid(field_name: str, message: str) -> Invalid:
    return Invalid(message, errors={field_name: message})


def _text(value: Any) -> str:
    return str(value or "").strip()


# -- colour legend (F-ES-10) -----------------------------------------------------------------


def _colour_state(label: ColourLabel) -> dict[str, Any]:
    return {"colour": label.colour, "meaning": label.meaning, "sort_order": label.sort_order}


def _clean_colour(eservice: EService, colour: str, meaning: str, *, label_id: int | None = None) -> tuple[str, str]:
    colour, meaning = _text(colour), _text(meaning)
    errors = {}
    if colour not in COLOURS:
        errors["colour"] = _("Choose one of the colours.")
    elif any(lbl.colour == colour and lbl.id != label_id for lbl in eservice.colour_labels):
        errors["colour"] = _("The e-service already has this colour. Choose another one or change the existing one.")
    if not meaning:
        errors["meaning"] = _("Write what the colour means.")
    elif len(meaning) > MAX_MEANING:
        errors["meaning"] = _("The meaning may be at most %(max)d characters.", max=MAX_MEANING)
    if errors:
        raise Invalid(_("The colour could not be saved."), errors=errors)
    return colour, meaning


def _child(items: Sequence[Any], item_id: int, not_found: str) -> Any:
    """The item with this id of one of the e-service's lists; NotFound with the given message if none."""
    found = next((each for each in items if each.id == item_id), None)
    if found is None:
        raise NotFound(not_found)
    return found


def _colour_label(eservice: EService, label_id: int) -> ColourLabel:
    return _child(eservice.colour_labels, label_id, _("The colour was not found."))


def colour_label(eservice_id: int, label_id: int, *, actor: StaffUser | None) -> ColourLabel:
    """One colour of the e-service's legend, for its edit form."""
    return _colour_label(_legend_eservice(eservice_id, actor), label_id)


@transactional
def add_colour_label(eservice_id: int, *, colour: str, meaning: str, actor: StaffUser) -> ColourLabel:
    """Add a colour and its meaning last in the e-service's colour legend."""
    eservice = _legend_eservice(eservice_id, actor)
    colour, meaning = _clean_colour(eservice, colour, meaning)
    order = max((lbl.sort_order for lbl in eservice.colour_labels), default=0) + 1
    label = ColourLabel(colour=colour, meaning=meaning, sort_order=order)
    eservice.colour_labels.append(label)
    db.session.flush()
    audit.record_config_change(
        "config_colour_created", user=actor, obj=eservice, before=None, after=_colour_state(label)
    )
    return label


@transactional
def change_colour_label(eservice_id: int, label_id: int, *, colour: str, meaning: str, actor: StaffUser) -> ColourLabel:
    """Change a colour of the legend or what it means."""
    eservice = _legend_eservice(eservice_id, actor)
    label = _colour_label(eservice, label_id)
    colour, meaning = _clean_colour(eservice, colour, meaning, label_id=label.id)
    before = _colour_state(label)
    label.colour, label.meaning = colour, meaning
    db.session.flush()
    audit.record_config_change(
        "config_colour_changed", user=actor, obj=eservice, before=before, after=_colour_state(label)
    )
    return label


def _move(items: list[Any], item: Any, up: bool) -> bool:
    """Swap the item with its neighbour and number every item's sort_order 1…n; False at an end."""
    index = items.index(item)
    other = index - 1 if up else index + 1
    if not 0 <= other < len(items):
        return False
    items[index], items[other] = items[other], items[index]
    for order, each in enumerate(items, start=1):
        each.sort_order = order
    return True


def _reorder(eservice: EService, relation: str, item: Any, *, up: bool, describe, event: str, actor: StaffUser):
    """Move an item of one of the e-service's ordered lists (colour legend, assignment rules) a
    place up or down, and record the order before and after (each item as ``describe`` names it)."""
    items = sorted(getattr(eservice, relation), key=lambda each: (each.sort_order, each.id))
    before = [describe(each) for each in items]
    if _move(items, item, up):
        db.session.flush()
        db.session.expire(eservice, [relation])
        audit.record_config_change(
            event,
            user=actor,
            obj=eservice,
            before={"order": before},
            after={"order": [describe(each) for each in items]},
        )


@transactional
def move_colour_label(eservice_id: int, label_id: int, *, up: bool, actor: StaffUser) -> ColourLabel:
    """Move a colour one place up or down in the legend."""
    eservice = _legend_eservice(eservice_id, actor)
    label = _colour_label(eservice, label_id)
    _reorder(
        eservice,
        "colour_labels",
        label,
        up=up,
        describe=lambda lbl: lbl.colour,
        event="config_colour_legend_reordered",
        actor=actor,
    )
    return label


@transactional
def delete_colour_label(eservice_id: int, label_id: int, *, actor: StaffUser) -> None:
    """Remove a colour from the legend (cases marked with it keep the mark, without a meaning)."""
    eservice = _legend_eservice(eservice_id, actor)
    label = _colour_label(eservice, label_id)
    before = _colour_state(label)
    eservice.colour_labels.remove(label)
    db.session.flush()
    audit.record_config_change("config_colour_deleted", user=actor, obj=eservice, before=before, after=None)


# -- summary fields (F-ES-11) and Excel columns (F-ES-12) ------------------------------------


def _check_question_ids(question_ids: Sequence[str], allowed: set[str], field_prefix: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    seen: set[str] = set()
    for index, question_id in enumerate(question_ids):
        if question_id not in allowed:
            errors[f"{field_prefix}-{index}"] = _("Choose one of the questions of the e-service.")
        elif question_id in seen:
            errors[f"{field_prefix}-{index}"] = _("The question has already been chosen.")
        seen.add(question_id)
    return errors


_SUMMARY_BATCH = 500


def _summary_text(definition: Mapping[str, Any], answers: Mapping[str, Any], fields: Sequence[str]) -> str | None:
    """The case list's description, written as the case services write it when a case is submitted."""
    text = " · ".join(f"{label}: {value}" for label, value in summarize(definition, answers, fields))
    return (text[: SUMMARY_MAX - 1] + "…" if len(text) > SUMMARY_MAX else text) or None


def _refresh_summaries(eservice: EService) -> None:
    """Write every case's description anew with the new summary fields, in batches (flushes, never commits)."""
    definitions = {v.id: v.definition or {} for v in eservice.versions}
    fields = list(eservice.summary_fields or [])
    last_id = 0
    while True:
        rows = db.session.execute(
            select(Case.id, Case.version_id, Case.answers, Case.summary)
            .where(Case.eservice_id == eservice.id, Case.id > last_id)
            .order_by(Case.id)
            .limit(_SUMMARY_BATCH)
        ).all()
        if not rows:
            return
        changes = []
        for case_id, version_id, answers, old in rows:
            new = _summary_text(definitions.get(version_id) or {}, answers or {}, fields)
            if new != old:
                changes.append({"id": case_id, "summary": new})
        if changes:
            db.session.execute(update(Case), changes)
        last_id = rows[-1][0]


@transactional
def set_summary_fields(eservice_id: int, question_ids: Sequence[str], *, actor: StaffUser) -> EService:
    """Choose, in order, which answers describe a case in the case list and on its header (existing cases too)."""
    eservice = _eservice(eservice_id, actor)
    ids = [_text(q) for q in question_ids]
    # A field kept from an older version may stay; a new one must be a question of the current version.
    allowed = {q.id for q in question_choices(eservice)} | set(eservice.summary_fields or [])
    errors = _check_question_ids(ids, allowed, "field")
    if len(ids) > MAX_SUMMARY_FIELDS:
        errors["question"] = _("Choose at most %(max)d summary fields.", max=MAX_SUMMARY_FIELDS)
    if errors:
        raise Invalid(_("The summary fields could not be saved."), errors=errors)
    before = list(eservice.summary_fields or [])
    eservice.summary_fields = ids
    if ids != before:
        _refresh_summaries(eservice)
    audit.record_config_change(
        "config_summary_fields_changed",
        user=actor,
        obj=eservice,
        before={"summary_fields": before},
        after={"summary_fields": ids},
    )
    return eservice


@transactional
def set_excel_columns(eservice_id: int, columns: Sequence[tuple[str, str]], *, actor: StaffUser) -> EService:
    """Choose which questions become Excel columns, in order, and their headings (none: every question)."""
    eservice = _eservice(eservice_id, actor)
    choices = _by_id(question_choices(eservice))
    kept = {str(item.get("question")) for item in eservice.excel_columns or []}
    ids = [_text(question_id) for question_id, _heading in columns]
    errors = _check_question_ids(ids, set(choices) | kept, "question")
    cleaned = []
    for index, (question_id, heading) in enumerate(columns):
        heading = _text(heading)
        if not heading:
            question = choices.get(_text(question_id))
            heading = question.label if question else ""
        if not heading:
            errors[f"heading-{index}"] = _("Write a heading.")
        elif len(heading) > MAX_HEADING:
            errors[f"heading-{index}"] = _("The heading may be at most %(max)d characters.", max=MAX_HEADING)
        cleaned.append({"question": _text(question_id), "heading": heading})
    if errors:
        raise Invalid(_("The Excel columns could not be saved."), errors=errors)
    before = list(eservice.excel_columns or [])
    eservice.excel_columns = cleaned
    audit.record_config_change(
        "config_excel_columns_changed",
        user=actor,
        obj=eservice,
        before={"excel_columns": before},
        after={"excel_columns": cleaned},
    )
    return eservice


# -- message templates (F-ES-13) -------------------------------------------------------------


def _template_state(template: MessageTemplate) -> dict[str, Any]:
    return {"name": template.name, "body": template.body}


def _template(eservice: EService, template_id: int) -> MessageTemplate:
    return _child(eservice.message_templates, template_id, _("The message template was not found."))


def message_template(eservice_id: int, template_id: int, *, actor: StaffUser | None) -> MessageTemplate:
    """One message template of the e-service, for its edit form."""
    return _template(_eservice(eservice_id, actor), template_id)


def _clean_template(eservice: EService, name: str, body: str, *, template_id: int | None = None) -> tuple[str, str]:
    name, body = _text(name), str(body or "").replace("\r\n", "\n").strip()
    errors = {}
    if not name:
        errors["name"] = _("Write a name for the template.")
    elif len(name) > MAX_TEMPLATE_NAME:
        errors["name"] = _("The name may be at most %(max)d characters.", max=MAX_TEMPLATE_NAME)
    elif any(t.name.casefold() == name.casefold() and t.id != template_id for t in eservice.message_templates):
        errors["name"] = _("The e-service already has a template with this name.")
    if not body:
        errors["body"] = _("Write the text of the template.")
    elif len(body) > MAX_BODY:
        errors["body"] = _("The text may be at most %(max)d characters.", max=MAX_BODY)
    if errors:
        raise Invalid(_("The message template could not be saved."), errors=errors)
    return name, body


@transactional
def add_message_template(eservice_id: int, *, name: str, body: str, actor: StaffUser) -> MessageTemplate:
    """Add a ready text that handlers can start a message to the applicant from."""
    eservice = _eservice(eservice_id, actor)
    name, body = _clean_template(eservice, name, body)
    template = MessageTemplate(name=name, body=body)
    eservice.message_templates.append(template)
    db.session.flush()
    audit.record_config_change(
        "config_message_template_created", user=actor, obj=template, before=None, after=_template_state(template)
    )
    return template


@transactional
def change_message_template(
    eservice_id: int, template_id: int, *, name: str, body: str, actor: StaffUser
) -> MessageTemplate:
    """Change a message template's name or text (messages already sent keep their text)."""
    eservice = _eservice(eservice_id, actor)
    template = _template(eservice, template_id)
    name, body = _clean_template(eservice, name, body, template_id=template.id)
    before = _template_state(template)
    template.name, template.body = name, body
    db.session.flush()
    audit.record_config_change(
        "config_message_template_changed", user=actor, obj=template, before=before, after=_template_state(template)
    )
    return template


@transactional
def delete_message_template(eservice_id: int, template_id: int, *, actor: StaffUser) -> None:
    """Remove a message template (messages sent from it keep their text)."""
    eservice = _eservice(eservice_id, actor)
    template = _template(eservice, template_id)
    before = _template_state(template)
    audit.record_config_change("config_message_template_deleted", user=actor, obj=template, before=before, after=None)
    eservice.message_templates.remove(template)
    db.session.flush()


# -- automatic assignment (F-ES-9) -----------------------------------------------------------


@dataclass
class AssignmentChoices:
    """What a rule may name: the choice questions of the current version, the handlers and groups."""

    questions: list[QuestionChoice]
    handlers: list[StaffUser]
    groups: list[HandlerGroup]


def assignment_choices(eservice: EService) -> AssignmentChoices:
    """The questions, handlers and groups a builder may choose for the e-service's rules."""
    return AssignmentChoices(
        questions=rule_questions(eservice),
        handlers=users.handlers_for_eservice(eservice.id),
        groups=users.groups_for_eservice(eservice.id),
    )


def _rule_state(rule: AssignmentRule) -> dict[str, Any]:
    return {
        "question": rule.question_id,
        "answer": rule.answer_value,
        "handler": rule.user.username if rule.user else None,
        "group": rule.group.name if rule.group else None,
        "sort_order": rule.sort_order,
    }


def _rule(eservice: EService, rule_id: int) -> AssignmentRule:
    return _child(eservice.assignment_rules, rule_id, _("The assignment rule was not found."))


def assignment_rule(eservice_id: int, rule_id: int, *, actor: StaffUser | None) -> AssignmentRule:
    """One assignment rule of the e-service, for its edit form."""
    return _rule(_eservice(eservice_id, actor), rule_id)


def _parse_id(value: Any) -> int | None:
    text = _text(value)
    return int(text) if text.isdigit() and len(text) < 10 else None


def _assignees(
    eservice: EService, choices: AssignmentChoices, user_id: Any, group_id: Any, errors: dict[str, str]
) -> tuple[StaffUser | None, HandlerGroup | None]:
    person = group = None
    if _text(user_id):
        person = next((u for u in choices.handlers if u.id == _parse_id(user_id)), None)
        if person is None:
            errors["user_id"] = _("Choose one of the e-service's handlers.")
    if _text(group_id):
        group = next((g for g in choices.groups if g.id == _parse_id(group_id)), None)
        if group is None:
            errors["group_id"] = _("Choose one of the e-service's handler groups.")
    return person, group


def _clean_rule(
    eservice: EService, question_id: str, answer_value: str, user_id: Any, group_id: Any, *, rule_id: int | None = None
) -> tuple[str, str, StaffUser | None, HandlerGroup | None]:
    choices = assignment_choices(eservice)
    question_id, answer_value = _text(question_id), _text(answer_value)
    errors: dict[str, str] = {}
    question = _by_id(choices.questions).get(question_id)
    if question is None:
        errors["question"] = _("Choose a question.")
    elif question.option_label(answer_value) is None:
        errors["answer"] = _("Choose one of the answers of the question %(question)s.", question=question.label)
    elif any(
        r.question_id == question_id and r.answer_value == answer_value and r.id != rule_id
        for r in eservice.assignment_rules
    ):
        errors["answer"] = _("There is already a rule for this answer.")
    person, group = _assignees(eservice, choices, user_id, group_id, errors)
    if person is None and group is None and not ({"user_id", "group_id"} & errors.keys()):
        errors["user_id"] = _("Choose a handler, a group or both.")
    if errors:
        raise Invalid(_("The assignment rule could not be saved."), errors=errors)
    return question_id, answer_value, person, group


@transactional
def add_assignment_rule(
    eservice_id: int, *, question_id: str, answer_value: str, user_id: Any, group_id: Any, actor: StaffUser
) -> AssignmentRule:
    """Add a rule "if question Q has answer A, assign handler H and/or group G", tried last."""
    eservice = _eservice(eservice_id, actor)
    question_id, answer_value, person, group = _clean_rule(eservice, question_id, answer_value, user_id, group_id)
    order = max((r.sort_order for r in eservice.assignment_rules), default=0) + 1
    rule = AssignmentRule(
        question_id=question_id, answer_value=answer_value, user=person, group=group, sort_order=order
    )
    eservice.assignment_rules.append(rule)
    db.session.flush()
    audit.record_config_change(
        "config_assignment_rule_created", user=actor, obj=eservice, before=None, after=_rule_state(rule)
    )
    return rule


@transactional
def change_assignment_rule(
    eservice_id: int,
    rule_id: int,
    *,
    question_id: str,
    answer_value: str,
    user_id: Any,
    group_id: Any,
    actor: StaffUser,
) -> AssignmentRule:
    """Change what an assignment rule tests or whom it assigns."""
    eservice = _eservice(eservice_id, actor)
    rule = _rule(eservice, rule_id)
    question_id, answer_value, person, group = _clean_rule(
        eservice, question_id, answer_value, user_id, group_id, rule_id=rule.id
    )
    before = _rule_state(rule)
    rule.question_id, rule.answer_value, rule.user, rule.group = question_id, answer_value, person, group
    db.session.flush()
    audit.record_config_change(
        "config_assignment_rule_changed", user=actor, obj=eservice, before=before, after=_rule_state(rule)
    )
    return rule


@transactional
def move_assignment_rule(eservice_id: int, rule_id: int, *, up: bool, actor: StaffUser) -> AssignmentRule:
    """Move a rule one place up or down: the first rule that matches decides."""
    eservice = _eservice(eservice_id, actor)
    rule = _rule(eservice, rule_id)
    _reorder(
        eservice,
        "assignment_rules",
        rule,
        up=up,
        describe=lambda r: f"{r.question_id}={r.answer_value}",
        event="config_assignment_rules_reordered",
        actor=actor,
    )
    return rule


@transactional
def delete_assignment_rule(eservice_id: int, rule_id: int, *, actor: StaffUser) -> None:
    """Remove an assignment rule."""
    eservice = _eservice(eservice_id, actor)
    rule = _rule(eservice, rule_id)
    before = _rule_state(rule)
    eservice.assignment_rules.remove(rule)
    db.session.flush()
    audit.record_config_change("config_assignment_rule_deleted", user=actor, obj=eservice, before=before, after=None)


@transactional
def set_default_assignment(eservice_id: int, *, user_id: Any, group_id: Any, actor: StaffUser) -> EService:
    """Choose whom a new case goes to when no rule matches (a handler, a group, both or nobody)."""
    eservice = _eservice(eservice_id, actor)
    errors: dict[str, str] = {}
    person, group = _assignees(eservice, assignment_choices(eservice), user_id, group_id, errors)
    if errors:
        raise Invalid(_("The default assignment could not be saved."), errors=errors)
    before = {
        "default_handler": eservice.default_handler.username if eservice.default_handler else None,
        "default_group": eservice.default_group.name if eservice.default_group else None,
    }
    eservice.default_handler, eservice.default_group = person, group
    db.session.flush()
    audit.record_config_change(
        "config_default_assignment_changed",
        user=actor,
        obj=eservice,
        before=before,
        after={"default_handler": person.username if person else None, "default_group": group.name if group else None},
    )
    return eservice


# -- personal data (GDPR, F-ES-6) ------------------------------------------------------------

GDPR_FIELDS = (
    "gdpr_categories",
    "gdpr_extra_categories",
    "gdpr_purpose",
    "gdpr_legal_bases",
    "gdpr_retention",
    "controller_name",
    "controller_email",
    "complaint_text",
)


@dataclass
class PersonalDataForm:
    """The GDPR settings as typed: own texts only count when "own text" is chosen."""

    categories: list[str] = field(default_factory=list)
    extra_categories: str = ""
    own_purpose: bool = False
    purpose: str = ""
    legal_bases: list[str] = field(default_factory=list)
    retention: str = ""
    controller_name: str = ""
    controller_email: str = ""
    own_complaint: bool = False
    complaint_text: str = ""

    @classmethod
    def of(cls, eservice: EService) -> PersonalDataForm:
        """The form filled in from the e-service's saved settings."""
        return cls(
            categories=list(eservice.gdpr_categories or []),
            extra_categories=eservice.gdpr_extra_categories or "",
            own_purpose=eservice.gdpr_purpose is not None,
            purpose=eservice.gdpr_purpose or "",
            legal_bases=list(eservice.gdpr_legal_bases or []),
            retention=eservice.gdpr_retention or "",
            controller_name=eservice.controller_name or "",
            controller_email=eservice.controller_email or "",
            own_complaint=eservice.complaint_text is not None,
            complaint_text=eservice.complaint_text or "",
        )


def _multiline(value: str) -> str:
    return str(value or "").replace("\r\n", "\n").strip()


def _gdpr_values(form: PersonalDataForm, errors: dict[str, str] | None) -> dict[str, Any]:
    """The columns' values from the form; with ``errors`` given, every rule is checked into it."""
    check = errors is not None
    errors = errors if errors is not None else {}
    categories = [c.value for c in PersonalDataCategory if c.value in set(form.categories)]
    bases = [b.value for b in LegalBasis if b.value in set(form.legal_bases)]
    if set(form.categories) - set(categories):
        errors["categories"] = _("Choose among the listed kinds of personal data.")
    if set(form.legal_bases) - set(bases):
        errors["legal_bases"] = _("Choose among the listed legal bases.")
    extra = _multiline(form.extra_categories) or None
    purpose = _multiline(form.purpose) if form.own_purpose else None
    complaint = _multiline(form.complaint_text) if form.own_complaint else None
    values = {
        "gdpr_categories": categories,
        "gdpr_extra_categories": extra,
        "gdpr_purpose": purpose or None,
        "gdpr_legal_bases": bases,
        "gdpr_retention": _multiline(form.retention) or None,
        "controller_name": _text(form.controller_name) or None,
        "controller_email": _text(form.controller_email) or None,
        "complaint_text": complaint or None,
    }
    if not check:
        return values
    if not categories and not extra:
        errors.setdefault("categories", _("Choose at least one kind of personal data, or write another kind."))
    if not bases:
        errors.setdefault("legal_bases", _("Choose at least one legal basis."))
    if not values["gdpr_retention"]:
        errors["retention"] = _("Write how long the personal data is kept.")
    if form.own_purpose and not purpose:
        errors["purpose"] = _("Write the purpose, or choose the standard text.")
    if form.own_complaint and not complaint:
        errors["complaint_text"] = _("Write the text about complaints, or choose the standard text.")
    for name, key in (
        ("extra_categories", "gdpr_extra_categories"),
        ("purpose", "gdpr_purpose"),
        ("retention", "gdpr_retention"),
        ("complaint_text", "complaint_text"),
    ):
        if values[key] and len(values[key]) > MAX_GDPR_TEXT:
            errors[name] = _("The text may be at most %(max)d characters.", max=MAX_GDPR_TEXT)
    if values["controller_name"] and len(values["controller_name"]) > 200:
        errors["controller_name"] = _("The name may be at most %(max)d characters.", max=200)
    if values["controller_email"]:
        try:
            values["controller_email"] = validate_email(
                values["controller_email"], check_deliverability=False
            ).normalized
        except EmailNotValidError:
            errors["controller_email"] = _("Enter a valid e-mail address.")
        if len(values["controller_email"]) > 320:
            errors["controller_email"] = _("Enter a valid e-mail address.")
    return values


def personal_data_preview(form: PersonalDataForm) -> catalogue.PersonalDataText:
    """The text applicants would see with these settings, by the portal's own function (nothing saved)."""
    return catalogue.personal_data_text(SimpleNamespace(**_gdpr_values(form, None)))  # type: ignore[arg-type]


@transactional
def update_personal_data(eservice_id: int, form: PersonalDataForm, *, actor: StaffUser) -> EService:
    """Save what the applicant is told about the processing of their personal data."""
    eservice = _eservice(eservice_id, actor)
    errors: dict[str, str] = {}
    values = _gdpr_values(form, errors)
    if errors:
        raise Invalid(_("The personal data settings could not be saved."), errors=errors)
    before = {name: getattr(eservice, name) for name in GDPR_FIELDS}
    before = {k: (list(v) if isinstance(v, list) else v) for k, v in before.items()}
    for name, value in values.items():
        setattr(eservice, name, value)
    db.session.flush()
    audit.record_config_change("config_personal_data_changed", user=actor, obj=eservice, before=before, after=values)
    return eservice


__all__ = [
    "COLOURS",
    "AssignmentChoices",
    "PersonalDataForm",
    "QuestionChoice",
    "add_assignment_rule",
    "add_colour_label",
    "add_message_template",
    "assignment_choices",
    "assignment_rule",
    "builder_eservice",
    "change_assignment_rule",
    "change_colour_label",
    "change_message_template",
    "colour_label",
    "current_version",
    "delete_assignment_rule",
    "delete_colour_label",
    "delete_message_template",
    "message_template",
    "move_assignment_rule",
    "move_colour_label",
    "personal_data_preview",
    "question_choices",
    "rule_questions",
    "set_default_assignment",
    "set_excel_columns",
    "set_summary_fields",
    "update_personal_data",
]
