"""The back office's web security (issue 9 item 1): headers, sessions that end when idle,
the login's rate limit and the password rules for local users.

``init_app(app)`` is called by ``create_app`` before AppBuilder is set up (FAB reads the
rate-limit settings when it builds its limiter):

- Security headers on every answer (``shared.security_headers``, as the portal): a
  Content-Security-Policy that runs only the back office's own script files and inline
  scripts carrying this request's nonce (FAB's templates put ``baselib.get_nonce()`` on
  each), no framing, nosniff, HSTS in production; pages of a logged-in user are not kept.
- Styles: our templates use classes only. FAB's templates have a handful of fixed
  ``style="…"`` attributes (hidden action forms, the pager, the login box) that a nonce
  cannot allow, so the policy allows exactly those values by hash (``'unsafe-hashes'``,
  ``FAB_STYLE_ATTRIBUTES``); no other inline style and no ``<style>`` element applies.
- A session ends after PERMANENT_SESSION_LIFETIME (ETJANST_SESSION_IDLE_MINUTES) without a
  request, counted from the last request (not from the last time the cookie was written),
  and the login page says why.
- FAB's login form is rate limited per client address (BACKOFFICE_LOGIN_LIMIT), counted
  in Redis when ETJANST_REDIS_URL is set (shared by every worker), in memory otherwise.
- Passwords that an administrator sets or a user chooses follow ``password_problem``.
- FAB's logout is a GET (``/logout/``): one coming from another site (``Sec-Fetch-Site``
  ``cross-site`` or ``same-site``) does not log out but asks, with a form that POSTs (CSRF
  token) to the same address; a logout from our own pages (or a typed address) works as before.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_appbuilder.exceptions import PasswordComplexityValidationError
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, logout_user
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

from shared import security_headers, web_session
from shared.db import db

LAST_SEEN_KEY = "last_seen"
# Kept across the end of an idle session.
KEEP_KEYS = ("locale",)
# Requests that are not activity (files, the health check).
_PASSIVE_ENDPOINTS = {"static", "appbuilder.static", "forms.static", "healthz"}

# FAB's templates' fixed style attributes (appbuilder/general/lib.html, model/show.html and
# edit.html, widgets/show*.html, security/login_db.html): allowed by their hash, nothing else.
FAB_STYLE_ATTRIBUTES = (
    "display: none",
    "display: none;",
    "display:inherit;",
    "color: red",
    "display: flex;",
    "white-space: pre-line",
    "margin-top:50px;",
    "padding-top:30px",
)

MIN_PASSWORD_LENGTH = 12
# Passwords that people choose first and guessers try first (ASVS 2.1.7 asks for a list):
# only those of 12 characters or more matter here, the rest are too short anyway.
COMMON_PASSWORDS = frozenset(
    {
        "123456789012",
        "1234567890123",
        "12345678910111213",
        "qwertyuiop12",
        "qwertyuiop123",
        "qwerty123456",
        "password1234",
        "password12345",
        "password123!",
        "passw0rd1234",
        "lösenord1234",
        "losenord1234",
        "lösenord123!",
        "sommar2024!!",
        "sommar2025!!",
        "sommar2026!!",
        "vinter2025!!",
        "vinter2026!!",
        "välkommen123",
        "valkommen123",
        "välkommen1234",
        "valkommen1234",
        "1qaz2wsx3edc",
        "abc123abc123",
        "abcdefgh1234",
        "iloveyou1234",
        "administrator",
        "administrator1",
        "admin1234567",
        "changeme1234",
        "letmein12345",
        "etjanst-demo",
        "etjanst12345",
        "etjänst12345",
        "kommunen1234",
    }
)


def content_security_policy() -> str:
    """Only the back office's own files; inline scripts by this request's nonce; FAB's fixed style attributes."""
    return security_headers.policy(
        {
            "default-src": ["'self'"],
            "script-src": ["'self'", f"'nonce-{security_headers.csp_nonce()}'"],
            "style-src": ["'self'", "'unsafe-hashes'", *map(security_headers.style_hash, FAB_STYLE_ATTRIBUTES)],
            "font-src": ["'self'"],
            "img-src": ["'self'", "data:"],
            "connect-src": ["'self'"],
            "object-src": ["'none'"],
            "base-uri": ["'self'"],
            "form-action": ["'self'"],
            "frame-ancestors": ["'none'"],
        }
    )


