"""Absence (F-GRP-3): a handler away, with an auto-reply and forwarding to a group mailbox.

A handler sets their own absence (Min frånvaro); an administrator, or a user whose role has
the permission "Hantera frånvaro" (``access.may_manage_absences``), sets one for a colleague
who is off sick. While an absence covers today, ``messages.reply_as_citizen`` forwards the
applicant's messages to the chosen group mailbox and sends the auto-reply; the absence ends
by itself after its last day (``end_expired_absences``, a scheduler job).

The group mailbox (Gruppbrevlåda): every member of the group sees the messages forwarded to
it; any member who handles the e-service can take one over ("Ta över") and so becomes a
handler (medhandläggare) of the case in person, who may answer the applicant.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload, selectinload

from shared import clock
from shared.db import db, transactional
from shared.errors import Conflict, Invalid, NotAllowed, NotFound
from shared.models import Absence, Case, CaseEvent, GroupMember, HandlerGroup, Message, StaffUser
from shared.services import access, audit, events, listing
from shared.services.cases import _add_assignees, _touch, lock_case
from shared.services.jobs import JobReport

MAX_AUTO_REPLY = 1000
EXCERPT_LENGTH = 160
MAILBOX_PAGE_SIZE = 50

DateInput = dt.date | str | None


# -- rules ----------------------------------------------------------------------------------


def _absence_not_found() -> NotFound:
    return NotFound(_("The absence was not found."))


def _require_may_act_for(actor: StaffUser, user: StaffUser | None) -> None:
    """One's own absence, or anyone's with the permission Hantera frånvaro (user None: someone else's)."""
    if actor is None or not actor.active:
        raise NotAllowed(_("You are not logged in."))
    if (user is not None and actor.id == user.id) or access.may_manage_absences(actor):
        return
    raise NotAllowed(
        _("You can only set your own absence. Setting a colleague's absence needs the permission Manage absence.")
    )


def _parse_date(value: DateInput, field: str, missing: str, errors: dict[str, str]) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value or "").strip()
    if not text:
        errors[field] = missing
        return None
    try:
        if len(text) != 10:
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        example = clock.today().strftime("%Y-%m-%d")
        errors[field] = _("Enter the date as YYYY-MM-DD, for example %(example)s.", example=example)
        return None


def _clean_auto_reply(value: str | None, errors: dict[str, str]) -> str | None:
    text = str(value or "").replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")
    text = unicodedata.normalize("NFC", text).strip()
    if len(text) > MAX_AUTO_REPLY:
        errors["auto_reply"] = _(
            "The auto-reply may be at most %(max)d characters (now %(count)d).", max=MAX_AUTO_REPLY, count=len(text)
        )
    return text or None


def forward_groups(actor: StaffUser, user: StaffUser) -> list[HandlerGroup]:
    """The group mailboxes the user's messages may be forwarded to: their own groups (an administrator: any group)."""
    if access.is_admin(actor):
        return list(db.session.scalars(select(HandlerGroup).order_by(HandlerGroup.name)))
    return list(
        db.session.scalars(
            select(HandlerGroup)
            .join(GroupMember, GroupMember.group_id == HandlerGroup.id)
            .where(GroupMember.user_id == user.id)
            .order_by(HandlerGroup.name)
        )
    )


def _group(
    actor: StaffUser, user: StaffUser, group_id: int | str | None, errors: dict[str, str]
) -> HandlerGroup | None:
    if group_id in (None, ""):
        return None
    try:
        wanted = int(group_id)
    except (TypeError, ValueError):
        wanted = None
    group = next((g for g in forward_groups(actor, user) if g.id == wanted), None)
    if group is None:
        if actor.id == user.id:
            errors["forward_to_group_id"] = _("Choose a group you are a member of.")
        else:
            errors["forward_to_group_id"] = _("Choose a group that %(name)s is a member of.", name=user.display_name)
    return group


def _overlapping(user: StaffUser, starts_on: dt.date, ends_on: dt.date, exclude_id: int | None) -> Absence | None:
    query = select(Absence).where(
        Absence.user_id == user.id,
        Absence.ended_at.is_(None),
        Absence.starts_on <= ends_on,
        Absence.ends_on >= starts_on,
    )
    if exclude_id is not None:
        query = query.where(Absence.id != exclude_id)
    return db.session.scalars(query.order_by(Absence.starts_on, Absence.id).limit(1)).first()


