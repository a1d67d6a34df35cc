"""The citizen's application flow (F-POR-3): steps, follow-up questions, files, drafts, summary, receipt, PDF.

Everything through the portal's test client with CSRF on, for a small form made here and for
the demo's Specialkost form (its medical follow-up and certificate upload).
"""

from __future__ import annotations

import io
import re
from html import unescape

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from portal.apply.routes import SESSION_CASES, SESSION_DRAFTS
from portal.auth.session import SESSION_KEY
from shared import forms, storage
from shared.db import db
from shared.demo.definitions import SPECIALKOST
from shared.models import AuditEntry, Case, Document, NotificationEvent, StatusKind, VersionState
from shared.notify import default_notification_settings
from tests import factories
from tests.portal.conftest import csrf_token, visible_text

SMALL = {
    "steps": [
        {
            "id": "sokande",
            "title": "Sökande",
            "questions": [
                {"id": "namn", "type": "text", "label": "Namn", "required": True},
                {"id": "personnummer", "type": "personnummer", "label": "Personnummer", "required": True},
                {"id": "epost", "type": "email", "label": "E-post"},
            ],
        },
        {
            "id": "resa",
            "title": "Resan",
            "questions": [
                {
                    "id": "typ",
                    "type": "single_choice",
                    "label": "Typ av resa",
                    "required": True,
                    "options": [{"value": "buss", "label": "Buss"}, {"value": "taxi", "label": "Taxi"}],
                },
                {
                    "id": "skal",
                    "type": "textarea",
                    "label": "Skäl till taxi",
                    "required": True,
                    "visible_if": {"question": "typ", "equals": "taxi"},
                },
                {
                    "id": "antal",
                    "type": "number",
                    "label": "Antal resor",
                    "required": True,
                    "validation": {"min": 1, "max": 10},
                },
                {"id": "kostnad", "type": "computed", "label": "Kostnad (kr)", "formula": "antal * 25"},
            ],
        },
        {
            "id": "taxi",
            "title": "Taxiresor",
            "visible_if": {"question": "typ", "equals": "taxi"},
            "questions": [{"id": "tider", "type": "text", "label": "Önskade tider", "required": True}],
        },
        {
            "id": "ovrigt",
            "title": "Övrigt",
            "questions": [
                {"id": "meddelande", "type": "textarea", "label": "Meddelande"},
                {
                    "id": "bilaga",
                    "type": "file",
                    "label": "Bilaga",
                    "file": {"max_files": 1, "max_size_mb": 1, "content_types": ["application/pdf", "image/png"]},
                },
            ],
        },
    ]
}

# A real (tiny) PDF: a page with a line of text, as a scanner or a phone app would make.
REAL_PDF = (
    b"%PDF-1.4\n"
    b"1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]/Contents 4 0 R>>endobj\n"
    b"4 0 obj<</Length 44>>stream\nBT /F1 12 Tf 20 100 Td (Lakarintyg) Tj ET\nendstream endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
# "intyg.pdf" that is really a Windows program, and one that is really a web page.
FAKE_PDF_EXE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64 + b"This program cannot be run"
)
FAKE_PDF_HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"


@pytest.fixture
def small(portal):
    """The small e-service (login with e-ID), a citizen, and the notification settings of a new e-service."""
    assert forms.check_definition(SMALL) == []
    eservice = factories.eservice("Resebidrag", slug="resebidrag", definition=SMALL, summary_fields=["namn"])
    default_notification_settings(eservice)
    citizen = factories.citizen("19850709-9805", first_name="Maria", last_name="Öljung", email="maria@example.org")
    db.session.commit()
    return eservice, citizen


@pytest.fixture
def specialkost(portal):
    """The demo's Specialkost form, open for anonymous use as in the demo data."""
    assert forms.check_definition(SPECIALKOST) == []
    eservice = factories.eservice(
        "Ansökan om specialkost",
        slug="specialkost",
        definition=SPECIALKOST,
        login_required=False,
        anonymous_allowed=True,
        summary_fields=["barn_namn"],
    )
    default_notification_settings(eservice)
    citizen = factories.citizen("196408233234", first_name="Sven", last_name="Berg", email="sven@example.org")
    db.session.commit()
    return eservice, citizen


def log_in(client, citizen) -> None:
    with client.session_transaction() as session:
        session[SESSION_KEY] = citizen.id


def text_of(response) -> str:
    return unescape(visible_text(response.get_data(as_text=True)))


def post(client, url: str, data: dict | None = None, *, page: str | None = None, **kwargs):
    """Post a form with the CSRF token of the page it is on (fetched when not given)."""
    html = page if page is not None else client.get(url).get_data(as_text=True)
    return client.post(url, data={"csrf_token": csrf_token(html), **(data or {})}, **kwargs)


def location(response) -> str:
    assert response.status_code in (302, 303), (response.status_code, response.get_data(as_text=True)[:2000])
    return response.headers["Location"]


def the_draft() -> Case:
    """The newest unsent application."""
    db.session.expire_all()
    return db.session.scalars(select(Case).where(Case.number.is_(None)).order_by(Case.id.desc())).first()


def cases_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Case).where(Case.number.is_not(None)))


def step_url(draft_id: int, step: int) -> str:
    return f"/ansokan/{draft_id}/steg/{step}"


def fill_small_first_step(client) -> int:
    """Start the small form and pass its first step; returns the draft's id."""
    response = post(client, "/e-tjanster/resebidrag/ansokan", {"namn": "Maria Öljung", "personnummer": "19850709-9805"})
    draft = the_draft()
    assert location(response).endswith(step_url(draft.id, 2))
    return draft.id


# -- the e-service's start page and starting -------------------------------------------------------


