"""E-services, their versions and everything a builder configures on one (F-ES-*)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.db import JSONType, Model
from shared.models.base import StrEnum, created_at_column, enum_column

if TYPE_CHECKING:
    from shared.models.group import HandlerGroup
    from shared.models.status import StatusGroup
    from shared.models.user import StaffUser


class Category(Model):
    __tablename__ = "category"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(150), unique=True, nullable=False)
    description: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    sort_order: Mapped[int] = mapped_column(sa.Integer, default=0, nullable=False)

    def __str__(self) -> str:
        return self.name


class PersonalDataCategory(StrEnum):
    """F-ES-6: the categories the seed's GDPR form offers."""

    NAME = "namn"
    ADDRESS = "adress"
    PROPERTY = "fastighetsbeteckning"
    EMAIL = "e-post"
    PERSONNUMMER = "personnummer"
    SALARY = "lon"
    PHONE = "telefon"
    MOBILE = "mobil"
    IP = "ip-nummer"
    CUSTOMER_NUMBER = "kundnummer"
    GPS = "gps-koordinat"


class LegalBasis(StrEnum):
    """F-ES-6: the six lawful bases of GDPR art. 6(1)."""

    CONSENT = "consent"
    CONTRACT = "contract"
    LEGAL_OBLIGATION = "legal_obligation"
    VITAL_INTERESTS = "vital_interests"
    PUBLIC_INTEREST = "public_interest"
    OFFICIAL_AUTHORITY = "official_authority"
    LEGITIMATE_INTERESTS = "legitimate_interests"


class EService(Model):
    __tablename__ = "eservice"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    slug: Mapped[str] = mapped_column(sa.String(120), unique=True, nullable=False)
    category_id: Mapped[int | None] = mapped_column(sa.ForeignKey("category.id", ondelete="SET NULL"), index=True)
    description: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    enabled: Mapped[bool] = mapped_column(sa.Boolean, default=True, nullable=False)
    login_required: Mapped[bool] = mapped_column(sa.Boolean, default=True, nullable=False)
    anonymous_allowed: Mapped[bool] = mapped_column(sa.Boolean, default=False, nullable=False)
    due_days: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    status_group_id: Mapped[int] = mapped_column(sa.ForeignKey("status_group.id"), nullable=False)

    # Features switched on per e-service.
    colour_marking: Mapped[bool] = mapped_column(sa.Boolean, default=False, nullable=False)
    manual_add: Mapped[bool] = mapped_column(sa.Boolean, default=False, nullable=False)
    manual_add_personnummer: Mapped[bool] = mapped_column(sa.Boolean, default=True, nullable=False)
    messages_enabled: Mapped[bool] = mapped_column(sa.Boolean, default=True, nullable=False)
    documents_enabled: Mapped[bool] = mapped_column(sa.Boolean, default=True, nullable=False)
    subtasks_enabled: Mapped[bool] = mapped_column(sa.Boolean, default=False, nullable=False)
    edit_submitted_enabled: Mapped[bool] = mapped_column(sa.Boolean, default=True, nullable=False)
    # Kulturskolan: the question whose answer forms a queue (statistics per answer).
    queue_question_id: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)

    # F-ES-6 personal data (GDPR).
    gdpr_categories: Mapped[list[str]] = mapped_column(JSONType, default=list, nullable=False)
    gdpr_extra_categories: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    gdpr_purpose: Mapped[str | None] = mapped_column(sa.Text, nullable=True)  # None = standard text
    gdpr_legal_bases: Mapped[list[str]] = mapped_column(JSONType, default=list, nullable=False)
    gdpr_retention: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    controller_name: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    controller_email: Mapped[str | None] = mapped_column(sa.String(320), nullable=True)
    complaint_text: Mapped[str | None] = mapped_column(sa.Text, nullable=True)  # None = standard IMY text

    # F-ES-9 default assignment when no rule matches.
    default_handler_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id", ondelete="SET NULL"))
    default_group_id: Mapped[int | None] = mapped_column(sa.ForeignKey("handler_group.id", ondelete="SET NULL"))
    # F-ES-11: question ids shown as the case's short description.
    summary_fields: Mapped[list[str]] = mapped_column(JSONType, default=list, nullable=False)
    # F-ES-12: [{"question": id, "heading": text}]; empty = every question.
    excel_columns: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list, nullable=False)
    # F-NOT-3: general notifications go to this functional mailbox.
    general_mailbox: Mapped[str | None] = mapped_column(sa.String(320), nullable=True)

    # F-ES-14 governance.
    process_owner: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    information_owner: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    last_reviewed_on: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)

    created_at: Mapped[dt.datetime] = created_at_column()
    updated_at: Mapped[dt.datetime] = created_at_column()

    category: Mapped[Category | None] = relationship("Category")
    status_group: Mapped[StatusGroup] = relationship("StatusGroup")
    versions: Mapped[list[EServiceVersion]] = relationship(
        "EServiceVersion", back_populates="eservice", order_by="EServiceVersion.number", cascade="all, delete-orphan"
    )
    handler_links: Mapped[list[HandlerLink]] = relationship(
        "HandlerLink", back_populates="eservice", cascade="all, delete-orphan"
    )
    colour_labels: Mapped[list[ColourLabel]] = relationship(
        "ColourLabel", order_by="ColourLabel.sort_order", cascade="all, delete-orphan"
    )
    message_templates: Mapped[list[MessageTemplate]] = relationship(
        "MessageTemplate", order_by="MessageTemplate.name", cascade="all, delete-orphan"
    )
    assignment_rules: Mapped[list[AssignmentRule]] = relationship(
        "AssignmentRule", order_by="AssignmentRule.sort_order", cascade="all, delete-orphan"
    )
    notification_settings: Mapped[list[NotificationSetting]] = relationship(
        "NotificationSetting", cascade="all, delete-orphan"
    )
    default_handler: Mapped[StaffUser | None] = relationship("StaffUser", foreign_keys=[default_handler_id])
    default_group: Mapped[HandlerGroup | None] = relationship("HandlerGroup", foreign_keys=[default_group_id])

    @property
    def published_version(self) -> EServiceVersion | None:
        published = [v for v in self.versions if v.state == VersionState.PUBLISHED]
        return published[-1] if published else None

    def __str__(self) -> str:
        return self.name


