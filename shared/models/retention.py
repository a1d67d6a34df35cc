"""Retention (gallring): rules, destruction lists and the deletion log (F-ES-8, F-JOB-3)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.db import Model
from shared.models.base import StrEnum, created_at_column, enum_column

if TYPE_CHECKING:
    from shared.models.status import Status


class RetentionAction(StrEnum):
    DELETE = "delete"
    ANONYMISE = "anonymise"


class RetentionRule(Model):
    """Cases in status S for N days are deleted (or anonymised)."""

    __tablename__ = "retention_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    eservice_id: Mapped[int] = mapped_column(sa.ForeignKey("eservice.id", ondelete="CASCADE"), nullable=False, index=True)
    status_id: Mapped[int] = mapped_column(sa.ForeignKey("status.id", ondelete="CASCADE"), nullable=False)
    days: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    action: Mapped[RetentionAction] = enum_column(RetentionAction, default=RetentionAction.DELETE)
    # When set, the job only proposes a destruction list that a named person approves.
    requires_approval: Mapped[bool] = mapped_column(sa.Boolean, default=False, nullable=False)
    approver_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id", ondelete="SET NULL"))
    enabled: Mapped[bool] = mapped_column(sa.Boolean, default=True, nullable=False)
    created_at: Mapped[dt.datetime] = created_at_column()

    status: Mapped[Status] = relationship("Status")


class DestructionListState(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    EXECUTED = "executed"
    REJECTED = "rejected"


class DestructionList(Model):
    __tablename__ = "destruction_list"

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int | None] = mapped_column(sa.ForeignKey("retention_rule.id", ondelete="SET NULL"))
    state: Mapped[DestructionListState] = enum_column(DestructionListState, default=DestructionListState.PROPOSED)
    created_at: Mapped[dt.datetime] = created_at_column()
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id", ondelete="SET NULL"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)

    items: Mapped[list[DestructionListItem]] = relationship("DestructionListItem", cascade="all, delete-orphan")


class DestructionListItem(Model):
    __tablename__ = "destruction_list_item"

    list_id: Mapped[int] = mapped_column(sa.ForeignKey("destruction_list.id", ondelete="CASCADE"), primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)


class DeletionRecord(Model):
    """Gallringslogg: what was deleted, without any personal data."""

    __tablename__ = "deletion_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_number: Mapped[int | None] = mapped_column(sa.Integer, nullable=True, index=True)
    eservice_id: Mapped[int | None] = mapped_column(sa.ForeignKey("eservice.id", ondelete="SET NULL"))
    eservice_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    version_number: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    status_name: Mapped[str | None] = mapped_column(sa.String(120), nullable=True)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)
    action: Mapped[RetentionAction] = enum_column(RetentionAction)
    reason: Mapped[str] = mapped_column(sa.String(300), nullable=False)  # "gallringsregel 3", "manuell borttagning"
    rule_id: Mapped[int | None] = mapped_column(sa.ForeignKey("retention_rule.id", ondelete="SET NULL"))
    performed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id", ondelete="SET NULL"))
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id", ondelete="SET NULL"))
    documents_deleted: Mapped[int] = mapped_column(sa.Integer, default=0, nullable=False)
    performed_at: Mapped[dt.datetime] = created_at_column()
