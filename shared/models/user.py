"""Back-office users (handlers, builders, admins) and what belongs to each of them.

Handlers are Flask-AppBuilder users: ``StaffUser`` extends FAB's ``ab_user`` table with
the columns the domain needs, so there is one user table and FAB's login keeps working.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_appbuilder.security.sqla.models import User as FabUser
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.db import JSONType, Model
from shared.models.base import StrEnum, created_at_column

if TYPE_CHECKING:
    from shared.models.group import GroupMember, HandlerGroup


class StaffUser(FabUser):
    """A person who logs in to the back office."""

    __tablename__ = "ab_user"
    __table_args__ = {"extend_existing": True}

    mobile_phone: Mapped[str | None] = mapped_column(sa.String(32), nullable=True)
    # F-GRP-2: each handler chooses how to be told about new events.
    notify_by_email: Mapped[bool] = mapped_column(sa.Boolean, default=True, server_default=sa.true(), nullable=False)
    notify_by_sms: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false(), nullable=False)
    title: Mapped[str | None] = mapped_column(sa.String(120), nullable=True)

    memberships: Mapped[list[GroupMember]] = relationship(
        "GroupMember", back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.username

    @property
    def handler_groups(self) -> list[HandlerGroup]:
        return [m.group for m in self.memberships]

    @property
    def role_names(self) -> set[str]:
        return {role.name for role in self.roles}

    def has_role(self, *names: str) -> bool:
        return bool(self.role_names & set(names))


class HandlerDisplay(StrEnum):
    NAME = "name"
    USERNAME = "username"


class UserPreference(Model):
    """F-LIST-4: how a handler wants the case overview."""

    __tablename__ = "user_preference"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("ab_user.id", ondelete="CASCADE"), primary_key=True)
    list_columns: Mapped[list | None] = mapped_column(JSONType, nullable=True)
    open_in_new_tab: Mapped[bool] = mapped_column(sa.Boolean, default=False, nullable=False)
    show_handler_as: Mapped[str] = mapped_column(sa.String(20), default=HandlerDisplay.NAME.value, nullable=False)
    page_size: Mapped[int] = mapped_column(sa.Integer, default=50, nullable=False)
    default_tab: Mapped[str | None] = mapped_column(sa.String(20), nullable=True)
    updated_at: Mapped[dt.datetime] = created_at_column()


class Absence(Model):
    """F-GRP-3: a handler away; applicant messages meanwhile go to a group mailbox."""

    __tablename__ = "absence"
    __table_args__ = (sa.Index("ix_absence_user_period", "user_id", "starts_on", "ends_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False)
    starts_on: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    ends_on: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    auto_reply: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    forward_to_group_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("handler_group.id", ondelete="SET NULL"), nullable=True
    )
    # Set when an admin switched forwarding on for an absent colleague (sick leave).
    set_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[dt.datetime] = created_at_column()
    ended_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)

    user: Mapped[StaffUser] = relationship("StaffUser", foreign_keys=[user_id])
    forward_to_group: Mapped[HandlerGroup | None] = relationship("HandlerGroup")

    def covers(self, day: dt.date) -> bool:
        return self.ended_at is None and self.starts_on <= day <= self.ends_on
