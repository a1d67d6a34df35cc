"""Answering a mailing on Mina sidor (F-MAIL-2): one click on Ja or Nej, a confirmation, the answer
shown afterwards; someone else's mailing is not found; after the last day no buttons and no answer."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from shared import clock
from shared.db import db
from shared.models import CaseEvent, MailingAnswer, MailingRecipient
from shared.services import mailings
from tests import factories
from tests.portal.conftest import csrf_token, log_in_by_test_login, visible_text


@pytest.fixture
def asked(portal):
    world = factories.world()
    olle = factories.citizen("19640823-3234", first_name="Olle", last_name="Berg", email="olle@example.org")
    marias = factories.case(world.eservice, citizen=world.citizen)
    olles = factories.case(world.eservice, citizen=olle)
    db.session.commit()
    mailing = mailings.create_mailing(
        mailings.Draft(
            criteria={"case_ids": [marias.id, olles.id]},
            channel="portal",
            subject="Köplats i kulturskolan",
            body="En gång per år frågar vi alla i kön.",
            question="Vill du stå kvar i kön?",
            answer_days="30",
        ),
        actor=world.hanna,
    )
    by_case = {r.case_id: r for r in mailing.recipients}
    return world, mailing, by_case[marias.id], by_case[olles.id], olle


def _log_in(client, citizen) -> None:
    log_in_by_test_login(client, citizen)


def _answer(client, recipient, value: str, page: str = "/mina-sidor"):
    token = csrf_token(client.get(page).get_data(as_text=True))
    return client.post(
        f"/mina-sidor/utskick/{recipient.id}/svar",
        data={"csrf_token": token, "answer": value, "case_id": recipient.case_id},
    )


def test_the_citizen_answers_with_one_click_and_sees_the_answer(client, asked):
    world, mailing, marias, _olles, _olle = asked
    _log_in(client, world.citizen)

    start = client.get("/mina-sidor").get_data(as_text=True)
    assert f'action="/mina-sidor/utskick/{marias.id}/svar"' in start
    assert 'name="answer" value="yes"' in start and 'name="answer" value="no"' in start
    assert "Vill du stå kvar i kön?" in visible_text(start)

    response = _answer(client, marias, "no")

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/mina-sidor/arenden/{marias.case_id}#utskick-{marias.id}")
    page = client.get(response.headers["Location"].split("#")[0]).get_data(as_text=True)
    text = visible_text(page)
    assert "Tack! Du svarade Nej." in text
    today = clock.to_local(clock.now()).date()
    assert f"Du svarade Nej den {today.isoformat()}." in text
    assert f'/mina-sidor/utskick/{marias.id}/svar"' not in page  # no buttons any more
    db.session.expire_all()
    assert db.session.get(MailingRecipient, marias.id).answer == MailingAnswer.NO
    event = db.session.scalar(select(CaseEvent).where(CaseEvent.kind == "mailing_answered"))
    assert event.actor_citizen_id == world.citizen.id
    # The start page no longer lists it as waiting.
    assert "Köplats i kulturskolan" not in visible_text(client.get("/mina-sidor").get_data(as_text=True))

    # A second answer (an old tab) is refused with the reason, and the first one stands.
    again = _answer(client, marias, "yes", page=f"/mina-sidor/arenden/{marias.case_id}")
    assert again.status_code == 302
    text = visible_text(client.get(again.headers["Location"].split("#")[0]).get_data(as_text=True))
    assert "Du har redan svarat Nej" in text
    db.session.expire_all()
    assert db.session.get(MailingRecipient, marias.id).answer == MailingAnswer.NO


def test_someone_elses_mailing_is_not_found(client, asked):
    _world, _mailing, _marias, olles, _olle = asked
    _log_in(client, _world.citizen)

    assert _answer(client, olles, "yes").status_code == 404
    db.session.expire_all()
    assert db.session.get(MailingRecipient, olles.id).answer is None


def test_without_a_token_the_answer_is_refused(client, asked):
    world, _mailing, marias, _olles, _olle = asked
    _log_in(client, world.citizen)
    response = client.post(f"/mina-sidor/utskick/{marias.id}/svar", data={"answer": "yes"})
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(MailingRecipient, marias.id).answer is None


def test_after_the_last_day_there_are_no_buttons_and_no_answer(client, asked, time_machine):
    world, mailing, marias, _olles, _olle = asked
    time_machine.move_to(dt.datetime.now(dt.UTC) + dt.timedelta(days=32), tick=False)
    _log_in(client, world.citizen)  # a month on: the log-in of then would have expired
    token = csrf_token(client.get("/mina-sidor").get_data(as_text=True))

    page = client.get(f"/mina-sidor/arenden/{marias.case_id}").get_data(as_text=True)
    assert f'/mina-sidor/utskick/{marias.id}/svar"' not in page
    assert "Sista svarsdagen har passerat." in visible_text(page)

    response = client.post(
        f"/mina-sidor/utskick/{marias.id}/svar", data={"csrf_token": token, "answer": "yes", "case_id": marias.case_id}
    )
    assert response.status_code == 302
    text = visible_text(client.get(response.headers["Location"].split("#")[0]).get_data(as_text=True))
    assert f"Sista svarsdagen var {mailing.answer_deadline.isoformat()}." in text
    db.session.expire_all()
    assert db.session.get(MailingRecipient, marias.id).answer is None
