"""F-ES-3: a definition is checked on save, with problems that name the bad question."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from shared.errors import Invalid
from shared.forms import (
    DEFINITION_SCHEMA,
    DefinitionProblem,
    check_definition,
    find_question,
    iter_questions,
    validate_definition,
)

Definition = dict[str, Any]


def question(definition: Definition, question_id: str) -> dict[str, Any]:
    found = find_question(definition, question_id)
    assert found is not None
    return found  # type: ignore[return-value]


def step(definition: Definition, step_id: str) -> dict[str, Any]:
    return next(s for s in definition["steps"] if s["id"] == step_id)


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    Draft202012Validator.check_schema(DEFINITION_SCHEMA)


def test_realistic_definitions_pass(specialkost: Definition, sjuklon: Definition) -> None:
    for definition in (specialkost, sjuklon):
        assert list(Draft202012Validator(DEFINITION_SCHEMA).iter_errors(definition)) == []
        assert check_definition(definition) == []
        validate_definition(definition)


def test_iter_questions_walks_steps_in_order(specialkost: Definition) -> None:
    pairs = [(s["id"], q["id"]) for s, q in iter_questions(specialkost)]
    assert pairs[0] == ("elev", "elev_namn")
    assert pairs[-1] == ("kontakt", "ovrigt")
    assert find_question(specialkost, "nothing") is None


def _set(question_id: str, **fields: Any) -> Callable[[Definition], None]:
    def change(definition: Definition) -> None:
        question(definition, question_id).update(fields)

    return change


def _drop(question_id: str, field: str) -> Callable[[Definition], None]:
    def change(definition: Definition) -> None:
        del question(definition, question_id)[field]

    return change


def _add(step_id: str, new: dict[str, Any], at: int | None = None) -> Callable[[Definition], None]:
    def change(definition: Definition) -> None:
        questions = step(definition, step_id)["questions"]
        questions.insert(len(questions) if at is None else at, new)

    return change


# (change, question id named, fragment of the English message)
PROBLEMS = [
    pytest.param(_set("klass", type="txt"), "klass", "unknown question type 'txt'", id="unknown type"),
    pytest.param(_set("klass", label=12), "klass", "'label' must be a text", id="wrong field type"),
    pytest.param(_set("klass", requried=True), "klass", "'requried' is unknown", id="unknown field"),
    pytest.param(_set("klass", id="Klass"), "Klass", "not a valid id", id="bad id"),
    pytest.param(_drop("skola", "options"), "skola", "needs options", id="choice without options"),
    pytest.param(_set("skola", options=[]), "skola", "needs options", id="choice with empty options"),
    pytest.param(
        _set("klass", options=[{"value": "a", "label": "A"}]),
        "klass",
        "'options' does not belong to a question of type 'text'",
        id="options on text",
    ),
    pytest.param(_set("info_intyg", required=True), "info_intyg", "cannot be required", id="required info"),
    pytest.param(_set("skola", display="dropdown"), "skola", "'display' must be one of", id="bad display"),
    pytest.param(
        _set("vh_namn", visible_if={"question": "skola", "equal": "alne"}),
        "vh_namn",
        "condition (visible_if) is not written correctly",
        id="malformed condition",
    ),
    pytest.param(
        _set("startdatum", validation={"min": "igår"}),
        "startdatum",
        'must be a date (YYYY-MM-DD) or "today"',
        id="bad date limit",
    ),
    pytest.param(
        _set("intyg", file={"content_types": ["pdf"]}),
        "intyg",
        "'pdf' is not a file type",
        id="bad content type",
    ),
    pytest.param(
        _add("kost", {"id": "skola", "type": "text", "label": "Skola igen"}),
        "skola",
        "more than one question with this id",
        id="duplicate question id",
    ),
    pytest.param(
        _set("skola", options=[{"value": "alne", "label": "A"}, {"value": "alne", "label": "B"}]),
        "skola",
        "option value 'alne' is used more than once",
        id="duplicate option",
    ),
    pytest.param(
        _set("intyg", visible_if={"question": "grund_typ", "equals": "medicinsk"}),
        "intyg",
        "refers to the question 'grund_typ', which does not exist",
        id="condition on missing question",
    ),
    pytest.param(
        _set("grund", visible_if={"question": "kost", "contains": "gluten"}),
        "grund",
        "'kost', which comes later in the form",
        id="condition on later question",
    ),
    pytest.param(
        _set("klass", visible_if={"question": "klass", "answered": True}),
        "klass",
        "refers to the question itself",
        id="condition on itself",
    ),
    pytest.param(
        _set("intyg", visible_if={"question": "grund", "equals": "medicin"}),
        "intyg",
        "option 'medicin', which the question 'grund' does not have",
        id="condition on missing option",
    ),
    pytest.param(
        _set("annat_beskrivning", visible_if={"question": "kost", "contains": "socker"}),
        "annat_beskrivning",
        "option 'socker'",
        id="contains missing option",
    ),
    pytest.param(
        _set("annat_beskrivning", visible_if={"question": "kost", "equals": "annat"}),
        "annat_beskrivning",
        "use 'contains'",
        id="equals on multiple choice",
    ),
    pytest.param(
        _set("intyg", visible_if={"question": "grund", "contains": "medicinsk"}),
        "intyg",
        "'contains' only works with multiple-choice",
        id="contains on single choice",
    ),
    pytest.param(
        _set("adrenalin", visible_if={"question": "allvarlig", "equals": "ja"}),
        "adrenalin",
        "must use true or false",
        id="yes/no compared with text",
    ),
    pytest.param(
        _set("vh_namn", visible_if={"question": "info_intyg", "answered": True}),
        "vh_namn",
        "info text without an answer",
        id="condition on info",
    ),
    pytest.param(
        _set("vh_namn", visible_if={"question": "intyg", "equals": "x"}),
        "vh_namn",
        "can only use 'answered'",
        id="file compared with value",
    ),
    pytest.param(
        _set("klass", validation={"pattern": "[a-z"}),
        "klass",
        "not a valid regular expression",
        id="bad regex",
    ),
    pytest.param(
        _set("klass", validation={"min_length": 5, "max_length": 2}),
        "klass",
        "min_length is larger than max_length",
        id="min_length > max_length",
    ),
    pytest.param(
        _set("kost", validation={"min_choices": 3, "max_choices": 2}),
        "kost",
        "min_choices is larger than max_choices",
        id="min_choices > max_choices",
    ),
    pytest.param(
        _set("kost", validation={"min_choices": 9}),
        "kost",
        "larger than the number of options",
        id="min_choices > options",
    ),
    pytest.param(
        _set("startdatum", validation={"min": "2025-01-01", "max": "2024-01-01"}),
        "startdatum",
        "min is larger than max",
        id="date min > max",
    ),
    pytest.param(
        _set("startdatum", validation={"min": "2025-02-30"}),
        "startdatum",
        "not a real date",
        id="impossible date",
    ),
]

SJUKLON_PROBLEMS = [
    pytest.param(_drop("avgifter", "formula"), "avgifter", "needs a formula", id="computed without formula"),
    pytest.param(_set("avgifter", formula="sjuklon * "), "avgifter", "cannot be read", id="formula syntax"),
    pytest.param(
        _set("avgifter", formula="__import__('os').system('ls')"),
        "avgifter",
        "may only contain numbers",
        id="hostile formula",
    ),
    pytest.param(
        _set("avgifter", formula="lon * 0.3142"),
        "avgifter",
        "'lon', which is not a question in the form",
        id="formula unknown name",
    ),
    pytest.param(
        _set("avgifter", formula="foretag * 0.3142"),
        "avgifter",
        "'foretag', which is not a number question",
        id="formula on text",
    ),
    pytest.param(
        _set("avgifter", formula="summa * 0.3142"),
        "avgifter",
        "depends on itself (avgifter → summa → avgifter)",
        id="formula cycle",
    ),
    pytest.param(
        _set("avgifter", formula="avgifter + 1"),
        "avgifter",
        "depends on itself (avgifter → avgifter)",
        id="formula on itself",
    ),
    pytest.param(
        _set("sjuklon", validation={"min": 10, "max": 1}),
        "sjuklon",
        "min is larger than max",
        id="number min > max",
    ),
    pytest.param(
        _set("semester", visible_if={"question": "sjuklon", "equals": "noll"}),
        "semester",
        "must use a number",
        id="number compared with text",
    ),
]


def _assert_problem(definition: Definition, question_id: str, fragment: str) -> None:
    problems = check_definition(definition)
    named = [p for p in problems if p.question_id == question_id]
    assert any(fragment in p.message for p in named), problems
    assert all(f"'{question_id}'" in p.message for p in named)


@pytest.mark.parametrize(("change", "question_id", "fragment"), PROBLEMS)
def test_each_problem_names_the_question(
    specialkost: Definition, change: Callable[[Definition], None], question_id: str, fragment: str
) -> None:
    change(specialkost)
    _assert_problem(specialkost, question_id, fragment)


@pytest.mark.parametrize(("change", "question_id", "fragment"), SJUKLON_PROBLEMS)
def test_each_formula_problem_names_the_question(
    sjuklon: Definition, change: Callable[[Definition], None], question_id: str, fragment: str
) -> None:
    change(sjuklon)
    _assert_problem(sjuklon, question_id, fragment)


def test_message_reads_as_in_the_example(specialkost: Definition) -> None:
    question(specialkost, "intyg")["visible_if"] = {"question": "grund_x", "equals": "medicinsk"}
    [problem] = check_definition(specialkost)
    assert problem == DefinitionProblem(
        question_id="intyg",
        step_id="kost",
        message="Question 'intyg': the condition refers to the question 'grund_x', which does not exist.",
    )


def test_a_condition_on_a_computed_question_may_not_wait_for_later_answers(
    sjuklon: Definition,
) -> None:
    # summa comes before kontrollera, but if its formula used a later question,
    # kontrollera's visibility could not be decided where it stands.
    question(sjuklon, "summa")["formula"] = "sjuklon + semester + avgifter + senare"
    step(sjuklon, "belopp")["questions"].append({"id": "senare", "type": "number", "label": "Senare"})
    _assert_problem(sjuklon, "kontrollera", "whose formula uses 'senare', which comes later")


def test_formulas_may_use_later_questions(sjuklon: Definition) -> None:
    questions = step(sjuklon, "belopp")["questions"]
    questions.insert(0, questions.pop(3))  # summa first, before what it adds up
    assert check_definition(sjuklon) == []


def test_step_condition_may_only_use_earlier_steps(specialkost: Definition) -> None:
    step(specialkost, "allergi")["visible_if"] = {"question": "allvarlig", "equals": True}
    [problem] = check_definition(specialkost)
    assert problem.step_id == "allergi" and problem.question_id is None
    assert problem.message.startswith("Step 'allergi': ")
    assert "comes later" in problem.message


def test_step_condition_on_missing_question(specialkost: Definition) -> None:
    step(specialkost, "allergi")["visible_if"] = {
        "any": [{"question": "grund", "equals": "medicinsk"}, {"question": "saknas", "answered": True}]
    }
    [problem] = check_definition(specialkost)
    assert problem.step_id == "allergi"
    assert "'saknas', which does not exist" in problem.message


def test_duplicate_step_id(specialkost: Definition) -> None:
    step(specialkost, "allergi")["id"] = "kost"
    problems = check_definition(specialkost)
    assert any(p.step_id == "kost" and "more than one step" in p.message for p in problems)


def test_nested_conditions_are_checked(specialkost: Definition) -> None:
    question(specialkost, "penna_plats")["visible_if"] = {
        "all": [{"question": "adrenalin", "equals": True}, {"not": {"question": "skola", "in": ["alne", "okand"]}}]
    }
    _assert_problem(specialkost, "penna_plats", "option 'okand'")


def test_question_without_id_is_named_by_its_place(specialkost: Definition) -> None:
    del question(specialkost, "klass")["id"]
    [problem] = check_definition(specialkost)
    assert problem.question_id is None and problem.step_id == "elev"
    assert problem.message == "Question 4 in step 'elev': the field 'id' is missing."


@pytest.mark.parametrize(
    "definition",
    [None, [], {}, {"steps": []}, {"steps": "x"}, {"steps": [{"id": "a"}]}, {"steps": [None]}],
)
def test_broken_shapes_are_problems_not_crashes(definition: Any) -> None:
    problems = check_definition(definition)
    assert problems
    with pytest.raises(Invalid):
        validate_definition(definition)


def test_validate_definition_raises_invalid_keyed_by_question(specialkost: Definition) -> None:
    question(specialkost, "intyg")["visible_if"] = {"question": "grund", "equals": "medicin"}
    question(specialkost, "klass")["validation"] = {"pattern": "("}
    with pytest.raises(Invalid) as caught:
        validate_definition(specialkost)
    error = caught.value
    assert set(error.errors) == {"intyg", "klass"}
    assert "(and 1 more problem)" in error.message
    assert error.errors["intyg"].startswith("Question 'intyg': ")


def test_validate_definition_single_problem_message(specialkost: Definition) -> None:
    step(specialkost, "kost")["title"] = ""
    with pytest.raises(Invalid) as caught:
        validate_definition(specialkost)
    assert caught.value.message == "Step 'kost': the field 'title' is empty."
    assert caught.value.errors == {"kost": caught.value.message}


def test_definition_level_problem_uses_definition_key() -> None:
    with pytest.raises(Invalid) as caught:
        validate_definition({"steps": [], "version": 2})
    assert set(caught.value.errors) == {"definition"}
