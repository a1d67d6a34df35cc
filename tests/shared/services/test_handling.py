"""Working a case: take, assign, remove oneself, status, flag, colour, external number, edit, delete, audit (F-CASE-*)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from shared import clock, notify, storage
from shared.db import db
from shared.errors import AlreadyTaken, Invalid, NotAllowed, NotFound
from shared.models import (
    AuditEntry,
    Case,
    CaseEvent,
    CaseFlag,
    DeletePolicy,
    DeletionRecord,
    GroupMember,
    Message,
    NotificationEvent,
    Recipient,
    RetentionAction,
    Status,
    StatusGroup,
    StatusKind,
)
from shared.services import access, audit, cases, documents, messages
from tests import factories
from tests.factories import addresses, outbox


def make_case(world, **kwargs) -> Case:
    case = factories.case(world.eservice, citizen=kwargs.pop("citizen", world.citizen), **kwargs)
    db.session.commit()
    return case


def kinds(case: Case) -> list[str]:
    return list(db.session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)))


# -- take ----------------------------------------------------------------------------------


def test_take_an_unassigned_case(world):
    case = make_case(world)
    cases.take_case(case.id, actor=world.hanna)
    assert case.handler_users == [world.hanna] and case.assigned
    assert kinds(case) == ["taken"]
    assert case.updated_by_id == world.hanna.id
    assert cases.take_case(case.id, actor=world.hanna).handler_users == [world.hanna]  # again: nothing changes
    assert kinds(case) == ["taken"]


def test_taking_a_case_held_by_ones_group_replaces_the_group(world):
    case = make_case(world, groups=[world.group])
    cases.take_case(case.id, actor=world.gun)
    assert case.handler_users == [world.gun] and case.handler_groups == []


def test_taking_a_case_held_by_another_person_names_them(world):
    notify.default_notification_settings(world.eservice)
    case = make_case(world, users=[world.olle])
    with pytest.raises(AlreadyTaken) as error:
        cases.take_case(case.id, actor=world.hanna)
    assert error.value.by == "Olle Ek" and "Olle Ek" in str(error.value)
    assert case.handler_users == [world.olle]
    assert outbox() == []


def test_take_over_replaces_the_other_person_and_tells_them(world):
    notify.default_notification_settings(world.eservice)
    case = make_case(world, users=[world.olle])
    cases.take_case(case.id, actor=world.hanna, take_over=True)
    assert case.handler_users == [world.hanna]
    assert kinds(case) == ["taken_over"]
    [message] = outbox(NotificationEvent.TAKEN_OVER)
    assert message.recipient_address == "olle@example.org"
    assert "Hanna Berg har tagit över ärende" in message.body


def test_who_may_not_take(world):
    case = make_case(world)
    for person in (world.rut, world.builder, world.outsider):  # restricted and unassigned, no link, other e-service
        with pytest.raises(NotFound):
            cases.take_case(case.id, actor=person)
    with pytest.raises(NotFound):
        cases.take_case(987654, actor=world.hanna)
    assert not case.assigned


# -- assign ----------------------------------------------------------------------------------


def test_assign_persons_and_groups_notifies_the_new_ones(world):
    notify.default_notification_settings(world.eservice)
    quiet = factories.user("quiet")
    world.group.members.append(GroupMember(user=quiet, notify=False))
    case = make_case(world, users=[world.hanna])
    cases.assign_case(case.id, actor=world.hanna, user_ids=[world.hanna.id, world.olle.id], group_ids=[world.group.id])
    assert {u.username for u in case.handler_users} == {"hanna", "olle"} and case.handler_groups == [world.group]
    assert addresses(NotificationEvent.ASSIGNED) == {"olle@example.org"}  # not the actor, who was there already
    assert addresses(NotificationEvent.GROUP_ASSIGNED) == {"gun@example.org"}  # members who opted in
    cases.assign_case(case.id, actor=world.hanna, user_ids=[world.rut.id], mode="add")
    assert {u.username for u in case.handler_users} == {"hanna", "olle", "rut"}
    cases.assign_case(case.id, actor=world.hanna, user_ids=[world.olle.id])
    assert [u.username for u in case.handler_users] == ["olle"] and case.handler_groups == []
    assert kinds(case)[-1] == "handlers_changed"
    cases.assign_case(case.id, actor=world.olle)
    assert not case.assigned


def test_only_handlers_of_the_eservice_can_be_assigned(world):
    case = make_case(world)
    with pytest.raises(Invalid) as error:
        cases.assign_case(case.id, actor=world.hanna, user_ids=[world.outsider.id])
    assert "Otto Annan" in error.value.errors["user_ids"]
    stranger_group = factories.group("Bygglovsgruppen")
    db.session.commit()
    with pytest.raises(Invalid) as error:
        cases.assign_case(case.id, actor=world.hanna, group_ids=[stranger_group.id])
    assert "Bygglovsgruppen" in error.value.errors["group_ids"]
    with pytest.raises(NotFound):
        cases.assign_case(case.id, actor=world.outsider, user_ids=[world.hanna.id])
    assert not case.assigned


def test_restricted_handler_who_removes_themself_loses_sight_of_the_case(world):
    case = make_case(world, users=[world.rut, world.hanna])
    with pytest.raises(NotAllowed):
        cases.remove_self(case.id, actor=world.olle)
    cases.remove_self(case.id, actor=world.rut)
    assert case.handler_users == [world.hanna]
    assert kinds(case) == ["handler_removed_self"]
    with pytest.raises(NotFound):
        access.require(world.rut, "view", case)


# -- status -----------------------------------------------------------------------------------


def test_change_status_notifies_the_applicant_and_closes_on_a_final_status(world):
    notify.default_notification_settings(world.eservice)
    case = make_case(world, users=[world.hanna])
    in_progress = factories.status(world.eservice, StatusKind.IN_PROGRESS)
    cases.change_status(case.id, in_progress.id, actor=world.hanna)
    assert case.status == in_progress and case.closed_at is None
    [email] = [m for m in outbox(NotificationEvent.STATUS_CHANGED) if str(m.channel) == "email"]
    assert email.recipient_address == "maria@example.org"
    assert "Ärendet är under handläggning" in email.body  # the citizen's label, not the internal name
    done = factories.status(world.eservice, StatusKind.COMPLETED)
    cases.change_status(case.id, done.id, actor=world.hanna)
    assert case.closed_at is not None
    # The applicant gets "avslutat" once, not also "ny status" on the same channel.
    assert addresses(NotificationEvent.CLOSED) == {"maria@example.org", f"citizen:{world.citizen.id}"}
    assert len(outbox(NotificationEvent.STATUS_CHANGED)) == 2
    assert kinds(case) == ["status_changed", "status_changed"]
    cases.change_status(case.id, in_progress.id, actor=world.hanna)
    assert case.closed_at is None  # reopened


def test_bulk_close_without_telling_the_applicant_still_tells_handlers(world):
    for setting in notify.default_notification_settings(world.eservice):
        if setting.event == NotificationEvent.STATUS_CHANGED and setting.recipient == Recipient.ASSIGNED_HANDLERS:
            setting.enabled = True
    db.session.commit()
    case = make_case(world, users=[world.hanna, world.olle])
    cases.change_status(
        case.id, factories.status(world.eservice, StatusKind.COMPLETED).id, actor=world.hanna, notify_applicant=False
    )
    assert addresses(NotificationEvent.STATUS_CHANGED) == {"olle@example.org"}
    assert outbox(NotificationEvent.CLOSED) == []


def test_status_with_a_default_message_sends_it_to_the_applicant(world):
    notify.default_notification_settings(world.eservice)
    case = make_case(world, users=[world.hanna])
    waiting = factories.status(world.eservice, StatusKind.WAITING)
    cases.change_status(case.id, waiting.id, actor=world.hanna)
    [message] = db.session.scalars(select(Message).where(Message.case_id == case.id)).all()
    assert message.body == waiting.default_message and message.author_user_id == world.hanna.id
    [email] = [m for m in outbox(NotificationEvent.MESSAGE_TO_APPLICANT) if str(m.channel) == "email"]
    assert email.link.endswith(f"/mina-sidor/arenden/{case.id}?meddelande={message.id}#meddelande-{message.id}")


def test_status_must_belong_to_the_eservice_and_not_be_a_draft(world):
    case = make_case(world)
    foreign = StatusGroup(name="Annan", statuses=[Status(name="Egen", kind=StatusKind.IN_PROGRESS)])
    db.session.add(foreign)
    db.session.commit()
    with pytest.raises(Invalid):
        cases.change_status(case.id, foreign.statuses[0].id, actor=world.hanna)
    with pytest.raises(Invalid):
        cases.change_status(case.id, factories.status(world.eservice, StatusKind.DRAFT).id, actor=world.hanna)
    with pytest.raises(NotFound):
        cases.change_status(case.id, factories.status(world.eservice, StatusKind.IN_PROGRESS).id, actor=world.outsider)


def test_waiting_for_the_applicant_pauses_the_due_date(world, time_machine):
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 0), tick=False)
    case = cases.submit_case(world.eservice.id, factories.answers(), citizen=world.citizen)
    assert case.due_at == dt.datetime(2026, 3, 16, 9, 0)
    time_machine.move_to(dt.datetime(2026, 3, 4, 9, 0), tick=False)
    cases.change_status(case.id, factories.status(world.eservice, StatusKind.WAITING).id, actor=world.hanna)
    assert case.due_paused_at == dt.datetime(2026, 3, 4, 9, 0)
    time_machine.move_to(dt.datetime(2026, 3, 9, 9, 0), tick=False)  # five days later the supplement is in
    cases.change_status(case.id, factories.status(world.eservice, StatusKind.IN_PROGRESS).id, actor=world.hanna)
    assert case.due_paused_at is None
    assert case.due_at == dt.datetime(2026, 3, 21, 9, 0)
    assert case.status_changed_at == clock.now()


# -- flag, colour, external number -------------------------------------------------------------


def test_flag_is_personal(world):
    case = make_case(world)
    cases.set_flag(case.id, actor=world.hanna, flagged=True)
    cases.set_flag(case.id, actor=world.hanna, flagged=True)
    assert db.session.scalar(select(func.count()).select_from(CaseFlag)) == 1
    assert db.session.get(CaseFlag, (case.id, world.olle.id)) is None
    cases.set_flag(case.id, actor=world.hanna, flagged=False)
    assert db.session.get(CaseFlag, (case.id, world.hanna.id)) is None
    with pytest.raises(NotFound):
        cases.set_flag(case.id, actor=world.outsider, flagged=True)
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.case_id == case.id)).all()
    assert actions == ["case_flagged", "case_unflagged"]


def test_colour_must_be_one_of_the_eservices_colours(world):
    case = make_case(world)
    with pytest.raises(NotAllowed):
        cases.set_colour(case.id, "green", actor=world.hanna)
    world.eservice.colour_marking = True
    factories.colour_label(world.eservice, "green", "Beviljad")
    db.session.commit()
    cases.set_colour(case.id, "green", actor=world.hanna)
    assert case.colour == "green" and kinds(case) == ["colour_changed"]
    with pytest.raises(Invalid):
        cases.set_colour(case.id, "purple", actor=world.hanna)
    cases.set_colour(case.id, None, actor=world.hanna)
    assert case.colour is None


def test_external_number(world):
    case = make_case(world)
    cases.set_external_number(case.id, "  KS 2026/117 ", actor=world.hanna)
    assert case.external_number == "KS 2026/117" and kinds(case) == ["external_number_changed"]
    with pytest.raises(Invalid):
        cases.set_external_number(case.id, "x" * 101, actor=world.hanna)
    with pytest.raises(NotFound):
        cases.set_external_number(case.id, "1", actor=world.builder)
    # A pasted control character (PostgreSQL refuses NUL in text) is dropped, not stored.
    cases.set_external_number(case.id, "KS\x00 2026/118\x07", actor=world.hanna)
    db.session.commit()
    assert case.external_number == "KS 2026/118"


# -- edit answers ---------------------------------------------------------------------------------


def test_edit_answers_recomputes_and_logs_only_what_changed(world):
    world.eservice.anonymous_allowed = True
    db.session.commit()
    case = cases.submit_case(world.eservice.id, factories.answers(), contact={"email": "a@example.org"})
    cases.edit_answers(case.id, factories.answers(skola="bergs", personnummer="196408233234"), actor=world.hanna)
    assert case.answers["skola"] == "bergs"
    assert case.summary == "Namn: Kalle Anka · Skola: Bergsskolan"
    assert case.personnummer == "196408233234" and "Bergsskolan" in case.search_text
    [event] = [e for e in case.events if e.kind == "answers_edited"]
    assert event.data == {"questions": ["Personnummer", "Skola"]}
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "case_answers_edited"))
    assert entry.details["changed"] == {
        "personnummer": {"before": "19850709-9805", "after": "19640823-3234"},
        "skola": {"before": "alne", "after": "bergs"},
    }
    with pytest.raises(Invalid):
        cases.edit_answers(case.id, factories.answers(namn=""), actor=world.hanna)
    world.eservice.edit_submitted_enabled = False
    with pytest.raises(NotAllowed):
        cases.edit_answers(case.id, factories.answers(), actor=world.hanna)


# -- delete ------------------------------------------------------------------------------------


def test_delete_where_the_status_allows_leaves_a_record_without_personal_data(world):
    case = make_case(world, users=[world.hanna], status_kind=StatusKind.COMPLETED)
    case.status.applicant_may_supplement = True
    db.session.commit()
    document = documents.add_document(
        case.id, "intyg.pdf", factories.PDF_BYTES, "application/pdf", citizen=world.citizen
    )
    messages.send_message(case.id, "Hej!", actor=world.hanna)
    key, case_id, number = document.storage_key, case.id, case.number
    assert storage.exists(key)
    record = cases.delete_case(case_id, actor=world.hanna)
    assert db.session.get(Case, case_id) is None
    assert db.session.scalar(select(func.count()).select_from(Message)) == 0
    assert db.session.scalar(select(func.count()).select_from(CaseEvent)) == 0
    assert not storage.exists(key)
    stored = db.session.get(DeletionRecord, record.id)
    assert (stored.case_number, stored.eservice_name, stored.version_number, stored.status_name) == (
        number,
        "Skolskjuts",
        1,
        "Klart",
    )
    assert stored.action == RetentionAction.DELETE and stored.reason == "Manuell borttagning"
    assert stored.performed_by_id == world.hanna.id and stored.documents_deleted == 1
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "case_deleted"))
    assert entry.case_number == number and entry.user_id == world.hanna.id
    assert "Maria" not in str(entry.details) and "1985" not in str(entry.details)


def test_delete_is_refused_where_the_status_does_not_allow_it(world):
    case = make_case(world, users=[world.rut])
    assert case.status.deletable_by == DeletePolicy.NOBODY
    with pytest.raises(NotAllowed):
        cases.delete_case(case.id, actor=world.admin)  # nobody means nobody
    done = make_case(world, users=[world.rut], status_kind=StatusKind.COMPLETED)
    with pytest.raises(NotAllowed):
        cases.delete_case(done.id, actor=world.rut)  # restricted handler, status allows only full handlers
    with pytest.raises(NotFound):
        cases.delete_case(done.id, actor=world.outsider)
    assert db.session.scalar(select(func.count()).select_from(Case)) == 2
    assert db.session.scalar(select(func.count()).select_from(DeletionRecord)) == 0


# -- audit of views ------------------------------------------------------------------------------


def test_every_opening_of_a_case_is_logged_and_listed_per_case_and_user(world):
    case = make_case(world)
    audit.record_case_view(case.id, actor=world.hanna)
    audit.record_case_view(case.id, actor=world.olle)
    with pytest.raises(NotFound):
        audit.record_case_view(case.id, actor=world.outsider)
    per_case = db.session.scalars(audit.for_case(case.id)).all()
    assert [(e.action, e.username) for e in per_case] == [("case_viewed", "olle"), ("case_viewed", "hanna")]
    assert [e.case_number for e in db.session.scalars(audit.for_user(world.hanna.id))] == [case.number]
    assert db.session.scalars(audit.for_user(world.outsider.id)).all() == []
