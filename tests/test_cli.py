"""The `etjanst` command as an operator uses it: migrate a fresh database, seed the demo twice."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

import config
from tests.conftest import TEST_DATABASE_URL


@pytest.fixture
def fresh_database_url(tmp_path):
    """An empty database of the kind the suite runs on (a new PostgreSQL database, or an SQLite file)."""
    if not TEST_DATABASE_URL:
        yield f"sqlite:///{tmp_path / 'cli.db'}"
        return
    url = make_url(TEST_DATABASE_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"etjanst_cli_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _etjanst(args: list[str], url: str, tmp_path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "ETJANST_ENV": "development",
        "ETJANST_DATABASE_URL": url,
        "ETJANST_UPLOAD_DIR": str(tmp_path / "uploads"),
        "ETJANST_MAIL_FOLDER": str(tmp_path / "mail"),
    }
    return subprocess.run(
        [sys.executable, "-c", "from cli import main; import sys; main(sys.argv[1:])", *args],
        cwd=config.BASE_DIR, env=env, capture_output=True, text=True, timeout=300,
    )


def _counts(url: str) -> dict[str, int]:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            counts = {
                table: conn.execute(sa.text(f'SELECT count(*) FROM "{table}"')).scalar_one()
                for table in ("ab_user", "ab_role", "ab_permission_view_role", "handler_group", "eservice",
                              "eservice_version", "citizen", "cases", "message", "internal_note", "case_event")
            }
            counts["submitted"] = conn.execute(sa.text("SELECT count(*) FROM cases WHERE number IS NOT NULL")).scalar_one()
            counts["unassigned"] = conn.execute(
                sa.text("SELECT count(*) FROM cases WHERE number IS NOT NULL AND NOT assigned")
            ).scalar_one()
            return counts
    finally:
        engine.dispose()


def test_db_upgrade_then_demo_is_idempotent(fresh_database_url, tmp_path):
    upgraded = _etjanst(["db", "upgrade"], fresh_database_url, tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "is up to date" in upgraded.stdout

    first = _etjanst(["demo", "--cases", "40"], fresh_database_url, tmp_path)
    assert first.returncode == 0, first.stderr
    for login in ("admin", "byggare", "anna", "bertil", "etjanst-demo"):
        assert login in first.stdout
    after_first = _counts(fresh_database_url)
    assert after_first["submitted"] == 40
    assert after_first["cases"] > 40  # plus a few saved drafts (Sparat)
    assert after_first["unassigned"] > 0  # something waits under Obehandlade
    assert after_first["eservice"] == 4
    assert after_first["eservice_version"] == 6  # Larmavtal has three versions
    assert after_first["message"] > 0 and after_first["internal_note"] > 0

    again = _etjanst(["db", "upgrade"], fresh_database_url, tmp_path)
    assert again.returncode == 0, again.stderr
    second = _etjanst(["demo", "--cases", "40"], fresh_database_url, tmp_path)
    assert second.returncode == 0, second.stderr
    assert _counts(fresh_database_url) == after_first


def test_production_without_settings_refuses_with_a_clear_message(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ETJANST_")}
    env["ETJANST_ENV"] = "production"
    result = subprocess.run(
        [sys.executable, "-c", "from cli import main; main(['db', 'upgrade'])"],
        cwd=config.BASE_DIR, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 2
    assert "ETJANST_SECRET_KEY" in result.stderr
    assert "Traceback" not in result.stderr
