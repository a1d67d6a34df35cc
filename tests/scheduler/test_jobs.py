"""The domain jobs with a moved clock: overdue, absence expiry, mailing deadlines, subtask reminders."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from scheduler.runner import run_job
from shared import clock
from shared.db import db
from shared.models import (
    Absence,
    Case,
    CaseEvent,
    Channel,
    JobRun,
    Mailing,
    MailingAnswer,
    MailingRecipient,
    NotificationEvent,
    Recipient,
    StatusKind,
    Subtask,
    SubtaskStatus,
)
from shared.services import absences, mailings, overdue, subtasks
from tests import factories
from tests.factories import addresses, outbox

# -- overdue ------------------------------------------------------------------------------------


def _case(world, **kwargs) -> Case:
    return factories.case(world.eservice, citizen=world.citizen, **kwargs)


@pytest.fixture
def overdue_settings(world):
    """The standard switches: overdue to the assigned handlers by e-mail and SMS."""
    for channel in (Channel.EMAIL, Channel.SMS):
        factories.setting(world.eservice, NotificationEvent.OVERDUE, Recipient.ASSIGNED_HANDLERS, channel)


def test_overdue_cases_are_marked_and_their_handlers_told_once(world, overdue_settings):
    world.olle.notify_by_sms, world.olle.mobile_phone = True, "070-123 45 67"
    now = clock.now()
    late = _case(world, users=[world.hanna, world.olle], due_at=now - dt.timedelta(hours=1))
    late_group = _case(world, groups=[world.group], due_at=now - dt.timedelta(days=3))
    not_yet = _case(world, users=[world.hanna], due_at=now + dt.timedelta(days=1))
    closed = _case(world, users=[world.hanna], status_kind=StatusKind.COMPLETED, due_at=now - dt.timedelta(days=1))
    closed.closed_at = now
    paused = _case(world, users=[world.hanna], due_at=now - dt.timedelta(days=1), due_paused_at=now)
    db.session.commit()

    report = overdue.mark_overdue_cases()

    assert report.counts == {"overdue": 2}
    db.session.expire_all()
    marked = set(db.session.scalars(select(Case.id).where(Case.overdue_notified_at.is_not(None))))
    assert marked == {late.id, late_group.id}
    assert {e.case_id for e in db.session.scalars(select(CaseEvent).where(CaseEvent.kind == "overdue"))} == marked
    # Assigned handlers by their own channel choices; a group's members (its mailbox is for mailbox settings).
    assert addresses("overdue") == {"hanna@example.org", "olle@example.org", "070-123 45 67", "gun@example.org"}
    assert all(m.case_id in marked for m in outbox("overdue"))

    assert overdue.mark_overdue_cases().counts == {"overdue": 0}
    assert len(outbox("overdue")) == 4
    # Time travel: tomorrow's case is overdue the day after.
    later = overdue.mark_overdue_cases(now + dt.timedelta(days=2))
    assert later.counts == {"overdue": 1}
    assert {m.case_id for m in outbox("overdue")} == marked | {not_yet.id}
    assert not {closed.id, paused.id} & {m.case_id for m in outbox("overdue")}


def test_the_applicant_is_told_of_an_overdue_case_only_if_the_builder_chose_it(world, overdue_settings):
    case = _case(world, users=[world.hanna], due_at=clock.now() - dt.timedelta(hours=1))
    factories.setting(world.eservice, NotificationEvent.OVERDUE, Recipient.APPLICANT, Channel.PORTAL)
    db.session.commit()

    overdue.mark_overdue_cases()

    assert addresses("overdue") == {"hanna@example.org", f"citizen:{world.citizen.id}"}
    assert case.id in {m.case_id for m in outbox("overdue")}


def test_an_overdue_run_that_fails_halfway_is_taken_up_next_period_without_duplicates(
    ctx, world, overdue_settings, monkeypatch
):
    now = clock.now()
    late = [_case(world, users=[world.hanna], due_at=now - dt.timedelta(minutes=n + 1)) for n in range(5)]
    db.session.commit()
    real_queue, calls = overdue.notify.queue, []

    def queue_until_the_third(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("the database went away")
        return real_queue(*args, **kwargs)

    monkeypatch.setattr(overdue.notify, "queue", queue_until_the_third)
    failed = run_job(ctx, "overdue")
    monkeypatch.setattr(overdue.notify, "queue", real_queue)

    assert failed.state == "failed" and "the database went away" in failed.error
    assert len(outbox("overdue")) == 2  # the first two cases were done and kept

    again = run_job(ctx, "overdue")

    assert again.state == "ok" and again.counts == {"overdue": 3}
    per_case = [m.case_id for m in outbox("overdue")]
    assert sorted(per_case) == sorted(c.id for c in late)  # every case once, none twice
    assert [r.state for r in db.session.scalars(select(JobRun).order_by(JobRun.id))] == ["failed", "ok"]


# -- absence expiry ------------------------------------------------------------------------------


def test_absences_end_after_their_last_day_and_forwarding_stops(world):
    today = clock.today()
    ended = factories.absence(
        world.hanna,
        forward_to=world.group,
        starts_on=today - dt.timedelta(days=10),
        ends_on=today - dt.timedelta(days=1),
    )
    current = factories.absence(world.olle, forward_to=world.group, ends_on=today)
    db.session.commit()
    ended_id, current_id = ended.id, current.id

    report = absences.end_expired_absences()

    assert report.counts == {"ended": 1}
    db.session.expire_all()
    assert db.session.get(Absence, ended_id).ended_at is not None
    assert db.session.get(Absence, current_id).ended_at is None  # its last day is today
    assert absences.end_expired_absences().counts == {"ended": 0}
    # Tomorrow (time travel) Olle's ends too.
    assert absences.end_expired_absences(clock.now() + dt.timedelta(days=1)).counts == {"ended": 1}


# -- mailing deadlines ---------------------------------------------------------------------------


@pytest.fixture
def mailing(world):
    """A sent mailing with a yes/no question whose deadline was yesterday, to three cases."""
    no_answer = factories.status(world.eservice, StatusKind.WAITING)
    cases = [_case(world, users=[world.hanna]) for _ in range(3)]
    sent = Mailing(
        eservice_id=world.eservice.id,
        channel=Channel.EMAIL,
        subject="Bekräfta platsen",
        body="Vill du behålla platsen?",
        question="Vill du behålla platsen?",
        answer_deadline=clock.today() - dt.timedelta(days=1),
        no_answer_status_id=no_answer.id,
        sent_at=clock.now() - dt.timedelta(days=14),
    )
    sent.recipients = [MailingRecipient(case=c) for c in cases]
    sent.recipients[0].answer, sent.recipients[0].answered_at = MailingAnswer.YES, clock.now()
    db.session.add(sent)
    factories.setting(world.eservice, NotificationEvent.STATUS_CHANGED, Recipient.APPLICANT, Channel.EMAIL)
    db.session.commit()
    return sent, cases, no_answer


def test_cases_that_did_not_answer_by_the_deadline_move_to_the_no_answer_status(world, mailing):
    sent, (answered, silent, silent_too), no_answer = mailing
    ids = {c.id for c in (silent, silent_too)}

    report = mailings.run_no_answer_actions()

    assert report.counts == {"moved": 2, "mailings_done": 1}
    db.session.expire_all()
    statuses = dict(db.session.execute(select(Case.id, Case.status_id)).all())
    assert {statuses[i] for i in ids} == {no_answer.id} and statuses[answered.id] != no_answer.id
    history = db.session.scalars(select(CaseEvent).where(CaseEvent.kind == "status_changed")).all()
    assert {e.case_id for e in history} == ids
    assert all(e.actor_user_id is None and e.data["mailing_id"] == sent.id for e in history)
    assert {m.case_id for m in outbox("status_changed")} == ids  # the applicants are told, per the settings
    assert addresses("status_changed") == {"maria@example.org"}
    assert db.session.get(Mailing, sent.id).no_answer_ran_at is not None
    assert mailings.run_no_answer_actions().counts == {"moved": 0, "mailings_done": 0}  # once


def test_before_the_deadline_nothing_moves(world, mailing):
    sent, _cases, _status = mailing
    a_week_ago = clock.now() - dt.timedelta(days=7)
    assert mailings.run_no_answer_actions(a_week_ago, dry_run=False).counts == {"moved": 0, "mailings_done": 0}
    dry = mailings.run_no_answer_actions(dry_run=True)
    assert dry.counts == {"would_move": 2} and len(dry.lines) == 2


# -- subtask reminders ---------------------------------------------------------------------------


def test_the_responsible_person_is_reminded_of_a_subtask_due_tomorrow_once(world):
    world.olle.notify_by_sms, world.olle.mobile_phone = True, "0701234567"
    case = _case(world, users=[world.hanna])
    today = clock.today()

    def subtask(title, days, responsible, **kwargs):
        task = Subtask(
            case=case, title=title, deadline=today + dt.timedelta(days=days), responsible=responsible, **kwargs
        )
        db.session.add(task)
        return task

    subtask("Kontrollera adressen", 1, world.olle)
    subtask("Ring skolan", 0, world.hanna)
    subtask("Läs intyget", 3, world.hanna)
    subtask("Klar redan", 1, world.hanna, status=SubtaskStatus.RESOLVED)
    db.session.commit()

    report = subtasks.remind_due_subtasks()

    assert report.counts == {"reminded": 2}
    to_olle = next(m for m in outbox("subtask_due") if m.recipient_address == "olle@example.org")
    deadline = f"{clock.today() + dt.timedelta(days=1):%Y-%m-%d}"
    assert f"deluppgiften Kontrollera adressen (tidsfrist {deadline}) i ärende {case.number}" in to_olle.body
    assert addresses("subtask_due") == {"olle@example.org", "0701234567", "hanna@example.org"}
    assert subtasks.remind_due_subtasks().counts == {"reminded": 0}
    # Two days later "Läs intyget" is due tomorrow, and the first two are overdue: one more reminder each.
    assert subtasks.remind_due_subtasks(clock.now() + dt.timedelta(days=2)).counts == {"reminded": 3}
    overdue = [m.body for m in outbox("subtask_due") if m.recipient_address == "olle@example.org"][-1]
    assert f"Kontrollera adressen (tidsfristen {deadline} har passerat)" in overdue
    assert subtasks.remind_due_subtasks(clock.now() + dt.timedelta(days=3)).counts == {"reminded": 0}
