"""Filling in and submitting an e-service's form (the application flow, F-POR-3).

One page per step of the published version's form, a summary before Skicka in, a receipt
with the case number and a PDF. The rules (steps shown, checks, drafts, access) are in
shared.services.application; these views read the request, call it and render.

An anonymous applicant (where the e-service allows it) is known only by the signed
session: it lists the drafts this visitor started and the cases it sent in.
"""

from __future__ import annotations

import io
import secrets
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import inspect as sa_inspect
from werkzeug.exceptions import RequestEntityTooLarge

from portal import limits
from shared.errors import DomainError, Invalid, NotAllowed, NotFound
from shared.forms import html as forms_html
from shared.models import Case, EService
from shared.services import application, pdf
from shared.services.application import AlreadySubmitted, Applicant

bp = Blueprint("apply", __name__)

SESSION_DRAFTS = "apply_drafts"  # an anonymous visitor's drafts
SESSION_CASES = "apply_cases"  # ... and the cases it submitted (their receipts)
SESSION_TESTS = "apply_tests"  # test runs opened from a back-office test link (Testa e-tjänsten, trial.py)
REMEMBERED = 20
FORM_TOKEN = "form-token"
RETURN_TO_SUMMARY = "to-summary"


# -- the applicant and the session -------------------------------------------------------------


def _session_ids(key: str) -> list[int]:
    value = session.get(key)
    if not isinstance(value, list):
        return []
    return [v for v in value if isinstance(v, int) and not isinstance(v, bool)]


def _remember(key: str, item_id: int) -> None:
    ids = [i for i in _session_ids(key) if i != item_id] + [item_id]
    session[key] = ids[-REMEMBERED:]


def _forget(key: str, item_id: int) -> None:
    if item_id in _session_ids(key):
        session[key] = [i for i in _session_ids(key) if i != item_id]


def _applicant() -> Applicant:
    return Applicant(
        citizen=g.get("citizen"),
        draft_ids=frozenset(_session_ids(SESSION_DRAFTS)),
        case_ids=frozenset(_session_ids(SESSION_CASES)),
        test_draft_ids=frozenset(_session_ids(SESSION_TESTS)),
    )


def _login_redirect():
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def _needs_login(applicant: Applicant, item_id: int) -> bool:
    """Nobody logged in and the id is none of this visitor's: logging in is the way to one's own applications."""
    return (
        applicant.anonymous
        and item_id not in applicant.draft_ids
        and item_id not in applicant.case_ids
        and item_id not in applicant.test_draft_ids
    )


def _unavailable(error: DomainError, eservice: EService | None = None):
    return render_template("portal/apply/unavailable.html", message=str(error), eservice=eservice), 403


# -- pages -------------------------------------------------------------------------------------


def _render_step(
    eservice: EService,
    definition: dict[str, Any],
    draft: Case | None,
    number: int,
    values: dict[str, Any],
    *,
    errors: dict[str, str] | None = None,
    message: str | None = None,
    return_to_summary: bool = False,
):
    page = application.step_page(definition, values, number)
    if draft is not None:
        action_url = url_for("apply.step", draft_id=draft.id, step=number)
        compute_url = url_for("apply.compute", draft_id=draft.id, step=number)
    else:
        action_url = url_for("apply.start", slug=eservice.slug)
        compute_url = url_for("apply.compute_new", slug=eservice.slug)
    return render_template(
        "portal/apply/step.html",
        eservice=eservice,
        definition=definition,
        draft=draft,
        page=page,
        current=page.current,
        values=values,
        errors=errors or {},
        message=message,
        action_url=action_url,
        compute_url=compute_url if page.has_computed else None,
        can_save_later=_applicant().may_save_later and not (draft is not None and draft.is_test),
        return_to_summary=return_to_summary,
    )


