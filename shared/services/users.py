"""Queries about back-office users: who handles an e-service."""

from __future__ import annotations

from sqlalchemy import or_, select

from shared.db import db
from shared.models import GroupMember, HandlerGroup, HandlerLink, StaffUser
from shared.services.access import link_valid_today, linked_eservice_ids


def _linked_groups(eservice_id: int, restricted: bool | None):
    query = select(HandlerLink.group_id).where(
        HandlerLink.eservice_id == eservice_id, HandlerLink.group_id.is_not(None), *link_valid_today()
    )
    if restricted is not None:
        query = query.where(HandlerLink.restricted == restricted)
    return query


def handlers_for_eservice(eservice_id: int, *, restricted: bool | None = None) -> list[StaffUser]:
    """The active people who are handlers for the e-service today, directly or through a group, by name."""
    direct = select(HandlerLink.user_id).where(
        HandlerLink.eservice_id == eservice_id, HandlerLink.user_id.is_not(None), *link_valid_today()
    )
    if restricted is not None:
        direct = direct.where(HandlerLink.restricted == restricted)
    via_group = select(GroupMember.user_id).where(GroupMember.group_id.in_(_linked_groups(eservice_id, restricted)))
    query = (
        select(StaffUser)
        .where(StaffUser.active.is_(True), or_(StaffUser.id.in_(direct), StaffUser.id.in_(via_group)))
        .order_by(StaffUser.first_name, StaffUser.last_name, StaffUser.id)
    )
    return list(db.session.scalars(query))


def groups_for_eservice(eservice_id: int) -> list[HandlerGroup]:
    """The handler groups linked to the e-service today, by name."""
    query = (
        select(HandlerGroup).where(HandlerGroup.id.in_(_linked_groups(eservice_id, None))).order_by(HandlerGroup.name)
    )
    return list(db.session.scalars(query))


def is_handler_for(user: StaffUser, eservice_id: int) -> bool:
    """Whether the person is a handler for the e-service today (any link, restricted or not)."""
    return eservice_id in linked_eservice_ids(user)
