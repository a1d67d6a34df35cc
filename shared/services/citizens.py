"""Citizens (invånare): found or registered by personnummer, and their logins to the portal.

A citizen's row is made the first time someone with that personnummer logs in with e-ID
(or a handler adds a case for them); later logins find it and refresh the name from the
e-ID.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from shared import clock
from shared.db import db, transactional
from shared.errors import Invalid, NotFound
from shared.models import Citizen, normalize_personnummer
from shared.services import audit

NAME_MAX = 100


def valid_personnummer(personnummer: str) -> str:
    """The personnummer in its 12-digit form; Invalid (with a message for the field) if it is not valid."""
    try:
        return normalize_personnummer(personnummer)
    except ValueError:
        message = _("Enter a valid personal identity number (YYYYMMDD-NNNN).")
        raise Invalid(message, errors={"personnummer": message}) from None


def find_or_create_citizen(personnummer: str) -> Citizen:
    """The citizen with this personnummer, registered now if new (flushes; Invalid if not a valid personnummer)."""
    normalised = valid_personnummer(personnummer)
    citizen = db.session.scalar(select(Citizen).where(Citizen.personnummer == normalised))
    if citizen is None:
        citizen = Citizen(personnummer=normalised)
        db.session.add(citizen)
        db.session.flush()
    return citizen


def _name(value: object) -> str | None:
    text = " ".join(str(value or "").split())
    return text[:NAME_MAX] or None


@transactional
def _log_in(personnummer: str, first_name: object, last_name: object) -> Citizen:
    citizen = find_or_create_citizen(personnummer)
    # The e-ID's name is the registered one: a changed name follows on the next login.
    first, last = _name(first_name), _name(last_name)
    if first or last:
        citizen.first_name, citizen.last_name = first, last
    citizen.last_login_at = clock.now()
    audit.record("citizen_logged_in", citizen=citizen, obj=citizen, details={"method": "e-id"})
    return citizen


def log_in_with_eid(personnummer: str, *, first_name: object = None, last_name: object = None) -> Citizen:
    """Record a citizen's e-ID login: find or register them by personnummer, take the e-ID's name, audit it.

    Raises Invalid when the personnummer is not valid.
    """
    nested = bool(db.session.info.get("etjanst_tx_depth"))
    try:
        return _log_in(personnummer, first_name, last_name)
    except IntegrityError:
        # Two first logins of the same person at the same moment: the other one registered
        # the citizen (its row is committed now), so this login finds it.
        if nested:
            raise
        return _log_in(personnummer, first_name, last_name)


@transactional
def log_in_for_test(citizen_id: int) -> Citizen:
    """Record a development test login as an existing citizen (never available in production)."""
    citizen = db.session.get(Citizen, citizen_id)
    if citizen is None:
        raise NotFound(_("The person was not found."))
    citizen.last_login_at = clock.now()
    audit.record("citizen_logged_in", citizen=citizen, obj=citizen, details={"method": "test"})
    return citizen
