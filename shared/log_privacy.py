"""No personnummer or message text in the application's logs (issue 9).

Logs are kept longer, copied further and read by more people than the cases, so what the
cases hold must not reach them. The sources are kept clean where they are ours (the SMS log
backend logs an id and a length; SQLAlchemy's ``hide_parameters`` keeps bound values out of
its errors and SQL logging). What comes from libraries is cleaned here, once per process:

- the development server's access log (``werkzeug``) is written without the query string:
  the back office's search is a GET (lists are bookmarkable) and ``q=`` may be a
  personnummer or a name. gunicorn: the README's ``--access-logformat`` uses ``%(U)s``
  (the path without the query) for the same reason;
- SQLAlchemy's result rows (logged when ``sqlalchemy.engine`` is at DEBUG) are dropped;
- every log record's text and traceback has its personnummer masked (19850709-****), for
  what a database puts in its own error text (PostgreSQL's "Key (personnummer)=(…)
  already exists") and whatever else slips through.
"""

from __future__ import annotations

import logging
import re
import traceback
from typing import Any

_installed = False
# "GET /admin/arenden/?q=19850709-9805 HTTP/1.1": everything from "?" up to the protocol.
_QUERY = re.compile(r"(\s/[^\s?]*)\?\S*")


def redact(text: str) -> str:
    """The text with every personnummer masked (the check digit decides, so dates and phone numbers stay)."""
    from shared.services.masking import mask_personnummer

    return mask_personnummer(text)


class QueryStringFilter(logging.Filter):
    """Drops the query string from a request line in an access-log record (the werkzeug logger)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(_QUERY.sub(r"\1", arg) if isinstance(arg, str) else arg for arg in record.args)
        elif isinstance(record.msg, str) and "?" in record.msg:
            record.msg = _QUERY.sub(r"\1", record.msg)
        return True


class ResultRowFilter(logging.Filter):
    """Drops SQLAlchemy's DEBUG records of result rows: they are the data itself."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (isinstance(record.msg, str) and record.msg.startswith("Row "))


def _scrub(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a record whose arguments do not fit: leave it to the handler's error report
        return
    clean = redact(message)
    if clean != message:
        record.msg, record.args = clean, ()
    if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
        text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        clean = redact(text)
        if clean != text:
            record.exc_text = clean  # the formatter uses it instead of formatting the traceback again


def install() -> None:
    """Put the filters and the masking record factory in place (once per process)."""
    global _installed
    if _installed:
        return
    _installed = True
    logging.getLogger("werkzeug").addFilter(QueryStringFilter())
    logging.getLogger("sqlalchemy.engine.Engine").addFilter(ResultRowFilter())
    previous = logging.getLogRecordFactory()

    def masked_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            _scrub(record)
        except Exception:  # logging must never fail because of this (e.g. a record during start-up imports)
            pass
        return record

    logging.setLogRecordFactory(masked_record)


__all__ = ["QueryStringFilter", "ResultRowFilter", "install", "redact"]
