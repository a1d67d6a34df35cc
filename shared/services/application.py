"""The citizen's application in the portal (F-POR-3): the form one step at a time, saved as a draft as it goes.

Who applies is an ``Applicant``: a citizen logged in with e-ID, or an anonymous visitor
(where the e-service allows it) whose signed session lists the drafts and cases it made
there; an id typed into a URL opens nothing by itself. Access goes through
shared.services.access (require_citizen, anonymous_draft_denial) on top of that.

A step is checked on its own (``clean_answers(..., step_id=)``) when the applicant goes on;
whatever is valid is saved to the draft at once (cases.save_draft, partial) and whatever is
not comes back to the page as typed, so nothing is lost. Files are checked by their bytes
against the question's limits, kept on the draft (random names, outside the web root) and
referred to by their document ids. Submitting is cases.submit_case with the draft's own
answers and a form token, so a double click gives one case.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.orm import joinedload

from shared import clock, forms, storage
from shared.db import db, transactional
from shared.errors import Invalid, NotAllowed, NotFound
from shared.forms import html as forms_html
from shared.forms.answers import _Walk, _walk
from shared.forms.fields import DEFAULT_CONTENT_TYPES, DEFAULT_MAX_SIZE_MB, content_type_allowed
from shared.forms.structure import NO_INPUT_TYPES, Definition, Step, iter_steps
from shared.models import Case, Channel, Citizen, Document, EService, EServiceVersion
from shared.notify.outbox import applicant_addressees
from shared.services import access, audit, cases, catalogue, documents
from shared.services.cases import first_answer, form_attachments, lock_case, require_published_version

Upload = tuple[str, IO[bytes], str]  # (file name, stream, content type the browser gave)

# What the applicant asked for with the button they pressed on a step.
NEXT, BACK, SAVE, REFRESH, REMOVE = "next", "back", "save", "refresh", "remove"
ACTIONS = frozenset({NEXT, BACK, SAVE, REFRESH, REMOVE})
CONTACT_EMAIL = "contact_email"


@dataclass(frozen=True)
class Applicant:
    """Who fills in the form: a logged-in citizen, or an anonymous visitor with what their session made."""

    citizen: Citizen | None = None
    draft_ids: frozenset[int] = frozenset()  # an anonymous visitor's drafts, from the signed session
    case_ids: frozenset[int] = frozenset()  # ... and the cases it submitted
    # Test runs (Testa e-tjänsten, shared.services.trial_runs) this session opened from a test link.
    test_draft_ids: frozenset[int] = frozenset()

    @property
    def anonymous(self) -> bool:
        return self.citizen is None

    @property
    def may_save_later(self) -> bool:
        """Spara och fortsätt senare is for a citizen with e-ID: an anonymous draft lives only in this session."""
        return self.citizen is not None

    @property
    def asks_receipt_email(self) -> bool:
        """Whether Skicka in asks for an e-mail address for the receipt: none is known (required when anonymous)."""
        return self.citizen is None or not self.citizen.email


class AlreadySubmitted(NotAllowed):
    """The applicant's draft has been sent in already: its receipt is the place to go."""

    code = "already_submitted"

    def __init__(self, case: Case) -> None:
        super().__init__(_("The application has already been submitted."), case_id=case.id)
        self.case_id = case.id


@dataclass(frozen=True)
class StepInfo:
    """A step of the form as the applicant meets it."""

    number: int  # its place in the definition, 1-based: the URL's step
    position: int  # its place among the steps shown for the answers: "Steg 2 av 4"
    step: Step

    @property
    def id(self) -> str:
        return str(self.step.get("id"))

    @property
    def title(self) -> str:
        return str(self.step.get("title") or "")

    @property
    def questions(self) -> list[Mapping[str, Any]]:
        return list(self.step.get("questions") or ())

    @property
    def question_ids(self) -> list[str]:
        return [q["id"] for q in self.questions if q.get("id")]


