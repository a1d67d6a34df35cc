"""Domain errors.

Every error carries a message that is already translated for the user (views show
``str(error)``), and a machine-readable ``code`` for the API.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every error a service raises on purpose."""

    code = "error"
    http_status = 400

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(str(message))
        self.message = str(message)
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message, **self.details}


class NotAllowed(DomainError):
    """The actor may not do this (shown as 403)."""

    code = "not_allowed"
    http_status = 403


class NotFound(DomainError):
    """The thing does not exist, or the actor may not know that it does (404)."""

    code = "not_found"
    http_status = 404


class Invalid(DomainError):
    """Input breaks a rule; ``errors`` maps a field (question id) to its message."""

    code = "invalid"
    http_status = 422

    def __init__(self, message: str, errors: dict[str, str] | None = None, **details: Any):
        super().__init__(message, **details)
        self.errors: dict[str, str] = dict(errors or {})

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        if self.errors:
            data["errors"] = self.errors
        return data


class Conflict(DomainError):
    """The change clashes with the current state (e.g. someone else took the case)."""

    code = "conflict"
    http_status = 409


class AlreadyTaken(Conflict):
    """Another handler holds the case."""

    code = "already_taken"

    def __init__(self, message: str, by: str | None = None):
        super().__init__(message, by=by)
        self.by = by
