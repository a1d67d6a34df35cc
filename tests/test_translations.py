"""Every message in the code has Swedish; FAB's own strings too; the compiled catalogue works.

A forgotten translation fails here: run translations/update.sh and translate what
`python translations/catalog.py missing` lists.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from babel.messages.catalog import TranslationError
from babel.messages.checkers import python_format
from babel.support import Translations

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"


def _load_catalog_tools():
    spec = importlib.util.spec_from_file_location("etjanst_translation_catalog", TRANSLATIONS / "catalog.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


catalog_tools = _load_catalog_tools()


@pytest.fixture(scope="module")
def sv():
    return catalog_tools.read_sv()


def _untranslated(sv, msgids) -> list[str]:
    missing = []
    for msgid in msgids:
        message = sv.get(msgid)
        if message is None or not catalog_tools.translated(message):
            missing.append(msgid if isinstance(msgid, str) else msgid[0])
    return sorted(missing)


def test_every_message_in_our_code_has_swedish(sv):
    found = catalog_tools.project_messages()
    assert len(found) > 50
    missing = _untranslated(sv, found)
    assert missing == [], (
        f"{len(missing)} message ids have no Swedish translation in translations/sv "
        "(run translations/update.sh, then translate them):\n" + "\n".join(missing)
    )


def test_every_flask_appbuilder_message_has_swedish(sv):
    found = catalog_tools.fab_messages()
    assert "Login" in found and "Sign In" in found
    missing = _untranslated(sv, found)
    assert missing == [], "Flask-AppBuilder message ids without Swedish:\n" + "\n".join(missing)


def test_placeholders_survive_translation(sv):
    broken = []
    for message in sv:
        if message.id and message.string and message.python_format:
            try:
                python_format(sv, message)
            except TranslationError as error:
                broken.append(f"{message.id!r}: {error}")
    assert broken == []


def test_english_catalogue_has_the_same_messages(sv):
    from babel.messages.pofile import read_po

    with open(TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po", "rb") as fileobj:
        en = read_po(fileobj, locale="en")
    assert {m.id for m in sv if m.id} == {m.id for m in en if m.id}


def test_compiled_swedish_catalogue_translates_fab_and_our_strings():
    mo = TRANSLATIONS / "sv" / "LC_MESSAGES" / "messages.mo"
    assert mo.exists(), "compile the catalogues first: pybabel compile -d translations"
    translations = Translations.load(str(TRANSLATIONS), ["sv"])
    assert translations.gettext("Login") == "Logga in"
    assert translations.gettext("Sign In") == "Logga in"
    assert translations.gettext("Username") == "Användarnamn"
    assert translations.gettext("Password") == "Lösenord"
    assert translations.gettext("Save") == "Spara"
    assert translations.gettext("Search") == "Sök"
    assert translations.gettext("Skip to content") == "Hoppa till innehållet"
    assert translations.gettext("Welcome to the e-services") == "Välkommen till e-tjänsterna"
