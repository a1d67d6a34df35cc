"""Mina sidor (F-POR-4): drafts, cases, mailings awaiting an answer, the case page with its
messages, documents, reply and supplement, and that a citizen never sees anyone else's."""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass

import pytest
from flask import url_for
from sqlalchemy import select

from shared import clock, notify
from shared.db import db
from shared.models import (
    Case,
    Channel,
    Citizen,
    Document,
    DocumentSource,
    Mailing,
    MailingAnswer,
    MailingRecipient,
    Message,
    MessageDirection,
    NotificationEvent,
    PortalNotice,
    StatusKind,
)
from shared.services import documents, messages
from tests import factories
from tests.factories import JPEG_BYTES, PDF_BYTES, PNG_BYTES, outbox
from tests.portal.conftest import csrf_token, log_in_by_test_login, visible_text

OLLE_PNR = "19640823-3234"


def log_in(client, citizen: Citizen, next_url: str | None = None):
    """Log in through the test login, as a person would; returns the final response."""
    response = log_in_by_test_login(client, citizen, next_url)
    return client.get(response.headers["Location"], follow_redirects=True)


def page_token(client, path: str = "/mina-sidor") -> str:
    return csrf_token(client.get(path).get_data(as_text=True))


def message_block(html: str, message_id: int) -> str:
    """The <li> of one message in the thread."""
    match = re.search(rf'<li id="meddelande-{message_id}".*?</article>', html, flags=re.S)
    assert match, f"message {message_id} is not on the page"
    return match.group(0)


@dataclass
class Setup:
    world: factories.World
    maria: Citizen
    olle: Citizen
    case: Case  # Maria's, assigned to Hanna, in progress
    olles_case: Case
    anonymous_case: Case


@pytest.fixture
def setup(portal) -> Setup:
    world = factories.world()
    notify.default_notification_settings(world.eservice)
    for setting in world.eservice.notification_settings:  # read and download receipts to the handler
        if setting.event in (NotificationEvent.MESSAGE_READ, NotificationEvent.FILE_DOWNLOADED):
            setting.enabled = True
    maria = world.citizen
    olle = factories.citizen(OLLE_PNR, first_name="Olle", last_name="Berg", email="olle@example.org")
    case = factories.case(
        world.eservice,
        citizen=maria,
        users=[world.hanna],
        status_kind=StatusKind.IN_PROGRESS,
        number=4711,
        submitted_at=dt.datetime(2026, 3, 2, 9, 30),
        external_number="BUN 2026/118",
        answers={"namn": "Kalle Anka", "personnummer": "19850709-9805", "skola": "alne", "ovrigt": "Allergi"},
    )
    olles_case = factories.case(
        factories.eservice("Bygglov för Olle"),
        citizen=olle,
        number=9001,
        answers={"namn": "Olles hemlighet", "skola": "bergs"},
    )
    olles_case.handlers.append(factories.CaseHandler(user=world.outsider))
    factories.link(olles_case.eservice, user=world.outsider)
    anonymous_case = factories.case(
        factories.eservice("Felanmälan", anonymous_allowed=True),
        number=9002,
        contact_email="anon@example.org",
        answers={"namn": "Anonyma Anna", "skola": "alne"},
    )
    db.session.commit()
    return Setup(world, maria, olle, case, olles_case, anonymous_case)


# -- Mina sidor: the start page -----------------------------------------------------------------


def test_my_pages_need_a_logged_in_citizen(client):
    response = client.get("/mina-sidor")
    assert response.status_code == 302
    assert "/logga-in?next=/mina-sidor" in response.headers["Location"]


