"""Testa e-tjänsten (F-ES-4): a builder or handler runs a version of an e-service in the portal, as an
applicant sees it, without making a real case.

The back office checks who asks (``access.require_tester``: a builder, an administrator, or a
handler linked to the e-service), writes an audit entry and hands out a signed link to the
portal that is good for ten minutes (``begin_test``). The portal opens it (``open_test``): a
TEST draft (``Case.is_test``) on exactly that version, whatever its state, kept in the visitor's
session like an anonymous visitor's draft. The normal application flow runs on it (steps,
files, conditions, summary). Skicka in checks everything as a real submission would and then
deletes the test draft with its files (``submit_test``): it is never numbered, nobody is
notified, no handler and no Mina sidor ever sees it. A test left half-way is deleted by the
hourly job (``delete_abandoned_tests``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from shared import clock, storage
from shared.db import db, transactional
from shared.errors import DomainError, Invalid, NotAllowed, NotFound
from shared.models import Case, CaseChannel, EService, EServiceVersion, StaffUser, StatusKind
from shared.services import access, audit
from shared.services.application import CONTACT_EMAIL, Applicant, SummarySection, load_draft, summary_sections
from shared.services.cases import _clean, _clean_contact, _status_of_kind, anonymous_allowed, lock_case
from shared.services.jobs import JobReport

TOKEN_SALT = "etjanst.eservice-test"
TOKEN_MAX_AGE = 10 * 60  # seconds: the link is for opening the test now, not for keeping
ABANDONED_AFTER = dt.timedelta(days=1)  # a test draft untouched this long is deleted by the hourly job


class InvalidTestLink(DomainError):
    """The test link was not made by the back office (changed by hand, cut short, or from another installation)."""

    code = "test_link_invalid"
    http_status = 400

    def __init__(self) -> None:
        super().__init__(_("The test link is not valid. Start the test again from the back office (Testa e-tjänsten)."))


class ExpiredTestLink(NotAllowed):
    """The test link is older than its ten minutes."""

    code = "test_link_expired"

    def __init__(self) -> None:
        super().__init__(
            _(
                "The test link is no longer valid: it works for %(minutes)d minutes. "
                "Start the test again from the back office (Testa e-tjänsten).",
                minutes=TOKEN_MAX_AGE // 60,
            )
        )


@dataclass(frozen=True)
class TrialReceipt:
    """What a test run's Skicka in shows: how the application would have looked. Nothing of it is kept."""

    eservice: EService
    version_number: int
    sections: list[SummarySection]
    contact_email: str | None


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)


def _version(eservice_id: int, version_id: int) -> EServiceVersion:
    version = db.session.get(EServiceVersion, version_id)
    if version is None or version.eservice_id != eservice_id:
        raise NotFound(_("The version does not exist."))
    return version


# -- the back office -----------------------------------------------------------------------


def testable_eservices(actor: StaffUser) -> list[EService]:
    """The e-services the staff user may test, by name (builders and administrators: all; handlers: their own)."""
    return list(db.session.scalars(access.testable_eservices(actor)))


def testable_versions(eservice_id: int, *, actor: StaffUser) -> tuple[EService, list[EServiceVersion]]:
    """One e-service the user may test and its versions, newest first."""
    eservice = db.session.get(EService, eservice_id)
    access.require_tester(actor, eservice)
    assert eservice is not None
    return eservice, sorted(eservice.versions, key=lambda v: v.number, reverse=True)


@transactional
def begin_test(eservice_id: int, version_id: int, *, actor: StaffUser) -> str:
    """Start a test of one version (Testa e-tjänsten): the signed, short-lived link to open it in the portal."""
    eservice = db.session.get(EService, eservice_id)
    access.require_tester(actor, eservice)
    version = _version(eservice_id, version_id)
    audit.record(
        "eservice_test_started",
        user=actor,
        obj=version,
        details={"eservice": eservice.name if eservice else "", "version": version.number},
    )
    return _serializer().dumps({"v": version.id, "u": actor.id})


def portal_path(token: str) -> str:
    """The portal's path that opens a test link."""
    return f"/testa/{token}"


def _read_token(token: str) -> tuple[int, int]:
    try:
        data = _serializer().loads(token, max_age=TOKEN_MAX_AGE)
    except SignatureExpired as error:
        raise ExpiredTestLink() from error
    except BadSignature as error:
        raise InvalidTestLink() from error
    version_id, user_id = (data.get("v"), data.get("u")) if isinstance(data, dict) else (None, None)
    if not isinstance(version_id, int) or not isinstance(user_id, int):
        raise InvalidTestLink()
    return version_id, user_id


# -- the portal ----------------------------------------------------------------------------


