"""Properties of the form engine that must hold for any input, checked with hypothesis."""

from __future__ import annotations

import copy
import json
import math
import operator
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from shared.clock import today as today_in_sweden
from shared.errors import Invalid
from shared.forms import (
    DefinitionProblem,
    check_definition,
    clean_answers,
    evaluate_formula,
    iter_questions,
    validate_definition,
    visible_question_ids,
)

PROPERTY_SETTINGS = settings(
    max_examples=200,
    deadline=None,
    database=None,  # keep no example files in the repository
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# --- (a) formulas agree with Python arithmetic --------------------------------------

Expr = tuple[str, float | int | None]
OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
}

numbers = st.one_of(
    st.integers(min_value=0, max_value=1000).map(lambda n: (str(n), n)),
    # Two decimals keep the text short, as amounts in forms are.
    st.integers(min_value=0, max_value=100_000).map(lambda n: (repr(n / 100), n / 100)),
)


def _binary(parts: tuple[Expr, str, Expr]) -> Expr:
    (left, left_value), symbol, (right, right_value) = parts
    value: float | int | None = None
    if left_value is not None and right_value is not None:
        try:
            value = OPERATORS[symbol](left_value, right_value)
        except ZeroDivisionError:
            value = None
    return f"({left} {symbol} {right})", value


def _negate(part: Expr) -> Expr:
    text, value = part
    return f"(-{text})", None if value is None else -value


expressions = st.recursive(
    numbers,
    lambda children: st.one_of(
        st.tuples(children, st.sampled_from(list(OPERATORS)), children).map(_binary),
        children.map(_negate),
    ),
    max_leaves=20,
)


@PROPERTY_SETTINGS
@given(expressions)
def test_formula_agrees_with_python_arithmetic(expression: Expr) -> None:
    text, expected = expression
    assume(len(text) <= 500)
    result = evaluate_formula(text, {})
    if expected is None:
        assert result is None
    else:
        assert result is not None
        assert math.isclose(result, expected, rel_tol=1e-9, abs_tol=1e-9)


@PROPERTY_SETTINGS
@given(expressions, st.integers(min_value=-(10**6), max_value=10**6))
def test_formula_with_a_question_value(expression: Expr, belopp: int) -> None:
    text, expected = expression
    assume(len(text) <= 480)
    result = evaluate_formula(f"belopp + {text}", {"belopp": belopp})
    if expected is None:
        assert result is None
    else:
        assert result is not None
        assert math.isclose(result, belopp + expected, rel_tol=1e-9, abs_tol=1e-9)


# --- personnummer ------------------------------------------------------------------


def luhn(digits: str) -> int:
    """The check digit of a personnummer's nine digits (weights 2, 1, 2, …)."""
    total = 0
    for index, char in enumerate(digits):
        product = int(char) * (2 - index % 2)
        total += product - 9 if product > 9 else product
    return (10 - total % 10) % 10


@st.composite
def personnummer(draw: st.DrawFn) -> tuple[str, date, str, int]:
    """A valid personnummer: (canonical form, birth date, nine digits + check, serial)."""
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=today_in_sweden()))
    coordination = draw(st.booleans())  # samordningsnummer: day + 60
    day = born.day + (60 if coordination else 0)
    serial = draw(st.integers(min_value=1, max_value=999))
    nine = f"{born:%y%m}{day:02d}{serial:03d}"
    check = luhn(nine)
    canonical = f"{born.year}{born:%m}{day:02d}-{serial:03d}{check}"
    return canonical, born, f"{nine}{check}", serial