@dataclass
class StepOutcome:
    """What saving one step gave: the draft (None while a new application has nothing saved yet), the values
    to show again (the posted answers over the saved ones, files with their names), and the errors."""

    draft: Case | None
    action: str  # what was done: the button pressed, as far as the applicant may use it
    values: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)  # beside the step's fields, as the action asks
    upload_errors: dict[str, str] = field(default_factory=dict)  # files that were not accepted
    # The draft as saved, taken before the commit: what the page needs next (the way on) without
    # reading the just-written row again (the commit expires it).
    draft_id: int | None = None
    answers: dict[str, Any] = field(default_factory=dict)
    is_test: bool = False

    @property
    def all_errors(self) -> dict[str, str]:
        return {**self.errors, **self.upload_errors}

    @property
    def message(self) -> str | None:
        count = len(self.all_errors)
        if not count:
            return None
        return ngettext("There is %(num)d error in the form.", "There are %(num)d errors in the form.", count)


@dataclass(frozen=True)
class StepPage:
    """What the page of one step shows for the answers as they stand (saved, or as posted)."""

    steps: list[StepInfo]  # the steps shown, for the progress
    current: StepInfo
    previous: int | None  # where Föregående goes; None on the first step
    visible: set[str]  # the questions shown (the others are drawn hidden)
    computed: dict[str, str]  # the computed questions' results, written for people
    context: dict[str, Any]  # what forms/conditions.js must know of the other steps (html.condition_context)

    @property
    def total(self) -> int:
        return len(self.steps) + 1  # the summary is the last step

    @property
    def has_computed(self) -> bool:
        return any(q.get("type") == "computed" for q in self.current.questions)

    @property
    def refreshable(self) -> bool:
        """Whether the answers can change the page: follow-up questions or computed values."""
        return self.has_computed or any(q.get("visible_if") for q in self.current.questions)


@dataclass(frozen=True)
class SummarySection:
    """One step's answers on the summary page (Sammanfattning)."""

    step: StepInfo
    rows: list[tuple[str, str]]  # (question label, answer as text)


# -- steps ---------------------------------------------------------------------------------


def _shown_steps(definition: Definition, walk: _Walk) -> list[StepInfo]:
    shown: list[StepInfo] = []
    for number, step in enumerate(iter_steps(definition), start=1):
        # Conditions name earlier questions only, so the whole walk decides as well as a partial one.
        if walk.holds(step.get("visible_if")):
            shown.append(StepInfo(number, len(shown) + 1, step))
    return shown


def visible_steps(definition: Definition, answers: Mapping[str, Any]) -> list[StepInfo]:
    """The steps shown for these answers (a step whose visible_if does not hold is skipped), in order."""
    return _shown_steps(definition, _walk(definition, answers, clock.today()))


def _step_at(definition: Definition, number: int) -> Step:
    steps = list(iter_steps(definition))
    if not 1 <= number <= len(steps):
        raise NotFound(_("The page was not found."))
    return steps[number - 1]


def step_to_show(definition: Definition, answers: Mapping[str, Any], number: int) -> int | None:
    """The step to open for this number: itself when shown for the answers, else the next one shown; None: the
    summary comes next. NotFound past the form's end."""
    _step_at(definition, number)
    return next((s.number for s in visible_steps(definition, answers) if s.number >= number), None)


def first_step(definition: Definition) -> int:
    """The number of a new application's first page; NotFound for a form with nothing to fill in."""
    number = step_to_show(definition, {}, 1)  # NotFound too for a form without steps
    if number is None:
        raise NotFound(_("The page was not found."))
    return number


def step_page(definition: Definition, values: Mapping[str, Any], number: int) -> StepPage:
    """What the page of this step shows for these answers (saved ones, or as posted)."""
    step = _step_at(definition, number)
    walk = _walk(definition, values, clock.today())
    steps = _shown_steps(definition, walk)
    earlier = [s for s in steps if s.number < number]
    # A step hidden by the answers on the page (the saved ones showed it) is still this step's page.
    current = next((s for s in steps if s.number == number), None) or StepInfo(number, len(earlier) + 1, step)
    return StepPage(
        steps=steps,
        current=current,
        previous=earlier[-1].number if earlier else None,
        visible=walk.visible,
        computed=forms_html.computed_values(definition, values),
        context=forms_html.condition_context(definition, values, current.question_ids),
    )


