"""Personnummer in lists: masked (19850709-****) for handlers, revealed per case on request, logged.

A list (the overview and its search results, group mailboxes, Mina deluppgifter, a mailing's
recipients) shows many people at once to whoever passes by the screen; the case page is the
case's record and shows the number in full. The stored texts (``Case.summary``, messages)
keep the full number so that searching by it still finds the case: masking is done when a
list is rendered, by finding personnummer-shaped substrings and checking them with the
``personnummer`` library (its check digit), so a date or a phone number is left alone.

Revealing the numbers of one case in a list is an act of its own, allowed to whoever may see
the case and recorded in the audit log (``personnummer_revealed``).
"""

from __future__ import annotations

import re

from personnummer import personnummer as pnr_lib

from shared.db import db, transactional
from shared.models import Case, StaffUser
from shared.services import access, audit

# 6 or 8 digits (the date, or the coordination number's "date"), an optional - or + and 4 digits,
# not inside a longer run of digits.
_CANDIDATE = re.compile(r"(?<!\d)(\d{8}|\d{6})([-+]?)(\d{4})(?!\d)")
MASK = "****"


def _is_personnummer(candidate: str) -> bool:
    try:
        return bool(pnr_lib.valid(candidate))
    except Exception:  # the library raises for shapes it cannot parse; those are no personnummer
        return False


def _mask_match(match: re.Match[str]) -> str:
    if not _is_personnummer(match.group(0)):
        return match.group(0)
    return f"{match.group(1)}{match.group(2) or '-'}{MASK}"


def mask_personnummer(text: str | None) -> str:
    """The text with the last four digits of every personnummer in it hidden (19850709-****)."""
    if not text:
        return text or ""
    return _CANDIDATE.sub(_mask_match, str(text))


def has_personnummer(text: str | None) -> bool:
    """Whether the text holds a personnummer (or samordningsnummer) that masking would hide."""
    if not text:
        return False
    return any(_is_personnummer(match.group(0)) for match in _CANDIDATE.finditer(str(text)))


@transactional
def reveal_personnummer(case_id: int, *, actor: StaffUser) -> Case:
    """Show the full personnummer of a case in the lists ("Visa personnummer"): whoever sees the case, logged."""
    case = db.session.get(Case, case_id)
    access.require(actor, "view", case)  # NotFound for a case the handler may not see
    assert case is not None
    audit.record("personnummer_revealed", user=actor, case=case)
    return case


__all__ = ["MASK", "has_personnummer", "mask_personnummer", "reveal_personnummer"]
