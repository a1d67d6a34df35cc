"""Retention (gallring, F-ES-8, F-JOB-3): each e-service's rules applied every night.

A rule says "cases in status S for N days are deleted" (or anonymised). A case is in
status S for N days when its status is S and its status last changed at least N days
before the time the job judges by (``now``; ``--now`` moves it).

- **delete**: the case goes with its files, messages, notes, subtasks and notifications
  (``cases.remove_case``, the same as a handler's deletion);
- **anonymise**: personal data and free text go (applicant, contact details, personnummer,
  text answers, messages, notes, files, subtasks), while what statistics need stays
  (e-service, version, status, dates, the answers to choice, yes/no and number questions);
- a rule that **requires approval** only proposes a destruction list; once the named
  approver (or an administrator) approves it, the next run carries it out.

Every case dealt with leaves a DeletionRecord without personal data (gallringslogg) and
an audit entry. A dry run lists what would go and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from flask_babel import gettext as _
from sqlalchemy import delete, func, select, update

from shared import clock, roles, storage
from shared.db import db, transactional
from shared.errors import NotAllowed, NotFound
from shared.forms import iter_questions
from shared.models import (
    Case,
    CaseEvent,
    DeletionRecord,
    DestructionList,
    DestructionListItem,
    DestructionListState,
    EService,
    OutboxMessage,
    PortalNotice,
    RetentionAction,
    RetentionRule,
    StaffUser,
    Subtask,
)
from shared.services import audit
from shared.services.cases import lock_case, record_removal, remove_case
from shared.services.jobs import JobReport

# Answers that are statistics rather than personal data or free text: kept by anonymisation.
STATISTICS_TYPES = frozenset({"single_choice", "multiple_choice", "yes_no", "number", "computed"})


def _cutoff(rule: RetentionRule, now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(days=rule.days)


def _covered(rule: RetentionRule, now: dt.datetime):
    conditions = [
        Case.eservice_id == rule.eservice_id,
        Case.status_id == rule.status_id,
        Case.status_changed_at <= _cutoff(rule, now),
        Case.is_test.is_(False),  # test runs (Testa e-tjänsten) are no records: the abandoned_tests job removes them
    ]
    if rule.action == RetentionAction.ANONYMISE:
        conditions.append(Case.anonymised_at.is_(None))
    return conditions


def _still_covered(case_id: int, rule: RetentionRule, now: dt.datetime) -> bool:
    """Whether a locked case still falls under the rule (it may have changed since it was listed)."""
    return db.session.scalar(select(Case.id).where(Case.id == case_id, *_covered(rule, now))) is not None


def _reason(rule: RetentionRule) -> str:
    return _("Retention rule %(id)d: %(status)s for %(days)d days", id=rule.id, status=rule.status.name, days=rule.days)


def anonymise_case(
    case: Case, *, reason: str, rule_id: int | None = None, approved_by_id: int | None = None
) -> DeletionRecord:
    """Remove a locked case's personal data and free text, keeping what statistics need; logged like a deletion; flushes."""
    keys = [d.storage_key for d in case.documents]
    record = record_removal(
        case, RetentionAction.ANONYMISE, reason=reason, rule_id=rule_id, approved_by_id=approved_by_id
    )
    keep = {q["id"] for _step, q in iter_questions(case.version.definition) if q.get("type") in STATISTICS_TYPES}
    case.answers = {qid: value for qid, value in (case.answers or {}).items() if qid in keep}
    case.citizen = None
    for column in (
        "contact_name",
        "contact_email",
        "contact_phone",
        "personnummer",
        "organisationsnummer",
        "applicant_name",
        "summary",
        "search_text",
        "external_number",
        "idempotency_key",
    ):
        setattr(case, column, None)
    case.anonymised_at = clock.now()
    for message in list(case.messages):
        db.session.delete(message)
    for note in list(case.notes):
        db.session.delete(note)
    for document in list(case.documents):
        db.session.delete(document)
    db.session.flush()
    db.session.execute(delete(Subtask).where(Subtask.case_id == case.id))
    db.session.execute(delete(PortalNotice).where(PortalNotice.case_id == case.id))
    db.session.execute(delete(OutboxMessage).where(OutboxMessage.case_id == case.id))
    # The history keeps what happened and when, not the particulars (names, file names).
    db.session.execute(update(CaseEvent).where(CaseEvent.case_id == case.id).values(data={}, actor_citizen_id=None))
    db.session.flush()
    for key in keys:
        storage.delete_after_commit(key)
    return record


