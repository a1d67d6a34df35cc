"""The outbox (F-NOT-4) and the notices a citizen sees on Mina sidor."""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Model
from shared.models.base import StrEnum, created_at_column, enum_column
from shared.models.eservice import Channel


class OutboxState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class OutboxMessage(Model):
    """A notification written in the same transaction as its cause, sent later by the scheduler."""

    __tablename__ = "outbox_message"
    __table_args__ = (sa.Index("ix_outbox_due", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Sent with the message (Message-ID / SMS reference) so a retry can never double-send unnoticed.
    uuid: Mapped[str] = mapped_column(sa.String(36), unique=True, default=lambda: str(uuid.uuid4()), nullable=False)
    event: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    channel: Mapped[Channel] = enum_column(Channel)
    recipient_address: Mapped[str | None] = mapped_column(sa.String(320), nullable=True)
    recipient_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id", ondelete="SET NULL"))
    recipient_citizen_id: Mapped[int | None] = mapped_column(sa.ForeignKey("citizen.id", ondelete="SET NULL"))
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id", ondelete="SET NULL"), index=True)
    subject: Mapped[str | None] = mapped_column(sa.String(300), nullable=True)
    body: Mapped[str] = mapped_column(sa.Text, nullable=False)
    link: Mapped[str | None] = mapped_column(sa.String(500), nullable=True)
    state: Mapped[OutboxState] = enum_column(OutboxState, default=OutboxState.PENDING)
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0, nullable=False)
    next_attempt_at: Mapped[dt.datetime] = created_at_column()
    last_error: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    created_at: Mapped[dt.datetime] = created_at_column()
    sent_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)
    # Retries stop 24 hours after the first attempt (F-NOT-4).
    first_attempt_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)
    # The dispatcher's claim while the row is "sending" (next_attempt_at is then the claim's lease).
    claimed_by: Mapped[str | None] = mapped_column(sa.String(80), nullable=True)


class PortalNotice(Model):
    """A notification delivered to the citizen's Mina sidor."""

    __tablename__ = "portal_notice"
    __table_args__ = (sa.Index("ix_portal_notice_citizen", "citizen_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    citizen_id: Mapped[int] = mapped_column(sa.ForeignKey("citizen.id", ondelete="CASCADE"), nullable=False)
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"))
    subject: Mapped[str | None] = mapped_column(sa.String(300), nullable=True)
    body: Mapped[str] = mapped_column(sa.Text, nullable=False)
    link: Mapped[str | None] = mapped_column(sa.String(500), nullable=True)
    outbox_uuid: Mapped[str | None] = mapped_column(sa.String(36), unique=True, nullable=True)
    created_at: Mapped[dt.datetime] = created_at_column()
    read_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)
