"""The form editor's screens (F-ES-2, F-ES-3), logged in for real with CSRF on, and the round trip:
the Specialkost form built through the editor, published, sent in from the portal, seen in the back office."""

from __future__ import annotations

import io
import json
import re
from html import unescape

import pytest
from sqlalchemy import select

import config
from shared.db import db
from shared.demo.definitions import SPECIALKOST
from shared.models import AuditEntry, Case, EService, EServiceVersion, VersionState
from tests import factories
from tests.backoffice.casehelp import sign_in
from tests.backoffice.conftest import csrf_token

BASE = "/byggare/etjanster"


def text(response) -> str:
    html = response.get_data(as_text=True)
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def html_of(response) -> str:
    return response.get_data(as_text=True)


def location(response) -> str:
    assert response.status_code in (302, 303), (response.status_code, text(response)[:3000])
    return response.headers["Location"]


def versions_of(eservice_id: int) -> list[EServiceVersion]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(EServiceVersion).where(EServiceVersion.eservice_id == eservice_id).order_by(EServiceVersion.number)
        )
    )


def actions() -> list[str]:
    """The audit log's actions, oldest first, without the test's own logins (staff_login*)."""
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(AuditEntry.action).where(AuditEntry.action.not_like("staff_login%")).order_by(AuditEntry.id)
        )
    )


@pytest.fixture
def setup(bo):
    builder = factories.builder()
    eservice = factories.eservice("Resebidrag", slug="resebidrag")
    db.session.commit()
    return eservice, builder


def vurl(eservice, version, rest: str = "") -> str:
    return f"{BASE}/{eservice.id}/formular/{version.id}{rest}"


def test_a_handler_is_refused_and_nothing_changes(setup, client):
    eservice, _builder = setup
    version = eservice.versions[0]
    token = sign_in(client, factories.user("hanna"))
    assert client.get(f"{BASE}/{eservice.id}/formular").status_code == 403
    assert client.get(vurl(eservice, version)).status_code == 403
    assert client.get(vurl(eservice, version, "/export.json")).status_code == 403
    for url in (
        f"{BASE}/{eservice.id}/formular/ny",
        vurl(eservice, version, "/publicera"),
        vurl(eservice, version, "/nytt-steg"),
    ):
        assert client.post(url, data={"csrf_token": token, "title": "X"}).status_code == 403, url
    assert len(versions_of(eservice.id)) == 1 and actions() == []


def test_the_versions_list_and_new_version(setup, client):
    eservice, builder = setup
    factories.case(eservice)
    db.session.commit()
    token = sign_in(client, builder)
    # The e-service's hub links to the section.
    assert f'href="{BASE}/{eservice.id}/formular"' in html_of(client.get(f"{BASE}/{eservice.id}"))
    response = client.get(f"{BASE}/{eservice.id}/formular")
    page = text(response)
    assert response.status_code == 200
    assert "Formulär och versioner" in page and "Version 1" in page and "Publicerad" in page
    assert re.search(r"<th scope=\"col\">Ärenden</th>", html_of(response))
    assert re.search(r"Version 1.*?Publicerad.*?\s1\s", page)
    response = client.post(f"{BASE}/{eservice.id}/formular/ny", data={"csrf_token": token})
    v2 = versions_of(eservice.id)[1]
    assert location(response).endswith(vurl(eservice, v2))
    assert (v2.number, v2.state, v2.definition) == (2, VersionState.DRAFT, eservice.versions[0].definition)
    page = client.get(location(response))
    assert "Version 2 har skapats som utkast." in text(page)
    # The version page: the editor, and the preview drawn with the portal's form macros.
    html = html_of(page)
    assert 'id="step-sokande"' in html and 'id="question-namn"' in html
    assert re.search(r'<input class="form-control" type="text" id="preview-namn" name="namn"', html)
    assert 'id="preview-skola-group"' in html and "forms/conditions.js" in html
    assert "<script>" not in html.split("<main", 1)[1] or "<script>" not in html
    assert "Publicera version 2" in text(page)