@transactional
def _carry_out(case_id: int, rule_id: int, now: dt.datetime, *, approved_by_id: int | None = None) -> str | None:
    """Delete or anonymise one case under a rule; None when it no longer falls under it."""
    rule = db.session.get(RetentionRule, rule_id)
    try:
        case = lock_case(case_id)
    except NotFound:
        return None
    if rule is None or not _still_covered(case_id, rule, now):
        return None
    if rule.action == RetentionAction.ANONYMISE:
        anonymise_case(case, reason=_reason(rule), rule_id=rule.id, approved_by_id=approved_by_id)
        return "anonymised"
    remove_case(case, reason=_reason(rule), rule_id=rule.id, approved_by_id=approved_by_id)
    return "deleted"


@transactional
def _propose(rule: RetentionRule, case_ids: list[int]) -> DestructionList:
    proposal = DestructionList(rule_id=rule.id, state=DestructionListState.PROPOSED)
    proposal.items = [DestructionListItem(case_id=case_id) for case_id in case_ids]
    db.session.add(proposal)
    return proposal


def _already_listed(rule: RetentionRule):
    # A case on a list of this rule is not proposed again, whatever became of the list:
    # a rejected case stays until someone changes the rule.
    return (
        select(DestructionListItem.case_id)
        .join(DestructionList, DestructionList.id == DestructionListItem.list_id)
        .where(DestructionList.rule_id == rule.id)
    )


def _due(rule: RetentionRule, now: dt.datetime):
    """The cases a run at ``now`` deals with under the rule (a rule with approval: those not yet listed)."""
    query = select(Case.id, Case.number, Case.status_changed_at).where(*_covered(rule, now))
    if rule.requires_approval and rule.id is not None:  # an unsaved rule has no lists yet
        query = query.where(Case.id.not_in(_already_listed(rule)))
    return query


def cases_covered_count(rule: RetentionRule, now: dt.datetime) -> int:
    """How many cases a retention run at ``now`` would delete, anonymise or propose under the rule (preview, F-ES-8).

    The rule need not be saved: the builder's screen counts for a rule being edited.
    """
    return db.session.scalar(select(func.count()).select_from(_due(rule, now).subquery())) or 0


def _line(verb: str, rule: RetentionRule, eservice: str, row) -> str:
    values = {
        "number": row.number or "-",
        "eservice": eservice,
        "date": f"{clock.to_local(row.status_changed_at):%Y-%m-%d}",
        "rule": rule.id,
    }
    if verb == "propose":
        return _(
            "Case %(number)s (%(eservice)s, status since %(date)s) would be proposed for approval under rule %(rule)d",
            **values,
        )
    if verb == "anonymise":
        return _(
            "Case %(number)s (%(eservice)s, status since %(date)s) would be anonymised under rule %(rule)d", **values
        )
    return _("Case %(number)s (%(eservice)s, status since %(date)s) would be deleted under rule %(rule)d", **values)


def _eservice_name(rule: RetentionRule) -> str:
    eservice = db.session.get(EService, rule.eservice_id)
    return eservice.name if eservice is not None else ""


