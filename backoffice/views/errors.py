"""Error pages in the back office's frame, in Swedish (Flask's own are bare English)."""

from __future__ import annotations

from flask import Flask, current_app, g, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from backoffice.api.base import is_api_request, json_error, status_message
from shared import outage

STATUSES = (400, 403, 404, 405, 413)


def _render(error: HTTPException):
    if is_api_request():  # the REST API answers in JSON, never with a page
        return json_error(error.code, status_message(error.code))
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
    if is_api_request():
        return json_error(500, status_message(500))
    # Kept outside the page frame: the menu needs the database, which may be what broke.
    return render_template("backoffice/server_error.html"), 500


def _render_outage(_error: BaseException):
    """The database cannot be reached (503, shared.outage): JSON in the API, else a bare page."""
    if is_api_request():
        return json_error(503, _("The service is temporarily unavailable. Please try again in a while."))
    if "_login_user" not in g:
        # Flask-Login's template variable current_user would ask the database who is logged in.
        g._login_user = current_app.login_manager.anonymous_user()
    sent = request.method == "POST"
    retry_url = None if sent else request.script_root + request.full_path.rstrip("?")
    return render_template("backoffice/outage.html", sent=sent, retry_url=retry_url)


def register_error_pages(app: Flask) -> None:
    for status in STATUSES:
        app.register_error_handler(status, _render)
    app.register_error_handler(500, _render_server_error)
    outage.init_app(app, _render_outage)
