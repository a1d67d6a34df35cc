"""Retention rules per e-service (gallringsregler, F-ES-8): what the builder sets, checks and previews.

A rule says "cases in status S for N days are deleted (or anonymised)"; it may require
that a named person approves a destruction list first. The nightly job
(``shared.services.retention.run_retention``) applies the enabled rules; the preview here
counts with the job's own query (``retention.cases_covered_count``), so "N ärenden skulle
gallras i natt" is what the next run would deal with.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from shared import roles
from shared.db import db, transactional
from shared.errors import Invalid, NotFound
from shared.models import EService, RetentionAction, RetentionRule, StaffUser, Status
from shared.services import access, audit
from shared.services.retention import cases_covered_count

ACTION_LABELS = {
    RetentionAction.DELETE: _l("Delete"),
    RetentionAction.ANONYMISE: _l("Anonymise"),
}
MAX_DAYS = 36500  # a hundred years: anything longer is a typing mistake


@dataclass(frozen=True)
class RuleInput:
    """A rule as the builder typed it: text from the form, checked by ``parse_rule``."""

    status_id: str = ""
    days: str = ""
    action: str = RetentionAction.DELETE.value
    requires_approval: bool = False
    approver_id: str = ""
    enabled: bool = True

    @classmethod
    def of(cls, rule: RetentionRule) -> RuleInput:
        return cls(
            status_id=str(rule.status_id),
            days=str(rule.days),
            action=str(rule.action),
            requires_approval=bool(rule.requires_approval),
            approver_id=str(rule.approver_id or ""),
            enabled=bool(rule.enabled),
        )


@dataclass(frozen=True)
class RuleValues:
    """A checked rule."""

    status: Status
    days: int
    action: RetentionAction
    requires_approval: bool
    approver: StaffUser | None
    enabled: bool


@dataclass(frozen=True)
class RuleRow:
    """A rule in the list, with how many cases tonight's run would deal with under it."""

    rule: RetentionRule
    count: int | None  # None for a rule that is switched off
    approver_name: str = ""


def _eservice(eservice_id: int) -> EService:
    eservice = db.session.get(EService, eservice_id)
    if eservice is None:
        raise NotFound(_("The e-service was not found."))
    return eservice


def _rule(eservice: EService, rule_id: int) -> RetentionRule:
    rule = db.session.get(RetentionRule, rule_id)
    if rule is None or rule.eservice_id != eservice.id:
        raise NotFound(_("The retention rule was not found."))
    return rule


def statuses(eservice: EService) -> list[Status]:
    """The statuses a rule of the e-service may name: those of its status group, in order."""
    return list(eservice.status_group.statuses)


def approvers() -> list[StaffUser]:
    """The people who may approve destruction lists: active administrators, builders and handlers, by name."""
    people = db.session.scalars(
        select(StaffUser).where(StaffUser.active.is_(True)).order_by(StaffUser.first_name, StaffUser.last_name)
    ).all()
    return [p for p in people if p.has_role(*roles.ALL)]


def _number(text: str) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isdigit() and len(text) < 10 else None


def parse_rule(eservice: EService, data: RuleInput, *, rule_id: int | None = None) -> RuleValues:
    """Check a typed rule; Invalid with a Swedish message per field."""
    errors: dict[str, str] = {}
    status_id = _number(data.status_id)
    status = next((s for s in statuses(eservice) if s.id == status_id), None)
    if status is None:
        errors["status_id"] = _("Choose the status the rule applies to.")
    days = _number(data.days)
    if days is None or not 1 <= days <= MAX_DAYS:
        errors["days"] = _("Enter a whole number of days from 1 to %(max)d.", max=MAX_DAYS)
    try:
        action = RetentionAction(data.action)
    except ValueError:
        errors["action"] = _("Choose whether the cases are deleted or anonymised.")
        action = RetentionAction.DELETE
    approver = None
    if data.requires_approval:
        approver_id = _number(data.approver_id)
        approver = next((p for p in approvers() if p.id == approver_id), None)
        if approver is None:
            errors["approver_id"] = _("Choose who approves the destruction lists.")
    if status is not None and "action" not in errors:
        twin = db.session.scalar(
            select(RetentionRule.id).where(
                RetentionRule.eservice_id == eservice.id,
                RetentionRule.status_id == status.id,
                RetentionRule.action == action,
                RetentionRule.id != (rule_id or 0),
            )
        )
        if twin is not None:
            errors["status_id"] = _(
                "There is already a rule that %(action)s cases in status %(status)s. Change that rule instead.",
                action=str(ACTION_LABELS[action]).lower(),
                status=status.name,
            )
    if errors:
        raise Invalid(_("The retention rule was not saved. Correct the fields listed below."), errors=errors)
    return RuleValues(status, days, action, bool(data.requires_approval), approver, bool(data.enabled))


def _audit_values(rule: RetentionRule) -> dict[str, object]:
    approver = db.session.get(StaffUser, rule.approver_id) if rule.approver_id else None
    status = db.session.get(Status, rule.status_id)
    return {
        "status": status.name if status is not None else None,
        "days": rule.days,
        "action": str(rule.action),
        "requires_approval": bool(rule.requires_approval),
        "approver": approver.username if approver is not None else None,
        "enabled": bool(rule.enabled),
    }


