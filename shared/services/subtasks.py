"""Subtasks (deluppgifter) inside a case, after Flyt (F-SUB-1..5), and their reminders (F-JOB-4).

A case owner splits a case into subtasks: each has a title, a deadline within the case's
own, a responsible handler of the same e-service, a description and a grant to some of
the case's documents. Status goes Ny → Öppen (when the responsible first opens it) → Löst,
which locks it. The responsible and the case owner write to each other on the subtask;
the applicant never sees it. The access rules are in ``shared.services.access``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from shared import clock, notify
from shared.db import db, transactional
from shared.errors import Invalid, NotAllowed
from shared.models import (
    Case,
    Channel,
    Document,
    NotificationEvent,
    StaffUser,
    Subtask,
    SubtaskMessage,
    SubtaskStatus,
)
from shared.services import access, audit, events, users
from shared.services.jobs import JobReport

TITLE_MAX = 200
TEXT_MAX = 20000


class OpenSubtasks(NotAllowed):
    """A case cannot be closed while it has unresolved subtasks, unless they are resolved with it (F-SUB-5)."""

    code = "open_subtasks"

    def __init__(self, subtasks: Sequence[Subtask]):
        self.subtasks: list[Subtask] = list(subtasks)
        titles = ", ".join(subtask.title for subtask in self.subtasks)
        super().__init__(
            _(
                "The case has unresolved subtasks: %(titles)s. Confirm to resolve them all when the case is closed.",
                titles=titles,
            ),
            subtask_ids=[subtask.id for subtask in self.subtasks],
        )


@dataclass
class SubtaskForm:
    """What "Ny deluppgift" offers: who can be responsible, which documents, the deadline's bounds."""

    case: Case
    responsibles: list[StaffUser]
    documents: list[Document]
    earliest: dt.date
    latest: dt.date | None


# -- helpers (flush, never commit) -------------------------------------------------------------


def subtask_link(subtask: Subtask) -> str:
    """The subtask's page in the back office (the link in its notifications)."""
    return f"{current_app.config['BACKOFFICE_URL']}/deluppgifter/{subtask.id}"


