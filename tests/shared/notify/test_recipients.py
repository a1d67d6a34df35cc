"""Who gets what with a new e-service's standard settings, event by event, and how the texts come out."""

from __future__ import annotations

import pytest

from shared import notify
from shared.db import db
from shared.models import Channel, NotificationEvent, Recipient
from shared.notify.render import drop_lines_with
from tests import factories
from tests.factories import outbox

E, R, C = NotificationEvent, Recipient, Channel
APPLICANT = {("email", "maria@example.org"), ("portal", "citizen")}
HANDLERS = {("email", "hanna@example.org"), ("sms", "+46701111111"), ("email", "gun@example.org")}

# With the standard settings (F-ES-7): the applicant's four events and the auto-reply reach
# the applicant by e-mail and on Mina sidor; the handlers' events reach the assigned
# handlers by their own channels (Olle only by SMS, his choice); group assignment reaches
# the group's members; the rest is off until the builder switches it on.
EXPECTED = {
    E.SUBMITTED: APPLICANT,
    E.STATUS_CHANGED: APPLICANT,
    E.MESSAGE_TO_APPLICANT: APPLICANT,
    E.CLOSED: APPLICANT,
    E.AUTO_REPLY: APPLICANT,
    E.MESSAGE_FROM_APPLICANT: HANDLERS,
    E.ASSIGNED: HANDLERS,
    E.SUPPLEMENT: HANDLERS,
    E.OVERDUE: HANDLERS,
    E.TAKEN_OVER: HANDLERS,
    E.GROUP_ASSIGNED: {("email", "gun@example.org")},
    E.INTERNAL_NOTE: set(),
    E.MESSAGE_READ: set(),
    E.FILE_DOWNLOADED: set(),
    E.NEW_CASE: set(),
}


@pytest.fixture
def case(world):
    notify.default_notification_settings(world.eservice)
    world.olle.notify_by_email, world.olle.notify_by_sms, world.olle.mobile_phone = False, True, "+46701111111"
    case = factories.case(world.eservice, citizen=world.citizen, users=[world.hanna, world.olle], groups=[world.group])
    db.session.commit()
    return case


@pytest.mark.parametrize("event", list(EXPECTED))
def test_each_event_reaches_the_people_the_standard_settings_name(world, case, event):
    notify.queue(case, event, recipients_override=[world.group] if event == E.GROUP_ASSIGNED else None)

    got = {(str(m.channel), m.recipient_address or "citizen") for m in outbox(event)}
    assert got == EXPECTED[event]


def test_the_general_mailbox_gets_the_events_the_builder_switches_on(world, case):
    world.eservice.general_mailbox = "skolskjuts-etjanst@example.org"
    for setting in world.eservice.notification_settings:
        if setting.recipient == R.MAILBOX and setting.event == E.NEW_CASE:
            setting.enabled = True

    notify.queue(case, E.NEW_CASE)

    # The e-service's functional mailbox and the assigned group's (F-NOT-3).
    assert {m.recipient_address for m in outbox("new_case")} == {
        "skolskjuts-etjanst@example.org",
        "skolskjuts@example.org",
    }


def test_sms_carries_the_short_text_and_each_side_sees_its_own_status_name(world, case):
    case.status.citizen_label = "Vi har tagit emot din ansökan"
    for setting in world.eservice.notification_settings:  # the builder switches these on
        if setting.event == E.STATUS_CHANGED and (setting.recipient, setting.channel) in {
            (R.ASSIGNED_HANDLERS, C.EMAIL),
            (R.APPLICANT, C.SMS),
        }:
            setting.enabled = True
    world.citizen.notify_by_sms, world.citizen.phone = True, "+46709999999"

    notify.queue(case, E.STATUS_CHANGED)

    rows = outbox("status_changed")
    sms = next(m for m in rows if m.channel == C.SMS and m.recipient_citizen_id)
    assert sms.subject is None and "Vi har tagit emot din ansökan" in sms.body and len(sms.body) < 160
    to_applicant = next(m for m in rows if m.recipient_address == "maria@example.org")
    to_handler = next(m for m in rows if m.recipient_address == "hanna@example.org")
    assert "Vi har tagit emot din ansökan" in to_applicant.body
    assert case.status.name in to_handler.body and "Vi har tagit emot" not in to_handler.body


def test_an_anonymous_applicant_gets_no_link_to_mina_sidor(world, case):
    anonymous = factories.case(world.eservice, contact_email="anna@example.org", contact_name="Anna")
    db.session.commit()

    notify.queue(anonymous, E.SUBMITTED)

    [email] = [m for m in outbox("submitted") if m.case_id == anonymous.id]
    assert email.recipient_address == "anna@example.org" and email.link is None
    assert "Mina sidor" not in email.body and "{lank}" not in email.body
    assert f"Ditt ärendenummer är {anonymous.number}" in email.body


def test_drop_lines_with_removes_only_the_lines_using_the_placeholder():
    text = "Hej!\n\nRad ett.\n\nLänk: {lank}\n\nRad två {lankar}.\n"
    assert drop_lines_with(text, "lank") == "Hej!\n\nRad ett.\n\nRad två {lankar}."
    assert drop_lines_with("Bara {lank}", "lank") == ""
