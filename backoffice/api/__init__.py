"""Etjänst's REST API (F-EXP-2) on Flask-AppBuilder's API classes, under ``/api/v1/``.

Mounted under /admin by ``etjanst serve``, so ``/admin/api/v1/...`` there. One module per
resource: ``eservices`` and ``cases``. Authentication is FAB's: an access token from
``POST /api/v1/security/login`` (JWT) or an API key created on the back office's page
"API-nycklar" (FAB_API_KEY_ENABLED), both sent as ``Authorization: Bearer …``. The OpenAPI
document is FAB's, at ``/api/v1/_openapi`` (no Swagger UI: it would load from a CDN).

``register_api`` adds the resources and the OpenAPI document, makes the token errors
JSON in Swedish, and answers every error under /api/ with JSON, never a page.
"""

from __future__ import annotations

from flask import Flask, request
from flask_appbuilder import AppBuilder
from flask_appbuilder.api.manager import OpenApi
from werkzeug.exceptions import HTTPException

from backoffice.api.base import is_api_request, json_error, status_message


class EtjanstOpenApi(OpenApi):
    """FAB's OpenAPI document at ``/api/v1/_openapi``, its server the back office's own root
    (``/admin`` when mounted), so that the paths in it work as they stand."""

    class_permission_name = "OpenApi"
    openapi_spec_tag = "OpenAPI"

    @staticmethod
    def _create_api_spec(version):
        spec = OpenApi._create_api_spec(version)
        spec.options["servers"] = [{"url": request.host_url.rstrip("/") + request.script_root}]
        spec.options["info"] = {
            "description": (
                "Etjänst's REST API for case-management and documentation systems. Authenticate with "
                "an API key (created under API-nycklar in the back office) or an access token from "
                "POST /api/v1/security/login, sent as 'Authorization: Bearer …'. Errors are JSON: "
                '{"message": "..."} in Swedish.'
            )
        }
        return spec

    def add_api_spec(self, api_spec) -> None:
        # The document describes the integration API, not itself.
        return None


def _token_error(*_args) -> tuple:
    return json_error(401, status_message(401))


def _configure_jwt(appbuilder: AppBuilder) -> None:
    """Every token problem (none, malformed, bad signature, expired, unknown user) is a JSON 401 in Swedish."""
    jwt = appbuilder.sm.jwt_manager
    jwt.unauthorized_loader(_token_error)
    jwt.invalid_token_loader(_token_error)
    jwt.expired_token_loader(_token_error)
    jwt.revoked_token_loader(_token_error)
    jwt.needs_fresh_token_loader(_token_error)
    jwt.user_lookup_error_loader(_token_error)
    jwt.token_verification_failed_loader(_token_error)


def api_error_response(error: HTTPException):
    """An HTTP error (no route, wrong method, too many requests …) under /api/ as JSON; elsewhere as it was."""
    if not is_api_request():
        return error
    return json_error(error.code or 500, status_message(error.code or 500))


def register_api(app: Flask, appbuilder: AppBuilder) -> None:
    """Add the REST API's resources and its OpenAPI document to AppBuilder."""
    from backoffice.api.cases import CasesApi
    from backoffice.api.eservices import EServicesApi

    appbuilder.add_api(EServicesApi)
    appbuilder.add_api(CasesApi)
    appbuilder.add_api(EtjanstOpenApi)
    _configure_jwt(appbuilder)
    # Status codes the back office has no page of its own for (views/errors.py renders the others,
    # and answers JSON under /api/ itself).
    app.register_error_handler(HTTPException, api_error_response)


__all__ = ["EtjanstOpenApi", "api_error_response", "register_api"]
