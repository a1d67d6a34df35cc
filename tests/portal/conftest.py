"""Portal fixtures: the portal app on the migrated test database, CSRF on."""

from __future__ import annotations

import re

import pytest

import config
from tests.oidc_provider import oidc_provider  # noqa: F401  (the local e-ID broker, for login tests)

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def csrf_token(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no csrf_token in the page"
    return match.group(1) or match.group(2)


@pytest.fixture(scope="session")
def portal_overrides(app_overrides: dict) -> dict:
    return {
        **app_overrides,
        "WTF_CSRF_ENABLED": True,
        "PORTAL_TEST_LOGIN": True,
        "MUNICIPALITY_NAME": "Exempelby kommun",
    }


@pytest.fixture(scope="session")
def portal_app(app, portal_overrides: dict):
    """One portal app per session; ``app`` (the core fixture) has migrated the schema."""
    from portal import create_app

    return create_app(config.get_config("test"), overrides=portal_overrides)


@pytest.fixture
def portal(portal_app, ctx):
    """The portal app; the test body runs in the core app's context (``ctx``), so each
    test-client request gets an app context of its own, as in production. The rows are
    removed after the test."""
    return portal_app


@pytest.fixture
def client(portal):
    return portal.test_client()


def visible_text(html: str) -> str:
    """A page's text as a reader sees it: no scripts or styles, no tags, whitespace collapsed."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def make_portal(portal_overrides: dict, **settings):
    """A portal app of the test's own, with these settings on top of the portal tests' overrides."""
    from portal import create_app

    return create_app(config.get_config("test"), overrides={**portal_overrides, **settings})


def log_in_by_test_login(client, citizen, next_url: str | None = None):
    """Log in through the test login form, CSRF and all, as a person would; the redirect it answers with."""
    url = "/testinloggning" + (f"?next={next_url}" if next_url else "")
    token = csrf_token(client.get(url).get_data(as_text=True))
    response = client.post(url, data={"citizen": str(citizen.id), "csrf_token": token})
    assert response.status_code == 302, response.status_code
    return response
