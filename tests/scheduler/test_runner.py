"""The scheduler: jobs run inside an app context, under a lock, once per slot, and every run is logged."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select

import config
from scheduler import jobs as job_registry
from scheduler.runner import EPOCH, build_scheduler, current_slot, make_trigger, run_job
from shared import clock
from shared.db import db
from shared.models import Counter, JobRun
from shared.services import jobs as job_runs
from shared.services.jobs import JobReport


@pytest.fixture
def probe_job():
    """A job that counts its runs in a row, so every run is visible in the database."""

    @job_registry.job("probe", "interval", "test probe", seconds=3600)
    def probe(now, dry_run=False):
        counter = db.session.get(Counter, "probe") or Counter(name="probe", value=0)
        if not dry_run:
            counter.value += 1
        db.session.add(counter)
        db.session.commit()
        return JobReport(counts={"runs": counter.value}, lines=[f"as of {now:%Y-%m-%d}"])

    yield "probe"
    job_registry.JOBS.pop("probe", None)


def _runs(job: str = "probe") -> list[JobRun]:
    db.session.remove()
    return list(db.session.scalars(select(JobRun).where(JobRun.job == job).order_by(JobRun.id)))


def test_a_run_is_logged_with_its_counts_and_the_time_it_judged_by(ctx, probe_job):
    first = run_job(ctx, probe_job)
    moved = dt.datetime(2030, 5, 1, 12, 0)
    second = run_job(ctx, probe_job, now=moved, dry_run=True)

    assert (first.state, first.counts) == ("ok", {"runs": 1})
    assert (second.state, second.counts, second.lines) == ("ok", {"runs": 1}, ["as of 2030-05-01"])
    runs = _runs()
    assert [(r.state, r.counts, r.dry_run, r.scheduled_for) for r in runs] == [
        ("ok", {"runs": 1}, False, None),
        ("ok", {"runs": 1}, True, None),
    ]
    assert runs[1].as_of == moved
    assert all(r.ended_at >= r.started_at and r.host for r in runs)


def test_a_failing_run_is_logged_with_its_error(ctx):
    @job_registry.job("broken", "interval", "fails", seconds=60)
    def broken(now, dry_run=False):
        raise ValueError("the rule names a missing status")

    try:
        outcome = run_job(ctx, "broken")
    finally:
        job_registry.JOBS.pop("broken")
    assert outcome.state == "failed"
    run = _runs("broken")[0]
    assert run.state == "failed" and run.ended_at is not None
    assert "ValueError: the rule names a missing status" in run.error


def test_unknown_job_names_the_known_ones(ctx, probe_job):
    with pytest.raises(KeyError, match="probe"):
        run_job(ctx, "nope")


def test_a_job_whose_lock_is_held_elsewhere_is_skipped(ctx, probe_job):
    holding, release = threading.Event(), threading.Event()

    def hold_the_lock():
        with ctx.app_context():
            with job_runs.job_lock(probe_job) as acquired:
                assert acquired
                holding.set()
                release.wait(30)
            db.session.remove()

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    try:
        assert holding.wait(30)
        outcome = run_job(ctx, probe_job)
    finally:
        release.set()
        holder.join(30)
    assert outcome.state == "locked"
    assert _runs() == []
    assert run_job(ctx, probe_job).state == "ok"  # released: runs again


def test_each_slot_runs_once(ctx, probe_job):
    slot = dt.datetime(2026, 3, 1, 1, 30)
    spec = job_registry.JOBS[probe_job]
    with ctx.app_context():
        first = job_runs.run(probe_job, spec.func, scheduled_for=slot)
        again = job_runs.run(probe_job, spec.func, scheduled_for=slot)
        later = job_runs.run(probe_job, spec.func, scheduled_for=slot + dt.timedelta(hours=1))
        db.session.remove()
    assert (first.state, again.state, later.state) == ("ok", "done_elsewhere", "ok")
    assert [r.scheduled_for for r in _runs()] == [slot, slot + dt.timedelta(hours=1)]


def test_a_run_left_running_by_a_dead_process_is_marked_interrupted(ctx, probe_job):
    db.session.add(JobRun(job=probe_job, host="gone:1", state="running", counts={}))
    db.session.commit()

    run_job(ctx, probe_job)

    assert [r.state for r in _runs()] == ["interrupted", "ok"]


def test_interval_slots_are_aligned_so_every_process_names_the_same_one():
    trigger = IntervalTrigger(seconds=30, start_date=EPOCH, timezone="Europe/Stockholm")
    period = dt.timedelta(seconds=30)
    assert current_slot(trigger, period, dt.datetime(2026, 11, 23, 10, 0, 29, 999000)) == dt.datetime(
        2026, 11, 23, 10, 0, 0
    )
    assert current_slot(trigger, period, dt.datetime(2026, 11, 23, 10, 0, 30)) == dt.datetime(2026, 11, 23, 10, 0, 30)
    assert current_slot(trigger, period, dt.datetime(2026, 11, 23, 10, 0, 59)) == dt.datetime(2026, 11, 23, 10, 0, 30)


def test_the_nightly_slot_is_02_30_swedish_time_summer_and_winter():
    trigger = CronTrigger(hour=2, minute=30, timezone="Europe/Stockholm")
    period = dt.timedelta(days=1)
    # 02:30 in Stockholm is 01:30 UTC in winter, 00:30 UTC in summer.
    assert current_slot(trigger, period, dt.datetime(2026, 1, 15, 9, 0)) == dt.datetime(2026, 1, 15, 1, 30)
    assert current_slot(trigger, period, dt.datetime(2026, 1, 15, 1, 0)) == dt.datetime(2026, 1, 14, 1, 30)
    assert current_slot(trigger, period, dt.datetime(2026, 7, 15, 9, 0)) == dt.datetime(2026, 7, 15, 0, 30)


def test_short_intervals_from_the_settings_replace_the_schedules(ctx, monkeypatch):
    monkeypatch.setitem(ctx.config, "SCHEDULER_INTERVALS", "dispatch=2, retention=5")
    trigger, period = make_trigger(job_registry.JOBS["retention"], ctx)
    assert isinstance(trigger, IntervalTrigger) and period == dt.timedelta(seconds=5)
    trigger, period = make_trigger(job_registry.JOBS["overdue"], ctx)
    assert period == dt.timedelta(minutes=15)


def test_build_scheduler_adds_every_registered_job(ctx):
    scheduler = build_scheduler(ctx, background=True)
    scheduler.start(paused=True)
    try:
        assert sorted(j.id for j in scheduler.get_jobs()) == sorted(job_registry.JOBS)
        assert {"dispatch", "overdue", "retention", "absence_expiry", "mailing_deadlines", "subtask_reminders"} <= {
            j.id for j in scheduler.get_jobs()
        }
    finally:
        scheduler.shutdown(wait=False)


def test_every_job_runs_on_an_empty_database_and_logs_its_run(ctx):
    for name in job_registry.JOBS:
        outcome = run_job(ctx, name, now=clock.now())
        assert outcome.state == "ok", (name, outcome.error)
    assert sorted(r.job for r in db.session.scalars(select(JobRun))) == sorted(job_registry.JOBS)


def test_scheduler_process_starts_and_stops_on_sigterm(tmp_path):
    env = {**os.environ, "ETJANST_DATABASE_URL": f"sqlite:///{tmp_path / 'sched.db'}", "ETJANST_ENV": "development"}
    proc = subprocess.Popen(
        [sys.executable, "-c", "from cli import main; main(['scheduler'])"],
        cwd=config.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = ""
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            output += line
            if "dispatch" in line and "retention" in line:  # our started line names the jobs
                break
        assert all(name in output for name in job_registry.JOBS)
        proc.send_signal(signal.SIGTERM)
        rest, _ = proc.communicate(timeout=30)
        output += rest
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, output
