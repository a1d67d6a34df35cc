"""Utskick in the back office (F-MAIL-1, F-MAIL-2): Skapa utskick from the overview's checked cases and
by e-service, the preview, sending, the list, the summary and the case view's mailing section.
Real logins through the login form, CSRF on, a real database."""

from __future__ import annotations

from sqlalchemy import select

from shared.db import db
from shared.models import Mailing, OutboxMessage, StatusKind
from shared.services import mailings
from tests import factories
from tests.backoffice.casehelp import make_setup, sign_in, text_of


def _form(token: str, **fields) -> dict:
    return {
        "csrf_token": token,
        "channel": "email",
        "subject": "Ny tidtabell för {etjanst}",
        "body": "Hej {namn}! Från måndag gäller en ny tidtabell för ärende {arendenummer}.",
        "question": "",
        "answer_days": "",
        "no_answer_status_id": "",
        **fields,
    }


def test_create_from_checked_cases_preview_then_send(bo, client):
    setup = make_setup()
    anonymous = factories.case(setup.world.eservice, contact_name="Utan Adress")
    db.session.commit()
    token = sign_in(client, setup.world.hanna)

    # The overview's bulk button posts the checked cases here.
    overview = client.get("/arenden/?tab=alla").get_data(as_text=True)
    assert "/utskick/fran-arenden" in overview and "Skapa utskick" in overview
    chosen = [setup.case.id, setup.open_case.id, anonymous.id, setup.other_case.id]  # Bygglov's is not Hanna's
    form = client.post("/utskick/fran-arenden", data={"csrf_token": token, "case_id": chosen})
    assert form.status_code == 200
    page = text_of(form)
    assert "Utskicket går till de 3 markerade ärendena." in page
    assert str(setup.other_case.number) not in page
    assert "Sista svarsdag efter (dagar)" in page and "{svara_senast}" in page

    data = _form(token, case_ids=[setup.case.id, setup.open_case.id, anonymous.id])
    preview = client.post("/utskick/ny", data={**data, "action": "preview"})
    assert preview.status_code == 200
    shown = text_of(preview)
    assert "Förhandsgranska utskicket" in shown
    assert "2 ärenden" in shown  # reached; the anonymous case without an address is skipped
    assert f"Så som ärende {setup.case.number} får det" in shown
    assert f"Hej Maria Öljung! Från måndag gäller en ny tidtabell för ärende {setup.case.number}." in shown
    assert "Ny tidtabell för Skolskjuts" in shown
    assert "Ingen e-postadress, eller så har den sökande valt bort e-post." in shown
    assert db.session.scalar(select(Mailing)) is None  # nothing is sent by a preview

    sent = client.post("/utskick/ny", data={**data, "action": "send"})
    assert sent.status_code == 302
    mailing = db.session.scalar(select(Mailing))
    assert sent.headers["Location"].endswith(f"/utskick/{mailing.id}")
    assert {r.case_id for r in mailing.recipients} == {setup.case.id, setup.open_case.id}
    assert len(db.session.scalars(select(OutboxMessage).where(OutboxMessage.event == "mailing")).all()) == 2

    summary = text_of(client.get(sent.headers["Location"]))
    assert "Ny tidtabell för {etjanst}" in summary and "2 mottagare." in summary
    assert "Ärenden som hoppas över" in summary and str(anonymous.number) in summary
    listing = text_of(client.get("/utskick/"))
    assert "Ny tidtabell för {etjanst}" in listing and "Skolskjuts" in listing


def test_create_by_eservice_with_a_question_and_see_the_answers(bo, client):
    setup = make_setup()
    waiting = factories.status(setup.world.eservice, StatusKind.WAITING)
    done = factories.status(setup.world.eservice, StatusKind.COMPLETED)
    setup.group_case.status = waiting
    db.session.commit()
    token = sign_in(client, setup.world.hanna)

    start = text_of(client.get(f"/utskick/ny?eservice={setup.world.eservice.id}"))
    assert "Version 1" in start and waiting.name in start

    data = _form(
        token,
        eservice_id=str(setup.world.eservice.id),
        status_ids=[str(waiting.id)],
        channel="portal",
        question="Vill du behålla platsen?",
        answer_days="14",
        no_answer_status_id=str(done.id),
    )
    preview = text_of(client.post("/utskick/ny", data={**data, "action": "preview"}))
    assert "1 ärende" in preview and "Vill du behålla platsen?" in preview
    assert f"Sätt status {done.name}" in preview

    assert client.post("/utskick/ny", data={**data, "action": "send"}).status_code == 302
    mailing = db.session.scalar(select(Mailing))
    assert [r.case_id for r in mailing.recipients] == [setup.group_case.id]
    assert mailing.no_answer_status_id == done.id
    mailings.answer(mailing.recipients[0].id, "yes", citizen=setup.world.citizen)

    summary = client.get(f"/utskick/{mailing.id}").get_data(as_text=True)
    assert 'id="count-yes">1<' in summary and 'id="count-no">0<' in summary and 'id="count-unanswered">0<' in summary
    assert f'href="/arenden/{setup.group_case.id}"' in summary
    none_left = text_of(client.get(f"/utskick/{mailing.id}?svar=inget"))
    assert "Inga mottagare här." in none_left

    # The case view shows the mailing and the answer; the history says who answered what.
    case_page = text_of(client.get(f"/arenden/{setup.group_case.id}"))
    assert "Utskick" in case_page and "Vill du behålla platsen?" in case_page and "Ja" in case_page
    history = text_of(client.get(f"/arenden/{setup.group_case.id}/historik"))
    assert "Utskick besvarat" in history and "Ja på Ny tidtabell för {etjanst}" in history
    assert "Utskick skickat" in history


def test_mistakes_are_shown_by_the_fields_and_nothing_is_sent(bo, client):
    setup = make_setup()
    token = sign_in(client, setup.world.hanna)
    data = _form(token, eservice_id=str(setup.world.eservice.id), subject="", question="Stå kvar?", answer_days="0")

    response = client.post("/utskick/ny", data={**data, "action": "send"})

    assert response.status_code == 422
    page = text_of(response)
    assert "Utskicket kunde inte skapas." in page
    assert "Skriv en rubrik." in page and "Ange antal dagar att svara som ett heltal från 1 till 365." in page
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert "Stå kvar?" in response.get_data(as_text=True)  # what was written is kept
    assert db.session.scalar(select(Mailing)) is None


def test_others_cannot_open_a_mailing(bo, client):
    setup = make_setup()
    token = sign_in(client, setup.world.hanna)
    client.post("/utskick/ny", data={**_form(token, case_ids=[setup.case.id]), "action": "send"})
    mailing = db.session.scalar(select(Mailing))
    client.get("/logout/")
    sign_in(client, setup.world.outsider)
    assert client.get(f"/utskick/{mailing.id}").status_code == 404
    assert "Ny tidtabell" not in text_of(client.get("/utskick/"))
    # The Bygglov handler may not mail Skolskjuts' applicants by choosing the e-service.
    other = client.get(f"/utskick/ny?eservice={setup.world.eservice.id}")
    assert "Skolskjuts" not in text_of(other)