@transactional
def open_test(token: str) -> Case:
    """Open a test link in the portal: a new test draft on its version (the tester may still test it)."""
    version_id, user_id = _read_token(token)
    tester = db.session.get(StaffUser, user_id)
    version = db.session.get(EServiceVersion, version_id)
    if version is None:
        raise NotFound(_("The version does not exist."))
    eservice = version.eservice
    access.require_tester(tester, eservice)  # rights may have been taken away since the link was made
    assert tester is not None
    draft = Case(
        eservice=eservice,
        version=version,
        status=_status_of_kind(eservice, StatusKind.DRAFT),
        channel=CaseChannel.PORTAL,
        answers={},
        is_test=True,
    )
    db.session.add(draft)
    db.session.flush()
    audit.record(
        "eservice_test_opened",
        user=tester,
        case=draft,
        details={"eservice": eservice.name, "version": version.number},
    )
    return draft


def contact_asked_in_trial(eservice: EService) -> bool:
    """Whether the test's Skicka in asks for the receipt's e-mail address: as for an anonymous applicant, when
    the e-service may be used without e-ID (a logged-in applicant's address is known)."""
    return anonymous_allowed(eservice)


def _delete(draft: Case) -> int:
    keys = [d.storage_key for d in draft.documents]
    db.session.delete(draft)
    db.session.flush()
    for key in keys:
        storage.delete_after_commit(key)
    return len(keys)


def discard_test_drafts(*, version_id: int | None = None, status_id: int | None = None) -> int:
    """Delete the test drafts on a version or in a status that a builder deletes (they are never cases); flushes."""
    query = select(Case).where(Case.is_test.is_(True))
    if version_id is not None:
        query = query.where(Case.version_id == version_id)
    if status_id is not None:
        query = query.where(Case.status_id == status_id)
    drafts = db.session.scalars(query).all()
    for draft in drafts:
        _delete(draft)
    return len(drafts)


@transactional
def submit_test(draft_id: int, *, applicant: Applicant, contact_email: str | None = None) -> TrialReceipt:
    """Skicka in in test mode: check everything as a real submission would, then delete the test draft with its
    files and show how the application would have looked. Nothing is numbered, notified or kept."""
    draft = load_draft(draft_id, applicant)
    if not draft.is_test:
        raise access.case_not_found()
    draft = lock_case(draft.id)
    email = str(contact_email or "").strip()
    if contact_asked_in_trial(draft.eservice) and not email:
        message = _("Enter your e-mail address so that we can send you a receipt.")
        raise Invalid(message, errors={CONTACT_EMAIL: message})
    _clean(draft.version, dict(draft.answers or {}), draft, partial=False)  # Invalid: back to the step, as for real
    details = _clean_contact({"email": email} if email else None)
    receipt = TrialReceipt(
        eservice=draft.eservice,
        version_number=draft.version.number,
        sections=summary_sections(draft),
        contact_email=details["email"],
    )
    audit.record(
        "eservice_test_submitted",
        case=draft,
        details={"eservice": draft.eservice.name, "version": draft.version.number},
    )
    _delete(draft)
    return receipt


@transactional
def end_test(draft_id: int, *, applicant: Applicant) -> EService:
    """Stop a test run (Ta bort ansökan in test mode): the test draft goes with its files."""
    draft = load_draft(draft_id, applicant)
    if not draft.is_test:
        raise access.case_not_found()
    draft = lock_case(draft.id)
    eservice = draft.eservice
    audit.record("eservice_test_ended", case=draft, details={"eservice": eservice.name})
    _delete(draft)
    return eservice


# -- the hourly clean-up -------------------------------------------------------------------


def _abandoned(now: dt.datetime):
    return select(Case.id).where(Case.is_test.is_(True), Case.updated_at <= now - ABANDONED_AFTER)


@transactional
def _delete_one(case_id: int, now: dt.datetime) -> bool:
    try:
        draft = lock_case(case_id)
    except NotFound:
        return False
    if not draft.is_test or draft.updated_at > now - ABANDONED_AFTER:
        return False  # picked up again meanwhile
    _delete(draft)
    return True


def delete_abandoned_tests(now: dt.datetime | None = None, *, dry_run: bool = False) -> JobReport:
    """Delete test runs (Testa e-tjänsten) untouched for a day, with their files: an abandoned test leaves nothing."""
    now = now or clock.now()
    ids = list(db.session.scalars(_abandoned(now).order_by(Case.id)))
    if dry_run:
        return JobReport(counts={"would_delete_tests": len(ids)})
    deleted = sum(1 for case_id in ids if _delete_one(case_id, now))
    return JobReport(counts={"tests_deleted": deleted})


__all__ = [
    "TOKEN_MAX_AGE",
    "ExpiredTestLink",
    "InvalidTestLink",
    "TrialReceipt",
    "begin_test",
    "delete_abandoned_tests",
    "end_test",
    "open_test",
    "portal_path",
    "submit_test",
    "contact_asked_in_trial",
    "testable_eservices",
    "testable_versions",
]
