"""Mina sidor (F-POR-4): what a citizen sees of their own drafts, cases, messages, documents and mailings.

Every query starts from ``access.citizen_cases`` or ``access.require_citizen``, so a
citizen never meets another person's case; someone else's case, message or document
is "not found" (NotFound), never "forbidden", so a hand-typed id reveals nothing.
Anonymous cases (no citizen) belong to nobody's Mina sidor.

Which documents the applicant sees: every document on the case. The model has no
"shared with the applicant" flag, and the back office's Handlingar tab tells handlers
that "the applicant sees the document on My pages" for each upload; the download
service (documents.download_document) lets the applicant open any document of their
own case. Internal notes and subtask messages live in other tables and never show here.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import contains_eager, joinedload

from shared import clock
from shared.db import db, transactional
from shared.models import (
    Case,
    Citizen,
    Document,
    Mailing,
    MailingRecipient,
    Message,
    MessageDirection,
    PortalNotice,
)
from shared.services import access, case_queries, messages


@dataclass
class CaseRow:
    """One line of "Mina ärenden": the case and how many of the handlers' messages are unread."""

    case: Case
    unread: int


@dataclass
class CasePage:
    """Everything the citizen's case page shows."""

    case: Case
    answers: list[case_queries.AnswerSection]
    thread: list[Message]
    documents: list[Document]
    mailings: list[MailingRecipient]
    # The handlers' messages that were unread when the page was opened (shown as new).
    unread_ids: set[int] = field(default_factory=set)
    # The message a notification's link points at (?meddelande=<id>).
    focus_id: int | None = None
    # Why the citizen may not write or add documents now (None: they may).
    message_denial: str | None = None
    supplement_denial: str | None = None

    @property
    def may_message(self) -> bool:
        return self.message_denial is None

    @property
    def may_supplement(self) -> bool:
        return self.supplement_denial is None


def _own_case_ids(citizen: Citizen):
    """The ids of the citizen's submitted cases, as a subquery (the access rules' query)."""
    return access.citizen_cases(citizen, drafts=False).with_only_columns(Case.id).order_by(None)


def drafts(citizen: Citizen) -> list[Case]:
    """The citizen's saved, not yet submitted applications (Sparat), last saved first."""
    query = (
        access.citizen_cases(citizen, drafts=True)
        .options(joinedload(Case.eservice))
        .order_by(None)
        .order_by(Case.updated_at.desc(), Case.id.desc())
    )
    return list(db.session.scalars(query).unique())


def unread_counts(case_ids: list[int]) -> dict[int, int]:
    """How many of the handlers' messages are unread, per case (cases with none are left out)."""
    if not case_ids:
        return {}
    query = (
        select(Message.case_id, func.count())
        .where(
            Message.case_id.in_(case_ids),
            Message.direction == MessageDirection.TO_APPLICANT,
            Message.read_at.is_(None),
        )
        .group_by(Message.case_id)
    )
    return {case_id: count for case_id, count in db.session.execute(query)}


def cases(citizen: Citizen) -> list[CaseRow]:
    """The citizen's submitted cases, newest first, each with its count of unread messages."""
    query = access.citizen_cases(citizen, drafts=False).options(joinedload(Case.eservice), joinedload(Case.status))
    found = list(db.session.scalars(query).unique())
    unread = unread_counts([case.id for case in found])
    return [CaseRow(case, unread.get(case.id, 0)) for case in found]


def awaiting_answer(citizen: Citizen, *, case_id: int | None = None) -> list[MailingRecipient]:
    """Mailings (utskick) with a yes/no question sent to the citizen's cases, not yet answered, deadline not passed.

    Soonest deadline first; mailings without a deadline last.
    """
    today = clock.today()
    query = (
        select(MailingRecipient)
        .join(MailingRecipient.mailing)
        .join(MailingRecipient.case)
        .where(
            MailingRecipient.case_id.in_(_own_case_ids(citizen)),
            MailingRecipient.answer.is_(None),
            Mailing.sent_at.is_not(None),
            Mailing.question.is_not(None),
            Mailing.question != "",
            or_(Mailing.answer_deadline.is_(None), Mailing.answer_deadline >= today),
        )
        .options(
            contains_eager(MailingRecipient.mailing),
            contains_eager(MailingRecipient.case).joinedload(Case.eservice),
        )
        .order_by(Mailing.answer_deadline.is_(None), Mailing.answer_deadline, Mailing.sent_at.desc(), Mailing.id)
    )
    if case_id is not None:
        query = query.where(MailingRecipient.case_id == case_id)
    return list(db.session.scalars(query).unique())


