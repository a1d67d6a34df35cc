"""Fault tests: the apps with the database gone (a closed port), and a PostgreSQL of their own to restart."""

from __future__ import annotations

import re

import pytest

import config

# Nothing listens on port 1 of the loopback: every connection is refused at once, as while
# PostgreSQL is stopped. Either test database run (SQLite or PostgreSQL) can use it.
DEAD_DATABASE_URL = "postgresql+psycopg://etjanst@127.0.0.1:1/etjanst"

OUTAGE_HEADING = "Tjänsten är tillfälligt otillgänglig"


def visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


@pytest.fixture(scope="session")
def dead_overrides(app_overrides: dict) -> dict:
    """The test settings with a database that cannot be reached."""
    return {
        **app_overrides,
        "SQLALCHEMY_DATABASE_URI": DEAD_DATABASE_URL,
        "WTF_CSRF_ENABLED": False,
        "FAB_UPDATE_PERMS": False,
        "MUNICIPALITY_NAME": "Exempelby kommun",
    }


@pytest.fixture(scope="session")
def dead_portal(dead_overrides: dict):
    from portal import create_app

    return create_app(config.get_config("test"), overrides=dead_overrides)


@pytest.fixture(scope="session")
def dead_backoffice(dead_overrides: dict):
    from backoffice import create_app

    return create_app(config.get_config("test"), overrides=dead_overrides)