class VersionState(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    RETIRED = "retired"


class EServiceVersion(Model):
    """F-ES-2: a form definition; every case keeps the version it was submitted on."""

    __tablename__ = "eservice_version"
    __table_args__ = (sa.UniqueConstraint("eservice_id", "number", name="uq_eservice_version_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    eservice_id: Mapped[int] = mapped_column(sa.ForeignKey("eservice.id", ondelete="CASCADE"), nullable=False)
    number: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    definition: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False)
    state: Mapped[VersionState] = enum_column(VersionState, default=VersionState.DRAFT)
    note: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    created_at: Mapped[dt.datetime] = created_at_column()
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id", ondelete="SET NULL"))
    published_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)

    eservice: Mapped[EService] = relationship("EService", back_populates="versions")

    def __str__(self) -> str:
        return f"{self.eservice.name} v{self.number}"


class HandlerLink(Model):
    """A user or a group is handler for an e-service, possibly restricted, possibly for a time."""

    __tablename__ = "handler_link"
    __table_args__ = (
        sa.CheckConstraint(
            "(user_id IS NULL) <> (group_id IS NULL)", name="ck_handler_link_user_or_group"
        ),
        sa.UniqueConstraint("eservice_id", "user_id", name="uq_handler_link_user"),
        sa.UniqueConstraint("eservice_id", "group_id", name="uq_handler_link_group"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    eservice_id: Mapped[int] = mapped_column(sa.ForeignKey("eservice.id", ondelete="CASCADE"), nullable=False)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[int | None] = mapped_column(sa.ForeignKey("handler_group.id", ondelete="CASCADE"), index=True)
    # Begränsad behörighet: sees only cases assigned to them or their group.
    restricted: Mapped[bool] = mapped_column(sa.Boolean, default=False, nullable=False)
    valid_from: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    valid_to: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)

    eservice: Mapped[EService] = relationship("EService", back_populates="handler_links")
    user: Mapped[StaffUser | None] = relationship("StaffUser")
    group: Mapped[HandlerGroup | None] = relationship("HandlerGroup")

    def valid_on(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day <= self.valid_to)


class ColourLabel(Model):
    """F-ES-10: what each colour means in this e-service."""

    __tablename__ = "colour_label"
    __table_args__ = (sa.UniqueConstraint("eservice_id", "colour", name="uq_colour_label"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    eservice_id: Mapped[int] = mapped_column(sa.ForeignKey("eservice.id", ondelete="CASCADE"), nullable=False)
    colour: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    meaning: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    sort_order: Mapped[int] = mapped_column(sa.Integer, default=0, nullable=False)


class MessageTemplate(Model):
    """F-ES-13: ready texts for handlers' messages."""

    __tablename__ = "message_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    eservice_id: Mapped[int] = mapped_column(sa.ForeignKey("eservice.id", ondelete="CASCADE"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    body: Mapped[str] = mapped_column(sa.Text, nullable=False)


class AssignmentRule(Model):
    """F-ES-9: if question Q has answer A, assign handler H and/or group G."""

    __tablename__ = "assignment_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    eservice_id: Mapped[int] = mapped_column(sa.ForeignKey("eservice.id", ondelete="CASCADE"), nullable=False, index=True)
    question_id: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    answer_value: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id", ondelete="CASCADE"))
    group_id: Mapped[int | None] = mapped_column(sa.ForeignKey("handler_group.id", ondelete="CASCADE"))
    sort_order: Mapped[int] = mapped_column(sa.Integer, default=0, nullable=False)

    user: Mapped[StaffUser | None] = relationship("StaffUser")
    group: Mapped[HandlerGroup | None] = relationship("HandlerGroup")


class NotificationEvent(StrEnum):
    """F-NOT-1/2: the events that may notify someone."""

    SUBMITTED = "submitted"
    STATUS_CHANGED = "status_changed"
    MESSAGE_TO_APPLICANT = "message_to_applicant"
    CLOSED = "closed"
    MESSAGE_FROM_APPLICANT = "message_from_applicant"
    INTERNAL_NOTE = "internal_note"
    ASSIGNED = "assigned"
    TAKEN_OVER = "taken_over"
    SUPPLEMENT = "supplement"
    OVERDUE = "overdue"
    MESSAGE_READ = "message_read"
    FILE_DOWNLOADED = "file_downloaded"
    NEW_CASE = "new_case"
    GROUP_ASSIGNED = "group_assigned"
    SUBTASK_ASSIGNED = "subtask_assigned"
    SUBTASK_DUE = "subtask_due"
    SUBTASK_MESSAGE = "subtask_message"
    MAILING = "mailing"
    AUTO_REPLY = "auto_reply"


class Recipient(StrEnum):
    APPLICANT = "applicant"
    ASSIGNED_HANDLERS = "assigned_handlers"
    ALL_HANDLERS = "all_handlers"
    GROUP_MEMBERS = "group_members"
    MAILBOX = "mailbox"  # the e-service's general functional mailbox (F-NOT-3)


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    PORTAL = "portal"  # a notice on Mina sidor


class NotificationSetting(Model):
    """F-ES-7: one event × recipient × channel switch with its editable texts."""

    __tablename__ = "notification_setting"
    __table_args__ = (
        sa.UniqueConstraint("eservice_id", "event", "recipient", "channel", name="uq_notification_setting"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    eservice_id: Mapped[int] = mapped_column(sa.ForeignKey("eservice.id", ondelete="CASCADE"), nullable=False)
    event: Mapped[NotificationEvent] = enum_column(NotificationEvent)
    recipient: Mapped[Recipient] = enum_column(Recipient)
    channel: Mapped[Channel] = enum_column(Channel)
    enabled: Mapped[bool] = mapped_column(sa.Boolean, default=True, nullable=False)
    subject: Mapped[str | None] = mapped_column(sa.String(300), nullable=True)  # None = standard text
    body: Mapped[str | None] = mapped_column(sa.Text, nullable=True)  # None = standard text