def run_retention(now: dt.datetime | None = None, *, dry_run: bool = False) -> JobReport:
    """Apply every enabled retention rule (delete, anonymise, or propose for approval) and carry out approved lists."""
    now = now or clock.now()
    counts: Counter = Counter()
    lines: list[str] = []
    rules = db.session.scalars(
        select(RetentionRule).where(RetentionRule.enabled.is_(True)).order_by(RetentionRule.id)
    ).all()
    for rule in rules:
        rows = db.session.execute(_due(rule, now).order_by(Case.status_changed_at, Case.id)).all()
        if not rows:
            continue
        if rule.requires_approval:
            if dry_run:
                lines += [_line("propose", rule, _eservice_name(rule), row) for row in rows]
                counts["would_propose"] += len(rows)
            else:
                _propose(rule, [row.id for row in rows])
                counts["proposed"] += len(rows)
            continue
        if dry_run:
            lines += [_line(str(rule.action), rule, _eservice_name(rule), row) for row in rows]
            counts["would_delete" if rule.action == RetentionAction.DELETE else "would_anonymise"] += len(rows)
            continue
        rule_id = rule.id
        for row in rows:  # one case per transaction: a run stopped halfway keeps what it did
            done = _carry_out(row.id, rule_id, now)
            if done:
                counts[done] += 1
    db.session.commit()
    _carry_out_approved(now, counts, lines, dry_run=dry_run)
    keys = (
        ("deleted", "anonymised", "proposed") if not dry_run else ("would_delete", "would_anonymise", "would_propose")
    )
    return JobReport(counts={key: counts.get(key, 0) for key in keys}, lines=lines)


def _carry_out_approved(now: dt.datetime, counts: Counter, lines: list[str], *, dry_run: bool) -> None:
    approved = db.session.scalars(
        select(DestructionList)
        .where(DestructionList.state == DestructionListState.APPROVED)
        .order_by(DestructionList.id)
    ).all()
    for proposal in approved:
        list_id, rule_id, approver = proposal.id, proposal.rule_id, proposal.decided_by_id
        case_ids = [item.case_id for item in proposal.items]
        if dry_run:
            lines.append(_("Approved destruction list %(id)d: %(count)d cases", id=list_id, count=len(case_ids)))
            counts["would_delete"] += len(case_ids)
            continue
        db.session.commit()
        for case_id in case_ids:
            done = _carry_out(case_id, rule_id, now, approved_by_id=approver) if rule_id is not None else None
            if done:
                counts[done] += 1
        _mark_executed(list_id)


@transactional
def _mark_executed(list_id: int) -> None:
    proposal = db.session.get(DestructionList, list_id)
    if proposal is not None and proposal.state == DestructionListState.APPROVED:
        proposal.state = DestructionListState.EXECUTED


@transactional
def decide_destruction_list(list_id: int, *, actor: StaffUser, approve: bool) -> DestructionList:
    """The rule's approver (or an administrator) approves or rejects a proposed destruction list."""
    proposal = db.session.get(DestructionList, list_id, with_for_update=True)
    if proposal is None:
        raise NotFound(_("The destruction list was not found."))
    rule = db.session.get(RetentionRule, proposal.rule_id) if proposal.rule_id is not None else None
    if not (actor.has_role(roles.ADMIN) or (rule is not None and rule.approver_id == actor.id)):
        raise NotAllowed(_("Only the rule's approver or an administrator may decide on the destruction list."))
    if proposal.state != DestructionListState.PROPOSED:
        raise NotAllowed(_("The destruction list has already been decided on."))
    proposal.state = DestructionListState.APPROVED if approve else DestructionListState.REJECTED
    proposal.decided_by_id = actor.id
    proposal.decided_at = clock.now()
    audit.record(
        "destruction_list_approved" if approve else "destruction_list_rejected",
        user=actor,
        obj=proposal,
        details={"rule": proposal.rule_id, "cases": len(proposal.items)},
    )
    return proposal


__all__ = ["anonymise_case", "cases_covered_count", "decide_destruction_list", "run_retention"]
