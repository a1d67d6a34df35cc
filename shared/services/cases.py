"""The life cycle of a case (ärende): draft, submit, take, assign, status, edit, delete.

Every public function here is one unit of work (@transactional): it checks access through
shared.services.access, changes the rows, writes the case history and the audit log,
queues the notifications the e-service's settings ask for, and commits once.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, BinaryIO, Literal

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.util import identity_key

from shared import clock, forms, notify, storage
from shared.db import db, is_postgresql, transactional
from shared.errors import AlreadyTaken, DomainError, Invalid, NotAllowed, NotFound
from shared.models import (
    AssignmentRule,
    Case,
    CaseChannel,
    CaseFlag,
    CaseHandler,
    Citizen,
    Counter,
    DeletionRecord,
    Document,
    DocumentSource,
    EService,
    EServiceVersion,
    HandlerGroup,
    Message,
    MessageDirection,
    NotificationEvent,
    OutboxMessage,
    RetentionAction,
    StaffUser,
    Status,
    StatusKind,
    normalize_personnummer,
)
from shared.services import access, audit, citizens, documents, events, subtasks, users

CASE_NUMBER_COUNTER = "case_number"
Upload = tuple[str, bytes | BinaryIO, str]  # (file name, bytes or stream, content type the browser gave)
SUMMARY_MAX = 500
_YES = {"true", "ja", "yes", "1", "j", "y"}
_NO = {"false", "nej", "no", "0", "n"}


# -- helpers (flush, never commit) -------------------------------------------------------


_RAISE = object()
_LOCKED = "etjanst_locked_cases"  # session.info: the cases locked by the transaction under way


def lock_case(case_id: int, *, options: Sequence[Any] = (), missing: Any = _RAISE) -> Case:
    """Load the case with its row locked until commit (SELECT … FOR UPDATE; SQLite's write lock serialises).

    A case locked earlier in the same transaction is not read again: the lock has kept it
    as this transaction left it (the portal locks a draft where it loads it, and the saving
    locks it again). ``options``: loader options for the statement; ``missing``: returned
    instead of raising NotFound when there is no such case.
    """
    session = db.session()  # the scoped session's session of this context
    transaction = session.get_transaction()
    locked = session.info.get(_LOCKED)
    if transaction is not None and locked is not None and locked[0] is transaction and case_id in locked[1]:
        case = session.identity_map.get(identity_key(Case, case_id))
        if case is not None:
            return case
    if not is_postgresql():
        # SQLite ignores FOR UPDATE. A no-op write takes the database's write lock now, so a
        # second taker waits here and then reads the first one's result, instead of both
        # reading "unassigned" and the later one failing with "database is locked".
        session.execute(text("UPDATE cases SET id = id WHERE id = :id"), {"id": case_id})
    case = session.execute(
        select(Case)
        .where(Case.id == case_id)
        .options(*options)
        .with_for_update(of=Case)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if case is None:
        if missing is not _RAISE:
            return missing
        raise access.case_not_found()
    transaction = session.get_transaction()
    if locked is None or locked[0] is not transaction:
        locked = session.info[_LOCKED] = (transaction, set())
    locked[1].add(case_id)
    return case


def _touch(case: Case, user: StaffUser | None = None) -> None:
    case.updated_at = clock.now()
    case.updated_by_id = user.id if user is not None else None


def _eservice(eservice_id: int) -> EService:
    eservice = db.session.get(EService, eservice_id)
    if eservice is None:
        raise NotFound(_("The e-service was not found."))
    return eservice


def _open_eservice(eservice_id: int) -> EService:
    eservice = _eservice(eservice_id)
    if not eservice.enabled:
        raise NotAllowed(_("The e-service %(name)s is not open for applications.", name=eservice.name))
    return eservice


def require_published_version(eservice: EService) -> EServiceVersion:
    """The version new applicants get; NotAllowed while none is published."""
    version = eservice.published_version
    if version is None:
        raise NotAllowed(_("The e-service %(name)s is not open for applications.", name=eservice.name))
    return version


def anonymous_allowed(eservice: EService) -> bool:
    """Whether the e-service may be used without logging in with e-ID."""
    return bool(eservice.anonymous_allowed or not eservice.login_required)


def _status_of_kind(eservice: EService, kind: StatusKind) -> Status:
    status = eservice.status_group.first_of_kind(kind)
    if status is None:
        raise DomainError(
            _(
                "The status group of the e-service has no status of kind %(kind)s. Ask the e-service builder to add one.",
                kind=kind.value,
            )
        )
    return status


def _next_case_number() -> int:
    """The next ärendenummer: the counter row is incremented in place, which locks it until commit.

    An UPDATE … RETURNING takes the row lock on PostgreSQL (as SELECT … FOR UPDATE would)
    and SQLite's write lock, so two submissions can never read the same value — a plain
    SELECT … FOR UPDATE is a no-op on SQLite and would not be enough there.
    """
    bump = (
        update(Counter)
        .where(Counter.name == CASE_NUMBER_COUNTER)
        .values(value=Counter.value + 1)
        .returning(Counter.value)
        .execution_options(synchronize_session=False)
    )
    number = db.session.execute(bump).scalar_one_or_none()
    if number is None:
        # First case ever (or the counter was lost): start after the highest number given.
        start = db.session.scalar(select(func.coalesce(func.max(Case.number), 0)))
        insert = pg_insert if is_postgresql() else sqlite_insert
        db.session.execute(
            insert(Counter)
            .values(name=CASE_NUMBER_COUNTER, value=start)
            .on_conflict_do_nothing(index_elements=["name"])
        )
        number = db.session.execute(bump).scalar_one()
    return int(number)


def _digits(value: Any) -> str:
    return re.sub(r"[^0-9]", "", str(value or ""))


def first_answer(definition: Mapping[str, Any], answers: Mapping[str, Any], question_type: str) -> Any:
    """The first non-empty answer to a question of the given type (e-mail, phone …), or None."""
    for _step, question in forms.iter_questions(definition):
        if question.get("type") == question_type and answers.get(question.get("id")):
            return answers[question["id"]]
    return None


def _set_derived(case: Case, definition: Mapping[str, Any], answers: Mapping[str, Any]) -> None:
    """Summary, search text and the denormalised identity numbers, from the answers."""
    pairs = forms.summarize(definition, answers, case.eservice.summary_fields or [])
    summary = " · ".join(f"{label}: {text}" for label, text in pairs)
    case.summary = (summary[: SUMMARY_MAX - 1] + "…" if len(summary) > SUMMARY_MAX else summary) or None
    case.search_text = forms.answers_text(definition, answers) or None
    if case.citizen is not None:
        case.personnummer = case.citizen.personnummer
    else:
        case.personnummer = _digits(first_answer(definition, answers, "personnummer"))[:12] or None
    case.organisationsnummer = _digits(first_answer(definition, answers, "organisationsnummer"))[-10:] or None


def _file_question_ids(definition: Mapping[str, Any]) -> list[str]:
    return [q["id"] for _step, q in forms.iter_questions(definition) if q.get("type") == "file"]


def form_attachments(case: Case | None) -> list[Document]:
    """The files the applicant attached to the form's questions (not those of messages)."""
    if case is None or case.id is None:
        return []
    return [
        d
        for d in case.documents
        if d.source == DocumentSource.APPLICANT and not d.is_supplement and d.message_id is None
    ]


def _plain_answers(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The raw answers as a plain dict; a form's repeated field (request.form) keeps every value."""
    # dict(request.form) would keep only the first value of each field, dropping all but
    # one choice of a multiple-choice question.
    getlist = getattr(raw, "getlist", None)
    if not callable(getlist):
        return dict(raw)
    plain: dict[str, Any] = {}
    for key in raw:
        values = getlist(key)
        plain[key] = values[0] if len(values) == 1 else values
    return plain


def _resolve_file_answers(
    definition: Mapping[str, Any], raw: Mapping[str, Any], owned: Iterable[Document]
) -> dict[str, Any]:
    """File answers as the server knows them: each must name a document of this case; the name,
    size and type are taken from the stored document, not from what the browser sent."""
    if not isinstance(raw, Mapping):
        raise Invalid(_("The answers could not be read."))
    resolved = _plain_answers(raw)
    by_id = {d.id: d for d in owned}
    errors: dict[str, str] = {}
    for question_id in _file_question_ids(definition):
        value = raw.get(question_id)
        if value in (None, "", []):
            continue
        items = [value] if isinstance(value, Mapping) else value
        if not isinstance(items, list | tuple):
            continue  # the form engine reports the shape
        descriptors = []
        for item in items:
            document_id = item.get("document_id") if isinstance(item, Mapping) else None
            document = by_id.get(document_id) if isinstance(document_id, int) else None
            if document is None:
                errors[question_id] = _("The attached file was not found. Attach it again.")
                break
            descriptors.append(document.descriptor())
        resolved[question_id] = descriptors
    if errors:
        raise Invalid(_("There is an error in the form."), errors=errors)
    return resolved


def _link_file_answers(case: Case, definition: Mapping[str, Any], answers: Mapping[str, Any]) -> list[Document]:
    """Mark each form attachment with its question; return the attachments no answer refers to any more."""
    referenced: dict[int, str] = {}
    for question_id in _file_question_ids(definition):
        for item in answers.get(question_id) or ():
            referenced[item["document_id"]] = question_id
    unreferenced = []
    for document in form_attachments(case):
        document.question_id = referenced.get(document.id)
        if document.question_id is None:
            unreferenced.append(document)
    return unreferenced


def _clean(version: EServiceVersion, raw: Mapping[str, Any], case: Case | None, *, partial: bool) -> dict[str, Any]:
    resolved = _resolve_file_answers(version.definition, raw, form_attachments(case))
    return forms.clean_answers(version.definition, resolved, partial=partial)


def _clean_contact(contact: Mapping[str, Any] | None) -> dict[str, str | None]:
    contact = contact or {}
    limits = {"name": 200, "email": 320, "phone": 32}
    cleaned: dict[str, str | None] = {}
    errors: dict[str, str] = {}
    for field, limit in limits.items():
        value = " ".join(str(contact.get(field) or "").split())
        if len(value) > limit:
            errors[f"contact_{field}"] = _("Enter at most %(max)s characters.", max=limit)
        cleaned[field] = value or None
    email = cleaned["email"]
    if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        errors["contact_email"] = _("Enter a valid e-mail address.")
    if errors:
        raise Invalid(_("There is an error in the contact details."), errors=errors)
    return cleaned


def _find_or_create_citizen(personnummer: str) -> Citizen:
    return citizens.find_or_create_citizen(personnummer)


def _names(items: Iterable[StaffUser | HandlerGroup]) -> list[str]:
    return [item.display_name if isinstance(item, StaffUser) else item.name for item in items]


def _add_assignees(
    case: Case, persons: Iterable[StaffUser], groups: Iterable[HandlerGroup], *, by: StaffUser | None
) -> tuple[list[StaffUser], list[HandlerGroup]]:
    """Put persons and groups on the case (those not on it already); return the ones added."""
    have_users = {h.user_id for h in case.handlers if h.user_id is not None}
    have_groups = {h.group_id for h in case.handlers if h.group_id is not None}
    added_users = [u for u in dict.fromkeys(persons) if u.id not in have_users]
    added_groups = [g for g in dict.fromkeys(groups) if g.id not in have_groups]
    for user in added_users:
        case.handlers.append(CaseHandler(user=user, assigned_by_id=by.id if by is not None else None))
    for group in added_groups:
        case.handlers.append(CaseHandler(group=group, assigned_by_id=by.id if by is not None else None))
    case.assigned = bool(case.handlers)
    return added_users, added_groups


def _remove_assignees(case: Case, keep: Any) -> tuple[list[StaffUser], list[HandlerGroup]]:
    """Take off the case every handler row for which keep(row) is false; return who was removed."""
    removed = [h for h in case.handlers if not keep(h)]
    for row in removed:
        case.handlers.remove(row)
    case.assigned = bool(case.handlers)
    db.session.flush()  # deletes before any insert of the same person (unique per case)
    return [h.user for h in removed if h.user is not None], [h.group for h in removed if h.group is not None]


def _assignable(eservice_id: int, persons: Iterable[StaffUser], groups: Iterable[HandlerGroup]) -> tuple[list, list]:
    """Keep the persons and groups who are (still) handlers of the e-service."""
    handler_ids = {u.id for u in users.handlers_for_eservice(eservice_id)}
    group_ids = {g.id for g in users.groups_for_eservice(eservice_id)}
    return [p for p in persons if p.id in handler_ids], [g for g in groups if g.id in group_ids]


def _answer_matches(value: Any, expected: str) -> bool:
    expected = expected.strip()
    if isinstance(value, list):
        return any(_answer_matches(v, expected) for v in value)
    if isinstance(value, bool):
        return expected.lower() in (_YES if value else _NO)
    return value is not None and str(value).strip().casefold() == expected.casefold()


def _auto_assignees(case: Case) -> tuple[list[StaffUser], list[HandlerGroup], AssignmentRule | None]:
    """F-ES-9: the first rule (in order) whose answer matches, else the e-service's default handler/group."""
    eservice = case.eservice
    for rule in eservice.assignment_rules:
        if not _answer_matches(case.answers.get(rule.question_id), rule.answer_value):
            continue
        persons, groups = _assignable(eservice.id, [rule.user] if rule.user else [], [rule.group] if rule.group else [])
        if persons or groups:
            return persons, groups, rule
    persons, groups = _assignable(
        eservice.id,
        [eservice.default_handler] if eservice.default_handler else [],
        [eservice.default_group] if eservice.default_group else [],
    )
    return persons, groups, None


def _notify_assigned(
    case: Case, persons: Sequence[StaffUser], groups: Sequence[HandlerGroup], *, actor: StaffUser | None
) -> None:
    if persons:
        notify.queue(case, NotificationEvent.ASSIGNED, actor=actor, recipients_override=list(persons))
    if groups:
        notify.queue(case, NotificationEvent.GROUP_ASSIGNED, actor=actor, recipients_override=list(groups))


# -- drafts and submission ---------------------------------------------------------------


def _own_draft(draft_id: int, eservice: EService, citizen: Citizen | None) -> Case:
    draft = lock_case(draft_id)
    if citizen is not None:
        access.require_citizen(citizen, "view", draft)
    else:
        denial = access.anonymous_draft_denial(draft)
        if denial is not None:
            raise denial
    if draft.eservice_id != eservice.id:
        raise access.case_not_found()
    return draft


@transactional
def save_draft(
    eservice_id: int, raw_answers: Mapping[str, Any], *, citizen: Citizen | None = None, draft_id: int | None = None
) -> Case:
    """Save an application to continue later (Sparat): checked as far as it is filled in, no case number yet."""
    # An anonymous applicant's draft (citizen None) is found again only by its id, which the
    # portal must keep in the applicant's signed session (never take it from the URL).
    if draft_id is not None and citizen is None:
        found = db.session.get(Case, draft_id)
        if found is not None and found.is_test:
            return _save_test_draft(eservice_id, raw_answers, draft_id)
    eservice = _open_eservice(eservice_id)
    if citizen is None and not anonymous_allowed(eservice):
        raise NotAllowed(_("Log in with e-ID to use this e-service."))
    draft = _own_draft(draft_id, eservice, citizen) if draft_id is not None else None
    if draft is not None and not draft.is_draft:
        raise NotAllowed(_("The application has already been submitted."))
    version = draft.version if draft is not None else require_published_version(eservice)
    answers = _clean(version, raw_answers, draft, partial=True)
    if draft is None:
        draft = Case(
            eservice=eservice,
            version=version,
            status=_status_of_kind(eservice, StatusKind.DRAFT),
            citizen=citizen,
            channel=CaseChannel.PORTAL,
            answers=answers,
            applicant_name=(citizen.full_name or None) if citizen is not None else None,
        )
        db.session.add(draft)
        db.session.flush()
        events.record(draft, "draft_created", citizen=citizen)
        audit.record("draft_created", citizen=citizen, case=draft)
    else:
        draft.answers = answers
        audit.record("draft_saved", citizen=citizen, case=draft)
    _link_file_answers(draft, version.definition, answers)
    _touch(draft)
    return draft


def _save_test_draft(eservice_id: int, raw_answers: Mapping[str, Any], draft_id: int) -> Case:
    """Save a test run's answers (Testa e-tjänsten): on its own version, whatever that version's state and
    whether the e-service is open or needs e-ID; the portal has checked that the session started this test."""
    draft = lock_case(draft_id)
    if not draft.is_test or not draft.is_draft or draft.eservice_id != eservice_id:
        raise access.case_not_found()
    answers = _clean(draft.version, raw_answers, draft, partial=True)
    draft.answers = answers
    _link_file_answers(draft, draft.version.definition, answers)
    _touch(draft)
    return draft


def _existing_submission(idempotency_key: str) -> Case | None:
    return db.session.scalar(select(Case).where(Case.idempotency_key == idempotency_key))


def _same_submitter(case: Case, eservice_id: int, citizen: Citizen | None, actor: StaffUser | None) -> bool:
    if case.eservice_id != eservice_id or case.number is None:
        return False
    if actor is not None:
        return case.submitted_by_id == actor.id
    return case.citizen_id == (citizen.id if citizen is not None else None)


def _idempotency_key(value: str | None) -> str | None:
    key = (value or "").strip() or None
    if key is not None and len(key) > 64:
        raise Invalid(_("The form could not be sent. Reload the page and try again."))
    return key


def _once(
    key: str | None, eservice_id: int, citizen: Citizen | None, actor: StaffUser | None, submit: Callable[[], Case]
) -> Case:
    """Run a submission; when the same form was sent twice at the same moment, return the winner's case."""
    # The loser's insert breaks the unique idempotency key; its transaction is then rolled
    # back and, outside it, the winner's case is returned.
    nested = bool(db.session.info.get("etjanst_tx_depth"))
    try:
        return submit()
    except IntegrityError:
        if key is None or nested:
            raise
        existing = _existing_submission(key)
        if existing is not None and _same_submitter(existing, eservice_id, citizen, actor):
            return existing
        raise


def submit_case(
    eservice_id: int,
    raw_answers: Mapping[str, Any],
    *,
    citizen: Citizen | None = None,
    contact: Mapping[str, Any] | None = None,
    actor: StaffUser | None = None,
    personnummer: str | None = None,
    draft_id: int | None = None,
    idempotency_key: str | None = None,
    channel: CaseChannel = CaseChannel.PORTAL,
) -> Case:
    """Submit an application (skicka in): validate, give it a number, assign it and notify; a repeated submit gives the same case."""
    # Not @transactional itself: the unit of work is _submit_case (see _once).
    key = _idempotency_key(idempotency_key)
    return _once(
        key,
        eservice_id,
        citizen,
        actor,
        lambda: _submit_case(
            eservice_id,
            raw_answers,
            citizen=citizen,
            contact=contact,
            actor=actor,
            personnummer=personnummer,
            draft_id=draft_id,
            idempotency_key=key,
            channel=channel,
        ),
    )


@transactional
def _submit_case(
    eservice_id: int,
    raw_answers: Mapping[str, Any],
    *,
    citizen: Citizen | None,
    contact: Mapping[str, Any] | None,
    actor: StaffUser | None,
    personnummer: str | None,
    draft_id: int | None,
    idempotency_key: str | None,
    channel: CaseChannel,
    holder: Case | None = None,
) -> Case:
    # holder: the unnumbered case that a manual add's uploaded files were stored on.
    if idempotency_key is not None:
        existing = _existing_submission(idempotency_key)
        if existing is not None:
            if _same_submitter(existing, eservice_id, citizen, actor):
                return existing
            raise Invalid(_("The form could not be sent. Reload the page and try again."))
    if actor is not None and citizen is not None:
        raise ValueError("a manual case is added by a handler on someone's behalf: give personnummer, not citizen")
    eservice = _open_eservice(eservice_id)
    if actor is not None:
        access.require_manual_add(actor, eservice)
        if channel == CaseChannel.PORTAL:
            channel = CaseChannel.MANUAL
        if personnummer:
            if not eservice.manual_add_personnummer:
                raise Invalid(_("Cases in this e-service cannot be linked to a personal identity number."))
            citizen = _find_or_create_citizen(personnummer)
    elif citizen is None and not anonymous_allowed(eservice):
        raise NotAllowed(_("Log in with e-ID to use this e-service."))

    draft = holder
    if draft_id is not None:
        if actor is not None:
            raise access.case_not_found()
        try:
            draft = _own_draft(draft_id, eservice, citizen)
        except NotFound:
            # An anonymous double click: this Skicka in waited on the first one's row lock and
            # now finds the draft sent (no longer an anonymous draft), by this very form.
            sent = _existing_submission(idempotency_key) if idempotency_key is not None else None
            if sent is not None and sent.id == draft_id and _same_submitter(sent, eservice_id, citizen, actor):
                return sent
            raise
        if draft.is_test:
            raise access.case_not_found()  # a test run is never sent in (Testa e-tjänsten)
        if not draft.is_draft:
            return draft  # sent already (a double click): the receipt is the same
    if holder is not None:
        holder.citizen = citizen
    version = draft.version if draft is not None else require_published_version(eservice)
    answers = _clean(version, raw_answers, draft, partial=False)
    details = _clean_contact(contact)
    now = clock.now()

    submitted = _status_of_kind(eservice, StatusKind.SUBMITTED)
    case = draft or Case(eservice=eservice, version=version, citizen=citizen, status=submitted)
    case.answers = answers
    case.status = submitted
    case.status_changed_at = now
    case.channel = channel
    case.contact_name, case.contact_email, case.contact_phone = details["name"], details["email"], details["phone"]
    case.applicant_name = (citizen.full_name if citizen is not None else None) or details["name"] or None
    case.submitted_at = now
    case.submitted_by_id = actor.id if actor is not None else None
    case.due_at = now + dt.timedelta(days=eservice.due_days) if eservice.due_days else None
    case.idempotency_key = idempotency_key
    _set_derived(case, version.definition, answers)
    _touch(case, actor)
    with db.session.no_autoflush:
        number = _next_case_number()
    case.number = number
    if draft is None:
        db.session.add(case)
    db.session.flush()
    documents.discard_documents(_link_file_answers(case, version.definition, answers))

    events.record(
        case, "submitted", user=actor, citizen=citizen if actor is None else None, number=case.number, channel=channel
    )
    audit.record(
        "case_submitted",
        user=actor,
        citizen=citizen if actor is None else None,
        case=case,
        details={"channel": channel},
    )

    persons, groups, rule = _auto_assignees(case)
    added_persons, added_groups = _add_assignees(case, persons, groups, by=actor)
    if added_persons or added_groups:
        events.record(
            case,
            "assigned",
            user=actor,
            rule_id=rule.id if rule else None,
            users=_names(added_persons),
            groups=_names(added_groups),
        )
    db.session.flush()

    dedupe: set = set()
    notify.queue(case, NotificationEvent.SUBMITTED, actor=actor, dedupe=dedupe)
    notify.queue(case, NotificationEvent.NEW_CASE, actor=actor)
    _notify_assigned(case, added_persons, added_groups, actor=actor)
    return case


def add_case_manually(
    eservice_id: int,
    raw_answers: Mapping[str, Any],
    *,
    actor: StaffUser,
    personnummer: str | None = None,
    contact: Mapping[str, Any] | None = None,
    uploads: Mapping[str, Sequence[Upload]] | None = None,
    idempotency_key: str | None = None,
) -> Case:
    """Add a case on someone's behalf (lägg till ärende): a handler fills in the form, files included, linked to a personnummer or not."""
    # Every error comes at once, so the handler can mend the whole form in one go: the
    # answers' errors by question id in ``errors``, the applicant fields' (personnummer,
    # name, email, phone) in ``details["applicant_errors"]``, as a question may have the
    # id "personnummer" too.
    key = _idempotency_key(idempotency_key)
    return _once(
        key,
        eservice_id,
        None,
        actor,
        lambda: _add_case_manually(
            eservice_id,
            raw_answers,
            actor=actor,
            personnummer=personnummer,
            contact=contact,
            uploads=uploads or {},
            idempotency_key=key,
        ),
    )


def _applicant_errors(
    eservice: EService, personnummer: str | None, contact: Mapping[str, Any] | None
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if personnummer is not None:
        if not eservice.manual_add_personnummer:
            errors["personnummer"] = _("Cases in this e-service cannot be linked to a personal identity number.")
        else:
            try:
                normalize_personnummer(personnummer)
            except ValueError:
                errors["personnummer"] = _("Enter a valid personal identity number (YYYYMMDD-NNNN).")
    try:
        _clean_contact(contact)
    except Invalid as error:
        errors.update({field.removeprefix("contact_"): message for field, message in error.errors.items()})
    return errors


@transactional
def _add_case_manually(
    eservice_id: int,
    raw_answers: Mapping[str, Any],
    *,
    actor: StaffUser,
    personnummer: str | None,
    contact: Mapping[str, Any] | None,
    uploads: Mapping[str, Sequence[Upload]],
    idempotency_key: str | None,
) -> Case:
    if idempotency_key is not None:
        existing = _existing_submission(idempotency_key)
        if existing is not None:
            if _same_submitter(existing, eservice_id, None, actor):
                return existing
            raise Invalid(_("The form could not be sent. Reload the page and try again."))
    eservice = _eservice(eservice_id)
    access.require_manual_add(actor, eservice)
    version = require_published_version(eservice)
    personnummer = "".join(str(personnummer or "").split()) or None
    applicant_errors = _applicant_errors(eservice, personnummer, contact)

    raw = _plain_answers(raw_answers)
    file_questions = _file_question_ids(version.definition)
    for question_id in file_questions:
        raw.pop(question_id, None)  # a file answer is an uploaded file, never a typed value
    holder = None
    file_errors: dict[str, str] = {}
    given = {qid: list(uploads.get(qid) or ()) for qid in file_questions}
    if any(given.values()):
        # A document belongs to a case: the files are kept on the case-to-be, as a
        # citizen's are on their draft; an error below rolls back the case and the files.
        holder = Case(
            eservice=eservice,
            version=version,
            status=_status_of_kind(eservice, StatusKind.SUBMITTED),
            channel=CaseChannel.MANUAL,
            answers={},
        )
        db.session.add(holder)
        db.session.flush()
        for question_id, files in given.items():
            descriptors = []
            for filename, data, content_type in files:
                try:
                    document = documents.store_document(
                        holder,
                        filename,
                        data,
                        content_type,
                        source=DocumentSource.APPLICANT,
                        user=actor,
                        question_id=question_id,
                    )
                except Invalid as error:
                    file_errors[question_id] = error.errors.get("file") or error.message
                    break
                descriptors.append(document.descriptor())
            if descriptors and question_id not in file_errors:
                raw[question_id] = descriptors

    answer_errors: dict[str, str] = {}
    try:
        _clean(version, raw, holder, partial=False)
    except Invalid as error:
        if not error.errors:
            raise
        answer_errors = dict(error.errors)
    answer_errors.update(file_errors)
    if answer_errors or applicant_errors:
        count = len(answer_errors) + len(applicant_errors)
        raise Invalid(
            ngettext("There is %(num)d error in the form.", "There are %(num)d errors in the form.", count),
            errors=answer_errors,
            applicant_errors=applicant_errors,
        )
    return _submit_case(
        eservice_id,
        raw,
        citizen=None,
        contact=contact,
        actor=actor,
        personnummer=personnummer,
        draft_id=None,
        idempotency_key=idempotency_key,
        channel=CaseChannel.MANUAL,
        holder=holder,
    )


# -- handlers ------------------------------------------------------------------------------


@transactional
def take_case(case_id: int, *, actor: StaffUser, take_over: bool = False) -> Case:
    """Take the case (ta ärendet): the actor becomes its handler; taking it from another person needs take_over."""
    case = lock_case(case_id)
    access.require(actor, "take_over" if take_over else "take", case)
    my_groups = {m.group_id for m in actor.memberships}
    others = [h for h in case.handlers if h.user_id != actor.id and h.group_id not in my_groups]
    if any(h.user_id == actor.id for h in case.handlers) and not others and len(case.handlers) == 1:
        return case  # already mine alone
    if others and not take_over:
        holders = _names(h.user or h.group for h in others)
        raise AlreadyTaken(
            _("The case has already been taken by %(name)s.", name=", ".join(holders)), by=", ".join(holders)
        )
    removed_users, removed_groups = _remove_assignees(case, keep=lambda h: h.user_id == actor.id)
    _add_assignees(case, [actor], [], by=actor)
    taken_from = [u for u in removed_users if u.id != actor.id]
    kind = "taken_over" if (taken_from or [g for g in removed_groups if g.id not in my_groups]) else "taken"
    events.record(case, kind, user=actor, users=_names(taken_from), groups=_names(removed_groups))
    audit.record(
        f"case_{kind}",
        user=actor,
        case=case,
        details={"from_users": [u.id for u in taken_from], "from_groups": [g.id for g in removed_groups]},
    )
    _touch(case, actor)
    db.session.flush()
    if kind == "taken_over":
        foreign_groups = [g for g in removed_groups if g.id not in my_groups]
        notify.queue(case, NotificationEvent.TAKEN_OVER, actor=actor, recipients_override=taken_from + foreign_groups)
    return case


@transactional
def assign_case(
    case_id: int,
    *,
    actor: StaffUser,
    user_ids: Iterable[int] = (),
    group_ids: Iterable[int] = (),
    mode: Literal["replace", "add"] = "replace",
) -> Case:
    """Change the case's handlers (ändra handläggare): persons and/or groups who are handlers of the e-service."""
    if mode not in ("replace", "add"):
        raise ValueError(f"unknown mode {mode!r}")
    case = lock_case(case_id)
    access.require(actor, "assign", case)
    user_ids, group_ids = list(dict.fromkeys(user_ids)), list(dict.fromkeys(group_ids))
    handlers = {u.id: u for u in users.handlers_for_eservice(case.eservice_id)}
    groups = {g.id: g for g in users.groups_for_eservice(case.eservice_id)}
    errors: dict[str, str] = {}
    for user_id in user_ids:
        if user_id not in handlers:
            person = db.session.get(StaffUser, user_id)
            name = person.display_name if person is not None else str(user_id)
            errors["user_ids"] = _("%(name)s is not a handler for this e-service.", name=name)
    for group_id in group_ids:
        if group_id not in groups:
            group = db.session.get(HandlerGroup, group_id)
            name = group.name if group is not None else str(group_id)
            errors["group_ids"] = _("The group %(name)s is not a handler for this e-service.", name=name)
    if errors:
        raise Invalid(" ".join(errors.values()), errors=errors)
    removed_users: list[StaffUser] = []
    removed_groups: list[HandlerGroup] = []
    if mode == "replace":
        keep_users, keep_groups = set(user_ids), set(group_ids)
        removed_users, removed_groups = _remove_assignees(
            case, keep=lambda h: (h.user_id in keep_users) if h.user_id is not None else (h.group_id in keep_groups)
        )
    added_users, added_groups = _add_assignees(
        case, [handlers[i] for i in user_ids], [groups[i] for i in group_ids], by=actor
    )
    if not (added_users or added_groups or removed_users or removed_groups):
        return case
    events.record(
        case,
        "handlers_changed",
        user=actor,
        added=_names(added_users + added_groups),
        removed=_names(removed_users + removed_groups),
    )
    audit.record(
        "case_handlers_changed",
        user=actor,
        case=case,
        details={
            "added_users": [u.id for u in added_users],
            "added_groups": [g.id for g in added_groups],
            "removed_users": [u.id for u in removed_users],
            "removed_groups": [g.id for g in removed_groups],
        },
    )
    _touch(case, actor)
    db.session.flush()
    _notify_assigned(case, added_users, added_groups, actor=actor)
    return case


@transactional
def remove_self(case_id: int, *, actor: StaffUser) -> Case:
    """Stop being a handler of the case (a restricted handler then no longer sees it)."""
    case = lock_case(case_id)
    access.require(actor, "remove_self", case)
    _remove_assignees(case, keep=lambda h: h.user_id != actor.id)
    events.record(case, "handler_removed_self", user=actor)
    audit.record("case_handler_removed_self", user=actor, case=case)
    _touch(case, actor)
    return case


# -- status ----------------------------------------------------------------------------------


def _apply_status(case: Case, status: Status, now: dt.datetime) -> None:
    """Move the case to a status: the due-date clock pauses and resumes, final statuses close it."""
    old = case.status
    if status.pauses_due_date and not old.pauses_due_date:
        case.due_paused_at = now
    elif not status.pauses_due_date and case.due_paused_at is not None:
        if case.due_at is not None:
            case.due_at = case.due_at + (now - case.due_paused_at)
        case.due_paused_at = None
    if status.is_final and not old.is_final:
        case.closed_at = now
    elif not status.is_final:
        case.closed_at = None
    case.status = status
    case.status_changed_at = now


def send_status_message(case: Case, status: Status, *, actor: StaffUser | None) -> Message | None:
    """The status's default message to the applicant, if it has one and the applicant can read it; flushes."""
    if not status.default_message or case.citizen_id is None or not case.eservice.messages_enabled:
        return None
    message = Message(
        case=case,
        direction=MessageDirection.TO_APPLICANT,
        body=status.default_message,
        author_user_id=actor.id if actor is not None else None,
    )
    db.session.add(message)
    db.session.flush()
    events.record(case, "message_sent", user=actor, message_id=message.id, automatic=True)
    notify.queue(case, NotificationEvent.MESSAGE_TO_APPLICANT, actor=actor, extra={"message_id": message.id})
    return message


@transactional
def change_status(
    case_id: int, status_id: int, *, actor: StaffUser, notify_applicant: bool = True, resolve_subtasks: bool = False
) -> Case:
    """Change the case's status (ändra status) and tell the applicant unless the handler chose not to.

    Closing a case (a final status) with unresolved subtasks raises ``subtasks.OpenSubtasks``
    unless ``resolve_subtasks`` confirms that they are all resolved with it (F-SUB-5).
    """
    case = lock_case(case_id)
    access.require(actor, "change_status", case)
    status = db.session.get(Status, status_id)
    if status is None or status.group_id != case.eservice.status_group_id:
        raise Invalid(_("The status does not belong to this e-service."), errors={"status_id": _("Choose a status.")})
    if status.kind == StatusKind.DRAFT:
        raise Invalid(
            _("A submitted case cannot be set back to a draft status."), errors={"status_id": _("Choose a status.")}
        )
    old = case.status
    if status.id == old.id:
        return case
    if status.is_final and not old.is_final:
        still_open = subtasks.unresolved(case)
        if still_open and not resolve_subtasks:
            raise subtasks.OpenSubtasks(still_open)
    audit.record(
        "case_status_changed",
        user=actor,
        case=case,
        details={"from": old.id, "to": status.id, "notify_applicant": notify_applicant},
    )
    move_to_status(case, status, actor=actor, notify_applicant=notify_applicant)
    return case


def move_to_status(
    case: Case, status: Status, *, actor: StaffUser | None, notify_applicant: bool = True, **history: Any
) -> None:
    """Move a locked case to a status: the history line, the due-date clock, the notifications; flushes.

    The callers check who may do it: ``change_status`` for a handler, the scheduler's jobs
    (a mailing's no-answer action) for the system, whose history line has no actor.
    """
    old = case.status
    closing = status.is_final and not old.is_final
    if closing:
        # A closed case keeps no open subtask (F-SUB-5); change_status has asked the handler first,
        # a job closing a case (a mailing's no-answer action) has nobody to ask.
        subtasks.resolve_for_closing(case, subtasks.unresolved(case), actor=actor)
    _apply_status(case, status, clock.now())
    events.record(
        case,
        "status_changed",
        user=actor,
        from_status=old.name,
        to_status=status.name,
        notified=notify_applicant,
        **history,
    )
    _touch(case, actor)
    db.session.flush()
    dedupe: set = set()
    if closing:
        notify.queue(case, NotificationEvent.CLOSED, actor=actor, applicant=notify_applicant, dedupe=dedupe)
    notify.queue(case, NotificationEvent.STATUS_CHANGED, actor=actor, applicant=notify_applicant, dedupe=dedupe)
    if notify_applicant:
        send_status_message(case, status, actor=actor)


# -- small changes ---------------------------------------------------------------------------


@transactional
def set_flag(case_id: int, *, actor: StaffUser, flagged: bool) -> Case:
    """Flag or unflag the case for oneself (a personal star: Flaggade)."""
    case = db.session.get(Case, case_id)
    access.require(actor, "flag", case)
    existing = db.session.get(CaseFlag, (case.id, actor.id))
    if flagged and existing is None:
        db.session.add(CaseFlag(case_id=case.id, user_id=actor.id))
    elif not flagged and existing is not None:
        db.session.delete(existing)
    else:
        return case
    # A personal mark, not a change to the case: audited, but not in the case history.
    audit.record("case_flagged" if flagged else "case_unflagged", user=actor, case=case)
    return case


@transactional
def set_colour(case_id: int, colour: str | None, *, actor: StaffUser) -> Case:
    """Colour-mark the case with one of the e-service's colours (None removes the mark)."""
    case = lock_case(case_id)
    access.require(actor, "colour", case)
    colour = (colour or "").strip() or None
    allowed = {label.colour for label in case.eservice.colour_labels}
    if colour is not None and colour not in allowed:
        raise Invalid(
            _("Choose one of the e-service's colours."), errors={"colour": _("Choose one of the e-service's colours.")}
        )
    if colour == case.colour:
        return case
    old, case.colour = case.colour, colour
    events.record(case, "colour_changed", user=actor, from_colour=old, to_colour=colour)
    audit.record("case_colour_changed", user=actor, case=case, details={"from": old, "to": colour})
    _touch(case, actor)
    return case


@transactional
def set_external_number(case_id: int, value: str | None, *, actor: StaffUser) -> Case:
    """Set the case's number in another system (externt ärendenummer), which the applicant also sees."""
    case = lock_case(case_id)
    access.require(actor, "external_number", case)
    # Control characters (NUL above all, which PostgreSQL refuses) have no place in a case number.
    value = " ".join("".join(ch for ch in (value or "") if ch.isprintable() or ch.isspace()).split()) or None
    if value is not None and len(value) > 100:
        message = _("Enter at most %(max)s characters.", max=100)
        raise Invalid(message, errors={"external_number": message})
    if value == case.external_number:
        return case
    old, case.external_number = case.external_number, value
    events.record(case, "external_number_changed", user=actor, from_value=old, to_value=value)
    audit.record("case_external_number_changed", user=actor, case=case, details={"from": old, "to": value})
    _touch(case, actor)
    return case


@transactional
def edit_answers(case_id: int, raw_answers: Mapping[str, Any], *, actor: StaffUser) -> Case:
    """Change the submitted answers (ändra inskickade uppgifter), checked against the case's own version; logged."""
    case = lock_case(case_id)
    access.require(actor, "edit_answers", case)
    definition = case.version.definition
    resolved = _resolve_file_answers(definition, raw_answers, form_attachments(case))
    answers = forms.clean_answers(definition, resolved)
    before = dict(case.answers or {})
    # In the form's order (JSONB keeps keys in its own order).
    in_form_order = [q["id"] for _step, q in forms.iter_questions(definition)]
    candidates = dict.fromkeys([*in_form_order, *sorted(before), *sorted(answers)])
    changed = [qid for qid in candidates if before.get(qid) != answers.get(qid)]
    if not changed:
        return case
    case.answers = answers
    _set_derived(case, definition, answers)
    _link_file_answers(case, definition, answers)
    labels = []
    for qid in changed:
        question = forms.find_question(definition, qid)
        labels.append(str(question.get("label", qid)) if question else qid)
    events.record(case, "answers_edited", user=actor, questions=labels)
    audit.record(
        "case_answers_edited",
        user=actor,
        case=case,
        details={"changed": {qid: {"before": before.get(qid), "after": answers.get(qid)} for qid in changed}},
    )
    _touch(case, actor)
    return case


@transactional
def delete_case(case_id: int, *, actor: StaffUser) -> DeletionRecord:
    """Delete the case with its files, messages and notes (only where its status allows); a record without personal data remains."""
    case = lock_case(case_id)
    access.require(actor, "delete", case)
    return remove_case(case, reason="Manuell borttagning", actor=actor)


def record_removal(
    case: Case,
    action: RetentionAction,
    *,
    reason: str,
    actor: StaffUser | None = None,
    rule_id: int | None = None,
    approved_by_id: int | None = None,
) -> DeletionRecord:
    """Log a case about to be deleted or anonymised: the audit entry and the record without personal data (gallringslogg)."""
    details = {"eservice": case.eservice.name, "status": case.status.name, "documents_deleted": len(case.documents)}
    if rule_id is not None:
        details = {"rule": rule_id, **details}
    audit.record(
        "case_deleted" if action == RetentionAction.DELETE else "case_anonymised",
        user=actor,
        case=case,
        details=details,
    )
    record = DeletionRecord(
        case_number=case.number,
        eservice_id=case.eservice_id,
        eservice_name=case.eservice.name,
        version_number=case.version.number,
        status_name=case.status.name,
        submitted_at=case.submitted_at,
        action=action,
        reason=reason,
        rule_id=rule_id,
        performed_by_id=actor.id if actor is not None else None,
        approved_by_id=approved_by_id,
        documents_deleted=len(case.documents),
    )
    db.session.add(record)
    return record


def remove_case(
    case: Case,
    *,
    reason: str,
    actor: StaffUser | None = None,
    rule_id: int | None = None,
    approved_by_id: int | None = None,
) -> DeletionRecord:
    """Delete a locked case with its files, messages, notes, subtasks and notifications; flushes.

    What remains is the audit entry and a DeletionRecord without personal data
    (gallringslogg). The files go once the transaction commits. The callers check who may do it: ``delete_case`` for a
    handler, the retention job for a rule.
    """
    keys = [d.storage_key for d in case.documents]
    record = record_removal(
        case, RetentionAction.DELETE, reason=reason, actor=actor, rule_id=rule_id, approved_by_id=approved_by_id
    )
    # The notifications about the case name it and hold the applicant's address: they go too
    # (subtasks, notices on Mina sidor and mailing recipients go by the database's cascade).
    db.session.execute(delete(OutboxMessage).where(OutboxMessage.case_id == case.id))
    db.session.delete(case)
    db.session.flush()
    for key in keys:
        storage.delete_after_commit(key)
    return record


__all__ = [
    "add_case_manually",
    "anonymous_allowed",
    "assign_case",
    "change_status",
    "delete_case",
    "edit_answers",
    "first_answer",
    "form_attachments",
    "lock_case",
    "move_to_status",
    "record_removal",
    "remove_case",
    "remove_self",
    "require_published_version",
    "save_draft",
    "send_status_message",
    "set_colour",
    "set_external_number",
    "set_flag",
    "submit_case",
    "take_case",
]
