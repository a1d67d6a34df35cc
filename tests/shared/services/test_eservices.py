"""E-services as builders configure them (F-ES-1, F-ES-14): who may, validation, handler links, audit."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from shared import clock
from shared.db import db
from shared.errors import Invalid, NotAllowed, NotFound
from shared.models import AuditEntry, Category, EService, HandlerLink, Status, StatusGroup
from shared.services import access, eservices
from shared.services.statuses import STANDARD_STATUSES, ensure_standard_status_group
from tests import factories


def _entries(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def _data(**overrides):
    data = {"name": "Ansökan om bygglov", "status_group_id": ensure_standard_status_group().id, "login": "required"}
    data.update(overrides)
    return data


def test_require_builder_lets_builders_and_admins_in(world):
    access.require_builder(world.builder)
    access.require_builder(world.admin)
    for user in (world.hanna, world.rut, None):
        with pytest.raises(NotAllowed):
            access.require_builder(user)
    world.builder.active = False
    with pytest.raises(NotAllowed):
        access.require_builder(world.builder)


def test_only_builders_change_eservices(world):
    with pytest.raises(NotAllowed):
        eservices.create_eservice(_data(), actor=world.hanna)
    with pytest.raises(NotAllowed):
        eservices.update_eservice(world.eservice.id, _data(), actor=world.hanna)
    with pytest.raises(NotAllowed):
        eservices.list_eservices(actor=world.hanna)
    assert db.session.scalar(select(EService).where(EService.name == "Ansökan om bygglov")) is None


def test_create_makes_the_address_from_the_name_and_records_it(world):
    eservice = eservices.create_eservice(_data(name="Ändring av ägare – Åre"), actor=world.builder)
    assert eservice.slug == "andring-av-agare-are"
    assert eservice.enabled is False  # a switch that was not sent is off
    assert eservice.messages_enabled is False
    entry = _entries("config_eservice_created")[0]
    assert entry.user_id == world.builder.id and entry.object_type == "EService"
    assert entry.details["after"]["slug"] == "andring-av-agare-are" and "before" not in entry.details


def test_every_bad_field_is_reported_at_once(world):
    empty = StatusGroup(name="Tom")
    db.session.add(empty)
    db.session.commit()
    with pytest.raises(Invalid) as caught:
        eservices.create_eservice(
            {
                "name": "",
                "slug": "Bygg lov",
                "category_id": "999999",
                "due_days": "0",
                "status_group_id": str(empty.id),
                "general_mailbox": "nej",
                "last_reviewed_on": (clock.today() + dt.timedelta(days=1)).isoformat(),
                "default_handler_id": str(world.builder.id),
                "queue_question_id": "skola",
                "login": "kanske",
            },
            actor=world.builder,
        )
    assert set(caught.value.errors) == {
        "name",
        "slug",
        "category_id",
        "due_days",
        "status_group_id",
        "general_mailbox",
        "last_reviewed_on",
        "default_handler_id",
        "queue_question_id",
        "login",
    }


def test_the_address_is_unique_and_url_safe(world):
    with pytest.raises(Invalid) as caught:
        eservices.create_eservice(_data(slug=world.eservice.slug), actor=world.builder)
    assert "slug" in caught.value.errors
    for bad in ("bygg lov", "bygglov-", "byggl\u00f6v", "-a"):
        with pytest.raises(Invalid) as caught:
            eservices.create_eservice(_data(slug=bad), actor=world.builder)
        assert "slug" in caught.value.errors, bad
    # The e-service keeps its own address when saved again.
    eservices.update_eservice(
        world.eservice.id, _data(name="Skolskjuts", slug=world.eservice.slug), actor=world.builder
    )


def test_update_records_before_and_after_and_nothing_when_nothing_changed(world):
    eservice = world.eservice
    category = Category(name="Skola")
    db.session.add(category)
    db.session.commit()
    data = _data(
        name=eservice.name,
        slug=eservice.slug,
        category_id=category.id,
        status_group_id=eservice.status_group_id,
        due_days="20",
        enabled="1",
        manual_add="1",
        manual_add_personnummer="1",
        messages_enabled="1",
        documents_enabled="1",
        edit_submitted_enabled="1",
        queue_question_id="skola",
        process_owner="Utbildningsförvaltningen",
        last_reviewed_on="2026-01-31",
    )
    eservices.update_eservice(eservice.id, data, actor=world.builder)
    entry = _entries("config_eservice_changed")[0]
    assert entry.details["before"] == {
        "category_id": None,
        "due_days": 14,
        "queue_question_id": None,
        "process_owner": None,
        "last_reviewed_on": None,
    }
    assert entry.details["after"]["last_reviewed_on"] == "2026-01-31"
    assert eservice.queue_question_id == "skola" and eservice.last_reviewed_on == dt.date(2026, 1, 31)
    eservices.update_eservice(eservice.id, data, actor=world.builder)
    assert len(_entries("config_eservice_changed")) == 1


def test_the_status_group_cannot_change_once_there_are_cases(world):
    eservice = world.eservice
    other = StatusGroup(name="Annan")
    db.session.add(other)
    db.session.flush()
    for order, (name, label, kind, options) in enumerate(STANDARD_STATUSES):
        other.statuses.append(Status(name=name, citizen_label=label, kind=kind, sort_order=order, **options))
    db.session.commit()
    data = _data(name=eservice.name, slug=eservice.slug, status_group_id=other.id)
    factories.case(eservice, citizen=world.citizen)
    db.session.commit()
    with pytest.raises(Invalid) as caught:
        eservices.update_eservice(eservice.id, data, actor=world.builder)
    assert "status_group_id" in caught.value.errors
    fresh = factories.eservice("Ny")
    db.session.commit()
    eservices.update_eservice(
        fresh.id, _data(name="Ny", slug=fresh.slug, status_group_id=other.id), actor=world.builder
    )
    assert fresh.status_group_id == other.id


def test_list_searches_and_filters(world):
    factories.eservice("Altan", enabled=False)
    db.session.commit()

    def names(**kw) -> list[str]:
        return [row.eservice.name for row in eservices.list_eservices(actor=world.builder, **kw)]

    assert names() == ["Altan", "Bygglov", "Skolskjuts"]
    assert names(search="SKOL") == ["Skolskjuts"]
    assert names(enabled=False) == ["Altan"]
    rows = eservices.list_eservices(actor=world.builder, search="skol")
    assert rows[0].published == 1 and rows[0].versions == 1


def test_unknown_eservice_is_not_found(world):
    with pytest.raises(NotFound):
        eservices.get_eservice(999999, actor=world.builder)


# -- categories ---------------------------------------------------------------------------


def test_categories(world):
    category = eservices.create_category({"name": "Skola", "sort_order": "3"}, actor=world.builder)
    with pytest.raises(Invalid):
        eservices.create_category({"name": "skola"}, actor=world.builder)
    with pytest.raises(NotAllowed):
        eservices.create_category({"name": "Annat"}, actor=world.hanna)
    eservices.update_category(category.id, {"name": "Skola och förskola", "sort_order": "1"}, actor=world.builder)
    world.eservice.category = category
    db.session.commit()
    assert eservices.list_categories(actor=world.builder) == [(category, 1)]
    eservices.delete_category(category.id, actor=world.builder)
    db.session.expire_all()
    assert world.eservice.category_id is None
    actions = [e.action for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions == ["config_category_created", "config_category_changed", "config_category_deleted"]


# -- handler links ----------------------------------------------------------------------


def test_handler_link_rules(world):
    eservice = world.eservice
    nina = factories.user("nina")
    group = factories.group("Bygg")
    db.session.commit()
    cases_ = [
        ({}, "user_id"),
        ({"user_id": nina.id, "group_id": group.id}, "user_id"),
        ({"user_id": world.builder.id}, "user_id"),  # not a handler
        ({"user_id": world.hanna.id}, "user_id"),  # already linked
        ({"group_id": world.group.id}, "group_id"),  # already linked
        ({"user_id": nina.id, "valid_from": "2026-05-02", "valid_to": "2026-05-01"}, "valid_to"),
        ({"user_id": nina.id, "valid_from": "1 maj"}, "valid_from"),
    ]
    for data, field in cases_:
        with pytest.raises(Invalid) as caught:
            eservices.add_handler_link(eservice.id, data, actor=world.builder)
        assert field in caught.value.errors, data
    link = eservices.add_handler_link(
        eservice.id, {"group_id": group.id, "restricted": "on", "valid_to": "2026-12-31"}, actor=world.builder
    )
    assert link.restricted and link.group_id == group.id and link.user_id is None
    entry = _entries("config_handler_link_created")[0]
    assert entry.details["after"]["handler"] == "Bygg" and entry.details["name"] == "Bygg – Skolskjuts"


def test_a_restricted_link_made_here_limits_what_the_handler_sees(world):
    """The link the builder makes is the one access goes by: restricted sees only assigned cases."""
    eservice = world.eservice
    nina = factories.user("nina")
    mine = factories.case(eservice, citizen=world.citizen, users=[nina])
    other = factories.case(eservice, citizen=world.citizen)
    db.session.commit()
    link = eservices.add_handler_link(eservice.id, {"user_id": nina.id, "restricted": "1"}, actor=world.builder)
    seen = set(db.session.scalars(access.visible_cases(nina)))
    assert mine in seen and other not in seen
    eservices.update_handler_link(eservice.id, link.id, {"restricted": ""}, actor=world.builder)
    assert {mine, other} <= set(db.session.scalars(access.visible_cases(nina)))
    yesterday = (clock.today() - dt.timedelta(days=1)).isoformat()
    eservices.update_handler_link(eservice.id, link.id, {"valid_to": yesterday}, actor=world.builder)
    assert not set(db.session.scalars(access.visible_cases(nina)))
    eservices.delete_handler_link(eservice.id, link.id, actor=world.builder)
    assert db.session.scalar(select(HandlerLink).where(HandlerLink.user_id == nina.id)) is None


def test_a_link_of_another_eservice_is_not_found(world):
    other = factories.eservice("Annan", handlers=[world.olle])
    db.session.commit()
    link = other.handler_links[0]
    with pytest.raises(NotFound):
        eservices.delete_handler_link(world.eservice.id, link.id, actor=world.builder)
