"""The audit log (F-CASE-8): who saw or changed what, when, from where.

Entries have no foreign key to the case so that they outlive it; they name the case by
id and number. Personal data stays out of ``details`` where a deletion must leave none.
"""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from sqlalchemy import Select, select

from shared.db import db, transactional
from shared.models import AuditEntry, Case, Citizen, StaffUser
from shared.services import access
from shared.services.events import jsonable


def _client_ip() -> str | None:
    if not has_request_context():
        return None
    return (request.remote_addr or None) and request.remote_addr[:64]


def record(
    action: str,
    *,
    user: StaffUser | None = None,
    citizen: Citizen | None = None,
    obj: Any = None,
    case: Case | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Write an audit entry: who (user or citizen) did action to obj (and/or case), from which IP."""
    target = obj if obj is not None else case
    if target is not None and getattr(target, "id", None) is None:
        db.session.flush()  # the object needs its id to be named
    if case is None and isinstance(obj, Case):
        case = obj
    entry = AuditEntry(
        user_id=user.id if user is not None else None,
        username=user.username if user is not None else None,
        citizen_id=citizen.id if citizen is not None else None,
        action=action,
        object_type=type(target).__name__ if target is not None else "",
        object_id=str(target.id) if target is not None else None,
        case_id=case.id if case is not None else None,
        case_number=case.number if case is not None else None,
        details=jsonable(details or {}),
        ip=_client_ip(),
    )
    db.session.add(entry)
    return entry


def record_config_change(
    action: str, *, user: StaffUser, obj: Any, before: dict[str, Any] | None, after: dict[str, Any] | None
) -> AuditEntry | None:
    """Log a change of configuration (F-ES-*, issue 6): who changed which object, each changed field before and after.

    ``before`` is None for a creation and ``after`` None for a deletion; nothing is logged
    when nothing changed. Values are made JSON-safe (dates, enums).
    """
    old, new = jsonable(before or {}), jsonable(after or {})
    changed = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
    if before is not None and after is not None and not changed:
        return None
    details: dict[str, Any] = {"name": str(obj)}
    if before is not None:
        details["before"] = {k: old.get(k) for k in changed} if after is not None else old
    if after is not None:
        details["after"] = {k: new.get(k) for k in changed} if before is not None else new
    return record(action, user=user, obj=obj, details=details)


def for_case(case_id: int) -> Select[tuple[AuditEntry]]:
    """Every audit entry about a case, newest first."""
    return select(AuditEntry).where(AuditEntry.case_id == case_id).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())


def for_user(user_id: int) -> Select[tuple[AuditEntry]]:
    """Everything a back-office user saw or changed, newest first."""
    return select(AuditEntry).where(AuditEntry.user_id == user_id).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())


@transactional
def record_case_view(case_id: int, *, actor: StaffUser) -> Case:
    """Log that a handler opened the case (F-CASE-8) and return it; NotFound if they may not see it."""
    case = db.session.get(Case, case_id)
    access.require(actor, "view", case)
    record("case_viewed", user=actor, case=case)
    return case
