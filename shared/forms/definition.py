"""Checking a form definition before it is saved, with problems that name the bad question."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from jsonschema import Draft202012Validator, ValidationError

from shared.errors import Invalid
from shared.forms.conditions import Condition, iter_comparisons
from shared.forms.fields import date_limit
from shared.forms.formula import FormulaError, formula_names
from shared.forms.schema import DEFINITION_SCHEMA
from shared.forms.structure import (
    CHOICE_TYPES,
    NUMERIC_TYPES,
    Definition,
    Question,
    Step,
    iter_questions,
)

_VALIDATOR = Draft202012Validator(DEFINITION_SCHEMA)
# Any fixed day will do: only the order of two fixed limits is checked.
_ANY_DAY = date(2000, 1, 1)


@dataclass(frozen=True)
class DefinitionProblem:
    """One problem in a definition, with the question or step it concerns."""

    question_id: str | None
    step_id: str | None
    message: str


def check_definition(definition: Any) -> list[DefinitionProblem]:
    """Return every problem of a definition (empty when it may be saved)."""
    problems = _schema_problems(definition)
    # The checks below read the structure, so they wait until the shape is right.
    if not problems:
        problems = _Checker(definition).problems()
    unique: dict[DefinitionProblem, None] = dict.fromkeys(problems)
    return list(unique)


def validate_definition(definition: Any) -> None:
    """Raise Invalid, naming every bad question, unless the definition may be saved."""
    problems = check_definition(definition)
    if not problems:
        return
    errors: dict[str, str] = {}
    for problem in problems:
        key = problem.question_id or problem.step_id or "definition"
        errors[key] = f"{errors[key]} {problem.message}" if key in errors else problem.message
    if len(problems) == 1:
        message = problems[0].message
    else:
        message = ngettext(
            "%(first)s (and %(num)d more problem)",
            "%(first)s (and %(num)d more problems)",
            len(problems) - 1,
            first=problems[0].message,
        )
    raise Invalid(message, errors=errors)


# --- the JSON schema ------------------------------------------------------------------


@dataclass
class _Place:
    """Where in a definition a schema error is."""

    step: Any = None
    step_number: int | None = None
    question: Any = None
    question_number: int | None = None
    rest: tuple[Any, ...] = ()

    @property
    def step_id(self) -> str | None:
        return _id_of(self.step)

    @property
    def question_id(self) -> str | None:
        return _id_of(self.question)


def _id_of(item: Any) -> str | None:
    if isinstance(item, Mapping) and isinstance(item.get("id"), str) and item["id"]:
        return str(item["id"])
    return None


def _locate(definition: Any, path: Sequence[Any]) -> _Place:
    place = _Place(rest=tuple(path))
    if len(path) >= 2 and path[0] == "steps" and isinstance(path[1], int):
        place.step, place.step_number, place.rest = definition["steps"][path[1]], path[1], tuple(path[2:])
        if len(path) >= 4 and path[2] == "questions" and isinstance(path[3], int):
            place.question = place.step["questions"][path[3]]
            place.question_number, place.rest = path[3], tuple(path[4:])
    return place


def _path_key(error: ValidationError) -> list[tuple[int, Any]]:
    return [(0, p) if isinstance(p, int) else (1, str(p)) for p in error.absolute_path]


def _schema_problems(definition: Any) -> list[DefinitionProblem]:
    problems = []
    for error in sorted(_VALIDATOR.iter_errors(definition), key=_path_key):
        place = _locate(definition, list(error.absolute_path))
        problems.append(_problem_at(place, _schema_message(error, place)))
    return problems


def _problem_at(place: _Place, problem: str) -> DefinitionProblem:
    """Prefix a problem with the question or step it concerns."""
    question_id, step_id = place.question_id, place.step_id
    if place.question_number is not None:
        if question_id:
            message = _("Question '%(id)s': %(problem)s", id=question_id, problem=problem)
        else:
            message = _(
                "Question %(number)d in step %(step)s: %(problem)s",
                number=place.question_number + 1,
                step=f"'{step_id}'" if step_id else str((place.step_number or 0) + 1),
                problem=problem,
            )
    elif place.step_number is not None:
        if step_id:
            message = _("Step '%(id)s': %(problem)s", id=step_id, problem=problem)
        else:
            message = _("Step %(number)d: %(problem)s", number=place.step_number + 1, problem=problem)
    else:
        message = _("The form: %(problem)s", problem=problem)
    return DefinitionProblem(question_id=question_id, step_id=step_id, message=message)


def _type_name(json_type: Any) -> str:
    names = {
        "string": _("a text"),
        "integer": _("a whole number"),
        "number": _("a number"),
        "boolean": _("true or false"),
        "array": _("a list"),
        "object": _("an object"),
    }
    types = json_type if isinstance(json_type, list) else [json_type]
    return " / ".join(names.get(str(t), str(t)) for t in types)


def _schema_message(error: ValidationError, place: _Place) -> str:
    """Say in the builder's words what a JSON schema error means."""
    fields = [p for p in place.rest if isinstance(p, str)]
    field = fields[-1] if fields else ""
    kind = error.validator
    instance = error.instance
    if kind == "required":
        missing = [f for f in error.validator_value if f not in instance]
        if "options" in missing:
            return _("a choice question needs options.")
        if "formula" in missing:
            return _("a computed question needs a formula.")
        return _("the field '%(field)s' is missing.", field="', '".join(missing))
    if kind == "additionalProperties":
        extra = sorted(set(instance) - set(error.schema.get("properties", {})))
        return _("the field '%(field)s' is unknown.", field="', '".join(map(str, extra)))
    if kind == "not":
        question_type = place.question.get("type") if isinstance(place.question, Mapping) else ""
        return _(
            "the field '%(field)s' does not belong to a question of type '%(type)s'.",
            field=field,
            type=question_type,
        )
    if kind == "enum" and field == "type" and len(fields) == 1:
        return _("unknown question type '%(type)s'.", type=instance)
    if kind in ("enum", "const") and field == "required":
        return _("an info text or a computed question cannot be required.")
    if kind == "enum":
        return _(
            "the field '%(field)s' must be one of %(values)s.",
            field=field,
            values=", ".join(map(str, error.validator_value)),
        )
    if kind == "type":
        if not field:
            return _("it must be %(type)s.", type=_type_name(error.validator_value))
        return _(
            "the field '%(field)s' must be %(type)s.",
            field=field,
            type=_type_name(error.validator_value),
        )
    if kind == "pattern" and field in ("id", "question"):
        return _(
            "'%(value)s' is not a valid id: use a–z, 0–9 and _, starting with a letter.",
            value=instance,
        )
    if kind == "pattern" and field == "content_types":
        return _("'%(value)s' is not a file type such as application/pdf.", value=instance)
    if kind == "minItems" and field == "options":
        return _("a choice question needs options.")
    if kind == "minItems" and field == "steps":
        return _("the form needs at least one step.")
    if kind == "minLength":
        return _("the field '%(field)s' is empty.", field=field)
    if kind == "anyOf" and "visible_if" in fields:
        return _("the condition (visible_if) is not written correctly.")
    if kind == "anyOf" and field in ("min", "max"):
        return _("the date limit '%(field)s' must be a date (YYYY-MM-DD) or \"today\".", field=field)
    return _("the field '%(field)s' has a value that is not allowed.", field=field)