def test_adding_a_question_shows_errors_per_field_and_keeps_what_was_typed(setup, client):
    eservice, builder = setup
    draft_response = None
    token = sign_in(client, builder)
    draft_response = client.post(f"{BASE}/{eservice.id}/formular/ny", data={"csrf_token": token})
    draft = versions_of(eservice.id)[1]
    assert draft_response.status_code == 302
    chooser = client.get(vurl(eservice, draft, "/steg/sokande/ny-fraga"))
    assert chooser.status_code == 200 and "Vilken sorts fråga?" in text(chooser)
    assert client.get(vurl(eservice, draft, "/steg/sokande/ny-fraga?chosen=1")).status_code == 422
    form = client.get(vurl(eservice, draft, "/steg/sokande/ny-fraga?type=number"))
    html = html_of(form)
    assert form.status_code == 200 and 'name="v-min"' in html and 'name="v-decimals"' in html
    assert 'name="options"' not in html and 'name="formula"' not in html
    response = client.post(
        vurl(eservice, draft, "/steg/sokande/ny-fraga?type=number"),
        data={"csrf_token": token, "type": "number", "label": "", "v-min": "tio", "help": "Hur många"},
    )
    html = html_of(response)
    assert response.status_code == 422
    summary = re.search(r'<div class="alert alert-danger error-summary"[^>]*role="alert".*?</div>', html, re.S).group(0)
    assert re.findall(r'href="#([^"]+)"', summary) == ["f-label", "f-v-min"]
    assert 'id="f-v-min" name="v-min" value="tio"' in html and "Hur många" in html
    assert 'aria-invalid="true"' in html and "Ange ett tal." in unescape(html)
    response = client.post(
        vurl(eservice, draft, "/steg/sokande/ny-fraga"),
        data={
            "csrf_token": token,
            "type": "number",
            "label": "Antal resor",
            "v-min": "1",
            "v-decimals": "0",
            "required": "1",
        },
    )
    assert location(response).endswith(vurl(eservice, draft) + "#question-antal_resor")
    question = versions_of(eservice.id)[1].definition["steps"][0]["questions"][-1]
    assert question == {
        "id": "antal_resor",
        "type": "number",
        "label": "Antal resor",
        "required": True,
        "validation": {"min": 1, "decimals": 0},
    }
    assert "Frågan har lagts till." in text(client.get(location(response)))
    # The audit log names the change, with the question as it was saved.
    admin = factories.admin()
    other = client.application.test_client()
    sign_in(other, admin)
    page = text(other.get("/granskningslogg/"))
    assert "Formulärfråga tillagd" in page and "Formulärversion skapad" in page and "Antal resor" in page


def test_changing_the_type_redraws_the_form_and_more_options_adds_rows(setup, client):
    eservice, builder = setup
    token = sign_in(client, builder)
    client.post(f"{BASE}/{eservice.id}/formular/ny", data={"csrf_token": token})
    draft = versions_of(eservice.id)[1]
    url = vurl(eservice, draft, "/fraga/ovrigt")
    page = html_of(client.get(url))
    assert '<option value="textarea" selected>' in page and 'name="v-max_length"' in page
    # The condition's question select lists the questions before it; the answers are grouped by question.
    select_html = re.search(r'<select class="form-control" id="f-cond-1-question".*?</select>', page, re.S).group(0)
    assert re.findall(r'<option value="([^"]*)"', select_html) == ["", "namn", "personnummer", "skola"]
    assert (
        '<optgroup label="Skola" data-question="skola">' in page and '<option value="alne">Alneskolan</option>' in page
    )
    response = client.post(
        url, data={"csrf_token": token, "type": "multiple_choice", "label": "Övrigt", "refresh": "1"}
    )
    page = html_of(response)
    assert response.status_code == 200 and 'name="option-3-label"' in page and 'name="option-4-label"' not in page
    assert 'name="v-min_choices"' in page and 'name="option-1-exclusive"' in page
    # The stored question is previewed as applicants see it; a redraw previews what was typed.
    assert re.search(r'<textarea class="form-control" id="preview-ovrigt" name="ovrigt"', html_of(client.get(url)))
    response = client.post(
        url,
        data={
            "csrf_token": token,
            "type": "single_choice",
            "label": "Färdsätt",
            "option_rows": "2",
            "option-1-label": "Buss",
            "option-2-label": "Taxi",
            "refresh": "1",
        },
    )
    preview = html_of(response).split('id="question-preview-title"', 1)[1]
    assert "Färdsätt" in preview and re.search(
        r'<input type="radio" id="preview-ovrigt-2" name="ovrigt" value="taxi"', preview
    )
    assert versions_of(eservice.id)[1].definition == eservice.versions[0].definition  # nothing saved
    response = client.post(
        url,
        data={
            "csrf_token": token,
            "type": "multiple_choice",
            "label": "Övrigt",
            "option_rows": "3",
            "more_options": "1",
        },
    )
    assert 'name="option-8-label"' in html_of(response)


