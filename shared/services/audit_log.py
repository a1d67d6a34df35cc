"""Reading the audit log (F-CASE-8): per case and per user, for administrators only.

The entries are found through ``audit.for_case`` and ``audit.for_user``. A deleted case is
still found by its number: its entries keep the case's id and number.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import Select, select

from shared.db import db
from shared.errors import NotAllowed
from shared.models import AuditEntry, Case, Citizen, HandlerGroup, StaffUser, Status
from shared.services import access, audit, listing

PAGE_SIZE = 50

# Details that name people, groups or statuses by id (what the case services record).
USER_ID_KEYS = ("added_users", "removed_users", "from_users")
GROUP_ID_KEYS = ("added_groups", "removed_groups", "from_groups", "group_id")
STATUS_ID_KEYS = {"case_status_changed": ("from", "to")}


@dataclass
class AuditPage:
    entries: list[AuditEntry]
    page: int
    has_next: bool
    # Ids of the cases named on the page that still exist (the others were deleted).
    existing_case_ids: set[int] = field(default_factory=set)
    user_names: dict[int, str] = field(default_factory=dict)
    citizen_names: dict[int, str] = field(default_factory=dict)
    group_names: dict[int, str] = field(default_factory=dict)
    status_names: dict[int, str] = field(default_factory=dict)

    def details_named(self, entry: AuditEntry) -> dict:
        """The entry's details with the ids of people, groups and statuses replaced by their names."""
        details = dict(entry.details or {})

        def named(value, names):
            if isinstance(value, list):
                return [names.get(v, v) for v in value]
            return names.get(value, value)

        for key in USER_ID_KEYS:
            if key in details:
                details[key] = named(details[key], self.user_names)
        for key in GROUP_ID_KEYS:
            if key in details:
                details[key] = named(details[key], self.group_names)
        for key in STATUS_ID_KEYS.get(entry.action, ()):
            if key in details:
                details[key] = named(details[key], self.status_names)
        return details


def _case_id_for_number(number: int) -> int | None:
    case_id = db.session.scalar(select(Case.id).where(Case.number == number))
    if case_id is None:  # deleted: its entries still name it
        case_id = db.session.scalar(
            select(AuditEntry.case_id).where(AuditEntry.case_number == number, AuditEntry.case_id.is_not(None)).limit(1)
        )
    return case_id


def _newest_first(query: Select) -> Select:
    return query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())


def audit_query(*, case_number: int | None = None, username: str | None = None) -> Select[tuple[AuditEntry]] | None:
    """The entries about a case (by its number) and/or by a user (by username), newest first; None if neither exists."""
    query: Select | None = None
    if case_number is not None:
        case_id = _case_id_for_number(case_number)
        if case_id is None:
            return None
        query = audit.for_case(case_id)
    if username:
        user_id = db.session.scalar(select(StaffUser.id).where(StaffUser.username == username))
        # A removed user's entries keep the username they had.
        condition = AuditEntry.user_id == user_id if user_id is not None else AuditEntry.username == username
        if query is None:
            query = (
                audit.for_user(user_id) if user_id is not None else _newest_first(select(AuditEntry).where(condition))
            )
        else:
            query = query.where(condition)
    if query is None:
        # Every entry: newest first by id, which grows with time and has an index (there is
        # none on `at` alone, and the log is large: every opening of a case writes a row).
        query = select(AuditEntry).order_by(AuditEntry.id.desc())
    return query


def audit_page(
    *,
    actor: StaffUser,
    case_number: int | None = None,
    username: str | None = None,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> AuditPage:
    """One page of the audit log for an administrator, newest first (no total count: the log is large)."""
    if not access.is_admin(actor):
        raise NotAllowed(_("Only administrators may read the audit log."))
    page = max(1, page)
    query = audit_query(case_number=case_number, username=username)
    if query is None:
        return AuditPage([], page, False)
    entries, has_next = listing.page_without_count(query, page, page_size)
    case_ids = {e.case_id for e in entries if e.case_id is not None}
    user_ids = {e.user_id for e in entries if e.user_id is not None} | _ids_in(entries, USER_ID_KEYS)
    citizen_ids = {e.citizen_id for e in entries if e.citizen_id is not None}
    group_ids = _ids_in(entries, GROUP_ID_KEYS)
    status_ids = {
        value
        for e in entries
        for key in STATUS_ID_KEYS.get(e.action, ())
        if isinstance(value := (e.details or {}).get(key), int)
    }
    existing = set(db.session.scalars(select(Case.id).where(Case.id.in_(case_ids)))) if case_ids else set()
    names = (
        {u.id: u.display_name for u in db.session.scalars(select(StaffUser).where(StaffUser.id.in_(user_ids)))}
        if user_ids
        else {}
    )
    citizens = (
        {c.id: str(c) for c in db.session.scalars(select(Citizen).where(Citizen.id.in_(citizen_ids)))}
        if citizen_ids
        else {}
    )
    groups = (
        dict(db.session.execute(select(HandlerGroup.id, HandlerGroup.name).where(HandlerGroup.id.in_(group_ids))).all())
        if group_ids
        else {}
    )
    statuses = (
        dict(db.session.execute(select(Status.id, Status.name).where(Status.id.in_(status_ids))).all())
        if status_ids
        else {}
    )
    return AuditPage(entries, page, has_next, existing, names, citizens, groups, statuses)


def _ids_in(entries: list[AuditEntry], keys: tuple[str, ...]) -> set[int]:
    found: set[int] = set()
    for entry in entries:
        for key in keys:
            value = (entry.details or {}).get(key)
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, int) and not isinstance(item, bool):
                    found.add(item)
    return found


__all__ = ["PAGE_SIZE", "AuditPage", "audit_page", "audit_query"]