# -- sessions that end when idle ---------------------------------------------------------------


def _passive() -> bool:
    return request.endpoint in _PASSIVE_ENDPOINTS or request.path.startswith("/api/")


def _login_url(**args: Any) -> str:
    return url_for(f"{current_app.appbuilder.sm.auth_view.endpoint}.login", **args)


def end_idle_session() -> Response | None:
    """Before each request (and before the CSRF check): log out a user idle too long, and say why."""
    if _passive() or "_user_id" not in session:
        return None
    seen = session.get(LAST_SEEN_KEY)  # none yet: logged in before this rule existed, counts from now
    if seen is None or not web_session.idle_too_long(seen, current_app.permanent_session_lifetime):
        return None
    kept = {key: session[key] for key in KEEP_KEYS if key in session}
    logout_user()
    session.clear()
    session.update(kept)
    minutes = max(1, round(current_app.permanent_session_lifetime.total_seconds() / 60))
    flash(
        _(
            "You have been logged out after a period of inactivity (%(minutes)s minutes). Log in again to continue.",
            minutes=minutes,
        ),
        "info",
    )
    if request.method in ("GET", "HEAD"):
        return redirect(_login_url(next=request.full_path.rstrip("?")))
    # A form sent into an ended session: what it said cannot be taken (its token went with the
    # session); the login page leads back to the page it came from.
    referrer = request.referrer or ""
    back = referrer[len(request.host_url) - 1 :] if referrer.startswith(request.host_url) else None
    return redirect(_login_url(next=back) if back else _login_url(), code=303)


def stamp_last_seen(response: Response) -> Response:
    """After each request of a logged-in user: note the time (the idle time counts from here)."""
    if not _passive() and "_user_id" in session:
        session[LAST_SEEN_KEY] = web_session.stamp()
        # Pages with personal data are not kept by the browser or a proxy.
        response.headers.setdefault("Cache-Control", "no-store")
    return response


# -- logout only from our own pages ------------------------------------------------------------

# Sec-Fetch-Site values of a request another site started (a link, an image, a form there).
_FOREIGN_SITES = {"cross-site", "same-site"}


def _logout_endpoint() -> str:
    return f"{current_app.appbuilder.sm.auth_view.endpoint}.logout"


def confirm_foreign_logout() -> str | None:
    """Before FAB's GET /logout/: another site cannot log staff out, it gets a page that asks."""
    if request.endpoint != _logout_endpoint() or request.headers.get("Sec-Fetch-Site") not in _FOREIGN_SITES:
        return None
    if "_user_id" not in session:
        return None  # nobody to log out: FAB's logout only leads to the start page
    if not hasattr(g, "user"):  # before AppBuilder's before_request set it
        g.user = current_user
    appbuilder = current_app.appbuilder
    return render_template(
        "backoffice/logout_confirm.html", appbuilder=appbuilder, base_template=appbuilder.base_template
    )


def logout_confirmed() -> Response:
    """POST /logout/ (the confirm page's form; CSRFProtect has checked its token): FAB's logout."""
    return current_app.view_functions[_logout_endpoint()]()


# -- the login's rate limit ----------------------------------------------------------------------


def too_many_requests(_error: Exception):
    """The 429 page: in Swedish, in the back office's frame when there is one."""
    from backoffice.api.base import is_api_request, json_error, status_message

    if is_api_request():
        return json_error(429, status_message(429))
    if not hasattr(g, "user"):  # refused before AppBuilder's before_request set it
        g.user = current_user
    appbuilder = current_app.appbuilder
    page = render_template(
        "backoffice/error.html", status=429, appbuilder=appbuilder, base_template=appbuilder.base_template
    )
    return page, 429


