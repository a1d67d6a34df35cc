"""Status groups and statuses (F-ES-5).

Statuses have free names; jobs, counts and the portal key on the fixed ``kind``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.db import Model
from shared.models.base import StrEnum, enum_column

if TYPE_CHECKING:
    pass


class StatusKind(StrEnum):
    DRAFT = "draft"  # Sparat
    SUBMITTED = "submitted"  # Inskickat
    IN_PROGRESS = "in_progress"  # Under behandling
    WAITING = "waiting"  # Väntar på komplettering
    COMPLETED = "completed"  # Klart
    ARCHIVED = "archived"  # Arkiverat


class DeletePolicy(StrEnum):
    NOBODY = "nobody"
    HANDLERS = "handlers"  # unrestricted handlers of the e-service
    ALL_HANDLERS = "all_handlers"  # restricted handlers too


class StatusGroup(Model):
    __tablename__ = "status_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True, nullable=False)
    description: Mapped[str | None] = mapped_column(sa.Text, nullable=True)

    statuses: Mapped[list[Status]] = relationship(
        "Status", back_populates="group", order_by="Status.sort_order", cascade="all, delete-orphan"
    )

    def first_of_kind(self, kind: StatusKind) -> Status | None:
        return next((s for s in self.statuses if s.kind == kind), None)

    def __str__(self) -> str:
        return self.name


class Status(Model):
    __tablename__ = "status"
    __table_args__ = (sa.UniqueConstraint("group_id", "name", name="uq_status_group_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(sa.ForeignKey("status_group.id", ondelete="CASCADE"), nullable=False)
    name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    citizen_label: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    kind: Mapped[StatusKind] = enum_column(StatusKind)
    sort_order: Mapped[int] = mapped_column(sa.Integer, default=0, nullable=False)
    deletable_by: Mapped[DeletePolicy] = enum_column(DeletePolicy, default=DeletePolicy.NOBODY)
    applicant_may_message: Mapped[bool] = mapped_column(sa.Boolean, default=True, nullable=False)
    # How many days after entering the status the applicant may still write (None = no limit).
    applicant_message_days: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    applicant_may_supplement: Mapped[bool] = mapped_column(sa.Boolean, default=False, nullable=False)
    pauses_due_date: Mapped[bool] = mapped_column(sa.Boolean, default=False, nullable=False)
    is_final: Mapped[bool] = mapped_column(sa.Boolean, default=False, nullable=False)
    default_message: Mapped[str | None] = mapped_column(sa.Text, nullable=True)

    group: Mapped[StatusGroup] = relationship("StatusGroup", back_populates="statuses")

    @property
    def label_for_citizen(self) -> str:
        return self.citizen_label or self.name

    def __str__(self) -> str:
        return self.name
