"""Fixtures: one app per test session on a real database built by the migrations.

SQLite by default (a file in a temporary folder); set ETJANST_TEST_DATABASE_URL to run
the same suite on PostgreSQL (``.ci/run`` does both). Tables are emptied after each test.
"""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

import config
from shared.db import db

TEST_DATABASE_URL = os.environ.get("ETJANST_TEST_DATABASE_URL")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory):
    if not TEST_DATABASE_URL:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'etjanst-test.db'}"
        return
    url = TEST_DATABASE_URL
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        yield url
        return
    # With pytest-xdist each worker gets a database of its own beside the given one, so
    # that emptying the tables after a test never touches another worker's rows.
    base = make_url(url)
    name = f"{base.database}_{worker}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def app_overrides(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Settings every test app shares: the test database, and folders in tmp."""
    files = tmp_path_factory.mktemp("files")
    return {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "UPLOAD_DIR": str(files / "uploads"),
        "MAIL_FOLDER": str(files / "mail"),
        "MAIL_BACKEND": "file",
        "SERVER_NAME": None,
    }


def _reset_schema() -> None:
    """Drop everything, then build the schema with the migrations, as production does."""
    from flask_migrate import upgrade

    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        else:
            db.metadata.drop_all(conn)
            conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    upgrade(directory=str(config.BASE_DIR / "migrations"))


@pytest.fixture(scope="session")
def app(app_overrides: dict):
    """The core app (database, Babel, mail; no views) with a migrated schema."""
    from shared.app import create_core_app

    app = create_core_app("etjanst_tests", config.get_config("test"), overrides=app_overrides)
    with app.app_context():
        _reset_schema()
        db.session.remove()
    return app


def empty_all_tables() -> None:
    """Remove every row (faster than rebuilding the schema between tests).

    PostgreSQL truncates only the tables that have rows (a TRUNCATE of all ~50 tables
    costs about a second). SQLite switches foreign keys off and on outside a transaction,
    where the pragma takes effect, so ON DELETE CASCADE keeps working in the next test.
    """
    db.session.remove()
    tables = list(reversed(db.metadata.sorted_tables))
    with db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            probe = " UNION ALL ".join(f"SELECT '{t.name}' WHERE EXISTS (SELECT 1 FROM \"{t.name}\")" for t in tables)
            filled = [row[0] for row in conn.execute(sa.text(probe))]
            if filled:
                names = ", ".join(f'"{name}"' for name in filled)
                conn.execute(sa.text(f"TRUNCATE TABLE {names} RESTART IDENTITY CASCADE"))
            conn.commit()
        else:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.commit()
            for table in tables:
                conn.execute(table.delete())
            conn.commit()
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")
            conn.commit()


@pytest.fixture
def ctx(app):
    """An app context on a clean database; rows are removed after the test."""
    with app.app_context():
        try:
            yield app
        finally:
            empty_all_tables()
