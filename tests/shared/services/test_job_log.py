"""Schemalagda jobb for administrators (shared/services/job_log.py): latest runs, the paged run log."""

from __future__ import annotations

import datetime as dt

import pytest

from shared import clock
from shared.db import db
from shared.errors import NotAllowed
from shared.models import JobRun
from shared.services import job_log
from shared.services import jobs as job_runs


def _run(job: str, state: str = job_runs.OK, *, minutes_ago: int = 0, **kwargs) -> JobRun:
    started = clock.now() - dt.timedelta(minutes=minutes_ago)
    run = JobRun(
        job=job,
        host="web1:123",
        started_at=started,
        ended_at=started + dt.timedelta(seconds=2),
        state=state,
        counts=kwargs.pop("counts", {}),
        **kwargs,
    )
    db.session.add(run)
    db.session.flush()
    return run


def test_only_an_administrator_may_read_the_run_log(world):
    for actor in (world.hanna, world.builder):
        with pytest.raises(NotAllowed):
            job_log.latest_runs(actor=actor)
        with pytest.raises(NotAllowed):
            job_log.job_runs_page(actor=actor)
    assert job_log.job_runs_page(actor=world.admin).runs == []


def test_latest_runs_and_a_run_of_a_real_job(world):
    old = _run("overdue", minutes_ago=30)
    db.session.commit()
    outcome = job_runs.run("overdue", lambda now, dry_run: job_runs.JobReport(counts={"overdue": 2}))

    latest = job_log.latest_runs(actor=world.admin)
    assert set(latest) == {"overdue"}
    assert latest["overdue"].id == outcome.run_id != old.id
    assert latest["overdue"].counts == {"overdue": 2}


def test_the_run_log_is_filtered_by_job_and_state_and_paged(world):
    runs = [_run("dispatch", minutes_ago=60 - i) for i in range(55)]
    failed = _run("retention", job_runs.FAILED, error="RuntimeError: disk full")
    interrupted = _run("dispatch", job_runs.INTERRUPTED)
    db.session.commit()

    first = job_log.job_runs_page(actor=world.admin)
    assert [r.id for r in first.runs][:3] == [interrupted.id, failed.id, runs[-1].id]
    assert len(first.runs) == 50 and first.has_next
    second = job_log.job_runs_page(actor=world.admin, page=2)
    assert len(second.runs) == 7 and not second.has_next

    assert [r.id for r in job_log.job_runs_page(actor=world.admin, job="retention").runs] == [failed.id]
    assert [r.id for r in job_log.job_runs_page(actor=world.admin, state=job_runs.FAILED).runs] == [failed.id]
    by_both = job_log.job_runs_page(actor=world.admin, job="dispatch", state=job_runs.INTERRUPTED)
    assert [r.id for r in by_both.runs] == [interrupted.id]