def test_editing_a_version_with_cases_saves_in_a_new_draft(setup, client):
    eservice, builder = setup
    factories.case(eservice)
    db.session.commit()
    published = eservice.versions[0]
    token = sign_in(client, builder)
    page = text(client.get(vurl(eservice, published)))
    assert "1 ärende använder den här versionen, så den ändras aldrig." in page
    response = client.post(
        vurl(eservice, published, "/fraga/namn"), data={"csrf_token": token, "type": "text", "label": "Sökandens namn"}
    )
    old, new = versions_of(eservice.id)
    assert location(response).endswith(vurl(eservice, new) + "#question-namn")
    assert old.definition["steps"][0]["questions"][0]["label"] == "Namn"
    assert new.definition["steps"][0]["questions"][0]["label"] == "Sökandens namn" and new.state == VersionState.DRAFT
    assert "ändringen sparades i ett nytt utkast, version 2" in text(client.get(location(response)))


def test_publish_refuses_a_broken_definition_naming_the_question_then_publishes(setup, client):
    eservice, builder = setup
    token = sign_in(client, builder)
    client.post(f"{BASE}/{eservice.id}/formular/ny", data={"csrf_token": token})
    draft = versions_of(eservice.id)[1]
    client.post(
        vurl(eservice, draft, "/fraga/ovrigt"),
        data={
            "csrf_token": token,
            "type": "textarea",
            "label": "Övrigt",
            "cond-1-question": "skola",
            "cond-1-choice": "alne",
        },
    )
    # Deleting the question the condition names leaves a problem, listed on the version.
    response = client.post(vurl(eservice, draft, "/fraga/skola/ta-bort"), data={"csrf_token": token})
    page = client.get(location(response))
    assert "1 problem att åtgärda före publicering" in text(page)
    assert "Fråga 'ovrigt'" in text(page) and 'href="#question-ovrigt"' in html_of(page)
    response = client.post(vurl(eservice, draft, "/publicera"), data={"csrf_token": token})
    assert response.status_code == 422
    assert "Version 2 kan inte publiceras förrän problemen är åtgärdade:" in text(response)
    assert versions_of(eservice.id)[1].state == VersionState.DRAFT
    client.post(
        vurl(eservice, draft, "/fraga/ovrigt"), data={"csrf_token": token, "type": "textarea", "label": "Övrigt"}
    )
    response = client.post(vurl(eservice, draft, "/publicera"), data={"csrf_token": token})
    assert location(response).endswith(f"{BASE}/{eservice.id}/formular")
    old, new = versions_of(eservice.id)
    assert (old.state, new.state) == (VersionState.RETIRED, VersionState.PUBLISHED)
    page = text(client.get(location(response)))
    assert "Version 2 är publicerad" in page and "Ersatt" in page


