"""A connection PostgreSQL has ended (a restart, an administrator) costs at most the request it was in.

The portal here runs on the test database; PostgreSQL ends one of its connections at a chosen
moment (``pg_terminate_backend``, waiting until it is gone): while idle in the pool, in the
middle of a request, or after the answer was made. Only the app's own connections are ended.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import g, request

import config
from shared.db import db
from tests.faults.conftest import OUTAGE_HEADING


def _terminate(pid: int) -> None:
    """End a server process from another connection, and wait until it has ended."""
    with db.engine.connect() as other:
        ended = other.execute(sa.text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid}).scalar_one()
    assert ended


@pytest.fixture
def portal_app(app_overrides: dict, ctx):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no server that ends connections")
    from portal import create_app

    portal = create_app(config.get_config("test"), overrides={**app_overrides, "WTF_CSRF_ENABLED": False})

    @portal.before_request
    def _end_my_connection_now() -> None:
        # ?end=before: the connection dies after the request's first query, before the view's.
        g.pid = db.session.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        if request.args.get("end") == "before":
            _terminate(g.pid)

    @portal.after_request
    def _end_my_connection_after(response):
        # ?end=after: the answer is made, then the connection dies before the request ends.
        if request.args.get("end") == "after":
            _terminate(g.pid)
        return response

    yield portal
    with portal.app_context():
        db.engine.dispose()


def test_a_connection_ended_while_idle_in_the_pool_is_replaced_unnoticed(portal_app):
    client = portal_app.test_client()
    assert client.get("/").status_code == 200
    with portal_app.app_context():
        pid = db.session.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        db.session.remove()
    _terminate(pid)  # the pooled connection the next request would get
    # pool_pre_ping (config.py) finds it dead and opens another: the citizen sees nothing.
    assert client.get("/").status_code == 200


def test_a_connection_ended_in_the_middle_of_a_request_gives_a_503_then_the_app_goes_on(portal_app):
    client = portal_app.test_client()
    response = client.get("/?end=before")
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert OUTAGE_HEADING in response.get_data(as_text=True)
    # The dead connection was invalidated, not put back in the pool: the next request works.
    assert client.get("/").status_code == 200
    assert client.get("/e-tjanster/none").status_code == 404


def test_a_connection_ended_after_the_answer_was_made_does_not_spoil_the_answer(portal_app):
    client = portal_app.test_client()
    response = client.get("/?end=after")
    assert response.status_code == 200 and "E-tjänster" in response.get_data(as_text=True)
    assert client.get("/").status_code == 200
