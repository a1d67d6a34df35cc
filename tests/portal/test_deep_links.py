"""Deep links (F-POR-5): a notification's link to a message opens that message after login."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, quote, unquote, urlsplit

import pytest

from shared import notify
from shared.db import db
from shared.models import Message, NotificationEvent, StatusKind
from shared.services import messages
from tests import factories
from tests.factories import outbox
from tests.portal.conftest import csrf_token
from tests.portal.test_mypages import log_in, message_block

OLLE_PNR = "19640823-3234"


@pytest.fixture
def world(portal):
    world = factories.world()
    notify.default_notification_settings(world.eservice)
    db.session.commit()
    return world


def _case(world, citizen=None):
    case = factories.case(
        world.eservice, citizen=citizen or world.citizen, users=[world.hanna], status_kind=StatusKind.IN_PROGRESS
    )
    db.session.commit()
    return case


def _applicant_link(message: Message) -> str:
    """The link the applicant's notification about the message carries (e-mail and Mina sidor alike)."""
    links = {
        m.link
        for m in outbox(NotificationEvent.MESSAGE_TO_APPLICANT)
        if m.case_id == message.case_id and f"meddelande={message.id}#" in (m.link or "")
    }
    assert len(links) == 1, links
    return links.pop()


def test_the_applicants_link_names_the_message_in_the_query_and_the_fragment(world, portal):
    case = _case(world)
    message = messages.send_message(case.id, "Vi behöver ett intyg.", actor=world.hanna)
    link = _applicant_link(message)
    assert link == (
        f"{portal.config['PORTAL_URL']}/mina-sidor/arenden/{case.id}?meddelande={message.id}#meddelande-{message.id}"
    )
    # Without a message: the case itself; the back office's link is unchanged; no link without e-ID.
    assert notify.case_link(case, "applicant") == f"{portal.config['PORTAL_URL']}/mina-sidor/arenden/{case.id}"
    assert notify.case_link(case, "handler", message_id=message.id) == (
        f"{portal.config['BACKOFFICE_URL']}/arenden/{case.id}"
    )
    anonymous = factories.case(world.eservice, contact_email="anon@example.org")
    assert notify.case_link(anonymous, "applicant", message_id=message.id) is None


def test_the_link_survives_the_login_and_lands_on_the_message_marked_and_read(world, client):
    case = _case(world)
    older = messages.send_message(case.id, "Första meddelandet.", actor=world.hanna)
    message = messages.send_message(case.id, "Vi behöver ett läkarintyg.", actor=world.hanna)
    parts = urlsplit(_applicant_link(message))
    path = f"{parts.path}?{parts.query}"

    # Logged out: to the login, and the query goes along in ?next= (a fragment never reaches the server).
    response = client.get(path)
    assert response.status_code == 302
    login_url = response.headers["Location"]
    next_url = parse_qs(urlsplit(login_url).query)["next"][0]
    assert next_url == f"/mina-sidor/arenden/{case.id}?meddelande={message.id}"

    # Through the login page (the test login in tests and development), which keeps ?next=.
    login_page = client.get(login_url, follow_redirects=True)
    assert login_page.status_code == 200
    html = login_page.get_data(as_text=True)
    form_url = login_page.request.full_path.rstrip("?")
    assert f"meddelande%3D{message.id}" in form_url or f"meddelande={message.id}" in unquote(form_url)
    data = {"citizen": str(world.citizen.id), "csrf_token": csrf_token(html)}
    hidden_next = re.search(r'name="next" value="([^"]+)"', html)
    if hidden_next:
        data["next"] = hidden_next.group(1).replace("&amp;", "&")
    landed = client.post(form_url, data=data, follow_redirects=True)

    assert landed.status_code == 200
    assert landed.request.path == f"/mina-sidor/arenden/{case.id}"
    assert landed.request.args.get("meddelande") == str(message.id)
    page = landed.get_data(as_text=True)
    block = message_block(page, message.id)
    assert 'aria-current="true"' in block and "data-mp-focus" in block and "mp-message--focus" in block
    assert "Nytt meddelande" in block
    assert f'<a href="#meddelande-{message.id}">Gå till meddelandet</a>' in page
    # Only the linked message is the current one.
    assert 'aria-current="true"' not in message_block(page, older.id)
    assert page.count('aria-current="true"') == 1
    # Opening it read it: the handler gets the read receipt's data.
    db.session.expire_all()
    assert db.session.get(Message, message.id).read_at is not None


def test_a_logged_in_citizen_opens_the_link_directly(world, client):
    case = _case(world)
    message = messages.send_message(case.id, "Hej!", actor=world.hanna)
    log_in(client, world.citizen)
    parts = urlsplit(_applicant_link(message))
    response = client.get(f"{parts.path}?{parts.query}")
    assert response.status_code == 200
    assert 'aria-current="true"' in message_block(response.get_data(as_text=True), message.id)


def test_a_link_to_someone_elses_message_is_not_found(world, client):
    olle = factories.citizen(OLLE_PNR, first_name="Olle", last_name="Berg")
    marias_case = _case(world)
    olles_case = _case(world, olle)
    olles_message = messages.send_message(olles_case.id, "Hemligt till Olle.", actor=world.hanna)
    marias_message = messages.send_message(marias_case.id, "Till Maria.", actor=world.hanna)
    olles_link = urlsplit(_applicant_link(olles_message))

    # Maria follows Olle's link (after login): not found, and nothing of Olle's shows.
    response = client.get(f"{olles_link.path}?{olles_link.query}")
    assert response.status_code == 302
    landed = log_in(client, world.citizen, next_url=quote(f"{olles_link.path}?{olles_link.query}", safe="/"))
    assert landed.status_code == 404
    assert "Hemligt" not in landed.get_data(as_text=True) and "Olle" not in landed.get_data(as_text=True)
    # Olle's message on Maria's own case page: not found either.
    response = client.get(f"/mina-sidor/arenden/{marias_case.id}?meddelande={olles_message.id}")
    assert response.status_code == 404
    assert "Hemligt" not in response.get_data(as_text=True)
    # Neither attempt marked anything read.
    db.session.expire_all()
    assert db.session.get(Message, olles_message.id).read_at is None
    assert db.session.get(Message, marias_message.id).read_at is None
    # Her own link still works.
    own = urlsplit(_applicant_link(marias_message))
    assert client.get(f"{own.path}?{own.query}").status_code == 200


def test_a_message_id_that_is_not_a_number_is_ignored(world, client):
    case = _case(world)
    log_in(client, world.citizen)
    response = client.get(f"/mina-sidor/arenden/{case.id}?meddelande=abc")
    assert response.status_code == 200
    assert 'aria-current="true"' not in response.get_data(as_text=True)