def test_eservice_page_has_the_start_button(small, client):
    html = client.get("/e-tjanster/resebidrag").get_data(as_text=True)
    assert re.search(r'<a class="button" href="/e-tjanster/resebidrag/ansokan">\s*Starta e-tjänsten\s*</a>', html)
    # The GDPR text comes first.
    assert html.index("Behandling av personuppgifter") < html.index("Starta e-tjänsten")


def test_an_eservice_that_needs_e_id_sends_to_login_and_back(small, client):
    eservice, citizen = small
    response = client.get("/e-tjanster/resebidrag/ansokan")
    assert location(response) == "/logga-in?next=/e-tjanster/resebidrag/ansokan"
    # The test login (same code path as e-ID afterwards) returns to the form.
    login_page = client.get("/testinloggning?next=/e-tjanster/resebidrag/ansokan").get_data(as_text=True)
    response = client.post(
        "/testinloggning",
        data={"csrf_token": csrf_token(login_page), "citizen": citizen.id, "next": "/e-tjanster/resebidrag/ansokan"},
    )
    assert location(response) == "/e-tjanster/resebidrag/ansokan"
    response = client.get("/e-tjanster/resebidrag/ansokan")
    assert response.status_code == 200
    assert "Sökande" in text_of(response)
    # Nothing is saved for only looking at the first step.
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0


def test_unknown_closed_or_unpublished_eservices(small, client):
    eservice, citizen = small
    log_in(client, citizen)
    assert client.get("/e-tjanster/finns-inte/ansokan").status_code == 404
    factories.eservice("Stängd", slug="stangd", enabled=False)
    unpublished = factories.eservice("Opublicerad", slug="opublicerad")
    unpublished.versions[0].state = VersionState.DRAFT
    db.session.commit()
    assert client.get("/e-tjanster/stangd/ansokan").status_code == 404
    response = client.get("/e-tjanster/opublicerad/ansokan")
    assert response.status_code == 403
    assert "Opublicerad tar inte emot ansökningar" in text_of(response)


# -- one page per step ---------------------------------------------------------------------------


def test_a_step_page_has_progress_title_one_heading_and_labelled_inputs(small, client):
    eservice, citizen = small
    log_in(client, citizen)
    response = client.get("/e-tjanster/resebidrag/ansokan")
    html = response.get_data(as_text=True)
    text = text_of(response)
    assert response.status_code == 200
    # The taxi step is not asked for yet: Sökande, Resan, Övrigt and the summary.
    assert "<title>Sökande (Steg 1 av 4) – Resebidrag – Exempelby kommun</title>" in html
    assert "Steg 1 av 4" in text
    progress = re.search(r'<ol class="apply-progress__list">(.*?)</ol>', html, re.S).group(1)
    items = re.findall(r"<li[^>]*>(.*?)</li>", progress, re.S)
    assert [visible_text(i).strip() for i in items] == ["Sökande", "Resan", "Övrigt", "Sammanfattning"]
    assert re.search(r'<li class="apply-progress__step is-current"\s+aria-current="step">Sökande</li>', progress)
    assert html.count("<h1") == 1 and re.search(r'<h1 class="apply-title">Sökande</h1>', html)
    # Every input has its label; the buttons are buttons.
    ids = re.findall(r'<(?:input|select|textarea)\b(?![^>]*type="(?:hidden|submit)")[^>]*\bid="([^"]+)"', html)
    assert ids and all(f'for="{i}"' in html for i in ids), ids
    assert 'enctype="multipart/form-data"' in html and "novalidate" in html
    assert '<button type="submit" name="action" value="next" class="button">Nästa</button>' in html
    assert (
        '<button type="submit" name="action" value="save" class="button button--secondary">Spara och fortsätt senare</button>'
        in html
    )
    assert 'value="back"' not in html  # no Föregående on the first step
    assert "portal/apply.css" in html and "forms/conditions.js" in html


