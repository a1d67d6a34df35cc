"""The form engine's messages: every msgid has a Swedish translation, and it is used."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask
from flask_babel import Babel

from shared.errors import Invalid
from shared.forms import check_definition, clean_answers, display_value, evaluate_formula

FORMS = Path(__file__).resolve().parents[3] / "shared" / "forms"
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]")
ROW = re.compile(r"^\|\s*`(?P<en>[^`]+)`\s*\|\s*`(?P<sv>[^`]+)`\s*\|$")
PO_BLOCK = re.compile(r"```po\n(?P<po>.*?)```", re.DOTALL)


def documented() -> tuple[dict[str, str], dict[tuple[str, ...], tuple[str, ...]]]:
    """Read SV_MESSAGES.md: the table (msgid → Swedish) and the po block of plurals."""
    text = (FORMS / "SV_MESSAGES.md").read_text(encoding="utf-8")
    singular = {m["en"]: m["sv"] for m in map(ROW.match, text.splitlines()) if m}
    plural: dict[tuple[str, ...], tuple[str, ...]] = {}
    for block in PO_BLOCK.finditer(text):
        for message in read_po(io.BytesIO(block["po"].encode("utf-8")), locale="sv"):
            if message.id:
                plural[tuple(message.id)] = tuple(message.string or ())
    return singular, plural


def extracted() -> Iterator[str | tuple[str, ...]]:
    """Extract the msgids from the code as pybabel extract does."""
    for path in sorted(FORMS.glob("*.py")):
        for _line, message, _comments, _context in extract_from_file("python", str(path), keywords=DEFAULT_KEYWORDS):
            yield message


def test_every_msgid_in_the_code_is_translated() -> None:
    singular, plural = documented()
    in_code = set(extracted())
    assert {m for m in in_code if isinstance(m, str)} == set(singular)
    assert {m for m in in_code if isinstance(m, tuple)} == set(plural)


def test_translations_keep_the_placeholders() -> None:
    singular, plural = documented()
    for msgid, swedish in singular.items():
        assert sorted(PLACEHOLDER.findall(msgid)) == sorted(PLACEHOLDER.findall(swedish)), msgid
    for (one, many), (sv_one, sv_many) in plural.items():
        assert set(PLACEHOLDER.findall(one)) | set(PLACEHOLDER.findall(many)) == set(PLACEHOLDER.findall(sv_one)) | set(
            PLACEHOLDER.findall(sv_many)
        ), one


@pytest.fixture
def swedish_app(tmp_path: Path) -> Iterator[Flask]:
    """An app whose sv catalogue is built from SV_MESSAGES.md, as the real one will be."""
    singular, plural = documented()
    catalog = Catalog(locale="sv")
    for msgid, swedish in singular.items():
        catalog.add(msgid, swedish)
    for ids, strings in plural.items():
        catalog.add(ids, strings)
    target = tmp_path / "sv" / "LC_MESSAGES"
    target.mkdir(parents=True)
    with open(target / "messages.mo", "wb") as mo:
        write_mo(mo, catalog)
    app = Flask(__name__)
    app.config.update(BABEL_DEFAULT_LOCALE="sv", BABEL_TRANSLATION_DIRECTORIES=str(tmp_path))
    Babel(app)
    with app.test_request_context():
        yield app


def _errors(definition: dict[str, Any], answers: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(Invalid) as caught:
        clean_answers(definition, answers)
    return caught.value.errors


def test_messages_are_swedish_in_a_swedish_request(
    swedish_app: Flask, specialkost: dict[str, Any], sjuklon: dict[str, Any]
) -> None:
    errors = _errors(specialkost, {"elev_personnummer": "123", "skola": "x"})
    assert errors["elev_namn"] == "Fyll i Elevens namn."
    assert errors["elev_personnummer"] == "Ange ett giltigt personnummer (ÅÅÅÅMMDD-NNNN)."
    assert errors["skola"] == "Välj ett av alternativen."
    assert errors["kost"] == "Välj minst 1 alternativ."
    errors = _errors(sjuklon, {"sjuklon": "2000000"})
    assert errors["sjuklon"] == "Värdet får vara högst 1\u00a0000\u00a0000."
    assert errors["underlag"] == "Bifoga Lönespecifikationer."

    specialkost["steps"][1]["questions"][3]["visible_if"] = {"question": "grund_x", "equals": "m"}
    [problem] = check_definition(specialkost)
    assert problem.message == "Fråga 'intyg': villkoret pekar på frågan 'grund_x' som inte finns."

    with pytest.raises(Invalid) as caught:
        evaluate_formula("__import__('os').system('x')", {})
    assert caught.value.message == "Formeln får bara innehålla tal, frågor och räknesätt."
    assert display_value({"type": "yes_no"}, True) == "Ja"
    assert display_value({"type": "number"}, 1234.5) == "1\u00a0234,5"
