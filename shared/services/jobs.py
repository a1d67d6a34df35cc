"""Running a scheduled job once: the database lock, the per-period slot and the run log (F-JOB-5).

Several scheduler processes (on several hosts) may fire the same job at the same moment.
``run`` makes that safe in three steps:

1. **The lock.** On PostgreSQL a session-level advisory lock (``pg_try_advisory_lock``) is
   taken on a connection of its own and held for the whole run; if the process dies, the
   connection closes and the lock goes with it. On SQLite a ``JobLock`` row is leased
   (holder + ``locked_until``) and the lease is renewed while the job runs. Whoever does
   not get the lock skips the run: two runs of one job never overlap.
2. **The slot.** A scheduled run names the slot it was fired for (``scheduled_for``, the
   trigger's fire time); ``job_run`` is unique on (job, slot), so a process that fires a
   moment after another one finished finds the slot taken and skips. Each period's run
   happens once. A run started by hand has no slot.
3. **The log.** Every run that starts leaves a ``JobRun`` row: start, end, host, the
   counts the job reports, the error if it failed, dry run or not, and the time it
   judged by. A run whose process died is marked ``interrupted`` by the next run.

A job function takes ``now`` (the time it judges by; ``--now`` moves it) and ``dry_run``
and returns a ``JobReport`` (counts for the log, lines for the operator). Jobs are
idempotent, so a failed or interrupted run is simply done again next period.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import socket
import threading
import traceback
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select, text, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from shared import clock, log_privacy
from shared.db import db, is_postgresql
from shared.models import JobLock, JobRun

log = logging.getLogger("etjanst.jobs")

RUNNING, OK, FAILED, INTERRUPTED = "running", "ok", "failed", "interrupted"
# Outcomes of ``run`` that leave no JobRun row.
LOCKED, DONE_ELSEWHERE = "locked", "done_elsewhere"

DEFAULT_LEASE = dt.timedelta(minutes=10)
_ERROR_MAX = 4000


@dataclass
class JobReport:
    """What a job did: counts for the run log, and lines an operator reads (a dry run's list)."""

    counts: dict[str, int] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)


@dataclass
class JobOutcome:
    """The result of one attempt to run a job."""

    job: str
    state: str  # ok, failed, locked (running elsewhere), done_elsewhere (this slot already ran)
    run_id: int | None = None
    counts: dict[str, int] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def ran(self) -> bool:
        return self.state in (OK, FAILED)


JobFunc = Callable[..., "JobReport | Mapping[str, int] | None"]


def host_name() -> str:
    """This process, as the run log and the locks name it (host:pid)."""
    return f"{socket.gethostname()}:{os.getpid()}"


# -- the lock ----------------------------------------------------------------------------------


