"""Who gets what, event by event, when the real services make the change (F-NOT-1/2, F-ES-7, F-GRP-2).

Every event a service produces today is driven here through that service, with the
standard settings a new e-service starts with, and each test names every outbox row that
appears: (event, channel, recipient). Channel choices, switched-off settings, groups,
mailboxes, absence and the rendered texts are in test_recipients_choices.py.
"""

from __future__ import annotations

import datetime as dt

import pytest

from shared import clock, notify
from shared.db import db
from shared.models import (
    Channel,
    Mailing,
    MailingRecipient,
    NotificationEvent,
    Recipient,
    StatusKind,
    Subtask,
)
from shared.notify.render import drop_lines_with
from shared.services import cases, documents, mailings, messages, overdue, subtasks
from tests import factories
from tests.factories import outbox

E, R, C = NotificationEvent, Recipient, Channel
OLLE_SMS = "+46701111111"


def sent(event: str | None = None) -> list[tuple[str, str, str]]:
    """Each queued notification as (event, channel, recipient), sorted; a duplicate would show twice."""
    return sorted(
        (m.event, str(m.channel), m.recipient_address or f"mina-sidor:{m.recipient_citizen_id}") for m in outbox(event)
    )


def rows(*expected: tuple[str, str, str]) -> list[tuple[str, str, str]]:
    return sorted((str(event), str(channel), who) for event, channel, who in expected)


def switch_on(world, event: NotificationEvent, recipient: Recipient, channels=(C.EMAIL, C.SMS)) -> None:
    """The builder switches a standard setting on (F-ES-7)."""
    for setting in world.eservice.notification_settings:
        if setting.event == event and setting.recipient == recipient and setting.channel in channels:
            setting.enabled = True
    db.session.commit()


@pytest.fixture
def std(world):
    """The standard settings; Hanna and Gun by e-mail (the default), Olle only by SMS (his choice)."""
    notify.default_notification_settings(world.eservice)
    world.olle.notify_by_email, world.olle.notify_by_sms, world.olle.mobile_phone = False, True, OLLE_SMS
    db.session.commit()
    return world


def mina(world) -> str:
    return f"mina-sidor:{world.citizen.id}"


def applicant(world, event) -> list[tuple[str, str, str]]:
    """The applicant's standard pair: e-mail and Mina sidor."""
    return [(str(event), "email", "maria@example.org"), (str(event), "portal", mina(world))]


def make_case(world, **kwargs):
    case = factories.case(world.eservice, citizen=kwargs.pop("citizen", world.citizen), **kwargs)
    db.session.commit()
    return case


# -- submitted, new case, automatic assignment ---------------------------------------------------


def test_submitted_by_the_applicant_tells_them_and_the_automatically_assigned(std):
    std.eservice.default_handler, std.eservice.default_group = std.olle, std.group
    db.session.commit()

    case = cases.submit_case(std.eservice.id, factories.answers(), citizen=std.citizen)

    assert sent() == rows(
        *applicant(std, E.SUBMITTED),
        (E.ASSIGNED, "sms", OLLE_SMS),  # Olle chose SMS only
        (E.GROUP_ASSIGNED, "email", "gun@example.org"),
        # NEW_CASE is off by default: nobody else hears of it.
    )
    [receipt] = [m for m in outbox(E.SUBMITTED) if m.channel == C.EMAIL]
    assert receipt.link == f"http://127.0.0.1:5000/mina-sidor/arenden/{case.id}"
    assert f"Ditt ärendenummer är {case.number}" in receipt.body and "Skolskjuts" in receipt.body


def test_new_case_to_all_handlers_who_may_see_it_but_not_the_handler_who_added_it(std):
    switch_on(std, E.NEW_CASE, R.ALL_HANDLERS)
    std.eservice.default_handler = std.hanna
    db.session.commit()

    case = cases.submit_case(
        std.eservice.id,
        factories.answers(),
        actor=std.hanna,
        personnummer="20000101-2384",
        contact={"name": "Per Papper", "email": "per@example.org"},
    )

    # Hanna added it (and got it by default): she is told nothing. Rut is restricted and
    # not assigned; the builder and Otto are no handlers here. The applicant found by
    # personnummer has no address of their own: the contact e-mail given is used.
    assert sent() == rows(
        (E.SUBMITTED, "email", "per@example.org"),
        (E.SUBMITTED, "portal", f"mina-sidor:{case.citizen_id}"),
        (E.NEW_CASE, "sms", OLLE_SMS),
        (E.NEW_CASE, "email", "gun@example.org"),
    )


