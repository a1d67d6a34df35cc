"""Utkorgen (F-NOT-4) in the back office: administrators list, filter and open notifications and
send failed ones again; nobody else may."""

from __future__ import annotations

import re

from sqlalchemy import select

from shared.db import db
from shared.models import AuditEntry, Channel, OutboxMessage, OutboxState
from shared.notify import dispatch
from tests import factories
from tests.backoffice.casehelp import sign_in, text_of
from tests.scheduler.conftest import queue_emails
from tests.shared.services.test_outbox_log import message
from tests.smtp_server import smtp_server  # noqa: F401  (a fixture)

URL = "/drift/utkorg/"


def _row_ids(response) -> list[int]:
    assert response.status_code == 200, response.status_code
    return [int(i) for i in re.findall(r'<tr data-outbox="(\d+)"', response.get_data(as_text=True))]


def _state(row_id: int) -> OutboxState:
    db.session.expire_all()
    return db.session.get(OutboxMessage, row_id).state


def test_only_an_administrator_may_see_the_outbox(client):
    world = factories.world()
    failed = message(state=OutboxState.FAILED)
    db.session.commit()
    assert client.get(URL).status_code == 302  # to the login page
    for user in (world.hanna, world.builder):
        token = sign_in(client, user)
        assert client.get(URL).status_code == 403
        assert client.get(f"{URL}{failed.id}").status_code == 403
        response = client.post(f"{URL}{failed.id}/forsok-igen", data={"csrf_token": token})
        assert response.status_code == 403
        response = client.post(f"{URL}forsok-igen", data={"csrf_token": token, "confirm": "1"})
        assert response.status_code == 403
        client.get("/logout/")
    assert _state(failed.id) == OutboxState.FAILED
    sign_in(client, world.admin)
    assert "Drift" in text_of(client.get(URL))  # the menu
    assert _row_ids(client.get(URL)) == [failed.id]


def test_the_list_in_swedish_with_each_filter(client):
    world = factories.world()
    case = factories.case(world.eservice, citizen=world.citizen)
    sent = message(case=case)
    failed = message(state=OutboxState.FAILED, address="fel@example.org", event="submitted")
    sms = message(channel=Channel.SMS, address="+46701234567", state=OutboxState.PENDING)
    portal = message(channel=Channel.PORTAL, address=None, citizen=world.citizen, case=case, event="closed")
    old = message(created_at=sent.created_at.replace(year=2020, month=6, day=15, hour=10))
    db.session.commit()
    sign_in(client, world.admin)

    everything = client.get(URL)
    assert _row_ids(everything) == [old.id, portal.id, sms.id, failed.id, sent.id]  # newest (highest id) first
    text = text_of(everything)
    for words in ("Utkorg", "Skickad", "Misslyckad", "Köad", "Mina sidor", "Sms", "E-post", "Status ändrad"):
        assert words in text, words
    assert "Ärendet avslutades" in text and "550 5.1.1 No such user here" in text
    assert f'href="/arenden/{case.id}"' in everything.get_data(as_text=True)  # the case number opens the case

    assert _row_ids(client.get(URL, query_string={"state": "failed"})) == [failed.id]
    assert _row_ids(client.get(URL, query_string={"channel": "sms"})) == [sms.id]
    assert _row_ids(client.get(URL, query_string={"event": "closed"})) == [portal.id]
    assert _row_ids(client.get(URL, query_string={"case": str(case.number)})) == [portal.id, sent.id]
    assert _row_ids(client.get(URL, query_string={"recipient": "fel@"})) == [failed.id]
    assert _row_ids(client.get(URL, query_string={"from": "2020-06-15", "to": "2020-06-15"})) == [old.id]
    assert old.id not in _row_ids(client.get(URL, query_string={"from": "2021-01-01"}))
    # A value that cannot be read is left out and said so.
    unreadable = client.get(URL, query_string={"state": "nonsense", "from": "igår"})
    assert len(_row_ids(unreadable)) == 5
    assert "Statusfiltret gick inte att läsa." in text_of(unreadable)
    assert "Ange datum som ÅÅÅÅ-MM-DD." in text_of(unreadable)


def test_the_summary_counts_each_state_and_the_list_is_paged(client):
    world = factories.world()
    rows = [message() for _ in range(52)] + [message(state=OutboxState.FAILED) for _ in range(2)]
    db.session.commit()
    sign_in(client, world.admin)

    first = client.get(URL)
    assert _row_ids(first) == [r.id for r in reversed(rows)][:50]
    html = first.get_data(as_text=True)
    assert 'rel="next"' in html and "Sida 1 av 2" in text_of(first)
    counts = dict(re.findall(r'data-state="(\w+)"[^>]*>\s*[^<]*<span class="badge">(\d+)</span>', html))
    assert counts == {"pending": "0", "sending": "0", "sent": "52", "failed": "2"}
    second = client.get(URL, query_string={"page": 2})
    assert _row_ids(second) == [r.id for r in reversed(rows)][50:]
    assert 'rel="next"' not in second.get_data(as_text=True) and 'rel="prev"' in second.get_data(as_text=True)
    # Paging keeps the filter.
    filtered = client.get(URL, query_string={"state": "sent"})
    assert "state=sent" in re.search(r'<a href="([^"]+)" rel="next"', filtered.get_data(as_text=True)).group(1)


