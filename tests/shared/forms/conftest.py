"""Two realistic form definitions, as a builder would write them."""

from __future__ import annotations

import copy
from typing import Any

import pytest

SPECIALKOST: dict[str, Any] = {
    "title": "Ansökan om specialkost",
    "steps": [
        {
            "id": "elev",
            "title": "Elev",
            "questions": [
                {
                    "id": "elev_namn",
                    "type": "text",
                    "label": "Elevens namn",
                    "required": True,
                    "validation": {
                        "min_length": 2,
                        "max_length": 100,
                        "pattern": "^[^0-9]*$",
                        "pattern_message": "Namnet får inte innehålla siffror.",
                    },
                },
                {"id": "elev_personnummer", "type": "personnummer", "label": "Elevens personnummer", "required": True},
                {
                    "id": "skola",
                    "type": "single_choice",
                    "display": "radio",
                    "label": "Skola",
                    "required": True,
                    "options": [
                        {"value": "alne", "label": "Alneskolan"},
                        {"value": "bergs", "label": "Bergsskolan"},
                        {"value": "centrum", "label": "Centrumskolan"},
                    ],
                },
                {"id": "klass", "type": "text", "label": "Klass", "help": "Till exempel 4B"},
            ],
        },
        {
            "id": "kost",
            "title": "Kost",
            "description": "Berätta vilken kost eleven behöver.",
            "questions": [
                {
                    "id": "grund",
                    "type": "single_choice",
                    "display": "select",
                    "label": "Skäl till specialkost",
                    "required": True,
                    "options": [
                        {"value": "medicinsk", "label": "Medicinska skäl"},
                        {"value": "etisk", "label": "Etiska eller religiösa skäl"},
                    ],
                },
                {
                    "id": "kost",
                    "type": "multiple_choice",
                    "label": "Livsmedel som ska undvikas",
                    "options": [
                        {"value": "gluten", "label": "Gluten"},
                        {"value": "laktos", "label": "Laktos"},
                        {"value": "notter", "label": "Nötter"},
                        {"value": "fisk", "label": "Fisk"},
                        {"value": "annat", "label": "Annat"},
                        {"value": "vet_ej", "label": "Vet inte ännu", "exclusive": True},
                    ],
                    "validation": {"min_choices": 1, "max_choices": 4},
                },
                {
                    "id": "annat_beskrivning",
                    "type": "textarea",
                    "label": "Beskriv vad eleven inte tål",
                    "required": True,
                    "visible_if": {"question": "kost", "contains": "annat"},
                },
                {
                    "id": "intyg",
                    "type": "file",
                    "label": "Läkarintyg",
                    "required": True,
                    "visible_if": {"question": "grund", "equals": "medicinsk"},
                    "file": {
                        "max_size_mb": 10,
                        "max_files": 3,
                        "content_types": ["application/pdf", "image/jpeg", "image/png"],
                    },
                },
                {
                    "id": "info_intyg",
                    "type": "info",
                    "label": "Observera",
                    "text": "Intyget ska vara högst ett år gammalt.",
                    "visible_if": {"question": "grund", "equals": "medicinsk"},
                },
            ],
        },
        {
            "id": "allergi",
            "title": "Allergi",
            "visible_if": {"question": "grund", "equals": "medicinsk"},
            "questions": [
                {"id": "allvarlig", "type": "yes_no", "label": "Är allergin livshotande?", "required": True},
                {
                    "id": "adrenalin",
                    "type": "yes_no",
                    "label": "Har eleven adrenalinpenna?",
                    "required": True,
                    "visible_if": {"question": "allvarlig", "equals": True},
                },
                {
                    "id": "penna_plats",
                    "type": "text",
                    "label": "Var förvaras pennan?",
                    "required": True,
                    "visible_if": {
                        "all": [
                            {"question": "adrenalin", "equals": True},
                            {"question": "skola", "in": ["alne", "bergs"]},
                        ]
                    },
                },
            ],
        },
        {
            "id": "kontakt",
            "title": "Vårdnadshavare",
            "questions": [
                {"id": "vh_namn", "type": "text", "label": "Namn", "required": True},
                {"id": "vh_epost", "type": "email", "label": "E-post", "required": True},
                {"id": "vh_telefon", "type": "phone", "label": "Telefon"},
                {"id": "startdatum", "type": "date", "label": "Från och med", "validation": {"min": "today"}},
                {"id": "ovrigt", "type": "textarea", "label": "Övrigt", "validation": {"max_length": 2000}},
            ],
        },
    ],
}

SJUKLON: dict[str, Any] = {
    "title": "Sjuklöneersättning",
    "steps": [
        {
            "id": "arbetsgivare",
            "title": "Arbetsgivare",
            "questions": [
                {"id": "orgnr", "type": "organisationsnummer", "label": "Organisationsnummer", "required": True},
                {"id": "foretag", "type": "text", "label": "Företagets namn", "required": True},
                {"id": "kontakt_epost", "type": "email", "label": "E-post", "required": True},
                {"id": "kontakt_telefon", "type": "phone", "label": "Telefon"},
            ],
        },
        {
            "id": "assistans",
            "title": "Assistansen",
            "questions": [
                {"id": "brukare", "type": "personnummer", "label": "Brukarens personnummer", "required": True},
                {
                    "id": "sjuk_fran",
                    "type": "date",
                    "label": "Sjuk från och med",
                    "required": True,
                    "validation": {"min": "2020-01-01", "max": "today"},
                },
                {
                    "id": "sjuk_till",
                    "type": "date",
                    "label": "Sjuk till och med",
                    "required": True,
                    "validation": {"min": "2020-01-01", "max": "today"},
                },
            ],
        },
        {
            "id": "belopp",
            "title": "Belopp",
            "questions": [
                {
                    "id": "sjuklon",
                    "type": "number",
                    "label": "Utbetald sjuklön (kr)",
                    "required": True,
                    "validation": {"min": 0, "max": 1000000, "decimals": 2},
                },
                {
                    "id": "semester",
                    "type": "number",
                    "label": "Semesterersättning (kr)",
                    "required": True,
                    "help": "Skriv 0 om ingen semesterersättning betalats ut.",
                    "validation": {"min": 0, "max": 1000000, "decimals": 2},
                },
                {
                    "id": "avgifter",
                    "type": "computed",
                    "label": "Sociala avgifter (31,42 %)",
                    "formula": "round((sjuklon + semester) * 0.3142, 2)",
                },
                {
                    "id": "summa",
                    "type": "computed",
                    "label": "Summa att ersätta",
                    "formula": "sjuklon + semester + avgifter",
                },
                {
                    "id": "kontrollera",
                    "type": "info",
                    "label": "Kontrollera summan",
                    "text": "Summan ska stämma med lönespecifikationerna.",
                    "visible_if": {"question": "summa", "answered": True},
                },
                {
                    "id": "underlag",
                    "type": "file",
                    "label": "Lönespecifikationer",
                    "required": True,
                    "file": {"max_size_mb": 5, "max_files": 5, "content_types": ["application/pdf"]},
                },
                {
                    "id": "intygar",
                    "type": "yes_no",
                    "label": "Jag intygar att uppgifterna är riktiga",
                    "required": True,
                },
            ],
        },
    ],
}


@pytest.fixture
def specialkost() -> dict[str, Any]:
    """The "Ansökan om specialkost" definition (a fresh copy per test)."""
    return copy.deepcopy(SPECIALKOST)


@pytest.fixture
def sjuklon() -> dict[str, Any]:
    """The "Sjuklöneersättning" definition (a fresh copy per test)."""
    return copy.deepcopy(SJUKLON)
