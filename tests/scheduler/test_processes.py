"""Real scheduler processes against the test database (F-JOB-5, F-NOT-4).

Two `etjanst scheduler` processes run side by side for most of a minute with short
intervals while work keeps arriving: each job's slot runs once, no two runs of a job
overlap, every notification reaches the SMTP server exactly once. And a dispatch process
killed outright (kill -9) in the middle of a batch leaves no duplicate behind.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict

import time_machine
from sqlalchemy import func, select

import config
from shared import clock
from shared.db import db
from shared.models import (
    Case,
    Channel,
    DeletionRecord,
    JobRun,
    NotificationEvent,
    OutboxMessage,
    OutboxState,
    Recipient,
    RetentionRule,
    StatusKind,
)
from shared.notify import dispatch
from shared.notify.backends import message_id
from tests import factories
from tests.scheduler.conftest import queue_emails

SENDER = "Etjänst <noreply@etjanst.local>"
INTERVALS = {"dispatch": 2, "overdue": 3, "retention": 5}
RUN_SECONDS = 50


def _env(app, database_url: str, smtp_port: int, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ETJANST_")}
    env.update(
        {
            "ETJANST_ENV": "development",
            "ETJANST_DATABASE_URL": database_url,
            "ETJANST_UPLOAD_DIR": app.config["UPLOAD_DIR"],
            "ETJANST_MAIL_FOLDER": app.config["MAIL_FOLDER"],
            "ETJANST_MAIL_BACKEND": "smtp",
            "ETJANST_MAIL_SERVER": "127.0.0.1",
            "ETJANST_MAIL_PORT": str(smtp_port),
            "ETJANST_MAIL_DEFAULT_SENDER": SENDER,
            "ETJANST_SMS_BACKEND": "log",
            **extra,
        }
    )
    return env


def _start(args: list[str], env: dict[str, str], log_path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", "import sys; from cli import main; main(sys.argv[1:])", *args],
        cwd=config.BASE_DIR,
        env=env,
        stdout=open(log_path, "w"),  # noqa: SIM115 - closed with the process
        stderr=subprocess.STDOUT,
    )


def _overdue_case(world) -> Case:
    return factories.case(
        world.eservice, citizen=world.citizen, users=[world.hanna], due_at=clock.now() - dt.timedelta(hours=1)
    )


def _expired_case(world) -> Case:
    return factories.case(
        world.eservice,
        citizen=world.citizen,
        status_kind=StatusKind.COMPLETED,
        status_changed_at=clock.now() - dt.timedelta(days=40),
    )


def test_two_scheduler_processes_run_each_slot_once_and_deliver_each_notification_once(
    ctx, world, smtp_server, database_url, tmp_path
):
    factories.setting(world.eservice, NotificationEvent.OVERDUE, Recipient.ASSIGNED_HANDLERS, Channel.EMAIL)
    db.session.add(
        RetentionRule(
            eservice_id=world.eservice.id, status=factories.status(world.eservice, StatusKind.COMPLETED), days=30
        )
    )
    # Cases are named by number: SQLite gives a deleted case's id to the next new one.
    overdue_numbers = [_overdue_case(world).number for _ in range(3)]
    expired_numbers = [_expired_case(world).number for _ in range(3)]
    recent_done = factories.case(world.eservice, citizen=world.citizen, status_kind=StatusKind.COMPLETED).number
    db.session.commit()
    queue_emails(200)
    env = _env(
        ctx,
        database_url,
        smtp_server.port,
        ETJANST_SCHEDULER_INTERVALS=",".join(f"{k}={v}" for k, v in INTERVALS.items()),
        ETJANST_DISPATCH_BATCH_SIZE="25",
    )
    processes = [_start(["scheduler"], env, tmp_path / f"scheduler{n}.log") for n in range(2)]
    started = clock.now()
    try:
        # Work keeps arriving while both run: notifications, newly overdue and newly expired cases.
        deadline = time.monotonic() + RUN_SECONDS
        while time.monotonic() < deadline:
            time.sleep(4)
            queue_emails(30)
            overdue_numbers.append(_overdue_case(world).number)
            expired_numbers.append(_expired_case(world).number)
            db.session.commit()
        # Let them finish: the last notifications, overdue cases and expired cases.
        drain = time.monotonic() + 30
        while time.monotonic() < drain and _work_left(overdue_numbers, expired_numbers):
            time.sleep(1)
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
    logs = "\n".join((tmp_path / f"scheduler{n}.log").read_text() for n in range(2))
    assert [p.returncode for p in processes] == [0, 0], logs
    db.session.remove()

    # Every notification reached the server exactly once.
    uuids = list(db.session.scalars(select(OutboxMessage.uuid)))
    assert _unsent() == 0, logs
    received = smtp_server.message_ids()
    assert len(received) == len(set(received)), "a notification was sent twice"
    assert sorted(received) == sorted(message_id(u, SENDER) for u in uuids)
    assert len(received) >= 200 + 30 * (RUN_SECONDS // 5)

    # Each job's slot ran once, never two runs of a job at the same time, and both processes took part.
    runs = db.session.scalars(select(JobRun).order_by(JobRun.started_at)).all()
    by_job = defaultdict(list)
    for run in runs:
        by_job[run.job].append(run)
    elapsed = (clock.now() - started).total_seconds()
    for job, seconds in INTERVALS.items():
        job_runs = by_job[job]
        slots = [r.scheduled_for for r in job_runs]
        assert None not in slots and len(slots) == len(set(slots)), job
        assert all((s - dt.datetime(2020, 1, 1)).total_seconds() % seconds == 0 for s in slots), job
        # Most periods ran (a run still going when the next slot fires makes that slot skip).
        assert len(slots) >= 0.4 * (RUN_SECONDS / seconds), (job, len(slots))
        assert len(slots) <= elapsed / seconds + 1, job
        for earlier, later in zip(job_runs, job_runs[1:], strict=False):
            assert earlier.ended_at is not None and earlier.ended_at <= later.started_at, f"{job} runs overlap"
        assert {r.state for r in job_runs} == {"ok"}, [r.error for r in job_runs if r.state != "ok"]
    assert len({r.host for r in runs}) == 2  # both processes ran jobs

    # Overdue: every overdue case marked, and its handler told once.
    told = db.session.execute(
        select(Case.number, func.count())
        .join(OutboxMessage, OutboxMessage.case_id == Case.id)
        .where(OutboxMessage.event == "overdue")
        .group_by(Case.number)
    ).all()
    assert dict(told) == {number: 1 for number in overdue_numbers}
    # Retention: exactly the expired cases went, each with one record.
    remaining = set(db.session.scalars(select(Case.number)))
    assert not remaining & set(expired_numbers) and recent_done in remaining
    records = db.session.scalars(select(DeletionRecord.case_number)).all()
    assert sorted(records) == sorted(expired_numbers)


def _work_left(overdue_numbers: list[int], expired_numbers: list[int]) -> int:
    left = _unsent()
    left += db.session.scalar(
        select(func.count()).where(Case.number.in_(overdue_numbers), Case.overdue_notified_at.is_(None))
    )
    return left + db.session.scalar(select(func.count()).where(Case.number.in_(expired_numbers)))


def _unsent() -> int:
    db.session.commit()  # a fresh look at what the processes did
    return db.session.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.state != OutboxState.SENT)
    )


def test_a_dispatch_process_killed_halfway_leaves_no_duplicate(ctx, smtp_server, database_url, tmp_path):
    uuids = queue_emails(150)
    smtp_server.delay = 0.03  # a slow server, so the kill lands in the middle of a batch
    env = _env(ctx, database_url, smtp_server.port, ETJANST_DISPATCH_BATCH_SIZE="100")
    process = _start(["jobs", "run", "dispatch"], env, tmp_path / "dispatch.log")
    try:
        deadline = time.monotonic() + 60
        while len(smtp_server.messages) < 40 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == -signal.SIGKILL, (tmp_path / "dispatch.log").read_text()
    smtp_server.delay = 0
    db.session.remove()
    sending = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.state == OutboxState.SENDING)
    assert db.session.scalar(sending) > 2

    # The next dispatch after the dead batch's lease has run out takes it up.
    with time_machine.travel(clock.now() + dispatch.LEASE + dt.timedelta(seconds=5), tick=True):
        report = dispatch.dispatch_due()
    db.session.remove()

    received = smtp_server.message_ids()
    assert len(received) == len(set(received)), "a notification was sent twice"
    rows = db.session.scalars(select(OutboxMessage)).all()
    uncertain = [r for r in rows if r.state == OutboxState.FAILED]
    assert report.counts["uncertain"] == len(uncertain) <= dispatch.IN_FLIGHT
    assert all("may have been delivered" in r.last_error for r in uncertain)
    sent = {message_id(r.uuid, SENDER) for r in rows if r.state == OutboxState.SENT}
    assert len(sent) + len(uncertain) == len(uuids)
    # Every row recorded as sent arrived; the uncertain ones arrived at most once.
    assert sent <= set(received) and len(set(received) - sent) <= len(uncertain)
