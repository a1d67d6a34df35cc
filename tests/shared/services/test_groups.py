"""Handler groups (F-GRP-1) as builders change them: members, notifications, mailbox, deletion."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from shared.db import db
from shared.errors import Invalid, NotAllowed
from shared.models import AuditEntry, HandlerGroup, HandlerLink
from shared.services import access, groups
from tests import factories


def test_only_builders_change_groups(world):
    with pytest.raises(NotAllowed):
        groups.create_group({"name": "X"}, actor=world.hanna)
    with pytest.raises(NotAllowed):
        groups.add_member(world.group.id, {"user_id": world.olle.id}, actor=world.olle)


def test_create_validates_name_and_mailbox(world):
    with pytest.raises(Invalid) as caught:
        groups.create_group({"name": "skolskjutsgruppen", "mailbox_email": "a@b"}, actor=world.builder)
    assert set(caught.value.errors) == {"name", "mailbox_email"}
    group = groups.create_group({"name": "Bygg", "mailbox_email": " Bygg@Example.org "}, actor=world.builder)
    assert group.mailbox_email == "bygg@example.org"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "config_group_created"))
    assert entry.details["after"]["mailbox_email"] == "bygg@example.org"


def test_members_and_their_notifications(world):
    group = groups.create_group({"name": "Bygg"}, actor=world.builder)
    groups.add_member(group.id, {"user_id": str(world.hanna.id), "notify": "1"}, actor=world.builder)
    groups.add_member(group.id, {"user_id": world.olle.id}, actor=world.builder)
    assert {(m.user.username, m.notify) for m in group.members} == {("hanna", True), ("olle", False)}
    for data in ({"user_id": world.hanna.id}, {"user_id": world.builder.id}, {}):
        with pytest.raises(Invalid) as caught:
            groups.add_member(group.id, data, actor=world.builder)
        assert "user_id" in caught.value.errors
    groups.set_member_notify(group.id, world.olle.id, True, actor=world.builder)
    groups.remove_member(group.id, world.hanna.id, actor=world.builder)
    assert {(m.user.username, m.notify) for m in group.members} == {("olle", True)}
    changes = list(
        db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "config_group_changed").order_by(AuditEntry.id)
        )
    )
    assert len(changes) == 4
    assert changes[-1].details["before"]["members"] == {"hanna": True, "olle": True}
    assert changes[-1].details["after"]["members"] == {"olle": True}


def test_a_member_of_a_linked_group_sees_the_eservice_cases(world):
    """Membership made here is what access goes by (a group can be handler for e-services)."""
    nina = factories.user("nina")
    case = factories.case(world.eservice, citizen=world.citizen)
    db.session.commit()
    assert case not in set(db.session.scalars(access.visible_cases(nina)))
    groups.add_member(world.group.id, {"user_id": nina.id}, actor=world.builder)
    assert case in set(db.session.scalars(access.visible_cases(nina)))


def test_a_group_with_cases_cannot_be_deleted_and_without_goes_with_its_links(world):
    case = factories.case(world.eservice, citizen=world.citizen, groups=[world.group])
    db.session.commit()
    with pytest.raises(NotAllowed):
        groups.delete_group(world.group.id, actor=world.builder)
    db.session.delete(case)
    db.session.commit()
    group_id = world.group.id
    groups.delete_group(group_id, actor=world.builder)
    assert db.session.get(HandlerGroup, group_id) is None
    assert db.session.scalar(select(HandlerLink).where(HandlerLink.group_id == group_id)) is None
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "config_group_deleted"))
    assert entry.details["before"]["eservices"] == ["Skolskjuts"]
