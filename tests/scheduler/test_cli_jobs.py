"""`etjanst jobs list` and `etjanst jobs run NAME [--now] [--dry-run]` as an operator uses them."""

from __future__ import annotations

from sqlalchemy import select

from cli import cli
from scheduler.jobs import JOBS
from shared.db import db
from shared.models import JobRun
from tests.scheduler.conftest import queue_emails


def test_jobs_list_names_every_job_with_its_schedule_and_last_run(ctx, cli_env):
    assert cli_env.invoke(cli, ["jobs", "run", "overdue"]).exit_code == 0

    result = cli_env.invoke(cli, ["jobs", "list"])

    assert result.exit_code == 0, result.output
    for name in JOBS:
        assert name in result.output
    overdue_line = next(line for line in result.output.splitlines() if line.startswith("overdue"))
    assert "15" in overdue_line and ": ok" in overdue_line
    retention_line = next(line for line in result.output.splitlines() if line.startswith("retention"))
    assert "02:30" in retention_line


def test_a_dry_run_of_dispatch_counts_what_is_due_and_sends_nothing(ctx, cli_env, tmp_path):
    queue_emails(3)

    result = cli_env.invoke(cli, ["jobs", "run", "dispatch", "--dry-run"])

    assert result.exit_code == 0, result.output
    assert "due=3" in result.output
    db.session.expire_all()
    run = db.session.scalar(select(JobRun))
    assert run.dry_run and run.counts["due"] == 3 and run.state == "ok"


def test_unknown_jobs_and_bad_times_are_refused_with_a_clear_message(ctx, cli_env):
    unknown = cli_env.invoke(cli, ["jobs", "run", "gallring"])
    assert unknown.exit_code != 0 and "gallring" in unknown.output and "retention" in unknown.output

    bad_time = cli_env.invoke(cli, ["jobs", "run", "retention", "--now", "i morgon"])
    assert bad_time.exit_code == 2 and "2027-03-01T02:30" in bad_time.output
    assert db.session.scalar(select(JobRun)) is None


def test_now_without_an_offset_is_swedish_time(ctx, cli_env):
    result = cli_env.invoke(cli, ["jobs", "run", "absence_expiry", "--now", "2027-07-01T02:30"])

    assert result.exit_code == 0, result.output
    db.session.expire_all()
    run = db.session.scalar(select(JobRun))
    assert run.as_of.isoformat() == "2027-07-01T00:30:00"  # summer time: UTC+2
