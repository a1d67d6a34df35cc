"""E-ID login through OpenID Connect (issue 4 item 2, F-POR-2), against oidc-provider-mock.

Every login here goes the real way: the portal redirects to the mock's authorization
page, the person logs in there (a form post), the mock redirects back to the portal's
callback, and the portal fetches and checks the tokens from the mock over HTTP.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
import requests
from sqlalchemy import func, select

from shared.db import db
from shared.models import AuditEntry, Citizen
from tests import factories
from tests.oidc_provider import OIDCProvider
from tests.portal.conftest import csrf_token, make_portal, visible_text

MARIA = "19850709-9805"
OLLE = "19640823-3234"


@pytest.fixture(scope="module")
def eid_app(app, portal_overrides, oidc_provider: OIDCProvider):
    """A portal whose only login is e-ID through the mock (as in production)."""
    return make_portal(portal_overrides, **oidc_provider.portal_settings(), PORTAL_TEST_LOGIN=False)


@pytest.fixture
def client(eid_app, ctx):
    return eid_app.test_client()


def start_login(client, path: str = "/logga-in") -> str:
    response = client.get(path)
    assert response.status_code == 302
    return response.headers["Location"]


def log_in(client, provider: OIDCProvider, sub: str, path: str = "/logga-in"):
    """Log in as ``sub`` through the whole redirect flow; the portal's answer to the callback."""
    back = provider.authorize(start_login(client, path), sub=sub)
    assert back.startswith("http://localhost/logga-in/callback?")
    return client.get(provider.local_path(back))


def logged_in(client) -> bool:
    with client.session_transaction() as session:
        return "citizen_id" in session


def test_login_redirects_to_the_broker_with_state_nonce_and_pkce(client, oidc_provider):
    location = start_login(client, "/logga-in?next=/mina-sidor")
    parts = urlsplit(location)
    query = parse_qs(parts.query)
    assert f"{parts.scheme}://{parts.netloc}" == oidc_provider.url
    assert query["response_type"] == ["code"]
    assert query["client_id"] == ["etjanst-test"]
    assert query["redirect_uri"] == ["http://localhost/logga-in/callback"]
    assert query["scope"] == ["openid profile"]
    assert query["state"][0] and query["nonce"][0]
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["ui_locales"] == ["sv"]
    # Starting again replaces the login in progress (its state would only fill the cookie).
    start_login(client)
    with client.session_transaction() as session:
        assert len([key for key in session if key.startswith("_state_")]) == 1


def test_first_login_registers_the_citizen_and_lands_on_next(client, oidc_provider):
    sub = oidc_provider.person("maria-first", "198507099805", given_name="Maria", family_name="Öljung")

    response = log_in(client, oidc_provider, sub, "/logga-in?next=/e-tjanster/skolskjuts?steg=2")

    assert response.status_code == 302
    assert response.headers["Location"] == "/e-tjanster/skolskjuts?steg=2"
    maria = db.session.scalar(select(Citizen).where(Citizen.personnummer == "198507099805"))
    assert maria is not None
    assert (maria.first_name, maria.last_name) == ("Maria", "Öljung")
    assert maria.last_login_at is not None
    with client.session_transaction() as session:
        assert session["citizen_id"] == maria.id
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "citizen_logged_in"))
    assert entry.citizen_id == maria.id and entry.details == {"method": "e-id"}
    # The header now offers to log out.
    start = client.get("/").get_data(as_text=True)
    assert "Du är inloggad som Maria Öljung." in visible_text(start)
    assert 'action="/logga-ut"' in start


def test_later_login_finds_the_citizen_and_takes_the_new_name(client, oidc_provider):
    olle = factories.citizen(OLLE, first_name="Olle", last_name="Berg")
    db.session.commit()
    # The broker writes the personnummer its own way (here with a dash); it is the same person.
    sub = oidc_provider.person("olle", OLLE, given_name="Olle", family_name="Sandberg")

    response = log_in(client, oidc_provider, sub)

    assert response.status_code == 302 and response.headers["Location"] == "/mina-sidor"
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Citizen.id))) == 1
    assert db.session.get(Citizen, olle.id).last_name == "Sandberg"
    with client.session_transaction() as session:
        assert session["citizen_id"] == olle.id


