"""Messages between handlers and the applicant (F-CASE-6), internal notes, read receipts,
and absence forwarding to a group mailbox (F-GRP-3)."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from typing import BinaryIO

from flask_babel import gettext as _
from sqlalchemy import select

from shared import clock, notify
from shared.db import db, transactional
from shared.errors import Invalid, NotFound
from shared.models import (
    Absence,
    Case,
    Channel,
    Citizen,
    DocumentSource,
    HandlerGroup,
    InternalNote,
    Message,
    MessageDirection,
    MessageTemplate,
    NotificationEvent,
    StaffUser,
)
from shared.services import access, audit, documents, events, users
from shared.services.cases import _add_assignees, _remove_assignees, _touch, change_status, lock_case

MAX_BODY = 20000
Attachment = tuple[str, bytes | BinaryIO, str]  # (file name, bytes or stream, content type)


def _clean_body(body: str | None, *, allow_empty: bool = False) -> str:
    text = str(body or "").replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")
    text = unicodedata.normalize("NFC", text).strip()
    if not text and not allow_empty:
        message = _("Write a message.")
        raise Invalid(message, errors={"body": message})
    if len(text) > MAX_BODY:
        message = _("The message may be at most %(max)d characters.", max=MAX_BODY)
        raise Invalid(message, errors={"body": message})
    return text


def message_not_found() -> NotFound:
    """The one answer for a message that does not exist or may not be seen."""
    return NotFound(_("The message was not found."))


@transactional
def send_message(
    case_id: int,
    body: str,
    *,
    actor: StaffUser,
    attachments: Sequence[Attachment] = (),
    template_id: int | None = None,
    hand_back_to_group_id: int | None = None,
) -> Message:
    """Send a message to the applicant (only a handler assigned in person); optionally hand the case back to a group."""
    case = lock_case(case_id)
    access.require(actor, "message", case)
    text = _clean_body(body, allow_empty=bool(attachments))
    if template_id is not None:
        template = db.session.get(MessageTemplate, template_id)
        if template is None or template.eservice_id != case.eservice_id:
            raise Invalid(_("The message template was not found."), errors={"template_id": _("Choose a template.")})
    group = None
    if hand_back_to_group_id is not None:
        group = next((g for g in users.groups_for_eservice(case.eservice_id) if g.id == hand_back_to_group_id), None)
        if group is None:
            message = _("The group is not a handler for this e-service.")
            raise Invalid(message, errors={"hand_back_to_group_id": message})
    message = Message(
        case=case, direction=MessageDirection.TO_APPLICANT, body=text, author_user_id=actor.id, template_id=template_id
    )
    db.session.add(message)
    db.session.flush()
    for filename, data, content_type in attachments:
        documents.store_document(
            case, filename, data, content_type, source=DocumentSource.HANDLER, user=actor, message=message
        )
    events.record(case, "message_sent", user=actor, message_id=message.id, attachments=len(attachments))
    audit.record("message_sent", user=actor, obj=message, case=case)
    notify.queue(case, NotificationEvent.MESSAGE_TO_APPLICANT, actor=actor, extra={"message_id": message.id})
    if group is not None:
        # 1177: "Fördela till gruppen efter svar" — the group carries on, the person steps back.
        _remove_assignees(case, keep=lambda h: h.user_id != actor.id)
        _add_assignees(case, [], [group], by=actor)
        events.record(case, "handed_back_to_group", user=actor, group=group.name)
        audit.record("case_handed_back_to_group", user=actor, case=case, details={"group_id": group.id})
        db.session.flush()
        notify.queue(case, NotificationEvent.GROUP_ASSIGNED, actor=actor, recipients_override=[group])
    _touch(case, actor)
    return message


def _active_absences(user_ids: Iterable[int]) -> list[Absence]:
    ids = list(user_ids)
    if not ids:
        return []
    today = clock.today()
    return list(
        db.session.scalars(
            select(Absence)
            .where(
                Absence.user_id.in_(ids),
                Absence.ended_at.is_(None),
                Absence.starts_on <= today,
                Absence.ends_on >= today,
            )
            .order_by(Absence.id)
        )
    )


def _group_mailbox(group: HandlerGroup) -> list[notify.Addressee]:
    """Where a forwarded message is announced: the group's functional mailbox, else its opted-in members."""
    if group.mailbox_email:
        return [notify.mailbox(group.mailbox_email, group.name)]
    members = [m.user for m in group.members if m.notify]
    return notify.staff_addressees(members, Channel.EMAIL) + notify.staff_addressees(members, Channel.SMS)


def _auto_reply_text(absence: Absence) -> str:
    if absence.auto_reply and absence.auto_reply.strip():
        return absence.auto_reply.strip()
    return f"Din handläggare är frånvarande till och med {absence.ends_on:%Y-%m-%d}."