def _lock_subtask(subtask_id: int) -> Subtask:
    subtask = db.session.execute(
        select(Subtask).where(Subtask.id == subtask_id).with_for_update().execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if subtask is None:
        raise access.subtask_not_found()
    return subtask


def _load_case(case_id: int, *, lock: bool = False) -> Case:
    if lock:
        from shared.services.cases import lock_case  # cases imports this module

        return lock_case(case_id)
    case = db.session.get(Case, case_id)
    if case is None:
        raise access.case_not_found()
    return case


def _latest(case: Case) -> dt.date | None:
    """The latest deadline a subtask may have: the case's own, unless that has passed (then none)."""
    local = clock.to_local(case.due_at)
    if local is None or local.date() < clock.today():
        # An overdue case still needs its subtasks done; a bound in the past would allow no day at all.
        return None
    return local.date()


def _responsibles(case: Case, actor: StaffUser) -> list[StaffUser]:
    found = users.handlers_for_eservice(case.eservice_id)
    if actor.active and all(user.id != actor.id for user in found):
        found.append(actor)
    return found


def _require_may_create(actor: StaffUser, case: Case) -> None:
    access.require(actor, "view", case)
    if not case.eservice.subtasks_enabled:
        raise NotAllowed(_("Subtasks are not switched on for this e-service."))
    if case.closed_at is not None or case.status.is_final:
        raise NotAllowed(_("Subtasks can only be added to an open case."))


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value or "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(text) from None


def _as_int(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _addressees(people: Iterable[StaffUser]) -> list[notify.Addressee]:
    people = list(people)
    return notify.staff_addressees(people, Channel.EMAIL) + notify.staff_addressees(people, Channel.SMS)


def _notify(subtask: Subtask, event: NotificationEvent, people: Iterable[StaffUser], *, actor: StaffUser | None):
    unique = {person.id: person for person in people if person is not None}
    notify.queue_to(
        subtask.case,
        event,
        _addressees(unique.values()),
        actor=actor,
        extra={"message": subtask.title, "handler_link": subtask_link(subtask)},
    )


def _owners(subtask: Subtask) -> list[StaffUser]:
    """The case owner's side: the subtask's creator and the case's handlers in person."""
    people = [*subtask.case.handler_users]
    if subtask.created_by is not None:
        people.append(subtask.created_by)
    return [person for person in people if person.id != subtask.responsible_id]


def _record(subtask: Subtask, kind: str, actor: StaffUser | None, **data: Any) -> None:
    """The case history line and the audit entry of a change to a subtask."""
    details = {"subtask_id": subtask.id, "title": subtask.title, **data}
    events.record(subtask.case, kind, user=actor, **details)
    audit.record(kind, user=actor, obj=subtask, case=subtask.case, details=details)


def _resolve(subtask: Subtask, actor: StaffUser | None, **data: Any) -> None:
    subtask.status = SubtaskStatus.RESOLVED
    subtask.resolved_at = clock.now()
    subtask.resolved_by_id = actor.id if actor is not None else None
    _record(subtask, "subtask_resolved", actor, **data)


def unresolved(case: Case) -> list[Subtask]:
    """The case's subtasks that are not resolved yet, by deadline."""
    query = (
        select(Subtask)
        .where(Subtask.case_id == case.id, Subtask.status != SubtaskStatus.RESOLVED)
        .order_by(Subtask.deadline, Subtask.id)
    )
    return list(db.session.scalars(query))


def resolve_for_closing(case: Case, subtasks: Iterable[Subtask], *, actor: StaffUser | None) -> None:
    """Resolve the unresolved subtasks of a case that is being closed (F-SUB-5); flushes."""
    for subtask in subtasks:
        if not subtask.is_resolved:
            _resolve(subtask, actor, with_case=True)
    db.session.flush()


# -- reading -----------------------------------------------------------------------------------


def subtask_form(case_id: int, *, actor: StaffUser) -> SubtaskForm:
    """What the "Ny deluppgift" form offers on the case (NotFound/NotAllowed unless the actor may add one)."""
    case = _load_case(case_id)
    _require_may_create(actor, case)
    return SubtaskForm(
        case=case,
        responsibles=_responsibles(case, actor),
        documents=sorted(case.documents, key=lambda d: (d.created_at, d.id)),
        earliest=clock.today(),
        latest=_latest(case),
    )


def case_subtasks(case_id: int, *, actor: StaffUser) -> list[Subtask]:
    """The case's subtasks for its Deluppgifter tab, by deadline, with their responsible."""
    case = _load_case(case_id)
    access.require(actor, "view", case)
    query = (
        select(Subtask)
        .where(Subtask.case_id == case.id)
        .options(selectinload(Subtask.responsible))
        .order_by(Subtask.deadline, Subtask.id)
    )
    return list(db.session.scalars(query))


def my_subtasks(actor: StaffUser, *, include_resolved: bool = False) -> list[Subtask]:
    """The subtasks the handler is responsible for (Mina deluppgifter), by deadline, with their case."""
    if actor is None or not actor.active:
        return []
    query = select(Subtask).where(Subtask.responsible_id == actor.id)
    if not include_resolved:
        query = query.where(Subtask.status != SubtaskStatus.RESOLVED)
    query = query.options(selectinload(Subtask.case)).order_by(Subtask.deadline, Subtask.id)
    return list(db.session.scalars(query))


def subtask_permissions(subtask: Subtask, actor: StaffUser) -> dict[str, bool]:
    """What the subtask page offers the actor: "message", "conclude", "resolve"."""
    return {action: access.can_subtask(actor, action, subtask) for action in ("message", "conclude", "resolve")}


def granted_documents(subtask: Subtask, actor: StaffUser) -> list[Document]:
    """The case's documents the subtask grants (all the responsible may see of the case)."""
    access.require_subtask(actor, "view", subtask)
    return sorted(subtask.documents, key=lambda d: (d.created_at, d.id))


# -- changes -----------------------------------------------------------------------------------


@transactional
def create_subtask(
    case_id: int,
    *,
    title: str | None,
    deadline: dt.date | str | None,
    responsible_id: int | str | None,
    description: str | None,
    document_ids: Iterable[int | str] = (),
    actor: StaffUser,
) -> Subtask:
    """Add a subtask to an open case (Ny deluppgift) and tell the responsible (F-SUB-1)."""
    case = _load_case(case_id, lock=True)
    _require_may_create(actor, case)
    errors: dict[str, str] = {}

    title = (title or "").strip()
    if not title:
        errors["title"] = _("Enter a title.")
    elif len(title) > TITLE_MAX:
        errors["title"] = _("The title can be at most %(max)d characters.", max=TITLE_MAX)

    try:
        day = _as_date(deadline)
    except ValueError:
        day = None
        errors["deadline"] = _("Enter the deadline as a date (YYYY-MM-DD).")
    else:
        latest = _latest(case)
        if day is None:
            errors["deadline"] = _("Enter a deadline.")
        elif day < clock.today():
            errors["deadline"] = _("The deadline cannot be before today.")
        elif latest is not None and day > latest:
            errors["deadline"] = _(
                "The deadline cannot be after the case's deadline (%(date)s).", date=f"{latest:%Y-%m-%d}"
            )

    candidates = {user.id: user for user in _responsibles(case, actor)}
    responsible = candidates.get(_as_int(responsible_id))
    if responsible is None:
        errors["responsible_id"] = _("Choose a responsible handler of this e-service.")

    wanted = [_as_int(value) for value in document_ids or ()]
    of_case = {document.id: document for document in case.documents}
    if any(document_id not in of_case for document_id in wanted):
        errors["document_ids"] = _("Choose only documents of this case.")

    description = (description or "").strip() or None
    if description is not None and len(description) > TEXT_MAX:
        errors["description"] = _("The description can be at most %(max)d characters.", max=TEXT_MAX)

    if errors:
        raise Invalid(_("The subtask could not be saved. Correct the fields marked."), errors=errors)

    assert day is not None and responsible is not None
    subtask = Subtask(
        case=case,
        title=title,
        description=description,
        deadline=day,
        responsible=responsible,
        created_by=actor,
        status=SubtaskStatus.NEW,
    )
    subtask.documents = [of_case[document_id] for document_id in dict.fromkeys(wanted)]  # type: ignore[index]
    db.session.add(subtask)
    db.session.flush()
    _record(
        subtask,
        "subtask_created",
        actor,
        responsible=responsible.display_name,
        responsible_id=responsible.id,
        deadline=day,
        document_ids=[document.id for document in subtask.documents],
    )
    case.updated_at, case.updated_by_id = clock.now(), actor.id
    if responsible.id != actor.id:
        _notify(subtask, NotificationEvent.SUBTASK_ASSIGNED, [responsible], actor=actor)
    return subtask


@transactional
def open_subtask(subtask_id: int, *, actor: StaffUser) -> Subtask:
    """Open the subtask's page: Ny becomes Öppen when the responsible first opens it (F-SUB-2); logged."""
    subtask = _lock_subtask(subtask_id)
    access.require_subtask(actor, "view", subtask)
    if subtask.status == SubtaskStatus.NEW and subtask.responsible_id == actor.id:
        subtask.status = SubtaskStatus.OPEN
        subtask.opened_at = clock.now()
        events.record(subtask.case, "subtask_opened", user=actor, subtask_id=subtask.id, title=subtask.title)
    audit.record("subtask_viewed", user=actor, obj=subtask, case=subtask.case, details={"subtask_id": subtask.id})
    return subtask


@transactional
def add_subtask_message(subtask_id: int, body: str | None, *, actor: StaffUser) -> SubtaskMessage:
    """Write on the subtask between the responsible and the case owner; the other side is told (F-SUB-3)."""
    subtask = _lock_subtask(subtask_id)
    access.require_subtask(actor, "message", subtask)
    body = (body or "").strip()
    if not body:
        raise Invalid(_("Write a message."), errors={"body": _("Write a message.")})
    if len(body) > TEXT_MAX:
        message = _("The message can be at most %(max)d characters.", max=TEXT_MAX)
        raise Invalid(message, errors={"body": message})
    message = SubtaskMessage(subtask=subtask, author_id=actor.id, body=body)
    db.session.add(message)
    db.session.flush()
    _record(subtask, "subtask_message", actor, message_id=message.id)
    if actor.id == subtask.responsible_id:
        others = [person for person in _owners(subtask) if person.id != actor.id]
    else:
        others = [subtask.responsible]
    _notify(subtask, NotificationEvent.SUBTASK_MESSAGE, others, actor=actor)
    return message


@transactional
def save_conclusion(subtask_id: int, conclusion: str | None, *, actor: StaffUser) -> Subtask:
    """Save the subtask's conclusion (Spara slutsats); refused once it is resolved."""
    subtask = _lock_subtask(subtask_id)
    access.require_subtask(actor, "conclude", subtask)
    text = (conclusion or "").strip() or None
    if text is not None and len(text) > TEXT_MAX:
        message = _("The conclusion can be at most %(max)d characters.", max=TEXT_MAX)
        raise Invalid(message, errors={"conclusion": message})
    if text == subtask.conclusion:
        return subtask
    subtask.conclusion = text
    _record(subtask, "subtask_concluded", actor)
    return subtask


@transactional
def resolve_subtask(subtask_id: int, *, actor: StaffUser) -> Subtask:
    """Resolve the subtask (Lös deluppgift): nothing on it can be changed after (F-SUB-2)."""
    subtask = _lock_subtask(subtask_id)
    access.require_subtask(actor, "resolve", subtask)
    _resolve(subtask, actor)
    return subtask


# -- reminders (F-JOB-4) -----------------------------------------------------------------------


def _due_soon(today: dt.date):
    # Due tomorrow (the day before) or today (created too late for the day before), not yet reminded.
    return (
        Subtask.deadline >= today,
        Subtask.deadline <= today + dt.timedelta(days=1),
        Subtask.reminded_due_at.is_(None),
    )


def _overdue(today: dt.date):
    return (Subtask.deadline < today, Subtask.reminded_overdue_at.is_(None))


@transactional
def _remind(subtask_id: int, overdue: bool) -> bool:
    subtask = db.session.get(Subtask, subtask_id, with_for_update=True, populate_existing=True)
    if subtask is None:
        return False
    column = "reminded_overdue_at" if overdue else "reminded_due_at"
    if getattr(subtask, column) is not None or subtask.is_resolved or subtask.case.closed_at is not None:
        return False
    setattr(subtask, column, clock.now())
    responsible: StaffUser = subtask.responsible
    # One notification type for both reminders: the text in {meddelande} says which it is.
    deadline = f"{subtask.deadline:%Y-%m-%d}"
    if overdue:
        title = _("%(title)s (the deadline %(date)s has passed)", title=subtask.title, date=deadline)
    else:
        title = _("%(title)s (deadline %(date)s)", title=subtask.title, date=deadline)
    # The person's own channel choices (F-GRP-2): e-mail and/or SMS.
    notify.queue_to(
        subtask.case,
        NotificationEvent.SUBTASK_DUE,
        _addressees([responsible]),
        extra={"message": title, "handler_link": subtask_link(subtask)},
    )
    return True


def remind_due_subtasks(now: dt.datetime | None = None, *, dry_run: bool = False) -> JobReport:
    """Remind the responsible person of each subtask the day before its deadline and when it is overdue, once each."""
    now = now or clock.now()
    today = clock.to_local(now).date()
    found: dict[bool, list] = {}
    for overdue, conditions in ((False, _due_soon(today)), (True, _overdue(today))):
        found[overdue] = db.session.execute(
            select(Subtask.id, Subtask.deadline, Case.number)
            .join(Case, Case.id == Subtask.case_id)
            .where(Subtask.status != SubtaskStatus.RESOLVED, Case.closed_at.is_(None), *conditions)
            .order_by(Subtask.deadline, Subtask.id)
        ).all()
    db.session.commit()
    if dry_run:
        lines = [
            _("A subtask in case %(number)s is due %(date)s", number=r.number or "-", date=f"{r.deadline:%Y-%m-%d}")
            for r in found[False]
        ] + [
            _(
                "A subtask in case %(number)s is overdue since %(date)s",
                number=r.number or "-",
                date=f"{r.deadline:%Y-%m-%d}",
            )
            for r in found[True]
        ]
        return JobReport(counts={"would_remind": len(lines)}, lines=lines)
    sent = sum(1 for r in found[False] if _remind(r.id, False)) + sum(1 for r in found[True] if _remind(r.id, True))
    return JobReport(counts={"reminded": sent})


__all__ = [
    "OpenSubtasks",
    "SubtaskForm",
    "add_subtask_message",
    "case_subtasks",
    "create_subtask",
    "granted_documents",
    "my_subtasks",
    "open_subtask",
    "remind_due_subtasks",
    "resolve_for_closing",
    "resolve_subtask",
    "save_conclusion",
    "subtask_form",
    "subtask_link",
    "subtask_permissions",
    "unresolved",
]
