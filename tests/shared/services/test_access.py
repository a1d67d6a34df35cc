"""Who sees which case, and who may do what with it (shared.services.access)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from shared import clock
from shared.db import db
from shared.errors import NotAllowed, NotFound
from shared.models import DeletePolicy, EService, StatusKind
from shared.services import access
from tests import factories


def visible_numbers(user) -> set[int]:
    return {c.number for c in db.session.scalars(access.visible_cases(user))}


@pytest.fixture
def cases(world):
    """Four Skolskjuts cases (free, Rut's, the group's, Olle's), one Bygglov case and a draft."""
    bygglov = db.session.scalar(select(EService).where(EService.name == "Bygglov"))
    return {
        "free": factories.case(world.eservice, number=1),
        "rut": factories.case(world.eservice, number=2, users=[world.rut]),
        "group": factories.case(world.eservice, number=3, groups=[world.group]),
        "olle": factories.case(world.eservice, number=4, users=[world.olle]),
        "bygglov": factories.case(bygglov, number=5),
        "draft": factories.case(world.eservice, draft=True, citizen=world.citizen),
    }


def test_admin_sees_every_submitted_case_but_no_draft(world, cases):
    assert visible_numbers(world.admin) == {1, 2, 3, 4, 5}


def test_handler_sees_every_case_of_their_eservices_only(world, cases):
    assert visible_numbers(world.hanna) == {1, 2, 3, 4}
    assert visible_numbers(world.outsider) == {5}


def test_handler_linked_through_a_group_sees_the_eservice(world, cases):
    assert visible_numbers(world.gun) == {1, 2, 3, 4}


def test_restricted_handler_sees_only_cases_assigned_to_them_or_their_group(world, cases):
    assert visible_numbers(world.rut) == {2}
    travel = factories.group("Resor", members=[world.rut])  # no link of its own
    factories.case(world.eservice, number=8, groups=[travel])
    assert visible_numbers(world.rut) == {2, 8}


def test_restricted_link_through_a_group(world, cases):
    restricted_group = factories.group("Skolor", members=[factories.user("sam")])
    factories.link(world.eservice, group=restricted_group, restricted=True)
    sam = restricted_group.members[0].user
    assert visible_numbers(sam) == set()
    factories.case(world.eservice, number=6, groups=[restricted_group])
    factories.case(world.eservice, number=7, users=[sam])
    assert visible_numbers(sam) == {6, 7}
    assert access.linked_eservice_ids(sam, restricted=True) == {world.eservice.id}
    assert access.linked_eservice_ids(sam, restricted=False) == set()


def test_an_unrestricted_link_wins_over_a_restricted_one(world, cases):
    factories.link(world.eservice, group=factories.group("Alla", members=[world.rut]), restricted=False)
    assert visible_numbers(world.rut) == {1, 2, 3, 4}


def test_builder_role_alone_gives_no_case(world, cases):
    assert visible_numbers(world.builder) == set()
    assert not access.can(world.builder, "view", cases["free"])


def test_expired_and_future_links_do_not_count(world, cases):
    today = clock.today()
    expired = factories.user("ella")
    factories.link(world.eservice, user=expired, valid_to=today - dt.timedelta(days=1))
    future = factories.user("frida")
    factories.link(world.eservice, user=future, valid_from=today + dt.timedelta(days=1))
    current = factories.user("greta")
    factories.link(world.eservice, user=current, valid_from=today, valid_to=today)
    assert visible_numbers(expired) == set()
    assert visible_numbers(future) == set()
    assert visible_numbers(current) == {1, 2, 3, 4}
    assert access.linked_eservice_ids(expired) == set()


def test_inactive_user_sees_nothing(world, cases):
    world.hanna.active = False
    assert visible_numbers(world.hanna) == set()


def test_case_not_visible_is_not_found_and_visible_but_forbidden_is_not_allowed(world, cases):
    with pytest.raises(NotFound):
        access.require(world.outsider, "view", cases["free"])
    with pytest.raises(NotFound):
        access.require(world.rut, "view", cases["free"])  # restricted, not assigned
    with pytest.raises(NotFound):
        access.require(world.admin, "view", cases["draft"])  # drafts are not in the back office
    with pytest.raises(NotFound):
        access.require(world.hanna, "view", None)
    with pytest.raises(NotAllowed):
        access.require(world.hanna, "remove_self", cases["free"])  # not a handler of the case
    access.require(world.rut, "view", cases["rut"])
    access.require(world.gun, "view", cases["group"])


def test_only_a_person_assigned_directly_may_message_the_applicant(world):
    case = factories.case(world.eservice, citizen=world.citizen, users=[world.hanna], groups=[world.group])
    assert access.can(world.hanna, "message", case)
    assert not access.can(world.olle, "message", case)  # handler of the e-service, not of the case
    assert not access.can(world.gun, "message", case)  # in the assigned group: must take it first
    assert not access.can(world.admin, "message", case)
    with pytest.raises(NotAllowed):  # sees the case (so not NotFound), but must take it first
        access.require(world.gun, "message", case)


def test_no_messages_in_an_anonymous_case_or_where_switched_off(world):
    anonymous = factories.case(world.eservice, users=[world.hanna])
    assert not access.can(world.hanna, "message", anonymous)
    case = factories.case(world.eservice, citizen=world.citizen, users=[world.hanna])
    world.eservice.messages_enabled = False
    assert not access.can(world.hanna, "message", case)


@pytest.mark.parametrize(
    ("policy", "hanna", "rut", "admin"),
    [
        (DeletePolicy.NOBODY, False, False, False),
        (DeletePolicy.HANDLERS, True, False, True),
        (DeletePolicy.ALL_HANDLERS, True, True, True),
    ],
)
def test_delete_follows_the_status_policy(world, policy, hanna, rut, admin):
    case = factories.case(world.eservice, users=[world.rut])
    case.status.deletable_by = policy
    assert access.can(world.hanna, "delete", case) is hanna
    assert access.can(world.rut, "delete", case) is rut
    assert access.can(world.admin, "delete", case) is admin
    assert not access.can(world.outsider, "delete", case)


def test_feature_switches_guard_their_actions(world):
    case = factories.case(world.eservice)
    world.eservice.colour_marking = False
    world.eservice.edit_submitted_enabled = False
    world.eservice.documents_enabled = False
    for action in ("colour", "edit_answers", "add_document"):
        assert not access.can(world.hanna, action, case)
    assert access.can(world.hanna, "download_document", case)  # form attachments stay readable


def test_citizen_sees_only_own_cases(world):
    own = factories.case(world.eservice, citizen=world.citizen)
    other = factories.case(world.eservice, citizen=factories.citizen("196408233234"))
    access.require_citizen(world.citizen, "view", own)
    with pytest.raises(NotFound):
        access.require_citizen(world.citizen, "view", other)
    with pytest.raises(NotFound):
        access.require_citizen(None, "view", own)
    assert {c.id for c in db.session.scalars(access.citizen_cases(world.citizen))} == {own.id}


def test_citizen_may_write_only_while_the_status_allows(world, time_machine):
    time_machine.move_to(dt.datetime(2026, 3, 2, 10, 0), tick=False)
    case = factories.case(world.eservice, citizen=world.citizen, status_kind=StatusKind.COMPLETED)
    case.status_changed_at = clock.now()
    assert case.status.applicant_message_days == 30
    assert access.can_citizen(world.citizen, "message", case)
    time_machine.move_to(dt.datetime(2026, 4, 2, 10, 0), tick=False)
    assert not access.can_citizen(world.citizen, "message", case)
    archived = factories.case(world.eservice, citizen=world.citizen, status_kind=StatusKind.ARCHIVED)
    assert not access.can_citizen(world.citizen, "message", archived)


def test_citizen_may_supplement_only_in_a_status_that_asks_for_it(world):
    case = factories.case(world.eservice, citizen=world.citizen)
    assert not access.can_citizen(world.citizen, "add_supplement", case)
    case.status = factories.status(world.eservice, StatusKind.WAITING)
    assert access.can_citizen(world.citizen, "add_supplement", case)