# --- the rules a schema cannot say ----------------------------------------------------


@dataclass(frozen=True)
class _Entry:
    """A question with its place in the form."""

    question: Question
    step_index: int
    position: int


class _Checker:
    """Checks of a definition that already fits the schema."""

    def __init__(self, definition: Definition) -> None:
        self.definition = definition
        self.entries: dict[str, _Entry] = {}
        self.found: list[DefinitionProblem] = []

    def problems(self) -> list[DefinitionProblem]:
        self._check_ids()
        for step_index, step in enumerate(self.definition["steps"]):
            self._check_step_condition(step, step_index)
        for step, question in iter_questions(self.definition):
            self._check_question(step, question)
        self._check_formula_cycles()
        return self.found

    def _add(self, step: Step, question: Question | None, problem: str) -> None:
        if question is not None:
            message = _("Question '%(id)s': %(problem)s", id=question["id"], problem=problem)
        else:
            message = _("Step '%(id)s': %(problem)s", id=step["id"], problem=problem)
        question_id = question["id"] if question is not None else None
        self.found.append(DefinitionProblem(question_id, step["id"], message))

    def _check_ids(self) -> None:
        step_ids: set[str] = set()
        position = 0
        for step_index, step in enumerate(self.definition["steps"]):
            if step["id"] in step_ids:
                self._add(step, None, _("there is more than one step with this id."))
            step_ids.add(step["id"])
            for question in step["questions"]:
                if question["id"] in self.entries:
                    self._add(step, question, _("there is more than one question with this id."))
                else:
                    self.entries[question["id"]] = _Entry(question, step_index, position)
                position += 1

    def _is_duplicate(self, question: Question) -> bool:
        return self.entries[question["id"]].question is not question

    def _check_question(self, step: Step, question: Question) -> None:
        if self._is_duplicate(question):
            return  # its id already names another question; reported once
        add = lambda problem: self._add(step, question, problem)  # noqa: E731
        for problem in _option_problems(question):
            add(problem)
        for problem in _validation_problems(question):
            add(problem)
        entry = self.entries[question["id"]]
        for problem in self._condition_problems(question.get("visible_if"), entry, question["id"]):
            add(problem)
        if question["type"] == "computed":
            for problem in self._formula_problems(question):
                add(problem)

    def _check_step_condition(self, step: Step, step_index: int) -> None:
        condition = step.get("visible_if")
        if condition is None:
            return
        # A step may depend on questions in earlier steps only: its own are not shown yet.
        first_position = sum(len(s["questions"]) for s in self.definition["steps"][:step_index])
        boundary = _Entry(question={}, step_index=step_index, position=first_position)
        for problem in self._condition_problems(condition, boundary, None):
            self._add(step, None, problem)

    def _condition_problems(self, condition: Condition | None, entry: _Entry, own_id: str | None) -> Iterator[str]:
        for comparison in iter_comparisons(condition):
            ref = comparison["question"]
            if ref == own_id:
                yield _("the condition refers to the question itself.")
                continue
            target = self.entries.get(ref)
            if target is None:
                yield _("the condition refers to the question '%(ref)s', which does not exist.", ref=ref)
                continue
            if target.position >= entry.position:
                yield _("the condition refers to the question '%(ref)s', which comes later in the form.", ref=ref)
                continue
            yield from _comparison_problems(comparison, target.question)
            for name in sorted(self._formula_inputs(ref)):
                later = self.entries.get(name)
                if later is not None and later.position >= entry.position:
                    yield _(
                        "the condition uses '%(ref)s', whose formula uses '%(name)s', which comes later in the form.",
                        ref=ref,
                        name=name,
                    )

    def _formula_inputs(self, question_id: str) -> set[str]:
        """Return every question a computed question depends on, through other formulas too."""
        found: set[str] = set()
        todo = [question_id]
        while todo:
            entry = self.entries.get(todo.pop())
            if entry is None or entry.question["type"] != "computed":
                continue
            try:
                names = formula_names(entry.question["formula"])
            except FormulaError:
                continue
            for name in names - found:
                found.add(name)
                todo.append(name)
        return found

    def _formula_problems(self, question: Question) -> Iterator[str]:
        try:
            names = formula_names(question["formula"])
        except FormulaError as error:
            yield error.message
            return
        for name in sorted(names):
            target = self.entries.get(name)
            if target is None:
                yield _("the formula uses '%(name)s', which is not a question in the form.", name=name)
            elif target.question["type"] not in NUMERIC_TYPES:
                yield _("the formula uses the question '%(name)s', which is not a number question.", name=name)

    def _check_formula_cycles(self) -> None:
        graph: dict[str, list[str]] = {}
        for question_id, entry in self.entries.items():
            if entry.question["type"] != "computed":
                continue
            try:
                names = formula_names(entry.question["formula"])
            except FormulaError:
                names = set()
            graph[question_id] = sorted(n for n in names if n in self.entries)
        for question_id in graph:
            cycle = _find_cycle(graph, question_id)
            if cycle:
                entry = self.entries[question_id]
                step = self.definition["steps"][entry.step_index]
                self._add(
                    step,
                    entry.question,
                    _("the formula depends on itself (%(cycle)s).", cycle=" → ".join(cycle)),
                )


