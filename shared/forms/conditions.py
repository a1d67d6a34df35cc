"""`visible_if` conditions: which questions they name and whether they hold."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

Condition = Mapping[str, Any]
Lookup = Callable[[str], Any]

COMPARISONS = ("equals", "not_equals", "in", "contains", "answered")


def iter_comparisons(condition: Condition | None) -> Iterator[Condition]:
    """Yield every leaf comparison (the parts with a "question") of a condition."""
    if not isinstance(condition, Mapping):
        return
    if "question" in condition:
        yield condition
    for key in ("all", "any"):
        for part in condition.get(key) or ():
            yield from iter_comparisons(part)
    if "not" in condition:
        yield from iter_comparisons(condition["not"])


def condition_refs(condition: Condition | None) -> set[str]:
    """Return the ids of the questions a condition depends on."""
    return {str(c["question"]) for c in iter_comparisons(condition)}


def same_value(a: Any, b: Any) -> bool:
    """Compare two answers, not letting True equal 1 as Python does."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return bool(a == b)


def condition_holds(condition: Condition | None, lookup: Lookup) -> bool:
    """Say whether a condition holds; `lookup(id)` gives a cleaned answer or None."""
    if condition is None:
        return True
    if "all" in condition:
        return all(condition_holds(part, lookup) for part in condition["all"])
    if "any" in condition:
        return any(condition_holds(part, lookup) for part in condition["any"])
    if "not" in condition:
        return not condition_holds(condition["not"], lookup)
    value = lookup(condition["question"])
    if "answered" in condition:
        return (value is not None) is bool(condition["answered"])
    # A comparison with an unanswered question is false: a follow-up question waits
    # until the question it follows is answered, also for not_equals.
    if value is None:
        return False
    if "equals" in condition:
        return same_value(value, condition["equals"])
    if "not_equals" in condition:
        return not same_value(value, condition["not_equals"])
    if "in" in condition:
        return any(same_value(value, v) for v in condition["in"])
    if "contains" in condition:
        return isinstance(value, list) and any(same_value(v, condition["contains"]) for v in value)
    return False
