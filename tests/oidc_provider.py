"""A local e-ID broker for tests: oidc-provider-mock on 127.0.0.1, in a thread.

The portal logs in against it through the real redirect flow: the portal sends the
browser to the mock's authorization page; the "person" there types a subject (``sub``)
and presses Authorize; the mock sends the browser back to ``/logga-in/callback`` with a
code, and the portal fetches the tokens from the mock over HTTP. What the ID token says
about a subject (personnummer, names) is set beforehand with ``set_user``.

Use the ``oidc_provider`` fixture (one server per test session), e.g.::

    overrides = {**portal_overrides, **oidc_provider.portal_settings()}
    location = client.get("/logga-in").headers["Location"]      # to the mock
    back = oidc_provider.authorize(location, sub="maria")       # the person logs in
    client.get(oidc_provider.local_path(back))                  # back at the portal

Browser tests just follow the redirects; the mock's page has a text field named
``sub`` and an "Authorize" button.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import werkzeug.serving

PERSONNUMMER_CLAIM = "https://id.oidc.se/claim/personalIdentityNumber"
CLIENT_ID = "etjanst-test"
CLIENT_SECRET = "etjanst-test-secret"


@dataclass
class OIDCProvider:
    """The running mock: its issuer URL and the steps a person takes on it."""

    url: str

    def portal_settings(self, **extra: Any) -> dict[str, Any]:
        """Portal settings that use this broker for e-ID login."""
        return {
            "OIDC_ISSUER": self.url,
            "OIDC_CLIENT_ID": CLIENT_ID,
            "OIDC_CLIENT_SECRET": CLIENT_SECRET,
            "OIDC_SCOPE": "openid profile",
            "OIDC_PERSONNUMMER_CLAIM": PERSONNUMMER_CLAIM,
            **extra,
        }

    def set_user(self, sub: str, claims: dict[str, Any]) -> None:
        """What the broker says about ``sub`` from now on (its ID token's and UserInfo's claims)."""
        response = requests.put(f"{self.url}/users/{sub}", json=claims, timeout=10)
        response.raise_for_status()

    def person(
        self, sub: str, personnummer: str | None, *, given_name: str | None = None, family_name: str | None = None
    ) -> str:
        """A person with a personnummer claim (left out when None) and names; returns ``sub``."""
        claims: dict[str, Any] = {}
        if personnummer is not None:
            claims[PERSONNUMMER_CLAIM] = personnummer
        if given_name is not None:
            claims["given_name"] = given_name
        if family_name is not None:
            claims["family_name"] = family_name
        self.set_user(sub, claims)
        return sub

    def authorize(self, authorization_url: str, *, sub: str, deny: bool = False) -> str:
        """Open the mock's login page at ``authorization_url`` and log in as ``sub`` (or press Deny).

        Returns where the mock sends the browser back to (the portal's callback URL).
        """
        assert authorization_url.startswith(self.url + "/"), authorization_url
        page = requests.get(authorization_url, timeout=10)
        assert page.status_code == 200, page.text
        assert 'name="sub"' in page.text  # the mock's login form
        data = {"action": "deny"} if deny else {"sub": sub}
        answer = requests.post(authorization_url, data=data, allow_redirects=False, timeout=10)
        assert answer.status_code in (302, 303), answer.text
        return answer.headers["Location"]

    @staticmethod
    def local_path(url: str) -> str:
        """The path and query of ``url`` (to hand to a Flask test client)."""
        parts = urlsplit(url)
        return parts.path + (f"?{parts.query}" if parts.query else "")


@pytest.fixture(scope="session")
def oidc_provider() -> Iterator[OIDCProvider]:
    """oidc-provider-mock serving on 127.0.0.1 (a free port) for the whole test session."""
    import oidc_provider_mock

    server = werkzeug.serving.make_server("127.0.0.1", 0, oidc_provider_mock.app(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield OIDCProvider(url=f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