def _find_cycle(graph: Mapping[str, list[str]], start: str) -> list[str] | None:
    """Return a path start → … → start through the graph, or None."""
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    visited: set[str] = set()
    while stack:
        node, path = stack.pop()
        for successor in graph.get(node, ()):
            if successor == start:
                return [*path, start]
            if successor not in visited:
                visited.add(successor)
                stack.append((successor, [*path, successor]))
    return None


def _option_problems(question: Question) -> Iterator[str]:
    seen: set[str] = set()
    for option in question.get("options") or ():
        if option["value"] in seen:
            yield _("the option value '%(value)s' is used more than once.", value=option["value"])
        seen.add(option["value"])


def _validation_problems(question: Question) -> Iterator[str]:
    rules = question.get("validation") or {}
    pairs = [("min_length", "max_length"), ("min_choices", "max_choices")]
    if question["type"] == "number":
        pairs.append(("min", "max"))
    for low_key, high_key in pairs:
        low, high = rules.get(low_key), rules.get(high_key)
        if low is not None and high is not None and low > high:
            yield _("%(min)s is larger than %(max)s.", min=low_key, max=high_key)
    if question["type"] == "date":
        limits = {key: rules.get(key) for key in ("min", "max") if key in rules}
        for key, value in limits.items():
            if date_limit(value, _ANY_DAY) is None:
                yield _("the date limit '%(field)s' is not a real date.", field=key)
        low, high = (date_limit(limits.get(k), _ANY_DAY) for k in ("min", "max"))
        fixed = "today" not in limits.values()
        if fixed and low is not None and high is not None and low > high:
            yield _("%(min)s is larger than %(max)s.", min="min", max="max")
    if question["type"] == "multiple_choice":
        low = rules.get("min_choices")
        if low is not None and low > len(question["options"]):
            yield _("min_choices is larger than the number of options.")
    pattern = rules.get("pattern")
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error as error:
            yield _("the pattern is not a valid regular expression (%(error)s).", error=str(error))


