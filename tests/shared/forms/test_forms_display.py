"""F-ES-11: answers shown as people read them, in summaries, headers and search text."""

from __future__ import annotations

from typing import Any

import pytest

from shared.forms import answers_text, clean_answers, display_value, find_question, summarize

PDF = {"name": "intyg.pdf", "size": 1, "content_type": "application/pdf"}
JPG = {"name": "foto.jpg", "size": 1, "content_type": "image/jpeg"}
OPTIONS = [{"value": "alne", "label": "Alneskolan"}, {"value": "bergs", "label": "Bergsskolan"}]


@pytest.mark.parametrize(
    ("question", "value", "text"),
    [
        ({"type": "text"}, "Anna", "Anna"),
        ({"type": "single_choice", "options": OPTIONS}, "bergs", "Bergsskolan"),
        ({"type": "single_choice", "options": OPTIONS}, "borttagen", "borttagen"),
        ({"type": "multiple_choice", "options": OPTIONS}, ["alne", "bergs"], "Alneskolan, Bergsskolan"),
        ({"type": "yes_no"}, True, "Yes"),
        ({"type": "yes_no"}, False, "No"),
        ({"type": "date"}, "2025-06-15", "2025-06-15"),
        ({"type": "file"}, [PDF, JPG], "intyg.pdf, foto.jpg"),
        ({"type": "number"}, 1000000, "1\u00a0000\u00a0000"),
        ({"type": "number"}, 12.5, "12,5"),
        ({"type": "computed"}, 314.36, "314,36"),
        ({"type": "personnummer"}, "19900101-0017", "19900101-0017"),
        ({"type": "text"}, None, ""),
        ({"type": "info", "text": "x"}, "ignored", ""),
    ],
)
def test_display_value(question: dict[str, Any], value: Any, text: str) -> None:
    assert display_value(question, value) == text


def test_summarize_gives_label_and_text_in_the_given_order(specialkost: dict[str, Any]) -> None:
    answers = {
        "elev_namn": "Olle Svensson",
        "elev_personnummer": "19900101-0017",
        "skola": "alne",
        "kost": ["gluten", "fisk"],
    }
    assert summarize(specialkost, answers, ["skola", "elev_namn", "kost", "klass", "borttagen"]) == [
        ("Skola", "Alneskolan"),
        ("Elevens namn", "Olle Svensson"),
        ("Livsmedel som ska undvikas", "Gluten, Fisk"),
    ]


def test_answers_text_joins_visible_answers(specialkost: dict[str, Any]) -> None:
    answers = {
        "elev_namn": "Olle Svensson",
        "elev_personnummer": "19900101-0017",
        "skola": "bergs",
        "grund": "etisk",
        "kost": ["laktos"],
        "allvarlig": True,
        "vh_epost": "eva@example.se",
    }
    # allvarlig is in a step hidden on ethical grounds, so it is not searchable.
    assert answers_text(specialkost, answers) == (
        "Olle Svensson 19900101-0017 Bergsskolan Etiska eller religiösa skäl Laktos eva@example.se"
    )


def test_answers_text_of_cleaned_sjuklon(sjuklon: dict[str, Any]) -> None:
    answers = clean_answers(sjuklon, {"foretag": "Assistans AB", "sjuklon": "100", "semester": "0"}, partial=True)
    assert answers_text(sjuklon, answers) == "Assistans AB 100 0 31,42 131,42"
    question = find_question(sjuklon, "summa")
    assert question is not None and display_value(question, answers["summa"]) == "131,42"