@PROPERTY_SETTINGS
@given(personnummer(), st.sampled_from(["12-dash", "12", "10-dash", "10"]))
def test_personnummer_normalises_from_any_format(number: tuple[str, date, str, int], form: str) -> None:
    canonical, born, ten, _serial = number
    twelve = f"{born.year // 100}{ten}"
    if form == "12-dash":
        raw = f"{twelve[:8]}-{twelve[8:]}"
    elif form == "12":
        raw = twelve
    else:
        # Ten digits carry no century: "+" marks someone born 100 or more years ago.
        old = today_in_sweden().year - born.year >= 100
        if form == "10" and old:
            form = "10-dash"
        separator = ("+" if old else "-") if form == "10-dash" else ""
        raw = f"{ten[:6]}{separator}{ten[6:]}"
    definition = {
        "steps": [
            {"id": "s", "title": "S", "questions": [{"id": "pnr", "type": "personnummer", "label": "Personnummer"}]}
        ]
    }
    assert clean_answers(definition, {"pnr": raw}) == {"pnr": canonical}
    assert clean_answers(definition, {"pnr": canonical}) == {"pnr": canonical}


@PROPERTY_SETTINGS
@given(personnummer(), st.integers(min_value=1, max_value=9))
def test_personnummer_with_a_wrong_check_digit_is_refused(number: tuple[str, date, str, int], offset: int) -> None:
    canonical = number[0]
    wrong = f"{canonical[:-1]}{(int(canonical[-1]) + offset) % 10}"
    definition = {
        "steps": [
            {"id": "s", "title": "S", "questions": [{"id": "pnr", "type": "personnummer", "label": "Personnummer"}]}
        ]
    }
    with pytest.raises(Invalid):
        clean_answers(definition, {"pnr": wrong})


# --- (b) and (c) any answers: Invalid or a clean, stable result ----------------------

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
)
files = st.fixed_dictionaries(
    {
        "name": st.text(max_size=20),
        "size": st.integers(min_value=-10, max_value=30 * 1024 * 1024),
        "content_type": st.sampled_from(["application/pdf", "image/jpeg", "image/png", "text/html", ""]),
    },
    optional={"document_id": st.one_of(st.none(), st.integers(min_value=-1, max_value=10**6))},
)
any_value = st.one_of(
    json_scalars,
    st.lists(st.one_of(st.text(max_size=12), st.integers()), max_size=5),
    st.lists(files, max_size=6),
    files,
    st.dictionaries(st.text(max_size=5), json_scalars, max_size=3),
)


def _plausible(question: Mapping[str, Any]) -> st.SearchStrategy[Any]:
    """Values a form or an API client might send for this question, valid or not."""
    kind = question["type"]
    values = [o["value"] for o in question.get("options", ())]
    by_kind: dict[str, st.SearchStrategy[Any]] = {
        "text": st.text(min_size=1, max_size=40),
        "textarea": st.text(min_size=1, max_size=80),
        "number": st.one_of(
            st.integers(min_value=-10, max_value=2_000_000),
            st.floats(min_value=-10, max_value=2e6, allow_nan=False),
            st.decimals(min_value=0, max_value=10**6, places=2).map(lambda d: str(d).replace(".", ",")),
            st.integers(min_value=0, max_value=10**6).map(lambda n: f"{n:,}".replace(",", " ")),
        ),
        "date": st.one_of(
            st.dates(min_value=date(2019, 1, 1), max_value=date(2030, 12, 31)).map(date.isoformat),
            st.dates().map(date.isoformat),
            st.text(max_size=10),
        ),
        "email": st.one_of(st.emails(), st.emails().map(str.upper), st.text(max_size=20)),
        "phone": st.from_regex(r"\A\+?[0-9][0-9 -]{5,18}\Z"),
        "personnummer": st.one_of(
            personnummer().map(lambda p: p[0]),
            personnummer().map(lambda p: p[2]),
            st.text(max_size=13),
        ),
        "organisationsnummer": st.sampled_from(["556036-0793", "5560360793", "212000-0142", "123"]),
        "single_choice": st.sampled_from([*values, "bogus"]),
        "multiple_choice": st.lists(st.sampled_from([*values, "bogus"]), max_size=4),
        "yes_no": st.sampled_from(["ja", "nej", True, False, "1", "0", "kanske", 1]),
        "file": st.lists(
            st.fixed_dictionaries(
                {
                    "name": st.text(min_size=1, max_size=20),
                    "size": st.integers(min_value=0, max_value=6 * 1024 * 1024),
                    "content_type": st.sampled_from(["application/pdf", "image/jpeg", "image/png"]),
                }
            ),
            max_size=4,
        ),
    }
    if kind not in by_kind:
        return any_value
    # Mostly values of the right kind, so that many answers get through to be checked.
    # (one_of would flatten any_value's many branches and let them outweigh the rest.)
    return st.integers(min_value=0, max_value=9).flatmap(
        lambda n: by_kind[kind] if n < 7 else st.none() if n < 8 else any_value
    )


