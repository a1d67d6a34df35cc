"""Mailings (utskick, F-MAIL-1, F-MAIL-2): recipients, access, validation, placeholders, sending,
the citizen's answer and the summary."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from shared import clock
from shared.db import db
from shared.errors import Invalid, NotAllowed, NotFound
from shared.models import (
    AuditEntry,
    CaseEvent,
    Channel,
    Mailing,
    MailingAnswer,
    PortalNotice,
    StatusKind,
)
from shared.notify import dispatch
from shared.services import mailings
from tests import factories
from tests.factories import outbox


@pytest.fixture
def cases(world):
    """Three Skolskjuts cases: Maria's (e-ID, e-mail), an anonymous one with an e-mail address, one with nothing."""
    marias = factories.case(world.eservice, citizen=world.citizen, users=[world.rut])
    anonymous = factories.case(world.eservice, contact_name="Åke Ökvist", contact_email="ake@example.org")
    unreachable = factories.case(world.eservice, contact_name="Ingen Adress")
    db.session.commit()
    return marias, anonymous, unreachable


def draft(criteria, **fields) -> mailings.Draft:
    values = {"channel": "email", "subject": "Information om skolskjuts", "body": "Hej! Ny tidtabell gäller."}
    values.update(fields)
    return mailings.Draft(criteria=criteria, **values)


def by_eservice(world) -> dict:
    return {"eservice_id": world.eservice.id}


# -- recipients and access -----------------------------------------------------------------------


def test_cases_that_cannot_be_reached_on_the_channel_are_listed_as_skipped(world, cases):
    marias, anonymous, unreachable = cases

    email = mailings.preview_recipients(by_eservice(world), world.hanna, channel="email")
    assert email.cases == [marias, anonymous]
    assert [(c, reason) for c, reason in email.skipped] == [(unreachable, mailings.NO_EMAIL)]

    portal = mailings.preview_recipients(by_eservice(world), world.hanna, channel="portal")
    assert portal.cases == [marias]
    assert {c.id for c, _r in portal.skipped} == {anonymous.id, unreachable.id}
    assert {r for _c, r in portal.skipped} == {mailings.NO_EID}

    # Maria has not chosen text messages: she is skipped on SMS.
    sms = mailings.preview_recipients(by_eservice(world), world.hanna, channel="sms")
    assert sms.cases == [] and (marias, mailings.NO_PHONE) in sms.skipped

    # With a question an applicant without e-ID cannot answer, so is skipped even on e-mail.
    asked = mailings.preview_recipients(by_eservice(world), world.hanna, channel="email", question=True)
    assert asked.cases == [marias]
    assert (anonymous, mailings.NO_EID) in asked.skipped
    assert "e-legitimation" in mailings.skip_reason(mailings.NO_EID)


def test_recipients_are_only_the_cases_the_handler_sees(world, cases):
    marias, anonymous, _unreachable = cases
    bygglov_case = factories.case(_bygglov(), citizen=world.citizen)
    db.session.commit()

    # Rut is restricted: only the case assigned to her.
    assert mailings.preview_recipients(by_eservice(world), world.rut, channel="email").cases == [marias]
    # Checked cases of another e-service are not found for Hanna.
    chosen = mailings.preview_recipients({"case_ids": [anonymous.id, bygglov_case.id]}, world.hanna, channel="email")
    assert chosen.cases == [anonymous] and chosen.missing == 1
    # An e-service she does not handle is not found.
    with pytest.raises(NotFound):
        mailings.preview_recipients({"eservice_id": bygglov_case.eservice_id}, world.hanna)
    with pytest.raises(NotFound):
        mailings.create_mailing(draft({"eservice_id": bygglov_case.eservice_id}), actor=world.hanna)


def _bygglov():
    from shared.models import EService

    return db.session.scalar(select(EService).where(EService.name == "Bygglov"))


def test_criteria_choose_by_version_date_and_status(world, cases):
    marias, anonymous, unreachable = cases
    anonymous.submitted_at = dt.datetime(2026, 3, 1, 10)
    unreachable.submitted_at = dt.datetime(2026, 3, 10, 10)
    marias.submitted_at = dt.datetime(2026, 2, 1, 10)
    waiting = factories.status(world.eservice, StatusKind.WAITING)
    unreachable.status = waiting
    db.session.commit()
    version = world.eservice.published_version.id

    dated = {
        **by_eservice(world),
        "version_ids": [version],
        "submitted_from": "2026-02-15",
        "submitted_to": "2026-03-31",
    }
    found = mailings.preview_recipients(dated, world.hanna, channel="email")
    assert {c.id for c in found.cases} | {c.id for c, _r in found.skipped} == {anonymous.id, unreachable.id}

    by_status = mailings.preview_recipients({**by_eservice(world), "status_ids": [waiting.id]}, world.hanna)
    assert [c.id for c, _r in by_status.skipped] + [c.id for c in by_status.cases] == [unreachable.id]

    with pytest.raises(Invalid) as bad:
        mailings.clean_criteria(
            {**by_eservice(world), "submitted_from": "1 mars", "version_ids": [999999]}, world.hanna
        )
    assert set(bad.value.errors) == {"submitted_from", "version_ids"}
    with pytest.raises(Invalid) as none_chosen:
        mailings.clean_criteria({}, world.hanna)
    assert "eservice_id" in none_chosen.value.errors