def _post_step(eservice: EService, definition: dict[str, Any], draft: Case | None, number: int):
    """A step's form was sent: save it as the button asks, then go on or show the page again."""
    applicant = _applicant()
    form, files = request.form, forms_html.uploads(request.files, definition)
    remove = form.get("remove_file", "")
    return_to_summary = form.get(RETURN_TO_SUMMARY) == "1"
    try:
        outcome = application.save_step(
            number,
            form,
            files,
            applicant=applicant,
            action=application.REMOVE if remove.isdigit() else form.get("action"),
            draft_id=draft.id if draft is not None else None,
            eservice_id=eservice.id,
            remove_document_id=int(remove) if remove.isdigit() else None,
        )
    except AlreadySubmitted as error:
        return redirect(url_for("apply.receipt", case_id=error.case_id))
    except NotFound:
        abort(404)
    except NotAllowed as error:
        return _unavailable(error, eservice)
    draft, action = outcome.draft, outcome.action
    if outcome.draft_id is not None and applicant.anonymous and not outcome.is_test:
        _remember(SESSION_DRAFTS, outcome.draft_id)

    if action in (application.REFRESH, application.REMOVE):
        # Follow-up questions shown (no script) or a file removed: the same step again, without errors.
        return _render_step(
            eservice,
            definition,
            draft,
            number,
            outcome.values,
            errors=outcome.upload_errors,
            message=outcome.message,
            return_to_summary=return_to_summary,
        )
    if outcome.all_errors:
        return _render_step(
            eservice,
            definition,
            draft,
            number,
            outcome.values,
            errors=outcome.all_errors,
            message=outcome.message,
            return_to_summary=return_to_summary,
        )
    # The way on from the draft as saved (taken before the commit): no second read of the row just written.
    draft_id, answers = outcome.draft_id, outcome.answers
    assert draft_id is not None
    if action == application.SAVE:
        return redirect(url_for("apply.saved", draft_id=draft_id))
    if action == application.BACK:
        previous = application.previous_step(definition, answers, number)
        return redirect(url_for("apply.step", draft_id=draft_id, step=previous or number))
    following = application.next_step(definition, answers, number)
    if following is None or return_to_summary:
        return redirect(url_for("apply.summary", draft_id=draft_id))
    return redirect(url_for("apply.step", draft_id=draft_id, step=following))


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_error: RequestEntityTooLarge):
    """A post larger than MAX_CONTENT_LENGTH is refused before anything of it is read (CSRF check included)."""
    back = request.path if request.endpoint in ("apply.step", "apply.start") else None
    message = _(
        "The files were too large to be received; nothing on the page could be saved. "
        "Attach smaller files, at most %(max)s MB together.",
        max=int(current_app.config.get("MAX_CONTENT_LENGTH", 0) or 0) // (1024 * 1024),
    )
    heading = _("The files were too large")
    return render_template("portal/apply/unavailable.html", heading=heading, message=message, back_url=back), 413


def _own_draft(draft_id: int, *, lock: bool = False):
    """The applicant's draft, or the response to give instead (login, 404, the receipt).

    ``lock``: for a post that saves or sends it, read with its row locked (application.load_draft), so
    that the saving finds it locked instead of reading it again.
    """
    applicant = _applicant()
    if _needs_login(applicant, draft_id):
        return None, _login_redirect()
    try:
        return application.load_draft(draft_id, applicant, lock=lock), None
    except AlreadySubmitted as error:
        return None, redirect(url_for("apply.receipt", case_id=error.case_id))
    except NotFound:
        abort(404)


@bp.route("/e-tjanster/<slug>/ansokan", methods=["GET", "POST"])
def start(slug: str):
    """Start a new application: the form's first step (the draft is made once there is something to keep)."""
    try:
        eservice, version = application.eservice_to_apply(slug)
    except NotFound:
        abort(404)
    except NotAllowed as error:
        return _unavailable(error)
    if application.login_needed(eservice, _applicant()):
        return redirect(url_for("auth.login", next=url_for("apply.start", slug=slug)))
    definition = version.definition
    try:
        number = application.first_step(definition)
    except NotFound:
        abort(404)
    if request.method == "POST":
        return _post_step(eservice, definition, None, number)
    return _render_step(eservice, definition, None, number, {})