def test_login_starts_a_fresh_session_but_keeps_the_language(client, oidc_provider):
    sub = oidc_provider.person("maria-fresh", MARIA)
    client.get("/?lang=en")
    with client.session_transaction() as session:
        session["planted"] = "from before the login"

    log_in(client, oidc_provider, sub)

    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["locale"] == "en"
        assert not [key for key in session if key.startswith("_state_")]  # the login's state is used up


def test_next_is_only_ever_a_path_on_this_site(client, oidc_provider):
    sub = oidc_provider.person("maria-next", MARIA)
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"):
        response = log_in(client, oidc_provider, sub, "/logga-in?" + urlencode({"next": target}))
        assert response.headers["Location"] == "/mina-sidor", target


def test_a_callback_with_another_state_is_refused(client, oidc_provider):
    sub = oidc_provider.person("maria-state", MARIA)
    back = oidc_provider.authorize(start_login(client), sub=sub)
    parts = urlsplit(back)
    query = parse_qs(parts.query)
    query["state"] = ["not-the-state-we-sent"]
    forged = urlunsplit(("", "", parts.path, urlencode(query, doseq=True), ""))

    response = client.get(forged)

    assert response.status_code == 400
    assert "Inloggningen kunde inte slutföras" in visible_text(response.get_data(as_text=True))
    assert not logged_in(client)
    assert db.session.scalar(select(func.count(Citizen.id))) == 0


def test_a_callback_in_another_browser_is_refused(eid_app, client, oidc_provider):
    sub = oidc_provider.person("maria-elsewhere", MARIA)
    back = oidc_provider.authorize(start_login(client), sub=sub)
    # The code and state reach a browser that did not start this login (login CSRF).
    other = eid_app.test_client()

    response = other.get(oidc_provider.local_path(back))

    assert response.status_code == 400
    assert not logged_in(other)


def test_a_used_code_does_not_log_in_twice(client, oidc_provider):
    sub = oidc_provider.person("maria-replay", MARIA)
    back = oidc_provider.authorize(start_login(client), sub=sub)
    assert client.get(oidc_provider.local_path(back)).status_code == 302
    client.post("/logga-ut", data={"csrf_token": csrf_token(client.get("/logga-ut").get_data(as_text=True))})

    replay = client.get(oidc_provider.local_path(back))

    assert replay.status_code == 400
    assert not logged_in(client)


def test_no_personnummer_claim_gives_a_clear_message(client, oidc_provider):
    sub = oidc_provider.person("no-pnr", None, given_name="Anna", family_name="Utan")

    response = log_in(client, oidc_provider, sub)

    assert response.status_code == 400
    text = visible_text(response.get_data(as_text=True))
    assert "Inloggningen slutfördes inte" in text
    assert "Din e-legitimation gav oss inget svenskt personnummer" in text
    assert "Traceback" not in text
    assert not logged_in(client)
    assert db.session.scalar(select(func.count(Citizen.id))) == 0


def test_an_invalid_personnummer_claim_gives_a_clear_message(client, oidc_provider):
    sub = oidc_provider.person("bad-pnr", "19850709-9806")  # wrong check digit

    response = log_in(client, oidc_provider, sub)

    assert response.status_code == 400
    text = visible_text(response.get_data(as_text=True))
    assert "Personnumret från din e-legitimation är inte giltigt" in text
    assert not logged_in(client)
    assert db.session.scalar(select(func.count(Citizen.id))) == 0


def test_cancelling_at_the_broker_logs_nobody_in(client, oidc_provider):
    back = oidc_provider.authorize(start_login(client), sub="", deny=True)
    assert "error=access_denied" in back

    response = client.get(oidc_provider.local_path(back))

    text = visible_text(response.get_data(as_text=True))
    assert "Inloggningen avbröts. Du är inte inloggad." in text
    assert 'href="/logga-in/e-legitimation' in response.get_data(as_text=True)  # try again
    assert not logged_in(client)