@transactional
def reply_as_citizen(case_id: int, body: str, *, citizen: Citizen, attachments: Sequence[Attachment] = ()) -> Message:
    """The applicant writes to the handlers; an absent handler's forwarding routes it to a group mailbox."""
    case = db.session.get(Case, case_id)
    access.require_citizen(citizen, "message", case)
    text = _clean_body(body, allow_empty=bool(attachments))
    message = Message(case=case, direction=MessageDirection.FROM_APPLICANT, body=text, author_citizen_id=citizen.id)
    db.session.add(message)
    db.session.flush()
    for filename, data, content_type in attachments:
        documents.store_document(
            case, filename, data, content_type, source=DocumentSource.APPLICANT, citizen=citizen, message=message
        )
    events.record(case, "message_received", citizen=citizen, message_id=message.id, attachments=len(attachments))
    audit.record("message_received", citizen=citizen, obj=message, case=case)

    persons = case.handler_users
    absences = _active_absences(u.id for u in persons)
    forwarding = next((a for a in absences if a.forward_to_group_id is not None), None)
    absent_ids = {a.user_id for a in absences if a.forward_to_group_id is not None}
    # Whoever forwards is away: not told through a group they are in, nor by their own forward.
    dedupe = notify.leave_out(a.user for a in absences if a.forward_to_group_id is not None)
    extra = {"message_id": message.id}
    if absent_ids:
        present = [u for u in persons if u.id not in absent_ids]
        notify.queue(
            case,
            NotificationEvent.MESSAGE_FROM_APPLICANT,
            actor=citizen,
            extra=extra,
            dedupe=dedupe,
            recipients_override=[*present, *case.handler_groups],
        )
    else:
        notify.queue(case, NotificationEvent.MESSAGE_FROM_APPLICANT, actor=citizen, extra=extra, dedupe=dedupe)
    if forwarding is not None:
        group = forwarding.forward_to_group
        message.forwarded_to_group_id = group.id
        events.record(
            case, "message_forwarded", message_id=message.id, group=group.name, absent=forwarding.user.display_name
        )
        notify.queue_to(
            case,
            NotificationEvent.MESSAGE_FROM_APPLICANT,
            _group_mailbox(group),
            actor=citizen,
            extra=extra,
            dedupe=dedupe,
        )
    replying = forwarding or next((a for a in absences if a.auto_reply and a.auto_reply.strip()), None)
    if replying is not None:
        notify.queue(case, NotificationEvent.AUTO_REPLY, handlers=False, extra={"message": _auto_reply_text(replying)})
    _touch(case)
    return message


@transactional
def mark_read(message_id: int, *, reader: StaffUser | Citizen) -> Message:
    """Mark a message read by its receiver; the applicant's first reading gives the sender a read receipt."""
    message = db.session.get(Message, message_id)
    case = message.case if message is not None else None
    try:
        if isinstance(reader, Citizen):
            access.require_citizen(reader, "view", case)
        else:
            access.require(reader, "view", case)
    except NotFound:
        raise message_not_found() from None
    assert message is not None and case is not None
    if message.read_at is not None:
        return message
    if isinstance(reader, Citizen) and message.direction == MessageDirection.TO_APPLICANT:
        message.read_at = clock.now()
        events.record(case, "message_read", citizen=reader, message_id=message.id)
        audit.record("message_read", citizen=reader, obj=message, case=case)
        sender = message.author_user
        notify.queue(
            case,
            NotificationEvent.MESSAGE_READ,
            actor=reader,
            applicant=False,
            recipients_override=[sender] if sender is not None else None,
            extra={"message_id": message.id},
        )
    elif isinstance(reader, StaffUser) and message.direction == MessageDirection.FROM_APPLICANT:
        message.read_at = clock.now()
        message.read_by_user_id = reader.id
        events.record(case, "message_read", user=reader, message_id=message.id)
        audit.record("message_read", user=reader, obj=message, case=case)
    return message


@transactional
def add_note(case_id: int, body: str, *, actor: StaffUser) -> InternalNote:
    """Write an internal note (intern notering) that only handlers see."""
    case = db.session.get(Case, case_id)
    access.require(actor, "note", case)
    note = InternalNote(case=case, author_id=actor.id, body=_clean_body(body))
    db.session.add(note)
    db.session.flush()
    events.record(case, "note_added", user=actor, note_id=note.id)
    audit.record("note_added", user=actor, obj=note, case=case)
    notify.queue(case, NotificationEvent.INTERNAL_NOTE, actor=actor)
    _touch(case, actor)
    return note


@transactional
def change_status_and_write(
    case_id: int,
    status_id: int,
    *,
    actor: StaffUser,
    notify_applicant: bool = True,
    resolve_subtasks: bool = False,
    message: str | None = None,
) -> Case:
    """Change the case's status and, when a message is given, write it to the applicant: both or neither."""
    case = change_status(
        case_id, status_id, actor=actor, notify_applicant=notify_applicant, resolve_subtasks=resolve_subtasks
    )
    if message is not None:
        send_message(case_id, message, actor=actor)
    return case


__all__ = ["add_note", "change_status_and_write", "mark_read", "reply_as_citizen", "send_message"]