def test_next_checks_only_this_step_and_loses_nothing_typed(small, client):
    eservice, citizen = small
    log_in(client, citizen)
    response = post(
        client,
        "/e-tjanster/resebidrag/ansokan",
        {"namn": 'Maria "M" Öljung', "personnummer": "12345", "epost": "inte-en-adress"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.count('role="alert"') == 1
    summary = re.search(r'<div class="alert alert-danger error-summary".*?</div>', html, re.S).group(0)
    assert "Det finns 2 fel i formuläret." in unescape(summary)
    assert re.findall(r'href="#([^"]+)"', summary) == ["q-personnummer", "q-epost"]
    assert re.search(r'id="q-personnummer-error">.*?Ange ett giltigt personnummer', unescape(html), re.S)
    assert re.search(r'id="q-personnummer"[^>]*aria-invalid="true"', html)
    assert re.search(r"<title>Fel: Sökande", html)
    # Everything typed is there again, the wrong answers too.
    assert 'value="Maria &#34;M&#34; Öljung"' in html
    assert 'value="12345"' in html and 'value="inte-en-adress"' in html
    # The next step is not checked yet, and nothing is saved until the step passes.
    assert "Typ av resa" not in text_of(response)
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0

    response = post(
        client,
        "/e-tjanster/resebidrag/ansokan",
        {"namn": "Maria Öljung", "personnummer": "19850709-9805", "epost": "Maria@Example.org"},
        page=html,
    )
    draft = the_draft()
    assert location(response) == step_url(draft.id, 2)
    assert draft.citizen_id == citizen.id and draft.status.kind == StatusKind.DRAFT
    assert draft.answers == {"namn": "Maria Öljung", "personnummer": "19850709-9805", "epost": "maria@example.org"}


def test_a_follow_up_question_is_drawn_hidden_and_shown_by_a_round_trip_without_script(small, client):
    eservice, citizen = small
    log_in(client, citizen)
    draft_id = fill_small_first_step(client)
    html = client.get(step_url(draft_id, 2)).get_data(as_text=True)
    group = re.search(r'<div class="form-group" id="q-skal-group"[^>]*>', html).group(0)
    assert " hidden" in group and "data-visible-if" in group
    # The script learns the other steps' answers from the form.
    context = re.search(r'data-form-context="([^"]+)"', html).group(1)
    assert '"namn"' in unescape(context)
    # Without the script: "Visa följdfrågor" in <noscript> sends the page back, with no errors shown.
    noscript = re.search(r"<noscript>(.*?)</noscript>", html, re.S).group(1)
    assert '<button type="submit" name="action" value="refresh"' in noscript and "Visa följdfrågor" in noscript

    response = post(client, step_url(draft_id, 2), {"typ": "taxi", "action": "refresh"}, page=html)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    group = re.search(r'<div class="form-group" id="q-skal-group"[^>]*>', html).group(0)
    assert " hidden" not in group
    assert 'role="alert"' not in html and "field-error" not in html
    assert re.search(r'value="taxi"\s+checked', html)
    # The taxi step is now on the way: five steps with the summary.
    assert "Steg 2 av 5" in text_of(response) and "Taxiresor" in text_of(response)

    # Nästa now asks for the follow-up answer, and keeps the rest.
    response = post(client, step_url(draft_id, 2), {"typ": "taxi", "antal": "2"}, page=html)
    html = response.get_data(as_text=True)
    assert re.findall(r'href="#([^"]+)"', re.search(r"error-summary.*?</div>", html, re.S).group(0)) == ["q-skal"]
    assert 'value="2"' in html and re.search(r'value="taxi"\s+checked', html)

    response = post(client, step_url(draft_id, 2), {"typ": "taxi", "skal": "Rullstol", "antal": "2"}, page=html)
    assert location(response) == step_url(draft_id, 3)
    assert the_draft().answers["skal"] == "Rullstol"


def test_a_step_hidden_by_the_answers_is_skipped_and_a_hidden_answer_is_dropped(small, client):
    eservice, citizen = small
    log_in(client, citizen)
    draft_id = fill_small_first_step(client)
    post(client, step_url(draft_id, 2), {"typ": "taxi", "skal": "Rullstol", "antal": "2"})
    post(client, step_url(draft_id, 3), {"tider": "07.30"})
    # Back to bus: the taxi step and the taxi reason go.
    response = post(client, step_url(draft_id, 2), {"typ": "buss", "skal": "Rullstol", "antal": "2"})
    assert location(response) == step_url(draft_id, 4)
    answers = the_draft().answers
    assert answers["typ"] == "buss" and "skal" not in answers and "tider" not in answers
    assert location(client.get(step_url(draft_id, 3))) == step_url(draft_id, 4)
    assert client.get(step_url(draft_id, 5)).status_code == 404
    assert client.get(step_url(draft_id, 0)).status_code == 404
    # Föregående from step 4 goes to step 2, past the hidden one.
    response = post(client, step_url(draft_id, 4), {"meddelande": "Tack", "action": "back"})
    assert location(response) == step_url(draft_id, 2)
    assert the_draft().answers["meddelande"] == "Tack"


def test_previous_saves_without_checking_required_answers_and_keeps_what_was_typed(small, client):
    eservice, citizen = small
    log_in(client, citizen)
    draft_id = fill_small_first_step(client)
    response = post(client, step_url(draft_id, 2), {"typ": "buss", "antal": "", "action": "back"})
    assert location(response) == step_url(draft_id, 1)
    assert the_draft().answers["typ"] == "buss"
    html = client.get(step_url(draft_id, 2)).get_data(as_text=True)
    assert re.search(r'value="buss"\s+checked', html)
    assert (
        '<button type="submit" name="action" value="back" class="button button--secondary">Föregående</button>' in html
    )

    # An answer that cannot be kept (not a number) stays on the page with its error, the rest is saved.
    response = post(client, step_url(draft_id, 2), {"typ": "taxi", "antal": "många", "action": "back"}, page=html)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'value="många"' in html and re.search(r'id="q-antal-error">.*?Ange ett tal', html, re.S)
    assert "skal" not in re.findall(r'href="#q-([^"]+)"', html)  # required answers are not asked for
    assert the_draft().answers["typ"] == "taxi"


def test_computed_value_is_shown_read_only_and_recomputed_by_the_server(small, client):
    eservice, citizen = small
    log_in(client, citizen)
    draft_id = fill_small_first_step(client)
    html = client.get(step_url(draft_id, 2)).get_data(as_text=True)
    assert re.search(r'<output class="form-control-static computed-value" id="q-kostnad"[^>]*>–</output>', html)
    assert 'name="kostnad"' not in html
    assert f'data-compute-url="/ansokan/{draft_id}/steg/2/berakna"' in html
    response = post(client, step_url(draft_id, 2), {"typ": "buss", "antal": "4", "action": "refresh"}, page=html)
    assert re.search(r'id="q-kostnad"[^>]*>100</output>', response.get_data(as_text=True))
    # With the script: the same evaluator on the server, as JSON.
    response = post(client, f"/ansokan/{draft_id}/steg/2/berakna", {"antal": "3"}, page=html)
    assert response.status_code == 200 and response.json == {"computed": {"kostnad": "75"}}
    response = post(client, step_url(draft_id, 2), {"typ": "buss", "antal": "3"}, page=html)
    assert the_draft().answers["kostnad"] == 75


# -- drafts: save, resume, discard -------------------------------------------------------------------


def test_save_and_continue_later_lists_the_draft_on_my_pages_and_resume_opens_where_it_stopped(small, client):
    eservice, citizen = small
    log_in(client, citizen)
    draft_id = fill_small_first_step(client)
    # Saved without the required answers of the step.
    response = post(client, step_url(draft_id, 2), {"typ": "taxi", "action": "save"})
    assert location(response) == f"/ansokan/{draft_id}/sparad"
    response = client.get(f"/ansokan/{draft_id}/sparad")
    text = text_of(response)
    assert "Din ansökan är sparad" in text and "Sparat, ej inskickat" in text
    assert 'href="/mina-sidor"' in response.get_data(as_text=True)
    assert the_draft().answers["typ"] == "taxi" and the_draft().status.name == "Sparat"
    assert "Resebidrag" in text_of(client.get("/mina-sidor"))

    # Resumed at the first step with something missing.
    assert location(client.get(f"/ansokan/{draft_id}")) == step_url(draft_id, 2)
    post(client, step_url(draft_id, 2), {"typ": "taxi", "skal": "Rullstol", "antal": "1"})
    assert location(client.get(f"/ansokan/{draft_id}")) == step_url(draft_id, 3)
    post(client, step_url(draft_id, 3), {"tider": "07.30"})
    # The optional last step not reached yet: resumed there; once passed, the summary.
    assert location(client.get(f"/ansokan/{draft_id}")) == step_url(draft_id, 4)
    post(client, step_url(draft_id, 4), {"meddelande": ""})
    assert location(client.get(f"/ansokan/{draft_id}")) == step_url(draft_id, 4)
    post(client, step_url(draft_id, 4), {"meddelande": "Hej"})
    assert location(client.get(f"/ansokan/{draft_id}")) == f"/ansokan/{draft_id}/sammanfattning"


def test_discard_asks_first_then_deletes_the_draft_and_its_files(small, client):
    eservice, citizen = small
    log_in(client, citizen)
    draft_id = fill_small_first_step(client)
    response = post(
        client,
        step_url(draft_id, 4),
        {"bilaga": (io.BytesIO(REAL_PDF), "underlag.pdf", "application/pdf"), "action": "save"},
        content_type="multipart/form-data",
    )
    assert location(response) == f"/ansokan/{draft_id}/sparad"
    key = db.session.scalars(select(Document.storage_key)).one()
    assert storage.exists(key)

    response = client.get(f"/ansokan/{draft_id}/ta-bort")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Vill du ta bort ansökan?" in text_of(response)
    assert re.search(r'<button type="submit" class="button button--danger">Ta bort ansökan</button>', html)
    assert db.session.get(Case, draft_id) is not None  # only asked

    response = post(client, f"/ansokan/{draft_id}/ta-bort", page=html)
    assert location(response) == "/mina-sidor"
    db.session.expire_all()
    assert db.session.get(Case, draft_id) is None
    assert db.session.scalar(select(func.count()).select_from(Document)) == 0
    assert not storage.exists(key)
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "draft_discarded")).one()
    assert entry.case_id == draft_id and entry.citizen_id == citizen.id
    assert entry.details["documents_deleted"] == 1
    assert "Ansökan har tagits bort." in text_of(client.get("/mina-sidor"))
    assert client.get(f"/ansokan/{draft_id}").status_code == 404


