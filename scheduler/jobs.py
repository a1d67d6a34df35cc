"""The scheduled jobs: one small function per job, each calling one service.

A job is registered with ``@job(name, trigger, **trigger args)``; the scheduler runs it
inside an app context through ``shared.services.jobs.run`` (lock, slot, run log). Every
job function takes ``now`` (the time it judges by; ``etjanst jobs run NAME --now`` moves
it) and ``dry_run``, and returns the service's ``JobReport``. Every job is idempotent.

| job | when | does |
|---|---|---|
| dispatch | every 30 s | sends due notifications (e-mail, SMS, Mina sidor) with retries |
| overdue | every 15 min | marks open cases past their due date, tells their handlers once |
| retention | nightly 02:30 | deletes/anonymises cases per the e-services' retention rules |
| absence_expiry | every hour | ends absences whose last day has passed |
| mailing_deadlines | every hour | moves cases that did not answer a mailing by its deadline |
| subtask_reminders | daily 07:00 | reminds the responsible person of a subtask the day before its deadline, and once when overdue |
| abandoned_tests | every hour | deletes test runs (Testa e-tjänsten) untouched for a day, with their files |
| export_cleanup | every hour | removes Excel export files past their day; fails exports whose worker died |
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l

from shared.notify.dispatch import dispatch_due
from shared.services.absences import end_expired_absences
from shared.services.export import clean_up_exports
from shared.services.jobs import DEFAULT_LEASE, JobReport
from shared.services.mailings import run_no_answer_actions
from shared.services.overdue import mark_overdue_cases
from shared.services.retention import run_retention
from shared.services.subtasks import remind_due_subtasks
from shared.services.trial_runs import delete_abandoned_tests

_INTERVAL_UNITS = ("weeks", "days", "hours", "minutes", "seconds")


@dataclass(frozen=True)
class JobSpec:
    name: str
    func: Callable[..., Any]
    trigger: str  # "interval" (aligned to the clock, so every process fires at the same moments) or "cron"
    trigger_args: dict[str, Any] = field(default_factory=dict)
    description: Any = ""
    # How far back the current slot can lie (a period of the trigger).
    period: dt.timedelta = dt.timedelta(days=1)
    lease: dt.timedelta = DEFAULT_LEASE
    # A run this much late still runs (a nightly job after a short downtime).
    misfire_grace: int = 300


JOBS: dict[str, JobSpec] = {}


def job(
    name: str,
    trigger: str = "interval",
    description: Any = "",
    *,
    lease: dt.timedelta = DEFAULT_LEASE,
    misfire_grace: int = 300,
    **trigger_args: Any,
):
    """Register a function ``func(now, dry_run) -> JobReport`` as a scheduled job."""

    def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
        if trigger == "interval":
            period = dt.timedelta(**{k: v for k, v in trigger_args.items() if k in _INTERVAL_UNITS})
        else:
            period = dt.timedelta(days=1)
        JOBS[name] = JobSpec(
            name,
            func,
            trigger,
            trigger_args,
            description or (func.__doc__ or "").strip(),
            period=period,
            lease=lease,
            misfire_grace=misfire_grace,
        )
        return func

    return decorator


@job("dispatch", "interval", _l("Send queued notifications (e-mail, SMS, Mina sidor) with retries"), seconds=30)
def dispatch(now: dt.datetime, dry_run: bool = False) -> JobReport:
    return dispatch_due(now, dry_run=dry_run)


@job("overdue", "interval", _l("Mark open cases past their due date and tell their handlers, once"), minutes=15)
def overdue(now: dt.datetime, dry_run: bool = False) -> JobReport:
    return mark_overdue_cases(now, dry_run=dry_run)


@job(
    "retention",
    "cron",
    _l("Delete or anonymise cases per the e-services' retention rules"),
    lease=dt.timedelta(hours=1),
    misfire_grace=3 * 3600,
    hour=2,
    minute=30,
)
def retention(now: dt.datetime, dry_run: bool = False) -> JobReport:
    return run_retention(now, dry_run=dry_run)


@job("absence_expiry", "interval", _l("End absences whose last day has passed"), hours=1)
def absence_expiry(now: dt.datetime, dry_run: bool = False) -> JobReport:
    return end_expired_absences(now, dry_run=dry_run)


@job(
    "mailing_deadlines",
    "interval",
    _l("Move cases that did not answer a mailing by its deadline to its no-answer status"),
    hours=1,
)
def mailing_deadlines(now: dt.datetime, dry_run: bool = False) -> JobReport:
    return run_no_answer_actions(now, dry_run=dry_run)


@job(
    "subtask_reminders",
    "cron",
    _l("Remind the responsible person of a subtask the day before its deadline, and once more when it is overdue"),
    misfire_grace=3 * 3600,
    hour=7,
    minute=0,
)
def subtask_reminders(now: dt.datetime, dry_run: bool = False) -> JobReport:
    return remind_due_subtasks(now, dry_run=dry_run)


@job(
    "abandoned_tests", "interval", _l("Delete e-service test runs left untouched for a day, with their files"), hours=1
)
def abandoned_tests(now: dt.datetime, dry_run: bool = False) -> JobReport:
    return delete_abandoned_tests(now, dry_run=dry_run)


@job(
    "export_cleanup",
    "interval",
    _l("Remove Excel export files past their day, and mark exports whose worker stopped as failed"),
    hours=1,
)
def export_cleanup(now: dt.datetime, dry_run: bool = False) -> JobReport:
    return clean_up_exports(now, dry_run=dry_run)
