"""Testa e-tjänsten (F-ES-4) in the portal: a builder's or handler's test run of one version.

The back office sends the tester to ``/testa/<token>`` (a signed link good for ten minutes).
That makes a test draft of exactly that version and keeps its id in this session (like an
anonymous visitor's draft, in a list of its own); from there the normal application pages run
on it, each with the test-mode banner, e-ID not asked for. Skicka in checks everything as for
real, then shows how the application would have looked and deletes the test draft
(shared.services.trial_runs). Named ``trial`` so that no tool takes it for a test module.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from portal.apply.routes import SESSION_TESTS, _forget, _refused_submission, _remember, bp
from shared.errors import DomainError, Invalid, NotAllowed, NotFound
from shared.models import Case
from shared.services import application, trial_runs
from shared.services.application import Applicant


def contact_asked(draft: Case) -> bool:
    """Whether the test's summary asks for the receipt's e-mail address (as for an anonymous applicant)."""
    return trial_runs.contact_asked_in_trial(draft.eservice)


def _link_problem(error: Exception, status: int):
    return (
        render_template(
            "portal/apply/unavailable.html",
            heading=_("The test cannot be started"),
            message=str(error),
        ),
        status,
    )


@bp.get("/testa/<token>")
def start_test(token: str):
    """Open a test link from the back office: a new test run of that version, at its first step."""
    try:
        draft = trial_runs.open_test(token)
    except trial_runs.InvalidTestLink as error:
        return _link_problem(error, 400)
    except NotAllowed as error:  # the link has expired, or the tester may no longer test the e-service
        return _link_problem(error, 403)
    except NotFound:
        abort(404)
    except DomainError as error:  # the e-service cannot take applications as set up (no Sparat status)
        return _link_problem(error, 400)
    _remember(SESSION_TESTS, draft.id)
    try:
        number = application.first_step(draft.version.definition)
    except NotFound:  # a version with nothing to fill in: straight to the summary
        return redirect(url_for("apply.summary", draft_id=draft.id))
    return redirect(url_for("apply.step", draft_id=draft.id, step=number))


def submit(draft: Case, applicant: Applicant, contact_email: str):
    """Skicka in in test mode: the checks of a real submission, then the test receipt; the test draft is gone."""
    try:
        receipt = trial_runs.submit_test(draft.id, applicant=applicant, contact_email=contact_email)
    except NotFound:
        abort(404)
    except Invalid as error:
        return _refused_submission(draft, error, contact_email)
    _forget(SESSION_TESTS, draft.id)
    return render_template(
        "portal/apply/test_receipt.html",
        receipt=receipt,
        eservice=receipt.eservice,
        total=len(receipt.sections) + 1,
    )


def end(draft: Case, applicant: Applicant):
    """Ta bort ansökan in test mode: the test run ends and leaves nothing."""
    try:
        trial_runs.end_test(draft.id, applicant=applicant)
    except NotFound:
        abort(404)
    _forget(SESSION_TESTS, draft.id)
    flash(_("The test has ended. Nothing of what you filled in has been kept."), "success")
    return redirect(url_for("catalogue.start"))


__all__ = ["contact_asked", "end", "start_test", "submit"]
