"""Back-office fixtures: the AppBuilder app on the migrated test database, CSRF on."""

from __future__ import annotations

import re

import pytest

import config
from shared.db import db
from tests import factories

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def csrf_token(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no csrf_token in the page"
    return match.group(1) or match.group(2)


def login(client, username: str, password: str = factories.PASSWORD, prefix: str = ""):
    """Log in through the real login form (CSRF token taken from the page); returns the final response."""
    page = client.get(f"{prefix}/login/")
    assert page.status_code == 200
    return client.post(
        f"{prefix}/login/",
        data={"username": username, "password": password, "csrf_token": csrf_token(page.get_data(as_text=True))},
        follow_redirects=True,
    )


@pytest.fixture(scope="session")
def backoffice_overrides(app_overrides: dict) -> dict:
    return {**app_overrides, "WTF_CSRF_ENABLED": True, "FAB_UPDATE_PERMS": True}


@pytest.fixture(scope="session")
def backoffice_app(app, backoffice_overrides: dict):
    """One back-office app per session; ``app`` (the core fixture) has migrated the schema."""
    from backoffice import create_app

    return create_app(config.get_config("test"), overrides=backoffice_overrides)


@pytest.fixture
def bo(backoffice_app, ctx):
    """The back-office app with its roles in place; the rows are removed after the test.

    The test body runs in the core app's context (``ctx``: factories, assertions), so each
    test-client request gets an app context of its own, as in production (``g`` is not
    shared between requests). Every test empties every table afterwards (roles and
    permissions too), and factories may create a bare role row first: so the roles are
    synced at the start of each test.
    """
    from backoffice.security import sync_roles

    with backoffice_app.app_context():
        sync_roles(backoffice_app.appbuilder)
        db.session.remove()
    return backoffice_app


@pytest.fixture
def client(bo):
    return bo.test_client()
