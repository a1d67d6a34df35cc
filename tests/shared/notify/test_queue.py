"""Which outbox rows a change produces: per the e-service's settings and each person's own choices (F-ES-7, F-NOT-*, F-GRP-2)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from shared import notify
from shared.db import db
from shared.models import (
    Channel,
    GroupMember,
    NotificationEvent,
    NotificationSetting,
    Recipient,
)
from tests import factories
from tests.factories import addresses, outbox

E, R, C = NotificationEvent, Recipient, Channel


@pytest.fixture
def case(world):
    world.hanna.notify_by_email, world.hanna.notify_by_sms = True, False
    world.olle.notify_by_email, world.olle.notify_by_sms, world.olle.mobile_phone = False, True, "+46701111111"
    world.gun.notify_by_email, world.gun.notify_by_sms = True, True  # but no mobile number
    world.rut.notify_by_email, world.rut.notify_by_sms, world.rut.mobile_phone = True, True, "+46702222222"
    case = factories.case(
        world.eservice,
        citizen=world.citizen,
        users=[world.hanna, world.olle, world.rut, world.gun],
        groups=[world.group],
    )
    db.session.commit()
    return case


def test_nothing_is_queued_without_an_enabled_setting(world, case):
    factories.setting(world.eservice, E.ASSIGNED, R.ASSIGNED_HANDLERS, enabled=False)
    assert notify.queue(case, E.ASSIGNED) == []
    assert outbox() == []


def test_each_handler_gets_the_channels_they_chose_once(world, case):
    factories.setting(world.eservice, E.MESSAGE_FROM_APPLICANT, R.ASSIGNED_HANDLERS, C.EMAIL)
    factories.setting(world.eservice, E.MESSAGE_FROM_APPLICANT, R.ASSIGNED_HANDLERS, C.SMS)
    factories.setting(world.eservice, E.MESSAGE_FROM_APPLICANT, R.ASSIGNED_HANDLERS, C.PORTAL)  # not for staff
    notify.queue(case, E.MESSAGE_FROM_APPLICANT, actor=world.citizen)
    rows = {(m.recipient_user_id, str(m.channel), m.recipient_address) for m in outbox()}
    assert rows == {
        (world.hanna.id, "email", "hanna@example.org"),
        (world.olle.id, "sms", "+46701111111"),
        (world.gun.id, "email", "gun@example.org"),  # assigned in person and through the group: once
        (world.rut.id, "email", "rut@example.org"),
        (world.rut.id, "sms", "+46702222222"),
    }
    sms = next(m for m in outbox() if str(m.channel) == "sms")
    assert sms.subject is None and len(sms.body) < 200


def test_the_actor_is_not_told_of_their_own_change(world, case):
    factories.setting(world.eservice, E.INTERNAL_NOTE, R.ASSIGNED_HANDLERS)
    notify.queue(case, E.INTERNAL_NOTE, actor=world.hanna)
    assert "hanna@example.org" not in addresses()
    assert addresses() == {"gun@example.org", "rut@example.org"}


def test_group_members_only_if_they_opted_in_and_the_mailboxes(world, case):
    quiet = factories.user("quiet")
    world.group.members.append(GroupMember(user=quiet, notify=False))
    world.eservice.general_mailbox = "etjanster@example.org"
    factories.setting(world.eservice, E.GROUP_ASSIGNED, R.GROUP_MEMBERS)
    factories.setting(world.eservice, E.GROUP_ASSIGNED, R.MAILBOX)
    factories.setting(world.eservice, E.GROUP_ASSIGNED, R.MAILBOX, C.SMS)  # a mailbox has no phone
    notify.queue(case, E.GROUP_ASSIGNED, recipients_override=[world.group])
    assert addresses() == {"gun@example.org", "skolskjuts@example.org", "etjanster@example.org"}


def test_inactive_people_get_nothing(world, case):
    world.hanna.active = False
    factories.setting(world.eservice, E.OVERDUE, R.ASSIGNED_HANDLERS)
    notify.queue(case, E.OVERDUE)
    assert "hanna@example.org" not in addresses()


def test_the_applicant_per_their_own_choices(world, case):
    for channel in (C.EMAIL, C.SMS, C.PORTAL):
        factories.setting(world.eservice, E.STATUS_CHANGED, R.APPLICANT, channel)
    world.citizen.notify_by_email, world.citizen.notify_by_sms, world.citizen.phone = False, True, "+46703333333"
    notify.queue(case, E.STATUS_CHANGED, actor=world.hanna, handlers=False)
    assert {(str(m.channel), m.recipient_address, m.recipient_citizen_id) for m in outbox()} == {
        ("sms", "+46703333333", world.citizen.id),
        ("portal", None, world.citizen.id),
    }
    assert notify.queue(case, E.STATUS_CHANGED, applicant=False) == []


def test_own_texts_with_placeholders_are_rendered_safely(world, case):
    factories.setting(
        world.eservice,
        E.STATUS_CHANGED,
        R.APPLICANT,
        subject="{etjanst}: ärende {arendenummer}",
        body="Hej {namn}! Status: {status}. {lank} {okand} {0.__class__} /{handlaggare}",
    )
    notify.queue(case, E.STATUS_CHANGED, actor=world.hanna)
    [row] = outbox()
    assert row.subject == f"Skolskjuts: ärende {case.number}"
    assert row.body == (
        f"Hej Maria Öljung! Status: Inskickat. http://127.0.0.1:5000/mina-sidor/arenden/{case.id}"
        " {okand} {0.__class__} /Hanna Berg"
    )


def test_handler_link_goes_to_the_back_office(world, case):
    factories.setting(world.eservice, E.OVERDUE, R.ASSIGNED_HANDLERS)
    notify.queue(case, E.OVERDUE)
    assert {m.link for m in outbox()} == {f"http://127.0.0.1:5000/admin/arenden/{case.id}"}
    assert all(f"ärende {case.number}" in m.body.lower() for m in outbox())


def test_default_settings_follow_the_guides_common_choices_and_are_idempotent(world):
    created = notify.default_notification_settings(world.eservice)
    assert notify.default_notification_settings(world.eservice) == []
    on = {(s.event, s.recipient, s.channel) for s in created if s.enabled}
    off = {(s.event, s.recipient, s.channel) for s in created if not s.enabled}
    for event in (E.SUBMITTED, E.STATUS_CHANGED, E.MESSAGE_TO_APPLICANT, E.CLOSED):
        assert (event, R.APPLICANT, C.EMAIL) in on
    for event in (E.MESSAGE_FROM_APPLICANT, E.ASSIGNED, E.SUPPLEMENT, E.OVERDUE):
        assert (event, R.ASSIGNED_HANDLERS, C.EMAIL) in on
    assert (E.NEW_CASE, R.ALL_HANDLERS, C.EMAIL) in off
    assert (E.GROUP_ASSIGNED, R.GROUP_MEMBERS, C.EMAIL) in on
    assert db.session.scalar(
        select(func.count())
        .select_from(NotificationSetting)
        .where(NotificationSetting.eservice_id == world.eservice.id)
    ) == len(created)
