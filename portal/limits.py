"""Rate limits on the portal's login and submission (issue 4 item 6), with Flask-Limiter.

Views are marked with ``@limits.login`` (every request to the view counts) or
``@limits.submission`` (posts count); ``init_app`` then gives the app a limiter of its
own and puts the limits on the marked views. One limiter per app, not one per process:
Flask-Limiter keeps its storage and switches on the instance, so a module-global limiter
would let the last app made (a test's, say) decide for every other.

Counts live in Redis when ETJANST_REDIS_URL is set (shared by every worker), in memory
otherwise. The limits come from the config (PORTAL_LOGIN_LIMIT, PORTAL_SUBMIT_LIMIT, in
Flask-Limiter's notation, e.g. "20 per minute;200 per hour"); RATELIMIT_ENABLED switches
them off (the test config does, apart from the tests of the limits themselves).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

F = TypeVar("F", bound=Callable[..., Any])

_MARK = "_etjanst_rate_limit"
EXTENSION = "etjanst_limiter"

# kind: (config key, default, methods that count)
KINDS: dict[str, tuple[str, str, list[str]]] = {
    "login": ("PORTAL_LOGIN_LIMIT", "20 per minute", ["GET", "POST"]),
    "submission": ("PORTAL_SUBMIT_LIMIT", "10 per minute", ["POST"]),
}


def _mark(kind: str) -> Callable[[F], F]:
    def decorator(view: F) -> F:
        setattr(view, _MARK, kind)
        return view

    return decorator


#: Decorators for views: under the route decorator, e.g. ``@bp.post(...)`` then ``@limits.submission``.
login = _mark("login")
submission = _mark("submission")


def _limit_for(kind: str) -> Callable[[], str]:
    key, default, _methods = KINDS[kind]

    def limit() -> str:
        return current_app.config.get(key) or default

    return limit


def init_app(app: Flask) -> Limiter:
    """Give the app its own limiter and limit the views marked so far (call after registering the blueprints)."""
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "etjanst-portal")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    # Redis down must not lock citizens out: the error is logged and the request goes on.
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", not app.testing)
    limiter = Limiter(key_func=get_remote_address, default_limits=[])
    limiter.init_app(app)
    # The app holds its limiter: Flask-Limiter's decorated views refer to it only weakly.
    app.extensions[EXTENSION] = limiter
    for endpoint, view in list(app.view_functions.items()):
        kind = getattr(view, _MARK, None)
        if kind is None:
            continue
        _key, _default, methods = KINDS[kind]
        app.view_functions[endpoint] = limiter.limit(_limit_for(kind), methods=methods)(view)
    return limiter
