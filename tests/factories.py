"""Plain factory functions for tests: each adds rows, flushes and returns the object."""

from __future__ import annotations

import datetime as dt
import functools
import itertools
from dataclasses import dataclass
from typing import Any

from flask_appbuilder.security.sqla.models import Role
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from shared import clock, roles
from shared.db import db
from shared.models import (
    Absence,
    AssignmentRule,
    Case,
    CaseHandler,
    Channel,
    Citizen,
    ColourLabel,
    EService,
    EServiceVersion,
    GroupMember,
    HandlerGroup,
    HandlerLink,
    MessageTemplate,
    NotificationEvent,
    NotificationSetting,
    OutboxMessage,
    Recipient,
    StaffUser,
    Status,
    StatusKind,
    VersionState,
)
from shared.services.statuses import ensure_standard_status_group

_seq = itertools.count(1)
PASSWORD = "test-password-1"

# Skatteverket's published test personnummer (valid check digits, no real person).
TEST_PERSONNUMMER = ["198507099805", "196408233234", "200001012384", "197010632391", "195910172393"]

SIMPLE_DEFINITION: dict[str, Any] = {
    "steps": [
        {
            "id": "sokande",
            "title": "Sökande",
            "questions": [
                {"id": "namn", "type": "text", "label": "Namn", "required": True},
                {"id": "personnummer", "type": "personnummer", "label": "Personnummer", "required": True},
                {
                    "id": "skola",
                    "type": "single_choice",
                    "label": "Skola",
                    "required": True,
                    "options": [
                        {"value": "alne", "label": "Alneskolan"},
                        {"value": "bergs", "label": "Bergsskolan"},
                    ],
                },
                {"id": "ovrigt", "type": "textarea", "label": "Övrigt"},
            ],
        }
    ]
}


@functools.cache
def _password_hash(password: str) -> str:
    # Hashing is slow on purpose (~0.2 s); every test user shares the same password.
    return generate_password_hash(password)


def role(name: str) -> Role:
    found = db.session.scalar(select(Role).where(Role.name == name))
    if found is None:
        found = Role(name=name)
        db.session.add(found)
        db.session.flush()
    return found


def user(username: str | None = None, *, role_names: tuple[str, ...] = (roles.HANDLER,), **kwargs: Any) -> StaffUser:
    n = next(_seq)
    username = username or f"user{n}"
    obj = StaffUser(
        username=username,
        first_name=kwargs.pop("first_name", username.capitalize()),
        last_name=kwargs.pop("last_name", "Testsson"),
        email=kwargs.pop("email", f"{username}@example.org"),
        password=_password_hash(kwargs.pop("password", PASSWORD)),
        active=True,
        **kwargs,
    )
    obj.roles = [role(r) for r in role_names]
    db.session.add(obj)
    db.session.flush()
    return obj


def admin(username: str = "admin") -> StaffUser:
    return user(username, role_names=(roles.ADMIN,))


def builder(username: str = "builder") -> StaffUser:
    return user(username, role_names=(roles.BUILDER,))


def group(name: str | None = None, members: list[StaffUser] = (), **kwargs: Any) -> HandlerGroup:
    obj = HandlerGroup(name=name or f"Grupp {next(_seq)}", **kwargs)
    obj.members = [GroupMember(user=m) for m in members]
    db.session.add(obj)
    db.session.flush()
    return obj


def citizen(personnummer: str | None = None, **kwargs: Any) -> Citizen:
    pnr = personnummer or TEST_PERSONNUMMER[next(_seq) % len(TEST_PERSONNUMMER)]
    existing = db.session.scalar(select(Citizen).where(Citizen.personnummer == pnr.replace("-", "")))
    if existing:
        return existing
    obj = Citizen(
        personnummer=pnr,
        first_name=kwargs.pop("first_name", "Maria"),
        last_name=kwargs.pop("last_name", "Öljung"),
        email=kwargs.pop("email", "maria@example.org"),
        **kwargs,
    )
    db.session.add(obj)
    db.session.flush()
    return obj


