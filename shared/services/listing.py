"""What the back office's long lists share: reading their query arguments, and paging.

The lists (Ärenden, Utkorgen, Schemalagda jobb, Granskningslogg, Gruppbrevlåda) take what the
address bar says as it comes; a value that cannot be read is left out (and, where the screen
explains it, named in ``problems``) instead of failing the page. One reader per kind of value,
so that every list reads it alike.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select

from shared.db import db


def whole_number(value: Any) -> int | None:
    """A page or case number: digits only, at most nine of them (anything longer is no number of ours)."""
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) < 10 else None


def date_range(args: Mapping[str, Any], problems: list[str]) -> tuple[dt.date | None, dt.date | None]:
    """The days ``from`` and ``to`` (YYYY-MM-DD, both included), swapped when given the wrong way round."""
    dates: dict[str, dt.date | None] = {}
    for key in ("from", "to"):
        raw = str(args.get(key) or "").strip()
        dates[key] = None
        if raw:
            try:
                dates[key] = dt.date.fromisoformat(raw)
            except ValueError:
                problems.append(_("Enter dates as YYYY-MM-DD."))
    if dates["from"] and dates["to"] and dates["from"] > dates["to"]:
        return dates["to"], dates["from"]
    return dates["from"], dates["to"]


def page_without_count(query: Select, page: int, page_size: int) -> tuple[list[Any], bool]:
    """One page of the query's rows and whether another page follows.

    For the logs that grow without end (the audit log, the run log): counting every row for
    "page 3 of 4,000" would cost more than the page, so one row more than the page is read instead.
    """
    rows = list(db.session.scalars(query.offset((page - 1) * page_size).limit(page_size + 1)).unique())
    return rows[:page_size], len(rows) > page_size


__all__ = ["date_range", "page_without_count", "whole_number"]
