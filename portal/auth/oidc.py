"""E-ID login through an OpenID Connect broker (F-POR-2), with Authlib's Flask client.

The broker (BankID, Freja eID … behind it) is found by discovery at
``OIDC_ISSUER/.well-known/openid-configuration``. The authorization code flow carries a
state, a nonce and a PKCE challenge (S256); Authlib keeps them in the session and checks
them, and the ID token's signature, issuer, audience and nonce, on the way back.

Each portal app gets an Authlib registry of its own (``init_app``): Authlib's registry
reads its settings from the one app it was given, and tests make several apps.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.common.urls import add_params_to_uri
from authlib.integrations.base_client.errors import MismatchingStateError, OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app, session
from joserfc.errors import JoseError
from werkzeug.wrappers import Response

from config import ConfigError

log = logging.getLogger(__name__)

EXTENSION = "etjanst_oidc"
CLIENT_NAME = "etjanst_eid"
DISCOVERY_PATH = "/.well-known/openid-configuration"


class LoginFailed(Exception):
    """The e-ID login did not give us a person; ``reason`` says why (the page's words depend on it).

    Reasons: ``cancelled`` (the person stopped at the broker), ``state`` (the answer does not
    belong to a login started in this browser), ``failed`` (the broker's answer did not hold),
    ``unavailable`` (the broker did not answer), ``no_personnummer`` (no personnummer claim),
    ``invalid_personnummer`` (a claim that is not a valid personnummer).
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


@dataclass(frozen=True)
class Identity:
    """Who the broker says logged in."""

    personnummer: str
    given_name: str | None
    family_name: str | None


def is_configured(app: Flask | None = None) -> bool:
    """Whether e-ID login is set up for the app (an issuer and a client id)."""
    app = app or current_app
    return EXTENSION in app.extensions


def init_app(app: Flask) -> None:
    """Register the broker as an OAuth client of this app, when OIDC_ISSUER is set."""
    issuer = (app.config.get("OIDC_ISSUER") or "").rstrip("/")
    if not issuer:
        return
    if not app.config.get("OIDC_CLIENT_ID"):
        raise ConfigError(
            "ETJANST_OIDC_ISSUER is set: set ETJANST_OIDC_CLIENT_ID (and _SECRET) from the e-ID broker too."
        )
    oauth = OAuth()
    oauth.init_app(app)
    oauth.register(
        CLIENT_NAME,
        client_id=app.config["OIDC_CLIENT_ID"],
        client_secret=app.config.get("OIDC_CLIENT_SECRET"),
        server_metadata_url=issuer + DISCOVERY_PATH,
        client_kwargs={
            "scope": app.config.get("OIDC_SCOPE") or "openid profile",
            "code_challenge_method": "S256",
            "token_endpoint_auth_method": app.config.get("OIDC_TOKEN_AUTH_METHOD") or "client_secret_basic",
            "default_timeout": 10,
        },
    )
    app.extensions[EXTENSION] = oauth


def _client() -> Any:
    return current_app.extensions[EXTENSION].create_client(CLIENT_NAME)


def start(redirect_uri: str, *, locale: str | None = None) -> Response:
    """The redirect to the broker's login page (state, nonce and PKCE verifier kept in the session)."""
    extra = {"ui_locales": locale} if locale else {}
    # One login in progress per browser: an abandoned one's state would only fill the cookie.
    for key in [key for key in session if key.startswith(f"_state_{CLIENT_NAME}_")]:
        session.pop(key)
    try:
        return _client().authorize_redirect(redirect_uri, **extra)
    except requests.RequestException as exc:
        log.warning("The e-ID broker's discovery document could not be read: %s", exc)
        raise LoginFailed("unavailable", str(exc)) from exc


def finish() -> Identity:
    """Read the broker's answer on the callback: exchange the code, check the ID token, find the personnummer.

    Raises LoginFailed; never lets the broker's errors through as they are.
    """
    client = _client()
    try:
        token = client.authorize_access_token()
        claims: dict[str, Any] = dict(token.get("userinfo") or {})
        if _claim(claims, "OIDC_PERSONNUMMER_CLAIM") is None and client.load_server_metadata().get("userinfo_endpoint"):
            # Some brokers put the personnummer only in the UserInfo answer.
            info = client.userinfo(token=token)
            if claims.get("sub") and info.get("sub") != claims["sub"]:
                raise LoginFailed("failed", "the UserInfo subject differs from the ID token's")
            claims = {**dict(info), **claims}
    except MismatchingStateError as exc:
        raise LoginFailed("state", str(exc)) from exc
    except OAuthError as exc:
        if exc.error == "access_denied":
            raise LoginFailed("cancelled", exc.description or "") from exc
        log.warning("E-ID login failed: %s %s", exc.error, exc.description)
        raise LoginFailed("failed", f"{exc.error} {exc.description}") from exc
    except requests.RequestException as exc:
        log.warning("The e-ID broker did not answer: %s", exc)
        raise LoginFailed("unavailable", str(exc)) from exc
    except (AuthlibBaseError, JoseError, ValueError, KeyError, TypeError) as exc:
        log.warning("E-ID login failed: %r", exc)
        raise LoginFailed("failed", repr(exc)) from exc

    personnummer = _claim(claims, "OIDC_PERSONNUMMER_CLAIM")
    if personnummer is None:
        log.warning(
            "E-ID login without the claim %r; the claims were %s",
            current_app.config.get("OIDC_PERSONNUMMER_CLAIM"),
            sorted(claims),
        )
        raise LoginFailed("no_personnummer")
    return Identity(
        personnummer=personnummer,
        given_name=_claim(claims, "OIDC_GIVEN_NAME_CLAIM"),
        family_name=_claim(claims, "OIDC_FAMILY_NAME_CLAIM"),
    )


def _claim(claims: dict[str, Any], setting: str) -> str | None:
    name = current_app.config.get(setting)
    value = claims.get(name) if name else None
    if value is None or isinstance(value, dict | list | bool):
        return None
    text = str(value).strip()
    return text or None


def logout_url(post_logout_redirect_uri: str) -> str | None:
    """The broker's end-session URL (RP-initiated logout), or None when it has none or it is switched off."""
    if not is_configured() or not current_app.config.get("OIDC_END_SESSION", True):
        return None
    client = _client()
    try:
        endpoint = client.load_server_metadata().get("end_session_endpoint")
    except requests.RequestException as exc:
        log.warning("The e-ID broker's discovery document could not be read: %s", exc)
        return None
    if not endpoint:
        return None
    return add_params_to_uri(
        endpoint, {"client_id": client.client_id, "post_logout_redirect_uri": post_logout_redirect_uri}
    )


def origins() -> list[str]:
    """The broker's origins (scheme://host[:port]) that a form on the portal may end up at (logout)."""
    if not is_configured():
        return []
    urls = [current_app.config.get("OIDC_ISSUER") or ""]
    metadata = _client().server_metadata  # what is known already; never fetched for this
    urls.append(metadata.get("end_session_endpoint") or "")
    found = []
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme in ("http", "https") and parts.netloc:
            origin = f"{parts.scheme}://{parts.netloc}"
            if origin not in found:
                found.append(origin)
    return found