@bp.route("/ansokan/<int:draft_id>/steg/<int:step>", methods=["GET", "POST"])
def step(draft_id: int, step: int):
    """One step of a saved application; ?fel=1 shows its errors (after a submission that failed)."""
    draft, response = _own_draft(draft_id, lock=request.method == "POST")
    if response is not None:
        return response
    definition, answers = draft.version.definition, draft.answers or {}
    if request.method == "POST":
        return _post_step(draft.eservice, definition, draft, step)
    try:
        shown = application.step_to_show(definition, answers, step)
    except NotFound:
        abort(404)
    if shown is None:
        return redirect(url_for("apply.summary", draft_id=draft.id))
    if shown != step:  # not asked for the answers given: on to the next step that is
        return redirect(url_for("apply.step", draft_id=draft.id, step=shown))
    errors = application.step_errors(draft, step) if request.args.get("fel") else {}
    message = None
    if errors:
        message = _("The application could not be submitted. Correct the errors below.")
    return _render_step(
        draft.eservice,
        definition,
        draft,
        step,
        forms_html.input_values(definition, answers),
        errors=errors,
        message=message,
        return_to_summary=request.args.get("andra") == "1",
    )


@bp.post("/ansokan/<int:draft_id>/steg/<int:step>/berakna")
def compute(draft_id: int, step: int):
    """The computed questions' results for the answers on the page (JSON), by the server's own evaluator."""
    draft, response = _own_draft(draft_id)
    if response is not None:
        return jsonify(computed={}), 404
    try:
        results = application.preview_computed(draft.version.definition, draft.answers or {}, request.form, step)
    except NotFound:
        abort(404)
    return jsonify(computed=results)


@bp.post("/e-tjanster/<slug>/ansokan/berakna")
def compute_new(slug: str):
    """As compute, on a new application's first step."""
    try:
        eservice, version = application.eservice_to_apply(slug)
    except (NotFound, NotAllowed):
        abort(404)
    if application.login_needed(eservice, _applicant()):
        abort(403)
    try:
        number = application.first_step(version.definition)
    except NotFound:
        abort(404)
    return jsonify(computed=application.preview_computed(version.definition, {}, request.form, number))


@bp.get("/ansokan/<int:draft_id>")
def resume(draft_id: int):
    """Continue a saved application where it stopped: the first step with something missing, else the summary."""
    draft, response = _own_draft(draft_id)
    if response is not None:
        return response
    number = application.resume_step(draft)
    if number is None:
        return redirect(url_for("apply.summary", draft_id=draft.id))
    return redirect(url_for("apply.step", draft_id=draft.id, step=number))


@bp.get("/ansokan/<int:draft_id>/sparad")
def saved(draft_id: int):
    """Spara och fortsätt senare: the application is saved (status Sparat) and waits on Mina sidor."""
    draft, response = _own_draft(draft_id)
    if response is not None:
        return response
    if draft.is_test:  # a test run is not kept for later
        return redirect(url_for("apply.resume", draft_id=draft.id))
    return render_template("portal/apply/saved.html", draft=draft, eservice=draft.eservice)


def _render_summary(draft: Case, *, contact_email: str | None = None, errors=None, message=None):
    applicant = _applicant()
    if contact_email is None:
        contact_email = application.first_email_answer(draft) or ""
    sections = application.summary_sections(draft)
    if draft.is_test:
        ask_email = email_required = trial.contact_asked(draft)
    else:
        ask_email, email_required = applicant.asks_receipt_email, applicant.anonymous
    return render_template(
        "portal/apply/summary.html",
        draft=draft,
        eservice=draft.eservice,
        sections=sections,
        total=len(sections) + 1,  # a section per step shown, and the summary
        token=secrets.token_urlsafe(24),
        ask_email=ask_email,
        email_required=email_required,
        contact_email=contact_email,
        errors=errors or {},
        message=message,
    )


