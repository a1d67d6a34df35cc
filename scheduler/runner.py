"""Builds an APScheduler scheduler that runs every registered job inside an app context."""

from __future__ import annotations

import logging
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from scheduler.jobs import JOBS, JobSpec
from shared.db import db

log = logging.getLogger("etjanst.scheduler")


def _run_in_context(app: Flask, spec: JobSpec) -> Any:
    with app.app_context():
        try:
            return spec.func()
        except Exception:
            log.exception("job %s failed", spec.name)
            raise
        finally:
            db.session.remove()


def build_scheduler(app: Flask, *, background: bool) -> BaseScheduler:
    """A scheduler with every job of ``scheduler.jobs`` added (not started)."""
    scheduler_cls = BackgroundScheduler if background else BlockingScheduler
    scheduler = scheduler_cls(timezone=app.config.get("TIMEZONE", "Europe/Stockholm"))
    for spec in JOBS.values():
        scheduler.add_job(
            _run_in_context,
            spec.trigger,
            args=(app, spec),
            id=spec.name,
            name=spec.name,
            # A run that is late (e.g. the process slept) runs once, not once per missed slot.
            coalesce=True,
            max_instances=1,
            misfire_grace_time=300,
            **spec.trigger_args,
        )
    return scheduler


def run_job(app: Flask, name: str) -> Any:
    """Run one job now, as operators and tests do (`etjanst jobs run NAME`)."""
    try:
        spec = JOBS[name]
    except KeyError:
        raise KeyError(f"unknown job {name!r}; known jobs: {', '.join(sorted(JOBS)) or 'none yet'}") from None
    return _run_in_context(app, spec)
