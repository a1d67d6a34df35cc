"""Form definitions of the demo e-services, modelled on the seeds' good examples."""

from __future__ import annotations

from typing import Any

SKOLOR = [
    {"value": "alneskolan", "label": "Alneskolan"},
    {"value": "bergsskolan", "label": "Bergsskolan"},
    {"value": "centrumskolan", "label": "Centrumskolan"},
    {"value": "solbackens_skola", "label": "Solbackens skola"},
]

SKOLSKJUTS: dict[str, Any] = {
    "steps": [
        {
            "id": "elev",
            "title": "Elev",
            "questions": [
                {"id": "elev_namn", "type": "text", "label": "Elevens namn", "required": True,
                 "validation": {"max_length": 100}},
                {"id": "elev_personnummer", "type": "personnummer", "label": "Elevens personnummer", "required": True},
                {"id": "skola", "type": "single_choice", "display": "select", "label": "Skola", "required": True,
                 "options": SKOLOR},
                {"id": "arskurs", "type": "number", "label": "Årskurs", "required": True,
                 "validation": {"min": 0, "max": 9}},
            ],
        },
        {
            "id": "skjuts",
            "title": "Skolskjuts",
            "questions": [
                {"id": "typ", "type": "single_choice", "display": "radio", "label": "Typ av skolskjuts",
                 "required": True,
                 "options": [
                     {"value": "buss", "label": "Busskort (linjetrafik)"},
                     {"value": "taxi", "label": "Anpassad skolskjuts (taxi)"},
                 ]},
                {"id": "skal_taxi", "type": "textarea", "label": "Skäl till anpassad skolskjuts", "required": True,
                 "help": "Beskriv varför eleven inte kan åka med linjetrafik.",
                 "visible_if": {"question": "typ", "equals": "taxi"}},
                {"id": "startdatum", "type": "date", "label": "Önskat startdatum för skolskjuts", "required": True},
                {"id": "avstand", "type": "number", "label": "Avstånd hem–skola (km)",
                 "validation": {"min": 0, "max": 200, "decimals": 1}},
                {"id": "telefon", "type": "phone", "label": "Vårdnadshavares telefon", "required": True},
            ],
        },
    ]
}

SPECIALKOST: dict[str, Any] = {
    "steps": [
        {
            "id": "barn",
            "title": "Barnet",
            "questions": [
                {"id": "barn_namn", "type": "text", "label": "Barnets namn", "required": True},
                {"id": "barn_personnummer", "type": "personnummer", "label": "Barnets personnummer", "required": True},
                {"id": "enhet", "type": "single_choice", "display": "select", "label": "Förskola eller skola",
                 "required": True, "options": SKOLOR + [{"value": "forskolan_tallen", "label": "Förskolan Tallen"}]},
            ],
        },
        {
            "id": "kost",
            "title": "Specialkost",
            "questions": [
                {"id": "grund", "type": "single_choice", "display": "radio", "label": "Grund för specialkost",
                 "required": True,
                 "options": [
                     {"value": "medicinsk", "label": "Medicinska skäl"},
                     {"value": "etisk", "label": "Etiska eller religiösa skäl"},
                 ]},
                {"id": "kost", "type": "multiple_choice", "label": "Vilken kost behövs?", "required": True,
                 "options": [
                     {"value": "gluten", "label": "Glutenfri"},
                     {"value": "laktos", "label": "Laktosfri"},
                     {"value": "mjolkprotein", "label": "Fri från mjölkprotein"},
                     {"value": "notter", "label": "Fri från nötter"},
                     {"value": "vegetarisk", "label": "Vegetarisk"},
                     {"value": "flaskfri", "label": "Fläskfri"},
                 ],
                 "validation": {"min_choices": 1}},
                {"id": "intyg_info", "type": "info", "label": "Läkarintyg",
                 "text": "För specialkost av medicinska skäl kräver lagen ett läkarintyg.",
                 "visible_if": {"question": "grund", "equals": "medicinsk"}},
                {"id": "intyg", "type": "file", "label": "Läkarintyg", "required": True,
                 "visible_if": {"question": "grund", "equals": "medicinsk"},
                 "file": {"max_size_mb": 10, "max_files": 3,
                          "content_types": ["application/pdf", "image/jpeg", "image/png"]}},
                {"id": "beskrivning", "type": "textarea", "label": "Beskriv allergin eller kosten",
                 "validation": {"max_length": 2000}},
            ],
        },
        {
            "id": "kontakt",
            "title": "Kontaktuppgifter",
            "questions": [
                {"id": "vardnadshavare", "type": "text", "label": "Vårdnadshavares namn", "required": True},
                {"id": "epost", "type": "email", "label": "E-postadress", "required": True},
                {"id": "mobil", "type": "phone", "label": "Mobilnummer"},
            ],
        },
    ]
}

