"""Validating and normalising a set of answers against a form definition."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext

from shared import clock
from shared.errors import Invalid
from shared.forms.conditions import Condition, condition_holds, condition_refs
from shared.forms.fields import (
    FieldError,
    check_choice_count,
    clean_value,
    is_blank,
    required_message,
)
from shared.forms.formula import FormulaError, evaluate_formula, formula_names
from shared.forms.structure import (
    NO_INPUT_TYPES,
    Definition,
    Question,
    find_step,
    iter_questions,
    iter_steps,
)


@dataclass
class _Walk:
    """What one pass over the questions found."""

    visible: set[str] = field(default_factory=set)
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    computed: dict[str, Question] = field(default_factory=dict)

    def holds(self, condition: Condition | None) -> bool:
        """Say whether a condition holds; false when a question it names is hidden."""
        if condition is None:
            return True
        if not condition_refs(condition) <= self.visible:
            return False
        return condition_holds(condition, self.value)

    def value(self, question_id: str) -> Any:
        """Return the cleaned answer of a visible question, computing formulas on demand."""
        if question_id in self.computed:
            return self.computed_value(question_id, frozenset())
        return self.values.get(question_id)

    def computed_value(self, question_id: str, seen: frozenset[str]) -> int | float | None:
        """Compute a visible computed question from the answers found so far."""
        if question_id not in self.visible or question_id in seen:
            return None  # hidden, or a cycle in a definition that was never checked
        try:
            names = formula_names(self.computed[question_id].get("formula", ""))
            inputs = {name: self._number(name, seen | {question_id}) for name in names}
            return evaluate_formula(self.computed[question_id]["formula"], inputs)
        except FormulaError:
            return None

    def _number(self, name: str, seen: frozenset[str]) -> int | float | None:
        if name in self.computed:
            return self.computed_value(name, seen)
        value = self.values.get(name)
        is_number = isinstance(value, int | float) and not isinstance(value, bool)
        return value if is_number else None


def _walk(definition: Definition, raw: Mapping[str, Any], today: date) -> _Walk:
    """Decide visibility and clean every visible answer, in the order of the form."""
    walk = _Walk()
    walk.computed = {q["id"]: q for _step, q in iter_questions(definition) if q.get("type") == "computed"}
    for step in iter_steps(definition):
        step_visible = walk.holds(step.get("visible_if"))
        for question in step.get("questions") or ():
            question_id = question.get("id")
            # Conditions only name earlier questions, so their answers are known here.
            if not step_visible or not walk.holds(question.get("visible_if")):
                continue
            walk.visible.add(question_id)
            if question.get("type") in NO_INPUT_TYPES:
                continue
            value = _raw_value(raw, question_id)
            if is_blank(value):
                continue
            try:
                cleaned = clean_value(question, value, today=today)
            except FieldError as error:
                walk.errors[question_id] = error.message
                continue
            if cleaned is not None:
                walk.values[question_id] = cleaned
    # Formulas may use later answers, so they are computed once all answers are known.
    for question_id in walk.computed:
        computed = walk.computed_value(question_id, frozenset())
        if computed is not None:
            walk.values[question_id] = computed
    return walk


def _raw_value(raw: Mapping[str, Any], question_id: str) -> Any:
    """Return the raw answer; every value of a multi-valued form field, not just the first."""
    # A werkzeug MultiDict (request.form) gives only the first value through get(),
    # which would silently drop all but one choice of a multiple-choice question.
    getlist = getattr(raw, "getlist", None)
    if callable(getlist):
        values = getlist(question_id)
        return values[0] if len(values) == 1 else values
    return raw.get(question_id)


def _check_raw(raw: Any) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise Invalid(_("The answers could not be read."))
    return raw


def visible_question_ids(definition: Definition, answers: Mapping[str, Any], *, today: date | None = None) -> set[str]:
    """Return the ids of the questions shown for these answers (raw or cleaned)."""
    return _walk(definition, _check_raw(answers), today or clock.today()).visible


def clean_answers(
    definition: Definition,
    raw: Mapping[str, Any],
    *,
    partial: bool = False,
    step_id: str | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    """Validate answers and return them normalised; raise Invalid with every error at once."""
    # Hidden questions are dropped unread. `partial` (a saved draft) skips the required
    # checks; `step_id` validates and returns one step's questions, while conditions and
    # formulas still see every answer.
    raw = _check_raw(raw)
    if step_id is None:
        in_scope = {q.get("id") for _step, q in iter_questions(definition)}
    else:
        step = find_step(definition, step_id)
        if step is None:
            raise Invalid(_("The form has no step '%(step)s'.", step=step_id))
        in_scope = {q.get("id") for q in step.get("questions") or ()}
    walk = _walk(definition, raw, today or clock.today())

    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {}
    for _step, question in iter_questions(definition):
        question_id = question.get("id")
        if question_id not in in_scope or question_id not in walk.visible:
            continue
        if question_id in walk.errors:
            errors[question_id] = walk.errors[question_id]
        elif question_id in walk.values:
            cleaned[question_id] = walk.values[question_id]
        elif not partial:
            message = _missing_message(question)
            if message:
                errors[question_id] = message
    if errors:
        raise Invalid(
            ngettext(
                "There is %(num)d error in the form.",
                "There are %(num)d errors in the form.",
                len(errors),
            ),
            errors=errors,
        )
    return cleaned


def _missing_message(question: Question) -> str | None:
    """Return the error for a visible question left unanswered, if that is an error."""
    if question.get("type") in NO_INPUT_TYPES:
        return None
    if question.get("required"):
        return required_message(question)
    if question.get("type") == "multiple_choice":
        # min_choices of 1 or more makes an answer necessary, as the builder meant.
        try:
            check_choice_count(question, 0)
        except FieldError as error:
            return error.message
    return None