def next_step(definition: Definition, answers: Mapping[str, Any], number: int) -> int | None:
    """The number of the first shown step after this one; None: the summary comes next."""
    return next((s.number for s in visible_steps(definition, answers) if s.number > number), None)


def previous_step(definition: Definition, answers: Mapping[str, Any], number: int) -> int | None:
    """The number of the last shown step before this one; None on the first."""
    earlier = [s.number for s in visible_steps(definition, answers) if s.number < number]
    return earlier[-1] if earlier else None


def first_error_step(definition: Definition, answers: Mapping[str, Any], errors: Iterable[str]) -> int | None:
    """The number of the first shown step with a question among ``errors`` (question ids)."""
    wrong = set(errors)
    for info in visible_steps(definition, answers):
        if wrong.intersection(info.question_ids):
            return info.number
    return None


def _input_ids(info: StepInfo, visible: set[str]) -> list[str]:
    return [q["id"] for q in info.questions if q.get("id") in visible and q.get("type") not in NO_INPUT_TYPES]


def resume_step(draft: Case) -> int | None:
    """Where a saved application opens again: the first step with a missing or wrong answer, or the first not
    filled in at all (as far as the applicant got); None when all is done and the summary is next."""
    definition, answers = draft.version.definition, draft.answers or {}
    try:
        forms.clean_answers(definition, answers)
        errors: dict[str, str] = {}
    except Invalid as error:
        errors = dict(error.errors)
    visible = forms.visible_question_ids(definition, answers)
    for info in visible_steps(definition, answers):
        ids = _input_ids(info, visible)
        if any(qid in errors for qid in ids) or (ids and not any(qid in answers for qid in ids)):
            return info.number
    return None


def step_errors(draft: Case, number: int) -> dict[str, str]:
    """The errors of one step of a saved application (after a submission that failed), required answers included."""
    definition = draft.version.definition
    step = _step_at(definition, number)
    try:
        forms.clean_answers(definition, draft.answers or {}, step_id=step.get("id"))
    except Invalid as error:
        return dict(error.errors)
    return {}


def summary_sections(draft: Case) -> list[SummarySection]:
    """Every shown answer of the application, step by step, for the page before Skicka in."""
    definition, answers = draft.version.definition, draft.answers or {}
    walk = _walk(definition, answers, clock.today())
    sections = []
    for info in _shown_steps(definition, walk):
        ids = [q["id"] for q in info.questions if q.get("id") in walk.visible and q.get("type") != "info"]
        sections.append(SummarySection(info, forms.summarize(definition, answers, ids)))
    return sections


def first_email_answer(draft: Case) -> str | None:
    """The first e-mail address answered in the form (to offer as the receipt's address)."""
    email = first_answer(draft.version.definition, draft.answers or {}, "email")
    return str(email) if email else None


def receipt_address(case: Case) -> str | None:
    """The e-mail address the receipt of a submitted case goes to, as notifications choose it (None: none)."""
    addressees = applicant_addressees(case, Channel.EMAIL)
    return addressees[0].address if addressees else None


# -- who may open what ---------------------------------------------------------------------


def eservice_to_apply(slug: str) -> tuple[EService, EServiceVersion]:
    """The enabled e-service and its published version to fill in; NotFound, or NotAllowed when it takes none."""
    eservice = catalogue.eservice_by_slug(slug)
    return eservice, require_published_version(eservice)


def login_needed(eservice: EService, applicant: Applicant) -> bool:
    """Whether the applicant must log in with e-ID first (the e-service does not allow anonymous use)."""
    return applicant.anonymous and not cases.anonymous_allowed(eservice)


def _owns_submitted(case: Case, applicant: Applicant) -> bool:
    if applicant.citizen is not None:
        return case.citizen_id == applicant.citizen.id
    return case.citizen_id is None and (case.id in applicant.case_ids or case.id in applicant.draft_ids)