# -- checks --------------------------------------------------------------------------------------


def test_a_mailing_is_checked_field_by_field(world, cases):
    draft_status = factories.status(world.eservice, StatusKind.DRAFT)

    with pytest.raises(Invalid) as empty:
        mailings.check(draft(by_eservice(world), channel="fax", subject="", body=" "), world.hanna)
    assert set(empty.value.errors) == {"channel", "subject", "body"}
    assert empty.value.errors["subject"] == "Skriv en rubrik."

    with pytest.raises(Invalid) as asked:
        mailings.check(
            draft(
                by_eservice(world),
                question="Vill du stå kvar i kön?",
                answer_days="0",
                no_answer_status_id=draft_status.id,
            ),
            world.hanna,
        )
    assert set(asked.value.errors) == {"answer_days", "no_answer_status_id"}

    with pytest.raises(Invalid) as placeholders:
        mailings.check(
            draft(by_eservice(world), subject="Ärende {arendenr}", body="Svara senast {svara_senast}"), world.hanna
        )
    assert "{arendenr}" in placeholders.value.errors["subject"]
    assert "{svara_senast}" in placeholders.value.errors["body"]  # only with a question

    with pytest.raises(Invalid) as nobody:
        mailings.check(draft({"case_ids": [cases[2].id]}), world.hanna)
    assert "e-post" in nobody.value.errors["criteria"]
    assert db.session.scalar(select(Mailing)) is None


def test_a_no_answer_status_needs_cases_of_one_eservice(world, cases):
    other = factories.case(_bygglov(), citizen=world.citizen)
    factories.link(_bygglov(), user=world.hanna)
    db.session.commit()
    waiting = factories.status(world.eservice, StatusKind.WAITING)
    with pytest.raises(Invalid) as mixed:
        mailings.check(
            draft(
                {"case_ids": [cases[0].id, other.id]},
                question="Vill du stå kvar?",
                answer_days=30,
                no_answer_status_id=waiting.id,
            ),
            world.hanna,
        )
    assert set(mixed.value.errors) == {"no_answer_status_id"}
    # Without the action, one mailing may go to cases of several e-services.
    checked = mailings.check(
        draft({"case_ids": [cases[0].id, other.id]}, question="Vill du stå kvar?", answer_days=30), world.hanna
    )
    assert len(checked.recipients.cases) == 2 and checked.eservice is None


# -- placeholders, sending -----------------------------------------------------------------------


def test_the_text_is_rendered_per_recipient_and_sent_with_a_link(world, cases, app):
    marias, anonymous, unreachable = cases
    text = draft(
        by_eservice(world),
        subject="Ärende {arendenummer}: vill du stå kvar?",
        body="Hej {namn}!\nDitt ärende {arendenummer} i {etjanst}.\nSvara senast {svara_senast}.",
        question="Vill du stå kvar i kön?",
        answer_days="30",
    )
    deadline = (clock.today() + dt.timedelta(days=30)).isoformat()

    checked = mailings.check(text, world.hanna)
    assert checked.example.subject == f"Ärende {marias.number}: vill du stå kvar?"
    assert (
        f"Hej Maria Öljung!\nDitt ärende {marias.number} i Skolskjuts.\nSvara senast {deadline}."
        in checked.example.body
    )

    mailing = mailings.create_mailing(text, actor=world.hanna)

    db.session.expire_all()
    mailing = db.session.get(Mailing, mailing.id)
    assert mailing.sent_at is not None and mailing.answer_deadline.isoformat() == deadline
    assert [r.case_id for r in mailing.recipients] == [marias.id]
    skipped = {row["case_id"]: row["reason"] for row in mailing.criteria["skipped"]}
    assert skipped == {anonymous.id: mailings.NO_EID, unreachable.id: mailings.NO_EID}  # a question needs e-ID
    sent = outbox("mailing")
    assert len(sent) == 1 and sent[0].recipient_address == "maria@example.org" and sent[0].channel == Channel.EMAIL
    link = f"{app.config['PORTAL_URL']}/mina-sidor/arenden/{marias.id}"
    assert sent[0].link == link
    assert "Vill du stå kvar i kön?" in sent[0].body
    assert f"Svara Ja eller Nej på Mina sidor senast {deadline}: {link}" in sent[0].body
    assert sent[0].subject == f"Ärende {marias.number}: vill du stå kvar?"
    assert mailing.recipients[0].notified_at is not None
    history = db.session.scalars(select(CaseEvent).where(CaseEvent.kind == "mailing_sent")).all()
    assert [e.case_id for e in history] == [marias.id] and history[0].actor_user_id == world.hanna.id
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "mailing_created"))
    assert audit.details["recipients"] == 1 and audit.details["skipped"] == 2


