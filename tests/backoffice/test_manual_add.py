"""Lägg till ärende (F-LIST-6) through the back office, logged in for real with CSRF on."""

from __future__ import annotations

import io
import re
from html import unescape

import pytest
from flask_babel import force_locale
from flask_babel import gettext as babel_gettext
from sqlalchemy import select

from shared.db import db
from shared.models import Case, CaseChannel, Category, Citizen, Document, EServiceVersion, VersionState
from shared.services import access
from tests import factories
from tests.backoffice.conftest import csrf_token, login

LIST_URL = "/arenden/lagg-till/"

FORM_DEFINITION = {
    "steps": [
        {
            "id": "elev",
            "title": "Elev",
            "questions": [
                {
                    "id": "namn",
                    "type": "text",
                    "label": "Elevens namn",
                    "required": True,
                    "help": "Som i folkbokföringen.",
                },
                {"id": "personnummer", "type": "personnummer", "label": "Elevens personnummer", "required": True},
                {
                    "id": "skola",
                    "type": "single_choice",
                    "display": "select",
                    "label": "Skola",
                    "required": True,
                    "options": [{"value": "alne", "label": "Alneskolan"}, {"value": "bergs", "label": "Bergsskolan"}],
                },
            ],
        },
        {
            "id": "kost",
            "title": "Specialkost",
            "questions": [
                {
                    "id": "kost",
                    "type": "multiple_choice",
                    "label": "Vilken kost behövs?",
                    "required": True,
                    "options": [
                        {"value": "gluten", "label": "Glutenfri"},
                        {"value": "laktos", "label": "Laktosfri"},
                        {"value": "notter", "label": "Fri från nötter"},
                    ],
                },
                {"id": "skoltid", "type": "yes_no", "label": "Under skoltid?", "required": True},
                {"id": "beskrivning", "type": "textarea", "label": "Beskriv allergin"},
                {"id": "intyg_info", "type": "info", "label": "Läkarintyg", "text": "Lagen kräver läkarintyg."},
                {
                    "id": "intyg",
                    "type": "file",
                    "label": "Läkarintyg",
                    "required": True,
                    "file": {"max_files": 2, "max_size_mb": 5, "content_types": ["application/pdf", "image/png"]},
                },
            ],
        },
    ]
}


def visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def shown(bo, msgid: str, **values) -> str:
    """A message as the back office shows it in Swedish (its catalogue; English until translated)."""
    with bo.test_request_context(), force_locale("sv"):
        return babel_gettext(msgid, **values)


def table_rows(html: str) -> list[list[str]]:
    body = re.search(r"<tbody>(.*?)</tbody>", html, re.S)
    if not body:
        return []
    rows = re.findall(r"<tr\b.*?</tr>", body.group(1), re.S)
    return [[visible_text(cell).strip() for cell in re.findall(r"<t[hd]\b.*?</t[hd]>", row, re.S)] for row in rows]


@pytest.fixture
def world(bo):
    built = factories.world()
    built.eservice.versions[0].definition = FORM_DEFINITION
    built.eservice.summary_fields = ["namn", "skola"]
    db.session.commit()
    return built