def _require_own_draft(draft: Case | None, applicant: Applicant) -> Case:
    if draft is not None and draft.is_test:
        # A test run is the session's that opened its test link, whoever is logged in; no one else's.
        if draft.id not in applicant.test_draft_ids or not draft.is_draft:
            raise access.case_not_found()
        return draft
    if draft is not None and not draft.is_draft and _owns_submitted(draft, applicant):
        raise AlreadySubmitted(draft)
    if applicant.citizen is not None:
        access.require_citizen(applicant.citizen, "edit_draft", draft)
    else:
        if draft is None or draft.id not in applicant.draft_ids:
            raise access.case_not_found()
        denial = access.anonymous_draft_denial(draft)
        if denial is not None:
            raise denial
    assert draft is not None
    return draft


def load_draft(draft_id: int, applicant: Applicant, *, lock: bool = False) -> Case:
    """The applicant's own unsent application; NotFound for anyone else's, AlreadySubmitted once sent.

    ``lock``: with its row locked until commit (cases.lock_case), for a unit of work that saves it; the
    saving (cases.save_draft) then finds it locked already instead of reading it again.
    """
    # Every step page reads the draft's version (its form) and e-service: loaded with it, in one round trip.
    options = [joinedload(Case.version), joinedload(Case.eservice)]
    if lock:
        return _require_own_draft(lock_case(draft_id, options=options, missing=None), applicant)
    return _require_own_draft(db.session.get(Case, draft_id, options=options), applicant)


def submitted_case(case_id: int, applicant: Applicant) -> Case:
    """The applicant's own submitted case (receipt, PDF): the citizen's, or the one this anonymous session sent."""
    # The receipt names the e-service: read with the case.
    case = db.session.get(Case, case_id, options=[joinedload(Case.eservice)])
    if case is None or case.is_draft:
        raise access.case_not_found()
    if applicant.citizen is not None:
        access.require_citizen(applicant.citizen, "view", case)
    elif case.citizen_id is not None or case.id not in applicant.case_ids:
        raise access.case_not_found()
    return case


# -- saving a step -------------------------------------------------------------------------


def merge_step(
    definition: Definition,
    saved: Mapping[str, Any],
    posted: Mapping[str, Any],
    step: Step,
    attachments: Mapping[int, Document],
    *,
    remove_document_id: int | None = None,
) -> dict[str, Any]:
    """The answers as they now stand: the saved ones, with this step's replaced by what was posted (a question
    left out of the post, such as a box unticked, is unanswered now). A file answer keeps only the draft's own
    documents, named as stored."""
    values = forms_html.input_values(definition, saved or {})
    step_ids = [q["id"] for q in step.get("questions") or () if q.get("id")]
    posted_answers = forms_html.raw_answers(posted, definition)
    for question_id in step_ids:
        values.pop(question_id, None)
        if question_id in posted_answers:
            values[question_id] = posted_answers[question_id]
    for question in step.get("questions") or ():
        if question.get("type") != "file" or question.get("id") not in values:
            continue
        kept = []
        for item in values[question["id"]]:
            document = attachments.get(item.get("document_id")) if isinstance(item, Mapping) else None
            if document is not None and document.id != remove_document_id:
                kept.append(document.descriptor())
        if kept:
            values[question["id"]] = kept
        else:
            del values[question["id"]]
    return values


def allowed_file_types(question: Mapping[str, Any]) -> list[str]:
    """The content types a file question takes that a file's bytes can prove (documents.ALLOWED_TYPES)."""
    wanted = (question.get("file") or {}).get("content_types") or DEFAULT_CONTENT_TYPES
    return [t for t in documents.ALLOWED_TYPES if content_type_allowed(t, wanted)]


def _stream_size(stream: IO[bytes]) -> int | None:
    try:
        stream.seek(0, os.SEEK_END)
        size = stream.tell()
        stream.seek(0)
        return size
    except (OSError, AttributeError, ValueError):
        return None


