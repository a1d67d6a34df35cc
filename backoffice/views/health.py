"""/healthz for load balancers and monitoring: no login, JSON, 503 when the database fails."""

from __future__ import annotations

from flask import Blueprint, jsonify

from shared.app import database_status

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    database = database_status()
    ok = database.get("database") == "ok"
    return jsonify({"status": "ok" if ok else "error", **database}), 200 if ok else 503