def test_a_failed_notification_is_retried_and_the_next_dispatch_delivers_it(client, smtp_server):  # noqa: F811
    world = factories.world()
    smtp_server.refuse("person1@example.org")
    uuids = queue_emails(2)
    dispatch.dispatch_due()
    failed = db.session.scalar(select(OutboxMessage).where(OutboxMessage.state == OutboxState.FAILED))
    assert failed.recipient_address == "person1@example.org"
    failed_id = failed.id
    token = sign_in(client, world.admin)

    # The failed row has its button; the sent one has none.
    html = client.get(URL).get_data(as_text=True)
    assert re.findall(r"/drift/utkorg/(\d+)/forsok-igen", html) == [str(failed_id)]
    smtp_server.refused_addresses.clear()  # the mailbox exists now
    back = f"{URL}?state=failed"
    response = client.post(f"{URL}{failed_id}/forsok-igen", data={"csrf_token": token, "next": back})
    assert response.status_code == 302 and response.headers["Location"].endswith(back)
    assert "Aviseringen är köad och skickas igen inom kort." in text_of(client.get(back))
    assert _state(failed_id) == OutboxState.PENDING

    assert dispatch.dispatch_due().counts["sent"] == 1
    smtp_server.wait_for(2)
    assert len(smtp_server.messages) == 2
    assert uuids[1] in smtp_server.message_ids()[1]
    assert _state(failed_id) == OutboxState.SENT

    # Sending it again once it went out is refused with a message, not an error page.
    response = client.post(f"{URL}{failed_id}/forsok-igen", data={"csrf_token": token}, follow_redirects=True)
    assert "Endast en avisering som misslyckats kan skickas igen." in text_of(response)
    assert len(smtp_server.messages) == 2
    # An address from elsewhere is not followed.
    response = client.post(f"{URL}{failed_id}/forsok-igen", data={"csrf_token": token, "next": "https://evil.example/"})
    assert response.headers["Location"].endswith(URL)


def test_retry_all_failed_ones_shown_asks_first_then_sends_them_again(client):
    world = factories.world()
    email_failed = [message(state=OutboxState.FAILED, address=f"p{n}@example.org") for n in range(3)]
    sms_failed = message(state=OutboxState.FAILED, channel=Channel.SMS, address="+46701234567")
    db.session.commit()
    token = sign_in(client, world.admin)

    page = client.get(URL, query_string={"channel": "email"})
    assert "Försök igen med alla misslyckade som visas" in text_of(page)
    assert "3 aviseringar i listan har misslyckats." in text_of(page)
    assert "Försök igen med alla misslyckade som visas" not in text_of(client.get(URL, query_string={"state": "sent"}))

    form = {"csrf_token": token, "channel": "email", "next": f"{URL}?channel=email"}
    question = client.post(f"{URL}forsok-igen", data=form)
    assert question.status_code == 200
    assert "3 misslyckade aviseringar matchar filtret." in text_of(question)
    assert all(_state(r.id) == OutboxState.FAILED for r in email_failed)  # nothing done yet

    done = client.post(f"{URL}forsok-igen", data={**form, "confirm": "1"})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"{URL}?channel=email")
    assert "3 misslyckade aviseringar är köade och skickas igen inom kort." in text_of(client.get(URL))
    assert all(_state(r.id) == OutboxState.PENDING for r in email_failed)
    assert _state(sms_failed.id) == OutboxState.FAILED  # not shown: another channel
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "notifications_retried")).all()
    assert len(entries) == 1 and entries[0].details["count"] == 3

    again = client.post(f"{URL}forsok-igen", data={**form, "confirm": "1"}, follow_redirects=True)
    assert "Det fanns inga misslyckade aviseringar att skicka igen." in text_of(again)


def test_a_notification_is_shown_with_its_text_error_and_retries(client):
    world = factories.world()
    case = factories.case(world.eservice, citizen=world.citizen)
    failed = message(
        state=OutboxState.FAILED, case=case, error=dispatch.UNCERTAIN, attempts=3, address="maria@example.org"
    )
    db.session.commit()
    token = sign_in(client, world.admin)
    client.post(f"{URL}{failed.id}/forsok-igen", data={"csrf_token": token})
    db.session.execute(
        OutboxMessage.__table__.update()
        .where(OutboxMessage.id == failed.id)
        .values(
            state=OutboxState.FAILED, last_error="451 4.3.0 Temporary failure (gave up after 9 attempts in 24 hours)"
        )
    )
    db.session.commit()

    page = client.get(f"{URL}{failed.id}?back={URL}%3Fstate%3Dfailed")
    assert page.status_code == 200
    text = text_of(page)
    assert f"Avisering {failed.id}" in text
    assert "Ditt ärende har fått ny status" in text and "Ditt ärende har nu status: Klart." in text
    assert failed.uuid in text
    assert "451 4.3.0 Temporary failure (gav upp efter 9 försök under 24 timmar)" in text
    assert "Skickad igen av en administratör" in text and "admin" in text
    assert str(case.number) in text and "maria@example.org" in text
    assert f'href="{URL}?state=failed"' in page.get_data(as_text=True)  # back to the list it came from
    assert client.get(f"{URL}999999").status_code == 404


def test_the_possibly_delivered_error_is_in_swedish(client):
    world = factories.world()
    message(state=OutboxState.FAILED, error=dispatch.UNCERTAIN)
    db.session.commit()
    sign_in(client, world.admin)
    assert "Avbröts under sändningen: aviseringen kan ha levererats." in text_of(client.get(URL))