def _upload_problem(question: Mapping[str, Any], filename: str, stream: IO[bytes], declared: str) -> str | None:
    """Why this file cannot answer the question (size or real type against its limits), or None."""
    name = os.path.basename(str(filename or "").replace("\\", "/"))[:255] or _("file")
    max_mb = (question.get("file") or {}).get("max_size_mb") or DEFAULT_MAX_SIZE_MB
    size = _stream_size(stream)
    if size is not None and size > max_mb * 1024 * 1024:
        return _("The file %(name)s is too large; files may be at most %(max)s MB.", name=name, max=max_mb)
    if size == 0:
        return _("The file %(name)s is empty.", name=name)
    allowed = allowed_file_types(question)
    real = documents.sniff_content_type(stream, name, declared or "")
    stream.seek(0)
    if real is None or real not in allowed:
        return _(
            "The file %(name)s cannot be attached: its type is not allowed here. You can attach %(types)s.",
            name=name,
            types=forms_html.file_type_names(allowed),
        )
    return None


@transactional
def save_step(
    number: int,
    posted: Mapping[str, Any],
    uploads: Mapping[str, Sequence[Upload]] | None = None,
    *,
    applicant: Applicant,
    action: str | None = NEXT,
    draft_id: int | None = None,
    eservice_id: int | None = None,
    remove_document_id: int | None = None,
) -> StepOutcome:
    """Take one step's answers and files into the application: check the step when going on (NEXT), otherwise
    only what is typed wrongly; save every valid answer to the draft (made now for a new application)."""
    if action not in ACTIONS or (action == SAVE and not applicant.may_save_later):
        action = NEXT  # an unknown button, or Spara och fortsätt senare without e-ID: Nästa
    citizen = applicant.citizen
    if draft_id is not None:
        draft: Case | None = load_draft(draft_id, applicant, lock=True)
        eservice, version = draft.eservice, draft.version
        if draft.is_test:
            citizen = None  # a test run is nobody's application, even with someone logged in
            if action == SAVE:
                action = NEXT  # and is not kept for later
    else:
        draft = None
        eservice = db.session.get(EService, eservice_id) if eservice_id is not None else None
        if eservice is None or not eservice.enabled:
            raise NotFound(_("The e-service was not found."))
        if login_needed(eservice, applicant):
            raise NotAllowed(_("Log in with e-ID to use this e-service."))
        version = require_published_version(eservice)
    definition = version.definition
    step = _step_at(definition, number)
    step_ids = {q["id"] for q in step.get("questions") or () if q.get("id")}
    attachments = {d.id: d for d in form_attachments(draft)}
    removed = attachments.get(remove_document_id) if action == REMOVE and remove_document_id is not None else None
    if removed is not None and removed.question_id not in step_ids:
        removed = None  # only a file of this step's questions is removed here
    values = merge_step(
        definition,
        draft.answers if draft else {},
        posted,
        step,
        attachments,
        remove_document_id=removed.id if removed is not None else None,
    )

    # New files, each checked by its bytes against the question's limits before it is kept.
    upload_errors: dict[str, str] = {}
    visible = forms.visible_question_ids(definition, values)
    for question_id, files in (uploads or {}).items():
        question = forms.find_question(definition, question_id)
        if question_id not in step_ids or question_id not in visible or question is None:
            continue
        for filename, stream, declared in files:
            problem = _upload_problem(question, filename, stream, declared)
            if problem is None:
                if draft is None:
                    draft = cases.save_draft(eservice.id, {}, citizen=citizen)
                try:
                    document = documents.add_document(draft.id, filename, stream, declared, citizen=citizen)
                except Invalid as error:
                    problem = error.errors.get("file") or error.message
                else:
                    document.question_id = question_id
                    values[question_id] = [*values.get(question_id, []), document.descriptor()]
            if problem is not None:
                upload_errors.setdefault(question_id, problem)

    # Answers typed wrongly stay on the page to be mended; everything else is saved now.
    try:
        forms.clean_answers(definition, values, partial=True)
        wrong: dict[str, str] = {}
    except Invalid as error:
        wrong = dict(error.errors)
    errors = {qid: message for qid, message in wrong.items() if qid in step_ids}
    if action == NEXT:
        try:
            forms.clean_answers(definition, values, step_id=step.get("id"))
        except Invalid as error:
            errors = dict(error.errors)
    elif action in (REFRESH, REMOVE):
        errors = {}  # showing follow-up questions is no time for errors

    # A new application becomes a draft once it has files or a step passes, not at every look.
    if draft is not None or (not (errors or upload_errors) and action in (NEXT, SAVE, BACK)):
        saving = {qid: value for qid, value in values.items() if qid not in wrong}
        draft = cases.save_draft(eservice.id, saving, citizen=citizen, draft_id=draft.id if draft else None)
    if removed is not None and draft is not None:
        documents.discard_documents([removed])
        db.session.expire(draft, ["documents"])
        audit.record("draft_attachment_removed", citizen=citizen, case=draft, details={"document_id": removed.id})
    return StepOutcome(
        draft,
        action,
        values,
        errors,
        upload_errors,
        draft_id=draft.id if draft is not None else None,
        answers=dict(draft.answers or {}) if draft is not None else {},
        is_test=draft.is_test if draft is not None else False,
    )


