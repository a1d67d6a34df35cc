"""Overdue cases (F-JOB-1): open cases past their due date are marked and their handlers told, once."""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from sqlalchemy import select

from shared import clock, notify
from shared.db import db, transactional
from shared.errors import NotFound
from shared.models import Case, NotificationEvent
from shared.services import events
from shared.services.cases import lock_case
from shared.services.jobs import JobReport


def _overdue(now: dt.datetime):
    """The cases that are overdue at ``now`` and not yet marked: submitted, open, clock running, past due."""
    return (
        Case.number.is_not(None),
        Case.closed_at.is_(None),
        Case.due_paused_at.is_(None),
        Case.due_at < now,
        Case.overdue_notified_at.is_(None),
    )


@transactional
def _mark(case_id: int, now: dt.datetime) -> bool:
    try:
        case = lock_case(case_id)
    except NotFound:  # deleted since it was listed
        return False
    still_overdue = db.session.scalar(select(Case.id).where(Case.id == case_id, *_overdue(now))) is not None
    if not still_overdue:
        return False  # changed since it was listed (closed, paused, marked by another run)
    case.overdue_notified_at = clock.now()
    events.record(case, "overdue", due_at=case.due_at)
    notify.queue(case, NotificationEvent.OVERDUE)
    return True


def mark_overdue_cases(now: dt.datetime | None = None, *, dry_run: bool = False) -> JobReport:
    """Mark every open case past its due date as overdue and notify its handlers, once per case."""
    now = now or clock.now()
    rows = db.session.execute(
        select(Case.id, Case.number, Case.due_at).where(*_overdue(now)).order_by(Case.due_at, Case.id)
    ).all()
    db.session.commit()
    if dry_run:
        lines = [
            _(
                "Case %(number)s is overdue (due %(due)s)",
                number=r.number,
                due=f"{clock.to_local(r.due_at):%Y-%m-%d %H:%M}",
            )
            for r in rows
        ]
        return JobReport(counts={"overdue": len(rows)}, lines=lines)
    # One case per transaction: a run that stops halfway keeps what it did, and the next
    # run picks up the rest.
    marked = sum(1 for r in rows if _mark(r.id, now))
    return JobReport(counts={"overdue": marked})


__all__ = ["mark_overdue_cases"]
