"""Answers written for people: summaries, case headers and search text."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask_babel import gettext as _

from shared.forms.answers import visible_question_ids
from shared.forms.formatting import format_number
from shared.forms.structure import Definition, Question, find_question, iter_questions, options_of


def display_value(question: Question, value: Any) -> str:
    """Write one answer as the applicant would read it ("Ja", option labels, file names)."""
    if value is None or question.get("type") == "info":
        return ""
    kind = question.get("type")
    if kind in ("single_choice", "multiple_choice"):
        labels = {option["value"]: option["label"] for option in options_of(question)}
        values = value if isinstance(value, list) else [value]
        # An answer kept from an older version may no longer be an option: show it as is.
        return ", ".join(str(labels.get(v, v)) for v in values)
    if kind == "yes_no" and isinstance(value, bool):
        return _("Yes") if value else _("No")
    if kind == "file" and isinstance(value, list):
        return ", ".join(str(f.get("name", "")) if isinstance(f, Mapping) else str(f) for f in value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return format_number(value)
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def summarize(definition: Definition, answers: Mapping[str, Any], question_ids: Iterable[str]) -> list[tuple[str, str]]:
    """Return (label, text) for the chosen questions that are answered, in the given order."""
    pairs = []
    for question_id in question_ids:
        question = find_question(definition, question_id)
        if question is None:
            continue  # a summary field left over from an older version
        text = display_value(question, answers.get(question_id))
        if text:
            pairs.append((str(question.get("label", question_id)), text))
    return pairs


def answers_text(definition: Definition, answers: Mapping[str, Any]) -> str:
    """Join every visible answer's display text, for searching cases."""
    visible = visible_question_ids(definition, answers)
    texts = (
        display_value(question, answers.get(question["id"]))
        for _step, question in iter_questions(definition)
        if question.get("id") in visible
    )
    return " ".join(text for text in texts if text)
