"""The case history (Ärendehistorik): one CaseEvent per thing that happened to a case."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from typing import Any

from shared.db import db
from shared.models import Case, CaseEvent, Citizen, StaffUser


def jsonable(value: Any) -> Any:
    """A value as JSON can store it (dates as ISO text, enums as their value)."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    return value


def record(
    case: Case, kind: str, *, user: StaffUser | None = None, citizen: Citizen | None = None, **data: Any
) -> CaseEvent:
    """Add a line to the case history: who did what (kind), with the details in data."""
    event = CaseEvent(
        case=case,
        kind=kind,
        actor_user_id=user.id if user is not None else None,
        actor_citizen_id=citizen.id if citizen is not None else None,
        data=jsonable(data),
    )
    db.session.add(event)
    return event
