"""Scheduler bookkeeping: job runs, job locks and named counters."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import JSONType, Model
from shared.models.base import created_at_column


class JobRun(Model):
    """One run of a scheduled job: when, where, what it did (counts) or why it failed."""

    __tablename__ = "job_run"
    __table_args__ = (
        sa.Index("ix_job_run_job_started", "job", "started_at"),
        # One run per job and scheduled slot, whichever scheduler process gets there first.
        sa.UniqueConstraint("job", "scheduled_for", name="uq_job_run_slot"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(sa.String(60), nullable=False)
    host: Mapped[str | None] = mapped_column(sa.String(120), nullable=True)
    started_at: Mapped[dt.datetime] = created_at_column()
    ended_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)
    state: Mapped[str] = mapped_column(sa.String(20), default="running", nullable=False)
    counts: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict, nullable=False)
    error: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    dry_run: Mapped[bool] = mapped_column(sa.Boolean, default=False, nullable=False)
    # The scheduler's slot (e.g. 02:30 tonight); None for a run started by hand.
    scheduled_for: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)
    # The time the job judged by (`--now` moves it); its own timestamps are real time.
    as_of: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)


class JobLock(Model):
    """A lock row per job, for databases without advisory locks (SQLite)."""

    __tablename__ = "job_lock"

    name: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    holder: Mapped[str | None] = mapped_column(sa.String(120), nullable=True)
    locked_until: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)


class Counter(Model):
    """A named counter (e.g. the case number series), incremented under a row lock."""

    __tablename__ = "counter"

    name: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    value: Mapped[int] = mapped_column(sa.BigInteger, default=0, nullable=False)
