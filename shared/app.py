"""The core Flask app every entry point builds on: config, database, Babel, mail."""

from __future__ import annotations

import logging
import os
from typing import Any

from flask import Flask, jsonify, request, send_file, session
from flask_babel import Babel
from flask_mail import Mail
from flask_migrate import Migrate
from sqlalchemy import event
from sqlalchemy.engine import Engine

import config as config_module
from shared import log_privacy
from shared.db import db

babel = Babel()
mail = Mail()
migrate = Migrate()

SUPPORTED_LOCALES = ("sv", "en")


def select_locale() -> str:
    """Swedish first; English when the user chose it (``?lang=en`` or the session)."""
    try:
        chosen = request.args.get("lang") or session.get("locale")
    except RuntimeError:  # outside a request
        return "sv"
    if chosen in SUPPORTED_LOCALES:
        return chosen
    return "sv"


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # SQLite ignores foreign keys unless asked; we rely on ON DELETE CASCADE.
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def create_core_app(
    import_name: str,
    config: type | None = None,
    *,
    overrides: dict[str, Any] | None = None,
    with_babel: bool = True,
    **flask_kwargs: Any,
) -> Flask:
    """A Flask app with the settings, the database, Babel and mail: no views."""
    app = Flask(import_name, **flask_kwargs)
    app.config.from_object(config or config_module.get_config())
    if overrides:
        app.config.update(overrides)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(config_module.BASE_DIR / "translations"))
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        path = app.config["SQLALCHEMY_DATABASE_URI"][len("sqlite:///") :]
        if path and not path.startswith(":"):
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)

    import shared.models  # noqa: F401  (register every table on the metadata)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(config_module.BASE_DIR / "migrations"), compare_type=True)
    mail.init_app(app)
    if with_babel:  # the back office lets Flask-AppBuilder's BabelManager set Babel up
        babel.init_app(app, locale_selector=select_locale)
    # Every entry point answers the same health check (load balancers, monitoring): no
    # login, JSON, 503 when the database fails.
    app.add_url_rule("/healthz", "healthz", healthz)
    # The tab's icon, served by the app itself (no CDN); /favicon.ico for browsers that ask
    # there before reading the page's <link rel="icon">.
    app.add_url_rule("/favicon.svg", "favicon", favicon)
    app.add_url_rule("/favicon.ico", "favicon_ico", favicon)
    # No personnummer, message text or search query in the logs (issue 9): shared/log_privacy.py.
    log_privacy.install()
    if not app.debug and not app.testing:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return app


def database_status() -> dict[str, Any]:
    """What /healthz reports about the database."""
    try:
        db.session.execute(db.text("SELECT 1"))
        return {"database": "ok", "dialect": db.engine.dialect.name}
    except Exception as exc:  # the health check must answer, whatever broke
        db.session.rollback()
        return {"database": "error", "error": exc.__class__.__name__}


FAVICON = config_module.BASE_DIR / "shared" / "static" / "favicon.svg"


def favicon():
    """The Etjänst icon (an SVG of our own), cached for a day."""
    return send_file(FAVICON, mimetype="image/svg+xml", max_age=86400)


def healthz():
    """/healthz: the database's state as JSON, 200 when it answers, 503 when it does not."""
    database = database_status()
    ok = database.get("database") == "ok"
    return jsonify({"status": "ok" if ok else "error", **database}), 200 if ok else 503