def eservice(
    name: str | None = None,
    *,
    definition: dict[str, Any] | None = None,
    handlers: list[StaffUser] = (),
    restricted: list[StaffUser] = (),
    groups: list[HandlerGroup] = (),
    **kwargs: Any,
) -> EService:
    n = next(_seq)
    status_group = ensure_standard_status_group()
    obj = EService(
        name=name or f"E-tjänst {n}",
        slug=kwargs.pop("slug", f"etjanst-{n}"),
        status_group=status_group,
        due_days=kwargs.pop("due_days", 14),
        summary_fields=kwargs.pop("summary_fields", ["namn", "skola"]),
        **kwargs,
    )
    obj.versions = [
        EServiceVersion(
            number=1,
            definition=definition or SIMPLE_DEFINITION,
            state=VersionState.PUBLISHED,
            published_at=dt.datetime(2026, 1, 1),
        )
    ]
    obj.handler_links = (
        [HandlerLink(user=u, restricted=False) for u in handlers]
        + [HandlerLink(user=u, restricted=True) for u in restricted]
        + [HandlerLink(group=g, restricted=False) for g in groups]
    )
    db.session.add(obj)
    db.session.flush()
    return obj


def answers(**overrides: Any) -> dict[str, Any]:
    data = {"namn": "Kalle Anka", "personnummer": "19850709-9805", "skola": "alne", "ovrigt": ""}
    data.update(overrides)
    return data


# -- added with the case services ---------------------------------------------------------


def link(
    eservice: EService,
    *,
    user: StaffUser | None = None,
    group: HandlerGroup | None = None,
    restricted: bool = False,
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
) -> HandlerLink:
    obj = HandlerLink(
        eservice=eservice, user=user, group=group, restricted=restricted, valid_from=valid_from, valid_to=valid_to
    )
    db.session.add(obj)
    db.session.flush()
    return obj


def status(eservice: EService, kind_or_name: StatusKind | str) -> Status:
    """The e-service's first status of a kind, or the status with that name."""
    for candidate in eservice.status_group.statuses:
        if candidate.kind == kind_or_name or candidate.name == kind_or_name:
            return candidate
    raise LookupError(kind_or_name)


def case(
    eservice: EService,
    *,
    citizen: Citizen | None = None,
    answers: dict[str, Any] | None = None,
    users: list[StaffUser] = (),
    groups: list[HandlerGroup] = (),
    status_kind: StatusKind | str = StatusKind.SUBMITTED,
    draft: bool = False,
    **kwargs: Any,
) -> Case:
    """A case as rows (no service): submitted and numbered unless draft=True; assigned to users/groups."""
    now = clock.now()
    obj = Case(
        eservice=eservice,
        version=eservice.published_version,
        status=status(eservice, StatusKind.DRAFT if draft else status_kind),
        citizen=citizen,
        answers=answers if answers is not None else {"namn": "Kalle Anka", "skola": "alne"},
        number=None if draft else kwargs.pop("number", 100000 + next(_seq)),
        submitted_at=None if draft else kwargs.pop("submitted_at", now),
        due_at=None if draft else kwargs.pop("due_at", now + dt.timedelta(days=eservice.due_days or 14)),
        **kwargs,
    )
    obj.handlers = [CaseHandler(user=u) for u in users] + [CaseHandler(group=g) for g in groups]
    obj.assigned = bool(obj.handlers)
    db.session.add(obj)
    db.session.flush()
    return obj


def setting(
    eservice: EService,
    event: NotificationEvent,
    recipient: Recipient,
    channel: Channel = Channel.EMAIL,
    *,
    enabled: bool = True,
    subject: str | None = None,
    body: str | None = None,
) -> NotificationSetting:
    obj = NotificationSetting(
        eservice_id=eservice.id,
        event=event,
        recipient=recipient,
        channel=channel,
        enabled=enabled,
        subject=subject,
        body=body,
    )
    db.session.add(obj)
    db.session.flush()
    return obj


