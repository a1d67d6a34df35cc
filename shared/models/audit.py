"""The audit log (F-CASE-8): every view and every change, who, when, what."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import JSONType, Model
from shared.models.base import created_at_column


class AuditEntry(Model):
    # No foreign key to the case: the entry must outlive the case it speaks of.
    __tablename__ = "audit_entry"
    __table_args__ = (
        sa.Index("ix_audit_case_at", "case_id", "at"),
        sa.Index("ix_audit_user_at", "user_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = created_at_column()
    user_id: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    username: Mapped[str | None] = mapped_column(sa.String(128), nullable=True)
    citizen_id: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    action: Mapped[str] = mapped_column(sa.String(60), nullable=False)
    object_type: Mapped[str] = mapped_column(sa.String(60), nullable=False)
    object_id: Mapped[str | None] = mapped_column(sa.String(60), nullable=True)
    case_id: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    case_number: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict, nullable=False)
    ip: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
