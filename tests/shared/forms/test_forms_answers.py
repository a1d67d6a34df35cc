"""F-ES-3: answers are validated and normalised the same way wherever they come from."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from werkzeug.datastructures import MultiDict

from shared.errors import Invalid
from shared.forms import clean_answers, visible_question_ids

TODAY = date(2025, 6, 15)
PDF = {"name": "intyg.pdf", "size": 120_000, "content_type": "application/pdf"}


def one(question: dict[str, Any]) -> dict[str, Any]:
    """A definition with one question."""
    return {"steps": [{"id": "s", "title": "S", "questions": [{"label": "Fält", **question}]}]}


def clean_one(question: dict[str, Any], value: Any) -> Any:
    return clean_answers(one({"id": "q", **question}), {"q": value}, today=TODAY).get("q")


def error_of(question: dict[str, Any], value: Any) -> str:
    with pytest.raises(Invalid) as caught:
        clean_one(question, value)
    return caught.value.errors["q"]


# --- each type ---------------------------------------------------------------------

VALID = [
    ({"type": "text"}, "  Anna Andersson \n", "Anna Andersson"),
    ({"type": "text"}, "a\x00b\tc", "ab c"),
    ({"type": "text"}, "A\u030angström", "Ångström"),  # decomposed å from a Mac
    ({"type": "text"}, 42, "42"),
    ({"type": "text", "validation": {"pattern": "[0-9]{3} ?[0-9]{2}"}}, "123 45", "123 45"),
    ({"type": "textarea"}, " rad 1\r\nrad 2 ", "rad 1\nrad 2"),
    ({"type": "number"}, "12,5", 12.5),
    ({"type": "number"}, "1 000", 1000),
    ({"type": "number"}, "1\u00a0000\u00a0000,25", 1000000.25),
    ({"type": "number"}, " -3 ", -3),
    ({"type": "number"}, "\u22123", -3),
    ({"type": "number"}, 7.0, 7),
    ({"type": "number"}, 0.1, 0.1),
    ({"type": "number"}, ["5"], 5),
    ({"type": "number", "validation": {"min": 0, "max": 100, "decimals": 2}}, "99,99", 99.99),
    ({"type": "number", "validation": {"decimals": 0}}, "12,00", 12),
    ({"type": "date"}, "2024-02-29", "2024-02-29"),
    ({"type": "date"}, date(2024, 1, 2), "2024-01-02"),
    ({"type": "date", "validation": {"min": "today"}}, "2025-06-15", "2025-06-15"),
    ({"type": "date", "validation": {"max": "today"}}, "2025-06-15", "2025-06-15"),
    ({"type": "email"}, " Anna.Andersson@Kommun.SE ", "anna.andersson@kommun.se"),
    ({"type": "email"}, "info@räksmörgås.se", "info@räksmörgås.se"),
    ({"type": "phone"}, "070-123 45 67", "0701234567"),
    ({"type": "phone"}, "+46 70 123 45 67", "+46701234567"),
    ({"type": "phone"}, 46701234567, "46701234567"),
    ({"type": "personnummer"}, "19900101-0017", "19900101-0017"),
    ({"type": "personnummer"}, "199001010017", "19900101-0017"),
    ({"type": "personnummer"}, "900101-0017", "19900101-0017"),
    ({"type": "personnummer"}, "9001010017", "19900101-0017"),
    ({"type": "personnummer"}, "900101+0017", "18900101-0017"),  # 100 years or older
    ({"type": "personnummer"}, "19900161-0014", "19900161-0014"),  # samordningsnummer
    ({"type": "personnummer"}, 199001010017, "19900101-0017"),
    ({"type": "organisationsnummer"}, "556036-0793", "556036-0793"),
    ({"type": "organisationsnummer"}, "5560360793", "556036-0793"),
    ({"type": "organisationsnummer"}, "16556036-0793", "556036-0793"),
    ({"type": "organisationsnummer"}, "19900101-0017", "900101-0017"),  # enskild firma
    ({"type": "yes_no"}, "ja", True),
    ({"type": "yes_no"}, "Nej", False),
    ({"type": "yes_no"}, "yes", True),
    ({"type": "yes_no"}, "false", False),
    ({"type": "yes_no"}, "1", True),
    ({"type": "yes_no"}, 0, False),
    ({"type": "yes_no"}, False, False),
    ({"type": "yes_no"}, True, True),
]

CHOICES = [
    {"value": "a", "label": "Alfa"},
    {"value": "b", "label": "Beta"},
    {"value": "c", "label": "Gamma"},
    {"value": "x", "label": "Ingen", "exclusive": True},
]
VALID += [
    ({"type": "single_choice", "options": CHOICES}, "b", "b"),
    ({"type": "single_choice", "options": CHOICES}, ["b"], "b"),
    ({"type": "multiple_choice", "options": CHOICES}, ["c", "a", "a"], ["a", "c"]),
    ({"type": "multiple_choice", "options": CHOICES}, "b", ["b"]),
    ({"type": "multiple_choice", "options": CHOICES}, ["x", ""], ["x"]),
    ({"type": "file"}, [PDF], [PDF]),
    ({"type": "file"}, PDF, [PDF]),
    ({"type": "file"}, [{**PDF, "document_id": 7, "extra": "dropped"}], [{"document_id": 7, **PDF}]),
    ({"type": "file"}, [{**PDF, "content_type": "Application/PDF; charset=binary"}], [PDF]),
    (
        {"type": "file", "file": {"content_types": ["image/*"]}},
        [{"name": "a.png", "size": 1, "content_type": "image/png"}],
        [{"name": "a.png", "size": 1, "content_type": "image/png"}],
    ),
]


@pytest.mark.parametrize(("question", "raw", "expected"), VALID)
def test_valid_answers_are_normalised(question: dict[str, Any], raw: Any, expected: Any) -> None:
    cleaned = clean_one(question, raw)
    assert cleaned == expected
    assert type(cleaned) is type(expected)


INVALID = [
    ({"type": "text"}, {"a": 1}, "Enter text."),
    ({"type": "text", "validation": {"min_length": 2}}, "A", "Enter at least 2 characters."),
    ({"type": "text", "validation": {"max_length": 3}}, "Anna", "Enter at most 3 characters."),
    ({"type": "text"}, "x" * 1001, "Enter at most 1\u00a0000 characters."),
    ({"type": "text", "validation": {"pattern": "^[^0-9]*$"}}, "Anna 2", "The answer is not in the right format."),
    ({"type": "text", "validation": {"pattern": "[0-9]+", "pattern_message": "Bara siffror."}}, "12a", "Bara siffror."),
    ({"type": "text"}, ["a", "b"], "Give one answer only."),
    ({"type": "number"}, "tolv", "Enter a number."),
    ({"type": "number"}, "1,000.5", "Enter a number."),
    ({"type": "number"}, "1e5", "Enter a number."),
    ({"type": "number"}, "nan", "Enter a number."),
    ({"type": "number"}, float("inf"), "Enter a number."),
    ({"type": "number"}, True, "Enter a number."),
    ({"type": "number"}, "9" * 20, "The number is too large."),
    ({"type": "number", "validation": {"min": 0}}, "-1", "The value must be at least 0."),
    ({"type": "number", "validation": {"max": 1000000}}, "1000001", "The value must be at most 1\u00a0000\u00a0000."),
    ({"type": "number", "validation": {"min": 0.5}}, "0,4", "The value must be at least 0,5."),
    ({"type": "number", "validation": {"decimals": 0}}, "1,5", "Enter a whole number."),
    ({"type": "number", "validation": {"decimals": 2}}, "1,555", "Enter at most 2 decimals."),
    ({"type": "number", "validation": {"decimals": 1}}, "1,55", "Enter at most 1 decimal."),
    ({"type": "date"}, "2024-02-30", "Enter a valid date (YYYY-MM-DD)."),
    ({"type": "date"}, "15/6 2025", "Enter a valid date (YYYY-MM-DD)."),
    ({"type": "date"}, "20250615", "Enter a valid date (YYYY-MM-DD)."),
    ({"type": "date"}, 20250615, "Enter a valid date (YYYY-MM-DD)."),
    ({"type": "date", "validation": {"min": "today"}}, "2025-06-14", "The date must be 2025-06-15 or later."),
    ({"type": "date", "validation": {"max": "2020-12-31"}}, "2021-01-01", "The date must be 2020-12-31 or earlier."),
    ({"type": "email"}, "anna.kommun.se", "Enter a valid e-mail address."),
    ({"type": "email"}, "anna@kommun", "Enter a valid e-mail address."),
    ({"type": "email"}, "anna@@kommun.se", "Enter a valid e-mail address."),
    ({"type": "phone"}, "070-12", "Enter a valid phone number."),
    ({"type": "phone"}, "070 123 45 67 ankn 12", "Enter a valid phone number."),
    ({"type": "phone"}, "1234567890123456", "Enter a valid phone number."),
    ({"type": "phone"}, "07+0123456", "Enter a valid phone number."),
    ({"type": "personnummer"}, "19900101-0018", "Enter a valid personal identity number (YYYYMMDD-NNNN)."),
    ({"type": "personnummer"}, "19901301-0015", "Enter a valid personal identity number (YYYYMMDD-NNNN)."),
    ({"type": "personnummer"}, "900101-001", "Enter a valid personal identity number (YYYYMMDD-NNNN)."),
    ({"type": "personnummer"}, "١٩٩٠٠١٠١٠٠١٧", "Enter a valid personal identity number (YYYYMMDD-NNNN)."),
    ({"type": "personnummer"}, "556036-0793", "Enter a valid personal identity number (YYYYMMDD-NNNN)."),
    ({"type": "organisationsnummer"}, "556036-0794", "Enter a valid organisation number (NNNNNN-NNNN)."),
    ({"type": "organisationsnummer"}, "556036", "Enter a valid organisation number (NNNNNN-NNNN)."),
    ({"type": "single_choice", "options": CHOICES}, "d", "Choose one of the options."),
    ({"type": "single_choice", "options": CHOICES}, ["a", "b"], "Give one answer only."),
    ({"type": "single_choice", "options": CHOICES}, True, "Choose one of the options."),
    ({"type": "multiple_choice", "options": CHOICES}, ["a", "z"], "Choose among the options."),
    ({"type": "multiple_choice", "options": CHOICES}, ["a", "x"], "'Ingen' cannot be combined with other choices."),
    (
        {"type": "multiple_choice", "options": CHOICES, "validation": {"min_choices": 2}},
        ["a"],
        "Choose at least 2 options.",
    ),
    (
        {"type": "multiple_choice", "options": CHOICES, "validation": {"max_choices": 1}},
        ["a", "b"],
        "Choose at most 1 option.",
    ),
    ({"type": "yes_no"}, "kanske", "Answer yes or no."),
    ({"type": "yes_no"}, 2, "Answer yes or no."),
    ({"type": "file"}, "intyg.pdf", "The file information is not valid."),
    ({"type": "file"}, [{"name": "a.pdf"}], "The file information is not valid."),
    ({"type": "file"}, [{**PDF, "size": -1}], "The file information is not valid."),
    ({"type": "file"}, [{**PDF, "size": True}], "The file information is not valid."),
    ({"type": "file"}, [{**PDF, "document_id": "7"}], "The file information is not valid."),
    ({"type": "file"}, [{**PDF, "name": " "}], "The file information is not valid."),
]


@pytest.mark.parametrize(("question", "raw", "message"), INVALID)
def test_invalid_answers_give_a_message_beside_the_field(question: dict[str, Any], raw: Any, message: str) -> None:
    assert error_of(question, raw) == message


@pytest.mark.parametrize(
    ("question", "message"),
    [
        ({"type": "text", "label": "Namn"}, "Fill in Namn."),
        ({"type": "text", "label": "Namn:"}, "Fill in Namn."),
        ({"type": "personnummer", "label": "Personnummer"}, "Fill in Personnummer."),
        ({"type": "single_choice", "label": "Skola", "options": CHOICES}, "Select Skola."),
        ({"type": "multiple_choice", "label": "Kost", "options": CHOICES}, "Select Kost."),
        ({"type": "yes_no", "label": "Allergi?"}, "Answer yes or no."),
        ({"type": "file", "label": "Läkarintyg"}, "Attach Läkarintyg."),
    ],
)
@pytest.mark.parametrize("blank", [None, "", "   ", [], [""]])
def test_required_questions_must_be_answered(question: dict[str, Any], message: str, blank: Any) -> None:
    assert error_of({**question, "required": True}, blank) == message


@pytest.mark.parametrize("blank", [None, "", "  ", [], [""]])
def test_unanswered_optional_questions_are_left_out(blank: Any) -> None:
    assert clean_answers(one({"id": "q", "type": "number"}), {"q": blank}) == {}


def test_today_is_the_swedish_calendar_day(time_machine: Any) -> None:
    # 23:30 UTC on 14 June is already 15 June in Sweden.
    time_machine.move_to(datetime(2025, 6, 14, 23, 30, tzinfo=UTC), tick=False)
    question = {"type": "date", "validation": {"min": "today"}}
    definition = one({"id": "q", **question})
    assert clean_answers(definition, {"q": "2025-06-15"}) == {"q": "2025-06-15"}
    with pytest.raises(Invalid) as caught:
        clean_answers(definition, {"q": "2025-06-14"})
    assert caught.value.errors == {"q": "The date must be 2025-06-15 or later."}


def test_min_choices_makes_an_answer_necessary() -> None:
    question = {"type": "multiple_choice", "options": CHOICES, "validation": {"min_choices": 1}}
    assert error_of(question, []) == "Choose at least 1 option."


class TestFiles:
    limits = {"type": "file", "file": {"max_size_mb": 1, "max_files": 2, "content_types": ["application/pdf"]}}

    def test_at_most_max_files(self) -> None:
        assert error_of(self.limits, [PDF, PDF, PDF]) == "You can attach at most 2 files."

    def test_size_limit_in_megabytes(self) -> None:
        assert clean_one(self.limits, [{**PDF, "size": 1024 * 1024}]) == [{**PDF, "size": 1048576}]
        assert (
            error_of(self.limits, [{**PDF, "size": 1024 * 1024 + 1}])
            == "The file 'intyg.pdf' is too large (at most 1 MB)."
        )

    def test_content_type_must_be_allowed(self) -> None:
        image = {"name": "foto.jpg", "size": 10, "content_type": "image/jpeg"}
        assert error_of(self.limits, [image]) == "The file 'foto.jpg' is of a type that is not allowed."

    def test_defaults_refuse_programs(self) -> None:
        program = {"name": "virus.exe", "size": 10, "content_type": "application/x-msdownload"}
        assert "not allowed" in error_of({"type": "file"}, [program])


# --- conditions ----------------------------------------------------------------------


def base_specialkost(**more: Any) -> dict[str, Any]:
    answers = {
        "elev_namn": "Olle Svensson",
        "elev_personnummer": "19900101-0017",
        "skola": "alne",
        "grund": "etisk",
        "kost": ["gluten"],
        "vh_namn": "Eva Svensson",
        "vh_epost": "eva@example.se",
    }
    answers.update(more)
    return answers


def test_realistic_answers_pass(specialkost: dict[str, Any]) -> None:
    cleaned = clean_answers(specialkost, base_specialkost(startdatum="2025-08-18"), today=TODAY)
    assert cleaned == {
        "elev_namn": "Olle Svensson",
        "elev_personnummer": "19900101-0017",
        "skola": "alne",
        "grund": "etisk",
        "kost": ["gluten"],
        "vh_namn": "Eva Svensson",
        "vh_epost": "eva@example.se",
        "startdatum": "2025-08-18",
    }
    json.dumps(cleaned)


def test_hidden_follow_up_is_not_required(specialkost: dict[str, Any]) -> None:
    # intyg is required, but only asked for on medical grounds.
    cleaned = clean_answers(specialkost, base_specialkost(grund="etisk"), today=TODAY)
    assert "intyg" not in cleaned


def test_shown_follow_up_is_required(specialkost: dict[str, Any]) -> None:
    answers = base_specialkost(grund="medicinsk", allvarlig="nej")
    with pytest.raises(Invalid) as caught:
        clean_answers(specialkost, answers, today=TODAY)
    assert caught.value.errors == {"intyg": "Attach Läkarintyg."}
    cleaned = clean_answers(specialkost, {**answers, "intyg": [PDF]}, today=TODAY)
    assert cleaned["intyg"] == [PDF]
    assert cleaned["allvarlig"] is False


def test_hidden_answers_are_dropped_and_not_validated(specialkost: dict[str, Any]) -> None:
    answers = base_specialkost(grund="etisk", intyg="not even a file", allvarlig="kanske")
    cleaned = clean_answers(specialkost, answers, today=TODAY)
    assert "intyg" not in cleaned and "allvarlig" not in cleaned


def test_hiding_is_transitive(specialkost: dict[str, Any]) -> None:
    # penna_plats follows adrenalin, which follows allvarlig, in a step shown on
    # medical grounds only: on ethical grounds all three are hidden, whatever was sent.
    medical = base_specialkost(
        grund="medicinsk", intyg=[PDF], allvarlig="ja", adrenalin="ja", penna_plats="Expeditionen"
    )
    assert clean_answers(specialkost, medical, today=TODAY)["penna_plats"] == "Expeditionen"
    assert {"allvarlig", "adrenalin", "penna_plats"} <= visible_question_ids(specialkost, medical)

    ethical = {**medical, "grund": "etisk"}
    visible = visible_question_ids(specialkost, ethical)
    assert not {"intyg", "allvarlig", "adrenalin", "penna_plats"} & visible
    cleaned = clean_answers(specialkost, ethical, today=TODAY)
    assert not {"intyg", "allvarlig", "adrenalin", "penna_plats"} & set(cleaned)

    not_serious = {**medical, "allvarlig": "nej"}
    cleaned = clean_answers(specialkost, not_serious, today=TODAY)
    assert "adrenalin" not in cleaned and "penna_plats" not in cleaned


def test_hidden_dependency_hides_even_a_negated_condition() -> None:
    definition = {
        "steps": [
            {
                "id": "s",
                "title": "S",
                "questions": [
                    {"id": "a", "type": "yes_no", "label": "A"},
                    {"id": "b", "type": "text", "label": "B", "visible_if": {"question": "a", "equals": True}},
                    {
                        "id": "c",
                        "type": "text",
                        "label": "C",
                        "visible_if": {"not": {"question": "b", "answered": True}},
                    },
                ],
            }
        ]
    }
    assert visible_question_ids(definition, {"a": "ja"}) == {"a", "b", "c"}
    assert visible_question_ids(definition, {"a": "ja", "b": "x"}) == {"a", "b"}
    # b is hidden, so c is too, though "b not answered" holds.
    assert visible_question_ids(definition, {"a": "nej"}) == {"a"}


def test_conditions_use_cleaned_values(specialkost: dict[str, Any]) -> None:
    # "Ja" from a form and True from JSON both show the follow-up.
    for yes in ("Ja", True, "1"):
        answers = base_specialkost(grund="medicinsk", intyg=[PDF], allvarlig=yes)
        assert "adrenalin" in visible_question_ids(specialkost, answers)


def test_contains_and_exclusive_options(specialkost: dict[str, Any]) -> None:
    answers = base_specialkost(kost=["annat"])
    with pytest.raises(Invalid) as caught:
        clean_answers(specialkost, answers, today=TODAY)
    assert caught.value.errors == {"annat_beskrivning": "Fill in Beskriv vad eleven inte tål."}
    with pytest.raises(Invalid) as caught:
        clean_answers(specialkost, base_specialkost(kost=["vet_ej", "fisk"]), today=TODAY)
    assert caught.value.errors == {"kost": "'Vet inte ännu' cannot be combined with other choices."}


def test_not_equals_waits_for_an_answer() -> None:
    definition = {
        "steps": [
            {
                "id": "s",
                "title": "S",
                "questions": [
                    {
                        "id": "a",
                        "type": "single_choice",
                        "label": "A",
                        "options": [{"value": "x", "label": "X"}, {"value": "y", "label": "Y"}],
                    },
                    {"id": "b", "type": "text", "label": "B", "visible_if": {"question": "a", "not_equals": "x"}},
                ],
            }
        ]
    }
    assert visible_question_ids(definition, {}) == {"a"}
    assert visible_question_ids(definition, {"a": "x"}) == {"a"}
    assert visible_question_ids(definition, {"a": "y"}) == {"a", "b"}


def test_any_condition() -> None:
    definition = {
        "steps": [
            {
                "id": "s",
                "title": "S",
                "questions": [
                    {"id": "n", "type": "number", "label": "N"},
                    {
                        "id": "t",
                        "type": "text",
                        "label": "T",
                        "visible_if": {"any": [{"question": "n", "equals": 1}, {"question": "n", "in": [5, 6]}]},
                    },
                ],
            }
        ]
    }
    assert "t" in visible_question_ids(definition, {"n": "1,0"})
    assert "t" in visible_question_ids(definition, {"n": 6})
    assert "t" not in visible_question_ids(definition, {"n": "2"})
    assert "t" not in visible_question_ids(definition, {"n": "not a number"})


# --- modes ---------------------------------------------------------------------------


def test_all_errors_are_reported_at_once(specialkost: dict[str, Any]) -> None:
    answers = {
        "elev_namn": "O",
        "elev_personnummer": "19900101-0018",
        "skola": "okand",
        "kost": ["gluten", "vet_ej"],
        "vh_epost": "eva@",
        "startdatum": "2025-01-01",
    }
    with pytest.raises(Invalid) as caught:
        clean_answers(specialkost, answers, today=TODAY)
    assert caught.value.errors == {
        "elev_namn": "Enter at least 2 characters.",
        "elev_personnummer": "Enter a valid personal identity number (YYYYMMDD-NNNN).",
        "skola": "Choose one of the options.",
        "grund": "Select Skäl till specialkost.",
        "kost": "'Vet inte ännu' cannot be combined with other choices.",
        "vh_namn": "Fill in Namn.",
        "vh_epost": "Enter a valid e-mail address.",
        "startdatum": "The date must be 2025-06-15 or later.",
    }
    assert list(caught.value.errors) == [
        "elev_namn",
        "elev_personnummer",
        "skola",
        "grund",
        "kost",
        "vh_namn",
        "vh_epost",
        "startdatum",
    ]
    assert caught.value.message == "There are 8 errors in the form."
    assert caught.value.to_dict()["errors"] == caught.value.errors


def test_partial_skips_required_but_checks_what_is_filled(specialkost: dict[str, Any]) -> None:
    assert clean_answers(specialkost, {"elev_namn": "Olle"}, partial=True) == {"elev_namn": "Olle"}
    assert clean_answers(specialkost, {}, partial=True) == {}
    with pytest.raises(Invalid) as caught:
        clean_answers(specialkost, {"elev_namn": "Olle", "vh_epost": "nej"}, partial=True)
    assert caught.value.errors == {"vh_epost": "Enter a valid e-mail address."}


def test_step_mode_validates_one_step_using_all_answers(specialkost: dict[str, Any]) -> None:
    answers = base_specialkost(grund="medicinsk")
    # The allergi step is shown because of an answer in the kost step.
    with pytest.raises(Invalid) as caught:
        clean_answers(specialkost, {**answers, "elev_namn": ""}, step_id="allergi", today=TODAY)
    assert caught.value.errors == {"allvarlig": "Answer yes or no."}
    cleaned = clean_answers(specialkost, {**answers, "allvarlig": "nej"}, step_id="allergi")
    assert cleaned == {"allvarlig": False}
    # A step hidden by the answers has nothing to validate.
    assert clean_answers(specialkost, base_specialkost(), step_id="allergi") == {}


def test_step_mode_errors_stay_in_the_step(specialkost: dict[str, Any]) -> None:
    answers = {
        "elev_namn": "Olle Svensson",
        "elev_personnummer": "19900101-0017",
        "skola": "alne",
        "vh_epost": "not an address",
    }
    assert clean_answers(specialkost, answers, step_id="elev") == {
        "elev_namn": "Olle Svensson",
        "elev_personnummer": "19900101-0017",
        "skola": "alne",
    }


def test_step_mode_with_partial(specialkost: dict[str, Any]) -> None:
    assert clean_answers(specialkost, {}, step_id="kontakt", partial=True) == {}


def test_unknown_step_is_invalid(specialkost: dict[str, Any]) -> None:
    with pytest.raises(Invalid):
        clean_answers(specialkost, {}, step_id="nope")


def test_unknown_keys_and_info_answers_are_ignored(specialkost: dict[str, Any]) -> None:
    answers = base_specialkost(hacker="x", info_intyg="y", csrf_token="z")
    cleaned = clean_answers(specialkost, answers, today=TODAY)
    assert not {"hacker", "info_intyg", "csrf_token"} & set(cleaned)


def test_html_form_data_with_several_values(specialkost: dict[str, Any]) -> None:
    form = MultiDict([*base_specialkost(kost="").items(), ("kost", "fisk"), ("kost", "gluten")])
    cleaned = clean_answers(specialkost, form, today=TODAY)
    assert cleaned["kost"] == ["gluten", "fisk"]
    assert cleaned["elev_namn"] == "Olle Svensson"


def test_answers_must_be_a_mapping(specialkost: dict[str, Any]) -> None:
    with pytest.raises(Invalid):
        clean_answers(specialkost, ["elev_namn"])  # type: ignore[arg-type]


# --- computed questions ------------------------------------------------------------


def sjuklon_answers(**more: Any) -> dict[str, Any]:
    answers = {
        "orgnr": "556036-0793",
        "foretag": "Assistans i Norr AB",
        "kontakt_epost": "lon@assistans.se",
        "brukare": "199001010017",
        "sjuk_fran": "2025-03-01",
        "sjuk_till": "2025-03-10",
        "sjuklon": "12 345,50",
        "semester": "1 000",
        "underlag": [{"name": "lonespec.pdf", "size": 2000, "content_type": "application/pdf"}],
        "intygar": "ja",
    }
    answers.update(more)
    return answers


def test_computed_fields_are_computed_from_cleaned_answers(sjuklon: dict[str, Any]) -> None:
    cleaned = clean_answers(sjuklon, sjuklon_answers(avgifter="999999", summa=1), today=TODAY)
    assert cleaned["sjuklon"] == 12345.5
    assert cleaned["semester"] == 1000
    assert cleaned["avgifter"] == 4193.16  # round(13345.5 * 0.3142, 2)
    assert cleaned["summa"] == 17538.66
    assert list(cleaned) == [
        "orgnr",
        "foretag",
        "kontakt_epost",
        "brukare",
        "sjuk_fran",
        "sjuk_till",
        "sjuklon",
        "semester",
        "avgifter",
        "summa",
        "underlag",
        "intygar",
    ]
    assert "kontrollera" in visible_question_ids(sjuklon, cleaned)


def test_computed_field_without_inputs_is_left_out(sjuklon: dict[str, Any]) -> None:
    cleaned = clean_answers(sjuklon, {"sjuklon": "100"}, partial=True, today=TODAY)
    assert cleaned == {"sjuklon": 100}
    assert "kontrollera" not in visible_question_ids(sjuklon, cleaned)


def test_computed_in_step_mode_uses_other_steps(sjuklon: dict[str, Any]) -> None:
    cleaned = clean_answers(sjuklon, sjuklon_answers(), step_id="belopp", today=TODAY)
    assert cleaned["summa"] == 17538.66
    assert "orgnr" not in cleaned


def test_invalid_input_gives_no_computed_value(sjuklon: dict[str, Any]) -> None:
    with pytest.raises(Invalid) as caught:
        clean_answers(sjuklon, sjuklon_answers(sjuklon="tolv"), today=TODAY)
    assert caught.value.errors == {"sjuklon": "Enter a number."}


def test_computed_from_hidden_question_is_empty() -> None:
    definition = {
        "steps": [
            {
                "id": "s",
                "title": "S",
                "questions": [
                    {"id": "har_lon", "type": "yes_no", "label": "Lön?"},
                    {
                        "id": "lon",
                        "type": "number",
                        "label": "Lön",
                        "visible_if": {"question": "har_lon", "equals": True},
                    },
                    {"id": "skatt", "type": "computed", "label": "Skatt", "formula": "lon * 0.3"},
                ],
            }
        ]
    }
    assert clean_answers(definition, {"har_lon": "ja", "lon": "100"}) == {"har_lon": True, "lon": 100, "skatt": 30}
    assert clean_answers(definition, {"har_lon": "nej", "lon": "100"}) == {"har_lon": False}


def test_division_by_zero_gives_no_value() -> None:
    definition = {
        "steps": [
            {
                "id": "s",
                "title": "S",
                "questions": [
                    {"id": "a", "type": "number", "label": "A"},
                    {"id": "b", "type": "number", "label": "B"},
                    {"id": "kvot", "type": "computed", "label": "Kvot", "formula": "a / b"},
                ],
            }
        ]
    }
    assert clean_answers(definition, {"a": 1, "b": 0}) == {"a": 1, "b": 0}
    assert clean_answers(definition, {"a": 1, "b": 4}) == {"a": 1, "b": 4, "kvot": 0.25}