def absence(
    user: StaffUser,
    *,
    forward_to: HandlerGroup | None = None,
    auto_reply: str | None = None,
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
) -> Absence:
    today = clock.today()
    obj = Absence(
        user=user,
        forward_to_group=forward_to,
        auto_reply=auto_reply,
        starts_on=starts_on or today - dt.timedelta(days=1),
        ends_on=ends_on or today + dt.timedelta(days=7),
    )
    db.session.add(obj)
    db.session.flush()
    return obj


def assignment_rule(
    eservice: EService,
    question_id: str,
    answer_value: str,
    *,
    user: StaffUser | None = None,
    group: HandlerGroup | None = None,
    sort_order: int = 0,
) -> AssignmentRule:
    obj = AssignmentRule(
        eservice_id=eservice.id,
        question_id=question_id,
        answer_value=answer_value,
        user=user,
        group=group,
        sort_order=sort_order,
    )
    db.session.add(obj)
    db.session.flush()
    db.session.expire(eservice, ["assignment_rules"])
    return obj


def colour_label(eservice: EService, colour: str, meaning: str = "") -> ColourLabel:
    obj = ColourLabel(eservice_id=eservice.id, colour=colour, meaning=meaning or colour)
    db.session.add(obj)
    db.session.flush()
    db.session.expire(eservice, ["colour_labels"])
    return obj


def message_template(
    eservice: EService, name: str = "Komplettering", body: str = "Skicka in intyg."
) -> MessageTemplate:
    obj = MessageTemplate(eservice_id=eservice.id, name=name, body=body)
    db.session.add(obj)
    db.session.flush()
    return obj


# Small files of each allowed kind, as their first bytes give them away.
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 17
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20


# -- a typical set-up and what the outbox holds ---------------------------------------------


@dataclass
class World:
    """Skolskjuts with two handlers, a restricted handler, a group, a builder, an admin and a citizen."""

    eservice: EService
    hanna: StaffUser  # handler
    olle: StaffUser  # handler
    rut: StaffUser  # restricted handler
    gun: StaffUser  # member of the group (linked through it)
    group: HandlerGroup
    builder: StaffUser
    admin: StaffUser
    citizen: Citizen
    outsider: StaffUser  # handler of another e-service (Bygglov)


def world() -> World:
    """Build the typical set-up and commit it, as real set-up is (a refusing service rolls back only its own work)."""
    hanna = user("hanna", first_name="Hanna", last_name="Berg")
    olle = user("olle", first_name="Olle", last_name="Ek")
    rut = user("rut", first_name="Rut", last_name="Lind")
    gun = user("gun", first_name="Gun", last_name="Ström")
    skolskjuts_group = group("Skolskjutsgruppen", members=[gun], mailbox_email="skolskjuts@example.org")
    skolskjuts = eservice(
        "Skolskjuts", handlers=[hanna, olle], restricted=[rut], groups=[skolskjuts_group], manual_add=True
    )
    outsider = user("otto", first_name="Otto", last_name="Annan")
    eservice("Bygglov", handlers=[outsider])
    built = World(
        eservice=skolskjuts,
        hanna=hanna,
        olle=olle,
        rut=rut,
        gun=gun,
        group=skolskjuts_group,
        builder=builder(),
        admin=admin(),
        citizen=citizen("19850709-9805", email="maria@example.org"),
        outsider=outsider,
    )
    db.session.commit()
    return built


def outbox(event: str | None = None) -> list[OutboxMessage]:
    """The queued notifications (optionally of one event), oldest first."""
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if event is not None:
        query = query.where(OutboxMessage.event == str(event))
    return list(db.session.scalars(query))


def addresses(event: str | None = None, channel: str | None = None) -> set[str]:
    """Who got the notifications: e-mail addresses or phone numbers, "citizen:<id>" for Mina sidor."""
    return {
        m.recipient_address or f"citizen:{m.recipient_citizen_id}"
        for m in outbox(event)
        if channel is None or str(m.channel) == channel
    }


