"""The citizens' portal (e-tjänsterna, Mina sidor): plain Flask blueprints.

``create_app()`` builds the core app (database, Babel with Swedish first, mail), sessions
that end after 30 idle minutes, CSRF protection for every form, e-ID login (OpenID
Connect), rate limits on login and submission, security headers on every answer, and one
blueprint per feature.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Flask, render_template, request, session, url_for
from flask_babel import get_locale
from flask_wtf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

from shared import security_headers
from shared.app import SUPPORTED_LOCALES, create_core_app
from shared.forms import html as forms_html

csrf = CSRFProtect()

# Pages whose query string must not be sent again by the language switch (a used login code).
_NO_QUERY_REPEAT = {"auth.callback"}


def create_app(config: type | None = None, overrides: dict[str, Any] | None = None) -> Flask:
    """The portal WSGI app."""
    from portal import limits, outage
    from portal.apply import routes as apply
    from portal.auth import oidc
    from portal.auth import routes as auth
    from portal.auth import session as portal_session
    from portal.catalogue import routes as catalogue
    from portal.mypages import routes as mypages

    app = create_core_app("portal", config, overrides=overrides, with_babel=True)
    if app.config.get("ENV_NAME") == "production":
        # Not even an override switches the test login on in production.
        app.config["PORTAL_TEST_LOGIN"] = False
    # Portal and back office share a host under `etjanst serve`: separate session cookies.
    if app.config["SESSION_COOKIE_NAME"] == "session":
        app.config["SESSION_COOKIE_NAME"] = "etjanst_portal"
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies:
        # Behind a TLS-terminating proxy: the client's address (rate limits, audit) and https.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)  # type: ignore[method-assign]

    @app.before_request
    def _remember_language() -> None:
        # ?lang=en switches the language for the rest of the visit.
        chosen = request.args.get("lang")
        if chosen in SUPPORTED_LOCALES:
            session["locale"] = chosen

    # The idle check runs before the CSRF check: a form posted into an ended session is
    # shown again (with why), not refused as a forgery; g.citizen is known to every answer.
    portal_session.init_app(app)
    csrf.init_app(app)
    oidc.init_app(app)

    # The form macros (forms/fields.html) and their script, shared with the back office.
    app.register_blueprint(forms_html.blueprint)
    app.register_blueprint(catalogue.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(mypages.bp)
    app.register_blueprint(apply.bp)
    limits.init_app(app)  # after the blueprints: it limits the views marked @limits.login/submission

    app.after_request(_security_headers)

    @app.context_processor
    def _layout() -> dict[str, Any]:
        locale = get_locale()
        return {
            "page_language": locale.language if locale else "sv",
            "municipality_name": app.config.get("MUNICIPALITY_NAME", ""),
            "municipality_url": app.config.get("MUNICIPALITY_URL"),
            "test_login_enabled": auth.test_login_enabled(),
            "language_switch_url": language_switch_url,
            "login_url": login_url,
        }

    def _error(status: int):
        def handler(_error: Exception):
            return render_template("portal/error.html", status=status), status

        return handler

    for status in (400, 403, 404, 405, 500):
        app.register_error_handler(status, _error(status))
    app.register_error_handler(429, _too_many_requests)
    outage.init_app(app)  # the database unreachable: 503 with a page that needs no database
    return app


def language_switch_url(code: str) -> str:
    """This page in another language: the same path and query, with ``lang`` set."""
    pairs = (
        []
        if request.endpoint in _NO_QUERY_REPEAT
        else [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    )
    pairs.append(("lang", code))
    return f"{request.script_root}{request.path}?{urlencode(pairs)}"


def login_url() -> str:
    """The login page, coming back to this page afterwards (when it is a page to come back to)."""
    endpoint = request.endpoint or ""
    if request.method != "GET" or not endpoint or endpoint.startswith("auth.") or endpoint == "catalogue.start":
        return url_for("auth.login")
    return url_for("auth.login", next=request.full_path.rstrip("?"))


def _too_many_requests(_error: Exception):
    return render_template("portal/rate_limited.html"), 429


def content_security_policy() -> str:
    """Only the portal's own scripts, styles, fonts and images; no framing; forms post here (or to the e-ID broker)."""
    from portal.auth import oidc

    form_action = " ".join(["'self'", *oidc.origins()])
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "font-src 'self'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            f"form-action {form_action}",
            "frame-ancestors 'none'",
        ]
    )


def _security_headers(response: Response) -> Response:
    # The same headers as the back office's (shared.security_headers), with the portal's policy.
    security_headers.add_headers(response, content_security_policy())
    headers = response.headers
    if "citizen_id" in session and not (request.endpoint or "").endswith("static"):
        # Pages with personal data are not kept by the browser or a proxy.
        headers.setdefault("Cache-Control", "no-store")
    return response
