"""Status groups and the standard statuses every municipality starts from (F-ES-5), and the
builder's changes to them.

A status has a free name; the code keys on its fixed kind. Rules a builder cannot break:
every status group keeps at least one status of the kind Sparat (drafts are saved in it)
and one of the kind Inskickat (new cases start in it), so a new group starts as a copy of
the standard statuses; a status that cases are in, or that a retention rule names, cannot
be deleted; a status that cases are in cannot change to or from the kind Sparat (drafts
and submitted cases differ); a Sparat status neither closes a case nor pauses its due date.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from shared.db import db, transactional
from shared.errors import NotAllowed, NotFound
from shared.models import Case, DeletePolicy, EService, RetentionRule, StaffUser, Status, StatusGroup, StatusKind
from shared.services import access, config_input, trial_runs
from shared.services.audit import record_config_change

STANDARD_GROUP_NAME = "Standard"

# (name, citizen label, kind, options) in the order handlers meet them.
STANDARD_STATUSES: list[tuple[str, str, StatusKind, dict]] = [
    (
        "Sparat",
        "Sparat, ej inskickat",
        StatusKind.DRAFT,
        {"deletable_by": DeletePolicy.ALL_HANDLERS, "applicant_may_message": False},
    ),
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


# -- the builder's screens (F-ES-5) --------------------------------------------------------

KIND_LABELS = {
    StatusKind.DRAFT: _l("Saved (draft)"),
    StatusKind.SUBMITTED: _l("Submitted"),
    StatusKind.IN_PROGRESS: _l("In progress"),
    StatusKind.WAITING: _l("Waiting for the applicant (supplement)"),
    StatusKind.COMPLETED: _l("Completed"),
    StatusKind.ARCHIVED: _l("Archived"),
}
DELETE_POLICY_LABELS = {
    DeletePolicy.NOBODY: _l("Nobody"),
    DeletePolicy.HANDLERS: _l("Handlers with full access"),
    DeletePolicy.ALL_HANDLERS: _l("All handlers, restricted ones too"),
}
# The kinds every status group must keep one of.
REQUIRED_KINDS = (StatusKind.DRAFT, StatusKind.SUBMITTED)
GROUP_FIELDS = ("name", "description")
STATUS_FIELDS = (
    "name",
    "citizen_label",
    "kind",
    "sort_order",
    "deletable_by",
    "applicant_may_message",
    "applicant_message_days",
    "applicant_may_supplement",
    "pauses_due_date",
    "is_final",
    "default_message",
)


_snapshot = config_input.snapshot
_invalid = config_input.invalid


def list_status_groups(*, actor: StaffUser) -> list[tuple[StatusGroup, list[str]]]:
    """Every status group by name, with the names of the e-services that use it."""
    access.require_builder(actor)
    users: dict[int, list[str]] = {}
    for group_id, name in db.session.execute(select(EService.status_group_id, EService.name).order_by(EService.name)):
        users.setdefault(group_id, []).append(name)
    groups = db.session.scalars(select(StatusGroup).order_by(StatusGroup.name))
    return [(group, users.get(group.id, [])) for group in groups]


def get_status_group(group_id: int, *, actor: StaffUser) -> StatusGroup:
    access.require_builder(actor)
    group = db.session.get(StatusGroup, group_id)
    if group is None:
        raise NotFound(_("The status group was not found."))
    return group


def cases_per_status(group: StatusGroup) -> dict[int, int]:
    """How many cases (drafts too, not test runs) are in each status of the group."""
    ids = [s.id for s in group.statuses]
    if not ids:
        return {}
    rows = db.session.execute(
        select(Case.status_id, func.count())
        .where(Case.status_id.in_(ids), Case.is_test.is_(False))
        .group_by(Case.status_id)
    )
    return {status_id: int(count) for status_id, count in rows}


def _read_group(data: Mapping[str, Any], group: StatusGroup | None) -> dict[str, Any]:
    errors: dict[str, str] = {}
    name = config_input.text(data, "name", errors, required=True, max_length=120)
    if name and "name" not in errors:
        taken = db.session.scalar(
            select(StatusGroup.id).where(
                func.lower(StatusGroup.name) == name.lower(), StatusGroup.id != (group.id if group else -1)
            )
        )
        if taken:
            errors["name"] = _("There is already a status group named %(name)s.", name=name)
    description = config_input.text(data, "description", errors, max_length=5000)
    if errors:
        raise _invalid(errors)
    return {"name": name, "description": description}


@transactional
def create_status_group(data: Mapping[str, Any], *, actor: StaffUser) -> StatusGroup:
    """Add a status group; it starts with a copy of the standard statuses, to rename and change."""
    access.require_builder(actor)
    group = StatusGroup(**_read_group(data, None))
    for order, (name, label, kind, options) in enumerate(STANDARD_STATUSES):
        group.statuses.append(Status(name=name, citizen_label=label, kind=kind, sort_order=order, **options))
    db.session.add(group)
    db.session.flush()
    after = _snapshot(group, GROUP_FIELDS) | {"statuses": [s.name for s in group.statuses]}
    record_config_change("config_status_group_created", user=actor, obj=group, before=None, after=after)
    return group


@transactional
def update_status_group(group_id: int, data: Mapping[str, Any], *, actor: StaffUser) -> StatusGroup:
    """Rename or describe a status group."""
    group = get_status_group(group_id, actor=actor)
    values = _read_group(data, group)
    before = _snapshot(group, GROUP_FIELDS)
    group.name, group.description = values["name"], values["description"]
    db.session.flush()
    record_config_change(
        "config_status_group_changed", user=actor, obj=group, before=before, after=_snapshot(group, GROUP_FIELDS)
    )
    return group


@transactional
def delete_status_group(group_id: int, *, actor: StaffUser) -> None:
    """Delete a status group that no e-service uses, with its statuses."""
    group = get_status_group(group_id, actor=actor)
    used_by = list(db.session.scalars(select(EService.name).where(EService.status_group_id == group.id)))
    if used_by:
        raise NotAllowed(
            _(
                "The status group is used by the e-services %(names)s and cannot be deleted.",
                names=", ".join(used_by),
            )
        )
    before = _snapshot(group, GROUP_FIELDS) | {"statuses": [s.name for s in group.statuses]}
    record_config_change("config_status_group_deleted", user=actor, obj=group, before=before, after=None)
    db.session.delete(group)
    db.session.flush()


def get_status(group_id: int, status_id: int, *, actor: StaffUser) -> Status:
    group = get_status_group(group_id, actor=actor)
    status = next((s for s in group.statuses if s.id == status_id), None)
    if status is None:
        raise NotFound(_("The status was not found."))
    return status


def _remaining_kinds(group: StatusGroup, without: Status) -> set[StatusKind]:
    return {s.kind for s in group.statuses if s is not without}


def _read_status(data: Mapping[str, Any], group: StatusGroup, status: Status | None) -> dict[str, Any]:
    errors: dict[str, str] = {}
    ci = config_input
    name = ci.text(data, "name", errors, required=True, max_length=120)
    if name and "name" not in errors:
        if any(s.name.lower() == name.lower() and s is not status for s in group.statuses):
            errors["name"] = _("The status group already has a status named %(name)s.", name=name)
    values: dict[str, Any] = {
        "name": name,
        "citizen_label": ci.text(data, "citizen_label", errors, max_length=200),
        "default_message": ci.text(data, "default_message", errors, max_length=20000),
    }
    kind_text = str(data.get("kind") or "").strip()
    kind = next((k for k in StatusKind if k.value == kind_text), None)
    if kind is None:
        errors["kind"] = _("Choose one of the alternatives.")
    policy_text = str(data.get("deletable_by") or DeletePolicy.NOBODY.value)
    policy = next((p for p in DeletePolicy if p.value == policy_text), None)
    if policy is None:
        errors["deletable_by"] = _("Choose one of the alternatives.")
    values.update(kind=kind, deletable_by=policy)
    for field in ("applicant_may_message", "applicant_may_supplement", "pauses_due_date", "is_final"):
        values[field] = ci.flag(data, field)
    days = ci.integer(data, "applicant_message_days", errors, minimum=1, maximum=3650)
    if days is not None and not values["applicant_may_message"]:
        errors["applicant_message_days"] = _(
            "Leave the number of days empty, or let the applicant write messages in this status."
        )
    values["applicant_message_days"] = days
    if kind == StatusKind.DRAFT:
        if values["is_final"]:
            errors["is_final"] = _("A status of the kind Saved cannot close the case.")
        if values["pauses_due_date"]:
            errors["pauses_due_date"] = _("A status of the kind Saved cannot pause the due date.")
    if status is not None and kind is not None and kind != status.kind:
        missing = [k for k in REQUIRED_KINDS if k == status.kind and k not in _remaining_kinds(group, status)]
        if missing:
            errors["kind"] = _(
                "This is the group's only status of the kind %(kind)s, which every status group needs. Add another one first.",
                kind=KIND_LABELS[status.kind],
            )
        elif StatusKind.DRAFT in (kind, status.kind) and cases_per_status(group).get(status.id):
            errors["kind"] = _("Cases are in this status, so it cannot change to or from the kind Saved.")
    if errors:
        raise _invalid(errors)
    return values


@transactional
def create_status(group_id: int, data: Mapping[str, Any], *, actor: StaffUser) -> Status:
    """Add a status last in the status group."""
    group = get_status_group(group_id, actor=actor)
    values = _read_status(data, group, None)
    order = max((s.sort_order for s in group.statuses), default=-1) + 1
    status = Status(sort_order=order, **values)
    group.statuses.append(status)
    db.session.flush()
    record_config_change("config_status_created", user=actor, obj=status, before=None, after=_status_snapshot(status))
    return status


@transactional
def update_status(group_id: int, status_id: int, data: Mapping[str, Any], *, actor: StaffUser) -> Status:
    """Change a status's name, label, kind or rules."""
    status = get_status(group_id, status_id, actor=actor)
    values = _read_status(data, status.group, status)
    before = _status_snapshot(status)
    for field, value in values.items():
        setattr(status, field, value)
    db.session.flush()
    record_config_change("config_status_changed", user=actor, obj=status, before=before, after=_status_snapshot(status))
    return status