def test_an_anonymous_applicant_gets_the_receipt_without_a_link_to_mina_sidor(std):
    std.eservice.login_required = False
    db.session.commit()

    case = cases.submit_case(
        std.eservice.id, factories.answers(), contact={"name": "Anna", "email": "anna@example.org"}
    )

    assert sent() == rows((E.SUBMITTED, "email", "anna@example.org"))  # no Mina sidor without e-ID
    [email] = outbox(E.SUBMITTED)
    assert email.link is None and "{lank}" not in email.body and "Mina sidor" not in email.body
    assert f"Ditt ärendenummer är {case.number}" in email.body


# -- take, take over, assign -------------------------------------------------------------------------


def test_taking_an_unassigned_case_or_ones_groups_case_tells_nobody(std):
    free = make_case(std)
    held_by_group = make_case(std, groups=[std.group])

    cases.take_case(free.id, actor=std.hanna)
    cases.take_case(held_by_group.id, actor=std.gun)

    assert sent() == []


def test_take_over_tells_the_person_and_the_group_it_was_taken_from(std):
    from_person = make_case(std, users=[std.olle])
    from_group = make_case(std, groups=[std.group])

    cases.take_case(from_person.id, actor=std.hanna, take_over=True)
    cases.take_case(from_group.id, actor=std.hanna, take_over=True)

    assert sent() == rows((E.TAKEN_OVER, "sms", OLLE_SMS), (E.TAKEN_OVER, "email", "gun@example.org"))
    to_gun = outbox(E.TAKEN_OVER)[1]
    assert to_gun.case_id == from_group.id and "Hanna Berg har tagit över ärende" in to_gun.body


def test_assign_tells_only_the_newly_assigned_and_never_the_actor(std):
    case = make_case(std, users=[std.rut])

    cases.assign_case(
        case.id, actor=std.hanna, user_ids=[std.hanna.id, std.olle.id, std.rut.id], group_ids=[std.group.id]
    )

    # Rut was there already, Hanna assigned herself: only Olle and the group's member hear.
    assert sent() == rows((E.ASSIGNED, "sms", OLLE_SMS), (E.GROUP_ASSIGNED, "email", "gun@example.org"))


# -- status ------------------------------------------------------------------------------------------


def test_status_change_tells_the_applicant_with_their_label(std):
    case = make_case(std, users=[std.hanna, std.olle])

    cases.change_status(case.id, factories.status(std.eservice, StatusKind.IN_PROGRESS).id, actor=std.hanna)

    assert sent() == rows(*applicant(std, E.STATUS_CHANGED))  # handlers' row is off by default
    assert all("Ärendet är under handläggning" in m.body for m in outbox())


def test_status_change_to_handlers_when_switched_on_leaves_out_the_actor(std):
    switch_on(std, E.STATUS_CHANGED, R.ASSIGNED_HANDLERS)
    case = make_case(std, users=[std.hanna, std.olle], groups=[std.group])

    cases.change_status(case.id, factories.status(std.eservice, StatusKind.IN_PROGRESS).id, actor=std.hanna)

    assert sent() == rows(
        *applicant(std, E.STATUS_CHANGED),
        (E.STATUS_CHANGED, "sms", OLLE_SMS),
        (E.STATUS_CHANGED, "email", "gun@example.org"),
    )
    to_gun = next(m for m in outbox() if m.recipient_address == "gun@example.org")
    assert "Under behandling" in to_gun.body  # the handlers' name of the status


def test_closing_tells_the_applicant_once_that_the_case_is_closed(std):
    switch_on(std, E.STATUS_CHANGED, R.ASSIGNED_HANDLERS)
    case = make_case(std, users=[std.hanna, std.olle])

    cases.change_status(case.id, factories.status(std.eservice, StatusKind.COMPLETED).id, actor=std.hanna)

    # "Avslutat" replaces "ny status" for the applicant; Olle gets the handlers' status text.
    assert sent() == rows(*applicant(std, E.CLOSED), (E.STATUS_CHANGED, "sms", OLLE_SMS))


def test_a_change_the_handler_keeps_from_the_applicant_tells_only_handlers(std):
    switch_on(std, E.STATUS_CHANGED, R.ASSIGNED_HANDLERS)
    case = make_case(std, users=[std.hanna, std.olle])

    cases.change_status(
        case.id, factories.status(std.eservice, StatusKind.WAITING).id, actor=std.hanna, notify_applicant=False
    )

    # Not even the status's default message goes out.
    assert sent() == rows((E.STATUS_CHANGED, "sms", OLLE_SMS))


