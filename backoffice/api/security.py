"""``/api/v1/security/login`` and ``/refresh``: FAB's JWT login, rate limited and answering in Swedish.

``EtjanstSecurityManager.security_api`` points here. The login takes
``{"username", "password", "provider": "db", "refresh": true}`` and gives an access token
(``JWT_ACCESS_TOKEN_EXPIRES``, 15 minutes by default) and a refresh token. Integrations
that run unattended use an API key instead (page "API-nycklar").
"""

from __future__ import annotations

from flask import Response, current_app
from flask_appbuilder.security.api import SecurityApi
from flask_appbuilder.utils.limit import Limit
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address

from backoffice.api.base import json_error, status_message

DEFAULT_LOGIN_LIMIT = "10 per minute"


def _login_limit() -> str:
    return current_app.config.get("API_LOGIN_LIMIT") or DEFAULT_LOGIN_LIMIT


class EtjanstSecurityApi(SecurityApi):
    """FAB's security API: password guessing is held back per client address (Flask-Limiter, FAB's limiter)."""

    limits = [Limit(limit_value=_login_limit, key_func=get_remote_address, methods=("POST",))]

    def response_400(self, message: str | None = None) -> Response:
        return json_error(400, message if isinstance(message, str) and message else status_message(400))

    def response_401(self) -> Response:
        # Only the login answers 401 itself (the refresh's token errors are the JWT loaders'):
        # the username or password is wrong, or the account is not active.
        return json_error(401, _("Wrong username or password."))

    def response_500(self, message: str | None = None) -> Response:
        return json_error(500, status_message(500))
