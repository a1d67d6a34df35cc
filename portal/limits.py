"""Rate limits on the portal's login and submission (F-POR security), with Flask-Limiter.

Counts live in Redis when ETJANST_REDIS_URL is set (shared by every worker), in memory
otherwise. The limits come from config (PORTAL_LOGIN_LIMIT, PORTAL_SUBMIT_LIMIT) so an
operator can tune them without a code change.
"""

from __future__ import annotations

from flask import Flask, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(key_func=get_remote_address, default_limits=[])


def _login_limit() -> str:
    return current_app.config.get("PORTAL_LOGIN_LIMIT", "10 per minute")


def _submit_limit() -> str:
    return current_app.config.get("PORTAL_SUBMIT_LIMIT", "10 per minute")


# Decorators for the views: @limits.login on the login routes, @limits.submission on posts that submit.
login = limiter.limit(_login_limit, methods=["POST", "GET"])
submission = limiter.limit(_submit_limit, methods=["POST"])


def init_app(app: Flask) -> None:
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    limiter.init_app(app)
