"""Mailings (utskick, F-MAIL-*): here the deadline of a mailing's yes/no question (F-MAIL-2, F-JOB-4).

When a mailing's answer deadline has passed, the cases whose applicant did not answer move
to the mailing's no-answer status (e.g. "Plats ej bekräftad"), as if a handler had
changed the status: the history says so and the applicant is told per the e-service's
notification settings. Each recipient is dealt with once.
"""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from sqlalchemy import select, update

from shared import clock
from shared.db import db, transactional
from shared.errors import NotFound
from shared.models import Case, Mailing, MailingRecipient, Status
from shared.services.cases import lock_case, move_to_status
from shared.services.jobs import JobReport


def _past_deadline(today: dt.date):
    return (
        Mailing.sent_at.is_not(None),
        Mailing.question.is_not(None),
        Mailing.question != "",
        Mailing.answer_deadline.is_not(None),
        Mailing.answer_deadline < today,
        Mailing.no_answer_status_id.is_not(None),
    )


@transactional
def _no_answer(recipient_id: int) -> str:
    recipient = db.session.get(MailingRecipient, recipient_id)
    if recipient is None:
        return "gone"
    try:
        case = lock_case(recipient.case_id)
    except NotFound:
        return "gone"
    db.session.refresh(recipient)
    if recipient.answer is not None or recipient.no_answer_action_at is not None:
        return "answered"
    recipient.no_answer_action_at = clock.now()
    mailing = recipient.mailing
    status = db.session.get(Status, mailing.no_answer_status_id)
    if status is None or status.group_id != case.eservice.status_group_id:
        return "skipped"  # the status was removed or belongs to another e-service
    if case.closed_at is not None or case.status_id == status.id:
        return "skipped"  # already closed, or already there
    move_to_status(case, status, actor=None, notify_applicant=True, mailing_id=mailing.id, no_answer=True)
    return "moved"


def run_no_answer_actions(now: dt.datetime | None = None, *, dry_run: bool = False) -> JobReport:
    """Move the cases that did not answer a mailing's question by its deadline to the mailing's no-answer status."""
    now = now or clock.now()
    today = clock.to_local(now).date()
    rows = db.session.execute(
        select(MailingRecipient.id, Case.number, Mailing.id.label("mailing_id"))
        .join(Mailing, Mailing.id == MailingRecipient.mailing_id)
        .join(Case, Case.id == MailingRecipient.case_id)
        .where(
            *_past_deadline(today), MailingRecipient.answer.is_(None), MailingRecipient.no_answer_action_at.is_(None)
        )
        .order_by(Mailing.id, MailingRecipient.id)
    ).all()
    db.session.commit()
    if dry_run:
        lines = [
            _("Case %(number)s did not answer mailing %(mailing)d", number=r.number or "-", mailing=r.mailing_id)
            for r in rows
        ]
        return JobReport(counts={"would_move": len(rows)}, lines=lines)
    moved = sum(1 for r in rows if _no_answer(r.id) == "moved")
    # A mailing whose recipients have all been dealt with is done.
    done = db.session.execute(
        update(Mailing)
        .where(
            *_past_deadline(today),
            Mailing.no_answer_ran_at.is_(None),
            ~Mailing.recipients.any(
                (MailingRecipient.answer.is_(None)) & (MailingRecipient.no_answer_action_at.is_(None))
            ),
        )
        .values(no_answer_ran_at=clock.now())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return JobReport(counts={"moved": moved, "mailings_done": done})


__all__ = ["run_no_answer_actions"]