# -- summary, submission, receipt, PDF ------------------------------------------------------------------


def fill_small(client) -> int:
    draft_id = fill_small_first_step(client)
    post(client, step_url(draft_id, 2), {"typ": "taxi", "skal": "Går med rollator", "antal": "4"})
    post(client, step_url(draft_id, 3), {"tider": "Måndagar 07.30"})
    response = post(client, step_url(draft_id, 4), {"meddelande": "Rad ett\nRad två"})
    assert location(response) == f"/ansokan/{draft_id}/sammanfattning"
    return draft_id


def test_summary_lists_every_answer_by_step_with_change_links(small, client):
    eservice, citizen = small
    log_in(client, citizen)
    draft_id = fill_small(client)
    response = client.get(f"/ansokan/{draft_id}/sammanfattning")
    html = response.get_data(as_text=True)
    text = text_of(response)
    assert "<title>Sammanfattning (Steg 5 av 5) – Resebidrag – Exempelby kommun</title>" in html
    assert html.count("<h1") == 1
    assert re.search(r'<li class="apply-progress__step is-current" aria-current="step">Sammanfattning</li>', html)
    for step_title, pairs in [
        ("Sökande", [("Namn", "Maria Öljung"), ("Personnummer", "19850709-9805")]),
        (
            "Resan",
            [
                ("Typ av resa", "Taxi"),
                ("Skäl till taxi", "Går med rollator"),
                ("Antal resor", "4"),
                ("Kostnad (kr)", "100"),
            ],
        ),
        ("Taxiresor", [("Önskade tider", "Måndagar 07.30")]),
        ("Övrigt", [("Meddelande", "Rad ett\nRad två")]),
    ]:
        section = re.search(rf"<section[^>]*>\s*<div[^>]*>\s*<h2[^>]*>{step_title}</h2>.*?</section>", html, re.S)
        assert section, step_title
        rows = re.findall(r"<dt>(.*?)</dt>\s*<dd>(.*?)</dd>", unescape(section.group(0)), re.S)
        assert rows == pairs, (step_title, rows)
    assert f'href="/ansokan/{draft_id}/steg/2?andra=1"' in html
    assert "E-post" not in text  # unanswered optional questions are left out
    # No e-mail is asked for: the citizen's receipt goes to the address they have.
    assert 'name="contact_email"' not in html
    assert re.search(r'<input type="hidden" name="form-token" value="[^"]{20,}">', html)
    assert '<button type="submit" class="button">Skicka in</button>' in html

    # Ändra: the step, then straight back to the summary.
    page = client.get(f"/ansokan/{draft_id}/steg/2?andra=1").get_data(as_text=True)
    assert '<input type="hidden" name="to-summary" value="1">' in page
    response = post(
        client, step_url(draft_id, 2), {"typ": "taxi", "skal": "Rullstol", "antal": "4", "to-summary": "1"}, page=page
    )
    assert location(response) == f"/ansokan/{draft_id}/sammanfattning"
    assert "Rullstol" in text_of(client.get(f"/ansokan/{draft_id}/sammanfattning"))


