"""Bulk actions on checked cases: take, status, handlers, colour (F-LIST-5, F-GRP-1)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from shared.db import db
from shared.errors import Invalid, NotFound
from shared.models import (
    Case,
    CaseEvent,
    EService,
    EServiceVersion,
    NotificationEvent,
    Recipient,
    StatusKind,
    VersionState,
)
from shared.services import bulk
from tests import factories
from tests.factories import addresses, outbox


@pytest.fixture
def three(world):
    """Two free Skolskjuts cases and one Olle holds."""
    made = [
        factories.case(world.eservice, number=11, citizen=world.citizen),
        factories.case(world.eservice, number=12, citizen=world.citizen),
        factories.case(world.eservice, number=13, citizen=world.citizen, users=[world.olle]),
    ]
    db.session.commit()
    return made


def holders(case: Case) -> set[str]:
    db.session.refresh(case)
    return {h.user.username if h.user else h.group.name for h in case.handlers}


def test_case_ids_from_a_form():
    assert bulk.case_ids_from(["3", " 1", "x", "", "3", "2.5", "-4", "7"]) == [3, 1, 7]


def test_take_the_free_cases_and_say_which_someone_else_holds(world, three):
    outcome = bulk.take_cases([c.id for c in three], actor=world.hanna)
    assert outcome.done == [11, 12]
    assert [number for number, _reason in outcome.failed] == [13]
    assert "Olle Ek" in outcome.failed[0][1]
    assert not outcome.ok
    assert holders(three[0]) == holders(three[1]) == {"hanna"}
    assert holders(three[2]) == {"olle"}
    kinds = db.session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id.in_([c.id for c in three])))
    assert sorted(kinds) == ["taken", "taken"]


def test_cases_one_may_not_see_are_counted_as_not_found_and_left_alone(world, three):
    outcome = bulk.take_cases([three[0].id, 999_999], actor=world.rut)  # restricted: sees neither
    assert (outcome.done, outcome.failed, outcome.missing) == ([], [], 2)
    assert holders(three[0]) == set()
    outcome = bulk.take_cases([three[0].id, 999_999], actor=world.hanna)
    assert (outcome.done, outcome.missing) == ([11], 1)


def test_nothing_checked_or_too_much(world):
    with pytest.raises(Invalid):
        bulk.take_cases([], actor=world.hanna)
    with pytest.raises(Invalid):
        bulk.colour_cases(range(1, bulk.MAX_CASES + 2), "red", actor=world.hanna)


# -- status ------------------------------------------------------------------------------------


def test_change_status_of_cases_with_or_without_telling_the_applicants(world, three):
    factories.setting(world.eservice, NotificationEvent.STATUS_CHANGED, Recipient.APPLICANT)
    factories.setting(world.eservice, NotificationEvent.CLOSED, Recipient.APPLICANT)
    db.session.commit()
    klart = factories.status(world.eservice, StatusKind.COMPLETED)
    ids = [c.id for c in three]
    outcome = bulk.change_status_of_cases(ids, klart.id, actor=world.hanna, notify_applicant=False)
    assert outcome.done == [11, 12, 13] and outcome.ok
    assert {c.status.name for c in three} == {"Klart"} and all(c.closed_at for c in three)
    assert outbox(NotificationEvent.STATUS_CHANGED) == [] and outbox(NotificationEvent.CLOSED) == []

    under = factories.status(world.eservice, StatusKind.IN_PROGRESS)
    bulk.change_status_of_cases(ids[:2], under.id, actor=world.hanna, notify_applicant=True)
    assert addresses(NotificationEvent.STATUS_CHANGED) == {"maria@example.org"}
    assert len(outbox(NotificationEvent.STATUS_CHANGED)) == 2


def test_bulk_status_needs_one_eservice_version(world, three):
    version2 = EServiceVersion(
        eservice_id=world.eservice.id, number=2, definition=factories.SIMPLE_DEFINITION, state=VersionState.PUBLISHED
    )
    db.session.add(version2)
    db.session.flush()
    three[2].version_id = version2.id
    db.session.commit()
    klart = factories.status(world.eservice, StatusKind.COMPLETED)
    with pytest.raises(Invalid, match="version"):
        bulk.status_choice([c.id for c in three], actor=world.hanna)
    with pytest.raises(Invalid, match="version"):
        bulk.change_status_of_cases([c.id for c in three], klart.id, actor=world.hanna, notify_applicant=False)
    assert {c.status.name for c in three} == {"Inskickat"}
    # Unchecking the odd one out makes it possible.
    choice = bulk.status_choice([three[0].id, three[1].id], actor=world.hanna)
    assert choice.version.number == 1 and [c.number for c in choice.cases] == [11, 12]
    assert "Sparat" not in [s.name for s in choice.statuses] and "Klart" in [s.name for s in choice.statuses]


def test_bulk_status_refuses_a_status_of_another_eservice(world, three):
    bygglov = db.session.scalar(select(EService).where(EService.name == "Bygglov"))
    other = factories.status(bygglov, StatusKind.COMPLETED)
    draft = factories.status(world.eservice, StatusKind.DRAFT)
    for status_id in (draft.id, 999_999):
        with pytest.raises(Invalid):
            bulk.change_status_of_cases([three[0].id], status_id, actor=world.hanna, notify_applicant=True)
    # The standard group is shared, so Bygglov's "Klart" is the same status and allowed.
    assert bulk.change_status_of_cases([three[0].id], other.id, actor=world.hanna, notify_applicant=False).done == [11]
    with pytest.raises(NotFound):
        bulk.status_choice([three[0].id], actor=world.outsider)


# -- handlers and groups ------------------------------------------------------------------------------


def test_give_cases_to_a_group_tells_its_members_and_puts_them_under_mina(world, three):
    factories.setting(world.eservice, NotificationEvent.GROUP_ASSIGNED, Recipient.GROUP_MEMBERS)
    db.session.commit()
    outcome = bulk.assign_cases([c.id for c in three], actor=world.hanna, group_ids=[world.group.id])
    assert outcome.done == [11, 12, 13]
    assert all(holders(c) == {"Skolskjutsgruppen"} for c in three)
    assert addresses(NotificationEvent.GROUP_ASSIGNED) == {"gun@example.org"}
    from shared.services.overview import case_overview

    assert sorted(r.number for r in case_overview(world.gun, tab="mina").rows) == [11, 12, 13]


def test_add_a_handler_keeps_those_there_are(world, three):
    bulk.assign_cases([three[2].id], actor=world.hanna, user_ids=[world.hanna.id], mode="add")
    assert holders(three[2]) == {"olle", "hanna"}
    bulk.assign_cases([three[2].id], actor=world.hanna, user_ids=[world.hanna.id], mode="replace")
    assert holders(three[2]) == {"hanna"}


def test_someone_who_is_not_handler_of_the_eservice_is_refused_per_case(world, three):
    bygglov_case = factories.case(db.session.scalar(select(EService).where(EService.name == "Bygglov")), number=99)
    db.session.commit()
    outcome = bulk.assign_cases([three[0].id, bygglov_case.id], actor=world.admin, user_ids=[world.hanna.id])
    assert outcome.done == [11]
    assert [number for number, _reason in outcome.failed] == [99]
    assert "Hanna Berg" in outcome.failed[0][1]
    with pytest.raises(Invalid):
        bulk.assign_cases([three[0].id], actor=world.hanna)
    with pytest.raises(Invalid):
        bulk.assign_cases([three[0].id], actor=world.hanna, user_ids=[world.olle.id], mode="swap")  # type: ignore[arg-type]


# -- colour ------------------------------------------------------------------------------------------


def test_colour_cases_with_the_eservices_colours(world, three):
    world.eservice.colour_marking = True
    factories.colour_label(world.eservice, "red", "Brådskande")
    db.session.commit()
    assert bulk.colour_cases([c.id for c in three], "red", actor=world.olle).done == [11, 12, 13]
    assert {c.colour for c in three} == {"red"}
    outcome = bulk.colour_cases([three[0].id], "purple", actor=world.olle)
    assert [n for n, _r in outcome.failed] == [11] and three[0].colour == "red"
    assert bulk.colour_cases([three[0].id], None, actor=world.olle).done == [11]
    db.session.refresh(three[0])
    assert three[0].colour is None


def test_colour_where_the_eservice_has_no_colour_marking(world, three):
    outcome = bulk.colour_cases([three[0].id], "red", actor=world.hanna)
    assert outcome.done == [] and [n for n, _r in outcome.failed] == [11]
    assert three[0].colour is None
