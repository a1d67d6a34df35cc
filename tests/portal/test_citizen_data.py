"""Mina uppgifter (issue 9): the citizen sees and downloads what is held about them, as JSON and PDF."""

from __future__ import annotations

import io
import json

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from shared import clock
from shared.db import db
from shared.models import AuditEntry, Mailing, MailingAnswer, MailingRecipient, PortalNotice
from shared.services import audit, documents, messages
from tests import factories
from tests.factories import PDF_BYTES
from tests.portal.conftest import log_in_by_test_login, visible_text

HANDLER_TEXT = "Vi behöver ett intyg om allergin"
REPLY_TEXT = "Intyget kommer på fredag"
OTHER_TEXT = "Bertils hemliga svar om hans hund"


@pytest.fixture
def held(portal):
    """Maria with a case (answers, messages both ways, a document, a mailing), a draft, a notice and a login;
    Bertil with a case of his own; an anonymous case with Maria's e-mail address."""
    hanna = factories.user("hanna", first_name="Hanna", last_name="Berg")
    eservice = factories.eservice("Skolskjuts", handlers=[hanna])
    maria = factories.citizen(
        "19850709-9805", first_name="Maria", last_name="Öljung", email="maria@example.org", phone="070-1234567"
    )
    bertil = factories.citizen("196408233234", first_name="Bertil", last_name="Ek", email="bertil@example.org")
    answers = factories.answers(namn="Kalle Öljung", personnummer="20000101-2384", ovrigt="Hämtas vid grinden")
    case = factories.case(eservice, citizen=maria, answers=answers, users=[hanna])
    others = factories.case(
        eservice,
        citizen=bertil,
        answers=factories.answers(namn="Bertil Ek", personnummer="19640823-3234", ovrigt=OTHER_TEXT),
    )
    anonymous = factories.case(
        eservice, answers=factories.answers(namn="Anonym", ovrigt="Anonymt svar"), contact_email="maria@example.org"
    )
    factories.case(eservice, citizen=maria, draft=True, answers={"namn": "Utkast Öljung"})
    db.session.add(PortalNotice(citizen_id=maria.id, case_id=case.id, subject="Nytt meddelande", body="Läs det"))
    db.session.add(PortalNotice(citizen_id=bertil.id, case_id=others.id, subject="Bertils notis", body="Till Bertil"))
    mailing = Mailing(
        channel="portal",
        subject="Terminsstart",
        body="Skolan börjar i augusti.",
        question="Behöver ni skjuts?",
        sent_at=clock.now(),
    )
    db.session.add(mailing)
    db.session.flush()
    db.session.add(MailingRecipient(mailing_id=mailing.id, case_id=case.id, answer=MailingAnswer.YES))
    audit.record("citizen_logged_in", citizen=maria, obj=maria, details={"method": "e-id"})
    db.session.commit()
    messages.send_message(case.id, HANDLER_TEXT, actor=hanna)
    messages.reply_as_citizen(case.id, REPLY_TEXT, citizen=maria)
    documents.add_document(case.id, "beslut.pdf", io.BytesIO(PDF_BYTES), "application/pdf", actor=hanna)
    return maria, case, others, anonymous


def download(client, fmt: str):
    response = client.get(f"/mina-sidor/mina-uppgifter/{fmt}")
    assert response.status_code == 200, response.status_code
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response.headers["Cache-Control"]
    return response


def test_my_pages_links_to_my_data_and_the_page_lists_what_is_held(held, client):
    maria, case, _others, _anonymous = held
    log_in_by_test_login(client, maria)
    assert 'href="/mina-sidor/mina-uppgifter"' in client.get("/mina-sidor").get_data(as_text=True)
    response = client.get("/mina-sidor/mina-uppgifter")
    html = response.get_data(as_text=True)
    text = visible_text(html)
    assert response.status_code == 200 and html.count("<h1") == 1
    assert "Mina uppgifter" in text and "19850709-9805" in text and "maria@example.org" in text
    assert (
        "1 ärende" in text and "1 sparad ansökan" in text and "2 registrerade inloggningar med e-legitimation" in text
    )
    assert "Ladda ner som PDF" in text and "Ladda ner som JSON" in text
    assert "interna anteckningar" in text  # what is left out, and why
    assert str(case.number) in text


