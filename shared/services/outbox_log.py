"""Utkorgen (F-NOT-4): the notification outbox as administrators see it, and sending failed rows again.

A screen lists the outbox through ``outbox_page`` (filters, newest first, paged; the
counts per state come from one grouped query, which also gives the number of pages),
opens one row through ``outbox_message``, and sends the failed rows of a filter again
through ``retry_failed_matching`` (one row: ``shared.notify.dispatch.retry_failed``).
Administrators only: every function refuses anyone else.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import defer

from shared import clock
from shared.db import db, transactional
from shared.errors import NotAllowed, NotFound
from shared.models import AuditEntry, Case, Channel, Citizen, NotificationEvent, OutboxMessage, OutboxState, StaffUser
from shared.services import access, audit, listing

PAGE_SIZE = 50
# The longest recipient text searched for (an e-mail address is at most 320 characters).
_MAX_SEARCH = 320


@dataclass(frozen=True)
class OutboxFilter:
    """What the administrator narrowed the outbox down to."""

    state: OutboxState | None = None
    channel: Channel | None = None
    event: str | None = None
    case_number: int | None = None
    recipient: str = ""  # a part of the address or of the recipient's name
    created_from: dt.date | None = None  # local (Swedish) calendar days, both included
    created_to: dt.date | None = None

    @property
    def active(self) -> bool:
        return any(
            (
                self.state,
                self.channel,
                self.event,
                self.case_number is not None,
                self.recipient,
                self.created_from,
                self.created_to,
            )
        )

    def as_args(self) -> dict[str, str]:
        """The filter as the screen's query arguments (for links and forms that keep it)."""
        args = {
            "state": str(self.state) if self.state else "",
            "channel": str(self.channel) if self.channel else "",
            "event": self.event or "",
            "case": str(self.case_number) if self.case_number is not None else "",
            "recipient": self.recipient,
            "from": self.created_from.isoformat() if self.created_from else "",
            "to": self.created_to.isoformat() if self.created_to else "",
        }
        return {key: value for key, value in args.items() if value}


def parse_filter(args: Mapping[str, Any]) -> tuple[OutboxFilter, list[str]]:
    """Read the filter from query arguments; a value that cannot be read is left out and explained."""
    problems: list[str] = []

    def choice(key: str, values: list[str], problem: str) -> str | None:
        raw = str(args.get(key) or "").strip()
        if raw and raw not in values:
            problems.append(problem)
            return None
        return raw or None

    state = choice("state", [s.value for s in OutboxState], _("The state filter could not be read."))
    channel = choice("channel", [c.value for c in Channel], _("The channel filter could not be read."))
    event = str(args.get("event") or "").strip()[:40] or None
    case_text = str(args.get("case") or "").strip()
    case_number = listing.whole_number(case_text)
    if case_text and case_number is None:
        problems.append(_("Enter a case number with digits only."))
    recipient = " ".join(str(args.get("recipient") or "").split())[:_MAX_SEARCH]
    created_from, created_to = listing.date_range(args, problems)
    return (
        OutboxFilter(
            state=OutboxState(state) if state else None,
            channel=Channel(channel) if channel else None,
            event=event,
            case_number=case_number,
            recipient=recipient,
            created_from=created_from,
            created_to=created_to,
        ),
        sorted(set(problems)),
    )


def _require_admin(actor: StaffUser | None) -> None:
    if not access.is_admin(actor):
        raise NotAllowed(_("Only administrators may see the outbox."))


def _day_starts(day: dt.date) -> dt.datetime:
    """The stored (naive UTC) time at which a Swedish calendar day starts."""
    local_midnight = dt.datetime.combine(day, dt.time.min, tzinfo=clock.LOCAL_TZ)
    return local_midnight.astimezone(dt.UTC).replace(tzinfo=None)


def _contains(column, text: str) -> ColumnElement[bool]:
    return func.lower(column).contains(text.lower(), autoescape=True)


def _conditions(filters: OutboxFilter) -> list[ColumnElement[bool]]:
    m = OutboxMessage
    conditions: list[ColumnElement[bool]] = []
    if filters.state:
        conditions.append(m.state == filters.state)
    if filters.channel:
        conditions.append(m.channel == filters.channel)
    if filters.event:
        conditions.append(m.event == filters.event)
    if filters.case_number is not None:
        conditions.append(m.case_id.in_(select(Case.id).where(Case.number == filters.case_number)))
    if filters.recipient:
        text = filters.recipient
        citizen_name = func.coalesce(Citizen.first_name, "") + " " + func.coalesce(Citizen.last_name, "")
        user_name = func.coalesce(StaffUser.first_name, "") + " " + func.coalesce(StaffUser.last_name, "")
        conditions.append(
            _contains(m.recipient_address, text)
            | m.recipient_citizen_id.in_(select(Citizen.id).where(_contains(citizen_name, text)))
            | m.recipient_user_id.in_(
                select(StaffUser.id).where(_contains(user_name, text) | _contains(StaffUser.username, text))
            )
        )
    if filters.created_from:
        conditions.append(m.created_at >= _day_starts(filters.created_from))
    if filters.created_to:
        conditions.append(m.created_at < _day_starts(filters.created_to + dt.timedelta(days=1)))
    return conditions


@dataclass
class OutboxRow:
    message: OutboxMessage
    case_number: int | None  # None: no case, or the case was deleted
    recipient_name: str | None  # the citizen's or handler's name, when the row names them


