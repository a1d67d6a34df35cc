"""Every back-office screen, added to AppBuilder in one place (menu order follows)."""

from __future__ import annotations

from flask import Flask
from flask_appbuilder import AppBuilder
from flask_babel import lazy_gettext as _l

from backoffice.views import health
from backoffice.views.errors import register_error_pages


def register_views(app: Flask, appbuilder: AppBuilder) -> None:
    """Add the blueprints and AppBuilder views; the start page is AppBuilder's index view."""
    app.register_blueprint(health.bp)
    register_error_pages(app)
    appbuilder.add_link("Start", href="StartView.index", icon="fa-home", label=_l("Start"))
    # The case screens (Handler) and configuration screens (Builder) are added here.

    # AppBuilder adds its Security menu first; staff expect Start leftmost.
    items = appbuilder.menu.get_list()
    items.sort(key=lambda item: item.name != "Start")