def _advisory_key(name: str) -> int:
    """A stable signed 64-bit key per job name for pg_try_advisory_lock."""
    digest = hashlib.blake2b(f"etjanst-job:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@contextmanager
def _pg_lock(name: str) -> Iterator[bool]:
    key = _advisory_key(name)
    conn = db.engine.connect()
    try:
        acquired = bool(conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar())
        conn.commit()  # the lock is the session's, not the transaction's: no transaction stays open
    except Exception:
        conn.close()
        raise
    try:
        yield acquired
    finally:
        if acquired:
            try:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                conn.commit()
            except Exception:  # the connection broke: dropping it ends the session and its lock
                log.warning("could not release the lock of job %s; dropping the connection", name)
                conn.invalidate()
        conn.close()


def _sqlite_try_lease(name: str, holder: str, lease: dt.timedelta) -> bool:
    now = clock.now()
    with db.engine.begin() as conn:
        taken = conn.execute(
            update(JobLock)
            .where(JobLock.name == name, or_(JobLock.locked_until.is_(None), JobLock.locked_until < now))
            .values(holder=holder, locked_until=now + lease)
        ).rowcount
        if taken:
            return True
        inserted = conn.execute(
            sqlite_insert(JobLock)
            .values(name=name, holder=holder, locked_until=now + lease)
            .on_conflict_do_nothing(index_elements=["name"])
        ).rowcount
        return bool(inserted)


def _sqlite_renew(name: str, holder: str, lease: dt.timedelta) -> bool:
    with db.engine.begin() as conn:
        return bool(
            conn.execute(
                update(JobLock)
                .where(JobLock.name == name, JobLock.holder == holder)
                .values(locked_until=clock.now() + lease)
            ).rowcount
        )


def _sqlite_release(name: str, holder: str) -> None:
    with db.engine.begin() as conn:
        conn.execute(
            update(JobLock).where(JobLock.name == name, JobLock.holder == holder).values(holder=None, locked_until=None)
        )


@contextmanager
def _sqlite_lock(name: str, lease: dt.timedelta) -> Iterator[bool]:
    holder = f"{host_name()}:{uuid.uuid4().hex[:8]}"
    acquired = _sqlite_try_lease(name, holder, lease)
    if not acquired:
        yield False
        return
    stop = threading.Event()
    app = _current_app()

    def keep_alive() -> None:
        # Renew well before the lease runs out, for as long as the job runs.
        while not stop.wait(lease.total_seconds() / 3):
            try:
                with app.app_context():
                    _sqlite_renew(name, holder, lease)
            except Exception:  # a busy database: the next round tries again
                log.warning("could not renew the lease of job %s", name, exc_info=True)

    renewer = threading.Thread(target=keep_alive, name=f"lease-{name}", daemon=True)
    renewer.start()
    try:
        yield True
    finally:
        stop.set()
        renewer.join(timeout=5)
        _sqlite_release(name, holder)


def _current_app():
    from flask import current_app

    return current_app._get_current_object()  # type: ignore[attr-defined]


@contextmanager
def job_lock(name: str, *, lease: dt.timedelta = DEFAULT_LEASE) -> Iterator[bool]:
    """Hold the job's lock across processes for the block; yields False when someone else holds it."""
    # The job's own work runs on db.session: no transaction of it may be open while the
    # lock is taken on another connection (SQLite would wait for itself).
    db.session.commit()
    lock = _pg_lock(name) if is_postgresql() else _sqlite_lock(name, lease)
    with lock as acquired:
        yield acquired


# -- running -----------------------------------------------------------------------------------


def _report(result: Any) -> JobReport:
    if isinstance(result, JobReport):
        return result
    if result is None:
        return JobReport()
    return JobReport(counts=dict(result))


def _error_text(exc: BaseException) -> str:
    text_ = "".join(traceback.format_exception(exc))
    if len(text_) > _ERROR_MAX:
        text_ = f"{exc.__class__.__name__}: {exc}\n…\n" + text_[-(_ERROR_MAX - 200) :]
    # Shown in Drift: a database's own error text may quote a personnummer ("Key (personnummer)=(…)").
    return log_privacy.redact(text_)


def _start(name: str, *, now: dt.datetime, dry_run: bool, scheduled_for: dt.datetime | None) -> int | None:
    """Log the start (and claim the slot); None when this slot already ran elsewhere."""
    started = clock.now()
    # We hold the lock: any run of this job still "running" belongs to a process that died.
    db.session.execute(
        update(JobRun)
        .where(JobRun.job == name, JobRun.state == RUNNING)
        .values(state=INTERRUPTED, error="The scheduler process stopped during the run.")
    )
    run = JobRun(
        job=name,
        host=host_name(),
        started_at=started,
        state=RUNNING,
        counts={},
        dry_run=dry_run,
        scheduled_for=scheduled_for,
        as_of=now,
    )
    db.session.add(run)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return None
    return run.id


def _finish(run_id: int, *, state: str, counts: Mapping[str, int], error: str | None) -> None:
    db.session.rollback()  # whatever the job left half done is not ours to commit
    db.session.execute(
        update(JobRun)
        .where(JobRun.id == run_id)
        .values(state=state, counts=dict(counts), error=error, ended_at=clock.now())
    )
    db.session.commit()


def run(
    name: str,
    func: JobFunc,
    *,
    now: dt.datetime | None = None,
    dry_run: bool = False,
    scheduled_for: dt.datetime | None = None,
    lease: dt.timedelta = DEFAULT_LEASE,
) -> JobOutcome:
    """Run a job once under its lock and log the run; a slot already run, or a lock held elsewhere, skips."""
    as_of = now or clock.now()
    with job_lock(name, lease=lease) as acquired:
        if not acquired:
            log.info("job %s is running elsewhere; skipped", name)
            return JobOutcome(name, LOCKED)
        run_id = _start(name, now=as_of, dry_run=dry_run, scheduled_for=scheduled_for)
        if run_id is None:
            log.info("job %s already ran for %s; skipped", name, scheduled_for)
            return JobOutcome(name, DONE_ELSEWHERE)
        try:
            report = _report(func(now=as_of, dry_run=dry_run))
        except Exception as exc:
            log.exception("job %s failed", name)
            error = _error_text(exc)
            _finish(run_id, state=FAILED, counts={}, error=error)
            return JobOutcome(name, FAILED, run_id, error=error)
        _finish(run_id, state=OK, counts=report.counts, error=None)
        return JobOutcome(name, OK, run_id, counts=report.counts, lines=report.lines)


def recent_runs(*, job: str | None = None, limit: int = 100) -> list[JobRun]:
    """The latest runs, newest first (the back office's job log)."""
    query = select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(limit)
    if job is not None:
        query = query.where(JobRun.job == job)
    return list(db.session.scalars(query))


def last_runs() -> dict[str, JobRun]:
    """Each job's latest run, by job name."""
    latest_ids = select(func.max(JobRun.id)).group_by(JobRun.job)
    return {r.job: r for r in db.session.scalars(select(JobRun).where(JobRun.id.in_(latest_ids)))}


__all__ = [
    "DONE_ELSEWHERE",
    "FAILED",
    "INTERRUPTED",
    "LOCKED",
    "OK",
    "RUNNING",
    "JobOutcome",
    "JobReport",
    "host_name",
    "job_lock",
    "last_runs",
    "recent_runs",
    "run",
]