@transactional
def delete_status(group_id: int, status_id: int, *, actor: StaffUser) -> None:
    """Delete a status that no case is in and no retention rule names."""
    status = get_status(group_id, status_id, actor=actor)
    group = status.group
    if status.kind in REQUIRED_KINDS and status.kind not in _remaining_kinds(group, status):
        raise NotAllowed(
            _(
                "%(name)s is the group's only status of the kind %(kind)s, which every status group needs.",
                name=status.name,
                kind=KIND_LABELS[status.kind],
            )
        )
    in_use = cases_per_status(group).get(status.id, 0)
    if in_use:
        raise NotAllowed(
            _("%(count)s cases are in the status %(name)s, so it cannot be deleted.", count=in_use, name=status.name)
        )
    if db.session.scalar(select(RetentionRule.id).where(RetentionRule.status_id == status.id).limit(1)):
        raise NotAllowed(
            _("A retention rule names the status %(name)s. Delete or change the rule first.", name=status.name)
        )
    record_config_change("config_status_deleted", user=actor, obj=status, before=_status_snapshot(status), after=None)
    trial_runs.discard_test_drafts(status_id=status.id)  # a test run is never a case (F-ES-4)
    group.statuses.remove(status)
    db.session.flush()


@transactional
def move_status(group_id: int, status_id: int, direction: int, *, actor: StaffUser) -> Status:
    """Move a status one place up (direction -1) or down (+1) in the group's order."""
    status = get_status(group_id, status_id, actor=actor)
    ordered = sorted(status.group.statuses, key=lambda s: (s.sort_order, s.id))
    index = ordered.index(status)
    target = index + (1 if direction > 0 else -1)
    if 0 <= target < len(ordered):
        before = [s.name for s in ordered]
        ordered[index], ordered[target] = ordered[target], ordered[index]
        for order, each in enumerate(ordered):
            each.sort_order = order
        db.session.flush()
        record_config_change(
            "config_status_group_changed",
            user=actor,
            obj=status.group,
            before={"order": before},
            after={"order": [s.name for s in ordered]},
        )
    return status


def _status_snapshot(status: Status) -> dict[str, Any]:
    return _snapshot(status, STATUS_FIELDS) | {"group": status.group.name if status.group else None}