def case_mailings(citizen: Citizen, case_id: int) -> list[MailingRecipient]:
    """Every mailing sent to the citizen's case, answered or not, with or without a question; newest first."""
    query = (
        select(MailingRecipient)
        .join(MailingRecipient.mailing)
        .where(
            MailingRecipient.case_id == case_id,
            MailingRecipient.case_id.in_(_own_case_ids(citizen)),
            Mailing.sent_at.is_not(None),
        )
        .options(contains_eager(MailingRecipient.mailing), joinedload(MailingRecipient.case))
        .order_by(Mailing.sent_at.desc(), Mailing.id.desc())
    )
    return list(db.session.scalars(query).unique())


def own_case(citizen: Citizen | None, case_id: int) -> Case:
    """The citizen's own case or draft; NotFound for anyone else's (or an anonymous one)."""
    # The case page shows its form (version), e-service and status: read with it in one round trip.
    options = [joinedload(Case.version), joinedload(Case.eservice), joinedload(Case.status)]
    case = db.session.get(Case, case_id, options=options)
    access.require_citizen(citizen, "view", case)
    assert case is not None
    return case


def _denial(citizen: Citizen, action: access.CitizenAction, case: Case) -> str | None:
    error = access.citizen_denial(citizen, action, case)
    return error.message if error is not None else None


def case_page(citizen: Citizen, case_id: int, *, focus_message_id: int | None = None) -> CasePage:
    """What the citizen's page for one submitted case shows; changes nothing.

    NotFound when the case is not the citizen's, or when ``focus_message_id`` is not a
    message of this case.
    """
    case = own_case(citizen, case_id)
    thread = case_queries.case_messages(case.id)
    if focus_message_id is not None and not any(m.id == focus_message_id for m in thread):
        raise messages.message_not_found()
    return CasePage(
        case=case,
        answers=case_queries.answer_sections(case),
        thread=thread,
        documents=case_queries.case_documents(case.id),
        mailings=case_mailings(citizen, case.id),
        unread_ids={m.id for m in thread if m.direction == MessageDirection.TO_APPLICANT and m.read_at is None},
        focus_id=focus_message_id,
        message_denial=_denial(citizen, "message", case),
        supplement_denial=_denial(citizen, "add_supplement", case),
    )


@transactional
def _mark_read(citizen: Citizen, message_ids: set[int]) -> None:
    for message_id in sorted(message_ids):
        messages.mark_read(message_id, reader=citizen)


# The latest few: older notices are in the cases themselves (status, messages).
NOTICES_SHOWN = 5


def notices(citizen: Citizen, *, limit: int = NOTICES_SHOWN) -> list[PortalNotice]:
    """The citizen's latest notices (notifications sent to Mina sidor), unread first, then newest first."""
    query = (
        select(PortalNotice)
        .where(PortalNotice.citizen_id == citizen.id)
        .order_by(PortalNotice.read_at.is_not(None), PortalNotice.created_at.desc(), PortalNotice.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


@transactional
def mark_notices_read(citizen: Citizen, *, case_id: int | None = None) -> int:
    """Mark the citizen's unread notices read (those of one case, or all); how many were unread."""
    query = update(PortalNotice).where(PortalNotice.citizen_id == citizen.id, PortalNotice.read_at.is_(None))
    if case_id is not None:
        query = query.where(PortalNotice.case_id == case_id)
    return db.session.execute(query.values(read_at=clock.now()).execution_options(synchronize_session=False)).rowcount


def _has_unread_notices(citizen: Citizen, case_id: int) -> bool:
    query = select(PortalNotice.id).where(
        PortalNotice.citizen_id == citizen.id, PortalNotice.case_id == case_id, PortalNotice.read_at.is_(None)
    )
    return db.session.scalar(query.limit(1)) is not None


def read_case(citizen: Citizen, case_id: int, *, focus_message_id: int | None = None) -> CasePage:
    """Open the case page: the handlers' messages shown and the case's notices are marked read (read receipts)."""
    page = case_page(citizen, case_id, focus_message_id=focus_message_id)
    if _has_unread_notices(citizen, case_id):
        mark_notices_read(citizen, case_id=case_id)
        page = case_page(citizen, case_id, focus_message_id=focus_message_id)
    if not page.unread_ids:
        return page  # nothing to change: no transaction
    _mark_read(citizen, page.unread_ids)
    # The commit expired the page's rows: one more build of the page costs a few queries,
    # where the template would reload each message, attachment list and document by itself.
    again = case_page(citizen, case_id, focus_message_id=focus_message_id)
    return dataclasses.replace(again, unread_ids=page.unread_ids)


__all__ = [
    "CasePage",
    "CaseRow",
    "awaiting_answer",
    "case_mailings",
    "case_page",
    "cases",
    "drafts",
    "mark_notices_read",
    "notices",
    "own_case",
    "read_case",
    "unread_counts",
]