def _comparison_problems(comparison: Condition, target: Question) -> Iterator[str]:
    """Check that a comparison makes sense for the type of the question it names."""
    ref, kind = target["id"], target["type"]
    if kind == "info":
        yield _("the condition refers to '%(ref)s', which is an info text without an answer.", ref=ref)
        return
    if "answered" in comparison:
        return
    if kind == "file":
        yield _("a condition on the file question '%(ref)s' can only use 'answered'.", ref=ref)
        return
    if "contains" in comparison and kind != "multiple_choice":
        yield _("'contains' only works with multiple-choice questions; '%(ref)s' is not one.", ref=ref)
        return
    if "contains" not in comparison and kind == "multiple_choice":
        yield _("'%(ref)s' is a multiple-choice question: use 'contains'.", ref=ref)
        return
    values = (
        comparison["in"]
        if "in" in comparison
        else [comparison[key] for key in ("equals", "not_equals", "contains") if key in comparison]
    )
    for value in values:
        if kind in CHOICE_TYPES:
            if value not in {option["value"] for option in target["options"]}:
                yield _(
                    "the condition uses the option '%(value)s', which the question '%(ref)s' does not have.",
                    value=value,
                    ref=ref,
                )
        elif kind == "yes_no":
            if not isinstance(value, bool):
                yield _("the condition on the yes/no question '%(ref)s' must use true or false.", ref=ref)
        elif kind in NUMERIC_TYPES:
            if isinstance(value, bool) or not isinstance(value, int | float):
                yield _("the condition on the number question '%(ref)s' must use a number.", ref=ref)
        elif not isinstance(value, str):
            yield _("the condition on '%(ref)s' must use a text.", ref=ref)