@dataclass
class OutboxPage:
    rows: list[OutboxRow]
    page: int
    page_size: int
    total: int  # rows matching the filter
    # Rows per state for the filter without its state (the summary at the top of the screen).
    state_counts: dict[OutboxState, int] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def failed(self) -> int:
        """Failed rows matching the filter (what "send all failed again" would send)."""
        return self.state_counts.get(OutboxState.FAILED, 0)


def state_counts(filters: OutboxFilter) -> dict[OutboxState, int]:
    """How many rows of each state match the filter (its own state left aside): one grouped query."""
    rows = db.session.execute(
        select(OutboxMessage.state, func.count())
        .where(*_conditions(replace(filters, state=None)))
        .group_by(OutboxMessage.state)
    ).all()
    found = {OutboxState(state): count for state, count in rows}
    return {state: found.get(state, 0) for state in OutboxState}


def _names(rows: list[OutboxMessage]) -> tuple[dict[int, str], dict[int, str]]:
    citizen_ids = {r.recipient_citizen_id for r in rows if r.recipient_citizen_id is not None}
    user_ids = {r.recipient_user_id for r in rows if r.recipient_user_id is not None}
    citizens = (
        {c.id: str(c) for c in db.session.scalars(select(Citizen).where(Citizen.id.in_(citizen_ids)))}
        if citizen_ids
        else {}
    )
    users = (
        {u.id: u.display_name for u in db.session.scalars(select(StaffUser).where(StaffUser.id.in_(user_ids)))}
        if user_ids
        else {}
    )
    return citizens, users


def _recipient_name(message: OutboxMessage, citizens: dict[int, str], users: dict[int, str]) -> str | None:
    if message.recipient_citizen_id is not None:
        return citizens.get(message.recipient_citizen_id)
    if message.recipient_user_id is not None:
        return users.get(message.recipient_user_id)
    return None


def outbox_page(
    *, actor: StaffUser, filters: OutboxFilter | None = None, page: int = 1, page_size: int = PAGE_SIZE
) -> OutboxPage:
    """One page of the outbox for an administrator, newest first, with the counts per state."""
    _require_admin(actor)
    filters = filters or OutboxFilter()
    counts = state_counts(filters)
    total = counts[filters.state] if filters.state else sum(counts.values())
    pages = max(1, math.ceil(total / page_size))
    page = min(max(1, page), pages)
    query = (
        select(OutboxMessage, Case.number)
        .outerjoin(Case, Case.id == OutboxMessage.case_id)
        .where(*_conditions(filters))
        .options(defer(OutboxMessage.body))
        # Newest first by id: it grows with the time of writing, and it has an index.
        .order_by(OutboxMessage.id.desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    )
    found = db.session.execute(query).all()
    citizens, users = _names([message for message, _number in found])
    rows = [OutboxRow(message, number, _recipient_name(message, citizens, users)) for message, number in found]
    return OutboxPage(rows, page, page_size, total, counts)


@dataclass
class OutboxDetail:
    message: OutboxMessage
    case_number: int | None
    recipient_name: str | None
    # The times an administrator sent it again (audit entries), newest first.
    retries: list[AuditEntry]


def outbox_message(message_id: int, *, actor: StaffUser) -> OutboxDetail:
    """One notification of the outbox, with who sent it again and when."""
    _require_admin(actor)
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFound(_("The notification was not found."))
    number = db.session.scalar(select(Case.number).where(Case.id == message.case_id)) if message.case_id else None
    citizens, users = _names([message])
    retries = list(
        db.session.scalars(
            select(AuditEntry)
            .where(
                AuditEntry.action == "notification_retried",
                AuditEntry.object_type == OutboxMessage.__name__,
                AuditEntry.object_id == str(message.id),
            )
            .order_by(AuditEntry.id.desc())
        )
    )
    return OutboxDetail(message, number, _recipient_name(message, citizens, users), retries)


def count_failed_matching(filters: OutboxFilter, *, actor: StaffUser) -> int:
    """How many failed notifications match the filter (what ``retry_failed_matching`` would send)."""
    _require_admin(actor)
    return db.session.scalar(
        select(func.count()).select_from(OutboxMessage).where(*_conditions(replace(filters, state=OutboxState.FAILED)))
    )


@transactional
def retry_failed_matching(filters: OutboxFilter, *, actor: StaffUser) -> int:
    """Send again every failed notification the filter matches (an administrator's decision); how many."""
    if not access.is_admin(actor):
        raise NotAllowed(_("Only an administrator may send a notification again."))
    conditions = _conditions(replace(filters, state=OutboxState.FAILED))
    # One statement: a row is failed until it is retried, and the dispatcher never claims a failed row.
    retried = db.session.execute(
        update(OutboxMessage)
        .where(*conditions)
        .values(state=OutboxState.PENDING, next_attempt_at=clock.now(), first_attempt_at=None, claimed_by=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    if retried:
        details: dict[str, Any] = {"count": retried}
        details.update({key: value for key, value in filters.as_args().items() if key != "state"})
        audit.record("notifications_retried", user=actor, details=details)
    db.session.expire_all()
    return retried


EVENTS: tuple[str, ...] = tuple(e.value for e in NotificationEvent)

__all__ = [
    "EVENTS",
    "PAGE_SIZE",
    "OutboxDetail",
    "OutboxFilter",
    "OutboxPage",
    "OutboxRow",
    "count_failed_matching",
    "outbox_message",
    "outbox_page",
    "parse_filter",
    "retry_failed_matching",
    "state_counts",
]
