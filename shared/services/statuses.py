"""Status groups and the standard statuses every municipality starts from (F-ES-5)."""

from __future__ import annotations

from sqlalchemy import select

from shared.db import db
from shared.models import DeletePolicy, Status, StatusGroup, StatusKind

STANDARD_GROUP_NAME = "Standard"

# (name, citizen label, kind, options) in the order handlers meet them.
STANDARD_STATUSES: list[tuple[str, str, StatusKind, dict]] = [
    ("Sparat", "Sparat, ej inskickat", StatusKind.DRAFT, {"deletable_by": DeletePolicy.ALL_HANDLERS, "applicant_may_message": False}),
    ("Inskickat", "Inskickat", StatusKind.SUBMITTED, {}),
    ("Under behandling", "Ärendet är under handläggning", StatusKind.IN_PROGRESS, {}),
    (
        "Väntar på komplettering",
        "Väntar på komplettering från dig",
        StatusKind.WAITING,
        {
            "applicant_may_supplement": True,
            "pauses_due_date": True,
            "default_message": "Vi behöver fler uppgifter från dig för att kunna handlägga ärendet.",
        },
    ),
    (
        "Klart",
        "Ärendet är avslutat",
        StatusKind.COMPLETED,
        {"is_final": True, "deletable_by": DeletePolicy.HANDLERS, "applicant_message_days": 30},
    ),
    (
        "Arkiverat",
        "Ärendet är arkiverat",
        StatusKind.ARCHIVED,
        {"is_final": True, "deletable_by": DeletePolicy.HANDLERS, "applicant_may_message": False},
    ),
]


def ensure_standard_status_group() -> StatusGroup:
    """The standard status group (Sparat … Arkiverat), created if missing; flushes, never commits."""
    group = db.session.scalar(select(StatusGroup).where(StatusGroup.name == STANDARD_GROUP_NAME))
    if group is None:
        group = StatusGroup(name=STANDARD_GROUP_NAME, description="Sparat, Inskickat, Under behandling, Klart")
        db.session.add(group)
    existing = {s.name for s in group.statuses}
    for order, (name, label, kind, options) in enumerate(STANDARD_STATUSES):
        if name not in existing:
            group.statuses.append(Status(name=name, citizen_label=label, kind=kind, sort_order=order, **options))
    db.session.flush()
    return group