def test_steps_move_and_delete_with_confirmation(setup, client):
    eservice, builder = setup
    token = sign_in(client, builder)
    client.post(f"{BASE}/{eservice.id}/formular/ny", data={"csrf_token": token})
    draft = versions_of(eservice.id)[1]
    response = client.post(vurl(eservice, draft, "/nytt-steg"), data={"csrf_token": token, "title": ""})
    assert response.status_code == 422 and "Skriv stegets rubrik." in text(response)
    response = client.post(vurl(eservice, draft, "/nytt-steg"), data={"csrf_token": token, "title": "Övrigt"})
    assert location(response).endswith("#step-ovrigt")
    client.post(vurl(eservice, draft, "/fraga/ovrigt/flytta"), data={"csrf_token": token, "direction": "down"})
    definition = versions_of(eservice.id)[1].definition
    assert [q["id"] for q in definition["steps"][1]["questions"]] == ["ovrigt"]
    client.post(vurl(eservice, draft, "/steg/ovrigt/flytta"), data={"csrf_token": token, "direction": "up"})
    assert [s["id"] for s in versions_of(eservice.id)[1].definition["steps"]] == ["ovrigt", "sokande"]
    confirm = client.get(vurl(eservice, draft, "/steg/ovrigt/ta-bort"))
    assert "Vill du ta bort steget" in text(confirm)
    client.post(vurl(eservice, draft, "/steg/ovrigt/ta-bort"), data={"csrf_token": token})
    assert [s["id"] for s in versions_of(eservice.id)[1].definition["steps"]] == ["sokande"]
    for action in (
        "config_form_step_created",
        "config_form_question_moved",
        "config_form_step_moved",
        "config_form_step_deleted",
    ):
        assert action in actions()


