"""The shape of a form definition: question types and walking steps and questions."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

Definition = Mapping[str, Any]
Step = Mapping[str, Any]
Question = Mapping[str, Any]

ID_PATTERN = r"^[a-z][a-z0-9_]*$"

TEXT_TYPES = frozenset({"text", "textarea", "email"})
CHOICE_TYPES = frozenset({"single_choice", "multiple_choice"})
# Types whose answers a formula may use.
NUMERIC_TYPES = frozenset({"number", "computed"})
# Types that never carry an answer typed by the applicant.
NO_INPUT_TYPES = frozenset({"info", "computed"})
QUESTION_TYPES = (
    "text",
    "textarea",
    "number",
    "date",
    "email",
    "phone",
    "personnummer",
    "organisationsnummer",
    "single_choice",
    "multiple_choice",
    "yes_no",
    "file",
    "info",
    "computed",
)


def iter_steps(definition: Definition) -> Iterator[Step]:
    """Yield the steps of a definition in order."""
    yield from definition.get("steps") or ()


def iter_questions(definition: Definition) -> Iterator[tuple[Step, Question]]:
    """Yield (step, question) for every question of a definition in order."""
    for step in iter_steps(definition):
        for question in step.get("questions") or ():
            yield step, question


def find_question(definition: Definition, question_id: str) -> Question | None:
    """Return the question with this id, or None."""
    for _step, question in iter_questions(definition):
        if question.get("id") == question_id:
            return question
    return None


def find_step(definition: Definition, step_id: str) -> Step | None:
    """Return the step with this id, or None."""
    for step in iter_steps(definition):
        if step.get("id") == step_id:
            return step
    return None


def options_of(question: Question) -> list[Mapping[str, Any]]:
    """Return the options of a choice question (empty for other types)."""
    return list(question.get("options") or ())


def label_of(question: Question) -> str:
    """Return the label to name a question inside a sentence."""
    # A trailing colon reads badly in "Fyll i Namn:."
    return str(question.get("label") or question.get("id") or "").strip().rstrip(":").strip()
