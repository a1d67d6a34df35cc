"""Absence (F-GRP-3): a handler away, with an auto-reply and forwarding to a group mailbox.

Setting an absence is the back office's; while one covers today, ``messages`` forwards the
applicant's messages and sends the auto-reply. Here: the absence ends by itself.
"""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from sqlalchemy import select, update

from shared import clock
from shared.db import db
from shared.models import Absence, StaffUser
from shared.services.jobs import JobReport


def end_expired_absences(now: dt.datetime | None = None, *, dry_run: bool = False) -> JobReport:
    """End every absence whose last day has passed: its forwarding and auto-reply stop."""
    now = now or clock.now()
    today = clock.to_local(now).date()
    expired = db.session.execute(
        select(Absence.id, Absence.ends_on, StaffUser.username)
        .join(StaffUser, StaffUser.id == Absence.user_id)
        .where(Absence.ended_at.is_(None), Absence.ends_on < today)
        .order_by(Absence.id)
    ).all()
    lines = [
        _("The absence of %(user)s ended on %(date)s", user=r.username, date=f"{r.ends_on:%Y-%m-%d}") for r in expired
    ]
    if dry_run:
        db.session.commit()
        return JobReport(counts={"would_end": len(expired)}, lines=lines)
    if not expired:
        db.session.commit()
        return JobReport(counts={"ended": 0})
    ended = db.session.execute(
        update(Absence)
        .where(Absence.id.in_([r.id for r in expired]), Absence.ended_at.is_(None))
        .values(ended_at=clock.now())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return JobReport(counts={"ended": ended}, lines=lines)


__all__ = ["end_expired_absences"]
