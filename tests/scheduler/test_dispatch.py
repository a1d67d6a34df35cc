"""The dispatch job against a real SMTP server: every notification delivered, none twice (F-NOT-4)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
import time_machine
from sqlalchemy import func, select

from shared import clock
from shared.db import db
from shared.errors import NotAllowed
from shared.models import AuditEntry, JobRun, OutboxMessage, OutboxState
from shared.notify import backends, dispatch
from shared.notify.backends import message_id
from shared.services import jobs as job_runs
from tests.scheduler.conftest import queue_emails

SENDER = "Etjänst <noreply@etjanst.local>"


def _states() -> Counter:
    return Counter(str(s) for s in db.session.scalars(select(OutboxMessage.state)))


def _ids(uuids) -> list[str]:
    return [message_id(u, SENDER) for u in uuids]


def _dispatch_until_done(start: dt.datetime, step: dt.timedelta, *, rounds: int = 60) -> dt.datetime:
    """Run the dispatch again and again, moving its time on by ``step``, until nothing is pending."""
    now = start
    for _ in range(rounds):
        dispatch.dispatch_due(now)
        db.session.remove()
        pending = db.session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.state != OutboxState.SENT)
        )
        if not pending:
            return now
        now += step
    raise AssertionError(f"still not delivered after {rounds} rounds: {_states()}")


def test_each_row_goes_once_with_its_uuid_as_message_id(ctx, smtp_server):
    uuids = queue_emails(3)

    report = dispatch.dispatch_due()

    assert report.counts["sent"] == 3
    smtp_server.wait_for(3)
    assert smtp_server.message_ids() == _ids(uuids)
    first = smtp_server.messages[0]
    assert first["Subject"] == "Ditt ärende 1000 har fått ny status"
    assert first["To"] == "person0@example.org"
    assert first["Auto-Submitted"] == "auto-generated"
    assert "Mina sidor: https://e.example.se/0" in first.get_content()
    rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert {(str(r.state), r.attempts, r.last_error, r.claimed_by) for r in rows} == {("sent", 1, None, None)}
    assert all(r.sent_at is not None for r in rows)

    assert dispatch.dispatch_due().counts["sent"] == 0  # nothing is sent twice
    assert len(smtp_server.messages) == 3


def test_smtp_down_for_an_hour_with_500_queued_then_all_delivered_once(ctx, smtp_server):
    uuids = queue_emails(500)
    start = clock.now()
    smtp_server.down()

    now = start
    while now < start + dt.timedelta(hours=1):  # a run every five minutes while the server is down
        report = dispatch.dispatch_due(now)
        assert report.counts["sent"] == 0
        now += dt.timedelta(minutes=5)
    db.session.remove()
    rows = db.session.scalars(select(OutboxMessage)).all()
    assert {str(r.state) for r in rows} == {"pending"}
    tried = [r for r in rows if r.attempts]
    assert tried and all("cannot connect" in r.last_error for r in tried)

    smtp_server.up()
    _dispatch_until_done(now, dt.timedelta(minutes=30))

    smtp_server.wait_for(500)
    received = smtp_server.message_ids()
    assert len(received) == 500
    assert sorted(received) == sorted(_ids(uuids))  # each exactly once
    assert _states() == {"sent": 500}


def test_one_message_in_three_refused_all_delivered_once(ctx, smtp_server):
    smtp_server.fail_every = 3
    uuids = queue_emails(300)

    _dispatch_until_done(clock.now(), dt.timedelta(hours=1))

    assert smtp_server.failed >= 100  # the server really refused a third of the attempts
    received = smtp_server.message_ids()
    assert len(received) == 300 and sorted(received) == sorted(_ids(uuids))
    retried = db.session.scalars(select(OutboxMessage).where(OutboxMessage.attempts > 1)).all()
    assert len(retried) >= 100
    assert all(r.last_error is None and str(r.state) == "sent" for r in retried)


def test_a_refused_address_fails_at_once_and_the_others_go(ctx, smtp_server):
    smtp_server.refuse("person1@example.org")
    queue_emails(3)

    report = dispatch.dispatch_due()

    assert report.counts == {"sent": 2, "retry": 0, "failed": 1, "uncertain": 0, "recovered": 0}
    failed = db.session.scalar(select(OutboxMessage).where(OutboxMessage.state == OutboxState.FAILED))
    assert failed.recipient_address == "person1@example.org"
    assert "550" in failed.last_error and failed.attempts == 1
    assert len(smtp_server.messages) == 2


def test_retries_stop_24_hours_after_the_first_attempt(ctx, smtp_server):
    smtp_server.down()
    queue_emails(1)
    start = clock.now()

    for hours in range(24):
        dispatch.dispatch_due(start + dt.timedelta(hours=hours, seconds=1))
    db.session.remove()
    row = db.session.scalar(select(OutboxMessage))
    assert str(row.state) == "pending"  # still trying on the last hour of its day

    dispatch.dispatch_due(start + dt.timedelta(hours=24, minutes=1))
    db.session.remove()
    row = db.session.scalar(select(OutboxMessage))
    assert str(row.state) == "failed"
    assert "cannot connect" in row.last_error and "gave up" in row.last_error
    assert row.attempts >= 24


def test_backoff_doubles_from_30_seconds_to_an_hour():
    delays = [dispatch.retry_delay(n).total_seconds() for n in range(1, 11)]
    assert delays == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]


class SimulatedCrash(BaseException):
    """An error that stops the job right after the server accepted a message (not a failed send)."""


def test_a_dispatch_stopped_by_an_error_halfway_leaves_no_duplicates(ctx, smtp_server, monkeypatch):
    uuids = queue_emails(10)
    real_send = backends.SmtpSender.send
    sent = []

    def send_then_stop(self, message):
        real_send(self, message)
        sent.append(message.uuid)
        if len(sent) == 5:
            raise SimulatedCrash

    monkeypatch.setattr(backends.SmtpSender, "send", send_then_stop)
    with pytest.raises(SimulatedCrash):
        job_runs.run("dispatch", lambda now, dry_run: dispatch.dispatch_due(now))
    monkeypatch.setattr(backends.SmtpSender, "send", real_send)
    db.session.remove()
    # The rows after the one on its way went back at once; that one waits for its lease.
    assert _states() == {"sent": 4, "sending": 1, "pending": 5}
    crashed_id = db.session.scalar(select(JobRun.id).where(JobRun.job == "dispatch", JobRun.state == "running"))
    assert crashed_id is not None

    assert dispatch.dispatch_due().counts["sent"] == 5
    with time_machine.travel(clock.now() + dispatch.LEASE + dt.timedelta(seconds=5), tick=True):
        outcome = job_runs.run("dispatch", lambda now, dry_run: dispatch.dispatch_due(now))

    assert outcome.counts == {"sent": 0, "retry": 0, "failed": 0, "uncertain": 1, "recovered": 0}
    received = smtp_server.message_ids()
    assert sorted(received) == sorted(_ids(uuids))  # all ten, each once
    db.session.remove()
    assert _states() == {"sent": 9, "failed": 1}
    uncertain = db.session.scalar(select(OutboxMessage).where(OutboxMessage.state == OutboxState.FAILED))
    assert uncertain.uuid == uuids[4]  # the one on its way: delivered, but nobody could know
    assert "may have been delivered" in uncertain.last_error
    assert db.session.get(JobRun, crashed_id).state == "interrupted"


def test_dry_run_counts_and_sends_nothing(ctx, smtp_server):
    queue_emails(4)

    report = dispatch.dispatch_due(dry_run=True)

    assert report.counts["due"] == 4 and report.counts["email"] == 4
    assert smtp_server.messages == []
    assert _states() == {"pending": 4}


def test_an_administrator_can_send_a_failed_notification_again(world, smtp_server):
    smtp_server.refuse("person0@example.org")
    [uuid_] = queue_emails(1)
    dispatch.dispatch_due()
    failed = db.session.scalar(select(OutboxMessage))
    assert failed.state == OutboxState.FAILED

    with pytest.raises(NotAllowed):
        dispatch.retry_failed(failed.id, actor=world.hanna)
    smtp_server.refused_addresses.clear()
    dispatch.retry_failed(failed.id, actor=world.admin)
    with pytest.raises(NotAllowed):  # it is waiting now, not failed
        dispatch.retry_failed(failed.id, actor=world.admin)

    assert dispatch.dispatch_due().counts["sent"] == 1
    assert smtp_server.message_ids() == _ids([uuid_])
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "notification_retried"))
    assert entry.user_id == world.admin.id
