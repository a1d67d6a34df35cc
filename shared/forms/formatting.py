"""Numbers written for people, in the locale of the request (Swedish outside a request)."""

from __future__ import annotations

from babel import Locale
from babel.numbers import format_decimal
from flask_babel import get_locale

DEFAULT_LOCALE = "sv_SE"


def current_locale() -> Locale | str:
    """Return the request's locale, or Swedish when there is no request."""
    return get_locale() or DEFAULT_LOCALE


def format_number(value: int | float) -> str:
    """Write a number as the locale does: "1 000 000", "12,5"."""
    return format_decimal(value, locale=current_locale(), decimal_quantization=False)