# -- passwords -----------------------------------------------------------------------------------


def password_problem(password: str, username: str | None = None) -> str | None:
    """What is wrong with a new password (a Swedish sentence), or None when it will do.

    ASVS 2.1: at least 12 characters, not only letters or only digits, not the username,
    not one of the commonest passwords; no other composition rules.
    """
    password = password or ""
    if len(password) < MIN_PASSWORD_LENGTH:
        return _("The password must be at least %(count)s characters long.", count=MIN_PASSWORD_LENGTH)
    if password.isdigit() or password.isalpha():
        return _("The password must not be only letters or only digits.")
    folded = password.casefold()
    if username:
        name = username.strip().casefold()
        if name and (folded == name or re.sub(r"[\W\d_]+", "", folded) == name):
            return _("The password must not be your username.")
    if folded in COMMON_PASSWORDS:
        return _("The password is too common. Choose another one.")
    return None


def _username_for_new_password() -> str | None:
    """Whose password the form sets: the new user's (Lägg till), the chosen user's (Återställ), or one's own."""
    if request.form.get("username"):
        return request.form["username"]
    sm = current_app.appbuilder.sm
    pk = request.args.get("pk")
    if pk and (request.endpoint or "").startswith(f"{sm.resetpasswordview.__name__}."):
        user = db.session.get(sm.user_model, pk) if str(pk).isdigit() else None
        return user.username if user else None
    return current_user.username if current_user.is_authenticated else None


PASSWORD_RULES = _l("At least 12 characters, not only letters or digits, not your username, not a common password.")


def _describe_the_rules() -> None:
    """FAB's password fields say "this application does not check this for you": now it does, and says what."""
    from flask_appbuilder.security.forms import ResetPasswordForm
    from flask_appbuilder.security.views import UserDBModelView

    for field in (ResetPasswordForm.password, UserDBModelView.add_form_extra_fields["password"]):
        field.kwargs["description"] = PASSWORD_RULES


def validate_password(password: str) -> None:
    """FAB_PASSWORD_COMPLEXITY_VALIDATOR: raises FAB's error with our Swedish message."""
    problem = password_problem(password, _username_for_new_password())
    if problem:
        raise PasswordComplexityValidationError(problem)


# -- setting it up -------------------------------------------------------------------------------


def init_app(app: Flask) -> None:
    """Call before AppBuilder is initialised."""
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies:
        # Behind a TLS-terminating proxy: the client's address (rate limit, audit) and https.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)  # type: ignore[method-assign]
    # FAB's login limit, on FAB's limiter (which the REST API's login shares).
    app.config.setdefault("AUTH_RATE_LIMITED", True)
    app.config.setdefault("AUTH_RATE_LIMIT", app.config.get("BACKOFFICE_LOGIN_LIMIT") or "10 per minute")
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "etjanst-backoffice")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    # Redis down must not lock staff out: the error is logged and the request goes on.
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", not app.testing)
    app.config.setdefault("FAB_PASSWORD_COMPLEXITY_VALIDATOR", validate_password)
    _describe_the_rules()

    app.session_interface = web_session.IdleAwareSessionInterface()
    # First of all before-request functions: before the CSRF check, so that a form sent into
    # an ended session is sent to the login page with why, not refused as a forgery.
    app.before_request_funcs.setdefault(None, []).insert(0, end_idle_session)
    app.after_request(stamp_last_seen)
    app.before_request(confirm_foreign_logout)
    # FAB's AuthView has route_base "" and exposes GET /logout/ only: the confirm form posts here.
    app.add_url_rule("/logout/", "logout_confirmed", logout_confirmed, methods=["POST"])
    security_headers.init_app(app, content_security_policy)
    app.register_error_handler(429, too_many_requests)
