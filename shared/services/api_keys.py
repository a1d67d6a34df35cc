"""API keys (API-nycklar, F-EXP-2): long-lived tokens that integrations use for the REST API.

The keys are Flask-AppBuilder's own (table ``ab_api_key``): FAB checks them on every API
call (``FAB_API_KEY_ENABLED``), acting as the key's user with that user's roles and
case access. Only hashes are stored: the key itself is shown once, when it is created.
The hashes are made exactly as FAB's security manager makes them, since FAB validates them.

A user creates and revokes their own keys; an administrator sees and revokes everyone's.
Creation and revocation are audited.
"""

from __future__ import annotations

import datetime as dt
import secrets
import unicodedata
from dataclasses import dataclass

from flask import current_app
from flask_appbuilder.security.sqla.manager import SecurityManager as FabSecurityManager
from flask_appbuilder.security.sqla.models import ApiKey
from flask_babel import gettext as _
from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload
from werkzeug.security import generate_password_hash

from shared.db import db, transactional
from shared.errors import Invalid, NotAllowed, NotFound
from shared.models import StaffUser
from shared.services import access, audit

DEFAULT_PREFIX = "etj_"
SHOWN_CHARACTERS = 8
MAX_NAME = 100
# Who may hold a key: the permission the REST API's case resource asks for (ROLE_PERMISSIONS).
API_PERMISSION = ("CasesApi", "can_read")


@dataclass
class NewKey:
    """A key just created: the row, and the key itself (shown once, never stored)."""

    key: ApiKey
    secret: str


def key_prefix() -> str:
    """The prefix of this installation's keys (FAB tells keys from JWTs by it)."""
    prefixes = current_app.config.get("FAB_API_KEY_PREFIXES") or [DEFAULT_PREFIX]
    return prefixes[0]


def may_use_api(user: StaffUser | None) -> bool:
    """Whether the user's roles allow the REST API at all (else a key would only ever get 403)."""
    return access.has_permission(user, *API_PERMISSION)


def keys_query(actor: StaffUser) -> Select[tuple[ApiKey]]:
    """The keys the actor sees, newest first: their own; an administrator sees everyone's."""
    query = select(ApiKey).options(selectinload(ApiKey.user)).order_by(ApiKey.created_on.desc(), ApiKey.id.desc())
    if not access.is_admin(actor):
        query = query.where(ApiKey.user_id == actor.id)
    return query


def list_keys(*, actor: StaffUser) -> list[ApiKey]:
    """The API keys on the actor's page (API-nycklar)."""
    if actor is None or not actor.active:
        raise NotAllowed(_("You may not manage API keys."))
    return list(db.session.scalars(keys_query(actor)))


def _clean_name(name: str | None) -> str:
    text = unicodedata.normalize("NFC", " ".join(str(name or "").split()))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cc")
    if not text:
        message = _("Give the key a name, e.g. the system that will use it.")
        raise Invalid(message, errors={"name": message})
    if len(text) > MAX_NAME:
        message = _("Enter at most %(max)s characters.", max=MAX_NAME)
        raise Invalid(message, errors={"name": message})
    return text


@transactional
def create_key(name: str | None, *, actor: StaffUser, expires_on: dt.datetime | None = None) -> NewKey:
    """Create an API key for the actor (skapa API-nyckel); the key itself is returned only now."""
    if actor is None or not actor.active or not may_use_api(actor):
        raise NotAllowed(_("Your roles do not give access to the API, so you cannot create API keys."))
    clean = _clean_name(name)
    prefix = key_prefix()
    secret = prefix + secrets.token_urlsafe(32)
    config = current_app.config
    key = ApiKey(
        name=clean,
        key_hash=generate_password_hash(
            secret,
            method=config.get("FAB_API_KEY_HASH_METHOD", config.get("FAB_PASSWORD_HASH_METHOD", "scrypt")),
            salt_length=config.get("FAB_API_KEY_HASH_SALT_LENGTH", config.get("FAB_PASSWORD_HASH_SALT_LENGTH", 16)),
        ),
        # FAB finds a key by this keyed hash before checking the slow one.
        lookup_hash=FabSecurityManager._compute_lookup_hash(secret),
        # The prefix and the first characters of the key: enough for a person to tell keys apart.
        key_prefix=secret[: len(prefix) + SHOWN_CHARACTERS][:16],
        user_id=actor.id,
        active=True,
        expires_on=expires_on,
    )
    db.session.add(key)
    db.session.flush()
    audit.record("api_key_created", user=actor, obj=key, details={"name": clean, "owner": actor.username})
    return NewKey(key=key, secret=secret)


@transactional
def revoke_key(key_id: int, *, actor: StaffUser) -> ApiKey:
    """Revoke an API key (återkalla): one's own, or anyone's for an administrator; it stops working at once."""
    key = db.session.get(ApiKey, key_id)
    if key is None or actor is None or not actor.active or (key.user_id != actor.id and not access.is_admin(actor)):
        raise NotFound(_("The API key was not found."))
    if key.revoked_on is not None:
        return key
    key.revoked_on = dt.datetime.now()  # FAB compares expiry with its naive local clock: the same here
    key.active = False
    owner = db.session.get(StaffUser, key.user_id)
    audit.record(
        "api_key_revoked",
        user=actor,
        obj=key,
        details={"name": key.name, "owner": owner.username if owner is not None else None},
    )
    return key


__all__ = ["NewKey", "create_key", "key_prefix", "keys_query", "list_keys", "may_use_api", "revoke_key"]
