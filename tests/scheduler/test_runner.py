"""The scheduler runs its registered jobs in an app context, in-process or alone."""

import os
import signal
import subprocess
import sys
import time

import pytest

import config
from scheduler import jobs as job_registry
from scheduler.runner import build_scheduler, run_job
from shared.db import db
from shared.models import Counter


@pytest.fixture
def probe_job():
    """A job that writes a row, so its run is visible in the database."""

    @job_registry.job("probe", "interval", seconds=3600, description="test probe")
    def probe():
        counter = db.session.get(Counter, "probe") or Counter(name="probe", value=0)
        counter.value += 1
        db.session.add(counter)
        db.session.commit()
        return counter.value

    yield "probe"
    job_registry.JOBS.pop("probe", None)


def test_run_job_runs_inside_an_app_context(ctx, probe_job):
    assert run_job(ctx, probe_job) == 1
    assert run_job(ctx, probe_job) == 2


def test_unknown_job_names_the_known_ones(ctx, probe_job):
    with pytest.raises(KeyError, match="probe"):
        run_job(ctx, "nope")


def test_build_scheduler_adds_every_registered_job(ctx, probe_job):
    scheduler = build_scheduler(ctx, background=True)
    scheduler.start(paused=True)
    try:
        assert [j.id for j in scheduler.get_jobs()] == list(job_registry.JOBS)
    finally:
        scheduler.shutdown(wait=False)


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
            if "Scheduler started" in line:
                break
        assert "Scheduler started" in output
        proc.send_signal(signal.SIGTERM)
        rest, _ = proc.communicate(timeout=30)
        output += rest
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, output
    assert "Scheduler stopped" in output
