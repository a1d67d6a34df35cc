"""Queueing notifications into the outbox, in the transaction of the change that causes them.

``queue`` reads the e-service's enabled NotificationSetting rows for the event, resolves
each row's recipients, renders the texts safely and writes one OutboxMessage per
(recipient, channel). The scheduler sends them later (F-NOT-4); nothing here talks to a
mail server.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import select

from shared.db import db
from shared.models import (
    Case,
    Channel,
    Citizen,
    HandlerGroup,
    NotificationEvent,
    NotificationSetting,
    OutboxMessage,
    Recipient,
    StaffUser,
)
from shared.notify.render import drop_lines_with, render
from shared.notify.texts import Audience, Text, audience_of, standard_text

Assignee = StaffUser | HandlerGroup
DedupeKey = tuple[str, str, Any]


@dataclass(frozen=True)
class Addressee:
    """One recipient on one channel."""

    audience: Audience
    channel: Channel
    address: str | None = None
    user: StaffUser | None = None
    citizen: Citizen | None = None
    name: str = ""

    def keys(self) -> list[DedupeKey]:
        channel = str(self.channel)
        keys: list[DedupeKey] = []
        if self.user is not None:
            keys.append((channel, "user", self.user.id))
        if self.citizen is not None:
            keys.append((channel, "citizen", self.citizen.id))
        if self.address:
            keys.append((channel, "address", self.address.strip().lower()))
        return keys


def case_link(case: Case, audience: Audience, *, message_id: int | None = None) -> str | None:
    """Where a notification leads: the case on Mina sidor (None for an anonymous applicant) or in the back office.

    A link to a message (F-POR-5) names it twice: ``?meddelande=<id>`` survives the login
    redirect (the portal marks and focuses that message), ``#meddelande-<id>`` jumps to it
    when the citizen is already logged in.
    """
    if audience == "applicant":
        if case.citizen_id is None:
            return None  # no Mina sidor without e-ID
        url = f"{current_app.config['PORTAL_URL']}/mina-sidor/arenden/{case.id}"
        return f"{url}?meddelande={message_id}#meddelande-{message_id}" if message_id else url
    return f"{current_app.config['BACKOFFICE_URL']}/arenden/{case.id}"


def applicant_addressees(case: Case, channel: Channel) -> list[Addressee]:
    """The applicant on this channel, if they can be reached there (their own choices for a citizen)."""
    citizen = case.citizen
    if citizen is not None:
        name = citizen.full_name
        if channel == Channel.PORTAL:
            return [Addressee("applicant", channel, citizen=citizen, name=name)]
        if channel == Channel.EMAIL and citizen.notify_by_email and (citizen.email or case.contact_email):
            return [Addressee("applicant", channel, citizen.email or case.contact_email, citizen=citizen, name=name)]
        if channel == Channel.SMS and citizen.notify_by_sms and (citizen.phone or case.contact_phone):
            return [Addressee("applicant", channel, citizen.phone or case.contact_phone, citizen=citizen, name=name)]
        return []
    name = case.contact_name or ""
    if channel == Channel.EMAIL and case.contact_email:
        return [Addressee("applicant", channel, case.contact_email, name=name)]
    if channel == Channel.SMS and case.contact_phone:
        return [Addressee("applicant", channel, case.contact_phone, name=name)]
    return []  # an anonymous applicant has no Mina sidor


def staff_addressees(users: Iterable[StaffUser], channel: Channel) -> list[Addressee]:
    """Each active person on this channel if they chose it (F-GRP-2) and have an address for it."""
    found = []
    for user in users:
        if user is None or not user.active:
            continue
        if channel == Channel.EMAIL and user.notify_by_email and user.email:
            found.append(Addressee("handler", channel, user.email, user=user, name=user.display_name))
        elif channel == Channel.SMS and user.notify_by_sms and user.mobile_phone:
            found.append(Addressee("handler", channel, user.mobile_phone, user=user, name=user.display_name))
    return found


def _assignees(case: Case, override: Sequence[Assignee] | None) -> tuple[list[StaffUser], list[HandlerGroup]]:
    if override is None:
        return case.handler_users, case.handler_groups
    return (
        [x for x in override if isinstance(x, StaffUser)],
        [x for x in override if isinstance(x, HandlerGroup)],
    )


def _all_handlers_who_see(case: Case) -> list[StaffUser]:
    """Everyone linked to the e-service who may see this case (a restricted handler only if assigned)."""
    from shared.services import access, users

    everyone = users.handlers_for_eservice(case.eservice_id)
    full = {u.id for u in users.handlers_for_eservice(case.eservice_id, restricted=False)}
    return [u for u in everyone if u.id in full or access.is_assigned(u, case, via_group=True)]


def resolve(
    case: Case,
    recipient: Recipient,
    channel: Channel,
    *,
    actor: StaffUser | Citizen | None = None,
    override: Sequence[Assignee] | None = None,
) -> list[Addressee]:
    """The addressees of one setting row; handler lists never include the actor."""
    # ``override`` stands in for the case's assigned persons and groups (e.g. only the
    # newly assigned ones, or the person whose case was taken over).
    if recipient == Recipient.APPLICANT:
        return applicant_addressees(case, channel)
    if channel == Channel.PORTAL:
        return []  # Mina sidor is for citizens only
    persons, groups = _assignees(case, override)
    if recipient == Recipient.ASSIGNED_HANDLERS:
        # Through a group only the members who opted in (1177); a person assigned in person always.
        people = persons + [m.user for g in groups for m in g.members if m.notify]
    elif recipient == Recipient.GROUP_MEMBERS:
        people = [m.user for g in groups for m in g.members if m.notify]
    elif recipient == Recipient.ALL_HANDLERS:
        people = _all_handlers_who_see(case)
    elif recipient == Recipient.MAILBOX:
        if channel != Channel.EMAIL:
            return []
        boxes = [(case.eservice.general_mailbox, case.eservice.name)]
        boxes += [(g.mailbox_email, g.name) for g in groups]
        return [Addressee("handler", channel, address, name=name) for address, name in boxes if address]
    else:  # pragma: no cover - every Recipient is handled above
        return []
    if isinstance(actor, StaffUser):
        people = [u for u in people if u.id != actor.id]
    return staff_addressees(people, channel)


def _values(case: Case, addressee: Addressee, actor: Any, extra: Mapping[str, Any], link: str | None) -> dict:
    if isinstance(actor, StaffUser):
        handler_name = actor.display_name
    else:
        handler_name = ", ".join(u.display_name for u in case.handler_users)
    status = case.status
    return {
        "arendenummer": case.number if case.number is not None else "",
        "etjanst": case.eservice.name,
        "status": status.label_for_citizen if addressee.audience == "applicant" else status.name,
        "lank": link or "",
        "handlaggare": handler_name,
        "namn": addressee.name,
        "meddelande": extra.get("message", ""),
        "fil": extra.get("filename", ""),
        "kommun": current_app.config.get("MUNICIPALITY_NAME", ""),
    }


def _outbox_row(
    case: Case,
    event: NotificationEvent,
    addressee: Addressee,
    *,
    setting: NotificationSetting | None,
    actor: Any,
    extra: Mapping[str, Any],
    text: Text | None = None,
) -> OutboxMessage:
    if addressee.audience == "applicant":
        link = case_link(case, "applicant", message_id=extra.get("message_id"))
    else:
        link = extra.get("handler_link") or case_link(case, "handler")
    standard = text or standard_text(event, addressee.audience)
    own_subject = (setting.subject or "").strip() if setting is not None else ""
    own_body = (setting.body or "").strip() if setting is not None else ""
    if addressee.channel == Channel.SMS:
        subject_template, body_template = None, own_body or standard.sms
    else:
        subject_template, body_template = own_subject or standard.subject, own_body or standard.body
    if link is None and not own_body:
        body_template = drop_lines_with(body_template, "lank")
    values = _values(case, addressee, actor, extra, link)
    # One line: a value with line breaks ({meddelande}) would make the e-mail unsendable.
    subject = " ".join(render(subject_template, values).split())[:300] if subject_template else None
    return OutboxMessage(
        event=event.value,
        channel=addressee.channel,
        recipient_address=addressee.address,
        recipient_user_id=addressee.user.id if addressee.user is not None else None,
        recipient_citizen_id=addressee.citizen.id if addressee.citizen is not None else None,
        case_id=case.id,
        subject=subject,
        body=render(body_template, values),
        link=link,
    )


def queue(
    case: Case,
    event: NotificationEvent | str,
    *,
    actor: StaffUser | Citizen | None = None,
    extra: Mapping[str, Any] | None = None,
    recipients_override: Sequence[Assignee] | None = None,
    applicant: bool = True,
    handlers: bool = True,
    dedupe: set[DedupeKey] | None = None,
) -> list[OutboxMessage]:
    """Queue the notifications the e-service's settings ask for on this event; one row per recipient and channel."""
    # ``applicant``/``handlers`` False leave that side out (a status change the handler
    # chose not to tell the applicant about). ``dedupe`` carries the recipients already
    # queued by an earlier call in the same change, so nobody gets the news twice.
    event = NotificationEvent(event)
    extra = dict(extra or {})
    settings = db.session.scalars(
        select(NotificationSetting)
        .where(
            NotificationSetting.eservice_id == case.eservice_id,
            NotificationSetting.event == event,
            NotificationSetting.enabled.is_(True),
        )
        .order_by(NotificationSetting.id)
    ).all()
    seen = dedupe if dedupe is not None else set()
    rows: list[OutboxMessage] = []
    for setting in settings:
        to_applicant = setting.recipient == Recipient.APPLICANT
        if (to_applicant and not applicant) or (not to_applicant and not handlers):
            continue
        for addressee in resolve(case, setting.recipient, setting.channel, actor=actor, override=recipients_override):
            rows += _add_once(case, event, addressee, seen, setting=setting, actor=actor, extra=extra)
    return rows


