"""Schemalagda jobb (F-JOB-5): the scheduler's run log as administrators see it.

``latest_runs`` gives each job's latest run; ``job_runs_page`` pages through the runs,
newest first, optionally of one job and/or one state. Administrators only. The jobs
themselves (names, schedules, descriptions) are the scheduler's registry; the screen
puts the two together.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from shared.errors import NotAllowed
from shared.models import JobRun, StaffUser
from shared.services import access, listing
from shared.services.jobs import FAILED, INTERRUPTED, OK, RUNNING, last_runs

PAGE_SIZE = 50
STATES: tuple[str, ...] = (RUNNING, OK, FAILED, INTERRUPTED)


def _require_admin(actor: StaffUser | None) -> None:
    if not access.is_admin(actor):
        raise NotAllowed(_("Only administrators may see the scheduled jobs."))


def latest_runs(*, actor: StaffUser) -> dict[str, JobRun]:
    """Each job's latest run, by job name (a job that never ran is missing)."""
    _require_admin(actor)
    return last_runs()


@dataclass
class JobRunPage:
    runs: list[JobRun]
    page: int
    has_next: bool


def job_runs_page(
    *,
    actor: StaffUser,
    job: str | None = None,
    state: str | None = None,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> JobRunPage:
    """One page of the run log, newest first (no total count: the dispatch alone runs 2,880 times a day)."""
    _require_admin(actor)
    page = max(1, page)
    query = select(JobRun)
    if job:
        query = query.where(JobRun.job == job)
    if state:
        query = query.where(JobRun.state == state)
    # Newest first by id (the order of starting; the primary key's index serves it).
    runs, has_next = listing.page_without_count(query.order_by(JobRun.id.desc()), page, page_size)
    return JobRunPage(runs, page, has_next)


__all__ = ["PAGE_SIZE", "STATES", "JobRunPage", "job_runs_page", "latest_runs"]
