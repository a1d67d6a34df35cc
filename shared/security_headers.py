"""Security headers for every answer of a web app (portal and back office, issue 9 item 1).

``init_app(app, policy)`` adds, to every response that does not set its own:
Content-Security-Policy (from ``policy()``), X-Content-Type-Options nosniff, X-Frame-Options
DENY, Referrer-Policy same-origin, a Permissions-Policy that switches off camera,
microphone, geolocation and payment, and HSTS when the session cookie is Secure (production
runs behind https; tests and development on plain http get none).

It also gives templates ``csp_nonce()``: a random value per request that a policy may
allow inline scripts by (``'nonce-…'``). Flask-AppBuilder's templates call it through
``baselib.get_nonce()`` on every inline ``<script>`` of theirs.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Callable, Iterable

from flask import Flask, current_app, g
from werkzeug.wrappers import Response

HSTS = "max-age=31536000"
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=()"


def csp_nonce() -> str:
    """This request's nonce for inline scripts (the same value however often it is asked for)."""
    nonce = g.get("_csp_nonce")
    if nonce is None:
        nonce = g._csp_nonce = secrets.token_urlsafe(18)
    return nonce


def style_hash(value: str) -> str:
    """The CSP source that allows one exact inline ``style="…"`` value (with ``'unsafe-hashes'``)."""
    digest = hashlib.sha256(value.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def policy(directives: dict[str, Iterable[str]]) -> str:
    """A Content-Security-Policy header value from ``{"script-src": ["'self'"], …}`` (in that order)."""
    return "; ".join(f"{name} {' '.join(sources)}".strip() for name, sources in directives.items())


def add_headers(response: Response, content_security_policy: str) -> Response:
    """Put the security headers on one response (what it sets itself is kept)."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", content_security_policy)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def init_app(app: Flask, content_security_policy: Callable[[], str]) -> None:
    """Security headers on every answer of ``app``; ``csp_nonce()`` for its templates."""

    def _headers(response: Response) -> Response:
        return add_headers(response, content_security_policy())

    app.after_request(_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