def test_a_status_with_a_default_message_also_sends_that_message(std):
    case = make_case(std, users=[std.hanna])

    cases.change_status(case.id, factories.status(std.eservice, StatusKind.WAITING).id, actor=std.hanna)

    assert sent() == rows(*applicant(std, E.STATUS_CHANGED), *applicant(std, E.MESSAGE_TO_APPLICANT))


def test_a_mailings_no_answer_action_tells_the_applicant_and_every_handler(std):
    switch_on(std, E.STATUS_CHANGED, R.ASSIGNED_HANDLERS)
    case = make_case(std, users=[std.hanna, std.olle])
    archived = factories.status(std.eservice, StatusKind.ARCHIVED)
    mailing = Mailing(
        eservice_id=std.eservice.id,
        channel=C.EMAIL,
        subject="Vill du ha kvar platsen?",
        body="Svara senast i fredags.",
        question="Vill du ha kvar platsen?",
        answer_deadline=clock.today() - dt.timedelta(days=1),
        no_answer_status_id=archived.id,
        sent_at=clock.now() - dt.timedelta(days=10),
    )
    mailing.recipients = [MailingRecipient(case_id=case.id)]
    db.session.add(mailing)
    db.session.commit()

    assert mailings.run_no_answer_actions().counts["moved"] == 1

    # The system moved it: no actor to leave out, both handlers are told.
    assert sent() == rows(
        *applicant(std, E.CLOSED),
        (E.STATUS_CHANGED, "email", "hanna@example.org"),
        (E.STATUS_CHANGED, "sms", OLLE_SMS),
    )


# -- messages, notes, read receipts ----------------------------------------------------------------


def test_message_to_the_applicant_links_to_the_message(std):
    case = make_case(std, users=[std.hanna, std.olle])

    message = messages.send_message(case.id, "Hej! Vi behöver ett intyg.", actor=std.hanna)

    assert sent() == rows(*applicant(std, E.MESSAGE_TO_APPLICANT))  # co-handler Olle is not told
    link = f"http://127.0.0.1:5000/mina-sidor/arenden/{case.id}?meddelande={message.id}#meddelande-{message.id}"
    assert {m.link for m in outbox()} == {link}
    assert all("intyg" not in m.body for m in outbox())  # the message itself never leaves by e-mail


def test_handing_back_to_the_group_tells_its_members(std):
    case = make_case(std, users=[std.gun])

    messages.send_message(case.id, "Vi återkommer.", actor=std.gun, hand_back_to_group_id=std.group.id)

    # Gun is the group's only member and the actor: the group's news reaches no one else.
    assert sent() == rows(*applicant(std, E.MESSAGE_TO_APPLICANT))
    other = factories.user("sigge", first_name="Sigge")
    std.group.members.append(factories.GroupMember(user=other))
    case.handlers.append(factories.CaseHandler(user=std.hanna))
    db.session.commit()

    messages.send_message(case.id, "Vi återkommer igen.", actor=std.hanna, hand_back_to_group_id=std.group.id)

    assert sent(E.GROUP_ASSIGNED) == rows(
        (E.GROUP_ASSIGNED, "email", "gun@example.org"), (E.GROUP_ASSIGNED, "email", "sigge@example.org")
    )


def test_message_from_the_applicant_tells_every_assigned_handler_by_their_channels(std):
    case = make_case(std, users=[std.hanna, std.olle], groups=[std.group])

    message = messages.reply_as_citizen(case.id, "Här är intyget.", citizen=std.citizen)

    assert sent() == rows(
        (E.MESSAGE_FROM_APPLICANT, "email", "hanna@example.org"),
        (E.MESSAGE_FROM_APPLICANT, "sms", OLLE_SMS),
        (E.MESSAGE_FROM_APPLICANT, "email", "gun@example.org"),
    )
    assert {m.link for m in outbox()} == {f"http://127.0.0.1:5000/admin/arenden/{case.id}"}
    assert all("Här är intyget" not in m.body for m in outbox())
    assert message.forwarded_to_group_id is None


def test_internal_note_tells_the_other_assigned_handlers_when_switched_on(std):
    case = make_case(std, users=[std.hanna, std.olle], groups=[std.group])
    messages.add_note(case.id, "Ring rektorn.", actor=std.hanna)
    assert sent() == []  # off by default

    switch_on(std, E.INTERNAL_NOTE, R.ASSIGNED_HANDLERS)
    messages.add_note(case.id, "Ring rektorn igen.", actor=std.hanna)

    assert sent() == rows((E.INTERNAL_NOTE, "sms", OLLE_SMS), (E.INTERNAL_NOTE, "email", "gun@example.org"))