def _answers(definition: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    questions = [q for _s, q in iter_questions(definition)]
    plausible = st.fixed_dictionaries({q["id"]: _plausible(q) for q in questions})
    noise = st.dictionaries(
        st.one_of(st.sampled_from([q["id"] for q in questions]), st.text(max_size=10)),
        any_value,
        max_size=8,
    )
    return st.one_of(plausible, st.tuples(plausible, noise).map(lambda p: {**p[1], **p[0]}))


def _steps(definition: dict[str, Any]) -> st.SearchStrategy[str | None]:
    return st.one_of(st.none(), st.sampled_from([s["id"] for s in definition["steps"]]))


DEFINITIONS = ["specialkost", "sjuklon"]


def _repaired(definition: dict[str, Any], raw: dict[str, Any]) -> dict[str, Any]:
    """Clean a draft, leaving out the answers that are refused, as a user would fix them."""
    raw = dict(raw)
    while True:
        try:
            return clean_answers(definition, raw, partial=True)
        except Invalid as error:
            assert error.errors and set(error.errors) <= set(raw)
            for question_id in error.errors:
                del raw[question_id]


@pytest.mark.parametrize("name", DEFINITIONS)
def test_any_answers_give_a_clean_result_or_invalid(name: str, request: pytest.FixtureRequest) -> None:
    definition = request.getfixturevalue(name)

    @PROPERTY_SETTINGS
    @given(_answers(definition), st.booleans(), _steps(definition))
    def check(raw: dict[str, Any], partial: bool, step_id: str | None) -> None:
        try:
            cleaned = clean_answers(definition, raw, partial=partial, step_id=step_id)
        except Invalid as error:
            assert error.errors
            assert all(isinstance(m, str) and m for m in error.errors.values())
            cleaned = _repaired(definition, raw)
            step_id = None
        visible = visible_question_ids(definition, raw)
        assert set(cleaned) <= visible
        json.loads(json.dumps(cleaned))
        if step_id is None:
            # Refused answers count as unanswered for conditions, so leaving them out
            # shows the same questions.
            assert visible_question_ids(definition, cleaned) == visible

    check()


@pytest.mark.parametrize("name", DEFINITIONS)
def test_cleaning_is_idempotent(name: str, request: pytest.FixtureRequest) -> None:
    definition = request.getfixturevalue(name)

    @PROPERTY_SETTINGS
    @given(_answers(definition))
    def check(raw: dict[str, Any]) -> None:
        cleaned = _repaired(definition, raw)
        assert clean_answers(definition, cleaned, partial=True) == cleaned
        assert visible_question_ids(definition, cleaned) >= set(cleaned)
        try:
            complete = clean_answers(definition, cleaned)
        except Invalid:
            return  # required answers missing: only the draft is stable
        assert complete == cleaned

    check()


@PROPERTY_SETTINGS
@given(st.dictionaries(st.text(max_size=8), any_value, max_size=6), st.booleans())
def test_raw_noise_never_crashes_a_one_of_each_type_form(raw: dict[str, Any], partial: bool) -> None:
    questions: list[dict[str, Any]] = [
        {"id": f"q_{kind}", "type": kind, "label": kind}
        for kind in (
            "text",
            "textarea",
            "number",
            "date",
            "email",
            "phone",
            "personnummer",
            "organisationsnummer",
            "yes_no",
            "file",
        )
    ]
    questions.append(
        {"id": "q_single", "type": "single_choice", "label": "s", "options": [{"value": "a", "label": "A"}]}
    )
    questions.append(
        {
            "id": "q_multi",
            "type": "multiple_choice",
            "label": "m",
            "options": [{"value": "a", "label": "A"}, {"value": "b", "label": "B", "exclusive": True}],
        }
    )
    definition = {"steps": [{"id": "s", "title": "S", "questions": questions}]}
    ids = [q["id"] for q in questions]
    # Point most of the noise at real questions.
    raw = {ids[hash(k) % len(ids)] if k[:1] != "x" else k: v for k, v in raw.items()}
    try:
        cleaned = clean_answers(definition, raw, partial=partial)
    except Invalid:
        return
    assert set(cleaned) <= set(ids)
    assert clean_answers(definition, cleaned, partial=partial) == cleaned


# --- check_definition never crashes ---------------------------------------------------

json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=10)),
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=10,
)
QUESTION_FIELDS = [
    "id",
    "type",
    "label",
    "required",
    "options",
    "validation",
    "visible_if",
    "formula",
    "file",
    "display",
    "text",
]
# Values that fit the schema, so the checks after the schema run too.
field_values = st.one_of(
    json_values,
    st.sampled_from(["text", "number", "computed", "single_choice", "multiple_choice", "kost", "grund", "sjuklon"]),
    st.builds(
        lambda q, v: {"question": q, "equals": v}, st.sampled_from(["grund", "kost", "sjuklon", "x"]), json_values
    ),
    st.builds(lambda q, v: {"question": q, "contains": v}, st.sampled_from(["kost", "grund"]), st.text(max_size=6)),
    st.builds(lambda q: {"question": q, "answered": True}, st.sampled_from(["intyg", "summa", "info_intyg"])),
    st.sampled_from(["sjuklon * 2", "summa + 1", "avgifter", "foretag", "1 +", "max(sjuklon, semester)"]),
    st.fixed_dictionaries(
        {},
        optional={
            "min": st.one_of(st.integers(), st.sampled_from(["today", "2024-01-01", "2024-13-01"])),
            "max": st.one_of(st.integers(), st.sampled_from(["today", "2023-01-01"])),
            "min_length": st.integers(0, 5),
            "max_length": st.integers(1, 5),
            "pattern": st.sampled_from(["[a-z]+", "(", "^\\d*$"]),
            "min_choices": st.integers(0, 9),
            "max_choices": st.integers(1, 3),
        },
    ),
)