def test_my_pages_list_my_cases_drafts_and_unread_messages_only(portal, client, setup):
    draft = factories.case(factories.eservice("Larmavtal"), citizen=setup.maria, draft=True)
    db.session.commit()
    messages.send_message(setup.case.id, "Vi behöver ett intyg.", actor=setup.world.hanna)
    messages.send_message(setup.case.id, "Och ett till.", actor=setup.world.hanna)

    response = log_in(client, setup.maria)
    assert response.request.path == "/mina-sidor"
    html = response.get_data(as_text=True)
    text = visible_text(html)
    assert "Mina ärenden" in text and "Skolskjuts" in text
    assert "Ärendenummer: 4711" in text or "Ärendenummer 4711" in text
    assert "2026-03-02" in text
    assert "Ärendet är under handläggning" in text  # the status label for citizens, not the handlers' name
    assert "BUN 2026/118" in text and "Externt ärendenummer" in text
    assert "2 olästa meddelanden" in text
    assert f'href="/mina-sidor/arenden/{setup.case.id}"' in html
    # The draft, with Fortsätt and Ta bort.
    assert "Sparade ansökningar" in text and "Larmavtal" in text
    with portal.test_request_context():
        assert f'href="{url_for("apply.resume", draft_id=draft.id)}"' in html
        assert f'href="{url_for("apply.discard", draft_id=draft.id)}"' in html
    assert "Fortsätt" in text and "Ta bort" in text
    # Nobody else's: neither Olle's case nor the anonymous one.
    for secret in ("Bygglov för Olle", "9001", "Felanmälan", "9002", "Olles hemlighet", "Anonyma Anna"):
        assert secret not in text
    assert f"/mina-sidor/arenden/{setup.olles_case.id}" not in html
    assert f'/mina-sidor/arenden/{setup.anonymous_case.id}"' not in html


def test_my_pages_say_what_will_come_when_empty(portal, client):
    maria = factories.citizen("19850709-9805")
    db.session.commit()
    text = visible_text(log_in(client, maria).get_data(as_text=True))
    assert "Du har inga inskickade ärenden." in text
    assert "Du har inga sparade ansökningar." in text
    assert "Inget utskick väntar på ditt svar." in text


def _mailing(case: Case, subject: str, **fields) -> Mailing:
    values = {
        "channel": Channel.PORTAL,
        "body": f"Brödtext för {subject}.",
        "question": "Vill du behålla din plats i kön?",
        "sent_at": clock.now() - dt.timedelta(days=1),
        "answer_deadline": clock.today() + dt.timedelta(days=30),
    }
    values.update(fields)
    mailing = Mailing(subject=subject, eservice_id=case.eservice_id, **values)
    mailing.recipients = [MailingRecipient(case_id=case.id)]
    db.session.add(mailing)
    db.session.flush()
    return mailing


def test_my_pages_list_the_mailings_that_await_my_answer(portal, client, setup):
    today = clock.today()
    _mailing(setup.case, "Köplats i kulturskolan", answer_deadline=today + dt.timedelta(days=10))
    _mailing(setup.case, "Sista dagen idag", answer_deadline=today)
    _mailing(setup.case, "Utan sista dag", answer_deadline=None)
    answered = _mailing(setup.case, "Redan besvarat")
    answered.recipients[0].answer = MailingAnswer.YES
    _mailing(setup.case, "Ännu inte skickat", sent_at=None)
    _mailing(setup.case, "Ingen fråga", question=None)
    _mailing(setup.case, "Tom fråga", question="")
    _mailing(setup.case, "För sent", answer_deadline=today - dt.timedelta(days=1))
    _mailing(setup.olles_case, "Olles utskick")
    _mailing(setup.anonymous_case, "Anonymt utskick")
    db.session.commit()

    html = log_in(client, setup.maria).get_data(as_text=True)
    text = visible_text(html)
    assert "Utskick som väntar på ditt svar" in text
    shown = [s for s in ("Sista dagen idag", "Köplats i kulturskolan", "Utan sista dag") if s in text]
    assert shown == ["Sista dagen idag", "Köplats i kulturskolan", "Utan sista dag"]
    # Soonest deadline first, no deadline last.
    assert text.index("Sista dagen idag") < text.index("Köplats i kulturskolan") < text.index("Utan sista dag")
    for hidden in ("Redan besvarat", "Ännu inte skickat", "Ingen fråga", "Tom fråga", "För sent", "Olles", "Anonymt"):
        assert hidden not in text
    assert "Vill du behålla din plats i kön?" in text
    assert "Brödtext för Köplats i kulturskolan." in text
    assert f"Svara senast {(today + dt.timedelta(days=10)).isoformat()}" in text
    assert "Skolskjuts, ärendenummer 4711" in text
    assert html.count('value="yes"') == 3  # one Ja/Nej pair per open mailing

    # The case page shows every mailing sent to that case, the answered one with its answer.
    case_text = visible_text(client.get(f"/mina-sidor/arenden/{setup.case.id}").get_data(as_text=True))
    assert "Köplats i kulturskolan" in case_text and "Redan besvarat" in case_text
    assert "Ännu inte skickat" not in case_text and "Olles utskick" not in case_text


