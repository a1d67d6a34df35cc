"""Bulk actions on the cases a handler checked in the overview (F-LIST-5).

Each bulk action is one unit of work that calls the single-case service for every case
(take_case, change_status, assign_case, set_colour): those check access, write the history,
the audit log and the notifications, and join this outer transaction. A case the service
refuses is reported with its reason and the others go ahead: the single-case services
raise before they change anything, so a refused case leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal

from flask_babel import gettext as _

from shared.db import db, transactional
from shared.errors import DomainError, Invalid
from shared.models import Case, EServiceVersion, StaffUser, Status, StatusKind
from shared.services import access, cases

# More than a few pages' worth at once is not a handler's click but a script's.
MAX_CASES = 1000


@dataclass
class BulkOutcome:
    """What a bulk action did: the case numbers done, those refused (with why), and how many were not found."""

    done: list[int] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)
    missing: int = 0

    @property
    def ok(self) -> bool:
        return not self.failed and not self.missing


def case_ids_from(values: Iterable[object]) -> list[int]:
    """The checked cases' ids from a form (repeated case_id), each once, in order; junk is dropped."""
    ids: list[int] = []
    for value in values:
        text = str(value).strip()
        if text.isdigit():
            ids.append(int(text))
    return list(dict.fromkeys(ids))


def chosen_cases(case_ids: Iterable[int], *, actor: StaffUser) -> tuple[list[Case], int]:
    """The checked cases the actor may see, by number, and how many of the ids were not found."""
    ids = list(dict.fromkeys(int(i) for i in case_ids))
    if not ids:
        raise Invalid(_("Check at least one case first."))
    if len(ids) > MAX_CASES:
        raise Invalid(_("Choose at most %(max)s cases at a time.", max=MAX_CASES))
    found = list(db.session.scalars(access.visible_cases(actor).where(Case.id.in_(ids)).order_by(Case.number, Case.id)))
    return found, len(ids) - len(found)


def _each(case_ids: Iterable[int], actor: StaffUser, action: Callable[[Case], object]) -> BulkOutcome:
    found, missing = chosen_cases(case_ids, actor=actor)
    outcome = BulkOutcome(missing=missing)
    for case in found:
        number = case.number
        try:
            action(case)
        except DomainError as error:
            outcome.failed.append((number, error.message))
        else:
            outcome.done.append(number)
    return outcome


@transactional
def take_cases(case_ids: Iterable[int], *, actor: StaffUser) -> BulkOutcome:
    """Take the checked cases (ta ärenden); a case another person holds is left to them and reported."""
    return _each(case_ids, actor, lambda case: cases.take_case(case.id, actor=actor))


@dataclass
class StatusChoice:
    """The checked cases for a bulk status change, their one e-service version and its statuses."""

    cases: list[Case]
    version: EServiceVersion
    statuses: list[Status]
    missing: int


def one_version_or_invalid(found: list[Case]) -> EServiceVersion:
    """The e-service version every case shares; Invalid when they came in through different ones."""
    versions = {case.version_id for case in found}
    if len(versions) != 1:
        raise Invalid(
            _(
                "The status of several cases can only be changed together when they came in through the same "
                "version of the e-service. Uncheck cases until all are from one version."
            )
        )
    return found[0].version


def status_choice(case_ids: Iterable[int], *, actor: StaffUser) -> StatusChoice:
    """What the bulk status change offers for the checked cases (refused unless they share one version)."""
    found, missing = chosen_cases(case_ids, actor=actor)
    if not found:
        raise access.case_not_found()
    version = one_version_or_invalid(found)
    statuses = [s for s in version.eservice.status_group.statuses if s.kind != StatusKind.DRAFT]
    return StatusChoice(cases=found, version=version, statuses=statuses, missing=missing)


@transactional
def change_status_of_cases(
    case_ids: Iterable[int], status_id: int, *, actor: StaffUser, notify_applicant: bool
) -> BulkOutcome:
    """Change the status of the checked cases, which must share one e-service version (F-LIST-5);
    the handler chooses whether the applicants are told."""
    found, missing = chosen_cases(case_ids, actor=actor)
    if not found:
        raise access.case_not_found()
    one_version_or_invalid(found)
    status = db.session.get(Status, status_id)
    if status is None or status.group_id != found[0].eservice.status_group_id or status.kind == StatusKind.DRAFT:
        raise Invalid(_("The status does not belong to this e-service."), errors={"status_id": _("Choose a status.")})
    outcome = BulkOutcome(missing=missing)
    for case in found:
        number = case.number
        try:
            cases.change_status(case.id, status.id, actor=actor, notify_applicant=notify_applicant)
        except DomainError as error:
            outcome.failed.append((number, error.message))
        else:
            outcome.done.append(number)
    return outcome


@transactional
def assign_cases(
    case_ids: Iterable[int],
    *,
    actor: StaffUser,
    user_ids: Iterable[int] = (),
    group_ids: Iterable[int] = (),
    mode: Literal["replace", "add"] = "replace",
) -> BulkOutcome:
    """Change (replace) or add handlers and/or groups on the checked cases; each must be handler of the case's e-service."""
    user_ids, group_ids = list(user_ids), list(group_ids)
    if not user_ids and not group_ids:
        raise Invalid(_("Choose a handler or a group."), errors={"assignee": _("Choose a handler or a group.")})
    if mode not in ("replace", "add"):
        raise Invalid(_("Choose whether to replace the handlers or add to them."))
    return _each(
        case_ids,
        actor,
        lambda case: cases.assign_case(case.id, actor=actor, user_ids=user_ids, group_ids=group_ids, mode=mode),
    )


@transactional
def colour_cases(case_ids: Iterable[int], colour: str | None, *, actor: StaffUser) -> BulkOutcome:
    """Colour-mark the checked cases (None or "" removes the mark); each e-service has its own colours."""
    return _each(case_ids, actor, lambda case: cases.set_colour(case.id, colour, actor=actor))


__all__ = [
    "BulkOutcome",
    "StatusChoice",
    "assign_cases",
    "case_ids_from",
    "change_status_of_cases",
    "chosen_cases",
    "colour_cases",
    "one_version_or_invalid",
    "status_choice",
    "take_cases",
]
