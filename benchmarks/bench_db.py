"""The benchmarks' PostgreSQL database: a fresh one per run (dropped afterwards), or one given."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy import text
from sqlalchemy.engine import make_url

ADMIN_URL = os.environ.get("ETJANST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def pg_url(url: str) -> str:
    """The URL with SQLAlchemy's psycopg 3 driver named (plain postgresql:// means psycopg2)."""
    return "postgresql+psycopg://" + url.split("://", 1)[1] if url.startswith("postgresql://") else url


def url_of(name: str) -> str:
    """The URL of the database ``name`` on the admin URL's server."""
    return pg_url(make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False))


@contextmanager
def database(url: str | None, *, label: str, keep: bool = False) -> Iterator[str]:
    """The given database, or a fresh one named after the benchmark, dropped afterwards unless ``keep``."""
    if url:
        yield pg_url(url)
        return
    name = f"etj_bench_{label}_{os.getpid()}"
    admin = sa.create_engine(pg_url(ADMIN_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url_of(name)
    finally:
        if keep:
            print(f"Kept the database {name}.")
        else:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def named_database(name: str) -> Iterator[str]:
    """The database ``name`` on the admin URL's server, made when missing; always kept (for --reuse)."""
    admin = sa.create_engine(pg_url(ADMIN_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    yield url_of(name)
