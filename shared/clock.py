"""The one clock of the domain.

Times are stored as naive UTC. Jobs and tests move time with ``time-machine``, which
moves this clock too; nothing else in the code calls ``datetime.now``.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Europe/Stockholm")


def now() -> dt.datetime:
    """The current time as naive UTC (how every timestamp is stored)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def today() -> dt.date:
    """Today's date in Sweden (due dates and deadlines are local calendar days)."""
    return dt.datetime.now(LOCAL_TZ).date()


def to_local(value: dt.datetime | None) -> dt.datetime | None:
    """A stored naive-UTC time as Swedish local time, for display."""
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC).astimezone(LOCAL_TZ)
