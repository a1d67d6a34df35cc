"""Handler groups (handläggargrupper) with members and a functional mailbox (F-GRP-1)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.db import Model
from shared.models.base import created_at_column

if TYPE_CHECKING:
    from shared.models.user import StaffUser


class HandlerGroup(Model):
    __tablename__ = "handler_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(150), unique=True, nullable=False)
    description: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    mailbox_email: Mapped[str | None] = mapped_column(sa.String(320), nullable=True)
    created_at: Mapped[dt.datetime] = created_at_column()

    members: Mapped[list[GroupMember]] = relationship(
        "GroupMember", back_populates="group", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def users(self) -> list[StaffUser]:
        return [m.user for m in self.members]

    def __str__(self) -> str:
        return self.name


class GroupMember(Model):
    __tablename__ = "group_member"

    group_id: Mapped[int] = mapped_column(sa.ForeignKey("handler_group.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("ab_user.id", ondelete="CASCADE"), primary_key=True, index=True)
    # 1177: members are told of group assignments only if they opted in.
    notify: Mapped[bool] = mapped_column(sa.Boolean, default=True, nullable=False)

    group: Mapped[HandlerGroup] = relationship("HandlerGroup", back_populates="members")
    user: Mapped[StaffUser] = relationship("StaffUser", back_populates="memberships")