def test_login_then_logout_ends_the_session_here_and_at_the_broker(client, oidc_provider):
    sub = oidc_provider.person("maria-logout", MARIA, given_name="Maria", family_name="Öljung")
    log_in(client, oidc_provider, sub)
    assert logged_in(client)

    page = client.get("/logga-ut").get_data(as_text=True)
    response = client.post("/logga-ut", data={"csrf_token": csrf_token(page)})

    assert not logged_in(client)
    assert client.get("/mina-sidor").status_code == 302
    # RP-initiated logout: the broker ends its session too, then sends the browser back.
    location = response.headers["Location"]
    assert location.startswith(f"{oidc_provider.url}/oauth2/end_session?")
    query = parse_qs(urlsplit(location).query)
    assert query["client_id"] == ["etjanst-test"]
    assert query["post_logout_redirect_uri"] == ["http://localhost/"]
    confirm = requests.post(
        f"{oidc_provider.url}/oauth2/end_session/confirm",
        data={"redirect_uri": query["post_logout_redirect_uri"][0]},
        allow_redirects=False,
        timeout=10,
    )
    assert confirm.headers["Location"] == "http://localhost/"
    start = client.get("/")
    assert "Du är utloggad." in visible_text(start.get_data(as_text=True))


def test_the_header_login_link_comes_back_to_the_page(client, oidc_provider):
    factories.eservice("Skolskjuts", slug="skolskjuts")
    db.session.commit()
    sub = oidc_provider.person("maria-header", MARIA)
    page = client.get("/e-tjanster/skolskjuts").get_data(as_text=True)
    link = re.search(r'<a href="(/logga-in[^"]*)">Logga in</a>', page)
    assert link and link.group(1) == "/logga-in?next=/e-tjanster/skolskjuts"

    response = log_in(client, oidc_provider, sub, link.group(1))

    assert response.headers["Location"] == "/e-tjanster/skolskjuts"


def test_the_personnummer_claim_name_is_a_setting(app, portal_overrides, oidc_provider, ctx):
    portal = make_portal(
        portal_overrides, **oidc_provider.portal_settings(OIDC_PERSONNUMMER_CLAIM="ssn"), PORTAL_TEST_LOGIN=False
    )
    client = portal.test_client()
    oidc_provider.set_user("ssn-person", {"ssn": "196408233234", "given_name": "Olle"})

    response = log_in(client, oidc_provider, "ssn-person")

    assert response.status_code == 302
    olle = db.session.scalar(select(Citizen).where(Citizen.personnummer == "196408233234"))
    assert olle is not None and olle.first_name == "Olle"


def test_both_logins_are_offered_when_both_are_on(app, portal_overrides, oidc_provider, ctx):
    portal = make_portal(portal_overrides, **oidc_provider.portal_settings(), PORTAL_TEST_LOGIN=True)
    client = portal.test_client()

    page = client.get("/logga-in?next=/mina-sidor")

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    text = visible_text(html)
    assert text.index("Logga in med e-legitimation") < text.index("Testinloggning – endast utveckling")
    assert 'href="/logga-in/e-legitimation?next=/mina-sidor"' in html
    assert 'href="/testinloggning?next=/mina-sidor"' in html
    # The e-ID choice goes to the broker.
    location = start_login(client, "/logga-in/e-legitimation?next=/mina-sidor")
    assert location.startswith(oidc_provider.url + "/oauth2/authorize?")


def test_an_unreachable_broker_gives_a_clear_message(app, portal_overrides, ctx):
    # Nothing listens on port 9 of 127.0.0.1 (discard): the connection is refused at once.
    portal = make_portal(
        portal_overrides,
        OIDC_ISSUER="http://127.0.0.1:9",
        OIDC_CLIENT_ID="etjanst-test",
        OIDC_CLIENT_SECRET="x",
        PORTAL_TEST_LOGIN=False,
    )

    response = portal.test_client().get("/logga-in")

    assert response.status_code == 503
    assert "E-legitimationstjänsten svarar inte just nu" in visible_text(response.get_data(as_text=True))


def test_without_e_id_nor_test_login_the_login_page_says_so(app, portal_overrides, ctx):
    portal = make_portal(portal_overrides, PORTAL_TEST_LOGIN=False, OIDC_ISSUER=None)
    client = portal.test_client()

    response = client.get("/logga-in")

    assert response.status_code == 200
    assert "Inloggning med e-legitimation finns inte ännu." in response.get_data(as_text=True)
    assert client.get("/logga-in/e-legitimation").status_code == 404
    assert client.get("/logga-in/callback?code=x&state=y").status_code == 404
