"""The case view (ärendevyn, F-CASE-1/2): the header and every tab, as an assigned handler sees them."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import func, select

from shared import clock
from shared.db import db
from shared.models import AuditEntry, Subtask
from shared.services import documents, messages
from tests import factories
from tests.backoffice.casehelp import fresh, header_of, make_setup, sign_in, text_of


def _fill(setup) -> None:
    """A conversation, a note, a file and a subtask on the case, through the services."""
    world, case = setup.world, setup.case
    messages.send_message(case.id, "Hej! Vi behöver ett intyg från skolan.", actor=world.hanna)
    messages.reply_as_citizen(case.id, "Här är intyget från rektorn.", citizen=world.citizen)
    messages.add_note(case.id, "Ringde skolan, avståndet stämmer.", actor=world.hanna)
    documents.add_document(case.id, "tidtabell.pdf", factories.PDF_BYTES, "application/pdf", actor=world.hanna)
    db.session.add(
        Subtask(
            case_id=case.id,
            title="Kontrollera avståndet i kartan",
            deadline=clock.today() + dt.timedelta(days=5),
            responsible_id=world.olle.id,
            created_by_id=world.hanna.id,
        )
    )
    world.eservice.subtasks_enabled = True
    db.session.commit()


def test_the_header_shows_the_case_at_a_glance(client):
    setup = make_setup()
    case = setup.case
    case.external_number = "BUN 2026/311"
    case.colour = "red"
    db.session.commit()
    sign_in(client, setup.world.hanna)
    response = client.get(f"/arenden/{case.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    header = header_of(response)
    assert "Skolskjuts" in header and "(Inskickat)" in header
    assert str(case.number) in header
    assert "Maria Öljung" in header  # submitted by (the citizen)
    assert "Hanna Berg" in header  # the handler
    assert "Åsa Öberg-Ärlig" in header and "Alneskolan" in header  # summary fields (F-ES-11)
    assert "BUN 2026/311" in header
    assert "Brådskande" in header  # the colour's meaning (F-ES-10)
    assert 'class="bo-swatch bo-swatch-red"' in html  # a class: the CSP allows no style attribute


def test_every_tab_shows_its_content(client):
    setup = make_setup()
    _fill(setup)
    case = setup.case
    sign_in(client, setup.world.hanna)
    tabs = {
        "": ["Åsa Öberg-Ärlig", "Alneskolan", "Behöver hämtas vid grinden på Västra vägen.", "19850709-9805"],
        "/historik": ["Hanna Berg", "Maria Öljung", "tidtabell.pdf"],
        "/meddelanden": ["Hej! Vi behöver ett intyg från skolan.", "Här är intyget från rektorn."],
        "/noteringar": ["Ringde skolan, avståndet stämmer."],
        "/handlingar": ["tidtabell.pdf"],
        "/externt": [],
        "/deluppgifter": ["Kontrollera avståndet i kartan", "Olle Ek"],
    }
    for path, expected in tabs.items():
        response = client.get(f"/arenden/{case.id}{path}")
        assert response.status_code == 200, path
        text = text_of(response)
        for snippet in expected:
            assert snippet in text, (path, snippet)
        html = response.get_data(as_text=True)
        assert html.count('aria-current="page"') == 1, path
        # The tab bar counts messages, notes and documents.
        assert re.search(r"fa-envelope[^<]*</i>[^<(]*\(2\)", html), path
        assert re.search(r"fa-thumb-tack[^<]*</i>[^<(]*\(1\)", html), path
    # The newest message is last in the thread.
    thread = text_of(client.get(f"/arenden/{case.id}/meddelanden"))
    assert thread.index("Hej! Vi behöver") < thread.index("Här är intyget")
    # Externt ärendenr has its form; the history links to the PDF.
    assert 'name="external_number"' in client.get(f"/arenden/{case.id}/externt").get_data(as_text=True)
    assert f"/arenden/{case.id}/pdf" in client.get(f"/arenden/{case.id}/historik").get_data(as_text=True)


def test_every_opening_of_a_tab_is_logged(client):
    setup = make_setup()
    sign_in(client, setup.world.hanna)
    paths = ["", "/historik", "/meddelanden", "/noteringar", "/handlingar", "/externt", "/deluppgifter"]
    for path in paths:
        assert client.get(f"/arenden/{setup.case.id}{path}").status_code == 200
    views = db.session.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(
            AuditEntry.case_id == setup.case.id,
            AuditEntry.action == "case_viewed",
            AuditEntry.username == "hanna",
        )
    )
    assert views == len(paths)


def test_opening_the_messages_marks_the_applicants_messages_read(client):
    setup = make_setup()
    message = messages.reply_as_citizen(setup.case.id, "Hej, när kommer beslutet?", citizen=setup.world.citizen)
    sign_in(client, setup.world.hanna)
    client.get(f"/arenden/{setup.case.id}/meddelanden")
    db.session.expire_all()
    read = db.session.get(type(message), message.id)
    assert read.read_at is not None and read.read_by_user_id == setup.world.hanna.id
    assert "Hanna Berg" in text_of(client.get(f"/arenden/{setup.case.id}/meddelanden"))


def test_a_group_case_shows_the_group_and_offers_take(client):
    setup = make_setup()
    sign_in(client, setup.world.olle)
    response = client.get(f"/arenden/{setup.group_case.id}")
    assert "Skolskjutsgruppen" in text_of(response)
    html = response.get_data(as_text=True)
    # Held by a group Olle is not in: he is offered "ta över", which asks first.
    assert f'action="/arenden/{setup.group_case.id}/ta"' in html


def test_an_unassigned_case_offers_take_in_the_header(client):
    setup = make_setup()
    sign_in(client, setup.world.olle)
    html = client.get(f"/arenden/{setup.open_case.id}").get_data(as_text=True)
    header = html.split('class="bo-tools')[0]
    assert f'action="/arenden/{setup.open_case.id}/ta"' in header


def test_the_tools_offer_only_what_the_user_may_do(client):
    setup = make_setup()
    setup.world.eservice.colour_marking = False
    db.session.commit()
    sign_in(client, setup.world.olle)  # handler of the e-service, not assigned to the case
    html = client.get(f"/arenden/{setup.case.id}").get_data(as_text=True)
    tools = html.split('class="panel panel-default bo-tools"')[1].split("</section>")[0]
    assert f"/arenden/{setup.case.id}/andra" in tools  # edit submitted data
    assert f"/arenden/{setup.case.id}/pdf" in tools
    assert "verktyg=farg" not in tools  # colour marking is off
    assert f"/arenden/{setup.case.id}/ta-bort-mig" not in tools  # not a handler of it
    assert f'/arenden/{setup.case.id}/ta-bort"' not in tools  # Inskickat: nobody may delete
    assert fresh(setup.case) is not None


# The full matrix of routes × roles is tests/backoffice/test_access_matrix.py; these are the edges.


def test_a_case_or_document_that_does_not_exist_is_not_found(client):
    setup = make_setup()
    sign_in(client, setup.world.admin)
    assert client.get("/arenden/999999").status_code == 404
    assert client.get(f"/arenden/{setup.case.id}/handlingar/999999").status_code == 404


def test_drafts_are_never_shown_in_the_back_office(client):
    setup = make_setup()
    draft = factories.case(setup.world.eservice, citizen=setup.world.citizen, draft=True)
    db.session.commit()
    sign_in(client, setup.world.admin)
    assert client.get(f"/arenden/{draft.id}").status_code == 404
    assert client.get(f"/arenden/{draft.id}/pdf").status_code == 404
