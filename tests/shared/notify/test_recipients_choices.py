"""Who gets what when settings and people choose: the e-service's switches (F-ES-7), each handler's
channels (F-GRP-2), group opt-in (1177), functional mailboxes (F-NOT-3), absence (F-GRP-3),
and the texts as they come out (placeholders, links from the configuration, safety).

Every change is made through the real service; the outbox rows are what a recipient would get.
"""

from __future__ import annotations

import pytest

from shared import clock, notify
from shared.db import db
from shared.models import Channel, GroupMember, NotificationEvent, OutboxMessage, Recipient, StatusKind
from shared.notify.backends import Outgoing, build_email
from shared.services import cases, documents, messages
from tests import factories
from tests.factories import outbox
from tests.shared.notify.test_recipients import OLLE_SMS, applicant, make_case, mina, rows, sent, switch_on

E, R, C = NotificationEvent, Recipient, Channel


@pytest.fixture
def std(world):
    """The standard settings; Hanna and Gun by e-mail (the default), Olle only by SMS (his choice)."""
    notify.default_notification_settings(world.eservice)
    world.olle.notify_by_email, world.olle.notify_by_sms, world.olle.mobile_phone = False, True, OLLE_SMS
    db.session.commit()
    return world


def switch_off(world, event: NotificationEvent, recipient: Recipient | None = None, channel: Channel | None = None):
    for setting in world.eservice.notification_settings:
        if setting.event == event and recipient in (None, setting.recipient) and channel in (None, setting.channel):
            setting.enabled = False
    db.session.commit()


# -- each handler's own channels (F-GRP-2) and the e-service's channel switches (F-ES-7) ----------


@pytest.fixture
def people(std):
    """Handlers of Skolskjuts with every choice: e-mail only, SMS only, both, none, SMS without a number."""
    chosen = {
        "epost": dict(notify_by_email=True, notify_by_sms=False, mobile_phone="+46700000001"),
        "sms": dict(notify_by_email=False, notify_by_sms=True, mobile_phone="+46700000002"),
        "bada": dict(notify_by_email=True, notify_by_sms=True, mobile_phone="+46700000003"),
        "ingen": dict(notify_by_email=False, notify_by_sms=False, mobile_phone="+46700000004"),
        "nummerlos": dict(notify_by_email=False, notify_by_sms=True, mobile_phone=None),
    }
    found = {}
    for name, choice in chosen.items():
        person = factories.user(name, **choice)
        factories.link(std.eservice, user=person)
        found[name] = person
    db.session.commit()
    return found


@pytest.mark.parametrize(
    "channels_on, expected",
    [
        (
            (C.EMAIL, C.SMS),
            [
                ("email", "epost@example.org"),
                ("sms", "+46700000002"),
                ("email", "bada@example.org"),
                ("sms", "+46700000003"),
            ],
        ),
        ((C.EMAIL,), [("email", "epost@example.org"), ("email", "bada@example.org")]),
        ((C.SMS,), [("sms", "+46700000002"), ("sms", "+46700000003")]),
        ((), []),
    ],
    ids=["both-switched-on", "email-switched-on", "sms-switched-on", "event-switched-off"],
)
def test_each_person_gets_the_channels_they_chose_that_the_eservice_has_on(std, people, channels_on, expected):
    for channel in {C.EMAIL, C.SMS} - set(channels_on):
        switch_off(std, E.ASSIGNED, R.ASSIGNED_HANDLERS, channel)
    case = make_case(std)

    cases.assign_case(case.id, actor=std.hanna, user_ids=[p.id for p in people.values()])

    assert sent() == rows(*[(E.ASSIGNED, channel, who) for channel, who in expected])


def test_an_inactive_handler_gets_nothing(std, people):
    case = make_case(std, users=list(people.values()))
    people["bada"].active = False
    db.session.commit()

    messages.reply_as_citizen(case.id, "Hej!", citizen=std.citizen)

    assert sent() == rows(
        (E.MESSAGE_FROM_APPLICANT, "email", "epost@example.org"),
        (E.MESSAGE_FROM_APPLICANT, "sms", "+46700000002"),
    )


