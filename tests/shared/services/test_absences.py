"""Absence and group mailboxes (F-GRP-3): who may set an absence for whom, its rules, and a
forwarded message taken over from the group mailbox by a member, who then answers the applicant."""

from __future__ import annotations

import datetime as dt

import pytest
from flask_appbuilder.security.sqla.models import Permission, PermissionView, ViewMenu
from sqlalchemy import select

from shared import clock, notify, roles
from shared.db import db
from shared.errors import Conflict, Invalid, NotAllowed, NotFound
from shared.models import Absence, AuditEntry, GroupMember, Message, MessageDirection, StaffUser
from shared.services import absences, access, messages
from tests import factories

TODAY = clock.today
DAY = dt.timedelta(days=1)


def iso(day: dt.date) -> str:
    return f"{day:%Y-%m-%d}"


def permission(view_menu: str, name: str) -> PermissionView:
    """The FAB permission row (what `sync_roles` registers for the back office), made if missing."""
    found = db.session.scalar(
        select(PermissionView)
        .join(Permission, Permission.id == PermissionView.permission_id)
        .join(ViewMenu, ViewMenu.id == PermissionView.view_menu_id)
        .where(Permission.name == name, ViewMenu.name == view_menu)
    )
    return found or PermissionView(permission=Permission(name=name), view_menu=ViewMenu(name=view_menu))


def manager(username: str = "maja") -> StaffUser:
    """A handler whose extra role has the permission Hantera frånvaro (as an admin would give it in Roles)."""
    role = factories.role("Frånvaroadministratör")
    role.permissions.append(permission(*access.MANAGE_ABSENCES))
    user = factories.user(username, role_names=(roles.HANDLER, "Frånvaroadministratör"), first_name="Maja")
    db.session.commit()
    return user


@pytest.fixture
def team(world):
    """A group mailbox with Hanna, Gun and Rut (restricted); the group itself handles no e-service.

    Gun handles Skolskjuts through Skolskjutsgruppen, Rut with restricted access; Olle is not a member.
    """
    world.mailbox = factories.group("Skolskjuts brevlåda", members=[world.hanna, world.gun, world.rut])
    db.session.commit()
    return world


@pytest.fixture
def case(team):
    notify.default_notification_settings(team.eservice)
    made = factories.case(team.eservice, citizen=team.citizen, users=[team.hanna])
    db.session.commit()
    return made