@dataclass
class _Checked:
    starts_on: dt.date
    ends_on: dt.date
    auto_reply: str | None
    group: HandlerGroup | None


def _check(
    actor: StaffUser,
    user: StaffUser,
    *,
    starts_on: DateInput,
    ends_on: DateInput,
    auto_reply: str | None,
    forward_to_group_id: int | str | None,
    exclude_id: int | None = None,
) -> _Checked:
    """Validate an absence's fields; raise Invalid with a message per field."""
    errors: dict[str, str] = {}
    first = _parse_date(starts_on, "starts_on", _("Enter the first day of the absence."), errors)
    last = _parse_date(ends_on, "ends_on", _("Enter the last day of the absence."), errors)
    if first is not None and last is not None:
        if last < first:
            errors["ends_on"] = _("The last day cannot be before the first day.")
        elif last < clock.today():
            errors["ends_on"] = _("The last day has already passed. Choose today or a later day.")
        else:
            other = _overlapping(user, first, last, exclude_id)
            if other is not None:
                period = {"start": f"{other.starts_on:%Y-%m-%d}", "end": f"{other.ends_on:%Y-%m-%d}"}
                if actor.id == user.id:
                    text = _(
                        "The period overlaps your absence %(start)s – %(end)s. Change or end that one instead.",
                        **period,
                    )
                else:
                    text = _(
                        "The period overlaps another absence of %(name)s (%(start)s – %(end)s). "
                        "Change or end that one instead.",
                        name=user.display_name,
                        **period,
                    )
                errors["starts_on"] = text
    text = _clean_auto_reply(auto_reply, errors)
    group = _group(actor, user, forward_to_group_id, errors)
    if errors:
        raise Invalid(" ".join(dict.fromkeys(errors.values())), errors=errors)
    assert first is not None and last is not None
    return _Checked(first, last, text, group)


def _staff(user_id: int | str | None) -> StaffUser:
    try:
        user = db.session.get(StaffUser, int(user_id)) if user_id not in (None, "") else None
    except (TypeError, ValueError):
        user = None
    if user is None or not user.active:
        message = _("Choose a person.")
        raise Invalid(message, errors={"user_id": message})
    return user


def _details(absence: Absence, user: StaffUser, actor: StaffUser) -> dict:
    return {
        "user": user.username,
        "for_colleague": actor.id != user.id,
        "starts_on": absence.starts_on,
        "ends_on": absence.ends_on,
        "group_id": absence.forward_to_group_id,
        "auto_reply": bool(absence.auto_reply),
    }


# -- changes --------------------------------------------------------------------------------


@transactional
def set_absence(
    *,
    actor: StaffUser,
    starts_on: DateInput,
    ends_on: DateInput,
    auto_reply: str | None = None,
    forward_to_group_id: int | str | None = None,
    user_id: int | str | None = None,
) -> Absence:
    """Set an absence with its auto-reply and forwarding: one's own, or a colleague's (Hantera frånvaro)."""
    if user_id in (None, "") or str(user_id) == str(actor.id):
        user = actor
    else:
        _require_may_act_for(actor, None)
        user = _staff(user_id)
    _require_may_act_for(actor, user)
    checked = _check(
        actor,
        user,
        starts_on=starts_on,
        ends_on=ends_on,
        auto_reply=auto_reply,
        forward_to_group_id=forward_to_group_id,
    )
    absence = Absence(
        user=user,
        starts_on=checked.starts_on,
        ends_on=checked.ends_on,
        auto_reply=checked.auto_reply,
        forward_to_group=checked.group,
        set_by_id=actor.id if actor.id != user.id else None,
    )
    db.session.add(absence)
    db.session.flush()
    audit.record("absence_set", user=actor, obj=absence, details=_details(absence, user, actor))
    return absence


