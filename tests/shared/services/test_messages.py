"""Messages with the applicant, group hand-back, absence forwarding, read receipts, internal notes (F-CASE-4/6, F-GRP-3)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from shared import clock, notify
from shared.db import db
from shared.errors import Invalid, NotAllowed, NotFound
from shared.models import Document, Message, MessageDirection, NotificationEvent, Recipient, StatusKind
from shared.services import messages
from tests import factories
from tests.factories import addresses, outbox


@pytest.fixture
def case(world):
    notify.default_notification_settings(world.eservice)
    case = factories.case(world.eservice, citizen=world.citizen, users=[world.hanna])
    db.session.commit()
    return case


def enable(world, event: NotificationEvent, recipient: Recipient = Recipient.ASSIGNED_HANDLERS) -> None:
    for setting in world.eservice.notification_settings:
        if setting.event == event and setting.recipient == recipient:
            setting.enabled = True
    db.session.commit()


def test_assigned_handler_sends_a_message_and_the_applicant_gets_a_deep_link(world, case):
    message = messages.send_message(
        case.id,
        "  Hej Maria!\r\nVi behöver ett intyg.  ",
        actor=world.hanna,
        attachments=[("Regler.pdf", factories.PDF_BYTES, "application/pdf")],
    )
    assert message.body == "Hej Maria!\nVi behöver ett intyg."
    assert message.direction == MessageDirection.TO_APPLICANT and message.author_user_id == world.hanna.id
    [attachment] = message.attachments
    assert attachment.filename == "Regler.pdf" and attachment.case_id == case.id
    sent = outbox(NotificationEvent.MESSAGE_TO_APPLICANT)
    assert {str(m.channel) for m in sent} == {"email", "portal"}
    for row in sent:
        assert (
            row.link
            == f"http://127.0.0.1:5000/mina-sidor/arenden/{case.id}?meddelande={message.id}#meddelande-{message.id}"
        )
        assert "Vi behöver ett intyg" not in row.body  # the message itself never goes by e-mail
    assert [e.kind for e in case.events] == ["message_sent"]


def test_only_a_person_assigned_to_the_case_may_message(world, case):
    case.handlers.append(factories.CaseHandler(group=world.group))
    db.session.commit()
    with pytest.raises(NotAllowed):
        messages.send_message(case.id, "Hej", actor=world.olle)  # handler of the e-service, not the case
    with pytest.raises(NotAllowed):
        messages.send_message(case.id, "Hej", actor=world.gun)  # in the assigned group: take it first
    with pytest.raises(NotFound):
        messages.send_message(case.id, "Hej", actor=world.outsider)
    with pytest.raises(Invalid):
        messages.send_message(case.id, "   ", actor=world.hanna)
    other_template = factories.message_template(factories.eservice("Annan"))
    db.session.commit()
    with pytest.raises(Invalid):
        messages.send_message(case.id, "Hej", actor=world.hanna, template_id=other_template.id)
    assert db.session.scalars(select(Message)).all() == []


def test_reply_hands_the_case_back_to_the_group(world, case):
    messages.send_message(case.id, "Vi återkommer.", actor=world.hanna, hand_back_to_group_id=world.group.id)
    assert case.handler_users == [] and case.handler_groups == [world.group]
    assert addresses(NotificationEvent.GROUP_ASSIGNED) == {"gun@example.org"}
    assert [e.kind for e in case.events] == ["message_sent", "handed_back_to_group"]

    # The group handed back to must itself be a handler of the e-service.
    stranger = factories.group("Bygglovsgruppen")
    case.handlers.append(factories.CaseHandler(user=world.hanna))
    db.session.commit()
    with pytest.raises(Invalid):
        messages.send_message(case.id, "Hej", actor=world.hanna, hand_back_to_group_id=stranger.id)


def test_applicant_replies_and_the_assigned_handler_is_told(world, case):
    reply = messages.reply_as_citizen(
        case.id,
        "Här är intyget.",
        citizen=world.citizen,
        attachments=[("intyg.jpg", factories.JPEG_BYTES, "image/jpeg")],
    )
    assert reply.direction == MessageDirection.FROM_APPLICANT and reply.author_citizen_id == world.citizen.id
    assert reply.attachments[0].content_type == "image/jpeg"
    [row] = outbox(NotificationEvent.MESSAGE_FROM_APPLICANT)
    assert row.recipient_address == "hanna@example.org"
    assert row.link == f"http://127.0.0.1:5000/admin/arenden/{case.id}"
    with pytest.raises(NotFound):
        messages.reply_as_citizen(case.id, "Hej", citizen=factories.citizen("196408233234"))


def test_applicant_cannot_write_where_the_status_forbids_it(world, case):
    case.status = factories.status(world.eservice, StatusKind.ARCHIVED)
    db.session.commit()
    with pytest.raises(NotAllowed):
        messages.reply_as_citizen(case.id, "Hallå?", citizen=world.citizen)


def test_absent_handler_forwards_to_the_group_mailbox_with_an_auto_reply(world, case):
    factories.absence(world.hanna, forward_to=world.group, auto_reply="Jag är på semester till 1 augusti.")
    db.session.commit()
    reply = messages.reply_as_citizen(case.id, "Hej Hanna!", citizen=world.citizen)
    assert reply.forwarded_to_group_id == world.group.id
    assert addresses(NotificationEvent.MESSAGE_FROM_APPLICANT) == {"skolskjuts@example.org"}  # not the absent one
    auto = outbox(NotificationEvent.AUTO_REPLY)
    assert {(str(m.channel), m.recipient_address) for m in auto} == {("email", "maria@example.org"), ("portal", None)}
    assert "Jag är på semester till 1 augusti." in auto[0].body
    assert "message_forwarded" in [e.kind for e in case.events]


def test_forwarding_to_a_group_without_a_mailbox_tells_its_members(world, case):
    world.group.mailbox_email = None
    factories.absence(world.hanna, forward_to=world.group)
    db.session.commit()
    messages.reply_as_citizen(case.id, "Hej!", citizen=world.citizen)
    assert addresses(NotificationEvent.MESSAGE_FROM_APPLICANT) == {"gun@example.org"}
    assert "frånvarande till och med" in outbox(NotificationEvent.AUTO_REPLY)[0].body


def test_an_absence_that_ended_forwards_nothing(world, case):
    absence = factories.absence(world.hanna, forward_to=world.group)
    absence.ended_at = clock.now()
    factories.absence(world.olle, forward_to=world.group, starts_on=clock.today() + dt.timedelta(days=1))
    db.session.commit()
    reply = messages.reply_as_citizen(case.id, "Hej!", citizen=world.citizen)
    assert reply.forwarded_to_group_id is None
    assert addresses(NotificationEvent.MESSAGE_FROM_APPLICANT) == {"hanna@example.org"}
    assert outbox(NotificationEvent.AUTO_REPLY) == []


def test_read_receipt_goes_to_the_handler_who_sent_the_message(world, case):
    enable(world, NotificationEvent.MESSAGE_READ)
    case.handlers.append(factories.CaseHandler(user=world.olle))
    db.session.commit()
    message = messages.send_message(case.id, "Beslut bifogas.", actor=world.hanna)
    with pytest.raises(NotFound):
        messages.mark_read(message.id, reader=factories.citizen("196408233234"))
    messages.mark_read(message.id, reader=world.citizen)
    assert message.read_at is not None
    messages.mark_read(message.id, reader=world.citizen)
    assert addresses(NotificationEvent.MESSAGE_READ) == {"hanna@example.org"}  # once, and only to the sender
    reply = messages.reply_as_citizen(case.id, "Tack!", citizen=world.citizen)
    messages.mark_read(reply.id, reader=world.olle)
    assert reply.read_by_user_id == world.olle.id
    with pytest.raises(NotFound):
        messages.mark_read(reply.id, reader=world.outsider)


def test_internal_note_tells_the_other_assigned_handlers(world, case):
    enable(world, NotificationEvent.INTERNAL_NOTE)
    case.handlers.append(factories.CaseHandler(user=world.olle))
    db.session.commit()
    note = messages.add_note(case.id, "Ring rektorn först.", actor=world.hanna)
    assert note.author_id == world.hanna.id
    assert addresses(NotificationEvent.INTERNAL_NOTE) == {"olle@example.org"}
    assert "Hanna Berg har skrivit en intern notering" in outbox(NotificationEvent.INTERNAL_NOTE)[0].body
    for person in (world.outsider, world.builder):
        with pytest.raises(NotFound):
            messages.add_note(case.id, "x", actor=person)


def test_a_bad_attachment_keeps_nothing(world, case):
    with pytest.raises(Invalid):
        messages.send_message(
            case.id,
            "Hej",
            actor=world.hanna,
            attachments=[
                ("ok.pdf", factories.PDF_BYTES, "application/pdf"),
                ("virus.exe", b"MZ\x90\x00" + b"\x00" * 60, "application/pdf"),
            ],
        )
    assert db.session.scalars(select(Message)).all() == []
    assert db.session.scalars(select(Document)).all() == []