def audit_actions(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def errors_of(raised: pytest.ExceptionInfo) -> dict[str, str]:
    return raised.value.errors


# -- setting one's own absence ----------------------------------------------------------------------


def test_a_handler_sets_their_own_absence_with_forwarding(team):
    absence = absences.set_absence(
        actor=team.hanna,
        starts_on=iso(TODAY()),
        ends_on=iso(TODAY() + 7 * DAY),
        auto_reply="  Jag är på semester.\r\nKontakta Skolskjutsgruppen.  ",
        forward_to_group_id=str(team.mailbox.id),
    )
    assert absence.user_id == team.hanna.id and absence.set_by_id is None
    assert absence.auto_reply == "Jag är på semester.\nKontakta Skolskjutsgruppen."
    assert absence.forward_to_group_id == team.mailbox.id
    assert absences.current_absence(team.hanna) == absence
    assert absences.my_absences(team.hanna) == [absence]
    [entry] = audit_actions("absence_set")
    assert entry.user_id == team.hanna.id
    assert entry.details["user"] == "hanna" and entry.details["for_colleague"] is False
    assert entry.details["group_id"] == team.mailbox.id


def test_a_coming_absence_is_listed_but_does_not_cover_today(team):
    coming = absences.set_absence(actor=team.hanna, starts_on=TODAY() + 3 * DAY, ends_on=TODAY() + 5 * DAY)
    assert absences.my_absences(team.hanna) == [coming]
    assert absences.current_absence(team.hanna) is None


@pytest.mark.parametrize(
    ("starts", "ends", "field", "words"),
    [
        (0, -1, "ends_on", "före första dagen"),
        (-5, -1, "ends_on", "redan passerat"),
        (None, 3, "starts_on", "första frånvarodagen"),
        (0, None, "ends_on", "sista frånvarodagen"),
        ("2026-13-40", 3, "starts_on", "ÅÅÅÅ-MM-DD"),
    ],
)
def test_dates_are_checked_with_a_message_per_field(team, starts, ends, field, words):
    def value(offset):
        if offset is None:
            return ""
        return offset if isinstance(offset, str) else iso(TODAY() + offset * DAY)

    with pytest.raises(Invalid) as raised:
        absences.set_absence(actor=team.hanna, starts_on=value(starts), ends_on=value(ends))
    assert words in errors_of(raised)[field]
    assert db.session.scalars(select(Absence)).all() == []


def test_an_absence_may_not_overlap_another(team):
    first = absences.set_absence(actor=team.hanna, starts_on=TODAY(), ends_on=TODAY() + 7 * DAY)
    with pytest.raises(Invalid) as raised:
        absences.set_absence(actor=team.hanna, starts_on=TODAY() + 7 * DAY, ends_on=TODAY() + 10 * DAY)
    assert "överlappar din frånvaro" in errors_of(raised)["starts_on"]
    assert iso(first.ends_on) in errors_of(raised)["starts_on"]
    # Right after it is fine, and an ended absence is no obstacle.
    absences.set_absence(actor=team.hanna, starts_on=TODAY() + 8 * DAY, ends_on=TODAY() + 10 * DAY)
    absences.end_absence(first.id, actor=team.hanna)
    absences.set_absence(actor=team.hanna, starts_on=TODAY() + DAY, ends_on=TODAY() + 2 * DAY)
    assert len(absences.my_absences(team.hanna)) == 2


def test_the_auto_reply_has_a_limit(team):
    too_long = "x" * (absences.MAX_AUTO_REPLY + 1)
    with pytest.raises(Invalid) as raised:
        absences.set_absence(actor=team.hanna, starts_on=TODAY(), ends_on=TODAY(), auto_reply=too_long)
    assert "högst 1000 tecken" in errors_of(raised)["auto_reply"]
    fits = absences.set_absence(
        actor=team.hanna, starts_on=TODAY(), ends_on=TODAY(), auto_reply="x" * absences.MAX_AUTO_REPLY
    )
    assert len(fits.auto_reply) == absences.MAX_AUTO_REPLY


def test_forwarding_only_to_a_group_one_is_a_member_of(team):
    other = factories.group("Bygglovsgruppen", members=[team.outsider])
    db.session.commit()
    with pytest.raises(Invalid) as raised:
        absences.set_absence(actor=team.hanna, starts_on=TODAY(), ends_on=TODAY(), forward_to_group_id=other.id)
    assert "medlem i" in errors_of(raised)["forward_to_group_id"]
    assert absences.forward_groups(team.hanna, team.hanna) == [team.mailbox]


# -- for a colleague ------------------------------------------------------------------------------


def test_a_handler_may_not_set_a_colleagues_absence(team):
    with pytest.raises(NotAllowed) as raised:
        absences.set_absence(actor=team.olle, user_id=team.hanna.id, starts_on=TODAY(), ends_on=TODAY())
    assert "Hantera frånvaro" in str(raised.value)
    assert not access.may_manage_absences(team.olle)
    assert db.session.scalars(select(Absence)).all() == []
    with pytest.raises(NotAllowed):
        absences.planned_absences(team.olle)


def test_a_role_with_the_permission_sets_a_colleagues_absence(team):
    maja = manager()
    assert access.may_manage_absences(maja)
    absence = absences.set_absence(
        actor=maja,
        user_id=team.hanna.id,
        starts_on=TODAY(),
        ends_on=TODAY() + 3 * DAY,
        forward_to_group_id=team.mailbox.id,
    )
    assert absence.user_id == team.hanna.id and absence.set_by_id == maja.id
    [entry] = audit_actions("absence_set")
    assert entry.user_id == maja.id  # who set it …
    assert entry.details["user"] == "hanna" and entry.details["for_colleague"] is True  # … for whom
    assert absences.planned_absences(maja) == [absence]
    # Not an administrator: only a group the absent colleague is a member of.
    other = factories.group("Bygglovsgruppen", members=[team.outsider])
    db.session.commit()
    with pytest.raises(Invalid) as raised:
        absences.set_absence(
            actor=maja, user_id=team.olle.id, starts_on=TODAY(), ends_on=TODAY(), forward_to_group_id=other.id
        )
    assert "Olle Ek" in errors_of(raised)["forward_to_group_id"]


def test_an_admin_sets_an_absence_for_anyone_with_any_group(team):
    absence = absences.set_absence(
        actor=team.admin,
        user_id=team.olle.id,  # not a member of the group
        starts_on=TODAY() - 2 * DAY,  # sick since Monday
        ends_on=TODAY() + 2 * DAY,
        forward_to_group_id=team.mailbox.id,
    )
    assert absence.user_id == team.olle.id and absence.set_by_id == team.admin.id
    assert absences.current_absence(team.olle) == absence
    with pytest.raises(Invalid) as raised:
        absences.set_absence(actor=team.admin, user_id=999999, starts_on=TODAY(), ends_on=TODAY())
    assert "user_id" in errors_of(raised)


def test_the_permission_can_come_through_a_user_group(team):
    from flask_appbuilder.security.sqla.models import Group, assoc_user_group

    role = factories.role("Frånvaroadministratör")
    role.permissions.append(permission(*access.MANAGE_ABSENCES))
    fab_group = Group(name="Chefer", label="Chefer", roles=[role])
    db.session.add(fab_group)
    db.session.flush()
    db.session.execute(assoc_user_group.insert().values(user_id=team.olle.id, group_id=fab_group.id))
    db.session.commit()
    db.session.expire_all()
    assert access.may_manage_absences(team.olle)
    assert not access.may_manage_absences(team.hanna)


# -- change and end -------------------------------------------------------------------------------


def test_change_an_absence(team):
    absence = absences.set_absence(actor=team.hanna, starts_on=TODAY(), ends_on=TODAY() + 2 * DAY)
    changed = absences.change_absence(
        absence.id,
        actor=team.hanna,
        starts_on=TODAY(),
        ends_on=TODAY() + 4 * DAY,
        auto_reply="Tillbaka på fredag.",
        forward_to_group_id=team.mailbox.id,
    )
    assert changed.ends_on == TODAY() + 4 * DAY and changed.forward_to_group_id == team.mailbox.id
    [entry] = audit_actions("absence_changed")
    assert entry.details["before"]["ends_on"] == iso(TODAY() + 2 * DAY)
    assert entry.details["before"]["group_id"] is None
    # A colleague without the permission is told it does not exist; one with it may change it.
    with pytest.raises(NotFound):
        absences.change_absence(absence.id, actor=team.olle, starts_on=TODAY(), ends_on=TODAY())
    maja = manager()
    absences.change_absence(absence.id, actor=maja, starts_on=TODAY(), ends_on=TODAY() + DAY)
    assert db.session.get(Absence, absence.id).set_by_id == maja.id


def test_change_checks_the_same_rules_but_not_against_itself(team):
    absence = absences.set_absence(actor=team.hanna, starts_on=TODAY(), ends_on=TODAY() + 2 * DAY)
    absences.change_absence(absence.id, actor=team.hanna, starts_on=TODAY(), ends_on=TODAY() + 3 * DAY)
    with pytest.raises(Invalid) as raised:
        absences.change_absence(absence.id, actor=team.hanna, starts_on=TODAY() + 3 * DAY, ends_on=TODAY())
    assert "ends_on" in errors_of(raised)
    assert db.session.get(Absence, absence.id).ends_on == TODAY() + 3 * DAY


def test_ending_an_absence_stops_the_forwarding_today(team, case):
    absence = absences.set_absence(
        actor=team.hanna, starts_on=TODAY() - DAY, ends_on=TODAY() + 7 * DAY, forward_to_group_id=team.mailbox.id
    )
    absences.end_absence(absence.id, actor=team.hanna)
    ended = db.session.get(Absence, absence.id)
    assert ended.ended_at is not None and ended.ends_on == TODAY()
    assert absences.my_absences(team.hanna) == [] and absences.current_absence(team.hanna) is None
    reply = messages.reply_as_citizen(case.id, "Hallå?", citizen=team.citizen)
    assert reply.forwarded_to_group_id is None
    with pytest.raises(Conflict):
        absences.end_absence(absence.id, actor=team.hanna)
    [entry] = audit_actions("absence_ended")
    assert entry.details["called_off"] is False


def test_a_coming_absence_is_called_off_and_others_cannot_end_it(team):
    coming = absences.set_absence(actor=team.hanna, starts_on=TODAY() + 3 * DAY, ends_on=TODAY() + 5 * DAY)
    with pytest.raises(NotFound):
        absences.end_absence(coming.id, actor=team.olle)
    absences.end_absence(coming.id, actor=team.admin)
    ended = db.session.get(Absence, coming.id)
    assert ended.ended_at is not None and ended.ends_on == TODAY() + 5 * DAY  # the period stays as it was
    [entry] = audit_actions("absence_ended")
    assert entry.user_id == team.admin.id and entry.details["called_off"] is True


def test_the_manager_list_has_everyones_current_and_coming_absences(team):
    mine = absences.set_absence(actor=team.hanna, starts_on=TODAY() + DAY, ends_on=TODAY() + 2 * DAY)
    olles = absences.set_absence(actor=team.olle, starts_on=TODAY(), ends_on=TODAY())
    over = factories.absence(team.gun, starts_on=TODAY() - 9 * DAY, ends_on=TODAY() - 2 * DAY)
    ended = absences.set_absence(actor=team.rut, starts_on=TODAY(), ends_on=TODAY() + DAY)
    absences.end_absence(ended.id, actor=team.rut)
    db.session.commit()
    listed = absences.planned_absences(team.admin)
    assert listed == [olles, mine]
    assert over not in listed


# -- the group mailbox ------------------------------------------------------------------------------


def forwarded(team, case, body: str = "Här kommer intyget från skolan.") -> Message:
    factories.absence(team.hanna, forward_to=team.mailbox)
    db.session.commit()
    return messages.reply_as_citizen(case.id, body, citizen=team.citizen)


def test_a_forwarded_message_is_taken_over_and_answered_by_a_member(team, case):
    message = forwarded(team, case)
    assert message.forwarded_to_group_id == team.mailbox.id

    # Every member sees it in the group's mailbox, not yet taken over.
    box = absences.group_mailbox(team.mailbox.id, actor=team.gun)
    [item] = box.items
    assert item.message.id == message.id and box.untaken == 1
    assert item.case.number == case.number and item.case.eservice.name == "Skolskjuts"
    assert item.absent_name == "Hanna Berg"
    assert item.excerpt == "Här kommer intyget från skolan."
    assert item.taken_by_name is None and item.may_take
    assert absences.untaken_count(team.gun) == 1
    assert [(s.group.name, s.untaken) for s in absences.mailboxes(team.gun)] == [
        ("Skolskjuts brevlåda", 1),
        ("Skolskjutsgruppen", 0),
    ]

    # Gun takes it over: she is now a handler of the case beside Hanna, and may answer.
    absences.take_over_message(message.id, actor=team.gun)
    db.session.expire_all()
    taken = db.session.get(Message, message.id)
    assert taken.forward_taken_by_id == team.gun.id and taken.forward_taken_at is not None
    assert {u.username for u in taken.case.handler_users} == {"hanna", "gun"}
    kinds = [e.kind for e in taken.case.events]
    assert kinds[-2:] == ["handlers_changed", "message_taken_over"]
    [entry] = audit_actions("message_taken_over")
    assert entry.user_id == team.gun.id and entry.case_id == case.id and entry.details["group_id"] == team.mailbox.id
    answer = messages.send_message(case.id, "Tack, vi har fått intyget.", actor=team.gun)
    assert answer.direction == MessageDirection.TO_APPLICANT and answer.author_user_id == team.gun.id

    # Taken over: no longer waiting, and it says by whom.
    box = absences.group_mailbox(team.mailbox.id, actor=team.hanna)
    assert box.untaken == 0 and box.items[0].taken_by_name == "Gun Ström" and not box.items[0].may_take
    assert absences.untaken_count(team.gun) == 0
    # Again by Gun: nothing changes; by another member: already taken.
    assert absences.take_over_message(message.id, actor=team.gun).forward_taken_by_id == team.gun.id
    with pytest.raises(Conflict) as raised:
        absences.take_over_message(message.id, actor=team.rut)
    assert "Gun Ström" in str(raised.value)


def test_a_member_already_handling_the_case_stays_its_handler(team, case):
    case.handlers.append(factories.CaseHandler(user=team.gun))
    db.session.commit()
    message = forwarded(team, case)
    absences.take_over_message(message.id, actor=team.gun)
    db.session.expire_all()
    assert sorted(u.username for u in db.session.get(Message, message.id).case.handler_users) == ["gun", "hanna"]
    assert "handlers_changed" not in [e.kind for e in case.events]


def test_non_members_do_not_see_the_mailbox_nor_take_over(team, case):
    message = forwarded(team, case)
    with pytest.raises(NotFound):
        absences.group_mailbox(team.mailbox.id, actor=team.olle)  # handles Skolskjuts, not in the group
    with pytest.raises(NotFound):
        absences.take_over_message(message.id, actor=team.olle)
    assert absences.mailboxes(team.olle) == [] and absences.untaken_count(team.olle) == 0
    assert db.session.get(Message, message.id).forward_taken_by_id is None
    # An administrator sees every group's mailbox.
    assert [s.group.name for s in absences.mailboxes(team.admin)] == ["Skolskjuts brevlåda", "Skolskjutsgruppen"]
    assert len(absences.group_mailbox(team.mailbox.id, actor=team.admin).items) == 1


def test_a_member_who_does_not_handle_the_eservice_cannot_read_or_take_it(team, case):
    nils = factories.user("nils", first_name="Nils")
    team.mailbox.members.append(GroupMember(user=nils))
    db.session.commit()
    message = forwarded(team, case)
    [item] = absences.group_mailbox(team.mailbox.id, actor=nils).items
    assert item.excerpt is None and not item.may_take and not item.may_open
    with pytest.raises(NotAllowed) as raised:
        absences.take_over_message(message.id, actor=nils)
    assert "Skolskjuts" in str(raised.value)
    assert db.session.get(Message, message.id).forward_taken_by_id is None


def test_a_restricted_member_takes_over_and_then_sees_the_case(team, case):
    message = forwarded(team, case)
    assert access.relation(team.rut, case) is None  # restricted: Hanna's case is not hers
    [item] = absences.group_mailbox(team.mailbox.id, actor=team.rut).items
    assert item.may_take and not item.may_open
    absences.take_over_message(message.id, actor=team.rut)
    db.session.expire_all()
    assert access.relation(team.rut, db.session.get(Message, message.id).case) == access.RESTRICTED
    messages.send_message(case.id, "Vi har fått ditt meddelande.", actor=team.rut)


def test_the_mailbox_lists_waiting_messages_first(team, case):
    first = forwarded(team, case, "Första")
    second = messages.reply_as_citizen(case.id, "Andra", citizen=team.citizen)
    third = messages.reply_as_citizen(case.id, "Tredje", citizen=team.citizen)
    absences.take_over_message(third.id, actor=team.gun)
    listed = [item.message.id for item in absences.group_mailbox(team.mailbox.id, actor=team.gun).items]
    assert listed[:2] == sorted([first.id, second.id], reverse=True) and listed[2] == third.id


def test_only_forwarded_messages_can_be_taken_over(team, case):
    plain = messages.reply_as_citizen(case.id, "Hej", citizen=team.citizen)  # Hanna is not away
    with pytest.raises(NotFound):
        absences.take_over_message(plain.id, actor=team.gun)
    with pytest.raises(NotFound):
        absences.take_over_message(999999, actor=team.gun)