def test_the_json_file_holds_the_citizen_cases_answers_messages_and_nobody_else(held, client):
    maria, case, others, anonymous = held
    log_in_by_test_login(client, maria)
    response = download(client, "json")
    assert response.mimetype == "application/json"
    data = json.loads(response.get_data(as_text=True))
    assert data["person"]["personnummer"] == "19850709-9805"
    assert data["person"]["email"] == "maria@example.org" and data["person"]["notify_by_email"] is True
    [own] = data["cases"]
    assert own["number"] == case.number and own["eservice"] == "Skolskjuts"
    assert {"section": "Sökande", "question": "Personnummer", "answer": "20000101-2384"} in own["answers"]
    assert any(row["question"] == "Övrigt" and row["answer"] == "Hämtas vid grinden" for row in own["answers"])
    assert [(m["from"], m["text"]) for m in own["messages"]] == [("municipality", HANDLER_TEXT), ("you", REPLY_TEXT)]
    assert [d["name"] for d in own["documents"]] == ["beslut.pdf"]
    [mailing] = own["mailings"]
    assert mailing["subject"] == "Terminsstart" and mailing["question"] == "Behöver ni skjuts?"
    assert mailing["answer"] == "Ja"
    assert [d["answers"][0]["answer"] for d in data["drafts"]] == ["Utkast Öljung"]
    assert [n["subject"] for n in data["notices"]] == ["Nytt meddelande"]
    assert [login["method"] for login in data["logins"]] == ["test", "e-id"]  # newest first: this test's own login

    raw = response.get_data(as_text=True)
    assert OTHER_TEXT not in raw and "Bertil" not in raw and "196408233234" not in raw
    assert str(others.number) not in raw
    assert str(anonymous.number) not in raw and "Anonymt svar" not in raw


def test_the_pdf_reads_the_same_and_each_download_is_audited(held, client):
    maria, case, _others, anonymous = held
    log_in_by_test_login(client, maria)
    response = download(client, "pdf")
    assert response.mimetype == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    for expected in (
        "Mina uppgifter",
        "Maria Öljung",
        "19850709-9805",
        f"Ärende {case.number} – Skolskjuts",
        "Hämtas vid grinden",
        HANDLER_TEXT,
        REPLY_TEXT,
        "beslut.pdf",
        "Terminsstart",
        "Ditt svar: Ja",
        "Utkast Öljung",
    ):
        assert expected in text, expected
    assert OTHER_TEXT not in text and "Anonymt svar" not in text and str(anonymous.number) not in text

    download(client, "json")
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "citizen_data_downloaded").order_by(AuditEntry.id)
    ).all()
    assert [(e.citizen_id, e.details["format"]) for e in entries] == [(maria.id, "pdf"), (maria.id, "json")]


def test_bertil_gets_only_his_own_data(held, client):
    _maria, case, others, _anonymous = held
    bertil = others.citizen
    log_in_by_test_login(client, bertil)
    data = json.loads(download(client, "json").get_data(as_text=True))
    assert [c["number"] for c in data["cases"]] == [others.number]
    raw = json.dumps(data, ensure_ascii=False)
    assert HANDLER_TEXT not in raw and "Maria" not in raw and "19850709" not in raw and str(case.number) not in raw
    assert [n["subject"] for n in data["notices"]] == ["Bertils notis"]


def test_my_data_needs_a_login(held, client):
    for url in ("/mina-sidor/mina-uppgifter", "/mina-sidor/mina-uppgifter/json", "/mina-sidor/mina-uppgifter/pdf"):
        response = client.get(url)
        assert (
            response.status_code == 302
            and "/mina-sidor/mina-uppgifter" not in response.headers["Location"].split("?")[0]
        )
    assert client.get("/mina-sidor/mina-uppgifter/xml").status_code in (302, 404)
