"""Utkorgen for administrators (shared/services/outbox_log.py): filters, paging, counts, sending again."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import select

from shared import clock
from shared.db import db
from shared.errors import NotAllowed
from shared.models import AuditEntry, Channel, OutboxMessage, OutboxState
from shared.services import outbox_log
from shared.services.outbox_log import OutboxFilter
from tests import factories


def message(
    *,
    state: OutboxState = OutboxState.SENT,
    channel: Channel = Channel.EMAIL,
    event: str = "status_changed",
    address: str | None = "maria@example.org",
    case=None,
    citizen=None,
    user=None,
    created_at: dt.datetime | None = None,
    error: str | None = None,
    attempts: int = 1,
) -> OutboxMessage:
    """An outbox row as the dispatcher leaves it (flushed, not committed)."""
    created = created_at or clock.now()
    row = OutboxMessage(
        uuid=str(uuid.uuid4()),
        event=event,
        channel=channel,
        recipient_address=address,
        recipient_citizen_id=citizen.id if citizen else None,
        recipient_user_id=user.id if user else None,
        case_id=case.id if case else None,
        subject="Ditt ärende har fått ny status",
        body="Hej!\n\nDitt ärende har nu status: Klart.",
        state=state,
        attempts=attempts if state != OutboxState.PENDING else 0,
        next_attempt_at=created,
        created_at=created,
        sent_at=created if state == OutboxState.SENT else None,
        first_attempt_at=created if state != OutboxState.PENDING else None,
        last_error=error
        if error is not None
        else ("550 5.1.1 No such user here" if state == OutboxState.FAILED else None),
    )
    db.session.add(row)
    db.session.flush()
    return row


def _ids(page: outbox_log.OutboxPage) -> list[int]:
    return [row.message.id for row in page.rows]


def test_only_an_administrator_may_read_or_retry(world):
    failed = message(state=OutboxState.FAILED)
    db.session.commit()
    for actor in (world.hanna, world.builder):
        with pytest.raises(NotAllowed):
            outbox_log.outbox_page(actor=actor)
        with pytest.raises(NotAllowed):
            outbox_log.outbox_message(failed.id, actor=actor)
        with pytest.raises(NotAllowed):
            outbox_log.retry_failed_matching(OutboxFilter(), actor=actor)
    db.session.expire_all()
    assert db.session.get(OutboxMessage, failed.id).state == OutboxState.FAILED
    assert _ids(outbox_log.outbox_page(actor=world.admin)) == [failed.id]


def test_each_filter_narrows_the_list(world):
    case = factories.case(world.eservice, citizen=world.citizen)
    other_case = factories.case(world.eservice, citizen=world.citizen)
    sent = message(case=case, citizen=world.citizen)
    failed = message(state=OutboxState.FAILED, address="fel@example.org", case=other_case)
    sms = message(channel=Channel.SMS, address="+46701234567", event="submitted", state=OutboxState.PENDING)
    portal = message(channel=Channel.PORTAL, address=None, citizen=world.citizen, event="closed", case=case)
    to_handler = message(address="hanna@example.org", user=world.hanna, event="assigned")
    db.session.commit()

    def ids(**kwargs) -> set[int]:
        return set(_ids(outbox_log.outbox_page(actor=world.admin, filters=OutboxFilter(**kwargs))))

    assert ids() == {sent.id, failed.id, sms.id, portal.id, to_handler.id}
    assert ids(state=OutboxState.FAILED) == {failed.id}
    assert ids(state=OutboxState.PENDING) == {sms.id}
    assert ids(channel=Channel.SMS) == {sms.id}
    assert ids(channel=Channel.PORTAL) == {portal.id}
    assert ids(event="assigned") == {to_handler.id}
    assert ids(case_number=case.number) == {sent.id, portal.id}
    assert ids(case_number=999999) == set()
    assert ids(recipient="FEL@example") == {failed.id}  # a part of the address, any case
    assert ids(recipient="Hanna Berg") == {to_handler.id}  # the handler's name
    assert ids(recipient="maria@") == {sent.id}  # by address; the Mina sidor notice has none
    assert ids(recipient="%") == set()  # LIKE's wildcards are plain characters
    assert ids(state=OutboxState.SENT, channel=Channel.EMAIL, event="status_changed") == {sent.id}


def test_the_mina_sidor_notice_is_found_by_the_citizens_name(world):
    world.citizen.first_name, world.citizen.last_name = "Maria", "Svensson"
    portal = message(channel=Channel.PORTAL, address=None, citizen=world.citizen)
    db.session.commit()
    page = outbox_log.outbox_page(actor=world.admin, filters=OutboxFilter(recipient="maria svensson"))
    assert _ids(page) == [portal.id]
    assert page.rows[0].recipient_name == "Maria Svensson"


def test_created_from_and_to_are_swedish_calendar_days(world):
    # 22:30 UTC on 1 March is 23:30 in Sweden; 23:30 UTC is already 2 March there.
    late_first = message(created_at=dt.datetime(2027, 3, 1, 22, 30))
    early_second = message(created_at=dt.datetime(2027, 3, 1, 23, 30))
    third = message(created_at=dt.datetime(2027, 3, 3, 12, 0))
    db.session.commit()

    def ids(**kwargs) -> list[int]:
        return _ids(outbox_log.outbox_page(actor=world.admin, filters=OutboxFilter(**kwargs)))

    assert ids(created_from=dt.date(2027, 3, 2)) == [third.id, early_second.id]
    assert ids(created_to=dt.date(2027, 3, 1)) == [late_first.id]
    assert ids(created_from=dt.date(2027, 3, 2), created_to=dt.date(2027, 3, 2)) == [early_second.id]


def test_pages_newest_first_with_the_counts_per_state(world):
    rows = [message() for _ in range(55)] + [message(state=OutboxState.FAILED) for _ in range(3)]
    db.session.commit()
    first = outbox_log.outbox_page(actor=world.admin, page=1)
    assert first.total == 58 and first.pages == 2 and first.has_next
    assert _ids(first) == [r.id for r in reversed(rows)][:50]
    second = outbox_log.outbox_page(actor=world.admin, page=2)
    assert len(second.rows) == 8 and not second.has_next
    assert first.state_counts == {
        OutboxState.PENDING: 0,
        OutboxState.SENDING: 0,
        OutboxState.SENT: 55,
        OutboxState.FAILED: 3,
    }
    # The counts leave the state filter aside (they are the tabs to switch to); the total does not.
    only_failed = outbox_log.outbox_page(actor=world.admin, filters=OutboxFilter(state=OutboxState.FAILED))
    assert only_failed.total == 3 and only_failed.pages == 1
    assert only_failed.state_counts[OutboxState.SENT] == 55
    assert outbox_log.outbox_page(actor=world.admin, page=99).page == 2  # past the end: the last page


def test_retry_failed_matching_sends_the_filters_failed_rows_again_with_one_audit_entry(world):
    email_failed = [message(state=OutboxState.FAILED) for _ in range(3)]
    sms_failed = message(state=OutboxState.FAILED, channel=Channel.SMS, address="+46701234567")
    sent = message()
    db.session.commit()

    filters = OutboxFilter(channel=Channel.EMAIL)
    assert outbox_log.count_failed_matching(filters, actor=world.admin) == 3
    assert outbox_log.retry_failed_matching(filters, actor=world.admin) == 3

    db.session.expire_all()
    for row in email_failed:
        fresh = db.session.get(OutboxMessage, row.id)
        assert fresh.state == OutboxState.PENDING and fresh.first_attempt_at is None
        assert fresh.next_attempt_at <= clock.now()
    assert db.session.get(OutboxMessage, sms_failed.id).state == OutboxState.FAILED
    assert db.session.get(OutboxMessage, sent.id).state == OutboxState.SENT
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "notifications_retried")).all()
    assert len(entries) == 1
    assert entries[0].user_id == world.admin.id
    assert entries[0].details == {"count": 3, "channel": "email"}

    # Nothing failed is left for the filter: nothing happens, nothing is logged.
    assert outbox_log.retry_failed_matching(filters, actor=world.admin) == 0
    assert len(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "notifications_retried")).all()) == 1


def test_one_notification_with_its_case_recipient_and_retries(world):
    from shared.notify import dispatch

    case = factories.case(world.eservice, citizen=world.citizen)
    failed = message(state=OutboxState.FAILED, case=case, citizen=world.citizen)
    db.session.commit()
    dispatch.retry_failed(failed.id, actor=world.admin)

    detail = outbox_log.outbox_message(failed.id, actor=world.admin)
    assert detail.message.id == failed.id
    assert detail.case_number == case.number
    assert detail.recipient_name == str(world.citizen)
    assert [e.username for e in detail.retries] == ["admin"]
