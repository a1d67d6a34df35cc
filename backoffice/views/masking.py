"""Masked personnummer in the back office's lists, and "Visa personnummer" (issue 9).

Templates write ``{{ text|mask_pnr(case_id) }}``: the text with every personnummer masked
(shared.services.masking), unless the handler has revealed that case's numbers in this
session. ``pnr_hidden(text, case_id)`` says whether a "Visa personnummer" button belongs
beside it. The reveal itself is a POST to CaseOverviewView.reveal_personnummer, which checks
access and writes the audit entry; the session remembers only case ids, never a number.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, session

from shared.services import masking

SESSION_KEY = "revealed_pnr_cases"
# Enough for a working day's reveals; the oldest are forgotten first (the cookie stays small).
REMEMBERED = 100


def revealed_case_ids() -> set[int]:
    return {int(value) for value in session.get(SESSION_KEY, []) if str(value).isdigit()}


def remember_revealed(case_id: int) -> None:
    ids = [value for value in session.get(SESSION_KEY, []) if value != case_id]
    ids.append(case_id)
    session[SESSION_KEY] = ids[-REMEMBERED:]


def mask_pnr(text: object, case_id: int | None = None) -> str:
    """The text as a list shows it: personnummer masked unless the case's numbers were revealed."""
    value = "" if text is None else str(text)
    if case_id is not None and case_id in revealed_case_ids():
        return value
    return masking.mask_personnummer(value)


def pnr_hidden(text: object, case_id: int | None = None) -> bool:
    """Whether the list hides a personnummer in the text (so "Visa personnummer" is offered)."""
    if text is None or (case_id is not None and case_id in revealed_case_ids()):
        return False
    return masking.has_personnummer(str(text))


def safe_back(target: str | None, default: str) -> str:
    """Where a reveal returns: a path of this site only (never another host)."""
    target = target or ""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def register(app: Flask) -> None:
    """Make the filter and the test available to every back-office template."""
    app.add_template_filter(mask_pnr, "mask_pnr")
    app.add_template_global(pnr_hidden, "pnr_hidden")