KURSER = [
    {"value": "piano", "label": "Piano"},
    {"value": "gitarr", "label": "Gitarr"},
    {"value": "fiol", "label": "Fiol"},
    {"value": "teater", "label": "Teater"},
    {"value": "dans", "label": "Dans"},
    {"value": "bild", "label": "Bild och form"},
]

KULTURSKOLAN: dict[str, Any] = {
    "steps": [
        {
            "id": "elev",
            "title": "Elev",
            "questions": [
                {"id": "elev_namn", "type": "text", "label": "Elevens namn", "required": True},
                {"id": "elev_personnummer", "type": "personnummer", "label": "Elevens personnummer", "required": True},
                {"id": "skola", "type": "single_choice", "display": "select", "label": "Skola", "required": True,
                 "options": SKOLOR},
            ],
        },
        {
            "id": "kurs",
            "title": "Kurs",
            "questions": [
                {"id": "kurs", "type": "single_choice", "display": "radio", "label": "Kurs", "required": True,
                 "options": KURSER},
                {"id": "skoltid", "type": "yes_no", "label": "Under skoltid?", "required": True},
                {"id": "erfarenhet", "type": "textarea", "label": "Tidigare erfarenhet"},
            ],
        },
    ]
}


def larmavtal(version: int) -> dict[str, Any]:
    """Larmavtal – KAC: later versions added alarm types and the company's organisationsnummer."""
    larmtyper = [
        {"value": "brandlarm", "label": "Brandlarm"},
        {"value": "inbrottslarm", "label": "Inbrottslarm"},
    ]
    if version >= 2:
        larmtyper += [{"value": "driftlarm", "label": "Driftlarm"}, {"value": "hisslarm", "label": "Hisslarm"}]
    avtalspart_questions: list[dict[str, Any]] = [
        {"id": "avtalspart", "type": "single_choice", "display": "radio", "label": "Avtalspart", "required": True,
         "options": [
             {"value": "privatperson", "label": "Privatperson"},
             {"value": "foretag", "label": "Företag/förening/organisation"},
         ]},
        {"id": "kontaktperson", "type": "text", "label": "Kontaktperson", "required": True},
    ]
    if version >= 3:
        avtalspart_questions.insert(1, {
            "id": "organisationsnummer", "type": "organisationsnummer", "label": "Organisationsnummer",
            "required": True, "visible_if": {"question": "avtalspart", "equals": "foretag"},
        })
    return {
        "steps": [
            {"id": "avtalspart", "title": "Avtalspart", "questions": avtalspart_questions},
            {
                "id": "larm",
                "title": "Larm",
                "questions": [
                    {"id": "larmtyp", "type": "multiple_choice", "label": "Larmtyp", "required": True,
                     "options": larmtyper},
                    {"id": "adress", "type": "text", "label": "Anläggningens adress", "required": True},
                    {"id": "fastighet", "type": "text", "label": "Fastighetsbeteckning"},
                    {"id": "telefon", "type": "phone", "label": "Telefon dygnet runt", "required": True},
                ],
            },
        ]
    }
