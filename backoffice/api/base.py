"""What every resource of the REST API shares: the acting user, JSON errors in Swedish, input parsing.

Every resource is a Flask-AppBuilder ``BaseApi`` whose methods are ``@protect()``-ed (a JWT
from ``/api/v1/security/login`` or an API key, then FAB's permission on the class) and
wrapped in ``@api_errors``: the services' ``DomainError`` becomes ``{"message": ...}`` with
its HTTP status (404 for a case one may not see, 403 for an action one may not do, 409 for
a clash, 422 for bad input), a request body or query that breaks the schema becomes 422
with the fields, and anything unexpected a JSON 500 (never an HTML page).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Callable, Mapping
from typing import Any

from flask import Response, g, request
from flask_appbuilder.api import BaseApi
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate

from shared import outage
from shared.db import db
from shared.errors import DomainError, Invalid
from shared.models import StaffUser
from shared.services.subtasks import OpenSubtasks

log = logging.getLogger(__name__)

# The largest id a path or filter may name (a PostgreSQL integer): beyond it nothing exists.
MAX_ID = 2**31 - 1
READ, WRITE = "read", "write"

# Marshmallow's messages in the API's language (the fields they belong to are named beside them).
_MARSHMALLOW_MESSAGES = {
    "Missing data for required field.": _l("This field is required."),
    "Field may not be null.": _l("This field may not be empty."),
    "Unknown field.": _l("Unknown field."),
    "Not a valid integer.": _l("Enter a whole number."),
    "Not a valid string.": _l("Enter text."),
    "Not a valid boolean.": _l("Enter true or false."),
    "Not a valid date.": _l("Enter a date as YYYY-MM-DD."),
    "Not a valid datetime.": _l("Enter a date and time as in 2026-05-01T08:00:00+02:00."),
    "Invalid input type.": _l("The value has the wrong type."),
}


def _swedish(message: Any) -> Any:
    if isinstance(message, list):
        return [_swedish(m) for m in message]
    if isinstance(message, dict):
        return {key: _swedish(value) for key, value in message.items()}
    text = str(message)
    known = _MARSHMALLOW_MESSAGES.get(text)
    if known is not None:
        return str(known)
    if text.startswith("Must be greater than or equal to") or text.startswith("Must be less than or equal to"):
        return _("The value is out of range.")
    if text.startswith("Longer than maximum length") or text.startswith("Length must be between"):
        return _("The text is too long or too short.")
    if text.startswith("String does not match expected pattern"):
        return _("The text contains characters that are not allowed.")
    return text


def json_error(status: int, message: str, **extra: Any) -> Response:
    """An error response of the API: ``{"message": ..., ...}`` with the status."""
    return BaseApi.response(status, message=str(message), **extra)


def status_message(status: int) -> str:
    """The API's words for an HTTP error that no service explained (no route, wrong method …)."""
    messages = {
        400: _("The request could not be read."),
        401: _("Log in first: send a valid access token or API key in the Authorization header."),
        403: _("You do not have permission to do this."),
        404: _("Not found."),
        405: _("The method is not allowed for this address."),
        409: _("The change clashes with the current state."),
        413: _("The request is too large."),
        415: _("Send the request body as JSON (Content-Type: application/json)."),
        422: _("Check the data you sent."),
        429: _("Too many requests: wait a moment and try again."),
        500: _("Something went wrong on the server. Try again later."),
    }
    return messages.get(status, _("The request could not be handled."))


def is_api_request() -> bool:
    """Whether this request is for the REST API (errors then are JSON, never a page)."""
    return request.path.startswith("/api/")


class ErrorSchema(Schema):
    """The body of every error: the message in Swedish, and which fields were wrong when input was."""

    message = fields.String(required=True, metadata={"description": "What went wrong, in Swedish."})
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(),
        metadata={"description": "Field name → what is wrong with it (422 only)."},
    )
    subtask_ids = fields.List(
        fields.Integer(), metadata={"description": "The unresolved subtasks (409 on closing a case)."}
    )


def _error_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ErrorSchema}}}


class BodySchema(Schema):
    """A request body: unknown fields are refused (a typo would otherwise be silently ignored)."""

    class Meta:
        unknown = RAISE


class QuerySchema(Schema):
    """Query arguments: unknown ones are ignored, as web APIs usually do."""

    class Meta:
        unknown = EXCLUDE


def id_field(*, required: bool = False, strict: bool = True, **metadata: Any) -> fields.Integer:
    """An id in a query (strict=False: from text) or body: a whole number from 1, no larger than the database holds."""
    return fields.Integer(
        strict=strict, required=required, validate=validate.Range(min=1, max=MAX_ID), metadata=metadata
    )