# -- the applicant's channels ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "by_email, by_sms, expected",
    [
        (True, False, {"email"}),
        (False, True, {"sms"}),
        (True, True, {"email", "sms"}),
        (False, False, set()),
    ],
)
def test_the_applicant_gets_the_channels_they_chose_and_always_mina_sidor(std, by_email, by_sms, expected):
    switch_on(std, E.STATUS_CHANGED, R.APPLICANT, channels=(C.SMS,))  # off by default: SMS costs money
    std.citizen.notify_by_email, std.citizen.notify_by_sms, std.citizen.phone = by_email, by_sms, "+46709999999"
    case = make_case(std, users=[std.hanna])

    cases.change_status(case.id, factories.status(std.eservice, StatusKind.IN_PROGRESS).id, actor=std.hanna)

    address = {"email": "maria@example.org", "sms": "+46709999999"}
    assert sent() == rows(
        (E.STATUS_CHANGED, "portal", mina(std)),
        *[(E.STATUS_CHANGED, channel, address[channel]) for channel in expected],
    )
    sms = [m for m in outbox() if m.channel == C.SMS]
    assert all(m.subject is None and len(m.body) <= 160 for m in sms)


def test_switching_off_the_applicants_email_leaves_mina_sidor(std):
    switch_off(std, E.SUBMITTED, R.APPLICANT, C.EMAIL)

    cases.submit_case(std.eservice.id, factories.answers(), citizen=std.citizen)

    assert sent() == rows((E.SUBMITTED, "portal", mina(std)))


def test_an_eservice_without_settings_notifies_nobody(world):
    case = make_case(world, users=[world.hanna])

    cases.change_status(case.id, factories.status(world.eservice, StatusKind.COMPLETED).id, actor=world.hanna)
    messages.reply_as_citizen(case.id, "Hej!", citizen=world.citizen)

    assert sent() == []


def test_the_applicant_acting_still_gets_the_receipt_the_builder_switched_on(std):
    factories.setting(std.eservice, E.MESSAGE_FROM_APPLICANT, R.APPLICANT)
    case = make_case(std, users=[std.hanna])

    messages.reply_as_citizen(case.id, "Hej!", citizen=std.citizen)

    assert sent() == rows(
        (E.MESSAGE_FROM_APPLICANT, "email", "maria@example.org"),
        (E.MESSAGE_FROM_APPLICANT, "email", "hanna@example.org"),
    )
    to_maria = next(m for m in outbox() if m.recipient_address == "maria@example.org")
    assert to_maria.subject == f"Vi har tagit emot ditt meddelande i ärende {case.number}"


# -- groups: members who opted in (1177) -----------------------------------------------------------


@pytest.fixture
def quiet(std):
    """A member of Skolskjutsgruppen who chose not to hear of the group's cases."""
    person = factories.user("tyst", first_name="Tyra")
    std.group.members.append(GroupMember(user=person, notify=False))
    db.session.commit()
    return person


def test_group_assignment_reaches_only_members_who_opted_in(std, quiet):
    case = make_case(std)

    cases.assign_case(case.id, actor=std.hanna, group_ids=[std.group.id])

    assert sent() == rows((E.GROUP_ASSIGNED, "email", "gun@example.org"))


def test_news_of_a_group_held_case_reaches_only_members_who_opted_in(std, quiet):
    case = make_case(std, groups=[std.group])

    messages.reply_as_citizen(case.id, "Hej!", citizen=std.citizen)

    assert sent() == rows((E.MESSAGE_FROM_APPLICANT, "email", "gun@example.org"))


def test_a_member_assigned_in_person_is_told_whatever_their_group_choice(std, quiet):
    case = make_case(std, users=[quiet], groups=[std.group])

    messages.reply_as_citizen(case.id, "Hej!", citizen=std.citizen)

    assert sent() == rows(
        (E.MESSAGE_FROM_APPLICANT, "email", "gun@example.org"),
        (E.MESSAGE_FROM_APPLICANT, "email", "tyst@example.org"),
    )


# -- functional mailboxes (F-NOT-3) ------------------------------------------------------------------


def test_new_case_to_the_eservices_mailbox_and_the_assigned_groups_mailbox(std):
    switch_on(std, E.NEW_CASE, R.MAILBOX)
    std.eservice.general_mailbox = "skolskjuts-etjanst@example.org"
    std.eservice.default_group = std.group
    db.session.commit()

    cases.submit_case(std.eservice.id, factories.answers(), citizen=std.citizen)

    assert sent() == rows(
        *applicant(std, E.SUBMITTED),
        (E.NEW_CASE, "email", "skolskjuts-etjanst@example.org"),
        (E.NEW_CASE, "email", "skolskjuts@example.org"),
        (E.GROUP_ASSIGNED, "email", "gun@example.org"),
    )
    to_box = next(m for m in outbox(E.NEW_CASE) if m.recipient_address == "skolskjuts-etjanst@example.org")
    assert to_box.link.startswith("http://127.0.0.1:5000/admin/arenden/")  # staff read the mailbox


