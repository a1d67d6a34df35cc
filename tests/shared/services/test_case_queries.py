"""What the case view reads (shared/services/case_queries.py) and access.allowed_actions."""

from __future__ import annotations

from shared.db import db
from shared.services import access, case_queries
from tests import factories


def test_allowed_actions_agree_with_can_for_every_user_and_action(ctx):
    world = factories.world()
    cases = [
        factories.case(world.eservice, citizen=world.citizen, users=[world.hanna]),
        factories.case(world.eservice, citizen=world.citizen, users=[world.rut], status_kind="Klart"),
        factories.case(world.eservice, groups=[world.group]),
    ]
    people = [world.admin, world.builder, world.hanna, world.olle, world.rut, world.gun, world.outsider]
    for case in cases:
        for user in people:
            expected = {action: access.can(user, action, case) for action in access.ACTIONS}
            assert access.allowed_actions(user, case) == expected, (user.username, case.id)


def test_take_choice_follows_who_holds_the_case(ctx):
    world = factories.world()
    unassigned = factories.case(world.eservice)
    hannas = factories.case(world.eservice, users=[world.hanna])
    groups = factories.case(world.eservice, groups=[world.group])
    db.session.commit()
    assert case_queries.take_choice(unassigned, world.olle) == ("take", [])
    assert case_queries.take_choice(hannas, world.hanna) == (None, [])
    assert case_queries.take_choice(hannas, world.olle) == ("take_over", ["Hanna Berg"])
    assert case_queries.take_choice(groups, world.gun) == ("take", [])  # her own group's case
    assert case_queries.take_choice(groups, world.olle) == ("take_over", ["Skolskjutsgruppen"])


def test_answer_sections_show_visible_answers_by_step_in_the_applicants_words(ctx):
    world = factories.world()
    case = factories.case(world.eservice, answers=factories.answers(ovrigt="Åker med pappa på fredagar."))
    [section] = case_queries.answer_sections(case)
    assert section.title == "Sökande"
    assert [(row.question["label"], row.text) for row in section.rows] == [
        ("Namn", "Kalle Anka"),
        ("Personnummer", "19850709-9805"),
        ("Skola", "Alneskolan"),
        ("Övrigt", "Åker med pappa på fredagar."),
    ]


def test_reply_needs_taking_only_when_the_assignment_is_missing(ctx):
    world = factories.world()
    of_citizen = factories.case(world.eservice, citizen=world.citizen)
    anonymous = factories.case(world.eservice, contact_email="anna@example.org")
    hannas = factories.case(world.eservice, citizen=world.citizen, users=[world.hanna])
    assert case_queries.reply_needs_taking(world.olle, of_citizen) is True
    assert case_queries.reply_needs_taking(world.olle, anonymous) is False  # no e-ID: no messages at all
    assert case_queries.reply_needs_taking(world.hanna, hannas) is False  # she may write already
