"""The citizens' portal (e-tjänsterna, Mina sidor): plain Flask blueprints.

``create_app()`` builds the core app (database, Babel with Swedish first, mail), CSRF
protection for every form, and one blueprint per feature.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, render_template, request, session
from flask_babel import get_locale
from flask_wtf import CSRFProtect

from shared.app import SUPPORTED_LOCALES, create_core_app
from shared.forms import html as forms_html

csrf = CSRFProtect()


def create_app(config: type | None = None, overrides: dict[str, Any] | None = None) -> Flask:
    """The portal WSGI app."""
    from portal import limits
    from portal.apply import routes as apply
    from portal.auth import routes as auth
    from portal.auth.session import load_citizen
    from portal.catalogue import routes as catalogue
    from portal.mypages import routes as mypages

    app = create_core_app("portal", config, overrides=overrides, with_babel=True)
    # Portal and back office share a host under `etjanst serve`: separate session cookies.
    if app.config["SESSION_COOKIE_NAME"] == "session":
        app.config["SESSION_COOKIE_NAME"] = "etjanst_portal"
    csrf.init_app(app)
    limits.init_app(app)

    # The form macros (forms/fields.html) and their script, shared with the back office.
    app.register_blueprint(forms_html.blueprint)
    app.register_blueprint(catalogue.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(mypages.bp)
    app.register_blueprint(apply.bp)

    @app.before_request
    def _remember_language() -> None:
        # ?lang=en switches the language for the rest of the visit.
        chosen = request.args.get("lang")
        if chosen in SUPPORTED_LOCALES:
            session["locale"] = chosen

    app.before_request(load_citizen)

    @app.context_processor
    def _layout() -> dict[str, Any]:
        locale = get_locale()
        return {
            "page_language": locale.language if locale else "sv",
            "municipality_name": app.config.get("MUNICIPALITY_NAME", ""),
            "municipality_url": app.config.get("MUNICIPALITY_URL"),
            "test_login_enabled": bool(app.config.get("PORTAL_TEST_LOGIN")),
        }

    def _error(status: int):
        def handler(_error: Exception):
            return render_template("portal/error.html", status=status), status

        return handler

    for status in (400, 403, 404, 405, 500):
        app.register_error_handler(status, _error(status))
    return app