def test_a_mailbox_alone_when_the_builder_prefers_it_to_persons(std):
    switch_off(std, E.MESSAGE_FROM_APPLICANT, R.ASSIGNED_HANDLERS)
    switch_on(std, E.MESSAGE_FROM_APPLICANT, R.MAILBOX)
    factories.setting(std.eservice, E.MESSAGE_FROM_APPLICANT, R.MAILBOX, C.SMS)  # a mailbox has no phone
    std.eservice.general_mailbox = "skolskjuts@example.org"  # the same address as the group's: once
    case = make_case(std, users=[std.hanna], groups=[std.group])

    messages.reply_as_citizen(case.id, "Hej!", citizen=std.citizen)

    assert sent() == rows((E.MESSAGE_FROM_APPLICANT, "email", "skolskjuts@example.org"))


def test_no_mailbox_address_no_mailbox_message(std):
    switch_on(std, E.SUPPLEMENT, R.MAILBOX)
    std.group.mailbox_email = None
    case = make_case(std, users=[std.hanna], groups=[std.group], status_kind=StatusKind.WAITING)

    documents.add_document(case.id, "intyg.pdf", factories.PDF_BYTES, "application/pdf", citizen=std.citizen)

    assert sent() == rows((E.SUPPLEMENT, "email", "hanna@example.org"), (E.SUPPLEMENT, "email", "gun@example.org"))


# -- absence (F-GRP-3) ----------------------------------------------------------------------------------


def test_the_absent_handlers_messages_go_to_the_group_mailbox_with_one_auto_reply(std):
    factories.absence(std.hanna, forward_to=std.group, auto_reply="Jag är tillbaka den 1 augusti.")
    case = make_case(std, users=[std.hanna, std.olle])

    message = messages.reply_as_citizen(case.id, "Hej Hanna!", citizen=std.citizen)

    assert sent() == rows(
        (E.MESSAGE_FROM_APPLICANT, "email", "skolskjuts@example.org"),  # forwarded, not to Hanna
        (E.MESSAGE_FROM_APPLICANT, "sms", OLLE_SMS),  # her co-handler is present
        *applicant(std, E.AUTO_REPLY),
    )
    assert message.forwarded_to_group_id == std.group.id
    assert all("Jag är tillbaka den 1 augusti." in m.body for m in outbox(E.AUTO_REPLY))


def test_two_absent_handlers_give_one_forward_and_one_auto_reply(std):
    factories.absence(std.hanna, forward_to=std.group, auto_reply="Hanna är borta.")
    factories.absence(std.olle, forward_to=std.group, auto_reply="Olle är borta.")
    case = make_case(std, users=[std.hanna, std.olle])

    messages.reply_as_citizen(case.id, "Hallå?", citizen=std.citizen)

    assert sent() == rows((E.MESSAGE_FROM_APPLICANT, "email", "skolskjuts@example.org"), *applicant(std, E.AUTO_REPLY))


def test_forwarding_to_a_group_without_mailbox_tells_its_members_but_never_the_absent_one(std):
    # Hanna forwards to a group she is a member of (the usual case), which has no mailbox.
    std.group.mailbox_email = None
    std.group.members.append(GroupMember(user=std.hanna))
    factories.absence(std.hanna, forward_to=std.group, auto_reply="Semester.")
    case = make_case(std, users=[std.hanna])

    messages.reply_as_citizen(case.id, "Hej!", citizen=std.citizen)

    assert sent() == rows((E.MESSAGE_FROM_APPLICANT, "email", "gun@example.org"), *applicant(std, E.AUTO_REPLY))


def test_an_absent_handler_is_not_told_through_an_assigned_group_either(std):
    std.group.members.append(GroupMember(user=std.hanna))
    factories.absence(std.hanna, forward_to=std.group)
    case = make_case(std, users=[std.hanna], groups=[std.group])

    messages.reply_as_citizen(case.id, "Hej!", citizen=std.citizen)

    assert sent() == rows(
        (E.MESSAGE_FROM_APPLICANT, "email", "gun@example.org"),
        (E.MESSAGE_FROM_APPLICANT, "email", "skolskjuts@example.org"),
        *applicant(std, E.AUTO_REPLY),  # the standard absence text: no own text was written
    )
    assert "frånvarande till och med" in outbox(E.AUTO_REPLY)[0].body