# -- The case page --------------------------------------------------------------------------


def test_the_case_page_shows_the_summary_the_answers_and_the_thread_oldest_first(portal, client, setup):
    first = messages.send_message(
        setup.case.id,
        "Vi behöver ett läkarintyg.",
        actor=setup.world.hanna,
        attachments=[("Regler.pdf", PDF_BYTES, "application/pdf")],
    )
    log_in(client, setup.maria)
    # The citizen answers before the handler writes again.
    reply = messages.reply_as_citizen(setup.case.id, "Här kommer det.", citizen=setup.maria)
    second = messages.send_message(setup.case.id, "Tack, vi har fått det.", actor=setup.world.hanna)

    response = client.get(f"/mina-sidor/arenden/{setup.case.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    text = visible_text(html)
    assert "<h1>Skolskjuts</h1>" in html
    assert "Ärendenummer: 4711" in text or "Ärendenummer 4711" in text
    assert "Ärendet är under handläggning" in text and "BUN 2026/118" in text
    assert "2026-03-02 10:30" in text  # Swedish time
    with portal.test_request_context():
        assert f'href="{url_for("apply.receipt_pdf", case_id=setup.case.id)}"' in html
    assert "Ladda ner ansökan (PDF)" in text
    # The application's visible answers, as the applicant wrote them.
    assert "Din ansökan" in text and "Kalle Anka" in text and "Alneskolan" in text and "Allergi" in text
    # The thread, oldest first, who wrote and when.
    positions = [html.index(f'id="meddelande-{m.id}"') for m in (first, reply, second)]
    assert positions == sorted(positions)
    assert "Handläggare" in visible_text(message_block(html, first.id))
    assert "Du" in visible_text(message_block(html, reply.id)).split()
    [attachment] = db.session.scalars(select(Document).where(Document.message_id == first.id)).all()
    first_block = message_block(html, first.id)
    assert "Regler.pdf" in first_block and f'href="/mina-sidor/dokument/{attachment.id}"' in first_block


def test_opening_the_case_marks_the_handlers_messages_read_and_highlights_the_new_ones(portal, client, setup):
    message = messages.send_message(setup.case.id, "Vi behöver ett intyg.", actor=setup.world.hanna)
    log_in(client, setup.maria)
    mine = messages.reply_as_citizen(setup.case.id, "Jag skickar det.", citizen=setup.maria)

    html = client.get(f"/mina-sidor/arenden/{setup.case.id}").get_data(as_text=True)
    block = message_block(html, message.id)
    assert "mp-message--new" in block and "Nytt meddelande" in visible_text(block)
    assert "Nytt meddelande" not in visible_text(message_block(html, mine.id))

    db.session.expire_all()
    assert db.session.get(Message, message.id).read_at is not None
    assert db.session.get(Message, mine.id).read_at is None  # the handlers read that one, not the citizen
    # The sender gets the read receipt.
    receipts = outbox(NotificationEvent.MESSAGE_READ)
    assert receipts and {r.recipient_user_id for r in receipts} == {setup.world.hanna.id}

    # Seen once, it is no longer new; the count on Mina sidor is gone too.
    again = client.get(f"/mina-sidor/arenden/{setup.case.id}").get_data(as_text=True)
    assert "Nytt meddelande" not in visible_text(message_block(again, message.id))
    assert "Inga olästa meddelanden" in visible_text(client.get("/mina-sidor").get_data(as_text=True))


def _notice(citizen: Citizen, case: Case | None, subject: str, body: str, minutes_ago: int = 0) -> PortalNotice:
    notice = PortalNotice(
        citizen_id=citizen.id,
        case_id=case.id if case else None,
        subject=subject,
        body=body,
        created_at=clock.now() - dt.timedelta(minutes=minutes_ago),
    )
    db.session.add(notice)
    db.session.commit()
    return notice


def test_notices_sent_to_my_pages_are_shown_and_marked_read(portal, client, setup):
    other_case = factories.case(setup.world.eservice, citizen=setup.maria, number=4712)
    db.session.commit()
    status = _notice(setup.maria, setup.case, "Ärendet har ny status", "Ditt ärende 4711 är nu Beslutat.", 5)
    other = _notice(setup.maria, other_case, "Nytt meddelande", "Du har fått ett meddelande i ärende 4712.", 1)
    _notice(setup.olle, setup.olles_case, "Olles notis", "Hemligt för Maria.")

    log_in(client, setup.maria)
    html = client.get("/mina-sidor").get_data(as_text=True)
    section = visible_text(re.search(r'<section[^>]*aria-labelledby="notiser".*?</section>', html, flags=re.S).group(0))
    assert "Ny Nytt meddelande" in section and "Ny Ärendet har ny status" in section
    assert section.index("Nytt meddelande") < section.index("Ärendet har ny status")  # newest first
    assert "Ditt ärende 4711 är nu Beslutat." in section and "Olles notis" not in html
    assert f'href="/mina-sidor/arenden/{setup.case.id}"' in html

    # Opening a case marks that case's notices read, not the others.
    client.get(f"/mina-sidor/arenden/{setup.case.id}")
    db.session.expire_all()
    assert db.session.get(PortalNotice, status.id).read_at is not None
    assert db.session.get(PortalNotice, other.id).read_at is None
    section = visible_text(client.get("/mina-sidor").get_data(as_text=True))
    assert "Ny Ärendet har ny status" not in section and "Ny Nytt meddelande" in section

    # "Markera alla notiser som lästa" marks the rest; the button then goes away.
    response = client.post("/mina-sidor/notiser/lasta", data={"csrf_token": page_token(client)}, follow_redirects=True)
    text = visible_text(response.get_data(as_text=True))
    assert "Alla notiser är markerade som lästa." in text and "Markera alla notiser som lästa" not in text
    db.session.expire_all()
    assert db.session.get(PortalNotice, other.id).read_at is not None
    assert db.session.scalar(select(PortalNotice.read_at).where(PortalNotice.citizen_id == setup.olle.id)) is None


def test_no_notices_says_where_they_would_come_from(portal, client, setup):
    log_in(client, setup.maria)
    text = visible_text(client.get("/mina-sidor").get_data(as_text=True))
    assert "Du har inga notiser." in text


def test_a_draft_has_no_case_page_but_is_continued(portal, client, setup):
    draft = factories.case(setup.world.eservice, citizen=setup.maria, draft=True)
    db.session.commit()
    log_in(client, setup.maria)
    response = client.get(f"/mina-sidor/arenden/{draft.id}")
    assert response.status_code == 302
    with portal.test_request_context():
        assert response.headers["Location"].endswith(url_for("apply.resume", draft_id=draft.id))


# -- Writing to the handler -----------------------------------------------------------------------


def test_reply_with_attachments(portal, client, setup):
    log_in(client, setup.maria)
    token = page_token(client, f"/mina-sidor/arenden/{setup.case.id}")
    response = client.post(
        f"/mina-sidor/arenden/{setup.case.id}/meddelanden",
        data={
            "csrf_token": token,
            "body": "Här är intyget och ett foto.",
            "attachments": [(io.BytesIO(PDF_BYTES), "intyg.pdf"), (io.BytesIO(PNG_BYTES), "foto.png")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    db.session.expire_all()
    [message] = db.session.scalars(select(Message).where(Message.case_id == setup.case.id)).all()
    assert response.headers["Location"].endswith(f"/mina-sidor/arenden/{setup.case.id}#meddelande-{message.id}")
    assert message.direction == MessageDirection.FROM_APPLICANT and message.author_citizen_id == setup.maria.id
    assert sorted(d.filename for d in message.attachments) == ["foto.png", "intyg.pdf"]
    assert all(d.source == DocumentSource.APPLICANT for d in message.attachments)
    # The handler is told.
    assert outbox(NotificationEvent.MESSAGE_FROM_APPLICANT)

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Ditt meddelande är skickat." in visible_text(page)
    block = message_block(page, message.id)
    assert "Här är intyget och ett foto." in block and "intyg.pdf" in block and "foto.png" in block


def test_an_empty_message_is_refused_with_a_clear_error(portal, client, setup):
    log_in(client, setup.maria)
    token = page_token(client, f"/mina-sidor/arenden/{setup.case.id}")
    response = client.post(f"/mina-sidor/arenden/{setup.case.id}/meddelanden", data={"csrf_token": token, "body": " "})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'role="alert"' in html and '<a href="#body">Skriv ett meddelande.</a>' in html
    assert 'id="body-error">Skriv ett meddelande.</p>' in html
    assert 'aria-invalid="true" aria-describedby="body-error"' in html
    db.session.expire_all()
    assert db.session.scalars(select(Message).where(Message.case_id == setup.case.id)).all() == []


def test_a_forbidden_attachment_keeps_the_message_text(portal, client, setup):
    log_in(client, setup.maria)
    token = page_token(client, f"/mina-sidor/arenden/{setup.case.id}")
    text = "Hej! Här kommer intyget <b>nu</b>.\nMvh Maria"
    response = client.post(
        f"/mina-sidor/arenden/{setup.case.id}/meddelanden",
        data={
            "csrf_token": token,
            "body": text,
            "attachments": [(io.BytesIO(PDF_BYTES), "intyg.pdf"), (io.BytesIO(b"MZ\x90\x00\x03"), "virus.pdf")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Filtypen är inte tillåten." in visible_text(html)
    assert 'id="attachments-error"' in html and '<a href="#attachments">' in html
    assert "Välj filerna igen" in visible_text(html)
    # What was typed is still there (escaped), and nothing was kept.
    assert "Hej! Här kommer intyget &lt;b&gt;nu&lt;/b&gt;.\nMvh Maria</textarea>" in html
    db.session.expire_all()
    assert db.session.scalars(select(Message).where(Message.case_id == setup.case.id)).all() == []
    assert db.session.scalars(select(Document).where(Document.case_id == setup.case.id)).all() == []


def test_a_too_large_attachment_keeps_the_message_text(portal, client, setup, monkeypatch):
    monkeypatch.setitem(portal.config, "MAX_UPLOAD_MB", 1)
    log_in(client, setup.maria)
    token = page_token(client, f"/mina-sidor/arenden/{setup.case.id}")
    big = PDF_BYTES + b"0" * (1024 * 1024 + 10)
    response = client.post(
        f"/mina-sidor/arenden/{setup.case.id}/meddelanden",
        data={"csrf_token": token, "body": "Ett stort intyg.", "attachments": [(io.BytesIO(big), "stort.pdf")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Filen stort.pdf är för stor. En fil får vara högst 1 MB." in visible_text(html)
    assert "Ett stort intyg.</textarea>" in html
    db.session.expire_all()
    assert db.session.scalars(select(Message).where(Message.case_id == setup.case.id)).all() == []


def test_a_post_over_the_request_limit_gets_a_clear_answer(portal, client, setup, monkeypatch):
    setup.case.status = factories.status(setup.world.eservice, StatusKind.WAITING)
    db.session.commit()
    log_in(client, setup.maria)
    token = page_token(client, f"/mina-sidor/arenden/{setup.case.id}")
    monkeypatch.setitem(portal.config, "MAX_CONTENT_LENGTH", 2000)
    big = PDF_BYTES + b"0" * 5000
    for url, field in (("meddelanden", "attachments"), ("komplettering", "files")):
        response = client.post(
            f"/mina-sidor/arenden/{setup.case.id}/{url}",
            data={"csrf_token": token, "body": "Hej", field: [(io.BytesIO(big), "stort.pdf")]},
            content_type="multipart/form-data",
        )
        assert response.status_code == 413
        html = response.get_data(as_text=True)
        assert "Filerna var för stora, så inget skickades." in visible_text(html)
        assert f'<a href="#{field}">' in html and f'id="{field}-error"' in html
    # Someone else's case gets no page of its own this way either.
    response = client.post(
        f"/mina-sidor/arenden/{setup.olles_case.id}/meddelanden",
        data={"csrf_token": token, "attachments": [(io.BytesIO(big), "stort.pdf")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 404 and "Bygglov" not in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalars(select(Message).where(Message.case_id == setup.case.id)).all() == []
    assert db.session.scalars(select(Document).where(Document.case_id == setup.case.id)).all() == []


def test_no_reply_form_where_the_status_does_not_allow_messages(portal, client, setup):
    setup.case.status = factories.status(setup.world.eservice, StatusKind.ARCHIVED)
    db.session.commit()
    log_in(client, setup.maria)
    html = client.get(f"/mina-sidor/arenden/{setup.case.id}").get_data(as_text=True)
    assert "Du kan inte längre skriva meddelanden i det här ärendet." in visible_text(html)
    assert 'name="body"' not in html
    # A stale form posted anyway is refused, and nothing is saved.
    response = client.post(
        f"/mina-sidor/arenden/{setup.case.id}/meddelanden",
        data={"csrf_token": page_token(client), "body": "Hallå?"},
        follow_redirects=True,
    )
    assert "Du kan inte längre skriva meddelanden i det här ärendet." in visible_text(response.get_data(as_text=True))
    db.session.expire_all()
    assert db.session.scalars(select(Message).where(Message.case_id == setup.case.id)).all() == []


# -- Documents and supplements ----------------------------------------------------------------------


def test_documents_from_both_sides_are_listed_and_downloaded(portal, client, setup):
    form_file = documents.store_document(
        setup.case,
        "läkarintyg.pdf",
        PDF_BYTES,
        "application/pdf",
        source=DocumentSource.APPLICANT,
        citizen=setup.maria,
        question_id="intyg",
    )
    db.session.commit()
    schedule = documents.add_document(setup.case.id, "Tidtabell.jpg", JPEG_BYTES, "image/jpeg", actor=setup.world.hanna)
    log_in(client, setup.maria)
    html = client.get(f"/mina-sidor/arenden/{setup.case.id}").get_data(as_text=True)
    section = html[html.index('id="handlingar"') :]
    text = visible_text(section)
    assert "läkarintyg.pdf" in text and "Från dig" in text and "I din ansökan" in text
    assert "Tidtabell.jpg" in text and "Från handläggaren" in text
    assert f'href="/mina-sidor/dokument/{form_file.id}"' in section
    assert f'href="/mina-sidor/dokument/{schedule.id}"' in section

    response = client.get(f"/mina-sidor/dokument/{schedule.id}")
    assert response.status_code == 200
    assert response.data == JPEG_BYTES
    assert response.headers["Content-Type"] == "image/jpeg"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    # The handler who shared it gets a download receipt, once.
    client.get(f"/mina-sidor/dokument/{schedule.id}")
    receipts = outbox(NotificationEvent.FILE_DOWNLOADED)
    assert len(receipts) >= 1 and {r.recipient_user_id for r in receipts} == {setup.world.hanna.id}
    assert client.get(f"/mina-sidor/dokument/{form_file.id}").data == PDF_BYTES


def test_supplement_when_the_status_allows_it_and_the_handlers_are_told(portal, client, setup):
    setup.case.status = factories.status(setup.world.eservice, StatusKind.WAITING)
    db.session.commit()
    log_in(client, setup.maria)
    html = client.get(f"/mina-sidor/arenden/{setup.case.id}").get_data(as_text=True)
    assert "Komplettera ärendet" in visible_text(html)
    response = client.post(
        f"/mina-sidor/arenden/{setup.case.id}/komplettering",
        data={
            "csrf_token": csrf_token(html),
            "files": [(io.BytesIO(PDF_BYTES), "intyg.pdf"), (io.BytesIO(PNG_BYTES), "bild.png")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/mina-sidor/arenden/{setup.case.id}#handlingar")
    db.session.expire_all()
    added = db.session.scalars(select(Document).where(Document.case_id == setup.case.id)).all()
    assert sorted(d.filename for d in added) == ["bild.png", "intyg.pdf"]
    assert all(d.is_supplement and d.uploaded_by_citizen_id == setup.maria.id for d in added)
    assert outbox(NotificationEvent.SUPPLEMENT)
    page = visible_text(client.get(response.headers["Location"]).get_data(as_text=True))
    assert "Handlingarna intyg.pdf, bild.png är tillagda i ditt ärende." in page
    assert "Komplettering" in page


def test_supplement_errors_are_clear(portal, client, setup):
    setup.case.status = factories.status(setup.world.eservice, StatusKind.WAITING)
    db.session.commit()
    log_in(client, setup.maria)
    url = f"/mina-sidor/arenden/{setup.case.id}/komplettering"
    token = page_token(client, f"/mina-sidor/arenden/{setup.case.id}")
    nothing = client.post(url, data={"csrf_token": token}, content_type="multipart/form-data")
    assert nothing.status_code == 422
    assert '<a href="#files">Välj minst en fil.</a>' in nothing.get_data(as_text=True)
    wrong = client.post(
        url,
        data={"csrf_token": token, "files": [(io.BytesIO(b"\x00\x01binary\x02"), "program.exe")]},
        content_type="multipart/form-data",
    )
    assert wrong.status_code == 422
    assert "Filtypen är inte tillåten." in visible_text(wrong.get_data(as_text=True))
    db.session.expire_all()
    assert db.session.scalars(select(Document).where(Document.case_id == setup.case.id)).all() == []


def test_no_supplement_where_the_status_does_not_allow_it(portal, client, setup):
    log_in(client, setup.maria)  # the case is "Under behandling": no supplements
    html = client.get(f"/mina-sidor/arenden/{setup.case.id}").get_data(as_text=True)
    assert "Du kan inte lägga till handlingar i ärendet i den status det har nu." in visible_text(html)
    assert 'name="files"' not in html
    response = client.post(
        f"/mina-sidor/arenden/{setup.case.id}/komplettering",
        data={"csrf_token": csrf_token(html), "files": [(io.BytesIO(PDF_BYTES), "intyg.pdf")]},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "Du kan inte lägga till handlingar" in visible_text(response.get_data(as_text=True))
    db.session.expire_all()
    assert db.session.scalars(select(Document).where(Document.case_id == setup.case.id)).all() == []


# -- Nobody else's: hand-typed URLs and ids -----------------------------------------------------------


@pytest.fixture
def others(setup) -> dict[str, int]:
    """Ids of things Maria must never reach: Olle's case, message and document; the anonymous case's document."""
    olles_message = messages.send_message(
        setup.olles_case.id,
        "Hemligt till Olle.",
        actor=setup.world.outsider,
        attachments=[("olles-beslut.pdf", PDF_BYTES, "application/pdf")],
    )
    anonymous_document = documents.store_document(
        setup.anonymous_case, "anonym.pdf", PDF_BYTES, "application/pdf", source=DocumentSource.APPLICANT
    )
    db.session.commit()
    [olles_document] = olles_message.attachments
    return {
        "olles_case": setup.olles_case.id,
        "olles_message": olles_message.id,
        "olles_document": olles_document.id,
        "anonymous_case": setup.anonymous_case.id,
        "anonymous_document": anonymous_document.id,
    }


SECRETS = ("Olle", "Bygglov", "9001", "9002", "Felanmälan", "Hemligt", "olles-beslut", "anonym.pdf", "Anonyma")


def _get_routes(ids: dict[str, int], own_case_id: int) -> list[str]:
    return [
        f"/mina-sidor/arenden/{ids['olles_case']}",
        f"/mina-sidor/arenden/{ids['olles_case']}?meddelande={ids['olles_message']}",
        f"/mina-sidor/arenden/{own_case_id}?meddelande={ids['olles_message']}",
        f"/mina-sidor/arenden/{ids['anonymous_case']}",
        f"/mina-sidor/arenden/{own_case_id + 10_000}",
        f"/mina-sidor/dokument/{ids['olles_document']}",
        f"/mina-sidor/dokument/{ids['anonymous_document']}",
        f"/mina-sidor/dokument/{ids['olles_document'] + 10_000}",
    ]


def test_a_citizen_never_reaches_another_citizens_or_an_anonymous_case(portal, client, setup, others):
    log_in(client, setup.maria)
    for url in _get_routes(others, setup.case.id):
        response = client.get(url)
        assert response.status_code == 404, url
        text = visible_text(response.get_data(as_text=True))
        assert "Sidan finns inte" in text, url
        for secret in SECRETS:
            assert secret not in text, (url, secret)
    assert client.get(f"/mina-sidor/arenden/{setup.case.id}").status_code == 200  # her own still opens


def test_a_citizen_cannot_write_to_or_supplement_another_citizens_case(portal, client, setup, others):
    for case in (setup.olles_case, setup.anonymous_case):
        case.status = factories.status(case.eservice, StatusKind.WAITING)  # supplements allowed for its owner
    db.session.commit()
    log_in(client, setup.maria)
    token = page_token(client)
    for case_id in (others["olles_case"], others["anonymous_case"], setup.case.id + 10_000):
        reply = client.post(
            f"/mina-sidor/arenden/{case_id}/meddelanden",
            data={"csrf_token": token, "body": "Inbrott", "attachments": [(io.BytesIO(PDF_BYTES), "x.pdf")]},
            content_type="multipart/form-data",
        )
        assert reply.status_code == 404
        supplement = client.post(
            f"/mina-sidor/arenden/{case_id}/komplettering",
            data={"csrf_token": token, "files": [(io.BytesIO(PDF_BYTES), "x.pdf")]},
            content_type="multipart/form-data",
        )
        assert supplement.status_code == 404
        for response in (reply, supplement):
            for secret in SECRETS:
                assert secret not in visible_text(response.get_data(as_text=True))
    db.session.expire_all()
    assert db.session.scalars(select(Message).where(Message.body == "Inbrott")).all() == []
    assert db.session.scalars(select(Document).where(Document.filename == "x.pdf")).all() == []
    # Olle's message stays unread: Maria's attempts did not mark it.
    assert db.session.get(Message, others["olles_message"]).read_at is None


def test_logged_out_visitors_are_sent_to_the_login_for_every_route(portal, client, setup, others):
    for url in (
        "/mina-sidor",
        f"/mina-sidor/arenden/{setup.case.id}",
        f"/mina-sidor/dokument/{others['olles_document']}",
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/logga-in?next=" in response.headers["Location"], url
    token = csrf_token(client.get("/testinloggning").get_data(as_text=True))
    for url in (
        f"/mina-sidor/arenden/{setup.case.id}/meddelanden",
        f"/mina-sidor/arenden/{setup.case.id}/komplettering",
    ):
        response = client.post(url, data={"csrf_token": token, "body": "Anonym"})
        assert response.status_code == 302 and "/logga-in" in response.headers["Location"], url
    db.session.expire_all()
    assert db.session.scalars(select(Message).where(Message.body == "Anonym")).all() == []
