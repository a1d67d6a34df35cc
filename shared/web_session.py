"""The signed session cookie of both web apps, read so that an idle session can be ended on purpose.

Flask drops a session cookie written longer ago than PERMANENT_SESSION_LIFETIME without a
word. Both apps instead stamp the time of every request in the session and end an idle one
themselves, telling the user why (``portal.auth.session``, ``backoffice.web_security``): for
that they must be able to read a cookie older than the lifetime, up to ``COOKIE_MAX_AGE``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature

from shared import clock

# A cookie older than this since it was last written is not read at all (the idle check is
# the rule; this only bounds how long a copied cookie is worth anything).
COOKIE_MAX_AGE = dt.timedelta(hours=12)


class IdleAwareSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie, read even when older than PERMANENT_SESSION_LIFETIME (up to COOKIE_MAX_AGE)."""

    def open_session(self, app: Flask, request: Any) -> Any:
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        max_age = max(COOKIE_MAX_AGE, app.permanent_session_lifetime)
        try:
            return self.session_class(serializer.loads(value, max_age=int(max_age.total_seconds())))
        except BadSignature:
            return self.session_class()


def idle_too_long(last_seen: str | None, lifetime: dt.timedelta) -> bool:
    """Whether a session last seen at ``last_seen`` (ISO time, as stamped) has been idle longer than ``lifetime``."""
    try:
        last = dt.datetime.fromisoformat(last_seen) if last_seen else None
    except (TypeError, ValueError):
        last = None
    return last is None or clock.now() - last > lifetime


def stamp() -> str:
    """The time to note as a session's last request."""
    return clock.now().isoformat(timespec="seconds")