def test_submit_gives_a_receipt_with_the_case_number_a_notification_and_a_pdf(small, client):
    eservice, citizen = small
    log_in(client, citizen)
    draft_id = fill_small(client)
    response = post(
        client,
        f"/ansokan/{draft_id}/sammanfattning",
        {"form-token": "token-1"},
        page=client.get(f"/ansokan/{draft_id}/sammanfattning").get_data(as_text=True),
    )
    assert location(response) == f"/kvittens/{draft_id}"
    db.session.expire_all()
    case = db.session.get(Case, draft_id)
    assert case.number is not None and case.status.kind == StatusKind.SUBMITTED and case.citizen_id == citizen.id
    assert case.answers["skal"] == "Går med rollator" and case.answers["kostnad"] == 100

    response = client.get(f"/kvittens/{case.id}")
    html = response.get_data(as_text=True)
    text = text_of(response)
    assert response.status_code == 200
    assert "<title>Kvittens – Resebidrag – Exempelby kommun</title>" in html and html.count("<h1") == 1
    assert "Din ansökan är inskickad" in text
    assert re.search(rf"Ärendenummer\s*:?\s*{case.number}", text)
    assert "Inskickad" in text and re.search(r'<time datetime="\d{4}-\d\d-\d\dT', html)
    assert "Vad händer nu?" in text and "En kvittens skickas till maria@example.org." in text
    assert f'href="/kvittens/{case.id}/ansokan.pdf"' in html and f'href="/mina-sidor/arenden/{case.id}"' in html

    # The receipt notification is queued to the applicant.
    receipts = factories.outbox(NotificationEvent.SUBMITTED)
    assert any(m.recipient_address == "maria@example.org" for m in receipts)
    assert any(m.recipient_citizen_id == citizen.id for m in receipts)

    response = client.get(f"/kvittens/{case.id}/ansokan.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "no-store" in response.headers["Cache-Control"]
    pdf_text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    for expected in (str(case.number), "Resebidrag", "Maria Öljung", "Går med rollator", "Inskickat", "Taxiresor"):
        assert expected in pdf_text, expected
    assert db.session.scalars(select(AuditEntry).where(AuditEntry.action == "case_printed_by_applicant")).one()
    # The draft's pages now lead to the receipt.
    assert location(client.get(step_url(draft_id, 2))) == f"/kvittens/{case.id}"
    assert location(client.get(f"/ansokan/{draft_id}/sammanfattning")) == f"/kvittens/{case.id}"


def test_a_double_click_on_submit_gives_one_case(small, client):
    eservice, citizen = small
    log_in(client, citizen)
    draft_id = fill_small(client)
    page = client.get(f"/ansokan/{draft_id}/sammanfattning").get_data(as_text=True)
    token = re.search(r'name="form-token" value="([^"]+)"', page).group(1)
    first = post(client, f"/ansokan/{draft_id}/sammanfattning", {"form-token": token}, page=page)
    second = post(client, f"/ansokan/{draft_id}/sammanfattning", {"form-token": token}, page=page)
    assert location(first) == location(second) == f"/kvittens/{draft_id}"
    assert cases_count() == 1
    assert len(factories.outbox(NotificationEvent.SUBMITTED)) == len(
        {
            (m.channel, m.recipient_address, m.recipient_citizen_id)
            for m in factories.outbox(NotificationEvent.SUBMITTED)
        }
    )
    # The summary page sent again later (another token) still gives the same case.
    third = post(client, f"/ansokan/{draft_id}/sammanfattning", {"form-token": "another-token"}, page=page)
    assert location(third) == f"/kvittens/{draft_id}"
    assert cases_count() == 1


def test_the_receipt_names_an_address_only_where_the_receipt_goes(small, client):
    """A citizen without an e-mail address who chose no e-mail notices: the address typed for the receipt
    is kept on the case, but no receipt is sent, and the receipt page does not promise one."""
    eservice, citizen = small
    citizen.email, citizen.notify_by_email = None, False
    db.session.commit()
    log_in(client, citizen)
    draft_id = fill_small(client)
    page = client.get(f"/ansokan/{draft_id}/sammanfattning").get_data(as_text=True)
    assert 'name="contact_email"' in page  # no address known: the summary asks for one
    response = post(
        client,
        f"/ansokan/{draft_id}/sammanfattning",
        {"form-token": "t-no-mail", "contact_email": "maria@example.org"},
        page=page,
    )
    assert location(response) == f"/kvittens/{draft_id}"
    db.session.expire_all()
    assert db.session.get(Case, draft_id).contact_email == "maria@example.org"
    assert "maria@example.org" not in {m.recipient_address for m in factories.outbox(NotificationEvent.SUBMITTED)}
    assert "En kvittens skickas till" not in text_of(client.get(f"/kvittens/{draft_id}"))


def test_a_submission_with_errors_opens_the_first_step_with_errors(small, client):
    eservice, citizen = small
    log_in(client, citizen)
    draft_id = fill_small_first_step(client)
    post(client, step_url(draft_id, 2), {"typ": "taxi", "action": "save"})
    page = client.get(f"/ansokan/{draft_id}/sammanfattning").get_data(as_text=True)
    response = post(client, f"/ansokan/{draft_id}/sammanfattning", {"form-token": "t-errors"}, page=page)
    assert location(response) == f"{step_url(draft_id, 2)}?fel=1"
    response = client.get(location(response))
    html = response.get_data(as_text=True)
    assert "Ansökan kunde inte skickas in. Rätta felen nedan." in text_of(response)
    links = re.findall(r'href="#([^"]+)"', re.search(r"error-summary.*?</div>", html, re.S).group(0))
    assert links == ["q-skal", "q-antal"]
    assert re.search(r'id="q-skal-error">.*?Fyll i Skäl till taxi', html, re.S)
    assert cases_count() == 0


# -- nobody opens another's application ----------------------------------------------------------------


def test_another_citizen_cannot_open_a_draft_receipt_or_pdf_by_typing_ids(small, client, portal):
    eservice, citizen = small
    log_in(client, citizen)
    draft_id = fill_small(client)
    other_draft_id = fill_small_first_step(client)
    page = client.get(f"/ansokan/{draft_id}/sammanfattning").get_data(as_text=True)
    post(client, f"/ansokan/{draft_id}/sammanfattning", {"form-token": "mine"}, page=page)

    intruder = factories.citizen("196408233234", first_name="Otto", last_name="Annan", email="otto@example.org")
    db.session.commit()
    other = portal.test_client()
    log_in(other, intruder)
    for url in (
        step_url(other_draft_id, 1),
        step_url(other_draft_id, 2),
        f"/ansokan/{other_draft_id}",
        f"/ansokan/{other_draft_id}/sammanfattning",
        f"/ansokan/{other_draft_id}/sparad",
        f"/ansokan/{other_draft_id}/ta-bort",
        f"/kvittens/{draft_id}",
        f"/kvittens/{draft_id}/ansokan.pdf",
        step_url(draft_id, 1),
        "/kvittens/99999",
        step_url(99999, 1),
    ):
        assert other.get(url).status_code == 404, url
    token = csrf_token(other.get("/e-tjanster/resebidrag/ansokan").get_data(as_text=True))
    for url, data in (
        (step_url(other_draft_id, 1), {"namn": "Otto"}),
        (f"/ansokan/{other_draft_id}/sammanfattning", {"form-token": "theirs"}),
        (f"/ansokan/{other_draft_id}/ta-bort", {}),
        (f"/ansokan/{other_draft_id}/steg/2/berakna", {"antal": "1"}),
    ):
        assert other.post(url, data={"csrf_token": token, **data}).status_code == 404, url
    db.session.expire_all()
    assert db.session.get(Case, other_draft_id).answers["namn"] == "Maria Öljung"
    assert cases_count() == 1

    # Someone not logged in is sent to log in, and sees nothing.
    stranger = portal.test_client()
    for url in (step_url(other_draft_id, 1), f"/kvittens/{draft_id}", f"/kvittens/{draft_id}/ansokan.pdf"):
        response = stranger.get(url)
        assert location(response).startswith("/logga-in?next="), url
        assert "Maria" not in response.get_data(as_text=True)


# -- Specialkost: the medical follow-up, the certificate upload, anonymous use ----------------------------


def start_specialkost(client) -> int:
    response = post(
        client,
        "/e-tjanster/specialkost/ansokan",
        {"barn_namn": "Lisa Berg", "barn_personnummer": "20000101-2384", "enhet": "forskolan_tallen"},
    )
    draft = the_draft()
    assert location(response) == step_url(draft.id, 2)
    return draft.id


def test_specialkost_anonymous_with_the_medical_follow_up_and_a_certificate(specialkost, client, portal):
    eservice, _citizen = specialkost
    # Anonymous use is allowed: no login, and no "save for later" (nowhere to come back to).
    response = client.get("/e-tjanster/specialkost/ansokan")
    assert response.status_code == 200 and 'value="save"' not in response.get_data(as_text=True)
    draft_id = start_specialkost(client)
    with client.session_transaction() as session:
        assert session[SESSION_DRAFTS] == [draft_id]
    draft = the_draft()
    assert draft.citizen_id is None

    html = client.get(step_url(draft_id, 2)).get_data(as_text=True)
    for follow_up in ("intyg_info", "intyg"):
        group = re.search(rf'<div class="[^"]*" id="q-{follow_up}-group"[^>]*>', html).group(0)
        assert " hidden" in group, follow_up
    assert "Högst 3 filer på högst 10 MB var. Tillåtna filtyper: PDF, JPEG, PNG." in unescape(html)
    assert 'accept="application/pdf,image/jpeg,image/png"' in html

    answers = {"grund": "medicinsk", "kost": ["gluten", "laktos"], "beskrivning": "Celiaki sedan 2023."}
    # A "PDF" that is a program, then one that is a web page: refused by their bytes, the rest kept.
    for fake in (FAKE_PDF_EXE, FAKE_PDF_HTML):
        response = post(
            client,
            step_url(draft_id, 2),
            {**answers, "intyg": (io.BytesIO(fake), "intyg.pdf", "application/pdf")},
            page=html,
            content_type="multipart/form-data",
        )
        page = response.get_data(as_text=True)
        assert response.status_code == 200
        assert re.search(
            r'id="q-intyg-error">.*?Filen intyg\.pdf kan inte bifogas eftersom filtypen inte är tillåten här\. '
            r"Du kan bifoga PDF, JPEG, PNG\.",
            unescape(page),
            re.S,
        )
        assert re.findall(r'href="#([^"]+)"', re.search(r"error-summary.*?</div>", page, re.S).group(0)) == ["q-intyg"]
        assert re.search(r'value="medicinsk"\s+checked', page)
        assert re.search(r'value="gluten"\s+checked', page) and re.search(r'value="laktos"\s+checked', page)
        assert "Celiaki sedan 2023." in page
        group = re.search(r'<div class="[^"]*" id="q-intyg-group"[^>]*>', page).group(0)
        assert " hidden" not in group
        assert db.session.scalar(select(func.count()).select_from(Document)) == 0
    # What could be kept is saved meanwhile.
    assert the_draft().answers["kost"] == ["gluten", "laktos"]

    # The required certificate: asked for, then a real PDF is kept on the draft, outside the web root.
    response = post(client, step_url(draft_id, 2), answers, page=html)
    assert re.search(r'id="q-intyg-error">.*?Bifoga Läkarintyg', unescape(response.get_data(as_text=True)), re.S)
    response = post(
        client,
        step_url(draft_id, 2),
        {**answers, "intyg": (io.BytesIO(REAL_PDF), "Läkarintyg Lisa.pdf", "application/octet-stream")},
        page=html,
        content_type="multipart/form-data",
    )
    assert location(response) == step_url(draft_id, 3)
    document = db.session.scalars(select(Document)).one()
    assert document.case_id == draft_id and document.question_id == "intyg"
    assert document.content_type == "application/pdf" and document.filename == "Läkarintyg Lisa.pdf"
    assert re.fullmatch(r"[0-9a-f]{40}", document.storage_key) and storage.exists(document.storage_key)
    assert "Läkarintyg" not in document.storage_key
    assert not document.storage_key.startswith(str(portal.static_folder))
    assert the_draft().answers["intyg"] == [document.descriptor()]

    # Back on the step the file is listed with its Remove button, kept by its id.
    page = client.get(step_url(draft_id, 2)).get_data(as_text=True)
    assert f'<input type="hidden" name="intyg" value="{document.id}">' in page
    assert re.search(
        rf'<button type="submit" class="link-button attached-file-remove" name="remove_file" value="{document.id}">'
        r'Ta bort<span class="sr-only"> Läkarintyg Lisa.pdf</span></button>',
        page,
    )

    response = post(
        client, step_url(draft_id, 3), {"vardnadshavare": "Sven Berg", "epost": "sven@example.org", "mobil": ""}
    )
    assert location(response) == f"/ansokan/{draft_id}/sammanfattning"
    response = client.get(f"/ansokan/{draft_id}/sammanfattning")
    page = response.get_data(as_text=True)
    text = text_of(response)
    assert "Medicinska skäl" in text and "Glutenfri, Laktosfri" in text and "Läkarintyg Lisa.pdf" in text
    # Anonymous: an e-mail address for the receipt is required (offered from the form's own answer).
    field = re.search(r'<input class="form-control" type="email" id="contact-email"[^>]*>', page).group(0)
    assert 'value="sven@example.org"' in field and 'aria-required="true"' in field
    assert 'for="contact-email"' in page

    response = post(
        client, f"/ansokan/{draft_id}/sammanfattning", {"form-token": "anon-1", "contact_email": ""}, page=page
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'role="alert"' in page
    assert 'href="#contact-email"' in page
    assert re.search(r'id="contact-email-error">.*?Ange din e-postadress', unescape(page), re.S)
    response = post(
        client,
        f"/ansokan/{draft_id}/sammanfattning",
        {"form-token": "anon-2", "contact_email": "inte en adress"},
        page=page,
    )
    assert "Ange en giltig e-postadress." in text_of(response) and 'value="inte en adress"' in response.get_data(
        as_text=True
    )
    assert cases_count() == 0

    response = post(
        client,
        f"/ansokan/{draft_id}/sammanfattning",
        {"form-token": "anon-3", "contact_email": "sven@example.org"},
        page=page,
    )
    assert location(response) == f"/kvittens/{draft_id}"
    with client.session_transaction() as session:
        assert session[SESSION_CASES] == [draft_id] and session[SESSION_DRAFTS] == []
    db.session.expire_all()
    case = db.session.get(Case, draft_id)
    assert case.number is not None and case.citizen_id is None and case.contact_email == "sven@example.org"
    assert case.answers["intyg"][0]["document_id"] == document.id
    assert "sven@example.org" in {m.recipient_address for m in factories.outbox(NotificationEvent.SUBMITTED)}

    response = client.get(f"/kvittens/{case.id}")
    text = text_of(response)
    assert str(case.number) in text and "En kvittens skickas till sven@example.org." in text
    assert 'href="/mina-sidor' not in response.get_data(as_text=True).split("<main", 1)[1]
    response = client.get(f"/kvittens/{case.id}/ansokan.pdf")
    assert response.status_code == 200
    pdf_text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
    assert "Lisa Berg" in pdf_text and "Läkarintyg Lisa.pdf" in pdf_text

    # Another visitor's session holds neither the draft nor the case.
    other = portal.test_client()
    assert location(other.get(f"/kvittens/{case.id}")).startswith("/logga-in")
    assert location(other.get(f"/kvittens/{case.id}/ansokan.pdf")).startswith("/logga-in")


def test_an_anonymous_draft_is_opened_only_by_the_session_that_started_it(specialkost, client, portal):
    draft_id = start_specialkost(client)
    other = portal.test_client()
    token = csrf_token(other.get("/e-tjanster/specialkost/ansokan").get_data(as_text=True))
    assert location(other.get(step_url(draft_id, 2))).startswith("/logga-in")
    response = other.post(step_url(draft_id, 1), data={"csrf_token": token, "barn_namn": "Någon annan"})
    assert location(response).startswith("/logga-in")
    # A logged-in citizen cannot take it over either.
    log_in(other, specialkost[1])
    assert other.get(step_url(draft_id, 2)).status_code == 404
    # A forged session list is not possible (the cookie is signed), and a listed id of someone's
    # e-ID draft is still refused by the access rule.
    citizen_draft = factories.case(specialkost[0], citizen=specialkost[1], draft=True, answers={})
    db.session.commit()
    with client.session_transaction() as session:
        session[SESSION_DRAFTS] = [draft_id, citizen_draft.id]
    assert client.get(step_url(citizen_draft.id, 1)).status_code == 404
    assert the_draft_answers(draft_id)["barn_namn"] == "Lisa Berg"

    # The visitor who started it may delete it: back to the e-service's page, and it is gone.
    page = client.get(f"/ansokan/{draft_id}/ta-bort").get_data(as_text=True)
    response = post(client, f"/ansokan/{draft_id}/ta-bort", page=page)
    assert location(response) == "/e-tjanster/specialkost"
    with client.session_transaction() as session:
        assert draft_id not in session[SESSION_DRAFTS]
    db.session.expire_all()
    assert db.session.get(Case, draft_id) is None
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "draft_discarded")).one()
    assert entry.citizen_id is None and entry.case_id == draft_id


def the_draft_answers(draft_id: int) -> dict:
    db.session.expire_all()
    return db.session.get(Case, draft_id).answers


def test_removing_an_attached_file_and_the_file_limits(specialkost, client):
    eservice, citizen = specialkost
    log_in(client, citizen)  # a citizen may use the anonymous-friendly e-service with e-ID
    draft_id = start_specialkost(client)
    assert db.session.get(Case, draft_id).citizen_id == citizen.id
    answers = {"grund": "medicinsk", "kost": "gluten"}
    png = factories.PNG_BYTES
    response = post(
        client,
        step_url(draft_id, 2),
        {
            **answers,
            "intyg": [(io.BytesIO(REAL_PDF), "a.pdf", "application/pdf"), (io.BytesIO(png), "b.png", "image/png")],
            "action": "save",
        },
        content_type="multipart/form-data",
    )
    assert location(response) == f"/ansokan/{draft_id}/sparad"
    documents = db.session.scalars(select(Document).order_by(Document.id)).all()
    (first, second), keys = [d.id for d in documents], [d.storage_key for d in documents]
    page = client.get(step_url(draft_id, 2)).get_data(as_text=True)
    # "Ta bort" on the first file: the page again, the other file and the answers kept, no errors.
    response = post(
        client,
        step_url(draft_id, 2),
        {**answers, "intyg": [str(first), str(second)], "remove_file": str(first), "beskrivning": "Ny text"},
        page=page,
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'role="alert"' not in page
    assert f'value="{first}"' not in page and f'name="intyg" value="{second}"' in page
    assert "Ny text" in page
    db.session.expire_all()
    assert db.session.get(Document, first) is None and not storage.exists(keys[0]) and storage.exists(keys[1])
    assert [f["document_id"] for f in the_draft_answers(draft_id)["intyg"]] == [second]
    audit = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "draft_attachment_removed")).one()
    assert audit.details == {"document_id": first}

    # A document id of something else cannot be slipped in as an answer.
    foreign = factories.case(eservice, citizen=citizen)
    factories_document = Document(
        case=foreign,
        source="applicant",
        filename="x.pdf",
        storage_key="f" * 40,
        content_type="application/pdf",
        size=10,
        sha256="0" * 64,
    )
    db.session.add(factories_document)
    db.session.commit()
    response = post(
        client, step_url(draft_id, 2), {**answers, "intyg": [str(second), str(factories_document.id)]}, page=page
    )
    assert location(response) == step_url(draft_id, 3)
    assert [f["document_id"] for f in the_draft_answers(draft_id)["intyg"]] == [second]

    # Too many files for the question: the error beside it, the files listed to remove one.
    response = post(
        client,
        step_url(draft_id, 2),
        {**answers, "intyg": [str(second), *[(io.BytesIO(REAL_PDF), f"{n}.pdf", "application/pdf") for n in range(3)]]},
        page=page,
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert "Du kan bifoga högst 3 filer." in unescape(page)
    assert page.count('name="intyg" value="') == 4

    # The last file removed: the required question asks for a file again on Nästa.
    for document_id in [int(v) for v in re.findall(r'name="intyg" value="(\d+)"', page)]:
        kept = [v for v in re.findall(r'name="intyg" value="(\d+)"', page) if int(v) != document_id]
        page = post(
            client, step_url(draft_id, 2), {**answers, "intyg": kept, "remove_file": str(document_id)}, page=page
        ).get_data(as_text=True)
    response = post(client, step_url(draft_id, 2), answers, page=page)
    assert re.search(r'id="q-intyg-error">.*?Bifoga Läkarintyg', unescape(response.get_data(as_text=True)), re.S)


def test_a_file_over_the_questions_size_limit_is_refused_with_the_rest_kept(small, client, portal, monkeypatch):
    eservice, citizen = small
    log_in(client, citizen)
    draft_id = fill_small(client)
    big = REAL_PDF + b"0" * (1024 * 1024)  # over the question's 1 MB
    response = post(
        client,
        step_url(draft_id, 4),
        {"meddelande": "Se bilagan", "bilaga": (io.BytesIO(big), "stor.pdf", "application/pdf")},
        content_type="multipart/form-data",
    )
    page = unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    assert re.search(r'id="q-bilaga-error">.*?Filen stor\.pdf är för stor\. Filer får vara högst 1 MB\.', page, re.S)
    assert "Se bilagan" in page
    assert db.session.scalar(select(func.count()).select_from(Document)) == 0

    # A post over the server's limit is refused before it is read: a page that says so.
    monkeypatch.setitem(portal.config, "MAX_CONTENT_LENGTH", 4 * 1024)
    response = post(
        client,
        step_url(draft_id, 4),
        {"bilaga": (io.BytesIO(REAL_PDF + b"0" * 8192), "b.pdf", "application/pdf")},
        page=client.get(step_url(draft_id, 4)).get_data(as_text=True),
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    assert "Filerna var för stora" in text_of(response)
    assert f'href="{step_url(draft_id, 4)}"' in response.get_data(as_text=True)
