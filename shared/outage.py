"""A database outage answered as one: 503 with Retry-After, on a page that needs no database.

While PostgreSQL restarts (or cannot be reached) every query fails with a connection error.
Without this, such a request would end in a 500 page, or in Flask's bare one when the error
page itself asks the database who is logged in. Each app registers its own page (the portal's
in its layout, the back office's bare) through ``init_app``; this module decides what counts
as an outage, rolls the session back, logs the outage once and sets the status and header.

The pool recovers by itself once the database is back: ``pool_pre_ping`` (config.py) tests a
connection before it is lent, and a connection found dead in the middle of a request is
invalidated by SQLAlchemy together with every other connection in the pool from before then.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, g, request
from sqlalchemy import exc as sa_exc

log = logging.getLogger(__name__)

# Seconds a client is asked to wait before trying again (a restart takes a few).
RETRY_AFTER_SECONDS = 5

# A connection that failed or was lost, a database shutting down or starting up, a pool
# with no connection to lend (sqlalchemy.exc.TimeoutError): temporary, so 503, not 500.
OUTAGE_ERRORS: tuple[type[BaseException], ...] = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.TimeoutError,
)
try:  # psycopg's own errors, where raw connections are used (SQLAlchemy wraps the others)
    import psycopg

    OUTAGE_ERRORS += (psycopg.OperationalError, psycopg.InterfaceError)
except ImportError:  # pragma: no cover - psycopg is a dependency; SQLite-only installs may lack it
    pass

_LOGGED = "_etjanst_outage_logged"


def is_outage(error: BaseException) -> bool:
    """Whether the error means the database cannot be reached (rather than a bug or bad data)."""
    if isinstance(error, OUTAGE_ERRORS):
        return True
    # Any other DBAPI error on a connection that SQLAlchemy found dead (and invalidated).
    return isinstance(error, sa_exc.DBAPIError) and bool(error.connection_invalidated)


def describe(error: BaseException) -> str:
    """The error for the log: its classes and PostgreSQL's SQLSTATE, never the statement or its parameters."""
    orig = getattr(error, "orig", None)
    if orig is None:
        return type(error).__name__
    sqlstate = getattr(orig, "sqlstate", None)
    name = f"{type(error).__name__}/{type(orig).__module__}.{type(orig).__name__}"
    return f"{name} sqlstate={sqlstate}" if sqlstate else name


def forget_session() -> None:
    """Roll the request's session back (its connection may be dead) without raising again."""
    from shared.db import db

    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection is gone; the pool has invalidated it
        log.debug("rollback after a database outage failed", exc_info=True)


def note(error: BaseException) -> None:
    """Log the outage at WARNING, once per request, without SQL or parameters (personal data)."""
    if g.get(_LOGGED):
        return
    g.setdefault(_LOGGED, True)
    log.warning(
        "Database unavailable (%s): %s %s answered 503",
        describe(error),
        request.method,
        request.path,
    )


def init_app(app: Flask, render: Callable[[BaseException], Any]) -> None:
    """Answer database outages with ``render(error)`` (a page or JSON) as 503 with Retry-After.

    Other database errors (an IntegrityError, a DataError …) go on to the 500 handler as before.
    """

    def handle(error: BaseException):
        if not is_outage(error):
            raise error
        forget_session()
        note(error)
        response = app.make_response(render(error))
        response.status_code = 503
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    for error_class in (*OUTAGE_ERRORS, sa_exc.DBAPIError):
        app.register_error_handler(error_class, handle)
    # Runs before Flask-SQLAlchemy's own removal (teardowns run in reverse order of registration).
    app.teardown_appcontext(end_session)


def end_session(_error: BaseException | None = None) -> None:
    """After each request: close the session; a connection that died meanwhile is dropped, not a 500.

    The database may go away after the answer was made but before the request ends: the
    session's closing ROLLBACK then fails on a connection the server has terminated. The
    answer stands; the connection is invalidated (the pool opens a new one) and the session
    forgotten, so the next request in this thread starts afresh.
    """
    from shared.db import db

    try:
        db.session.remove()
    except Exception as error:
        if not is_outage(error):
            raise
        log.info("Database connection lost at the end of a request (%s): dropped", describe(error))
        with contextlib.suppress(Exception):
            db.session.invalidate()
        db.session.registry.clear()


__all__ = [
    "OUTAGE_ERRORS",
    "RETRY_AFTER_SECONDS",
    "describe",
    "end_session",
    "forget_session",
    "init_app",
    "is_outage",
    "note",
]
