"""Status groups and statuses as builders change them (F-ES-5): the rules that keep cases working."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from shared.db import db
from shared.errors import Invalid, NotAllowed
from shared.models import AuditEntry, DeletePolicy, RetentionRule, Status, StatusGroup, StatusKind
from shared.services import cases, statuses
from tests import factories


def _status(**overrides):
    data = {"name": "Beslut fattat", "kind": "completed", "deletable_by": "handlers"}
    data.update(overrides)
    return data


def test_only_builders_change_statuses(world):
    group = world.eservice.status_group
    with pytest.raises(NotAllowed):
        statuses.create_status_group({"name": "X"}, actor=world.hanna)
    with pytest.raises(NotAllowed):
        statuses.create_status(group.id, _status(), actor=world.hanna)


def test_a_new_group_is_a_copy_of_the_standard_statuses_and_is_usable(world):
    group = statuses.create_status_group({"name": "Bygglov"}, actor=world.builder)
    assert [s.name for s in group.statuses] == [name for name, *_rest in statuses.STANDARD_STATUSES]
    assert group.first_of_kind(StatusKind.DRAFT) and group.first_of_kind(StatusKind.SUBMITTED)
    with pytest.raises(Invalid):
        statuses.create_status_group({"name": "BYGGLOV"}, actor=world.builder)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "config_status_group_created"))
    assert entry.details["after"]["statuses"][0] == "Sparat"


def test_create_a_status_with_every_rule(world):
    group = world.eservice.status_group
    status = statuses.create_status(
        group.id,
        _status(
            citizen_label="Beslut",
            applicant_may_message="1",
            applicant_message_days="10",
            applicant_may_supplement="1",
            is_final="1",
            default_message="Se beslutet.",
        ),
        actor=world.builder,
    )
    assert status.deletable_by == DeletePolicy.HANDLERS and status.applicant_message_days == 10
    assert status.is_final and status.applicant_may_supplement and not status.pauses_due_date
    assert status.sort_order == max(s.sort_order for s in group.statuses)


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"name": ""}, "name"),
        ({"name": "klart"}, "name"),  # same name as Klart, whatever the case
        ({"kind": "closed"}, "kind"),
        ({"kind": ""}, "kind"),
        ({"deletable_by": "everyone"}, "deletable_by"),
        ({"applicant_message_days": "5"}, "applicant_message_days"),  # messages not allowed
        ({"applicant_may_message": "1", "applicant_message_days": "0"}, "applicant_message_days"),
        ({"kind": "draft", "is_final": "1"}, "is_final"),
        ({"kind": "draft", "pauses_due_date": "1"}, "pauses_due_date"),
    ],
)
def test_status_validation(world, overrides, field):
    with pytest.raises(Invalid) as caught:
        statuses.create_status(world.eservice.status_group.id, _status(**overrides), actor=world.builder)
    assert field in caught.value.errors


def test_the_only_saved_or_submitted_status_keeps_its_kind_and_stays(world):
    group = world.eservice.status_group
    submitted = group.first_of_kind(StatusKind.SUBMITTED)
    draft = group.first_of_kind(StatusKind.DRAFT)
    with pytest.raises(NotAllowed):
        statuses.delete_status(group.id, submitted.id, actor=world.builder)
    with pytest.raises(NotAllowed):
        statuses.delete_status(group.id, draft.id, actor=world.builder)
    with pytest.raises(Invalid) as caught:
        statuses.update_status(
            group.id, submitted.id, _status(name="Inskickat", kind="in_progress"), actor=world.builder
        )
    assert "kind" in caught.value.errors
    # With a second Inskickat-kind status, the first may go.
    statuses.create_status(group.id, _status(name="Mottaget", kind="submitted"), actor=world.builder)
    statuses.delete_status(group.id, submitted.id, actor=world.builder)
    assert [s.name for s in group.statuses if s.kind == StatusKind.SUBMITTED] == ["Mottaget"]


def test_a_status_with_cases_or_a_retention_rule_cannot_be_deleted(world):
    eservice = world.eservice
    group = eservice.status_group
    in_progress = group.first_of_kind(StatusKind.IN_PROGRESS)
    completed = group.first_of_kind(StatusKind.COMPLETED)
    factories.case(eservice, citizen=world.citizen, status_kind=StatusKind.IN_PROGRESS)
    db.session.add(RetentionRule(eservice_id=eservice.id, status_id=completed.id, days=30))
    db.session.commit()
    with pytest.raises(NotAllowed):
        statuses.delete_status(group.id, in_progress.id, actor=world.builder)
    with pytest.raises(NotAllowed):
        statuses.delete_status(group.id, completed.id, actor=world.builder)
    assert db.session.get(Status, in_progress.id) is not None


def test_a_status_with_cases_cannot_become_saved(world):
    eservice = world.eservice
    group = eservice.status_group
    in_progress = group.first_of_kind(StatusKind.IN_PROGRESS)
    factories.case(eservice, citizen=world.citizen, status_kind=StatusKind.IN_PROGRESS)
    db.session.commit()
    with pytest.raises(Invalid) as caught:
        statuses.update_status(
            group.id, in_progress.id, _status(name="Under behandling", kind="draft"), actor=world.builder
        )
    assert "kind" in caught.value.errors
    statuses.update_status(group.id, in_progress.id, _status(name="Handläggs", kind="waiting"), actor=world.builder)
    assert in_progress.name == "Handläggs" and in_progress.kind == StatusKind.WAITING


def test_move_and_the_order_handlers_see(world):
    eservice = world.eservice
    group = eservice.status_group
    names = lambda: [s.name for s in sorted(group.statuses, key=lambda s: s.sort_order)]  # noqa: E731
    before = names()
    klart = next(s for s in group.statuses if s.name == "Klart")
    statuses.move_status(group.id, klart.id, -1, actor=world.builder)
    after = names()
    i = before.index("Klart")
    assert after[i - 1] == "Klart" and after[i] == before[i - 1]
    first = next(s for s in group.statuses if s.name == after[0])
    statuses.move_status(group.id, first.id, -1, actor=world.builder)  # already first: nothing moves
    assert names() == after


def test_a_group_in_use_cannot_be_deleted(world):
    group = world.eservice.status_group
    with pytest.raises(NotAllowed):
        statuses.delete_status_group(group.id, actor=world.builder)
    spare = statuses.create_status_group({"name": "Reserv"}, actor=world.builder)
    spare_id = spare.id
    statuses.delete_status_group(spare_id, actor=world.builder)
    assert db.session.get(StatusGroup, spare_id) is None


def test_a_default_message_set_here_goes_to_the_applicant(world):
    """The status rules a builder sets are the ones the case services follow."""
    eservice = world.eservice
    group = eservice.status_group
    in_progress = group.first_of_kind(StatusKind.IN_PROGRESS)
    statuses.update_status(
        group.id,
        in_progress.id,
        _status(name="Under behandling", kind="in_progress", deletable_by="nobody", default_message="Vi har börjat."),
        actor=world.builder,
    )
    case = factories.case(eservice, citizen=world.citizen, users=[world.hanna])
    db.session.commit()
    cases.change_status(case.id, in_progress.id, actor=world.hanna)
    assert [m.body for m in case.messages] == ["Vi har börjat."]
