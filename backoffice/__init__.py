"""The back office (handläggning and configuration) on Flask-AppBuilder.

``create_app()`` builds the core app, then AppBuilder with our security manager
(``backoffice.security``), the start page as its index view, and every view from
``views/registry.py``. Mounted under /admin by ``etjanst serve`` and at the root by
``gunicorn "backoffice.wsgi:app"``: every URL is built with ``url_for``, so both work.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask
from flask_appbuilder import AppBuilder
from flask_babel import get_locale
from flask_wtf import CSRFProtect

from backoffice import web_security
from shared.app import create_core_app
from shared.db import db
from shared.forms import html as forms_html

log = logging.getLogger(__name__)


def create_app(config: type | None = None, overrides: dict[str, Any] | None = None) -> Flask:
    """The back-office WSGI app.

    With FAB_UPDATE_PERMS on (development, tests) the roles and permissions are synced
    at start; with it off (production web workers) the app writes nothing at start and
    ``etjanst db upgrade`` syncs them (``backoffice.security.sync_roles``).
    """
    from backoffice.security import schema_ready, sync_roles
    from backoffice.views.registry import register_views
    from backoffice.views.start import StartView

    app = create_core_app("backoffice", config, overrides=overrides, with_babel=False)
    # Portal and back office share a host under `etjanst serve`: separate session cookies.
    if app.config["SESSION_COOKIE_NAME"] == "session":
        app.config["SESSION_COOKIE_NAME"] = "etjanst_backoffice"
    # The schema comes from the migrations: FAB must never create tables or roles itself.
    app.config.setdefault("FAB_CREATE_DB", False)
    app.config.setdefault("FAB_BASE_TEMPLATE", "backoffice/baselayout.html")
    # Headers, idle sessions, the login's rate limit, password rules (before AppBuilder reads them).
    web_security.init_app(app)
    # FAB refuses GET deletes and actions only when CSRFProtect is registered, and
    # exempts its APIs when added; so it comes before AppBuilder.
    CSRFProtect(app)
    # The form macros (forms/fields.html) and their script, shared with the portal.
    app.register_blueprint(forms_html.blueprint)

    with app.app_context():
        # update_perms=False: registering views writes nothing; sync_roles does, once.
        appbuilder = AppBuilder(indexview=StartView, update_perms=False)
        appbuilder.init_app(app, db.session)
        register_views(app, appbuilder)
        if app.config.get("FAB_UPDATE_PERMS", False):
            if schema_ready():
                sync_roles(appbuilder)
            else:
                log.warning("The database has no schema yet: run `etjanst db upgrade`.")
        db.session.remove()

    @app.context_processor
    def _page_language() -> dict[str, str]:
        locale = get_locale()
        return {"page_language": locale.language if locale else "sv"}

    return app
