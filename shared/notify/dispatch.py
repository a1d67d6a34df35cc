"""Delivering the outbox (F-NOT-4): claim the due rows, send them, record each result.

A row is never sent twice:

- **Claim, committed before sending.** A batch of due rows of one channel is claimed in
  one statement (``UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING id``
  on PostgreSQL; on SQLite the single UPDATE holds the database's write lock, which is
  as safe): state ``sending``, ``claimed_by`` a token of this batch, ``next_attempt_at``
  the claim's lease (renewed while the batch runs). Nobody else takes a claimed row.
- **Result, committed after each send.** Each row's result is committed as soon as it is
  known, while the next row goes out (a thread of the batch writes the results in order;
  a result waits until the one before it is committed): ``sent``; or ``pending`` again
  with exponential backoff (30 s, 1 min, 2 min … at most an hour apart) for as long as 24
  hours after its first attempt, then ``failed``; or ``failed`` at once when retrying
  cannot help. ``last_error`` says why.
- **A batch stopped by an error** of ours (not a failed send) gives back at once the rows
  it never touched; the row it was sending stays ``sending`` until its lease runs out.
- **A dead batch.** If the process dies during a batch, its lease runs out and the next
  dispatch takes the batch back: the first two rows still ``sending`` (the one on its way
  and the one whose result was being written) may have been delivered, so they are
  marked ``failed`` with an error saying so (an administrator decides about sending them
  again); the rows after them were never touched and are sent. Mina sidor notices are
  written in the transaction that records the row as sent (and are unique on its uuid),
  so they are simply sent again.

E-mail goes over one SMTP connection per batch; every message carries the row's uuid as
its Message-ID (the SMS gateway gets it as an Idempotency-Key), so even a duplicate
forced by the network could be recognised downstream.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Connection, bindparam, func, select, update
from sqlalchemy.exc import IntegrityError

from shared import clock, roles
from shared.db import db, is_postgresql, transactional
from shared.errors import NotAllowed, NotFound
from shared.models import Channel, OutboxMessage, OutboxState, StaffUser
from shared.notify.backends import DeliveryError, Outgoing, TemporaryFailure, make_sender
from shared.services.jobs import JobReport, host_name

BATCH_SIZE = 100
LEASE = dt.timedelta(minutes=5)
RETRY_WINDOW = dt.timedelta(hours=24)
FIRST_RETRY = dt.timedelta(seconds=30)
LONGEST_RETRY = dt.timedelta(hours=1)
MAX_SECONDS = 240  # one run stops claiming after this long; the next run goes on
CHANNELS = (Channel.PORTAL, Channel.EMAIL, Channel.SMS)
# The rows of a batch that may have gone out without their result being recorded: the one
# being sent and the one whose result was being written (see _Recorder).
IN_FLIGHT = 2
UNCERTAIN = (
    "Interrupted while sending: the notification may have been delivered. It is not sent again by itself; "
    "retry it if the recipient did not get it."
)

log = logging.getLogger("etjanst.notify")

_table = OutboxMessage.__table__
_c = _table.c


def retry_delay(attempts: int) -> dt.timedelta:
    """How long to wait after the given number of failed attempts: 30 s, doubling, at most an hour."""
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), LONGEST_RETRY)


@dataclass(frozen=True)
class _Row:
    message: Outgoing
    attempts: int
    first_attempt_at: dt.datetime | None


@dataclass
class _Claim:
    token: str
    channel: Channel
    rows: list[_Row]


def _settings() -> tuple[int, float]:
    config = current_app.config
    return int(config.get("DISPATCH_BATCH_SIZE") or BATCH_SIZE), float(
        config.get("DISPATCH_MAX_SECONDS") or MAX_SECONDS
    )


# -- claiming ----------------------------------------------------------------------------------


def _claim(channel: Channel, now: dt.datetime, size: int) -> _Claim | None:
    """Claim up to ``size`` due rows of one channel, committed before anything is sent."""
    token = f"{host_name()}:{uuid.uuid4().hex[:12]}"
    due = (
        select(_c.id)
        .where(_c.channel == channel, _c.state == OutboxState.PENDING, _c.next_attempt_at <= now)
        .order_by(_c.next_attempt_at, _c.id)
        .limit(size)
    )
    if is_postgresql():
        due = due.with_for_update(skip_locked=True)
    claimed = (
        db.session.execute(
            update(_table)
            .where(_c.id.in_(due.scalar_subquery()))
            .values(state=OutboxState.SENDING, claimed_by=token, next_attempt_at=clock.now() + LEASE)
            .returning(_c.id)
        )
        .scalars()
        .all()
    )
    if not claimed:
        db.session.commit()
        return None
    rows = db.session.execute(
        select(
            _c.id,
            _c.uuid,
            _c.channel,
            _c.recipient_address,
            _c.recipient_citizen_id,
            _c.case_id,
            _c.subject,
            _c.body,
            _c.link,
            _c.attempts,
            _c.first_attempt_at,
        )
        .where(_c.claimed_by == token)
        .order_by(_c.id)
    ).all()
    db.session.commit()
    return _Claim(
        token,
        channel,
        [
            _Row(
                Outgoing(
                    r.id,
                    r.uuid,
                    Channel(r.channel),
                    r.recipient_address,
                    r.recipient_citizen_id,
                    r.case_id,
                    r.subject,
                    r.body,
                    r.link,
                ),
                r.attempts,
                r.first_attempt_at,
            )
            for r in rows
        ],
    )


def _renew(claim: _Claim) -> None:
    db.session.execute(
        update(_table)
        .where(_c.claimed_by == claim.token, _c.state == OutboxState.SENDING)
        .values(next_attempt_at=clock.now() + LEASE)
    )
    db.session.commit()


def recover_expired_claims(now: dt.datetime | None = None) -> Counter:
    """Take back the rows of batches whose lease ran out (their process died); see the module's docstring."""
    now = now or clock.now()
    rows = db.session.execute(
        select(_c.id, _c.claimed_by, _c.channel)
        .where(_c.state == OutboxState.SENDING, _c.next_attempt_at < clock.now())
        .order_by(_c.id)
    ).all()
    uncertain, again, seen = [], [], Counter()
    for row in rows:
        seen[row.claimed_by] += 1
        if seen[row.claimed_by] <= IN_FLIGHT and Channel(row.channel) != Channel.PORTAL:
            uncertain.append(row.id)
        else:
            again.append(row.id)
    # Counted by what the updates changed: a dead batch's last result may still have been
    # committed by the database after the rows were listed (its statement outlives the process).
    marked = taken_back = 0
    if uncertain:
        marked = db.session.execute(
            update(_table)
            .where(_c.id.in_(uncertain), _c.state == OutboxState.SENDING)
            .values(state=OutboxState.FAILED, claimed_by=None, last_error=UNCERTAIN, attempts=_c.attempts + 1)
            .execution_options(synchronize_session=False)
        ).rowcount
    if again:
        taken_back = db.session.execute(
            update(_table)
            .where(_c.id.in_(again), _c.state == OutboxState.SENDING)
            .values(state=OutboxState.PENDING, claimed_by=None, next_attempt_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
    db.session.commit()
    return Counter({"uncertain": marked, "recovered": taken_back})


# -- recording ---------------------------------------------------------------------------------

_RESULT = (
    _table.update()
    .where(_c.id == bindparam("row_id"), _c.claimed_by == bindparam("token"))
    .values(
        state=bindparam("new_state"),
        attempts=bindparam("attempts_after"),
        first_attempt_at=bindparam("first_at"),
        sent_at=bindparam("sent_time"),
        next_attempt_at=bindparam("next_at"),
        last_error=bindparam("error"),
        claimed_by=None,
    )
)


class _Recorder:
    """Writes each row's result as soon as it is known.

    E-mail and SMS results are written by a worker thread of this batch on an autocommit
    connection of its own (one statement, one round trip, committed by itself), while the
    next message goes out: the database and the mail server work at the same time. A
    result is handed over only once the previous one is committed, so at most two rows
    (one being recorded, one being sent) are ever unrecorded; ``recover_expired_claims``
    knows it. Mina sidor results are committed with the notice the sender added to the session.
    """

    def __init__(self, claim: _Claim, at: dt.datetime, counts: Counter) -> None:
        self.claim, self.at, self.counts = claim, at, counts
        self._connection: Connection | None = None
        self._pending: Future | None = None
        if claim.channel != Channel.PORTAL:
            self._connection = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox-results")

    def _wait(self) -> None:
        """Until the previous result is committed; its error, if any, stops the batch."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def _write(self, row: _Row, **values) -> None:
        params = {
            "row_id": row.message.id,
            "token": self.claim.token,
            "attempts_after": row.attempts + 1,
            "first_at": row.first_attempt_at or self.at,
            "sent_time": None,
            "next_at": self.at,
            "error": None,
            **values,
        }
        if self._connection is None:
            db.session.execute(_RESULT, params)
            db.session.commit()
            return
        self._wait()
        self._pending = self._writer.submit(self._connection.execute, _RESULT, params)

    def sent(self, row: _Row) -> None:
        self._write(row, new_state=OutboxState.SENT, sent_time=clock.now())
        self.counts["sent"] += 1

    def failed(self, row: _Row, error: DeliveryError) -> None:
        """A failed attempt: try again later (backoff), or give up when retrying cannot help or 24 hours have passed."""
        message = str(error)[:2000] or error.__class__.__name__
        attempts = row.attempts + 1
        first = row.first_attempt_at or self.at
        next_at = self.at + retry_delay(attempts)
        if error.permanent or next_at - first > RETRY_WINDOW:
            if not error.permanent:
                message = f"{message} (gave up after {attempts} attempts in 24 hours)"
            self._write(row, new_state=OutboxState.FAILED, error=message)
            self.counts["failed"] += 1
        else:
            self._write(row, new_state=OutboxState.PENDING, next_at=next_at, error=message)
            self.counts["retry"] += 1

    def close(self) -> None:
        """Wait until every result is committed."""
        if self._connection is None:
            return
        try:
            self._wait()
        finally:
            self._writer.shutdown()
            self._connection.close()
            self._connection = None


# -- sending -----------------------------------------------------------------------------------


def _release(claim: _Claim, rows: list[_Row]) -> None:
    """Give back rows of a batch that stopped before touching them (best effort: else its lease runs out)."""
    if not rows:
        return
    try:
        db.session.rollback()
        db.session.execute(
            update(_table)
            .where(_c.id.in_([r.message.id for r in rows]), _c.claimed_by == claim.token)
            .values(state=OutboxState.PENDING, claimed_by=None, next_attempt_at=clock.now())
        )
        db.session.commit()
    except Exception:
        log.warning("could not give back %d unsent notifications; their claim's lease will run out", len(rows))
        db.session.rollback()


def _deliver(claim: _Claim, at: dt.datetime, counts: Counter) -> bool:
    """Send a claimed batch, recording each row's result; False when the channel's connection failed."""
    touched = 0  # rows handed to the sender or given up on; the rest go back if the batch stops
    try:
        with closing(_Recorder(claim, at, counts)) as recorder:
            try:
                sender = make_sender(claim.channel)
            except DeliveryError as exc:
                touched = len(claim.rows)
                for row in claim.rows:
                    recorder.failed(row, exc)
                return False
            with closing(sender):
                renewed = time.monotonic()
                for index, row in enumerate(claim.rows):
                    if time.monotonic() - renewed > LEASE.total_seconds() / 3:
                        _renew(claim)
                        renewed = time.monotonic()
                    touched = index + 1
                    try:
                        sender.send(row.message)
                    except Exception as exc:  # a bug in one row must not stop the others
                        db.session.rollback()
                        error = (
                            exc
                            if isinstance(exc, DeliveryError)
                            else TemporaryFailure(f"{exc.__class__.__name__}: {exc}")
                        )
                        recorder.failed(row, error)
                        if error.connection:  # the rest of the batch could not go either: each attempt counts
                            touched = len(claim.rows)
                            for rest in claim.rows[index + 1 :]:
                                recorder.failed(rest, error)
                            return False
                        continue
                    try:
                        recorder.sent(row)
                    except IntegrityError:  # a Mina sidor notice of this row exists already: it was delivered
                        db.session.rollback()
                        recorder.sent(row)
                return True
    finally:
        # Stopped by an error of our own (not a failed send): the rows never handed to the
        # sender go back at once; the one on its way stays for recovery (see the docstring).
        _release(claim, claim.rows[touched:])


def dispatch_due(now: dt.datetime | None = None, *, dry_run: bool = False) -> JobReport:
    """Send every notification that is due (F-NOT-4); a dry run only counts them."""
    now = now or clock.now()
    if dry_run:
        return due_report(now)
    size, max_seconds = _settings()
    counts = recover_expired_claims(now)
    started = time.monotonic()
    active = list(CHANNELS)
    while active and time.monotonic() - started < max_seconds:
        for channel in list(active):
            # Failures wait from the later of the two times, so a time-travelled run does not
            # take the same rows again at once.
            at = max(now, clock.now())
            claim = _claim(channel, now, size)
            if claim is None or not _deliver(claim, at, counts):
                active.remove(channel)
    return JobReport(counts={key: counts.get(key, 0) for key in ("sent", "retry", "failed", "uncertain", "recovered")})


def due_report(now: dt.datetime) -> JobReport:
    """What a dispatch would send now, per channel (the dry run)."""
    rows = db.session.execute(
        select(_c.channel, func.count())
        .where(_c.state == OutboxState.PENDING, _c.next_attempt_at <= now)
        .group_by(_c.channel)
    ).all()
    per_channel = {str(channel): count for channel, count in rows}
    lines = [
        _("Mina sidor: %(count)d notices due", count=per_channel.get(str(Channel.PORTAL), 0)),
        _("E-mail: %(count)d notifications due", count=per_channel.get(str(Channel.EMAIL), 0)),
        _("SMS: %(count)d notifications due", count=per_channel.get(str(Channel.SMS), 0)),
    ]
    return JobReport(counts={"due": sum(per_channel.values()), **per_channel}, lines=lines)


@transactional
def retry_failed(message_id: int, *, actor: StaffUser) -> OutboxMessage:
    """Send a failed notification again (an administrator's decision); its 24 hours start anew."""
    from shared.services import audit

    if not actor.has_role(roles.ADMIN):
        raise NotAllowed(_("Only an administrator may send a notification again."))
    message = db.session.get(OutboxMessage, message_id, with_for_update=True)
    if message is None:
        raise NotFound(_("The notification was not found."))
    if message.state != OutboxState.FAILED:
        raise NotAllowed(_("Only a notification that failed can be sent again."))
    message.state = OutboxState.PENDING
    message.next_attempt_at = clock.now()
    message.first_attempt_at = None
    message.claimed_by = None
    audit.record("notification_retried", user=actor, obj=message, details={"event": message.event})
    return message


__all__ = ["dispatch_due", "due_report", "recover_expired_claims", "retry_delay", "retry_failed"]