def _audit(action: str, rule: RetentionRule, eservice: EService, actor: StaffUser, before, after) -> None:
    entry = audit.record_config_change(action, user=actor, obj=rule, before=before, after=after)
    if entry is not None:  # name the rule by its e-service, as the audit log lists it
        entry.details = {**entry.details, "name": _("%(eservice)s: retention rule", eservice=eservice.name)}


def _apply(rule: RetentionRule, values: RuleValues) -> None:
    rule.status_id = values.status.id
    rule.days = values.days
    rule.action = values.action
    rule.requires_approval = values.requires_approval
    rule.approver_id = values.approver.id if values.approver is not None else None
    rule.enabled = values.enabled


def retention_rules(eservice_id: int, *, actor: StaffUser, now: dt.datetime) -> tuple[EService, list[RuleRow]]:
    """The e-service's retention rules, each with the number of cases a run at ``now`` would deal with."""
    access.require_builder(actor)
    eservice = _eservice(eservice_id)
    rules = db.session.scalars(
        select(RetentionRule).where(RetentionRule.eservice_id == eservice.id).order_by(RetentionRule.id)
    ).all()
    rows = []
    for rule in rules:
        approver = db.session.get(StaffUser, rule.approver_id) if rule.approver_id else None
        count = cases_covered_count(rule, now) if rule.enabled else None
        rows.append(RuleRow(rule, count, approver.display_name if approver is not None else ""))
    return eservice, rows


def retention_rule(eservice_id: int, rule_id: int, *, actor: StaffUser) -> tuple[EService, RetentionRule]:
    """One rule of the e-service, for its edit form."""
    access.require_builder(actor)
    eservice = _eservice(eservice_id)
    return eservice, _rule(eservice, rule_id)


def rule_form(eservice_id: int, *, actor: StaffUser) -> EService:
    """The e-service a new rule is for (the builder may configure it)."""
    access.require_builder(actor)
    return _eservice(eservice_id)


def preview_rule(
    eservice_id: int, data: RuleInput, *, actor: StaffUser, now: dt.datetime, rule_id: int | None = None
) -> int:
    """How many cases a run at ``now`` would deal with under the typed rule, before it is saved (nothing changes)."""
    access.require_builder(actor)
    eservice = _eservice(eservice_id)
    if rule_id is not None:
        _rule(eservice, rule_id)
    values = parse_rule(eservice, data, rule_id=rule_id)
    # An unsaved copy: never added to the session, so nothing is written.
    draft = RetentionRule(id=rule_id, eservice_id=eservice.id)
    _apply(draft, values)
    return cases_covered_count(draft, now)


@transactional
def create_retention_rule(eservice_id: int, data: RuleInput, *, actor: StaffUser) -> RetentionRule:
    """Add a retention rule to the e-service (checked; audited)."""
    access.require_builder(actor)
    eservice = _eservice(eservice_id)
    values = parse_rule(eservice, data)
    rule = RetentionRule(eservice_id=eservice.id)
    _apply(rule, values)
    db.session.add(rule)
    db.session.flush()
    _audit("config_retention_rule_created", rule, eservice, actor, None, _audit_values(rule))
    return rule


@transactional
def update_retention_rule(eservice_id: int, rule_id: int, data: RuleInput, *, actor: StaffUser) -> RetentionRule:
    """Change a retention rule of the e-service (checked; audited with the changed fields)."""
    access.require_builder(actor)
    eservice = _eservice(eservice_id)
    rule = _rule(eservice, rule_id)
    values = parse_rule(eservice, data, rule_id=rule.id)
    before = _audit_values(rule)
    _apply(rule, values)
    db.session.flush()
    _audit("config_retention_rule_changed", rule, eservice, actor, before, _audit_values(rule))
    return rule


@transactional
def delete_retention_rule(eservice_id: int, rule_id: int, *, actor: StaffUser) -> None:
    """Remove a retention rule (its destruction lists stay, without their rule; audited)."""
    access.require_builder(actor)
    eservice = _eservice(eservice_id)
    rule = _rule(eservice, rule_id)
    _audit("config_retention_rule_deleted", rule, eservice, actor, _audit_values(rule), None)
    db.session.delete(rule)


def input_from_form(form: Mapping[str, str]) -> RuleInput:
    """The typed rule from a posted form (checkboxes are present only when ticked)."""
    return RuleInput(
        status_id=(form.get("status_id") or "").strip(),
        days=(form.get("days") or "").strip(),
        action=(form.get("action") or "").strip(),
        requires_approval=bool(form.get("requires_approval")),
        approver_id=(form.get("approver_id") or "").strip(),
        enabled=bool(form.get("enabled")),
    )


__all__ = [
    "ACTION_LABELS",
    "RuleInput",
    "RuleRow",
    "approvers",
    "create_retention_rule",
    "delete_retention_rule",
    "input_from_form",
    "parse_rule",
    "preview_rule",
    "retention_rule",
    "retention_rules",
    "rule_form",
    "statuses",
]
