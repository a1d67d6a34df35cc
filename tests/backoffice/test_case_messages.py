"""Meddelanden and Interna noteringar (F-CASE-4/6): the 1177 rule, templates, attachments,
"Ta ärendet och svara", "Fördela till gruppen efter svar", and notes for handlers only."""

from __future__ import annotations

import io

from sqlalchemy import select

from shared.db import db
from shared.models import CaseEvent, Document, InternalNote, Message, MessageTemplate
from tests import factories
from tests.backoffice.casehelp import fresh, make_setup, sign_in, text_of


def _messages(case) -> list[Message]:
    db.session.expire_all()
    return list(db.session.scalars(select(Message).where(Message.case_id == case.id).order_by(Message.id)))


def _template(setup) -> MessageTemplate:
    return db.session.scalar(select(MessageTemplate).where(MessageTemplate.eservice_id == setup.world.eservice.id))


def test_an_assigned_handler_writes_to_the_applicant_with_a_template_and_an_attachment(client):
    setup = make_setup()
    template = _template(setup)
    token = sign_in(client, setup.world.hanna)
    url = f"/arenden/{setup.case.id}/meddelanden"
    response = client.post(
        url,
        data={
            "csrf_token": token,
            "body": "Hej Åsa! Vi behöver ett intyg från skolan.",
            "template_id": str(template.id),
            "attachments": [(io.BytesIO(factories.PDF_BYTES), "tidtabell.pdf")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    [message] = _messages(setup.case)
    assert response.headers["Location"].endswith(f"{url}#meddelande-{message.id}")
    assert message.body == "Hej Åsa! Vi behöver ett intyg från skolan." and message.template_id == template.id
    assert [d.filename for d in message.attachments] == ["tidtabell.pdf"]
    assert "maria@example.org" in factories.addresses("message_to_applicant")  # the applicant is told
    page = text_of(client.get(url))
    assert "Hej Åsa! Vi behöver ett intyg från skolan." in page and "tidtabell.pdf" in page


def test_a_template_fills_in_the_message_without_javascript(client):
    setup = make_setup()
    template = _template(setup)
    sign_in(client, setup.world.hanna)
    html = client.get(f"/arenden/{setup.case.id}/meddelanden?mall={template.id}").get_data(as_text=True)
    textarea = html.split('<textarea id="body"')[1].split("</textarea>")[0]
    assert "Hej! Vi behöver ett intyg från skolan." in textarea
    assert f'name="template_id" id="template_id" value="{template.id}"' in html


def test_a_handler_who_is_not_assigned_may_not_write_but_may_take_and_reply(client):
    setup = make_setup()
    world = setup.world
    token = sign_in(client, world.olle)
    url = f"/arenden/{setup.open_case.id}/meddelanden"
    page = client.get(url).get_data(as_text=True)
    assert 'name="take" value="1"' in page  # "Ta ärendet och svara"
    assert '<textarea id="body"' not in page

    refused = client.post(url, data={"csrf_token": token, "body": "Hej!"})
    assert refused.status_code == 403
    assert "Bara en handläggare som själv är tilldelad ärendet kan skriva till den sökande." in text_of(refused)
    assert _messages(setup.open_case) == []

    taken = client.post(url, data={"csrf_token": token, "take": "1"})
    assert taken.status_code == 302 and taken.headers["Location"].endswith(f"{url}#nytt-meddelande")
    assert [h.user_id for h in fresh(setup.open_case).handlers] == [world.olle.id]
    assert '<textarea id="body"' in client.get(url).get_data(as_text=True)
    sent = client.post(url, data={"csrf_token": token, "body": "Nu svarar jag."})
    assert sent.status_code == 302
    assert [m.body for m in _messages(setup.open_case)] == ["Nu svarar jag."]


def test_take_and_reply_in_one_go(client):
    setup = make_setup()
    token = sign_in(client, setup.world.gun)  # member of the group that holds the case
    url = f"/arenden/{setup.group_case.id}/meddelanden"
    response = client.post(url, data={"csrf_token": token, "take": "1", "body": "Hej, vi tittar på det."})
    assert response.status_code == 302
    assert [h.user_id for h in fresh(setup.group_case).handlers] == [setup.world.gun.id]
    assert [m.body for m in _messages(setup.group_case)] == ["Hej, vi tittar på det."]


def test_hand_the_case_back_to_the_group_after_the_reply(client):
    setup = make_setup()
    world = setup.world
    token = sign_in(client, world.hanna)
    url = f"/arenden/{setup.case.id}/meddelanden"
    page = client.get(url).get_data(as_text=True)
    assert f'<option value="{world.group.id}">Skolskjutsgruppen</option>' in page
    response = client.post(
        url, data={"csrf_token": token, "body": "Gruppen tar över härifrån.", "hand_back_group_id": str(world.group.id)}
    )
    assert response.status_code == 302
    case = fresh(setup.case)
    assert [(h.user_id, h.group_id) for h in case.handlers] == [(None, world.group.id)]
    assert db.session.scalar(
        select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == "handed_back_to_group")
    )
    assert "gun@example.org" in factories.addresses("group_assigned")  # the members are told (queued)


def test_an_empty_message_is_refused_beside_the_field(client):
    setup = make_setup()
    token = sign_in(client, setup.world.hanna)
    response = client.post(f"/arenden/{setup.case.id}/meddelanden", data={"csrf_token": token, "body": "   "})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="body-error">Skriv ett meddelande.</p>' in html
    assert _messages(setup.case) == []


def test_an_attachment_of_a_forbidden_type_stops_the_message(client):
    setup = make_setup()
    token = sign_in(client, setup.world.hanna)
    response = client.post(
        f"/arenden/{setup.case.id}/meddelanden",
        data={"csrf_token": token, "body": "Se bilagan.", "attachments": [(io.BytesIO(b"MZ\x90\x00" * 64), "a.pdf")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "Filtypen är inte tillåten." in text_of(response)
    assert "Se bilagan." in response.get_data(as_text=True)  # the text is kept
    assert _messages(setup.case) == []
    assert db.session.scalar(select(Document).where(Document.case_id == setup.case.id)) is None


def test_no_messages_to_an_applicant_without_e_id(client):
    setup = make_setup()
    anonymous = factories.case(setup.world.eservice, contact_email="anna@example.org", users=[setup.world.hanna])
    db.session.commit()
    sign_in(client, setup.world.hanna)
    response = client.get(f"/arenden/{anonymous.id}/meddelanden")
    assert "Den sökande loggade inte in med e-legitimation" in text_of(response)
    html = response.get_data(as_text=True)
    assert '<textarea id="body"' not in html and 'name="take" value="1"' not in html


# -- Interna noteringar ------------------------------------------------------------------------


def test_internal_notes(client):
    setup = make_setup()
    token = sign_in(client, setup.world.olle)  # any handler of the e-service may write notes
    url = f"/arenden/{setup.case.id}/noteringar"
    response = client.post(url, data={"csrf_token": token, "body": "Ringde vårdnadshavaren, allt klart."})
    assert response.status_code == 302
    note = db.session.scalar(select(InternalNote).where(InternalNote.case_id == setup.case.id))
    assert note.author_id == setup.world.olle.id
    page = text_of(client.get(url))
    assert "Ringde vårdnadshavaren, allt klart." in page and "Olle Ek" in page

    empty = client.post(url, data={"csrf_token": token, "body": ""})
    assert empty.status_code == 422 and "Skriv ett meddelande." in text_of(empty)