def form_page(client, eservice_id: int):
    response = client.get(f"/arenden/lagg-till/{eservice_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def post_form(client, eservice_id: int, data: list[tuple[str, object]], page: str | None = None):
    page = page or form_page(client, eservice_id)
    token = re.search(r'name="form-token" value="([^"]+)"', page).group(1)
    fields = [("csrf_token", csrf_token(page)), ("form-token", token), *data]
    # werkzeug's test client takes a dict of lists for repeated fields and files.
    payload: dict[str, list] = {}
    for name, value in fields:
        payload.setdefault(name, []).append(value)
    return client.post(f"/arenden/lagg-till/{eservice_id}", data=payload, content_type="multipart/form-data")


def pdf(name: str = "intyg.pdf"):
    return (io.BytesIO(factories.PDF_BYTES), name, "application/pdf")


GOOD_ANSWERS = [
    ("namn", "Elsa Ek"),
    ("personnummer", "20000101-2384"),
    ("skola", "bergs"),
    ("kost", "gluten"),
    ("kost", "notter"),
    ("skoltid", "yes"),
    ("beskrivning", "Reagerar på jordnötter."),
]


def test_the_list_shows_the_eservices_the_handler_may_add_to_with_counts(world, client):
    category = Category(name="Barnomsorg och utbildning")
    world.eservice.category = category
    world.eservice.versions.append(EServiceVersion(number=2, definition=FORM_DEFINITION, state=VersionState.DRAFT))
    factories.case(world.eservice, answers={"namn": "A"})
    factories.case(world.eservice, answers={"namn": "B"})
    factories.case(world.eservice, citizen=world.citizen, draft=True)
    factories.eservice("Bygglov – ansökan", handlers=[world.hanna])  # manual add not switched on
    factories.eservice("Larmavtal", handlers=[world.olle], manual_add=True)  # not hers
    db.session.commit()

    login(client, "hanna")
    response = client.get(LIST_URL)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert table_rows(html) == [["Skolskjuts", "Barnomsorg och utbildning", "2", "2", "1"]]
    assert f'href="/arenden/lagg-till/{world.eservice.id}"' in html
    assert '<th scope="col">' in html and "E-tjänst" in visible_text(html)
    assert shown(client.application, "Add case") in visible_text(html)
    # The filter box works without the script too.
    assert table_rows(client.get(LIST_URL + "?q=skol").get_data(as_text=True))[0][0] == "Skolskjuts"
    assert table_rows(client.get(LIST_URL + "?q=bygglov").get_data(as_text=True)) == []


def test_admin_sees_every_eservice_open_for_manual_add(world, client):
    factories.eservice("Larmavtal", handlers=[world.olle], manual_add=True)
    db.session.commit()
    login(client, "admin")
    names = [row[0] for row in table_rows(client.get(LIST_URL).get_data(as_text=True))]
    assert names == ["Larmavtal", "Skolskjuts"]


@pytest.mark.parametrize(
    ("username", "reason"),
    [
        ("rut", "Handlers with restricted access cannot add cases to the e-service %(name)s."),
        ("otto", "You are not a handler for the e-service %(name)s."),
    ],
)
def test_restricted_and_other_handlers_cannot_add(world, client, username, reason):
    login(client, username)
    assert table_rows(client.get(LIST_URL).get_data(as_text=True)) == []
    refused = client.get(f"/arenden/lagg-till/{world.eservice.id}")
    assert refused.status_code == 403
    assert shown(client.application, reason, name="Skolskjuts") in visible_text(refused.get_data(as_text=True))
    page = client.get("/staffuserinfoeditview/form").get_data(as_text=True)  # any page with the session's token
    response = client.post(
        f"/arenden/lagg-till/{world.eservice.id}",
        data={"csrf_token": csrf_token(page), "namn": "X", "personnummer": "20000101-2384", "skola": "alne"},
    )
    assert response.status_code == 403
    assert db.session.scalar(select(Case)) is None


def test_builders_anonymous_and_unknown_eservices(world, client):
    response = client.get(f"/arenden/lagg-till/{world.eservice.id}")
    assert response.status_code == 302 and "/login/" in response.headers["Location"]
    login(client, "builder")
    assert client.get(LIST_URL).status_code == 403
    assert client.get(f"/arenden/lagg-till/{world.eservice.id}").status_code == 403
    client.get("/logout/")
    login(client, "hanna")
    assert client.get("/arenden/lagg-till/999999").status_code == 404
    bygglov = factories.eservice("Bygglov", handlers=[world.hanna])  # manual add off
    db.session.commit()
    assert client.get(f"/arenden/lagg-till/{bygglov.id}").status_code == 403


def test_the_form_shows_every_step_with_labelled_fields(world, client):
    login(client, "hanna")
    html = form_page(client, world.eservice.id)
    assert 'enctype="multipart/form-data"' in html and "novalidate" in html
    assert '<label class="control-label" for="applicant-personnummer">' in html
    for question_id in ("namn", "personnummer", "skola", "beskrivning", "intyg"):
        assert f'for="q-{question_id}"' in html and f'id="q-{question_id}"' in html
    assert 'aria-describedby="q-namn-help"' in html
    assert re.search(r'<fieldset[^>]*id="q-kost-group".*?<legend', html, re.S)
    assert re.search(r'<fieldset[^>]*id="q-skoltid-group"[^>]*role="radiogroup"', html)
    assert "Lagen kräver läkarintyg." in html
    text = visible_text(html)
    assert "Elev" in text and "Specialkost" in text and "Ja" in text and "Nej" in text
    assert 'type="file" id="q-intyg" name="intyg" multiple accept="application/pdf,image/png"' in html


def test_add_linked_to_a_personnummer_creates_the_citizen_and_opens_the_case(world, client):
    login(client, "hanna")
    response = post_form(
        client,
        world.eservice.id,
        [*GOOD_ANSWERS, ("applicant-personnummer", "200001012384"), ("applicant-name", "Per Papper"), ("intyg", pdf())],
    )
    case = db.session.scalar(select(Case))
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"].endswith(f"/arenden/{case.id}")
    assert case.channel == CaseChannel.MANUAL and case.submitted_by_id == world.hanna.id
    assert case.answers["kost"] == ["gluten", "notter"] and case.answers["skoltid"] is True
    citizen = db.session.scalar(select(Citizen).where(Citizen.personnummer == "200001012384"))
    assert case.citizen_id == citizen.id
    assert [c.id for c in db.session.scalars(access.citizen_cases(citizen))] == [case.id]  # Mina sidor
    [document] = db.session.scalars(select(Document)).all()
    assert document.question_id == "intyg" and case.answers["intyg"][0]["document_id"] == document.id
    with client.session_transaction() as session:
        flashes = session.get("_flashes", [])
    assert ("success", shown(client.application, "Case %(number)s has been added.", number=case.number)) in flashes


def test_an_existing_citizen_is_found_however_the_number_is_typed(world, client):
    login(client, "hanna")
    post_form(client, world.eservice.id, [*GOOD_ANSWERS, ("applicant-personnummer", "850709-9805"), ("intyg", pdf())])
    case = db.session.scalar(select(Case))
    assert case.citizen_id == world.citizen.id
    assert case.personnummer == "198507099805"


def test_add_unlinked_with_contact_details(world, client):
    login(client, "hanna")
    response = post_form(
        client,
        world.eservice.id,
        [
            *GOOD_ANSWERS,
            ("applicant-name", "Per Papper"),
            ("applicant-email", "per@example.org"),
            ("applicant-phone", "070-123 45 67"),
            ("intyg", pdf()),
        ],
    )
    assert response.status_code == 302
    case = db.session.scalar(select(Case))
    assert case.citizen_id is None
    assert (case.contact_name, case.contact_email, case.contact_phone) == (
        "Per Papper",
        "per@example.org",
        "070-123 45 67",
    )
    assert case.applicant_name == "Per Papper"
    assert db.session.scalar(select(Citizen).where(Citizen.personnummer == "200001012384")) is None


def test_the_link_field_is_not_offered_where_the_eservice_does_not_allow_it(world, client):
    world.eservice.manual_add_personnummer = False
    db.session.commit()
    login(client, "hanna")
    assert 'name="applicant-personnummer"' not in form_page(client, world.eservice.id)


def test_errors_show_beside_each_field_and_at_the_top_and_keep_what_was_typed(world, client):
    login(client, "hanna")
    response = post_form(
        client,
        world.eservice.id,
        [
            ("namn", ""),
            ("personnummer", "19850709-1234"),
            ("skola", "bergs"),
            ("kost", "gluten"),
            ("kost", "laktos"),
            ("skoltid", "no"),
            ("beskrivning", "Tål inte <mjölk> & gluten"),
            ("applicant-personnummer", "12345"),
            ("applicant-name", "Per Papper"),
            ("applicant-email", "per(at)example.org"),
            ("intyg", pdf()),
        ],
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert db.session.scalar(select(Case)) is None
    # The summary links to each field in the page's order.
    summary = re.search(r'<div class="alert alert-danger error-summary".*?</div>', html, re.S).group(0)
    links = re.findall(r'href="#([^"]+)"', summary)
    assert links == ["applicant-personnummer", "applicant-email", "q-namn", "q-personnummer", "q-intyg"]
    assert "5" in visible_text(summary)  # "Det finns 5 fel i formuläret."
    # Beside each field, tied to it.
    assert re.search(r'id="q-namn-error">.*?Fyll i Elevens namn', html, re.S)
    assert re.search(
        r'<input[^>]*id="q-namn"[^>]*aria-describedby="q-namn-help q-namn-error"[^>]*aria-invalid="true"', html
    )
    assert re.search(r'<input[^>]*id="applicant-email"[^>]*aria-invalid="true"', html)
    assert "Ange ett giltigt personnummer" in visible_text(html)
    # What was typed is kept (files cannot be: the page says so beside the field).
    assert 'value="19850709-1234"' in html and 'value="Per Papper"' in html and 'value="12345"' in html
    assert 'value="per(at)example.org"' in html
    assert re.search(r'<option value="bergs" selected>', html)
    assert re.search(r'value="gluten"\s+checked', html) and re.search(r'value="laktos"\s+checked', html)
    assert not re.search(r'value="notter"\s+checked', html)
    assert re.search(r'value="no"\s+checked', html)
    assert "Tål inte &lt;mjölk&gt; &amp; gluten</textarea>" in html
    assert shown(client.application, "Attach the file again.") in visible_text(html)


def test_a_required_file_question_needs_a_file_of_an_allowed_type(world, client):
    login(client, "hanna")
    html = post_form(client, world.eservice.id, GOOD_ANSWERS).get_data(as_text=True)
    assert re.search(r'id="q-intyg-error">.*?Bifoga Läkarintyg', html, re.S)
    fake = (io.BytesIO(b"MZ\x90\x00" + b"\x00" * 100), "intyg.pdf", "application/pdf")
    html = post_form(client, world.eservice.id, [*GOOD_ANSWERS, ("intyg", fake)]).get_data(as_text=True)
    assert 'id="q-intyg-error"' in html
    assert db.session.scalar(select(Case)) is None
    png = (io.BytesIO(factories.PNG_BYTES), "intyg.png", "image/png")
    response = post_form(client, world.eservice.id, [*GOOD_ANSWERS, ("intyg", pdf()), ("intyg", png)])
    assert response.status_code == 302
    case = db.session.scalar(select(Case))
    assert [f["name"] for f in case.answers["intyg"]] == ["intyg.pdf", "intyg.png"]


def test_sending_the_same_form_twice_adds_one_case(world, client):
    login(client, "hanna")
    page = form_page(client, world.eservice.id)
    first = post_form(client, world.eservice.id, [*GOOD_ANSWERS, ("intyg", pdf())], page=page)
    second = post_form(client, world.eservice.id, [*GOOD_ANSWERS, ("intyg", pdf())], page=page)
    assert first.headers["Location"] == second.headers["Location"]
    assert len(db.session.scalars(select(Case)).all()) == 1


def test_the_menu_offers_add_case_to_handlers(world, client):
    login(client, "hanna")
    html = client.get("/", follow_redirects=True).get_data(as_text=True)
    navbar = re.search(r'<div class="navbar.*?</div>\s*</div>', html, re.S).group(0)
    assert 'href="/arenden/lagg-till/"' in navbar
