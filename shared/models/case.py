"""Cases (ärenden) and what hangs on them: handlers, flags, history, messages, notes, documents."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.db import JSONType, Model
from shared.models.base import StrEnum, created_at_column, enum_column

if TYPE_CHECKING:
    from shared.models.citizen import Citizen
    from shared.models.eservice import EService, EServiceVersion
    from shared.models.group import HandlerGroup
    from shared.models.status import Status
    from shared.models.user import StaffUser


class CaseChannel(StrEnum):
    PORTAL = "portal"
    MANUAL = "manual"  # added by a handler on someone's behalf (F-LIST-6)
    API = "api"


# The columns the overview's free-text search reads (shared/services/overview.py).
SEARCHED_COLUMNS = ("applicant_name", "contact_name", "search_text")
# What the overview's tabs and the access check read of a case, beside ix_case_submitted's keys.
SUBMITTED_INDEX_INCLUDES = ("eservice_id", "number", "closed_at", "assigned", "due_at", "due_paused_at")


class Case(Model):
    __tablename__ = "cases"
    __table_args__ = (
        # The overview's tabs and sorts (F-LIST-1/2): per e-service by date, per status, open/assigned.
        sa.Index("ix_case_eservice_submitted", "eservice_id", "submitted_at"),
        sa.Index("ix_case_status_submitted", "status_id", "submitted_at"),
        sa.Index("ix_case_open_assigned", "closed_at", "assigned", "submitted_at"),
        sa.Index("ix_case_due", "due_at"),
        # Sorting by submission date with a stable tie-break (benchmarks/overview.py). On
        # PostgreSQL it also carries what the tabs and the access check ask of each case, so a
        # page (page 20 too) is found from the index alone, without reading the cases (0006).
        sa.Index(
            "ix_case_submitted",
            "submitted_at",
            "id",
            postgresql_include=list(SUBMITTED_INDEX_INCLUDES),
        ),
        # The Alla count (submitted cases per e-service) and the sort by status: the page's
        # case ids ranked by status straight from the index (migration 0006).
        sa.Index(
            "ix_case_visible_status",
            "eservice_id",
            "status_id",
            "id",
            postgresql_where=sa.text("number IS NOT NULL"),
            sqlite_where=sa.text("number IS NOT NULL"),
        ),
        # The open tabs' counts (Obehandlade, Förfallna, Pågående) answered from the index alone.
        sa.Index(
            "ix_case_open",
            "eservice_id",
            "assigned",
            "due_at",
            postgresql_include=["due_paused_at", "id"],
            postgresql_where=sa.text("number IS NOT NULL AND closed_at IS NULL"),
            sqlite_where=sa.text("number IS NOT NULL AND closed_at IS NULL"),
        ),
        # The overview's free-text search (ILIKE '%…%' on the names and the answers' text) on
        # PostgreSQL: trigram indexes instead of reading every visible case (migration 0006).
        *(
            sa.Index(
                f"ix_case_{column}_trgm", column, postgresql_using="gin", postgresql_ops={column: "gin_trgm_ops"}
            ).ddl_if(dialect="postgresql")
            for column in SEARCHED_COLUMNS
        ),
        # Test runs (Testa e-tjänsten, F-ES-4) left behind: the hourly clean-up finds them here.
        sa.Index(
            "ix_case_test_updated",
            "updated_at",
            postgresql_where=sa.text("is_test"),
            sqlite_where=sa.text("is_test"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Ärendenummer, given on submission (drafts have none).
    number: Mapped[int | None] = mapped_column(sa.Integer, unique=True, nullable=True)
    eservice_id: Mapped[int] = mapped_column(sa.ForeignKey("eservice.id"), nullable=False)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("eservice_version.id"), nullable=False, index=True)
    status_id: Mapped[int] = mapped_column(sa.ForeignKey("status.id"), nullable=False)
    status_changed_at: Mapped[dt.datetime] = created_at_column()
    channel: Mapped[CaseChannel] = enum_column(CaseChannel, default=CaseChannel.PORTAL)

    # The applicant: a logged-in citizen, or an anonymous contact.
    citizen_id: Mapped[int | None] = mapped_column(sa.ForeignKey("citizen.id", ondelete="SET NULL"), index=True)
    contact_name: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    contact_email: Mapped[str | None] = mapped_column(sa.String(320), nullable=True)
    contact_phone: Mapped[str | None] = mapped_column(sa.String(32), nullable=True)
    # Denormalised for search (F-LIST-3): 12 digits / 10 digits without separators.
    personnummer: Mapped[str | None] = mapped_column(sa.String(12), nullable=True, index=True)
    organisationsnummer: Mapped[str | None] = mapped_column(sa.String(10), nullable=True, index=True)
    applicant_name: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)

    answers: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict, nullable=False)
    summary: Mapped[str | None] = mapped_column(sa.String(500), nullable=True)  # F-ES-11, for the list
    search_text: Mapped[str | None] = mapped_column(sa.Text, nullable=True)  # answers as text, for search
    external_number: Mapped[str | None] = mapped_column(sa.String(100), nullable=True)
    colour: Mapped[str | None] = mapped_column(sa.String(20), nullable=True)

    submitted_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id", ondelete="SET NULL"))
    due_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)
    # While a status pauses the clock (waiting for the applicant), when the pause began.
    due_paused_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)
    overdue_notified_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)
    # Denormalised so the tabs need no join: any handler or group assigned; final status reached.
    assigned: Mapped[bool] = mapped_column(sa.Boolean, default=False, nullable=False)
    closed_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)
    anonymised_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)
    # The citizen's form token: a repeated submit of the same form gives the same case.
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(64), unique=True, nullable=True)
    # A builder's or handler's test run of a version (Testa e-tjänsten, F-ES-4): always a draft,
    # never numbered, submitted or shown to anyone else; deleted when the test ends.
    is_test: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false(), nullable=False)

    created_at: Mapped[dt.datetime] = created_at_column()
    updated_at: Mapped[dt.datetime] = created_at_column()
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id", ondelete="SET NULL"))

    eservice: Mapped[EService] = relationship("EService")
    version: Mapped[EServiceVersion] = relationship("EServiceVersion")
    status: Mapped[Status] = relationship("Status")
    citizen: Mapped[Citizen | None] = relationship("Citizen")
    submitted_by: Mapped[StaffUser | None] = relationship("StaffUser", foreign_keys=[submitted_by_id])
    updated_by: Mapped[StaffUser | None] = relationship("StaffUser", foreign_keys=[updated_by_id])
    # Read when asked for (one statement for the case): most pages that load a case never
    # show its handlers (the portal's, the locked case of an action). A list that shows them
    # reads them in one go: the overview (attach_handlers), the API (selectinload).
    handlers: Mapped[list[CaseHandler]] = relationship(
        "CaseHandler", back_populates="case", cascade="all, delete-orphan"
    )
    events: Mapped[list[CaseEvent]] = relationship(
        "CaseEvent", back_populates="case", order_by="CaseEvent.id", cascade="all, delete-orphan", passive_deletes=True
    )
    messages: Mapped[list[Message]] = relationship(
        "Message", back_populates="case", order_by="Message.id", cascade="all, delete-orphan", passive_deletes=True
    )
    notes: Mapped[list[InternalNote]] = relationship(
        "InternalNote",
        back_populates="case",
        order_by="InternalNote.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    documents: Mapped[list[Document]] = relationship(
        "Document", back_populates="case", order_by="Document.id", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def handler_users(self) -> list[StaffUser]:
        return [h.user for h in self.handlers if h.user is not None]

    @property
    def handler_groups(self) -> list[HandlerGroup]:
        return [h.group for h in self.handlers if h.group is not None]

    @property
    def is_draft(self) -> bool:
        return self.number is None

    @property
    def applicant_display(self) -> str:
        if self.applicant_name:
            return self.applicant_name
        if self.citizen is not None:
            return str(self.citizen)
        return self.contact_name or self.contact_email or ""

    def __str__(self) -> str:
        return f"{self.number or '-'}"


# The overview's sort by applicant (F-LIST-2), empty names last either way: PostgreSQL walks
# one of these in order and stops after the page, instead of sorting every visible case
# (migration 0006). An index scanned backwards puts the empty names first, hence two.
APPLICANT_SORT_KEY = sa.func.coalesce(Case.applicant_name, Case.contact_name)
for _name, _key, _tie in (
    ("ix_case_applicant_sort_asc", APPLICANT_SORT_KEY.asc().nulls_last(), Case.id.asc()),
    ("ix_case_applicant_sort_desc", APPLICANT_SORT_KEY.desc().nulls_last(), Case.id.desc()),
):
    sa.Index(_name, _key, _tie, postgresql_where=Case.number.is_not(None)).ddl_if(dialect="postgresql")


class CaseHandler(Model):
    """A person or a group assigned to a case (F-CASE-3/4)."""

    __tablename__ = "case_handler"
    __table_args__ = (
        sa.CheckConstraint("(user_id IS NULL) <> (group_id IS NULL)", name="ck_case_handler_user_or_group"),
        sa.UniqueConstraint("case_id", "user_id", name="uq_case_handler_user"),
        sa.UniqueConstraint("case_id", "group_id", name="uq_case_handler_group"),
        # Mina and the restricted handler's sight: assignments by person or group, with the case.
        sa.Index("ix_case_handler_user_case", "user_id", "case_id"),
        sa.Index("ix_case_handler_group_case", "group_id", "case_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id", ondelete="CASCADE"))
    group_id: Mapped[int | None] = mapped_column(sa.ForeignKey("handler_group.id", ondelete="CASCADE"))
    assigned_at: Mapped[dt.datetime] = created_at_column()
    assigned_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id", ondelete="SET NULL"))

    case: Mapped[Case] = relationship("Case", back_populates="handlers")
    user: Mapped[StaffUser | None] = relationship("StaffUser", foreign_keys=[user_id], lazy="joined")
    group: Mapped[HandlerGroup | None] = relationship("HandlerGroup", lazy="joined")


class CaseFlag(Model):
    """A handler's personal star on a case (Flaggade)."""

    __tablename__ = "case_flag"

    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("ab_user.id", ondelete="CASCADE"), primary_key=True, index=True)
    created_at: Mapped[dt.datetime] = created_at_column()


