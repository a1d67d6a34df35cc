"""Fixtures for the scheduler's tests: the typical world, a real SMTP server, outbox rows."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import insert

from shared import clock
from shared.db import db
from shared.models import Channel, OutboxMessage, OutboxState
from tests import factories
from tests.smtp_server import smtp_server  # noqa: F401  (a fixture)


@pytest.fixture
def world(ctx) -> factories.World:
    return factories.world()


@pytest.fixture
def cli_env(app, database_url, monkeypatch):
    """`etjanst` run in-process (click's runner) against the test database and file store."""
    from click.testing import CliRunner

    for key, value in {
        "ETJANST_ENV": "test",
        "ETJANST_DATABASE_URL": database_url,
        "ETJANST_UPLOAD_DIR": app.config["UPLOAD_DIR"],
        "ETJANST_MAIL_FOLDER": app.config["MAIL_FOLDER"],
        "ETJANST_MAIL_BACKEND": "file",
    }.items():
        monkeypatch.setenv(key, value)
    return CliRunner()


def queue_emails(
    count: int, *, address: str = "person{n}@example.org", created_at: dt.datetime | None = None
) -> list[str]:
    """Put ``count`` due e-mail notifications in the outbox (committed); their uuids in order."""
    import uuid

    now = created_at or clock.now()
    rows = [
        {
            "uuid": str(uuid.uuid4()),
            "event": "status_changed",
            "channel": Channel.EMAIL,
            "recipient_address": address.format(n=n),
            "subject": f"Ditt ärende {1000 + n} har fått ny status",
            "body": f"Hej!\n\nDitt ärende {1000 + n} har nu status: Klart.\n\nMina sidor: https://e.example.se/{n}",
            "state": OutboxState.PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for n in range(count)
    ]
    db.session.execute(insert(OutboxMessage), rows)
    db.session.commit()
    return [r["uuid"] for r in rows]