def test_a_mailing_on_my_pages_becomes_a_notice_there(world, cases):
    marias = cases[0]
    mailings.create_mailing(draft(by_eservice(world), channel="portal", body="Kursstart {etjanst}"), actor=world.hanna)

    dispatch.dispatch_due()

    notice = db.session.scalar(select(PortalNotice))
    assert notice.citizen_id == world.citizen.id and notice.case_id == marias.id
    assert notice.subject == "Information om skolskjuts"
    assert "Kursstart Skolskjuts" in notice.body
    assert notice.link.endswith(f"/mina-sidor/arenden/{marias.id}")


# -- the citizen's answer -------------------------------------------------------------------------


@pytest.fixture
def asked(world, cases):
    """A sent mailing with a question to Maria's case and to Olga's case (both with e-ID)."""
    olga = factories.citizen("196408233234", first_name="Olga", email="olga@example.org")
    olgas = factories.case(world.eservice, citizen=olga)
    db.session.commit()
    mailing = mailings.create_mailing(
        draft({"case_ids": [cases[0].id, olgas.id]}, question="Vill du stå kvar i kön?", answer_days="10"),
        actor=world.hanna,
    )
    by_case = {r.case_id: r for r in mailing.recipients}
    return mailing, by_case[cases[0].id], by_case[olgas.id], olga


def test_the_citizen_answers_once_on_their_own_case(world, asked):
    mailing, marias, olgas, olga = asked

    with pytest.raises(NotFound):
        mailings.answer(marias.id, "yes", citizen=olga)  # someone else's case reveals nothing
    with pytest.raises(Invalid):
        mailings.answer(marias.id, "kanske", citizen=world.citizen)

    answered = mailings.answer(marias.id, "yes", citizen=world.citizen)
    assert answered.answer == MailingAnswer.YES and answered.answered_at is not None
    event = db.session.scalar(select(CaseEvent).where(CaseEvent.kind == "mailing_answered"))
    assert event.case_id == marias.case_id and event.actor_citizen_id == world.citizen.id
    assert event.data["answer"] == "yes" and event.data["subject"] == mailing.subject

    with pytest.raises(NotAllowed) as again:
        mailings.answer(marias.id, "no", citizen=world.citizen)
    assert "redan svarat Ja" in again.value.message
    assert db.session.get(type(marias), marias.id).answer == MailingAnswer.YES


def test_no_answer_after_the_last_day(world, asked, time_machine):
    _mailing, marias, _olgas, _olga = asked
    time_machine.move_to(dt.datetime.now(dt.UTC) + dt.timedelta(days=11), tick=False)
    assert mailings.answer_state(marias) == "closed"
    with pytest.raises(NotAllowed) as late:
        mailings.answer(marias.id, "yes", citizen=world.citizen)
    assert "Sista svarsdagen" in late.value.message


def test_an_information_mailing_has_nothing_to_answer(world, cases):
    mailing = mailings.create_mailing(draft(by_eservice(world)), actor=world.hanna)
    assert mailings.answer_state(mailing.recipients[0]) == "info"
    with pytest.raises(NotAllowed):
        mailings.answer(mailing.recipients[0].id, "yes", citizen=world.citizen)


# -- the summary -----------------------------------------------------------------------------------


def test_the_summary_counts_yes_no_and_unanswered(world, asked):
    mailing, marias, olgas, olga = asked
    third = factories.case(world.eservice, citizen=olga)
    db.session.commit()
    more = mailings.create_mailing(
        draft({"case_ids": [third.id]}, question="Annan fråga?", answer_days=5), actor=world.hanna
    )
    mailings.answer(olgas.id, "no", citizen=olga)
    mailings.answer(more.recipients[0].id, "yes", citizen=olga)

    found = mailings.summary(mailing.id, actor=world.hanna)
    assert (found.counts.yes, found.counts.no, found.counts.unanswered, found.counts.total) == (0, 1, 1, 2)
    assert [r.case_id for r in found.rows] == [marias.case_id, olgas.case_id]  # by case number
    only_no = mailings.summary(mailing.id, actor=world.hanna, answer_filter="nej")
    assert [r.id for r in only_no.rows] == [olgas.id]

    # Rut (restricted) sees the mailing through Maria's case, and only that row.
    assert [r.case_id for r in mailings.summary(mailing.id, actor=world.rut).rows] == [marias.case_id]
    with pytest.raises(NotFound):
        mailings.summary(mailing.id, actor=world.outsider)

    rows, has_next = mailings.list_mailings(world.hanna)
    assert not has_next
    assert {(r.mailing.id, r.counts.no, r.counts.yes) for r in rows} == {(mailing.id, 1, 0), (more.id, 0, 1)}
    assert [r.id for r in mailings.case_mailings(marias.case_id)] == [marias.id]
