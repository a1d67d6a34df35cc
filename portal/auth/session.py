"""Who the citizen is during a visit, and how long a visit lasts.

``session["citizen_id"]`` is loaded into ``g.citizen``. The session is a signed cookie
that dies with the browser; on the server it ends after PERMANENT_SESSION_LIFETIME
(30 minutes) without a request: every request stamps the time in the session, and a
request that comes later than that finds the session emptied (issue 4 item 6).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from shared import clock
from shared.db import db
from shared.models import Citizen
from shared.web_session import IdleAwareSessionInterface

SESSION_KEY = "citizen_id"
LOGIN_METHOD_KEY = "login_method"
LAST_SEEN_KEY = "last_seen"
# Kept across a login, a logout and the end of an idle session.
KEEP_KEYS = ("locale",)
# Keys that do not make a visit worth telling that it ended.
_HOUSEKEEPING = {LAST_SEEN_KEY, "locale", "csrf_token", "_flashes"}
# Endpoints whose requests do not count as activity (nor start a session).
_PASSIVE_ENDPOINTS = {"static", "forms.static", "healthz"}


def safe_local_path(target: str | None, *, host: str | None = None) -> str | None:
    """``target`` as a path on this site (with its query), or None: never another host (open redirect).

    A path ("/mina-sidor?x=1") is taken as it is; a full URL only when ``host`` is given
    and it names that host (a Referer header).
    """
    target = (target or "").strip()
    if not target or "\\" in target or any(ord(ch) < 32 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        if host is None or parts.scheme not in ("http", "https") or parts.netloc != host:
            return None
    path = parts.path
    if not path.startswith("/") or path.startswith("//"):
        return None
    return path + (f"?{parts.query}" if parts.query else "") + (f"#{parts.fragment}" if parts.fragment else "")


def _idle_minutes(app: Flask) -> int:
    return max(1, round(app.permanent_session_lifetime.total_seconds() / 60))


def end_idle_session() -> Response | None:
    """Before each request: end the session if it has been idle too long (and say so)."""
    seen = session.get(LAST_SEEN_KEY)
    if not seen:
        return None
    try:
        last = dt.datetime.fromisoformat(seen)
    except (TypeError, ValueError):
        last = None
    if last is not None and clock.now() - last <= current_app.permanent_session_lifetime:
        return None
    was_logged_in = SESSION_KEY in session
    had_more = any(key not in _HOUSEKEEPING for key in session)
    log_out()
    minutes = _idle_minutes(current_app)
    if was_logged_in:
        flash(
            _("You have been logged out because you have not been active for %(minutes)s minutes.", minutes=minutes),
            "info",
        )
    elif had_more:
        flash(
            _("Your visit has ended because you have not been active for %(minutes)s minutes.", minutes=minutes), "info"
        )
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        # The form's CSRF token went with the session: show the page again instead of an error.
        back = safe_local_path(request.referrer, host=request.host)
        return redirect(back or url_for("catalogue.start"), code=303)
    return None


def stamp_last_seen(response: Response) -> Response:
    """After each request: note the time of the visit's last request (when there is a visit)."""
    if request.endpoint in _PASSIVE_ENDPOINTS:
        return response
    if any(key != LAST_SEEN_KEY for key in session):
        session[LAST_SEEN_KEY] = clock.now().isoformat(timespec="seconds")
    return response


def init_app(app: Flask) -> None:
    """Sessions that end when idle, and ``g.citizen``; call before CSRF protection is set up.

    The idle check and the citizen come before the CSRF check (and its reading of the
    form, which may refuse a too large post): every answer, an error page included, knows
    who is logged in.
    """
    # Flask's signed cookie, read even when older than the lifetime: ``end_idle_session`` ends
    # such a session on purpose and tells the citizen why (shared with the back office).
    app.session_interface = IdleAwareSessionInterface()
    app.before_request(end_idle_session)
    app.before_request(load_citizen)
    app.after_request(stamp_last_seen)


def load_citizen() -> None:
    """Before each request: the logged-in citizen in ``g.citizen`` (None for a visitor and for static files)."""
    if request.endpoint in _PASSIVE_ENDPOINTS:
        g.citizen = None
        return
    citizen_id = session.get(SESSION_KEY)
    g.citizen = db.session.get(Citizen, citizen_id) if citizen_id else None
    if citizen_id and g.citizen is None:  # the citizen was removed meanwhile
        session.pop(SESSION_KEY, None)


def log_in(citizen: Citizen, *, method: str) -> None:
    """Start a fresh session for the citizen: nothing from before the login is kept but the language.

    ``method`` ("e-id", "test") tells the logout whether the broker's session is to end too.
    """
    log_out()
    session[SESSION_KEY] = citizen.id
    session[LOGIN_METHOD_KEY] = method
    # A browser-session cookie: it ends when the browser closes, and after 30 idle
    # minutes on the server (end_idle_session).
    session.permanent = False


def log_out() -> None:
    """End the session: nothing is kept but the language."""
    kept = {key: session[key] for key in KEEP_KEYS if key in session}
    session.clear()
    session.update(kept)


def citizen_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Send a visitor who is not logged in to the login page, and back here afterwards."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if g.get("citizen") is None:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapper
