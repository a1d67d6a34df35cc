"""Login and logout for citizens (F-POR-2).

Real login is e-ID through the municipality's OpenID Connect broker (``portal.auth.oidc``).
The development test login (``PORTAL_TEST_LOGIN``; never in production, whatever the
settings say) lets a developer or tester pick any citizen in the database. Both end in
the same ``log_in``: a fresh session, an audit entry, and back to the page asked for.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal import limits
from portal.auth import oidc
from portal.auth.forms import TestLoginForm
from portal.auth.session import LOGIN_METHOD_KEY, log_in, log_out, safe_local_path
from shared.db import db
from shared.errors import Invalid, NotFound
from shared.models import Citizen
from shared.services import citizens

bp = Blueprint("auth", __name__)

NEXT_KEY = "login_next"


def test_login_enabled() -> bool:
    """The test login is on: asked for in the settings, and never in production."""
    config = current_app.config
    return bool(config.get("PORTAL_TEST_LOGIN")) and config.get("ENV_NAME") != "production"


def _safe_next(default: str) -> str:
    """The ``next`` asked for, if it is a path on this site (never another host: open redirect)."""
    return safe_local_path(request.values.get("next")) or default


def _external_url(endpoint: str) -> str:
    """A full URL of the portal for the broker (https wherever the cookies are Secure)."""
    scheme = "https" if current_app.config.get("SESSION_COOKIE_SECURE") else request.scheme
    return url_for(endpoint, _external=True, _scheme=scheme)


def _redirect_uri() -> str:
    return current_app.config.get("OIDC_REDIRECT_URI") or _external_url("auth.callback")


def _start_eid():
    # Where to go after the login, kept in the session across the trip to the broker.
    session[NEXT_KEY] = _safe_next(url_for("mypages.index"))
    locale = get_locale()
    try:
        return oidc.start(_redirect_uri(), locale=locale.language if locale else None)
    except oidc.LoginFailed as failure:
        return _failed(failure.reason)


# Failures where trying again may help (not a personnummer the e-ID lacks or gets wrong).
_RETRYABLE = {"cancelled", "state", "failed", "unavailable"}
_FAILURES = {
    # reason: (HTTP status, message)
    "cancelled": (200, _l("The login was cancelled. You are not logged in.")),
    "state": (400, _l("The login could not be completed: it was not started in this browser, or took too long.")),
    "failed": (400, _l("The login could not be completed. Please try again.")),
    "unavailable": (503, _l("The e-ID service is not answering at the moment. Please try again in a while.")),
    "no_personnummer": (
        400,
        _l(
            "Your e-ID did not give us a Swedish personal identity number, so you cannot log in to the e-services "
            "with it. Contact the municipality if you need help."
        ),
    ),
    "invalid_personnummer": (
        400,
        _l(
            "The personal identity number from your e-ID is not valid, so you cannot log in to the e-services "
            "with it. Contact the municipality if you need help."
        ),
    ),
}


def _failed(reason: str):
    status, message = _FAILURES.get(reason, _FAILURES["failed"])
    return (
        render_template(
            "portal/login_failed.html",
            message=str(message),
            retry=url_for("auth.login_eid", next=session.get(NEXT_KEY))
            if reason in _RETRYABLE and oidc.is_configured()
            else None,
        ),
        status,
    )


@bp.get("/logga-in")
@limits.login
def login():
    eid, test = oidc.is_configured(), test_login_enabled()
    if eid and not test:
        return _start_eid()
    if test and not eid:
        return redirect(url_for("auth.test_login", next=request.args.get("next")))
    if eid and test:
        return render_template("portal/login.html", next=_safe_next(""))
    return render_template("portal/login_unavailable.html")


@bp.get("/logga-in/e-legitimation")
@limits.login
def login_eid():
    if not oidc.is_configured():
        abort(404)
    return _start_eid()


@bp.get("/logga-in/callback")
@limits.login
def callback():
    if not oidc.is_configured():
        abort(404)
    try:
        identity = oidc.finish()
    except oidc.LoginFailed as failure:
        return _failed(failure.reason)
    try:
        citizen = citizens.log_in_with_eid(
            identity.personnummer, first_name=identity.given_name, last_name=identity.family_name
        )
    except Invalid:
        return _failed("invalid_personnummer")
    target = safe_local_path(session.get(NEXT_KEY)) or url_for("mypages.index")
    log_in(citizen, method="e-id")
    flash(_("You are logged in as %(name)s.", name=citizen.full_name or citizen.personnummer_display), "success")
    return redirect(target)


@bp.route("/testinloggning", methods=["GET", "POST"])
@limits.login
def test_login():
    if not test_login_enabled():
        abort(404)
    people = db.session.scalars(
        select(Citizen).order_by(Citizen.last_name, Citizen.first_name, Citizen.personnummer)
    ).all()
    form = TestLoginForm()
    form.citizen.choices = [(c.id, f"{c.full_name or '–'} ({c.personnummer_display})") for c in people]
    if form.validate_on_submit():
        try:
            citizen = citizens.log_in_for_test(form.citizen.data)
        except NotFound:
            abort(404)
        log_in(citizen, method="test")
        flash(_("You are logged in as %(name)s.", name=citizen.full_name or citizen.personnummer_display), "success")
        return redirect(_safe_next(url_for("mypages.index")))
    return render_template(
        "portal/test_login.html", form=form, citizens=people, next=safe_local_path(request.args.get("next"))
    )


@bp.route("/logga-ut", methods=["GET", "POST"])
def logout():
    if request.method == "GET":
        # Logging out changes state: the page asks, the button posts (with CSRF).
        return render_template("portal/logout.html")
    by_eid = g.get("citizen") is not None and session.get(LOGIN_METHOD_KEY) == "e-id"
    log_out()
    flash(_("You are logged out."), "success")
    start = url_for("catalogue.start")
    if by_eid:
        # End the broker's session too (RP-initiated logout), when it offers that; it sends
        # the browser back to the start page, where the message above is shown.
        end_session = oidc.logout_url(_external_url("catalogue.start"))
        if end_session:
            return redirect(end_session)
    return redirect(start)
