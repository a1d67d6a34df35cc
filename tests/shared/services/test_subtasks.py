"""Subtasks (deluppgifter, F-SUB-1..5): create, open, message, conclude, resolve, close the case, reminders."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from shared import clock
from shared.db import db
from shared.errors import Invalid, NotAllowed, NotFound
from shared.models import AuditEntry, CaseEvent, NotificationEvent, StatusKind, Subtask, SubtaskStatus
from shared.services import bulk, cases, documents, subtasks
from tests import factories
from tests.factories import addresses, outbox


@pytest.fixture
def case(world):
    """A Skolskjuts case Hanna holds, with subtasks switched on and two documents."""
    world.eservice.subtasks_enabled = True
    case = factories.case(world.eservice, citizen=world.citizen, users=[world.hanna])
    db.session.commit()
    return case


@pytest.fixture
def docs(world, case):
    intyg = documents.add_document(case.id, "intyg.pdf", factories.PDF_BYTES, "application/pdf", actor=world.hanna)
    beslut = documents.add_document(case.id, "beslut.pdf", factories.PDF_BYTES, "application/pdf", actor=world.hanna)
    return intyg, beslut


def make(case, actor, responsible, *, days: int = 3, document_ids=(), title: str = "Kontrollera adressen"):
    return subtasks.create_subtask(
        case.id,
        title=title,
        deadline=clock.today() + dt.timedelta(days=days),
        responsible_id=responsible.id,
        description="Stämmer folkbokföringen?",
        document_ids=document_ids,
        actor=actor,
    )


def history(case, kind: str) -> list[CaseEvent]:
    return list(
        db.session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == kind).order_by(CaseEvent.id)
        )
    )


def audited(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


# -- the form and creating ----------------------------------------------------------------------


def test_the_form_offers_the_eservices_handlers_the_cases_documents_and_the_deadline_bounds(world, case, docs):
    form = subtasks.subtask_form(case.id, actor=world.hanna)
    assert form.case.id == case.id
    assert {u.username for u in form.responsibles} == {"hanna", "olle", "rut", "gun"}
    assert [d.filename for d in form.documents] == ["intyg.pdf", "beslut.pdf"]
    assert form.earliest == clock.today()
    assert form.latest == clock.to_local(case.due_at).date()
    with pytest.raises(NotFound):
        subtasks.subtask_form(case.id, actor=world.outsider)
    with pytest.raises(NotFound):
        subtasks.subtask_form(987654, actor=world.hanna)


def test_subtasks_need_the_eservice_switch_and_an_open_case(world, case):
    world.eservice.subtasks_enabled = False
    db.session.commit()
    with pytest.raises(NotAllowed, match="inte påslagna"):
        make(case, world.hanna, world.olle)
    world.eservice.subtasks_enabled = True
    cases.change_status(case.id, factories.status(world.eservice, StatusKind.COMPLETED).id, actor=world.hanna)
    with pytest.raises(NotAllowed, match="öppet ärende"):
        make(case, world.hanna, world.olle)
    assert db.session.scalars(select(Subtask)).all() == []


def test_create_tells_the_responsible_and_is_in_the_history_and_audit_log(world, case, docs):
    intyg, _beslut = docs
    subtask = make(case, world.hanna, world.olle, document_ids=[intyg.id])

    assert subtask.status == SubtaskStatus.NEW and subtask.created_by_id == world.hanna.id
    assert [d.filename for d in subtask.documents] == ["intyg.pdf"]
    assert addresses(NotificationEvent.SUBTASK_ASSIGNED) == {"olle@example.org"}
    mail = outbox(NotificationEvent.SUBTASK_ASSIGNED)[0]
    assert "Kontrollera adressen" in mail.body and f"/deluppgifter/{subtask.id}" in mail.body
    [event] = history(case, "subtask_created")
    assert event.actor_user_id == world.hanna.id and event.data["responsible"] == "Olle Ek"
    [entry] = audited("subtask_created")
    assert entry.case_id == case.id and entry.object_id == str(subtask.id)


def test_a_subtask_for_oneself_sends_no_mail(world, case):
    make(case, world.hanna, world.hanna)
    assert outbox(NotificationEvent.SUBTASK_ASSIGNED) == []


@pytest.mark.parametrize(
    ("days", "message"),
    [(-1, "Tidsfristen kan inte vara före i dag."), (60, "Tidsfristen kan inte vara efter ärendets tidsfrist")],
)
def test_the_deadline_lies_between_today_and_the_cases_deadline(world, case, days, message):
    with pytest.raises(Invalid) as error:
        make(case, world.hanna, world.olle, days=days)
    assert error.value.errors["deadline"].startswith(message)
    assert db.session.scalars(select(Subtask)).all() == []


def test_the_deadline_bounds_are_inclusive(world, case):
    latest = (clock.to_local(case.due_at).date() - clock.today()).days
    assert make(case, world.hanna, world.olle, days=0).deadline == clock.today()
    assert make(case, world.hanna, world.olle, days=latest).deadline == clock.to_local(case.due_at).date()


def test_an_overdue_case_puts_no_upper_bound_on_the_deadline(world, case):
    case.due_at = clock.now() - dt.timedelta(days=10)
    db.session.commit()
    assert subtasks.subtask_form(case.id, actor=world.hanna).latest is None
    assert make(case, world.hanna, world.olle, days=14).deadline == clock.today() + dt.timedelta(days=14)
    with pytest.raises(Invalid):
        make(case, world.hanna, world.olle, days=-1)


def test_every_wrong_field_is_named(world, case, docs):
    other_case = factories.case(world.eservice, citizen=world.citizen, users=[world.hanna])
    db.session.commit()
    foreign = documents.add_document(
        other_case.id, "annat.pdf", factories.PDF_BYTES, "application/pdf", actor=world.hanna
    )
    with pytest.raises(Invalid) as error:
        subtasks.create_subtask(
            case.id,
            title="  ",
            deadline="i morgon",
            responsible_id=world.outsider.id,
            description="",
            document_ids=[docs[0].id, foreign.id],
            actor=world.hanna,
        )
    assert set(error.value.errors) == {"title", "deadline", "responsible_id", "document_ids"}
    assert error.value.errors["responsible_id"] == "Välj en ansvarig handläggare för den här e-tjänsten."
    with pytest.raises(Invalid) as error:
        subtasks.create_subtask(
            case.id, title="x", deadline=None, responsible_id=None, description=None, actor=world.hanna
        )
    assert error.value.errors["deadline"] == "Ange en tidsfrist."


def test_only_someone_who_may_work_the_case_creates(world, case):
    with pytest.raises(NotFound):
        make(case, world.outsider, world.olle)
    with pytest.raises(NotFound):  # restricted, not assigned: does not see the case
        make(case, world.rut, world.olle)


# -- status, access, messages, conclusion, resolving ----------------------------------------------


def test_new_becomes_open_only_when_the_responsible_opens_it(world, case):
    subtask = make(case, world.hanna, world.olle)
    subtasks.open_subtask(subtask.id, actor=world.hanna)
    assert subtask.status == SubtaskStatus.NEW and history(case, "subtask_opened") == []
    subtasks.open_subtask(subtask.id, actor=world.olle)
    assert subtask.status == SubtaskStatus.OPEN and subtask.opened_at is not None
    subtasks.open_subtask(subtask.id, actor=world.olle)
    assert len(history(case, "subtask_opened")) == 1
    assert len(audited("subtask_viewed")) == 3


def test_a_responsible_outside_the_case_sees_the_subtask_and_its_granted_documents_only(world, case, docs):
    intyg, beslut = docs
    subtask = make(case, world.hanna, world.rut, document_ids=[intyg.id])

    assert subtasks.open_subtask(subtask.id, actor=world.rut).status == SubtaskStatus.OPEN
    assert [d.filename for d in subtasks.granted_documents(subtask, world.rut)] == ["intyg.pdf"]
    document, handle = documents.download_document(intyg.id, actor=world.rut)
    handle.close()
    assert document.id == intyg.id
    with pytest.raises(NotFound):
        documents.download_document(beslut.id, actor=world.rut)
    with pytest.raises(NotFound):
        subtasks.case_subtasks(case.id, actor=world.rut)
    with pytest.raises(NotFound):
        subtasks.subtask_form(case.id, actor=world.rut)
    with pytest.raises(NotFound):
        cases.change_status(case.id, factories.status(world.eservice, StatusKind.IN_PROGRESS).id, actor=world.rut)
    # Someone neither responsible nor on the case gets nothing.
    with pytest.raises(NotFound):
        subtasks.open_subtask(subtask.id, actor=world.outsider)
    with pytest.raises(NotFound):
        subtasks.granted_documents(subtask, world.outsider)
    with pytest.raises(NotFound):
        documents.download_document(intyg.id, actor=world.outsider)


def test_messages_go_between_the_responsible_and_the_case_owner(world, case):
    subtask = make(case, world.hanna, world.olle)
    subtasks.add_subtask_message(subtask.id, "Adressen stämmer inte.", actor=world.olle)
    assert addresses(NotificationEvent.SUBTASK_MESSAGE) == {"hanna@example.org"}
    subtasks.add_subtask_message(subtask.id, "Tack, jag ringer.", actor=world.hanna)
    assert [m.recipient_address for m in outbox(NotificationEvent.SUBTASK_MESSAGE)] == [
        "hanna@example.org",
        "olle@example.org",
    ]
    assert [m.body for m in subtask.messages] == ["Adressen stämmer inte.", "Tack, jag ringer."]
    assert len(history(case, "subtask_message")) == 2 and len(audited("subtask_message")) == 2
    # Never to the applicant.
    assert "maria@example.org" not in addresses()
    with pytest.raises(Invalid):
        subtasks.add_subtask_message(subtask.id, "  ", actor=world.olle)
    # Gun sees the case through the group but is neither the responsible nor the owner.
    with pytest.raises(NotAllowed):
        subtasks.add_subtask_message(subtask.id, "Får jag?", actor=world.gun)
    assert subtasks.subtask_permissions(subtask, world.gun) == {"message": False, "conclude": False, "resolve": True}
    assert subtasks.subtask_permissions(subtask, world.olle) == {"message": True, "conclude": True, "resolve": True}


def test_conclusion_and_resolve_lock_the_subtask(world, case):
    subtask = make(case, world.hanna, world.olle)
    subtasks.save_conclusion(subtask.id, "Adressen är rätt.", actor=world.olle)
    assert subtask.conclusion == "Adressen är rätt." and len(history(case, "subtask_concluded")) == 1
    subtasks.resolve_subtask(subtask.id, actor=world.olle)
    assert subtask.status == SubtaskStatus.RESOLVED and subtask.resolved_by_id == world.olle.id
    assert len(history(case, "subtask_resolved")) == 1 and len(audited("subtask_resolved")) == 1

    for change in (
        lambda: subtasks.save_conclusion(subtask.id, "Ändrat", actor=world.olle),
        lambda: subtasks.add_subtask_message(subtask.id, "En till", actor=world.hanna),
        lambda: subtasks.resolve_subtask(subtask.id, actor=world.hanna),
    ):
        with pytest.raises(NotAllowed, match="löst"):
            change()
    db.session.expire_all()
    assert subtask.conclusion == "Adressen är rätt." and subtask.messages == []
    assert subtasks.subtask_permissions(subtask, world.olle) == {"message": False, "conclude": False, "resolve": False}
    # Still readable.
    assert subtasks.open_subtask(subtask.id, actor=world.olle).is_resolved


def test_the_case_owner_or_any_handler_of_the_case_may_resolve(world, case):
    first = make(case, world.hanna, world.olle, title="Ett")
    second = make(case, world.hanna, world.olle, title="Två")
    subtasks.resolve_subtask(first.id, actor=world.hanna)
    subtasks.resolve_subtask(second.id, actor=world.gun)
    assert first.is_resolved and second.is_resolved
    third = make(case, world.hanna, world.olle, title="Tre")
    with pytest.raises(NotFound):
        subtasks.resolve_subtask(third.id, actor=world.outsider)


def test_the_tab_is_by_deadline_and_mina_deluppgifter_are_ones_own_open_ones(world, case):
    late = make(case, world.hanna, world.olle, days=5, title="Sen")
    early = make(case, world.hanna, world.olle, days=1, title="Tidig")
    mine = make(case, world.olle, world.hanna, days=2, title="Hannas")
    assert [s.title for s in subtasks.case_subtasks(case.id, actor=world.gun)] == ["Tidig", "Hannas", "Sen"]
    with pytest.raises(NotFound):
        subtasks.case_subtasks(case.id, actor=world.outsider)
    subtasks.resolve_subtask(early.id, actor=world.olle)
    assert subtasks.my_subtasks(world.olle) == [late]
    assert subtasks.my_subtasks(world.olle, include_resolved=True) == [early, late]
    assert [(s.title, s.case.number) for s in subtasks.my_subtasks(world.hanna)] == [("Hannas", case.number)]
    assert mine.case.id == case.id


# -- closing the case (F-SUB-5) -------------------------------------------------------------------


def test_closing_with_open_subtasks_is_refused_then_resolves_them_all_when_confirmed(world, case):
    done = make(case, world.hanna, world.olle, title="Klar")
    subtasks.resolve_subtask(done.id, actor=world.olle)
    first = make(case, world.hanna, world.olle, days=2, title="Ring skolan")
    second = make(case, world.hanna, world.rut, days=1, title="Läs intyget")
    klart = factories.status(world.eservice, StatusKind.COMPLETED)

    with pytest.raises(subtasks.OpenSubtasks) as refused:
        cases.change_status(case.id, klart.id, actor=world.hanna)
    assert isinstance(refused.value, NotAllowed)
    assert [s.title for s in refused.value.subtasks] == ["Läs intyget", "Ring skolan"]
    assert "Läs intyget, Ring skolan" in refused.value.message
    db.session.expire_all()
    assert case.closed_at is None and not first.is_resolved

    cases.change_status(case.id, klart.id, actor=world.hanna, resolve_subtasks=True)
    db.session.expire_all()
    assert case.closed_at is not None and first.is_resolved and second.is_resolved
    resolved = history(case, "subtask_resolved")
    assert len(resolved) == 3 and all(e.data.get("with_case") for e in resolved[1:])
    assert len(audited("subtask_resolved")) == 3


def test_a_status_that_does_not_close_leaves_subtasks_alone(world, case):
    subtask = make(case, world.hanna, world.olle)
    cases.change_status(case.id, factories.status(world.eservice, StatusKind.IN_PROGRESS).id, actor=world.hanna)
    assert not subtask.is_resolved


def test_a_job_closing_the_case_resolves_its_subtasks_without_asking(world, case):
    subtask = make(case, world.hanna, world.olle)
    # As a mailing's no-answer action does: the system moves the case, nobody to warn.
    cases.move_to_status(case, factories.status(world.eservice, StatusKind.COMPLETED), actor=None)
    db.session.commit()
    db.session.expire_all()
    assert case.closed_at is not None and subtask.is_resolved and subtask.resolved_by_id is None
    [event] = history(case, "subtask_resolved")
    assert event.actor_user_id is None and event.data["with_case"] is True


def test_bulk_closing_skips_cases_with_open_subtasks_and_says_why(world, case):
    other = factories.case(world.eservice, citizen=world.citizen, users=[world.hanna])
    db.session.commit()
    subtask = make(case, world.hanna, world.olle)
    klart = factories.status(world.eservice, StatusKind.COMPLETED)
    outcome = bulk.change_status_of_cases([case.id, other.id], klart.id, actor=world.hanna, notify_applicant=False)
    assert outcome.done == [other.number]
    [(number, reason)] = outcome.failed
    assert number == case.number and "Kontrollera adressen" in reason
    db.session.expire_all()
    assert case.closed_at is None and not subtask.is_resolved and other.closed_at is not None


# -- reminders (F-JOB-4) ---------------------------------------------------------------------------


def test_the_responsible_is_reminded_the_day_before_and_when_overdue_once_each(world, case):
    world.olle.notify_by_sms, world.olle.mobile_phone = True, "0701234567"
    subtask = make(case, world.hanna, world.olle, days=3)
    done = make(case, world.hanna, world.olle, days=1, title="Klar")
    subtasks.resolve_subtask(done.id, actor=world.olle)
    now = clock.now()

    assert subtasks.remind_due_subtasks(now + dt.timedelta(days=1)).counts == {"reminded": 0}
    assert subtasks.remind_due_subtasks(now + dt.timedelta(days=2), dry_run=True).counts == {"would_remind": 1}
    assert subtasks.remind_due_subtasks(now + dt.timedelta(days=2)).counts == {"reminded": 1}
    assert addresses(NotificationEvent.SUBTASK_DUE) == {"olle@example.org", "0701234567"}
    assert subtasks.remind_due_subtasks(now + dt.timedelta(days=2)).counts == {"reminded": 0}
    assert subtasks.remind_due_subtasks(now + dt.timedelta(days=3)).counts == {"reminded": 0}

    assert subtasks.remind_due_subtasks(now + dt.timedelta(days=4)).counts == {"reminded": 1}
    overdue = [m for m in outbox(NotificationEvent.SUBTASK_DUE) if m.recipient_address == "olle@example.org"][-1]
    assert "har passerat" in overdue.body and f"/deluppgifter/{subtask.id}" in overdue.body
    assert subtasks.remind_due_subtasks(now + dt.timedelta(days=9)).counts == {"reminded": 0}
    assert len(outbox(NotificationEvent.SUBTASK_DUE)) == 4


def test_no_reminder_once_resolved(world, case):
    subtask = make(case, world.hanna, world.olle, days=1)
    subtasks.resolve_subtask(subtask.id, actor=world.olle)
    assert subtasks.remind_due_subtasks(clock.now() + dt.timedelta(days=5)).counts == {"reminded": 0}