def test_an_absence_without_forwarding_still_tells_the_handler_and_replies(std):
    factories.absence(std.hanna, auto_reply="Jag läser meddelanden på måndag.")
    case = make_case(std, users=[std.hanna])

    message = messages.reply_as_citizen(case.id, "Hej!", citizen=std.citizen)

    # Nobody else would read it: Hanna is still told, and the applicant knows to wait.
    assert sent() == rows((E.MESSAGE_FROM_APPLICANT, "email", "hanna@example.org"), *applicant(std, E.AUTO_REPLY))
    assert message.forwarded_to_group_id is None


def test_the_auto_reply_follows_the_settings_and_forwarding_does_not(std):
    switch_off(std, E.AUTO_REPLY)
    switch_off(std, E.MESSAGE_FROM_APPLICANT)
    factories.absence(std.hanna, forward_to=std.group, auto_reply="Borta.")
    case = make_case(std, users=[std.hanna])

    messages.reply_as_citizen(case.id, "Hej!", citizen=std.citizen)

    # Forwarding is the absent handler's own choice: it is not a setting of the e-service.
    assert sent() == rows((E.MESSAGE_FROM_APPLICANT, "email", "skolskjuts@example.org"))


def test_each_new_message_gets_its_auto_reply_and_the_ended_absence_none(std):
    absence = factories.absence(std.hanna, forward_to=std.group, auto_reply="Borta.")
    case = make_case(std, users=[std.hanna])
    messages.reply_as_citizen(case.id, "Ett.", citizen=std.citizen)
    messages.reply_as_citizen(case.id, "Två.", citizen=std.citizen)
    assert len(outbox(E.AUTO_REPLY)) == 4  # e-mail and Mina sidor, for each message

    absence.ended_at = clock.now()
    db.session.commit()
    messages.reply_as_citizen(case.id, "Tre.", citizen=std.citizen)

    assert len(outbox(E.AUTO_REPLY)) == 4
    assert [m.recipient_address for m in outbox(E.MESSAGE_FROM_APPLICANT)] == [
        "skolskjuts@example.org",
        "skolskjuts@example.org",
        "hanna@example.org",
    ]


# -- texts: placeholders, links from the configuration ----------------------------------------------

OWN = "{arendenummer}|{etjanst}|{status}|{lank}|{handlaggare}|{namn}|{kommun}"


def test_own_texts_render_every_placeholder_for_each_side(std, monkeypatch, ctx):
    monkeypatch.setitem(ctx.config, "PORTAL_URL", "https://e.exempelby.se")
    monkeypatch.setitem(ctx.config, "BACKOFFICE_URL", "https://handlaggning.exempelby.se/admin")
    monkeypatch.setitem(ctx.config, "MUNICIPALITY_NAME", "Exempelby kommun")
    for setting in std.eservice.notification_settings:
        if setting.event == E.STATUS_CHANGED:
            setting.subject, setting.body = "Ärende {arendenummer} i {etjanst}", OWN
    switch_on(std, E.STATUS_CHANGED, R.ASSIGNED_HANDLERS)
    case = make_case(std, users=[std.hanna, std.olle])

    cases.change_status(case.id, factories.status(std.eservice, StatusKind.IN_PROGRESS).id, actor=std.hanna)

    by_who = {m.recipient_address or "mina-sidor": m for m in outbox()}
    assert set(by_who) == {"maria@example.org", "mina-sidor", OLLE_SMS}
    portal = f"https://e.exempelby.se/mina-sidor/arenden/{case.id}"
    backoffice = f"https://handlaggning.exempelby.se/admin/arenden/{case.id}"
    n = case.number
    assert by_who["maria@example.org"].subject == f"Ärende {n} i Skolskjuts"
    assert by_who["maria@example.org"].body == (
        f"{n}|Skolskjuts|Ärendet är under handläggning|{portal}|Hanna Berg|Maria Öljung|Exempelby kommun"
    )
    assert by_who["mina-sidor"].body == by_who["maria@example.org"].body
    assert by_who["maria@example.org"].link == portal
    # The handler gets the internal status name and the back office; an SMS has no subject.
    assert by_who[OLLE_SMS].subject is None
    assert by_who[OLLE_SMS].body == f"{n}|Skolskjuts|Under behandling|{backoffice}|Hanna Berg|Olle Ek|Exempelby kommun"
    assert by_who[OLLE_SMS].link == backoffice


