"""What the case view (ärendevyn) reads: one case's header, tabs and the choices its tools offer.

Read-only queries for the back office's case screens (and later the API): they never
change a row and never decide access on their own. The caller has already loaded the
case through ``audit.record_case_view`` (which checks that the user may see it); the
tool choices come from ``access.can``, so the screen offers what the services allow.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from shared import forms
from shared.db import db
from shared.errors import DomainError
from shared.models import (
    Case,
    CaseEvent,
    CaseFlag,
    ColourLabel,
    Document,
    HandlerGroup,
    InternalNote,
    Message,
    MessageTemplate,
    StaffUser,
    Status,
    StatusKind,
    Subtask,
)
from shared.services import access, users

# The tools of the Verktyg box, each an access action (shared.services.access.Action).
TOOL_ACTIONS: tuple[str, ...] = tuple(a for a in access.Action.__args__ if a != "view")  # type: ignore[attr-defined]


@dataclass
class CaseHeader:
    """The case header (F-CASE-1) and what the tab bar and the Verktyg box need."""

    case: Case
    relation: str | None
    flagged: bool
    summary: list[tuple[str, str]]
    colour_label: ColourLabel | None
    counts: dict[str, int]
    # "take" (unassigned, or held by my group), "take_over" (held by someone else), None (mine alone).
    take: str | None
    other_holders: list[str]
    allowed: dict[str, bool] = field(default_factory=dict)

    @property
    def restricted(self) -> bool:
        return self.relation == access.RESTRICTED


@dataclass
class AnswerRow:
    question: Mapping[str, Any]
    text: str
    value: Any


@dataclass
class AnswerSection:
    title: str
    rows: list[AnswerRow]


def _holders_other_than(case: Case, user: StaffUser) -> list:
    """The handler rows that stand between the user and the case (as take_case sees them)."""
    my_groups = {m.group_id for m in user.memberships}
    return [h for h in case.handlers if h.user_id != user.id and h.group_id not in my_groups]


def take_choice(case: Case, user: StaffUser) -> tuple[str | None, list[str]]:
    """Which take the user is offered: ("take" | "take_over" | None, names of the others holding it)."""
    if len(case.handlers) == 1 and case.handlers[0].user_id == user.id:
        return None, []
    others = _holders_other_than(case, user)
    names = [h.user.display_name if h.user is not None else h.group.name for h in others]
    return ("take_over" if others else "take"), names


def is_flagged(case_id: int, user_id: int) -> bool:
    """Whether the user has starred the case (Flaggade)."""
    return db.session.get(CaseFlag, (case_id, user_id)) is not None


def tab_counts(case_id: int) -> dict[str, int]:
    """How many messages, internal notes, documents and subtasks the case has: one statement."""

    def count(model) -> Any:
        return select(func.count()).select_from(model).where(model.case_id == case_id).scalar_subquery()

    row = db.session.execute(select(count(Message), count(InternalNote), count(Document), count(Subtask))).one()
    return {"messages": row[0], "notes": row[1], "documents": row[2], "subtasks": row[3]}


def case_header(case: Case, user: StaffUser) -> CaseHeader:
    """Everything the header, the tab bar and the Verktyg box show for this user."""
    definition = case.version.definition
    colour_label = next((c for c in case.eservice.colour_labels if c.colour == case.colour), None)
    take, others = take_choice(case, user)
    return CaseHeader(
        case=case,
        relation=access.relation(user, case),
        flagged=is_flagged(case.id, user.id),
        summary=forms.summarize(definition, case.answers or {}, case.eservice.summary_fields or []),
        colour_label=colour_label,
        counts=tab_counts(case.id),
        take=take,
        other_holders=others,
        allowed=access.allowed_actions(user, case, TOOL_ACTIONS),
    )


def denial_message(user: StaffUser, action: access.Action, case: Case) -> str | None:
    """Why the user may not do the action (the service's own words), or None when they may."""
    try:
        access.require(user, action, case)
    except DomainError as error:
        return str(error)
    return None


def reply_needs_taking(user: StaffUser, case: Case, allowed: Mapping[str, bool] | None = None) -> bool:
    """Whether taking the case is all that stands between the user and writing to the applicant.

    The 1177 rule: a case is answered by one person, so "Ta ärendet och svara" is offered
    to a handler who may take the case but is not assigned in person. ``allowed``: the
    user's allowed_actions for the case, if already known.
    """
    if allowed is None:
        allowed = access.allowed_actions(user, case, ("message", "take"))
    if allowed["message"] or not allowed["take"]:
        return False
    # Only the assignment is missing if messages are on and the applicant has e-ID.
    return case.eservice.messages_enabled and case.citizen_id is not None


def answer_sections(case: Case) -> list[AnswerSection]:
    """The visible answers of the case, grouped by the steps of its own version, as the applicant would read them."""
    definition = case.version.definition
    answers = case.answers or {}
    visible = forms.visible_question_ids(definition, answers)
    sections = []
    for step in definition.get("steps") or ():
        rows = []
        for question in step.get("questions") or ():
            if question.get("id") not in visible or question.get("type") == "info":
                continue
            value = answers.get(question["id"])
            rows.append(AnswerRow(question, forms.display_value(question, value), value))
        if rows:
            sections.append(AnswerSection(str(step.get("title") or ""), rows))
    return sections


def case_history(case_id: int) -> list[CaseEvent]:
    """The case's events (Ärendehistorik), oldest first, with who did them."""
    query = (
        select(CaseEvent)
        .where(CaseEvent.case_id == case_id)
        .options(selectinload(CaseEvent.actor_user), selectinload(CaseEvent.actor_citizen))
        .order_by(CaseEvent.created_at, CaseEvent.id)
    )
    return list(db.session.scalars(query))


def case_messages(case_id: int) -> list[Message]:
    """The message thread with the applicant, oldest first (newest last), with authors and attachments."""
    query = (
        select(Message)
        .where(Message.case_id == case_id)
        .options(
            selectinload(Message.author_user),
            selectinload(Message.author_citizen),
            selectinload(Message.attachments),
        )
        .order_by(Message.created_at, Message.id)
    )
    return list(db.session.scalars(query))


def case_notes(case_id: int) -> list[InternalNote]:
    """The internal notes, oldest first, with their authors."""
    query = (
        select(InternalNote)
        .where(InternalNote.case_id == case_id)
        .options(selectinload(InternalNote.author))
        .order_by(InternalNote.created_at, InternalNote.id)
    )
    return list(db.session.scalars(query))


def case_documents(case_id: int) -> list[Document]:
    """Every document of the case (from either side), oldest first."""
    query = select(Document).where(Document.case_id == case_id).order_by(Document.created_at, Document.id)
    return list(db.session.scalars(query))


def case_subtasks(case_id: int) -> list[Subtask]:
    """The case's subtasks (deluppgifter), by deadline, with the responsible."""
    query = (
        select(Subtask)
        .where(Subtask.case_id == case_id)
        .options(selectinload(Subtask.responsible))
        .order_by(Subtask.deadline, Subtask.id)
    )
    return list(db.session.scalars(query))


def user_names(user_ids: Iterable[int | None]) -> dict[int, str]:
    """Display names of back-office users by id (for uploaders, readers …), in one query."""
    ids = sorted({i for i in user_ids if i is not None})
    if not ids:
        return {}
    rows = db.session.scalars(select(StaffUser).where(StaffUser.id.in_(ids)))
    return {u.id: u.display_name for u in rows}


def settable_statuses(case: Case) -> list[Status]:
    """The statuses a handler may set on the case: its e-service's status group, drafts excluded."""
    return [s for s in case.eservice.status_group.statuses if s.kind != StatusKind.DRAFT]


def assignable(case: Case) -> tuple[list[StaffUser], list[HandlerGroup]]:
    """The people and groups who are handlers for the case's e-service today (Ändra handläggare)."""
    return users.handlers_for_eservice(case.eservice_id), users.groups_for_eservice(case.eservice_id)


def message_templates(case: Case) -> list[MessageTemplate]:
    """The e-service's ready texts for messages (F-ES-13), by name."""
    return list(case.eservice.message_templates)


__all__ = [
    "AnswerRow",
    "AnswerSection",
    "CaseHeader",
    "answer_sections",
    "assignable",
    "case_documents",
    "case_header",
    "case_history",
    "case_messages",
    "case_notes",
    "case_subtasks",
    "denial_message",
    "is_flagged",
    "message_templates",
    "reply_needs_taking",
    "settable_statuses",
    "tab_counts",
    "take_choice",
    "user_names",
]
