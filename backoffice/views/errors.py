"""Error pages in the back office's frame, in Swedish (Flask's own are bare English)."""

from __future__ import annotations

from flask import Flask, current_app, g, render_template
from flask_login import current_user
from werkzeug.exceptions import HTTPException

STATUSES = (400, 403, 404, 405, 413)


def _render(error: HTTPException):
    appbuilder = current_app.appbuilder
    if not hasattr(g, "user"):
        # An error raised before AppBuilder's before_request (CSRFProtect's check runs first):
        # the frame's menu asks g.user who is logged in.
        g.user = current_user
    page = render_template(
        "backoffice/error.html", status=error.code, appbuilder=appbuilder, base_template=appbuilder.base_template
    )
    return page, error.code


def _render_server_error(_error: Exception):
    # Kept outside the page frame: the menu needs the database, which may be what broke.
    return render_template("backoffice/server_error.html"), 500


def register_error_pages(app: Flask) -> None:
    for status in STATUSES:
        app.register_error_handler(status, _render)
    app.register_error_handler(500, _render_server_error)