def _refused_submission(draft: Case, error: Invalid, contact_email: str):
    """Skicka in refused (for real or in a test run): back to the first step with a wrong answer,
    else the summary with the contact address's error."""
    contact = {k: v for k, v in error.errors.items() if k.startswith("contact_")}
    answers = {k: v for k, v in error.errors.items() if k not in contact}
    if answers:
        definition = draft.version.definition
        number = application.first_error_step(definition, draft.answers or {}, answers)
        if number is not None:
            return redirect(url_for("apply.step", draft_id=draft.id, step=number, fel=1))
    return _render_summary(draft, contact_email=contact_email, errors=contact, message=error.message)


@bp.route("/ansokan/<int:draft_id>/sammanfattning", methods=["GET", "POST"])
@limits.submission
def summary(draft_id: int):
    """Sammanfattning: every answer with Ändra links; the POST is Skicka in."""
    draft, response = _own_draft(draft_id, lock=request.method == "POST")
    if response is not None:
        return response
    if request.method == "GET":
        return _render_summary(draft)
    applicant = _applicant()
    contact_email = request.form.get(application.CONTACT_EMAIL) or ""
    if draft.is_test:
        return trial.submit(draft, applicant, contact_email)
    try:
        case = application.submit_application(
            draft.id,
            applicant=applicant,
            idempotency_key=request.form.get(FORM_TOKEN),
            contact_email=contact_email,
        )
    except AlreadySubmitted as error:
        return redirect(url_for("apply.receipt", case_id=error.case_id))
    except NotFound:
        abort(404)
    except Invalid as error:
        return _refused_submission(draft, error, contact_email)
    except NotAllowed as error:
        return _unavailable(error, draft.eservice)
    # The case's id from its identity: case.id would read the row the commit just expired.
    case_id = sa_inspect(case).identity[0]
    if applicant.anonymous:
        _forget(SESSION_DRAFTS, draft_id)
        _remember(SESSION_CASES, case_id)
    return redirect(url_for("apply.receipt", case_id=case_id))


@bp.route("/ansokan/<int:draft_id>/ta-bort", methods=["GET", "POST"])
def discard(draft_id: int):
    """Delete a saved application: a page that asks, and its button."""
    draft, response = _own_draft(draft_id)
    if response is not None:
        return response
    if request.method == "GET":
        return render_template("portal/apply/discard.html", draft=draft, eservice=draft.eservice)
    applicant = _applicant()
    if draft.is_test:
        return trial.end(draft, applicant)
    try:
        eservice = application.discard_draft(draft_id, applicant=applicant)
    except AlreadySubmitted as error:
        return redirect(url_for("apply.receipt", case_id=error.case_id))
    except NotFound:
        abort(404)
    _forget(SESSION_DRAFTS, draft_id)
    flash(_("The application has been deleted."), "success")
    if applicant.citizen is not None:
        return redirect(url_for("mypages.index"))
    if eservice.enabled:
        return redirect(url_for("catalogue.eservice", slug=eservice.slug))
    return redirect(url_for("catalogue.start"))


def _own_case(case_id: int):
    applicant = _applicant()
    if _needs_login(applicant, case_id):
        return None, _login_redirect()
    try:
        return application.submitted_case(case_id, applicant), None
    except NotFound:
        abort(404)


@bp.get("/kvittens/<int:case_id>")
def receipt(case_id: int):
    """Kvittens: the case number, when, what happens next, and the PDF."""
    case, response = _own_case(case_id)
    if response is not None:
        return response
    return render_template(
        "portal/apply/receipt.html",
        case=case,
        eservice=case.eservice,
        receipt_to=application.receipt_address(case),
    )


@bp.get("/kvittens/<int:case_id>/ansokan.pdf")
def receipt_pdf(case_id: int):
    """The submitted application as PDF, for the applicant who sent it."""
    applicant = _applicant()
    if _needs_login(applicant, case_id):
        return _login_redirect()
    try:
        filename, data = pdf.applicant_pdf(case_id, applicant=applicant)
    except NotFound:
        abort(404)
    response = send_file(io.BytesIO(data), mimetype="application/pdf", download_name=filename, as_attachment=False)
    response.headers["Cache-Control"] = "private, no-store"
    return response


# The test-mode routes (Testa e-tjänsten) on this blueprint; below, as they use the helpers above.
from portal.apply import trial  # noqa: E402
