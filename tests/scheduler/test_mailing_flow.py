"""A mailing end to end (F-MAIL-1, F-MAIL-2, F-JOB-4): created and sent by a handler, delivered by
e-mail through a real SMTP server, answered Ja, Nej and not at all, then the deadline job run
through `etjanst jobs run mailing_deadlines --now …` moves only the case that did not answer, once."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from cli import cli
from shared import clock
from shared.db import db
from shared.models import Case, CaseEvent, Mailing, NotificationEvent, Recipient, StatusKind
from shared.notify import dispatch
from shared.services import mailings
from tests import factories


def _asked(world):
    olga = factories.citizen("196408233234", first_name="Olga", last_name="Ek", email="olga@example.org")
    nils = factories.citizen("200001012384", first_name="Nils", last_name="Holm", email="nils@example.org")
    queue = factories.status(world.eservice, StatusKind.IN_PROGRESS)
    removed = factories.status(world.eservice, StatusKind.ARCHIVED)
    yes_case = factories.case(world.eservice, citizen=world.citizen, status_kind=queue.kind)
    no_case = factories.case(world.eservice, citizen=olga, status_kind=queue.kind)
    silent_case = factories.case(world.eservice, citizen=nils, status_kind=queue.kind)
    factories.setting(world.eservice, NotificationEvent.STATUS_CHANGED, Recipient.APPLICANT)
    db.session.commit()
    mailing = mailings.create_mailing(
        mailings.Draft(
            criteria={"eservice_id": world.eservice.id, "status_ids": [queue.id]},
            channel="email",
            subject="Vill du stå kvar i kön, {namn}?",
            body="Hej! En gång per år frågar vi alla i kön.",
            question="Vill du behålla din köplats?",
            answer_days="30",
            no_answer_status_id=str(removed.id),
        ),
        actor=world.hanna,
    )
    return mailing, (yes_case, no_case, silent_case), (world.citizen, olga, nils), removed


def test_the_mailing_reaches_each_applicant_by_email_with_a_link(world, app, smtp_server):
    mailing, cases, _people, _removed = _asked(world)

    report = dispatch.dispatch_due()

    assert report.counts["sent"] == 3
    smtp_server.wait_for(3)
    by_address = {str(m["To"]): m for m in smtp_server.messages}
    assert set(by_address) == {"maria@example.org", "olga@example.org", "nils@example.org"}
    olgas = by_address["olga@example.org"]
    assert olgas["Subject"] == "Vill du stå kvar i kön, Olga Ek?"
    content = olgas.get_content()
    deadline = mailing.answer_deadline.isoformat()
    assert "En gång per år frågar vi alla i kön." in content and "Vill du behålla din köplats?" in content
    assert f"senast {deadline}: {app.config['PORTAL_URL']}/mina-sidor/arenden/{cases[1].id}" in content


def test_at_the_deadline_only_the_case_without_an_answer_moves_once(world, cli_env):
    mailing, (yes_case, no_case, silent_case), (maria, olga, _nils), removed = _asked(world)
    mailings.answer(_recipient(mailing, yes_case).id, "yes", citizen=maria)
    mailings.answer(_recipient(mailing, no_case).id, "no", citizen=olga)
    before = {c.id: c.status_id for c in (yes_case, no_case, silent_case)}
    on_the_last_day = f"{mailing.answer_deadline.isoformat()}T23:00"
    the_day_after = f"{(mailing.answer_deadline + dt.timedelta(days=1)).isoformat()}T01:00"

    early = cli_env.invoke(cli, ["jobs", "run", "mailing_deadlines", "--now", on_the_last_day])
    assert early.exit_code == 0, early.output
    assert _statuses() == before

    result = cli_env.invoke(cli, ["jobs", "run", "mailing_deadlines", "--now", the_day_after])

    assert result.exit_code == 0, result.output
    assert "moved=1" in result.output
    after = _statuses()
    assert after[silent_case.id] == removed.id
    assert after[yes_case.id] == before[yes_case.id] and after[no_case.id] == before[no_case.id]
    moved = db.session.scalars(select(CaseEvent).where(CaseEvent.kind == "status_changed")).all()
    assert [e.case_id for e in moved] == [silent_case.id] and moved[0].data["no_answer"] is True
    assert db.session.get(Mailing, mailing.id).no_answer_ran_at is not None
    summary = mailings.summary(mailing.id, actor=world.hanna)
    assert (summary.counts.yes, summary.counts.no, summary.counts.unanswered, summary.no_answer_done) == (1, 1, 1, 1)

    again = cli_env.invoke(cli, ["jobs", "run", "mailing_deadlines", "--now", the_day_after])
    assert again.exit_code == 0 and "moved=0" in again.output
    assert _statuses() == after
    assert len(db.session.scalars(select(CaseEvent).where(CaseEvent.kind == "status_changed")).all()) == 1
    assert clock.today() <= mailing.answer_deadline  # the real clock never moved


def _recipient(mailing, case):
    return next(r for r in mailing.recipients if r.case_id == case.id)


def _statuses() -> dict[int, int]:
    db.session.expire_all()
    return dict(db.session.execute(select(Case.id, Case.status_id)).all())