def test_export_and_import(setup, client):
    eservice, builder = setup
    token = sign_in(client, builder)
    version = eservice.versions[0]
    response = client.get(vurl(eservice, version, "/export.json"))
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == 'attachment; filename="resebidrag-v1.json"'
    exported = response.data
    assert json.loads(exported) == version.definition

    response = client.post(
        f"{BASE}/{eservice.id}/formular/importera",
        data={"csrf_token": token, "file": (io.BytesIO(b"{inte json"), "fel.json")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and "Filen är inte giltig JSON (rad 1, kolumn 2)." in text(response)
    broken = json.loads(exported)
    broken["steps"][0]["questions"][2]["options"] = []
    response = client.post(
        f"{BASE}/{eservice.id}/formular/importera",
        data={"csrf_token": token, "file": (io.BytesIO(json.dumps(broken).encode()), "fel.json")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and "Fråga 'skola'" in text(response)
    assert len(versions_of(eservice.id)) == 1
    response = client.post(
        f"{BASE}/{eservice.id}/formular/importera",
        data={"csrf_token": token, "file": (io.BytesIO(exported), "resebidrag-v1.json")},
        content_type="multipart/form-data",
    )
    imported = versions_of(eservice.id)[1]
    assert location(response).endswith(vurl(eservice, imported))
    assert imported.state == VersionState.DRAFT and imported.definition == version.definition


# -- the round trip ---------------------------------------------------------------------------------------


SKOLOR = SPECIALKOST["steps"][0]["questions"][2]["options"]


def option_fields(options: list[dict], *, exclusive: bool = False) -> dict[str, str]:
    fields = {"option_rows": str(len(options))}
    for n, option in enumerate(options, start=1):
        fields[f"option-{n}-label"] = option["label"]
        fields[f"option-{n}-value"] = option["value"]
    return fields


def test_the_specialkost_form_built_in_the_editor_published_sent_in_and_seen(bo, client, app_overrides):
    builder = factories.builder()
    handler = factories.user("david")
    eservice = factories.eservice(
        "Ansökan om specialkost",
        slug="specialkost",
        login_required=False,
        anonymous_allowed=True,
        summary_fields=["barn_namn"],
        handlers=[handler],
    )
    eservice.versions.clear()
    db.session.commit()
    token = sign_in(client, builder)

    def post(url: str, data: dict) -> str:
        response = client.post(f"{BASE}/{eservice.id}/formular{url}", data={"csrf_token": token, **data})
        return location(response)

    # Ny version: a form with one empty step, which becomes Barnet.
    post("/ny", {})
    draft = versions_of(eservice.id)[0]
    v = f"/{draft.id}"
    post(f"{v}/steg/steg_1", {"title": "Barnet", "id": "barn"})
    post(f"{v}/steg/barn/ny-fraga", {"type": "text", "label": "Barnets namn", "id": "barn_namn", "required": "1"})
    post(
        f"{v}/steg/barn/ny-fraga",
        {"type": "personnummer", "label": "Barnets personnummer", "id": "barn_personnummer", "required": "1"},
    )
    post(
        f"{v}/steg/barn/ny-fraga",
        {
            "type": "single_choice",
            "label": "Förskola eller skola",
            "id": "enhet",
            "required": "1",
            "display": "select",
            **option_fields(SKOLOR),
        },
    )
    post(f"{v}/nytt-steg", {"title": "Specialkost", "id": "kost"})
    post(
        f"{v}/steg/kost/ny-fraga",
        {
            "type": "single_choice",
            "label": "Grund för specialkost",
            "id": "grund",
            "required": "1",
            "display": "radio",
            **option_fields(
                [
                    {"value": "medicinsk", "label": "Medicinska skäl"},
                    {"value": "etisk", "label": "Etiska eller religiösa skäl"},
                ]
            ),
        },
    )
    kost_options = SPECIALKOST["steps"][1]["questions"][1]["options"]
    post(
        f"{v}/steg/kost/ny-fraga",
        {
            "type": "multiple_choice",
            "label": "Vilken kost behövs?",
            "id": "kost",
            "required": "1",
            "v-min_choices": "1",
            **option_fields(kost_options),
        },
    )
    medical = {"cond-1-question": "grund", "cond-1-operator": "equals", "cond-1-choice": "medicinsk"}
    post(
        f"{v}/steg/kost/ny-fraga",
        {
            "type": "info",
            "label": "Läkarintyg",
            "id": "intyg_info",
            "text": "För specialkost av medicinska skäl kräver lagen ett läkarintyg.",
            **medical,
        },
    )
    post(
        f"{v}/steg/kost/ny-fraga",
        {
            "type": "file",
            "label": "Läkarintyg",
            "id": "intyg",
            "required": "1",
            "file-max_size_mb": "10",
            "file-max_files": "3",
            "file-content_types": ["application/pdf", "image/jpeg", "image/png"],
            **medical,
        },
    )
    post(
        f"{v}/steg/kost/ny-fraga",
        {"type": "textarea", "label": "Beskriv allergin eller kosten", "id": "beskrivning", "v-max_length": "2000"},
    )
    post(f"{v}/nytt-steg", {"title": "Kontaktuppgifter", "id": "kontakt"})
    post(
        f"{v}/steg/kontakt/ny-fraga",
        {"type": "text", "label": "Vårdnadshavares namn", "id": "vardnadshavare", "required": "1"},
    )
    post(f"{v}/steg/kontakt/ny-fraga", {"type": "email", "label": "E-postadress", "id": "epost", "required": "1"})
    post(f"{v}/steg/kontakt/ny-fraga", {"type": "phone", "label": "Mobilnummer", "id": "mobil"})
    assert versions_of(eservice.id)[0].definition == SPECIALKOST

    assert post(f"{v}/publicera", {}).endswith(f"{BASE}/{eservice.id}/formular")
    assert versions_of(eservice.id)[0].state == VersionState.PUBLISHED

    # In the portal: an anonymous applicant sends it in.
    from portal import create_app

    portal = create_app(
        config.get_config("test"),
        overrides={**app_overrides, "WTF_CSRF_ENABLED": True, "MUNICIPALITY_NAME": "Exempelby kommun"},
    )
    applicant = portal.test_client()

    def portal_post(url: str, data: dict):
        page = applicant.get(url).get_data(as_text=True)
        return applicant.post(url, data={"csrf_token": csrf_token(page), **data})

    response = portal_post(
        "/e-tjanster/specialkost/ansokan",
        {"barn_namn": "Lisa Berg", "barn_personnummer": "20000101-2384", "enhet": "forskolan_tallen"},
    )
    step2 = location(response)
    response = portal_post(
        step2, {"grund": "etisk", "kost": ["vegetarisk", "flaskfri"], "beskrivning": "Vegetarisk kost."}
    )
    step3 = location(response)
    response = portal_post(step3, {"vardnadshavare": "Sven Berg", "epost": "sven@example.org", "mobil": ""})
    summary = location(response)
    response = portal_post(summary, {"form-token": "rundtur-1", "contact_email": "sven@example.org"})
    assert "/kvittens/" in location(response)
    db.session.expire_all()
    case = db.session.scalars(select(Case).where(Case.eservice_id == eservice.id)).one()
    assert case.number is not None and case.version.number == 1
    assert case.answers["kost"] == ["vegetarisk", "flaskfri"] and "intyg" not in case.answers

    # In the back office: the handler opens the case and sees the answers.
    other = bo.test_client()
    sign_in(other, db.session.get(type(handler), handler.id))
    response = other.get(f"/arenden/{case.id}")
    page = text(response)
    assert response.status_code == 200
    assert "Lisa Berg" in page and "Etiska eller religiösa skäl" in page and "Vegetarisk, Fläskfri" in page

    # The builder's versions list counts the case.
    assert re.search(r"Version 1.*?Publicerad.*?\s1\s", text(client.get(f"{BASE}/{eservice.id}/formular")))
    assert isinstance(db.session.get(EService, eservice.id), EService)


def test_an_imported_condition_the_fields_cannot_show_is_kept_or_removed(setup, client):
    eservice, builder = setup
    definition = json.loads(json.dumps(eservice.versions[0].definition))
    definition["steps"][0]["questions"][3]["visible_if"] = {"question": "skola", "in": ["alne", "bergs"]}
    version = eservice.versions[0]
    version.state = VersionState.DRAFT
    version.definition = definition
    db.session.commit()
    token = sign_in(client, builder)
    url = vurl(eservice, version, "/fraga/ovrigt")
    page = html_of(client.get(url))
    assert "Frågan har ett villkor som redigeraren inte kan visa som fält" in unescape(page)
    assert re.search(r'<input type="checkbox" id="f-cond-keep" name="cond-keep" value="1" checked', page)
    advanced = unescape(re.search(r'name="cond-advanced" value="([^"]*)"', page).group(1))
    base = {"csrf_token": token, "type": "textarea", "label": "Övrigt", "cond-advanced": advanced}
    location(client.post(url, data={**base, "cond-keep": "1"}))
    assert versions_of(eservice.id)[0].definition["steps"][0]["questions"][3]["visible_if"] == {
        "question": "skola",
        "in": ["alne", "bergs"],
    }
    page = text(client.get(vurl(eservice, version)))
    assert "Visas bara när: Skola är något av Alneskolan, Bergsskolan" in page
    location(client.post(url, data=base))
    assert "visible_if" not in versions_of(eservice.id)[0].definition["steps"][0]["questions"][3]


def test_a_computed_question_lists_the_number_questions_and_checks_the_formula(setup, client):
    eservice, builder = setup
    token = sign_in(client, builder)
    client.post(f"{BASE}/{eservice.id}/formular/ny", data={"csrf_token": token})
    draft = versions_of(eservice.id)[1]
    new = vurl(eservice, draft, "/steg/sokande/ny-fraga")
    client.post(new, data={"csrf_token": token, "type": "number", "label": "Antal resor"})
    page = text(client.get(new + "?type=computed"))
    assert "antal_resor – Antal resor" in page and "Den sökande måste besvara frågan" not in page
    response = client.post(
        new, data={"csrf_token": token, "type": "computed", "label": "Kostnad", "formula": "antal_resor *"}
    )
    assert response.status_code == 422 and 'href="#f-formula"' in html_of(response)
    response = client.post(
        new, data={"csrf_token": token, "type": "computed", "label": "Kostnad", "formula": "antal_resor * 50"}
    )
    location(response)
    assert versions_of(eservice.id)[1].definition["steps"][0]["questions"][-1] == {
        "id": "kostnad",
        "type": "computed",
        "label": "Kostnad",
        "formula": "antal_resor * 50",
    }