def test_read_receipt_goes_to_the_sender_only_when_switched_on(std):
    switch_on(std, E.MESSAGE_READ, R.ASSIGNED_HANDLERS)
    case = make_case(std, users=[std.hanna, std.olle])
    message = messages.send_message(case.id, "Beslut.", actor=std.olle)
    before = sent()

    messages.mark_read(message.id, reader=std.citizen)
    messages.mark_read(message.id, reader=std.citizen)

    assert [row for row in sent() if row not in before] == rows((E.MESSAGE_READ, "sms", OLLE_SMS))


# -- documents -----------------------------------------------------------------------------------------


def test_supplement_tells_the_assigned_handlers_with_the_file_name(std):
    case = make_case(std, users=[std.hanna, std.olle], status_kind=StatusKind.WAITING)

    documents.add_document(case.id, "intyg.pdf", factories.PDF_BYTES, "application/pdf", citizen=std.citizen)

    assert sent() == rows((E.SUPPLEMENT, "email", "hanna@example.org"), (E.SUPPLEMENT, "sms", OLLE_SMS))
    assert all("intyg.pdf" not in m.body for m in outbox() if m.channel == C.SMS)  # the short text
    assert "(intyg.pdf)" in next(m.body for m in outbox() if m.channel == C.EMAIL)


def test_download_receipts_go_where_the_settings_say(std):
    switch_on(std, E.FILE_DOWNLOADED, R.ASSIGNED_HANDLERS)
    factories.setting(std.eservice, E.FILE_DOWNLOADED, R.APPLICANT)
    case = make_case(std, users=[std.hanna, std.olle], status_kind=StatusKind.WAITING)
    upload = documents.add_document(case.id, "intyg.pdf", factories.PDF_BYTES, "application/pdf", citizen=std.citizen)
    decision = documents.add_document(case.id, "beslut.pdf", factories.PDF_BYTES, "application/pdf", actor=std.olle)
    before = sent()

    documents.download_document(upload.id, actor=std.hanna)[1].close()  # a handler opens the applicant's file
    documents.download_document(decision.id, citizen=std.citizen)[1].close()  # the applicant opens Olle's file
    documents.download_document(decision.id, citizen=std.citizen)[1].close()  # once only

    assert [row for row in sent() if row not in before] == rows(
        (E.FILE_DOWNLOADED, "email", "maria@example.org"),  # "your file has been opened"
        (E.FILE_DOWNLOADED, "sms", OLLE_SMS),  # Hanna opened it: Olle, not Hanna
        (E.FILE_DOWNLOADED, "sms", OLLE_SMS),  # the applicant opened Olle's file: its uploader
    )


# -- jobs ------------------------------------------------------------------------------------------------


def test_overdue_tells_the_assigned_handlers_once(std):
    case = make_case(std, users=[std.hanna, std.olle], groups=[std.group])
    later = clock.now() + dt.timedelta(days=15)

    overdue.mark_overdue_cases(later)
    overdue.mark_overdue_cases(later)

    assert sent() == rows(
        (E.OVERDUE, "email", "hanna@example.org"),
        (E.OVERDUE, "sms", OLLE_SMS),
        (E.OVERDUE, "email", "gun@example.org"),
    )
    assert {m.case_id for m in outbox()} == {case.id}


def test_subtask_reminder_goes_to_the_responsible_by_their_own_channels(std):
    case = make_case(std, users=[std.hanna])
    for person in (std.olle, std.hanna):
        db.session.add(
            Subtask(case=case, title=f"Uppgift för {person.first_name}", deadline=clock.today(), responsible=person)
        )
    db.session.commit()

    subtasks.remind_due_subtasks()

    assert sent() == rows((E.SUBTASK_DUE, "sms", OLLE_SMS), (E.SUBTASK_DUE, "email", "hanna@example.org"))
    assert "Påminnelse om deluppgiften Uppgift för Olle (tidsfrist " in next(m.body for m in outbox() if m.channel == C.SMS)


def test_drop_lines_with_removes_only_the_lines_using_the_placeholder():
    text = "Hej!\n\nRad ett.\n\nLänk: {lank}\n\nRad två {lankar}.\n"
    assert drop_lines_with(text, "lank") == "Hej!\n\nRad ett.\n\nRad två {lankar}."
    assert drop_lines_with("Bara {lank}", "lank") == ""