def test_standard_texts_name_the_case_the_eservice_and_the_links_of_the_configuration(std, monkeypatch, ctx):
    monkeypatch.setitem(ctx.config, "PORTAL_URL", "https://e.exempelby.se")
    monkeypatch.setitem(ctx.config, "BACKOFFICE_URL", "https://handlaggning.exempelby.se/admin")
    case = make_case(std, users=[std.hanna])

    messages.reply_as_citizen(case.id, "Hej!", citizen=std.citizen)
    message = messages.send_message(case.id, "Svar.", actor=std.hanna)

    [to_hanna] = outbox(E.MESSAGE_FROM_APPLICANT)
    assert to_hanna.subject == f"Nytt meddelande från sökande i ärende {case.number}"
    assert f"ärende {case.number} (Skolskjuts)" in to_hanna.body
    assert f"https://handlaggning.exempelby.se/admin/arenden/{case.id}" in to_hanna.body
    deep = f"https://e.exempelby.se/mina-sidor/arenden/{case.id}?meddelande={message.id}#meddelande-{message.id}"
    for row in outbox(E.MESSAGE_TO_APPLICANT):
        assert row.link == deep and deep in row.body and "{" not in row.body
        assert row.subject == f"Nytt meddelande i ditt ärende {case.number}"


def test_values_with_braces_are_inserted_as_written(std):
    std.citizen.first_name = "{lank}"
    factories.setting(std.eservice, E.MESSAGE_FROM_APPLICANT, R.APPLICANT, body="Hej {namn}: {arendenummer}")
    case = make_case(std, users=[std.hanna])

    messages.reply_as_citizen(case.id, "Hej!", citizen=std.citizen)

    to_maria = next(m for m in outbox() if m.recipient_address == "maria@example.org")
    assert to_maria.body == f"Hej {{lank}} Öljung: {case.number}"


@pytest.mark.parametrize("text", ["{0.__class__}", "{{ etjanst }}", "%(etjanst)s", "{okand}", "{namn.__init__}", "{"])
def test_a_stored_text_with_unknown_placeholders_is_sent_as_written(std, text):
    # The builder's screen refuses these (check_template); a text saved before still never breaks a change.
    factories.setting(std.eservice, E.MESSAGE_FROM_APPLICANT, R.APPLICANT, subject=f"Ärende {text}", body=f"x {text} y")
    case = make_case(std, users=[std.hanna])

    messages.reply_as_citizen(case.id, "Hej!", citizen=std.citizen)

    to_maria = next(m for m in outbox() if m.recipient_address == "maria@example.org")
    assert (to_maria.subject, to_maria.body) == (f"Ärende {text}", f"x {text} y")


def test_a_multi_line_value_in_a_subject_still_gives_a_mail_that_can_be_sent(std, monkeypatch, ctx):
    for setting in std.eservice.notification_settings:
        if setting.event == E.AUTO_REPLY and setting.channel == C.EMAIL:
            setting.subject = "Frånvaro: {meddelande}"
    factories.absence(std.hanna, forward_to=std.group, auto_reply="Jag är borta.\nRing växeln vid brådska.")
    case = make_case(std, users=[std.hanna])

    messages.reply_as_citizen(case.id, "Hej!", citizen=std.citizen)

    [email] = [m for m in outbox(E.AUTO_REPLY) if m.channel == C.EMAIL]
    assert email.subject == "Frånvaro: Jag är borta. Ring växeln vid brådska."
    assert "Jag är borta.\nRing växeln vid brådska." in email.body  # the body keeps its lines
    monkeypatch.setitem(ctx.config, "MAIL_DEFAULT_SENDER", "noreply@example.org")
    assert build_email(_outgoing(email), ctx).subject == email.subject  # a line break would fail it for good


def _outgoing(row: OutboxMessage) -> Outgoing:
    return Outgoing(
        id=row.id,
        uuid=row.uuid,
        channel=row.channel,
        address=row.recipient_address,
        citizen_id=row.recipient_citizen_id,
        case_id=row.case_id,
        subject=row.subject,
        body=row.body,
        link=row.link,
    )
