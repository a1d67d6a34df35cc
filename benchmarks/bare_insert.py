"""The bare limit of benchmarks/load.py: a minimal Flask + psycopg app doing one INSERT per request.

    BARE_DATABASE_URL=postgresql://... gunicorn -w 2 benchmarks.bare_insert:app

Each worker keeps one connection; a POST inserts a row into ``bare_insert`` (load.py
creates the table) and commits. Nothing else: no session, no templates, no ORM, so its
throughput under the same gunicorn setup and the same load is what the machine gives a
web request that writes one row.
"""

from __future__ import annotations

import os
import threading

import psycopg
from flask import Flask, request

TABLE_SQL = "CREATE TABLE IF NOT EXISTS bare_insert (id bigserial PRIMARY KEY, payload text, created_at timestamptz)"

app = Flask(__name__)
_local = threading.local()


def _connection() -> psycopg.Connection:
    connection = getattr(_local, "connection", None)
    if connection is None or connection.closed:
        url = os.environ["BARE_DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
        connection = _local.connection = psycopg.connect(url)
    return connection


@app.post("/")
def insert() -> str:
    connection = _connection()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bare_insert (payload, created_at) VALUES (%s, now()) RETURNING id",
            (request.form.get("payload", ""),),
        )
        row = cursor.fetchone()
    connection.commit()
    return str(row[0] if row else "")
