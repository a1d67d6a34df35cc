"""Handler groups (handläggargrupper, F-GRP-1) as the builder configures them: name,
description, an optional functional mailbox, and members who each choose whether they are
told when a case is assigned to the group.

A group can be handler for e-services (eservices.add_handler_link). Only builders and
administrators change groups; every change is in the audit log.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from shared import roles
from shared.db import db, transactional
from shared.errors import NotAllowed, NotFound
from shared.models import CaseHandler, EService, GroupMember, HandlerGroup, HandlerLink, StaffUser
from shared.services import access, config_input
from shared.services.audit import record_config_change

GROUP_FIELDS = ("name", "description", "mailbox_email")


_invalid = config_input.invalid


def _snapshot(group: HandlerGroup) -> dict[str, Any]:
    return config_input.snapshot(group, GROUP_FIELDS)


def _members_snapshot(group: HandlerGroup) -> dict[str, Any]:
    """The members by username, each with whether they are notified of the group's cases."""
    return {"members": {m.user.username: m.notify for m in sorted(group.members, key=lambda m: m.user.username)}}


def list_groups(*, actor: StaffUser) -> list[tuple[HandlerGroup, list[str]]]:
    """Every handler group by name, with the e-services it is handler for."""
    access.require_builder(actor)
    linked: dict[int, list[str]] = {}
    rows = db.session.execute(
        select(HandlerLink.group_id, EService.name)
        .join(EService, EService.id == HandlerLink.eservice_id)
        .where(HandlerLink.group_id.is_not(None))
        .order_by(EService.name)
    )
    for group_id, name in rows:
        linked.setdefault(group_id, []).append(name)
    groups = db.session.scalars(select(HandlerGroup).order_by(HandlerGroup.name))
    return [(group, linked.get(group.id, [])) for group in groups]


def get_group(group_id: int, *, actor: StaffUser) -> HandlerGroup:
    access.require_builder(actor)
    group = db.session.get(HandlerGroup, group_id)
    if group is None:
        raise NotFound(_("The group was not found."))
    return group


def linked_eservices(group: HandlerGroup) -> list[tuple[EService, HandlerLink]]:
    """The e-services the group is handler for, with the link (restricted, period)."""
    rows = db.session.execute(
        select(EService, HandlerLink)
        .join(HandlerLink, HandlerLink.eservice_id == EService.id)
        .where(HandlerLink.group_id == group.id)
        .order_by(EService.name)
    )
    return [(eservice, link) for eservice, link in rows]


def member_candidates(group: HandlerGroup) -> list[StaffUser]:
    """Active users with the Handler role who are not yet members, by name."""
    present = {m.user_id for m in group.members}
    users = db.session.scalars(
        select(StaffUser).where(StaffUser.active.is_(True)).order_by(StaffUser.first_name, StaffUser.last_name)
    )
    return [u for u in users if u.id not in present and u.has_role(roles.HANDLER)]


def _read_group(data: Mapping[str, Any], group: HandlerGroup | None) -> dict[str, Any]:
    errors: dict[str, str] = {}
    name = config_input.text(data, "name", errors, required=True, max_length=150)
    if name and "name" not in errors:
        taken = db.session.scalar(
            select(HandlerGroup.id).where(
                func.lower(HandlerGroup.name) == name.lower(), HandlerGroup.id != (group.id if group else -1)
            )
        )
        if taken:
            errors["name"] = _("There is already a group named %(name)s.", name=name)
    values = {
        "name": name,
        "description": config_input.text(data, "description", errors, max_length=5000),
        "mailbox_email": config_input.email(data, "mailbox_email", errors),
    }
    if errors:
        raise _invalid(errors)
    return values


@transactional
def create_group(data: Mapping[str, Any], *, actor: StaffUser) -> HandlerGroup:
    """Add a handler group (without members; add them on the group's page)."""
    access.require_builder(actor)
    group = HandlerGroup(**_read_group(data, None))
    db.session.add(group)
    db.session.flush()
    record_config_change("config_group_created", user=actor, obj=group, before=None, after=_snapshot(group))
    return group


@transactional
def update_group(group_id: int, data: Mapping[str, Any], *, actor: StaffUser) -> HandlerGroup:
    """Rename a group, or change its description or functional mailbox."""
    group = get_group(group_id, actor=actor)
    values = _read_group(data, group)
    before = _snapshot(group)
    for field, value in values.items():
        setattr(group, field, value)
    db.session.flush()
    record_config_change("config_group_changed", user=actor, obj=group, before=before, after=_snapshot(group))
    return group


def assigned_case_count(group: HandlerGroup) -> int:
    """How many cases are assigned to the group."""
    count = db.session.scalar(select(func.count()).select_from(CaseHandler).where(CaseHandler.group_id == group.id))
    return int(count or 0)


@transactional
def delete_group(group_id: int, *, actor: StaffUser) -> None:
    """Delete a group that no case is assigned to; its handler links and memberships go with it."""
    group = get_group(group_id, actor=actor)
    assigned = assigned_case_count(group)
    if assigned:
        raise NotAllowed(
            _(
                "%(count)s cases are assigned to the group %(name)s. Assign them to someone else before deleting the group.",
                count=assigned,
                name=group.name,
            )
        )
    before = _snapshot(group) | _members_snapshot(group)
    before["eservices"] = [eservice.name for eservice, _link in linked_eservices(group)]
    record_config_change("config_group_deleted", user=actor, obj=group, before=before, after=None)
    db.session.delete(group)
    db.session.flush()


@transactional
def add_member(group_id: int, data: Mapping[str, Any], *, actor: StaffUser) -> GroupMember:
    """Add a handler to the group; ``notify``: whether they are told of cases assigned to the group."""
    group = get_group(group_id, actor=actor)
    errors: dict[str, str] = {}
    user_id = config_input.choice_id(data, "user_id", errors, required=True)
    user = db.session.get(StaffUser, user_id) if user_id is not None else None
    if user_id is not None and (user is None or not user.active or not user.has_role(roles.HANDLER)):
        errors["user_id"] = _("Choose a user with the role Handler.")
    elif user is not None and any(m.user_id == user.id for m in group.members):
        errors["user_id"] = _("%(name)s is already a member of the group.", name=user.display_name)
    if errors:
        raise _invalid(errors)
    before = _members_snapshot(group)
    member = GroupMember(user=user, notify=config_input.flag(data, "notify"))
    group.members.append(member)
    db.session.flush()
    record_config_change("config_group_changed", user=actor, obj=group, before=before, after=_members_snapshot(group))
    return member


def _member(group: HandlerGroup, user_id: int) -> GroupMember:
    member = next((m for m in group.members if m.user_id == user_id), None)
    if member is None:
        raise NotFound(_("The member was not found."))
    return member


@transactional
def set_member_notify(group_id: int, user_id: int, notify: bool, *, actor: StaffUser) -> GroupMember:
    """Switch a member's notifications about the group's cases on or off."""
    group = get_group(group_id, actor=actor)
    member = _member(group, user_id)
    before = _members_snapshot(group)
    member.notify = bool(notify)
    db.session.flush()
    record_config_change("config_group_changed", user=actor, obj=group, before=before, after=_members_snapshot(group))
    return member


@transactional
def remove_member(group_id: int, user_id: int, *, actor: StaffUser) -> None:
    """Take a member out of the group."""
    group = get_group(group_id, actor=actor)
    member = _member(group, user_id)
    before = _members_snapshot(group)
    group.members.remove(member)
    db.session.flush()
    record_config_change("config_group_changed", user=actor, obj=group, before=before, after=_members_snapshot(group))