@pytest.mark.parametrize("name", DEFINITIONS)
def test_check_definition_reports_problems_and_never_crashes(name: str, request: pytest.FixtureRequest) -> None:
    original = request.getfixturevalue(name)

    @settings(PROPERTY_SETTINGS, max_examples=100)
    @given(st.data())
    def check(data: st.DataObject) -> None:
        definition = copy.deepcopy(original)
        questions = [q for step in definition["steps"] for q in step["questions"]]
        for _ in range(data.draw(st.integers(1, 3))):
            question = data.draw(st.sampled_from(questions))
            question[data.draw(st.sampled_from(QUESTION_FIELDS))] = data.draw(field_values)
        problems = check_definition(definition)
        assert all(isinstance(p, DefinitionProblem) and p.message for p in problems)
        try:
            validate_definition(definition)
        except Invalid as error:
            assert problems and error.errors
            return
        assert problems == []
        # A definition that passes the checks can be filled in without surprises.
        answers = data.draw(_answers(definition))
        try:
            clean_answers(definition, answers, partial=True)
        except Invalid:
            pass

    check()


@PROPERTY_SETTINGS
@given(json_values)
def test_check_definition_of_any_json(value: Any) -> None:
    assert isinstance(check_definition(value), list)
    assert isinstance(check_definition({"steps": [{"id": "s", "title": "S", "questions": [value]}]}), list)