class CaseEvent(Model):
    """One line of the case history (Ärendehistorik): who did what, when."""

    __tablename__ = "case_event"
    __table_args__ = (sa.Index("ix_case_event_case_created", "case_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    actor_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id", ondelete="SET NULL"))
    actor_citizen_id: Mapped[int | None] = mapped_column(sa.ForeignKey("citizen.id", ondelete="SET NULL"))
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict, nullable=False)
    created_at: Mapped[dt.datetime] = created_at_column()

    case: Mapped[Case] = relationship("Case", back_populates="events")
    actor_user: Mapped[StaffUser | None] = relationship("StaffUser")
    actor_citizen: Mapped[Citizen | None] = relationship("Citizen")


class MessageDirection(StrEnum):
    TO_APPLICANT = "to_applicant"
    FROM_APPLICANT = "from_applicant"


class Message(Model):
    """A message between the handlers and the applicant (F-CASE-6)."""

    __tablename__ = "message"
    __table_args__ = (sa.Index("ix_message_case_created", "case_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False)
    direction: Mapped[MessageDirection] = enum_column(MessageDirection)
    body: Mapped[str] = mapped_column(sa.Text, nullable=False)
    author_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id", ondelete="SET NULL"))
    author_citizen_id: Mapped[int | None] = mapped_column(sa.ForeignKey("citizen.id", ondelete="SET NULL"))
    template_id: Mapped[int | None] = mapped_column(sa.ForeignKey("message_template.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = created_at_column()
    # Read receipt: when the other side first read it, and which handler did.
    read_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)
    read_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id", ondelete="SET NULL"))
    # Absence forwarding (F-GRP-3): the group mailbox this applicant message was routed to.
    forwarded_to_group_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("handler_group.id", ondelete="SET NULL"), index=True
    )
    # Who in the group took the forwarded message over ("Ta över"), and when.
    forward_taken_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id", ondelete="SET NULL"))
    forward_taken_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)

    case: Mapped[Case] = relationship("Case", back_populates="messages")
    author_user: Mapped[StaffUser | None] = relationship("StaffUser", foreign_keys=[author_user_id])
    author_citizen: Mapped[Citizen | None] = relationship("Citizen")
    forward_taken_by: Mapped[StaffUser | None] = relationship("StaffUser", foreign_keys=[forward_taken_by_id])
    attachments: Mapped[list[Document]] = relationship("Document", back_populates="message")


class InternalNote(Model):
    """A note visible to handlers only (Interna noteringar)."""

    __tablename__ = "internal_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(sa.Text, nullable=False)
    created_at: Mapped[dt.datetime] = created_at_column()

    case: Mapped[Case] = relationship("Case", back_populates="notes")
    author: Mapped[StaffUser | None] = relationship("StaffUser")


class DocumentSource(StrEnum):
    APPLICANT = "applicant"
    HANDLER = "handler"


class Document(Model):
    """A file (handling) on a case; the bytes live outside the web root under ``storage_key``."""

    __tablename__ = "document"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True)
    message_id: Mapped[int | None] = mapped_column(sa.ForeignKey("message.id", ondelete="SET NULL"), index=True)
    question_id: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)  # a form's file answer
    source: Mapped[DocumentSource] = enum_column(DocumentSource)
    # A supplement is an applicant's upload after submission (komplettering).
    is_supplement: Mapped[bool] = mapped_column(sa.Boolean, default=False, nullable=False)
    filename: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    storage_key: Mapped[str] = mapped_column(sa.String(80), unique=True, nullable=False)
    content_type: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    size: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    uploaded_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id", ondelete="SET NULL"))
    uploaded_by_citizen_id: Mapped[int | None] = mapped_column(sa.ForeignKey("citizen.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = created_at_column()

    case: Mapped[Case] = relationship("Case", back_populates="documents")
    message: Mapped[Message | None] = relationship("Message", back_populates="attachments")

    def descriptor(self) -> dict[str, Any]:
        """How a form's file answer refers to this document."""
        return {"document_id": self.id, "name": self.filename, "size": self.size, "content_type": self.content_type}