class UtcDateTime(fields.AwareDateTime):
    """A moment: stored as naive UTC, sent with its offset (ISO 8601, RFC 3339)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="iso", default_timezone=dt.UTC, **kwargs)

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        if isinstance(value, dt.datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return super()._serialize(value, attr, obj, **kwargs)


class EtjanstApi(BaseApi):
    """A resource of Etjänst's REST API: ``/api/v1/<resource_name>/``."""

    allow_browser_login = False
    # Named apart from FAB's own "400" … "500" (registered first by its security API) so that
    # the OpenAPI document describes our error body exactly.
    responses = {
        **BaseApi.responses,
        "BadRequest": _error_response("The request could not be read (e.g. the body is not JSON)."),
        "Unauthorized": _error_response("No valid access token or API key."),
        "Forbidden": _error_response("The user may not do this (no permission, or the rules of the case forbid it)."),
        "NotFound": _error_response("Not found, or not visible to the user."),
        "Conflict": _error_response("The change clashes with the state of the case."),
        "Unprocessable": _error_response("The data sent breaks a rule; `errors` names the fields."),
        "TooManyRequests": _error_response("Too many requests."),
        "ServerError": _error_response("An unexpected error on the server."),
    }

    def response_400(self, message: str | None = None) -> Response:
        return json_error(400, message if isinstance(message, str) and message else status_message(400))

    def response_401(self) -> Response:
        return json_error(401, status_message(401))

    def response_403(self) -> Response:
        return json_error(403, status_message(403))

    def response_404(self) -> Response:
        return json_error(404, status_message(404))

    def response_422(self, message: str | None = None) -> Response:
        return json_error(422, message if isinstance(message, str) and message else status_message(422))

    def response_500(self, message: str | None = None) -> Response:
        return json_error(500, status_message(500))

    # -- input ----------------------------------------------------------------------------

    @staticmethod
    def load_body(schema: Schema) -> dict[str, Any]:
        """The JSON body, checked by the schema (raises Invalid with the fields, or BadBody)."""
        data = request.get_json(silent=True)
        if data is None:
            raise BadBody(_("Send the request body as JSON (Content-Type: application/json)."))
        if not isinstance(data, Mapping):
            raise BadBody(_("The request body must be a JSON object."))
        return _load(schema, data)

    @staticmethod
    def load_query(schema: Schema) -> dict[str, Any]:
        """The query arguments, checked by the schema (raises Invalid with the fields)."""
        return _load(schema, request.args.to_dict())


class BadBody(DomainError):
    """The request body is not a JSON object (400)."""

    code = "bad_request"
    http_status = 400


def _load(schema: Schema, data: Mapping[str, Any]) -> dict[str, Any]:
    try:
        return schema.load(data)
    except ValidationError as error:
        messages = error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
        raise Invalid(_("Check the data you sent."), errors=_swedish(messages)) from None


def current_staff() -> StaffUser:
    """The user the token or API key belongs to, as our user model."""
    user = getattr(g, "user", None) or current_user
    user_id = getattr(user, "id", None)
    staff = db.session.get(StaffUser, user_id) if user_id is not None else None
    if staff is None:
        raise Unauthorized(status_message(401))
    return staff


class Unauthorized(DomainError):
    code = "unauthorized"
    http_status = 401


def api_errors(view: Callable[..., Response]) -> Callable[..., Response]:
    """The services' errors as JSON with their status; a path id out of range is simply not found."""

    @functools.wraps(view)
    def wrapper(self: EtjanstApi, *args: Any, **kwargs: Any) -> Response:
        if any(isinstance(value, int) and value > MAX_ID for value in kwargs.values()):
            return json_error(404, status_message(404))
        try:
            return view(self, *args, **kwargs)
        except OpenSubtasks as error:
            db.session.rollback()
            return json_error(409, error.message, subtask_ids=[s.id for s in error.subtasks])
        except Invalid as error:
            db.session.rollback()
            extra = {"errors": error.errors} if error.errors else {}
            return json_error(422, error.message, **extra)
        except DomainError as error:
            db.session.rollback()
            return json_error(error.http_status, error.message)
        except Exception as error:
            if outage.is_outage(error):
                raise  # the database cannot be reached: the app's 503 (shared.outage)
            db.session.rollback()
            log.exception("API error")
            return json_error(500, status_message(500))

    return wrapper


__all__ = [
    "MAX_ID",
    "READ",
    "WRITE",
    "BodySchema",
    "ErrorSchema",
    "EtjanstApi",
    "QuerySchema",
    "UtcDateTime",
    "api_errors",
    "current_staff",
    "id_field",
    "is_api_request",
    "json_error",
    "status_message",
]
