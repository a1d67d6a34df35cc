"""Plain factory functions for tests: each adds rows, flushes and returns the object."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from flask_appbuilder.security.sqla.models import Role
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from shared import roles
from shared.db import db
from shared.models import (
    Citizen,
    EService,
    EServiceVersion,
    GroupMember,
    HandlerGroup,
    HandlerLink,
    StaffUser,
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
        password=generate_password_hash(kwargs.pop("password", PASSWORD)),
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
