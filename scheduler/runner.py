"""Builds an APScheduler scheduler that runs every registered job inside an app context.

Interval jobs are aligned to the clock (a 30-second job fires at :00 and :30), so every
scheduler process fires a job at the same moments; the slot a run was fired for is the
trigger's latest fire time, and ``shared.services.jobs.run`` lets one process run each
slot (the lock, and the unique (job, slot) in the run log).

``SCHEDULER_INTERVALS`` (``ETJANST_SCHEDULER_INTERVALS="dispatch=2,overdue=5"``) replaces
jobs' schedules by short intervals in seconds, for tests and demonstrations.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask

from scheduler.jobs import JOBS, JobSpec
from shared import clock
from shared.db import db
from shared.services import jobs as job_runs

log = logging.getLogger("etjanst.scheduler")

# Interval triggers count from here, in every process alike.
EPOCH = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


def _timezone(app: Flask) -> str:
    return app.config.get("TIMEZONE") or "Europe/Stockholm"


def interval_overrides(app: Flask) -> dict[str, float]:
    """The short intervals of SCHEDULER_INTERVALS ("dispatch=2,overdue=5"), in seconds per job."""
    raw = app.config.get("SCHEDULER_INTERVALS") or ""
    if isinstance(raw, dict):
        return {str(k): float(v) for k, v in raw.items()}
    overrides = {}
    for part in str(raw).split(","):
        name, _sep, seconds = part.partition("=")
        if not name.strip():
            continue
        if name.strip() not in JOBS:
            log.warning("SCHEDULER_INTERVALS names an unknown job %r", name.strip())
            continue
        overrides[name.strip()] = float(seconds)
    return overrides


def make_trigger(spec: JobSpec, app: Flask) -> tuple[BaseTrigger, dt.timedelta]:
    """The job's trigger (aligned intervals, or cron in Swedish time) and its period."""
    timezone = _timezone(app)
    seconds = interval_overrides(app).get(spec.name)
    if seconds:
        return IntervalTrigger(seconds=seconds, start_date=EPOCH, timezone=timezone), dt.timedelta(seconds=seconds)
    if spec.trigger == "interval":
        return IntervalTrigger(**spec.trigger_args, start_date=EPOCH, timezone=timezone), spec.period
    return CronTrigger(**spec.trigger_args, timezone=timezone), spec.period


def current_slot(trigger: BaseTrigger, period: dt.timedelta, now: dt.datetime) -> dt.datetime | None:
    """The trigger's latest fire time at or before ``now`` (naive UTC in and out): the slot of this run."""
    moment = now.replace(tzinfo=dt.UTC)
    fire = trigger.get_next_fire_time(None, moment - period - dt.timedelta(seconds=1))
    slot = None
    while fire is not None and fire <= moment:
        slot = fire
        fire = trigger.get_next_fire_time(fire, fire + dt.timedelta(microseconds=1))
    return slot.astimezone(dt.UTC).replace(tzinfo=None) if slot is not None else None


def _run_scheduled(app: Flask, spec: JobSpec, trigger: BaseTrigger, period: dt.timedelta) -> Any:
    with app.app_context():
        try:
            now = clock.now()
            slot = current_slot(trigger, period, now)
            return job_runs.run(spec.name, spec.func, now=now, scheduled_for=slot, lease=spec.lease)
        except Exception:
            log.exception("job %s could not run", spec.name)
        finally:
            db.session.remove()


def build_scheduler(app: Flask, *, background: bool) -> BaseScheduler:
    """A scheduler with every job of ``scheduler.jobs`` added (not started)."""
    scheduler_cls = BackgroundScheduler if background else BlockingScheduler
    scheduler = scheduler_cls(timezone=_timezone(app))
    for spec in JOBS.values():
        trigger, period = make_trigger(spec, app)
        scheduler.add_job(
            _run_scheduled,
            trigger,
            args=(app, spec, trigger, period),
            id=spec.name,
            name=spec.name,
            # A run that is late (e.g. the process slept) runs once, not once per missed slot.
            coalesce=True,
            max_instances=1,
            misfire_grace_time=spec.misfire_grace,
        )
    return scheduler


def run_job(app: Flask, name: str, *, now: dt.datetime | None = None, dry_run: bool = False) -> job_runs.JobOutcome:
    """Run one job now, as operators and tests do (`etjanst jobs run NAME [--now] [--dry-run]`)."""
    try:
        spec = JOBS[name]
    except KeyError:
        raise KeyError(f"unknown job {name!r}; known jobs: {', '.join(sorted(JOBS)) or 'none yet'}") from None
    with app.app_context():
        try:
            return job_runs.run(spec.name, spec.func, now=now, dry_run=dry_run, lease=spec.lease)
        finally:
            db.session.remove()


def describe_schedule(spec: JobSpec, app: Flask) -> str:
    """When a job runs, in words (`etjanst jobs list`)."""
    from flask_babel import gettext as _

    seconds = interval_overrides(app).get(spec.name)
    if seconds is None and spec.trigger == "interval":
        seconds = spec.period.total_seconds()
    if seconds is not None:
        if seconds < 60 or seconds % 60:
            return _("every %(seconds)s seconds", seconds=f"{seconds:g}")
        if seconds < 3600 or seconds % 3600:
            return _("every %(minutes)d minutes", minutes=int(seconds // 60))
        hours = int(seconds // 3600)
        return _("every hour") if hours == 1 else _("every %(hours)d hours", hours=hours)
    args = spec.trigger_args
    return _("daily at %(time)s", time=f"{int(args.get('hour', 0)):02d}:{int(args.get('minute', 0)):02d}")
