"""Subtasks (deluppgifter, F-SUB-*): here the reminder before a subtask's deadline (F-JOB-4)."""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from sqlalchemy import select

from shared import clock, notify
from shared.db import db, transactional
from shared.models import Case, Channel, NotificationEvent, StaffUser, Subtask, SubtaskStatus
from shared.services.jobs import JobReport


def _due_soon(today: dt.date):
    # Due today or tomorrow, not resolved, in an open case, not yet reminded.
    return (
        Subtask.status != SubtaskStatus.RESOLVED,
        Subtask.deadline >= today,
        Subtask.deadline <= today + dt.timedelta(days=1),
        Subtask.reminded_due_at.is_(None),
        Case.closed_at.is_(None),
    )


@transactional
def _remind(subtask_id: int, today: dt.date) -> bool:
    subtask = db.session.get(Subtask, subtask_id, with_for_update=True)
    if subtask is None or subtask.reminded_due_at is not None or subtask.is_resolved:
        return False
    subtask.reminded_due_at = clock.now()
    responsible: StaffUser = subtask.responsible
    # The person's own channel choices (F-GRP-2): e-mail and/or SMS.
    addressees = notify.staff_addressees([responsible], Channel.EMAIL) + notify.staff_addressees(
        [responsible], Channel.SMS
    )
    notify.queue_to(subtask.case, NotificationEvent.SUBTASK_DUE, addressees, extra={"message": subtask.title})
    return True


def remind_due_subtasks(now: dt.datetime | None = None, *, dry_run: bool = False) -> JobReport:
    """Remind the responsible person of each subtask due today or tomorrow, once per subtask."""
    now = now or clock.now()
    today = clock.to_local(now).date()
    rows = db.session.execute(
        select(Subtask.id, Subtask.deadline, Case.number)
        .join(Case, Case.id == Subtask.case_id)
        .where(*_due_soon(today))
        .order_by(Subtask.deadline, Subtask.id)
    ).all()
    db.session.commit()
    if dry_run:
        lines = [
            _("A subtask in case %(number)s is due %(date)s", number=r.number or "-", date=f"{r.deadline:%Y-%m-%d}")
            for r in rows
        ]
        return JobReport(counts={"would_remind": len(rows)}, lines=lines)
    return JobReport(counts={"reminded": sum(1 for r in rows if _remind(r.id, today))})


__all__ = ["remind_due_subtasks"]