def preview_computed(
    definition: Definition, saved: Mapping[str, Any], posted: Mapping[str, Any], number: int
) -> dict[str, str]:
    """The computed questions' results for the answers as they stand while a step is filled in (no saving)."""
    step = _step_at(definition, number)
    values = merge_step(definition, saved, posted, step, {})
    return forms_html.computed_values(definition, values)


# -- submitting and discarding ---------------------------------------------------------------


def submit_application(
    draft_id: int, *, applicant: Applicant, idempotency_key: str | None, contact_email: str | None = None
) -> Case:
    """Skicka in: send the saved application with its form token (a second click gives the same case); the
    receipt's e-mail address is taken where none is known, and an anonymous applicant must give one."""
    # Not @transactional itself: cases.submit_case is the unit of work (and handles the double click).
    draft = db.session.get(Case, draft_id)
    try:
        draft = _require_own_draft(draft, applicant)
    except AlreadySubmitted:
        assert draft is not None
        return draft
    if draft.is_test:
        raise access.case_not_found()  # a test run is never sent in: see trial_runs.submit_test
    email = str(contact_email or "").strip() if applicant.asks_receipt_email else ""
    if applicant.anonymous and not email:
        message = _("Enter your e-mail address so that we can send you a receipt.")
        raise Invalid(message, errors={CONTACT_EMAIL: message})
    return cases.submit_case(
        draft.eservice_id,
        dict(draft.answers or {}),
        citizen=applicant.citizen,
        contact={"email": email} if email else None,  # cases.submit_case checks it
        draft_id=draft.id,
        idempotency_key=idempotency_key,
    )


@transactional
def discard_draft(draft_id: int, *, applicant: Applicant) -> EService:
    """Delete a saved application with its files (ta bort ansökan); the audit log keeps that it was done."""
    draft = _require_own_draft(lock_case(draft_id), applicant)
    eservice = draft.eservice
    keys = [d.storage_key for d in draft.documents]
    audit.record(
        "draft_discarded",
        citizen=applicant.citizen,
        case=draft,
        details={"eservice": eservice.name, "documents_deleted": len(keys)},
    )
    db.session.delete(draft)
    db.session.flush()
    for key in keys:
        storage.delete_after_commit(key)
    return eservice


__all__ = [
    "AlreadySubmitted",
    "Applicant",
    "SummarySection",
    "StepInfo",
    "StepOutcome",
    "StepPage",
    "discard_draft",
    "eservice_to_apply",
    "first_email_answer",
    "first_error_step",
    "first_step",
    "load_draft",
    "login_needed",
    "next_step",
    "preview_computed",
    "previous_step",
    "receipt_address",
    "resume_step",
    "save_step",
    "step_errors",
    "step_page",
    "step_to_show",
    "submit_application",
    "submitted_case",
    "summary_sections",
    "visible_steps",
]
