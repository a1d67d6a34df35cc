"""Retention (gallring, F-JOB-3): exactly the cases a rule covers go, with everything on them; a record stays."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from cli import cli
from shared import clock, storage
from shared.db import db
from shared.errors import NotAllowed
from shared.models import (
    AuditEntry,
    Case,
    DeletionRecord,
    DestructionList,
    DocumentSource,
    InternalNote,
    Message,
    MessageDirection,
    RetentionAction,
    RetentionRule,
    StaffUser,
    StatusKind,
    Subtask,
    SubtaskMessage,
)
from shared.services import documents, retention
from tests import factories


def _full_case(world, eservice=None, *, status=StatusKind.COMPLETED, days_in_status: int, **kwargs) -> Case:
    """A case with everything that can hang on one: a file, messages, a note, a subtask with a message."""
    eservice = eservice or world.eservice
    case = factories.case(
        eservice,
        citizen=world.citizen,
        users=[world.hanna] if eservice is world.eservice else [],
        status_kind=status,
        status_changed_at=clock.now() - dt.timedelta(days=days_in_status),
        personnummer="198507099805",
        applicant_name="Maria Öljung",
        **kwargs,
    )
    documents.store_document(case, "intyg.pdf", factories.PDF_BYTES, "application/pdf", source=DocumentSource.APPLICANT)
    db.session.add(Message(case=case, direction=MessageDirection.FROM_APPLICANT, body="Min son heter Kalle."))
    db.session.add(InternalNote(case=case, body="Ringde mamman."))
    subtask = Subtask(case=case, title="Kolla adressen", deadline=clock.today(), responsible=world.hanna)
    subtask.messages.append(SubtaskMessage(body="Adressen stämmer."))
    db.session.add(subtask)
    db.session.flush()
    return case


def _rule(world, *, days=30, action=RetentionAction.DELETE, **kwargs) -> RetentionRule:
    rule = RetentionRule(
        eservice_id=world.eservice.id,
        status=factories.status(world.eservice, StatusKind.COMPLETED),
        days=days,
        action=action,
        **kwargs,
    )
    db.session.add(rule)
    db.session.flush()
    return rule


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_retention_deletes_exactly_the_covered_cases_with_time_travel(world, cli_env):
    _rule(world, days=30)
    old = _full_case(world, days_in_status=40)  # covered now
    recent = _full_case(world, days_in_status=10)  # covered 21 days from now
    still_open = _full_case(world, status=StatusKind.IN_PROGRESS, days_in_status=400)  # another status
    bygglov = factories.eservice("Bygglov 2", handlers=[world.outsider])
    elsewhere = _full_case(world, bygglov, days_in_status=400)  # an e-service without rules
    db.session.commit()
    kept = [still_open, elsewhere]
    kept_ids, kept_files = [c.id for c in kept], [d.storage_key for c in kept for d in c.documents]
    gone = {old.id: old.number, recent.id: recent.number}
    gone_files = [d.storage_key for c in (old, recent) for d in c.documents]
    in_25_days = (clock.to_local(clock.now()) + dt.timedelta(days=25)).strftime("%Y-%m-%dT%H:%M")

    dry = cli_env.invoke(cli, ["jobs", "run", "retention", "--now", in_25_days, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert str(old.number) in dry.output and str(recent.number) in dry.output
    assert str(still_open.number) not in dry.output and str(elsewhere.number) not in dry.output
    db.session.remove()
    assert _count(Case) == 4 and _count(DeletionRecord) == 0

    today = cli_env.invoke(cli, ["jobs", "run", "retention"])  # without time travel: only the old one
    assert today.exit_code == 0, today.output
    db.session.remove()
    assert db.session.get(Case, old.id) is None and db.session.get(Case, recent.id) is not None

    moved = cli_env.invoke(cli, ["jobs", "run", "retention", "--now", in_25_days])
    assert moved.exit_code == 0, moved.output
    db.session.remove()
    assert sorted(db.session.scalars(select(Case.id))) == sorted(kept_ids)
    # Everything that hung on the deleted cases went with them; the others' is all there.
    assert _count(Message) == _count(InternalNote) == _count(Subtask) == _count(SubtaskMessage) == 2
    assert not any(storage.exists(key) for key in gone_files)
    assert all(storage.exists(key) for key in kept_files)

    records = db.session.scalars(select(DeletionRecord).order_by(DeletionRecord.case_number)).all()
    assert sorted(r.case_number for r in records) == sorted(gone.values())
    for record in records:
        assert (record.eservice_name, record.status_name, record.action) == ("Skolskjuts", "Klart", "delete")
        assert record.rule_id is not None and record.documents_deleted == 1 and record.performed_by_id is None
        assert record.reason  # which rule, in words
        row_text = " ".join(str(getattr(record, c.key)) for c in DeletionRecord.__table__.columns)
        assert "Maria" not in row_text and "198507099805" not in row_text and "Kalle" not in row_text
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "case_deleted")).all()
    assert sorted(e.case_number for e in entries) == sorted(gone.values())

    again = cli_env.invoke(cli, ["jobs", "run", "retention", "--now", in_25_days])
    assert again.exit_code == 0 and "deleted=0" in again.output  # nothing left to do: idempotent
    db.session.remove()
    assert _count(DeletionRecord) == 2


def test_anonymisation_keeps_statistics_and_removes_personal_data_and_free_text(world):
    _rule(world, action=RetentionAction.ANONYMISE)
    case = _full_case(
        world,
        days_in_status=40,
        answers={"namn": "Kalle Anka", "personnummer": "19850709-9805", "skola": "alne", "ovrigt": "Allergi"},
    )
    db.session.commit()
    case_id, number, key = case.id, case.number, case.documents[0].storage_key

    report = retention.run_retention()

    assert report.counts["anonymised"] == 1
    db.session.remove()
    kept = db.session.get(Case, case_id)
    assert kept.number == number and kept.anonymised_at is not None
    assert kept.answers == {"skola": "alne"}  # the choice stays for statistics; the texts go
    assert (kept.citizen_id, kept.personnummer, kept.applicant_name, kept.search_text) == (None, None, None, None)
    assert _count(Message) == _count(InternalNote) == _count(Subtask) == 0 and not kept.documents
    assert not storage.exists(key)
    record = db.session.scalar(select(DeletionRecord))
    assert record.action == RetentionAction.ANONYMISE and record.case_number == number
    assert retention.run_retention().counts["anonymised"] == 0  # once


def test_a_rule_that_requires_approval_proposes_and_deletes_only_once_approved(world):
    rule = _rule(world, requires_approval=True, approver_id=world.olle.id)
    case = _full_case(world, days_in_status=40)
    db.session.commit()
    case_id, rule_id, hanna_id, olle_id = case.id, rule.id, world.hanna.id, world.olle.id

    assert retention.run_retention().counts == {"deleted": 0, "anonymised": 0, "proposed": 1}
    assert retention.run_retention().counts["proposed"] == 0  # proposed once
    db.session.remove()
    assert db.session.get(Case, case_id) is not None
    proposal = db.session.scalar(select(DestructionList))
    assert [i.case_id for i in proposal.items] == [case_id] and proposal.rule_id == rule_id

    with pytest.raises(NotAllowed):
        retention.decide_destruction_list(proposal.id, actor=db.session.get(StaffUser, hanna_id), approve=True)
    retention.decide_destruction_list(proposal.id, actor=db.session.get(StaffUser, olle_id), approve=True)
    assert retention.run_retention().counts["deleted"] == 1
    db.session.remove()
    assert db.session.get(Case, case_id) is None
    record = db.session.scalar(select(DeletionRecord))
    assert record.approved_by_id == olle_id and record.rule_id == rule_id
    assert str(db.session.scalar(select(DestructionList.state))) == "executed"


def test_dry_run_changes_nothing(world):
    _rule(world)
    _full_case(world, days_in_status=40)
    db.session.commit()

    report = retention.run_retention(dry_run=True)

    assert report.counts["would_delete"] == 1 and len(report.lines) == 1
    db.session.remove()
    assert _count(Case) == 1 and _count(DeletionRecord) == 0
