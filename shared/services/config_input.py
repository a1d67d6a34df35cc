"""Reading what a builder typed into a configuration screen (issue 6): text, numbers, dates, switches.

The configuration services take the values of a form as they come (strings from a web
form, or Python values from code and tests) and read them here, so the screen and any
other caller validate alike. Each reader appends a Swedish message to ``errors`` under
the field's name instead of raising, so one save reports every bad field at once.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _

from shared.errors import Invalid

TRUE_WORDS = frozenset({"1", "true", "on", "y", "yes", "ja"})

Errors = dict[str, str]


def invalid(errors: Errors) -> Invalid:
    """The error a configuration service raises when fields of its form are wrong."""
    return Invalid(_("The form has errors. Correct them and save again."), errors)


def snapshot(obj: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    """The fields of an object as the audit log records them."""
    return {field: getattr(obj, field) for field in fields}


def flag(data: Mapping[str, Any], field: str) -> bool:
    """A switch: a checkbox is only sent when it is ticked."""
    value = data.get(field)
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in TRUE_WORDS


def text(
    data: Mapping[str, Any], field: str, errors: Errors, *, required: bool = False, max_length: int | None = None
) -> str | None:
    """Trimmed text, None when empty."""
    value = str(data.get(field) or "").strip()
    if not value:
        if required:
            errors[field] = _("Fill in this field.")
        return None
    if max_length is not None and len(value) > max_length:
        errors[field] = _("Enter at most %(max)s characters.", max=max_length)
    return value


def integer(
    data: Mapping[str, Any],
    field: str,
    errors: Errors,
    *,
    required: bool = False,
    minimum: int | None = None,
    maximum: int | None = None,
) -> int | None:
    """A whole number within bounds, None when empty."""
    value = data.get(field)
    if isinstance(value, bool):
        value = int(value)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors[field] = _("Fill in this field.")
        return None
    if isinstance(value, int):
        number = value
    else:
        raw = str(value).strip()
        if not re.fullmatch(r"-?\d{1,9}", raw):
            errors[field] = _("Enter a whole number.")
            return None
        number = int(raw)
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        if maximum is None:
            errors[field] = _("Enter a number of at least %(min)s.", min=minimum)
        else:
            errors[field] = _("Enter a number from %(min)s to %(max)s.", min=minimum, max=maximum)
        return None
    return number


def date(data: Mapping[str, Any], field: str, errors: Errors) -> dt.date | None:
    """A date written YYYY-MM-DD, None when empty."""
    value = data.get(field)
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raw = str(value or "").strip()
    if not raw:
        return None
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            raise ValueError(raw)
        return dt.date.fromisoformat(raw)
    except ValueError:
        errors[field] = _("Enter a date as YYYY-MM-DD, for example 2026-03-31.")
        return None


def email(data: Mapping[str, Any], field: str, errors: Errors) -> str | None:
    """An e-mail address, lower-cased; None when empty."""
    raw = text(data, field, errors, max_length=320)
    if raw is None or field in errors:
        return raw
    try:
        return validate_email(raw, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        errors[field] = _("Enter a valid e-mail address, for example namn@kommun.se.")
        return raw


def choice_id(data: Mapping[str, Any], field: str, errors: Errors, *, required: bool = False) -> int | None:
    """The id of a thing chosen in a select list, None when nothing was chosen."""
    value = data.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors[field] = _("Choose one of the alternatives.")
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raw = str(value).strip()
    if not raw.isdigit() or len(raw) > 12:
        errors[field] = _("Choose one of the alternatives.")
        return None
    return int(raw)
