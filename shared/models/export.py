"""Background Excel exports (F-EXP-1)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import JSONType, Model
from shared.models.base import StrEnum, created_at_column, enum_column


class ExportState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ExportJob(Model):
    __tablename__ = "export_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False, index=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict, nullable=False)
    state: Mapped[ExportState] = enum_column(ExportState, default=ExportState.QUEUED)
    total: Mapped[int] = mapped_column(sa.Integer, default=0, nullable=False)
    done: Mapped[int] = mapped_column(sa.Integer, default=0, nullable=False)
    storage_key: Mapped[str | None] = mapped_column(sa.String(80), nullable=True)
    error: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    created_at: Mapped[dt.datetime] = created_at_column()
    finished_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)
    expires_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)
