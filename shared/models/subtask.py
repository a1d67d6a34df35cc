"""Subtasks (deluppgifter) inside a case, after Flyt (F-SUB-*)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.db import Model
from shared.models.base import StrEnum, created_at_column, enum_column

if TYPE_CHECKING:
    from shared.models.case import Case, Document
    from shared.models.user import StaffUser


class SubtaskStatus(StrEnum):
    NEW = "new"  # Ny
    OPEN = "open"  # Öppen: the responsible has opened it
    RESOLVED = "resolved"  # Löst: locked


subtask_document_grant = sa.Table(
    "subtask_document_grant",
    Model.metadata,
    sa.Column("subtask_id", sa.ForeignKey("subtask.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("document_id", sa.ForeignKey("document.id", ondelete="CASCADE"), primary_key=True),
)


class Subtask(Model):
    __tablename__ = "subtask"
    __table_args__ = (sa.Index("ix_subtask_responsible_status", "responsible_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True)
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    description: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    deadline: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    responsible_id: Mapped[int] = mapped_column(sa.ForeignKey("ab_user.id"), nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id", ondelete="SET NULL"))
    status: Mapped[SubtaskStatus] = enum_column(SubtaskStatus, default=SubtaskStatus.NEW)
    conclusion: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    created_at: Mapped[dt.datetime] = created_at_column()
    opened_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id", ondelete="SET NULL"))
    reminded_due_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)
    reminded_overdue_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)

    case: Mapped[Case] = relationship("Case")
    responsible: Mapped[StaffUser] = relationship("StaffUser", foreign_keys=[responsible_id])
    created_by: Mapped[StaffUser | None] = relationship("StaffUser", foreign_keys=[created_by_id])
    documents: Mapped[list[Document]] = relationship("Document", secondary=subtask_document_grant)
    messages: Mapped[list[SubtaskMessage]] = relationship(
        "SubtaskMessage", back_populates="subtask", order_by="SubtaskMessage.id", cascade="all, delete-orphan"
    )

    @property
    def is_resolved(self) -> bool:
        return self.status == SubtaskStatus.RESOLVED


class SubtaskMessage(Model):
    """An internal message between the responsible and the case owner; never to the applicant."""

    __tablename__ = "subtask_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    subtask_id: Mapped[int] = mapped_column(sa.ForeignKey("subtask.id", ondelete="CASCADE"), nullable=False, index=True)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(sa.Text, nullable=False)
    created_at: Mapped[dt.datetime] = created_at_column()

    subtask: Mapped[Subtask] = relationship("Subtask", back_populates="messages")
    author: Mapped[StaffUser | None] = relationship("StaffUser")