def queue_to(
    case: Case,
    event: NotificationEvent | str,
    addressees: Iterable[Addressee],
    *,
    actor: StaffUser | Citizen | None = None,
    extra: Mapping[str, Any] | None = None,
    dedupe: set[DedupeKey] | None = None,
    text: Text | None = None,
) -> list[OutboxMessage]:
    """Queue the standard text of an event (or ``text``: a mailing's own) to given addressees, whatever the settings."""
    event = NotificationEvent(event)
    seen = dedupe if dedupe is not None else set()
    rows: list[OutboxMessage] = []
    for addressee in addressees:
        rows += _add_once(case, event, addressee, seen, setting=None, actor=actor, extra=dict(extra or {}), text=text)
    return rows


def compose(
    case: Case,
    event: NotificationEvent | str,
    addressee: Addressee,
    *,
    actor: StaffUser | Citizen | None = None,
    extra: Mapping[str, Any] | None = None,
    text: Text | None = None,
) -> OutboxMessage:
    """The notification one addressee would get, rendered but not queued (a preview)."""
    event = NotificationEvent(event)
    return _outbox_row(case, event, addressee, setting=None, actor=actor, extra=dict(extra or {}), text=text)


def leave_out(users: Iterable[StaffUser]) -> set[DedupeKey]:
    """A ``dedupe`` set that keeps these people out of every queue call sharing it (e.g. the absent)."""
    return {(str(channel), "user", user.id) for user in users for channel in Channel}


def mailbox(address: str, name: str = "") -> Addressee:
    """A functional mailbox as an addressee."""
    return Addressee("handler", Channel.EMAIL, address, name=name)


def _add_once(case, event, addressee, seen, *, setting, actor, extra, text=None) -> list[OutboxMessage]:
    keys = addressee.keys()
    if not keys or any(key in seen for key in keys):
        return []
    seen.update(keys)
    row = _outbox_row(case, event, addressee, setting=setting, actor=actor, extra=extra, text=text)
    db.session.add(row)
    return [row]


__all__ = [
    "Addressee",
    "applicant_addressees",
    "audience_of",
    "case_link",
    "compose",
    "leave_out",
    "mailbox",
    "queue",
    "queue_to",
    "resolve",
    "staff_addressees",
]