def _load(absence_id: int) -> Absence:
    absence = db.session.execute(
        select(Absence).where(Absence.id == absence_id).with_for_update().execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if absence is None:
        raise _absence_not_found()
    return absence


def _own_or_managed(actor: StaffUser, absence: Absence) -> None:
    # Someone who may not act for the absent person is told the absence does not exist.
    if actor is None or not actor.active:
        raise _absence_not_found()
    if absence.user_id != actor.id and not access.may_manage_absences(actor):
        raise _absence_not_found()


@transactional
def change_absence(
    absence_id: int,
    *,
    actor: StaffUser,
    starts_on: DateInput,
    ends_on: DateInput,
    auto_reply: str | None = None,
    forward_to_group_id: int | str | None = None,
) -> Absence:
    """Change the period, auto-reply or forwarding of an absence that has not ended."""
    absence = _load(absence_id)
    _own_or_managed(actor, absence)
    if absence.ended_at is not None:
        raise Conflict(_("The absence has already ended."))
    user = absence.user
    checked = _check(
        actor,
        user,
        starts_on=starts_on,
        ends_on=ends_on,
        auto_reply=auto_reply,
        forward_to_group_id=forward_to_group_id,
        exclude_id=absence.id,
    )
    before = _details(absence, user, actor)
    absence.starts_on = checked.starts_on
    absence.ends_on = checked.ends_on
    absence.auto_reply = checked.auto_reply
    absence.forward_to_group = checked.group
    absence.forward_to_group_id = checked.group.id if checked.group is not None else None
    if actor.id != user.id:
        absence.set_by_id = actor.id
    after = _details(absence, user, actor)
    changed = {k: v for k, v in after.items() if k not in ("user", "for_colleague") and before[k] != v}
    if not changed:
        return absence
    audit.record(
        "absence_changed",
        user=actor,
        obj=absence,
        details={**after, "before": {k: before[k] for k in changed}},
    )
    return absence


@transactional
def end_absence(absence_id: int, *, actor: StaffUser) -> Absence:
    """End an absence today (a coming one is called off): forwarding and auto-reply stop now."""
    absence = _load(absence_id)
    _own_or_managed(actor, absence)
    if absence.ended_at is not None:
        raise Conflict(_("The absence has already ended."))
    today = clock.today()
    called_off = absence.starts_on > today
    details = _details(absence, absence.user, actor)
    absence.ended_at = clock.now()
    if not called_off and absence.ends_on > today:
        absence.ends_on = today
    audit.record("absence_ended", user=actor, obj=absence, details={**details, "called_off": called_off})
    return absence


def end_expired_absences(now: dt.datetime | None = None, *, dry_run: bool = False) -> JobReport:
    """End every absence whose last day has passed: its forwarding and auto-reply stop."""
    now = now or clock.now()
    today = clock.to_local(now).date()
    expired = db.session.execute(
        select(Absence.id, Absence.ends_on, StaffUser.username)
        .join(StaffUser, StaffUser.id == Absence.user_id)
        .where(Absence.ended_at.is_(None), Absence.ends_on < today)
        .order_by(Absence.id)
    ).all()
    lines = [
        _("The absence of %(user)s ended on %(date)s", user=r.username, date=r.ends_on.strftime("%Y-%m-%d"))
        for r in expired
    ]
    if dry_run:
        db.session.commit()
        return JobReport(counts={"would_end": len(expired)}, lines=lines)
    if not expired:
        db.session.commit()
        return JobReport(counts={"ended": 0})
    ended = db.session.execute(
        update(Absence)
        .where(Absence.id.in_([r.id for r in expired]), Absence.ended_at.is_(None))
        .values(ended_at=clock.now())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return JobReport(counts={"ended": ended}, lines=lines)


# -- queries --------------------------------------------------------------------------------


def _not_over():
    return (Absence.ended_at.is_(None), Absence.ends_on >= clock.today())


def my_absences(user: StaffUser) -> list[Absence]:
    """The user's current and coming absences, earliest first."""
    return list(
        db.session.scalars(
            select(Absence)
            .options(joinedload(Absence.forward_to_group))
            .where(Absence.user_id == user.id, *_not_over())
            .order_by(Absence.starts_on, Absence.id)
        )
    )


def current_absence(user: StaffUser) -> Absence | None:
    """The absence that covers today for the user, if any."""
    today = clock.today()
    return next((a for a in my_absences(user) if a.starts_on <= today), None)


def absence_for(absence_id: int | None, *, actor: StaffUser) -> Absence | None:
    """An absence the actor may change (their own, or anyone's with Hantera frånvaro) that has not ended; else None."""
    if absence_id is None:
        return None
    absence = db.session.get(Absence, absence_id)
    if absence is None or absence.ended_at is not None:
        return None
    try:
        _own_or_managed(actor, absence)
    except NotFound:
        return None
    return absence


def planned_absences(actor: StaffUser) -> list[Absence]:
    """Everyone's current and coming absences, for Frånvarohantering (needs the permission Hantera frånvaro)."""
    if not access.may_manage_absences(actor):
        raise NotAllowed(_("Managing colleagues' absence needs the permission Manage absence."))
    return list(
        db.session.scalars(
            select(Absence)
            .join(StaffUser, StaffUser.id == Absence.user_id)
            .options(joinedload(Absence.user), joinedload(Absence.forward_to_group))
            .where(*_not_over())
            .order_by(Absence.starts_on, StaffUser.first_name, StaffUser.last_name, Absence.id)
        )
    )


def colleagues(actor: StaffUser) -> list[StaffUser]:
    """The active staff whose absence the actor may set for them, by name (needs Hantera frånvaro)."""
    if not access.may_manage_absences(actor):
        raise NotAllowed(_("Managing colleagues' absence needs the permission Manage absence."))
    return list(
        db.session.scalars(
            select(StaffUser)
            .where(StaffUser.active.is_(True))
            .order_by(StaffUser.first_name, StaffUser.last_name, StaffUser.id)
        )
    )


def staff_names(user_ids: Iterable[int | None]) -> dict[int, str]:
    """Display names of staff by id (who set an absence, who took a message over), in one query."""
    ids = sorted({i for i in user_ids if i is not None})
    if not ids:
        return {}
    return {u.id: u.display_name for u in db.session.scalars(select(StaffUser).where(StaffUser.id.in_(ids)))}


# -- the group mailbox ------------------------------------------------------------------------


def _member_group_ids(user: StaffUser) -> list[int]:
    return list(db.session.scalars(select(GroupMember.group_id).where(GroupMember.user_id == user.id)))


def _untaken_counts(group_ids: list[int]) -> dict[int, int]:
    if not group_ids:
        return {}
    rows = db.session.execute(
        select(Message.forwarded_to_group_id, func.count())
        .where(Message.forwarded_to_group_id.in_(group_ids), Message.forward_taken_by_id.is_(None))
        .group_by(Message.forwarded_to_group_id)
    )
    return {group_id: count for group_id, count in rows}


@dataclass
class MailboxSummary:
    group: HandlerGroup
    untaken: int
    member: bool


def mailboxes(actor: StaffUser) -> list[MailboxSummary]:
    """The group mailboxes the user may open, with how many messages await taking over: their groups (admin: all)."""
    if actor is None or not actor.active:
        return []
    member_ids = set(_member_group_ids(actor))
    query = select(HandlerGroup).order_by(HandlerGroup.name)
    if not access.is_admin(actor):
        if not member_ids:
            return []
        query = query.where(HandlerGroup.id.in_(sorted(member_ids)))
    groups = list(db.session.scalars(query))
    counts = _untaken_counts([g.id for g in groups])
    return [MailboxSummary(g, counts.get(g.id, 0), g.id in member_ids) for g in groups]


def untaken_count(user: StaffUser) -> int:
    """How many forwarded messages wait in the mailboxes of the user's own groups."""
    if user is None or not user.active:
        return 0
    return sum(_untaken_counts(_member_group_ids(user)).values())


def _mailbox_group(group_id: int, actor: StaffUser) -> HandlerGroup:
    group = db.session.get(HandlerGroup, group_id)
    if group is None or actor is None or not actor.active:
        raise NotFound(_("The group mailbox was not found."))
    if not access.is_admin(actor) and group.id not in _member_group_ids(actor):
        raise NotFound(_("The group mailbox was not found."))
    return group


def _excerpt(body: str) -> str:
    text = " ".join(body.split())
    return text if len(text) <= EXCERPT_LENGTH else text[: EXCERPT_LENGTH - 1].rstrip() + "…"


def _absent_names(messages: list[Message]) -> dict[int, str]:
    """Whom each message was forwarded for, as the case history recorded it at the time."""
    case_ids = sorted({m.case_id for m in messages})
    if not case_ids:
        return {}
    wanted = {m.id for m in messages}
    found: dict[int, str] = {}
    for data in db.session.scalars(
        select(CaseEvent.data).where(CaseEvent.case_id.in_(case_ids), CaseEvent.kind == "message_forwarded")
    ):
        message_id = (data or {}).get("message_id")
        if message_id in wanted:
            found[message_id] = str(data.get("absent") or "")
    return found


@dataclass
class MailboxItem:
    message: Message
    case: Case
    absent_name: str
    # None when the user does not handle the case's e-service and so may not read it.
    excerpt: str | None
    taken_by_name: str | None
    may_open: bool
    may_take: bool


@dataclass
class Mailbox:
    group: HandlerGroup
    items: list[MailboxItem]
    untaken: int
    page: int
    has_next: bool


def group_mailbox(group_id: int, *, actor: StaffUser, page: int = 1) -> Mailbox:
    """A group's mailbox: the applicant messages forwarded to it, those not taken over first, newest first."""
    group = _mailbox_group(group_id, actor)
    page = max(1, page)
    rows, has_next = listing.page_without_count(
        select(Message)
        .options(joinedload(Message.case).joinedload(Case.eservice), selectinload(Message.forward_taken_by))
        .where(Message.forwarded_to_group_id == group.id)
        .order_by(
            Message.forward_taken_by_id.is_not(None),
            Message.created_at.desc(),
            Message.id.desc(),
        ),
        page,
        MAILBOX_PAGE_SIZE,
    )
    admin = access.is_admin(actor)
    handled = access.linked_eservice_ids(actor)
    member = group.id in _member_group_ids(actor)
    case_ids = sorted({m.case_id for m in rows})
    visible = (
        set(db.session.scalars(access.visible_cases(actor).where(Case.id.in_(case_ids)).with_only_columns(Case.id)))
        if case_ids
        else set()
    )
    absent = _absent_names(rows)
    items = []
    for message in rows:
        case = message.case
        readable = admin or case.eservice_id in handled
        items.append(
            MailboxItem(
                message=message,
                case=case,
                absent_name=absent.get(message.id, ""),
                excerpt=_excerpt(message.body) if readable else None,
                taken_by_name=message.forward_taken_by.display_name if message.forward_taken_by else None,
                may_open=case.id in visible,
                may_take=message.forward_taken_by_id is None and (member or admin) and readable,
            )
        )
    untaken = _untaken_counts([group.id]).get(group.id, 0)
    return Mailbox(group=group, items=items, untaken=untaken, page=page, has_next=has_next)


@transactional
def take_over_message(message_id: int, *, actor: StaffUser) -> Message:
    """Take over a message forwarded to one's group (Ta över): become a handler of the case in person and answer it."""
    message = db.session.get(Message, message_id)
    if message is None or message.forwarded_to_group_id is None or actor is None or not actor.active:
        raise NotFound(_("The message was not found."))
    # The case's row lock serialises two members taking over the same message at once.
    case = lock_case(message.case_id)
    message = db.session.execute(
        select(Message).where(Message.id == message_id).execution_options(populate_existing=True)
    ).scalar_one()
    group = db.session.get(HandlerGroup, message.forwarded_to_group_id)
    admin = access.is_admin(actor)
    if not admin and group.id not in _member_group_ids(actor):
        raise NotFound(_("The message was not found."))
    if message.forward_taken_by_id is not None:
        if message.forward_taken_by_id == actor.id:
            return message
        taker = db.session.get(StaffUser, message.forward_taken_by_id)
        when = clock.to_local(message.forward_taken_at)
        raise Conflict(
            _(
                "%(name)s has already taken over the message (%(when)s).",
                name=taker.display_name if taker else "?",
                when=when.strftime("%Y-%m-%d %H:%M") if when is not None else "",
            )
        )
    # The forward hands the message to the group, so a member who handles the e-service may
    # take it even with restricted access (they then see the case as its handler); the
    # assignment service (assign_case) would ask for sight of the case first.
    if not admin and case.eservice_id not in access.linked_eservice_ids(actor):
        raise NotAllowed(
            _(
                "You are not a handler for the e-service %(name)s, so you cannot take over the message.",
                name=case.eservice.name,
            )
        )
    added, _groups = _add_assignees(case, [actor], [], by=actor)
    message.forward_taken_by_id = actor.id
    message.forward_taken_at = clock.now()
    if added:
        events.record(case, "handlers_changed", user=actor, added=[actor.display_name], removed=[])
        audit.record("case_handlers_changed", user=actor, case=case, details={"added_users": [actor.id]})
    events.record(case, "message_taken_over", user=actor, message_id=message.id, group=group.name)
    audit.record("message_taken_over", user=actor, obj=message, case=case, details={"group_id": group.id})
    _touch(case, actor)
    return message


__all__ = [
    "MAX_AUTO_REPLY",
    "Mailbox",
    "MailboxItem",
    "MailboxSummary",
    "absence_for",
    "change_absence",
    "colleagues",
    "current_absence",
    "end_absence",
    "end_expired_absences",
    "forward_groups",
    "group_mailbox",
    "mailboxes",
    "my_absences",
    "planned_absences",
    "set_absence",
    "staff_names",
    "take_over_message",
    "untaken_count",
]
