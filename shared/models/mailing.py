"""Mailings (utskick) to many applicants, optionally with a yes/no question (F-MAIL-*)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.db import JSONType, Model
from shared.models.base import StrEnum, created_at_column, enum_column
from shared.models.eservice import Channel

if TYPE_CHECKING:
    from shared.models.case import Case


class MailingAnswer(StrEnum):
    YES = "yes"
    NO = "no"


class Mailing(Model):
    __tablename__ = "mailing"

    id: Mapped[int] = mapped_column(primary_key=True)
    eservice_id: Mapped[int | None] = mapped_column(sa.ForeignKey("eservice.id", ondelete="SET NULL"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id", ondelete="SET NULL"))
    channel: Mapped[Channel] = enum_column(Channel)
    subject: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    body: Mapped[str] = mapped_column(sa.Text, nullable=False)
    # How the recipients were chosen (checked cases, or e-service + versions + dates/status).
    criteria: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict, nullable=False)
    question: Mapped[str | None] = mapped_column(sa.Text, nullable=True)  # optional yes/no question
    answer_deadline: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    no_answer_status_id: Mapped[int | None] = mapped_column(sa.ForeignKey("status.id", ondelete="SET NULL"))
    no_answer_ran_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)
    created_at: Mapped[dt.datetime] = created_at_column()
    sent_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)

    recipients: Mapped[list[MailingRecipient]] = relationship(
        "MailingRecipient", back_populates="mailing", cascade="all, delete-orphan"
    )


class MailingRecipient(Model):
    __tablename__ = "mailing_recipient"
    __table_args__ = (sa.UniqueConstraint("mailing_id", "case_id", name="uq_mailing_recipient"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mailing_id: Mapped[int] = mapped_column(sa.ForeignKey("mailing.id", ondelete="CASCADE"), nullable=False)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True)
    answer: Mapped[MailingAnswer | None] = enum_column(MailingAnswer, nullable=True)
    answered_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)
    notified_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)
    no_answer_action_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)

    mailing: Mapped[Mailing] = relationship("Mailing", back_populates="recipients")
    case: Mapped[Case] = relationship("Case")
