"""Retention rules per e-service (F-ES-8): checked, audited, and previewed with the nightly job's own query."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from shared import clock
from shared.db import db
from shared.errors import Invalid, NotAllowed, NotFound
from shared.models import (
    AuditEntry,
    DestructionList,
    EService,
    RetentionAction,
    RetentionRule,
    StatusKind,
)
from shared.services import retention
from shared.services import retention_rules as rr
from tests import factories


def _status_id(world, kind=StatusKind.COMPLETED) -> str:
    return str(factories.status(world.eservice, kind).id)


def _input(world, **values) -> rr.RuleInput:
    return rr.RuleInput(**{"status_id": _status_id(world), "days": "30", "action": "delete", **values})


def _case(world, *, days_ago: int, kind=StatusKind.COMPLETED, eservice=None):
    return factories.case(
        eservice or world.eservice, status_kind=kind, status_changed_at=clock.now() - dt.timedelta(days=days_ago)
    )


def test_create_update_delete_with_audit(world):
    rule = rr.create_retention_rule(world.eservice.id, _input(world), actor=world.builder)
    assert (rule.days, rule.action, rule.enabled, rule.requires_approval) == (30, RetentionAction.DELETE, True, False)
    created = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "config_retention_rule_created"))
    assert created.username == "builder" and created.object_type == "RetentionRule"
    assert created.details["after"] == {
        "status": "Klart",
        "days": 30,
        "action": "delete",
        "requires_approval": False,
        "approver": None,
        "enabled": True,
    }
    assert created.details["name"] == "Skolskjuts: gallringsregel"

    rr.update_retention_rule(
        world.eservice.id,
        rule.id,
        _input(world, days="90", requires_approval=True, approver_id=str(world.olle.id)),
        actor=world.builder,
    )
    changed = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "config_retention_rule_changed"))
    assert changed.details["before"] == {"days": 30, "requires_approval": False, "approver": None}
    assert changed.details["after"] == {"days": 90, "requires_approval": True, "approver": "olle"}

    rr.delete_retention_rule(world.eservice.id, rule.id, actor=world.admin)
    assert db.session.scalar(select(RetentionRule)) is None
    deleted = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "config_retention_rule_deleted"))
    assert deleted.username == "admin" and deleted.details["before"]["days"] == 90


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"status_id": ""}, "status_id"),
        ({"status_id": "999999"}, "status_id"),
        ({"days": "0"}, "days"),
        ({"days": "-3"}, "days"),
        ({"days": "36501"}, "days"),
        ({"days": "tio"}, "days"),
        ({"action": "burn"}, "action"),
        ({"requires_approval": True, "approver_id": ""}, "approver_id"),
    ],
)
def test_bad_rules_are_refused_per_field(world, values, field):
    with pytest.raises(Invalid) as caught:
        rr.create_retention_rule(world.eservice.id, _input(world, **values), actor=world.builder)
    assert field in caught.value.errors
    db.session.rollback()
    assert db.session.scalar(select(RetentionRule)) is None


def test_a_status_of_another_status_group_is_refused(world):
    from shared.models import Status, StatusGroup

    other = StatusGroup(name="Annan")
    other.statuses = [Status(name="Klar", kind=StatusKind.COMPLETED)]
    db.session.add(other)
    db.session.flush()
    with pytest.raises(Invalid) as caught:
        rr.create_retention_rule(
            world.eservice.id, _input(world, status_id=str(other.statuses[0].id)), actor=world.builder
        )
    assert "status_id" in caught.value.errors


def test_one_rule_per_status_and_action(world):
    first = rr.create_retention_rule(world.eservice.id, _input(world), actor=world.builder)
    with pytest.raises(Invalid) as caught:
        rr.create_retention_rule(world.eservice.id, _input(world, days="60"), actor=world.builder)
    assert "Det finns redan en regel" in caught.value.errors["status_id"]
    db.session.rollback()
    # Anonymising the same status after another time is a different rule; a rule may keep its own status.
    rr.create_retention_rule(world.eservice.id, _input(world, action="anonymise", days="10"), actor=world.builder)
    rr.update_retention_rule(world.eservice.id, first.id, _input(world, days="45"), actor=world.builder)


def test_the_approver_is_dropped_when_no_approval_is_required(world):
    rule = rr.create_retention_rule(
        world.eservice.id, _input(world, requires_approval=False, approver_id=str(world.olle.id)), actor=world.builder
    )
    assert rule.approver_id is None


def test_only_builders_and_admins_and_only_the_e_services_own_rules(world):
    with pytest.raises(NotAllowed):
        rr.create_retention_rule(world.eservice.id, _input(world), actor=world.hanna)
    with pytest.raises(NotAllowed):
        rr.retention_rules(world.eservice.id, actor=world.hanna, now=clock.now())
    rule = rr.create_retention_rule(world.eservice.id, _input(world), actor=world.builder)
    bygglov = factories.eservice("Bygglov 2")
    with pytest.raises(NotFound):
        rr.update_retention_rule(bygglov.id, rule.id, _input(world), actor=world.builder)
    with pytest.raises(NotFound):
        rr.delete_retention_rule(bygglov.id, rule.id, actor=world.builder)


def test_the_count_is_what_the_nightly_run_deals_with(world):
    for days_ago in (400, 40, 31, 29):
        _case(world, days_ago=days_ago)
    _case(world, days_ago=400, kind=StatusKind.SUBMITTED)  # another status
    bygglov = db.session.scalar(select(EService).where(EService.name == "Bygglov"))
    _case(world, days_ago=400, eservice=bygglov)  # another e-service
    rule = rr.create_retention_rule(world.eservice.id, _input(world), actor=world.builder)
    now = clock.now()

    _eservice, rows = rr.retention_rules(world.eservice.id, actor=world.builder, now=now)
    assert [row.count for row in rows] == [3]  # 400, 40 and 31 days in Klart
    report = retention.run_retention(now, dry_run=True)
    assert report.counts["would_delete"] == 3
    # Tomorrow night the 29-day-old one is due as well.
    assert retention.cases_covered_count(rule, now + dt.timedelta(days=2)) == 4


def test_the_preview_counts_the_typed_rule_without_saving(world):
    for days_ago in (100, 50, 5):
        _case(world, days_ago=days_ago)
    db.session.commit()
    now = clock.now()
    assert rr.preview_rule(world.eservice.id, _input(world, days="40"), actor=world.builder, now=now) == 2
    assert rr.preview_rule(world.eservice.id, _input(world, days="1"), actor=world.builder, now=now) == 3
    assert db.session.scalar(select(RetentionRule)) is None

    rule = rr.create_retention_rule(world.eservice.id, _input(world, days="365"), actor=world.builder)
    count = rr.preview_rule(world.eservice.id, _input(world, days="60"), actor=world.builder, now=now, rule_id=rule.id)
    assert count == 1
    db.session.expire_all()
    assert db.session.get(RetentionRule, rule.id).days == 365  # the preview changed nothing
    with pytest.raises(Invalid):
        rr.preview_rule(world.eservice.id, _input(world, days="x"), actor=world.builder, now=now)


def test_a_rule_with_approval_counts_only_cases_not_yet_proposed(world):
    for days_ago in (100, 50):
        _case(world, days_ago=days_ago)
    rule = rr.create_retention_rule(
        world.eservice.id,
        _input(world, requires_approval=True, approver_id=str(world.olle.id)),
        actor=world.builder,
    )
    now = clock.now()
    assert retention.cases_covered_count(rule, now) == 2
    retention.run_retention(now)
    assert db.session.scalar(select(DestructionList)).rule_id == rule.id
    assert retention.cases_covered_count(rule, now) == 0
    _case(world, days_ago=60)
    assert retention.cases_covered_count(rule, now) == 1
    # A switched-off rule counts nothing in the list (the run skips it).
    rr.update_retention_rule(
        world.eservice.id,
        rule.id,
        _input(world, requires_approval=True, approver_id=str(world.olle.id), enabled=False),
        actor=world.builder,
    )
    _eservice, rows = rr.retention_rules(world.eservice.id, actor=world.builder, now=now)
    assert rows[0].count is None and rows[0].approver_name == "Olle Ek"
