"""All user text is escaped (issue 4, item 6): script payloads typed by an applicant, a handler
or an e-service builder come out inert in the back office and in the portal.

The rows are made through the services, as the portal and the back office make them: a draft
with a form attachment, a submission with every free-text answer a payload (text and textarea
are the types that take any text; e-mail, phone and the numbers refuse markup), messages both
ways with attachments, a handler's document, a citizen's supplement, an internal note, and an
external case number; the citizen's name, the contact name and the e-service's own texts are
payloads too. Then each page is read as a browser gets it: the payload must be there, escaped,
and never as markup. tests/browser/test_xss_browser.py loads the same pages in Chromium.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
from markupsafe import escape

import config
from shared.db import db
from shared.models import Case, Category, Citizen, EService, StaffUser
from shared.services import cases, documents, messages
from tests import factories
from tests.backoffice.casehelp import sign_in
from tests.portal.conftest import csrf_token, log_in_by_test_login

SCRIPT = "<script>window.__xss=1</script>"
IMAGE = '<img src=x onerror="window.__xss=1;alert(1)">'
PAYLOAD = SCRIPT + IMAGE
# A file name keeps no folders ("/" cuts it), so the file names carry the image only.
FILE_NAMES = {
    "form": '<img src=x onerror="window.__xss=1;alert(1)">intyg.pdf',
    "handler_message": '<img src=x onerror="window.__xss=1;alert(2)">svar.pdf',
    "citizen_message": '<img src=x onerror="window.__xss=1;alert(3)">bilaga.pdf',
    "handler_document": "<img src=x onerror=alert(4)>beslut.pdf",
    "supplement": "<svg onload=alert(5)>komplettering.pdf",
}
# What must never reach a page as it is: an element the browser would run, or a quote that
# would end an attribute (escaped text has &lt; and &#34; in their places).
RAW = ["<script>window.__xss", "<img src=x", "<svg onload", 'onerror="window']

DEFINITION = {
    "steps": [
        {
            "id": "sokande",
            "title": "Sökande " + PAYLOAD,
            "description": "Om dig " + PAYLOAD,
            "questions": [
                {"id": "namn", "type": "text", "label": "Namn " + PAYLOAD, "help": PAYLOAD, "required": True},
                {"id": "beskrivning", "type": "textarea", "label": "Beskrivning", "required": True},
                {"id": "ovrigt", "type": "text", "label": "Övrigt"},
                {
                    "id": "val",
                    "type": "single_choice",
                    "label": "Val",
                    "options": [{"value": "a", "label": "Alfa " + PAYLOAD}, {"value": "b", "label": "Beta"}],
                },
                {
                    "id": "flera",
                    "type": "multiple_choice",
                    "label": "Flera",
                    "options": [{"value": "x", "label": "X " + PAYLOAD}, {"value": "y", "label": "Y"}],
                },
                {"id": "info", "type": "info", "label": "Info " + PAYLOAD},
                {"id": "intyg", "type": "file", "label": "Intyg"},
            ],
        }
    ]
}
ANSWERS = {
    "namn": PAYLOAD,
    "beskrivning": "Rad ett\n" + PAYLOAD + "\nRad tre " + IMAGE,
    "ovrigt": IMAGE + " och " + SCRIPT,
    "val": "a",
    "flera": ["x", "y"],
}


@dataclass
class XssWorld:
    eservice: EService
    case: Case
    draft: Case
    citizen: Citizen
    hanna: StaffUser


def xss_world() -> XssWorld:
    """An e-service, a citizen and a case whose every text is a script payload, made through the services."""
    category = Category(name="Kategori " + PAYLOAD, description=PAYLOAD, sort_order=1)
    db.session.add(category)
    hanna = factories.user("hanna", first_name="Hanna", last_name="Berg")
    eservice = factories.eservice(
        "E-tjänst " + PAYLOAD,
        slug="xss",
        definition=DEFINITION,
        category=category,
        description=PAYLOAD,
        handlers=[hanna],
        summary_fields=["namn", "ovrigt"],
        gdpr_categories=["namn"],
        gdpr_extra_categories=PAYLOAD,
        gdpr_purpose=PAYLOAD,
        gdpr_legal_bases=["public_interest"],
        gdpr_retention=PAYLOAD,
        controller_name=PAYLOAD,
        controller_email="bun@exempelby.se",
        complaint_text=PAYLOAD,
    )
    citizen = factories.citizen("19850709-9805", first_name=PAYLOAD, last_name=IMAGE)
    db.session.commit()

    # The application: a draft, a form attachment, then the submission of every answer.
    draft = cases.save_draft(eservice.id, {"namn": PAYLOAD}, citizen=citizen)
    attachment = documents.add_document(
        draft.id, FILE_NAMES["form"], factories.PDF_BYTES, "application/pdf", citizen=citizen
    )
    case = cases.submit_case(
        eservice.id,
        {**ANSWERS, "intyg": [{"document_id": attachment.id}]},
        citizen=citizen,
        contact={"name": PAYLOAD, "email": "maria@example.org", "phone": "070-123 45 67"},
        draft_id=draft.id,
    )
    # The handler takes it, writes, asks for a supplement; the applicant answers and adds a file.
    cases.take_case(case.id, actor=hanna)
    pdf = (factories.PDF_BYTES, "application/pdf")
    messages.send_message(case.id, PAYLOAD, actor=hanna, attachments=[(FILE_NAMES["handler_message"], *pdf)])
    messages.reply_as_citizen(case.id, PAYLOAD, citizen=citizen, attachments=[(FILE_NAMES["citizen_message"], *pdf)])
    documents.add_document(case.id, FILE_NAMES["handler_document"], *pdf, actor=hanna)
    messages.add_note(case.id, PAYLOAD, actor=hanna)
    cases.set_external_number(case.id, IMAGE[:60], actor=hanna)
    waiting = factories.status(eservice, "Väntar på komplettering")
    cases.change_status(case.id, waiting.id, actor=hanna)
    documents.add_document(case.id, FILE_NAMES["supplement"], *pdf, citizen=citizen)
    # A second, saved application, listed on Mina sidor.
    second = cases.save_draft(eservice.id, {"namn": PAYLOAD, "ovrigt": IMAGE}, citizen=citizen)
    db.session.commit()
    return XssWorld(eservice=eservice, case=case, draft=second, citizen=citizen, hanna=hanna)


def assert_inert(html: str, page: str, *expected: str) -> None:
    """No payload as markup on the page; each expected text there, escaped."""
    for raw in RAW:
        assert raw not in html, f"{page}: {raw!r} is in the page unescaped"
    for text in expected:
        assert str(escape(text)) in html, f"{page}: {text!r} is not in the page (escaped)"


def test_the_payloads_are_stored_as_typed(ctx):
    """The check below would pass on pages that merely dropped the text: the services keep it whole."""
    world = xss_world()
    case = db.session.get(Case, world.case.id)
    assert case.answers["namn"] == PAYLOAD
    assert case.contact_name == PAYLOAD
    assert case.applicant_name == f"{PAYLOAD} {IMAGE}"
    names = {d.filename for d in case.documents}
    assert set(FILE_NAMES.values()) <= names, names
    assert [m.body for m in case.messages if m.body == PAYLOAD]


# -- the two apps, as tests/backoffice and tests/portal make them (CSRF on) ----------------------


@pytest.fixture(scope="module")
def backoffice_app(app, app_overrides: dict):
    from backoffice import create_app

    overrides = {**app_overrides, "WTF_CSRF_ENABLED": True, "FAB_UPDATE_PERMS": True}
    return create_app(config.get_config("test"), overrides=overrides)


@pytest.fixture(scope="module")
def portal_app(app, app_overrides: dict):
    from portal import create_app

    overrides = {**app_overrides, "WTF_CSRF_ENABLED": True, "PORTAL_TEST_LOGIN": True}
    return create_app(config.get_config("test"), overrides=overrides)


@pytest.fixture
def bo_client(backoffice_app, ctx):
    from backoffice.security import sync_roles

    with backoffice_app.app_context():
        sync_roles(backoffice_app.appbuilder)
        db.session.remove()
    return backoffice_app.test_client()


@pytest.fixture
def portal_client(portal_app, ctx):
    return portal_app.test_client()


# -- the back office -----------------------------------------------------------------------------


def test_the_back_office_shows_every_payload_as_text(bo_client):
    world = xss_world()
    case_id = world.case.id
    sign_in(bo_client, world.hanna)
    applicant = f"{PAYLOAD} {IMAGE}"
    pages = {
        "/arenden/": [],
        "/arenden/?tab=alla": [PAYLOAD, world.eservice.name],
        f"/arenden/?tab=alla&q={PAYLOAD}": [PAYLOAD],
        f"/arenden/{case_id}": [
            PAYLOAD,
            ANSWERS["ovrigt"],
            "Alfa " + PAYLOAD,
            "X " + PAYLOAD,
            FILE_NAMES["form"],
            IMAGE[:60],
        ],
        f"/arenden/{case_id}/historik": [FILE_NAMES["handler_document"], FILE_NAMES["supplement"], applicant],
        f"/arenden/{case_id}/meddelanden": [PAYLOAD, FILE_NAMES["handler_message"], FILE_NAMES["citizen_message"]],
        f"/arenden/{case_id}/noteringar": [PAYLOAD],
        f"/arenden/{case_id}/handlingar": list(FILE_NAMES.values()),
        f"/arenden/{case_id}/externt": [IMAGE[:60]],
        f"/arenden/{case_id}/andra": [PAYLOAD, ANSWERS["ovrigt"]],
    }
    for path, expected in pages.items():
        response = bo_client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        html = response.get_data(as_text=True)
        assert_inert(html, path, *expected)
    # The case header names the applicant and the contact.
    assert str(escape(applicant)) in bo_client.get(f"/arenden/{case_id}").get_data(as_text=True)


# -- the portal ----------------------------------------------------------------------------------


def _log_in(client, citizen: Citizen):
    response = log_in_by_test_login(client, citizen)
    return client.get(response.headers["Location"])


def test_the_portal_shows_every_payload_as_text(portal_app, portal_client):
    world = xss_world()
    eservice = world.eservice
    pages = {
        "/": [eservice.name, PAYLOAD, "Kategori " + PAYLOAD],
        f"/?q={PAYLOAD}": [PAYLOAD],
        "/?q=tj%C3%A4nst": [eservice.name],
        f"/e-tjanster/{eservice.slug}": [eservice.name, PAYLOAD],
        "/testinloggning": [f"{PAYLOAD} {IMAGE}"],
    }
    for path, expected in pages.items():
        response = portal_client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        assert_inert(response.get_data(as_text=True), path, *expected)

    # Mina sidor, right after the login (the welcome names the citizen).
    landing = _log_in(portal_client, world.citizen)
    assert landing.status_code == 200
    assert_inert(landing.get_data(as_text=True), "/mina-sidor (after login)", eservice.name, f"{PAYLOAD} {IMAGE}")
    html = portal_client.get("/mina-sidor").get_data(as_text=True)
    assert_inert(html, "/mina-sidor", eservice.name, IMAGE[:60])


def test_the_portal_case_page_shows_every_payload_as_text(portal_app, portal_client):
    world = xss_world()
    _log_in(portal_client, world.citizen)
    case = db.session.get(Case, world.case.id)
    message_id = max(m.id for m in case.messages)
    paths = [
        f"/mina-sidor/arenden/{case.id}",
        f"/mina-sidor/arenden/{case.id}?meddelande={message_id}",
    ]
    for path in paths:
        response = portal_client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        assert_inert(
            response.get_data(as_text=True),
            path,
            PAYLOAD,
            world.eservice.name,
            FILE_NAMES["handler_message"],
            FILE_NAMES["citizen_message"],
            FILE_NAMES["supplement"],
        )


def test_the_receipt_shows_every_payload_as_text(portal_app, portal_client):
    world = xss_world()
    _log_in(portal_client, world.citizen)
    response = portal_client.get(f"/kvittens/{world.case.id}")
    assert response.status_code == 200, response.status_code
    assert_inert(response.get_data(as_text=True), "/kvittens", world.eservice.name)


def test_the_application_pages_show_every_payload_as_text(portal_app, portal_client):
    """The form's pages draw the builder's texts and the applicant's answers and file names back."""
    world = xss_world()
    _log_in(portal_client, world.citizen)
    draft_id, eservice = world.draft.id, world.eservice
    labels = ["Sökande " + PAYLOAD, "Om dig " + PAYLOAD, "Namn " + PAYLOAD, "Alfa " + PAYLOAD, "X " + PAYLOAD]
    pages = {
        f"/e-tjanster/{eservice.slug}/ansokan": [eservice.name, *labels],
        f"/ansokan/{draft_id}/steg/1": [eservice.name, PAYLOAD, IMAGE, *labels],
        f"/ansokan/{draft_id}/steg/1?fel=1": [PAYLOAD, IMAGE],
        f"/ansokan/{draft_id}/sammanfattning": [eservice.name, PAYLOAD, IMAGE],
        f"/ansokan/{draft_id}/sparad": [eservice.name],
        f"/ansokan/{draft_id}/ta-bort": [eservice.name],
    }
    for path, expected in pages.items():
        response = portal_client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        assert_inert(response.get_data(as_text=True), path, *expected)

    # A step sent with an error comes back with what was typed and the file just attached.
    page = portal_client.get(f"/e-tjanster/{eservice.slug}/ansokan").get_data(as_text=True)
    filename = FILE_NAMES["handler_document"]  # no quotes: a multipart header keeps it whole
    response = portal_client.post(
        f"/e-tjanster/{eservice.slug}/ansokan",
        data={
            "csrf_token": csrf_token(page),
            "namn": PAYLOAD,
            "ovrigt": IMAGE,
            "action": "next",
            "intyg": (io.BytesIO(factories.PDF_BYTES), filename, "application/pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.status_code
    assert_inert(response.get_data(as_text=True), "a step sent with an error", PAYLOAD, IMAGE, filename)
