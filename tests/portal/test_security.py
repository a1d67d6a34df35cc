"""The portal's security (issue 4 item 6) and language switch (item 8).

CSRF on every form, the session cookie's flags, the session's end after 30 idle minutes,
rate limits on login and submission (memory and Redis storage, several apps in one
process), the security headers and a Content-Security-Policy that the templates keep to,
and no test login in production whatever the settings say.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import uuid
from pathlib import Path

import pytest
from flask import Flask, url_for

import config
from portal import limits
from shared.db import db
from tests import factories
from tests.portal.conftest import csrf_token, log_in_by_test_login, make_portal, visible_text

ROOT = Path(__file__).resolve().parents[2]
MARIA = "19850709-9805"
IDLE_MESSAGE = "Du har loggats ut eftersom du inte har varit aktiv på 30 minuter."


def log_in_as(client, citizen=None):
    """Log in through the test login form (CSRF and all); returns the citizen."""
    citizen = citizen or factories.citizen(MARIA, first_name="Maria", last_name="Öljung")
    db.session.commit()
    log_in_by_test_login(client, citizen)
    return citizen


def logged_in(client) -> bool:
    with client.session_transaction() as session:
        return "citizen_id" in session


# -- CSRF ---------------------------------------------------------------------------------


def test_every_post_route_refuses_a_post_without_csrf_token(portal, client):
    log_in_as(client)  # logged in, so that no view sends the post elsewhere first
    posts = [rule for rule in portal.url_map.iter_rules() if "POST" in (rule.methods or ())]
    endpoints = {rule.endpoint for rule in posts}
    assert {"auth.logout", "auth.test_login"} <= endpoints  # the walk covers the forms we know of
    assert "auth.callback" not in endpoints  # the e-ID callback is a GET (the broker redirects)

    with portal.test_request_context():
        urls = {rule.endpoint: url_for(rule.endpoint, **dict.fromkeys(rule.arguments, 1)) for rule in posts}
    accepted = {}
    for endpoint, url in sorted(urls.items()):
        response = client.post(url, data={"anything": "x"})
        if response.status_code != 400:
            accepted[endpoint] = (url, response.status_code)
    assert accepted == {}, f"posts without a CSRF token were not refused: {accepted}"
    assert logged_in(client)  # the refused posts (logout among them) changed nothing


# -- The session cookie ---------------------------------------------------------------------


def test_the_session_cookie_is_httponly_and_samesite_lax(portal, client):
    citizen = factories.citizen(MARIA)
    db.session.commit()
    page = client.get("/testinloggning").get_data(as_text=True)
    response = client.post("/testinloggning", data={"citizen": str(citizen.id), "csrf_token": csrf_token(page)})
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("etjanst_portal="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    # A browser-session cookie: it goes when the browser closes (the server ends it sooner when idle).
    assert "Expires=" not in cookie and "Max-Age=" not in cookie


@pytest.fixture
def production_env(monkeypatch):
    monkeypatch.setenv("ETJANST_ENV", "production")
    monkeypatch.setenv("ETJANST_SECRET_KEY", "p" * 64)
    monkeypatch.setenv("ETJANST_DATABASE_URL", "postgresql://etjanst@db.example/etjanst")
    # An operator's mistake: the environment asks for the test login.
    monkeypatch.setenv("ETJANST_PORTAL_TEST_LOGIN", "true")


def test_production_cookies_are_secure_and_the_test_login_is_off(production_env):
    production = config.get_config("production")
    assert production.SESSION_COOKIE_SECURE is True
    assert production.SESSION_COOKIE_HTTPONLY is True
    assert production.SESSION_COOKIE_SAMESITE == "Lax"
    assert production.PERMANENT_SESSION_LIFETIME == 30 * 60
    assert production.PORTAL_TEST_LOGIN is False
    assert production.RATELIMIT_ENABLED is True
    # Development, by contrast, has the test login (what `make run` offers).
    assert config.get_config("development").PORTAL_TEST_LOGIN is True


def test_production_never_serves_the_test_login(production_env, app, app_overrides, ctx):
    from portal import create_app

    factories.citizen(MARIA)
    db.session.commit()
    # Even an override cannot switch it on.
    portal = create_app(config.get_config("production"), overrides={**app_overrides, "PORTAL_TEST_LOGIN": True})
    client = portal.test_client()

    assert client.get("/testinloggning").status_code == 404
    assert client.post("/testinloggning", data={"citizen": "1"}).status_code in (400, 404)
    text = visible_text(client.get("/").get_data(as_text=True))
    assert "Testinloggning" not in text and "testinloggningen" not in text
    login = client.get("/logga-in")
    assert login.status_code == 200 and "Testinloggning" not in login.get_data(as_text=True)
    assert not logged_in(client)
    assert client.get("/").headers["Strict-Transport-Security"].startswith("max-age=")


# -- 30 idle minutes --------------------------------------------------------------------------


def test_the_session_ends_after_30_idle_minutes(portal, client, time_machine):
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False)
    log_in_as(client)

    # Active now and then: 29 minutes between requests never ends the visit.
    for _ in range(3):
        time_machine.shift(dt.timedelta(minutes=29))
        response = client.get("/")
        assert response.status_code == 200
        assert logged_in(client)
        assert IDLE_MESSAGE not in visible_text(response.get_data(as_text=True))

    time_machine.shift(dt.timedelta(minutes=31))
    response = client.get("/")
    assert IDLE_MESSAGE in visible_text(response.get_data(as_text=True))
    assert not logged_in(client)
    assert client.get("/mina-sidor").status_code == 302


def test_an_idle_session_is_ended_by_the_server_not_only_the_browser(portal, client, time_machine):
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False)
    log_in_as(client)
    client.get("/")
    stolen = client.get_cookie("etjanst_portal").value

    time_machine.shift(dt.timedelta(minutes=31))
    thief = portal.test_client()
    thief.set_cookie("etjanst_portal", stolen)
    response = thief.get("/mina-sidor")

    assert response.status_code == 302 and "/logga-in" in response.headers["Location"]
    assert not logged_in(thief)


def test_a_form_sent_into_an_ended_session_goes_back_to_its_page(portal, client, time_machine):
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False)
    log_in_as(client)
    page = client.get("/logga-ut").get_data(as_text=True)

    time_machine.shift(dt.timedelta(minutes=31))
    response = client.post(
        "/logga-ut", data={"csrf_token": csrf_token(page)}, headers={"Referer": "http://localhost/logga-ut"}
    )

    assert response.status_code == 303
    assert response.headers["Location"] == "/logga-ut"
    assert not logged_in(client)
    assert IDLE_MESSAGE in visible_text(client.get("/logga-ut").get_data(as_text=True))


# -- Rate limits -------------------------------------------------------------------------------


def test_the_login_limit_answers_429_with_a_swedish_page(app, portal_overrides, ctx):
    strict = make_portal(portal_overrides, RATELIMIT_ENABLED=True, PORTAL_LOGIN_LIMIT="2 per minute")
    loose = make_portal(portal_overrides, RATELIMIT_ENABLED=True, PORTAL_LOGIN_LIMIT="5 per minute")
    strict_client, loose_client = strict.test_client(), loose.test_client()

    assert [strict_client.get("/testinloggning").status_code for _ in range(2)] == [200, 200]
    refused = strict_client.get("/testinloggning")

    assert refused.status_code == 429
    text = visible_text(refused.get_data(as_text=True))
    assert "För många försök" in text and "Vänta en minut och försök igen." in text
    assert int(refused.headers["Retry-After"]) > 0
    # Pages that are not a login do not count.
    assert strict_client.get("/").status_code == 200
    # Another app in the same process keeps its own limiter, limit and counts.
    assert [loose_client.get("/testinloggning").status_code for _ in range(5)] == [200] * 5
    assert loose_client.get("/testinloggning").status_code == 429


def test_sending_in_an_application_is_limited(app, portal_overrides, ctx):
    strict = make_portal(portal_overrides, RATELIMIT_ENABLED=True, PORTAL_SUBMIT_LIMIT="2 per minute")
    client = strict.test_client()
    log_in_as(client)
    token = csrf_token(client.get("/logga-ut").get_data(as_text=True))
    with strict.test_request_context():
        send = url_for("apply.summary", draft_id=999999)

    answers = [client.post(send, data={"csrf_token": token}).status_code for _ in range(3)]

    assert 429 not in answers[:2] and answers[2] == 429
    assert client.get(send).status_code != 429  # looking at the summary is not sending


def test_the_limit_can_be_switched_off_and_the_shared_test_app_has_it_off(portal, client, app, portal_overrides):
    assert portal.config["RATELIMIT_ENABLED"] is False
    assert all(client.get("/testinloggning").status_code == 200 for _ in range(30))


def test_the_submission_limit_counts_posts():
    app = Flask(__name__)
    app.config.update(TESTING=True, RATELIMIT_ENABLED=True, PORTAL_SUBMIT_LIMIT="2 per minute")

    @app.route("/skicka-in", methods=["GET", "POST"])
    @limits.submission
    def send():
        return "ok"

    limits.init_app(app)
    client = app.test_client()
    assert all(client.get("/skicka-in").status_code == 200 for _ in range(5))  # reading the page is free
    assert [client.post("/skicka-in").status_code for _ in range(3)] == [200, 200, 429]


def _redis_or_skip(url: str):
    import redis

    connection = redis.Redis.from_url(url, socket_connect_timeout=1)
    try:
        connection.ping()
    except redis.RedisError:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no Redis at {url}")
    return connection


def test_limits_are_counted_in_redis_when_configured(app, portal_overrides, ctx):
    url = "redis://127.0.0.1:6379/0"
    connection = _redis_or_skip(url)
    prefix = f"etjanst-test-{uuid.uuid4().hex}"
    try:
        one = make_portal(
            portal_overrides,
            REDIS_URL=url,
            RATELIMIT_ENABLED=True,
            RATELIMIT_KEY_PREFIX=prefix,
            PORTAL_LOGIN_LIMIT="2 per minute",
        )
        assert one.config["RATELIMIT_STORAGE_URI"] == url
        client = one.test_client()
        assert [client.get("/testinloggning").status_code for _ in range(3)] == [200, 200, 429]
        assert connection.keys(f"*{prefix}*")  # the counts are in Redis
        # A second worker (another app on the same Redis) sees the same counts.
        two = make_portal(
            portal_overrides,
            REDIS_URL=url,
            RATELIMIT_ENABLED=True,
            RATELIMIT_KEY_PREFIX=prefix,
            PORTAL_LOGIN_LIMIT="2 per minute",
        )
        assert two.test_client().get("/testinloggning").status_code == 429
    finally:
        for key in connection.scan_iter(f"*{prefix}*"):
            connection.delete(key)


# -- Headers and the Content-Security-Policy ------------------------------------------------------


def test_security_headers_on_every_page(portal, client):
    for path, status in (("/", 200), ("/logga-in", 302), ("/finns-inte", 404)):
        response = client.get(path)
        assert response.status_code == status
        headers = response.headers
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "same-origin"
        policy = dict((part.strip().split(" ", 1) + [""])[:2] for part in headers["Content-Security-Policy"].split(";"))
        for directive in ("default-src", "script-src", "style-src", "font-src"):
            assert policy[directive] == "'self'", directive
        assert policy["frame-ancestors"] == "'none'"
        assert policy["object-src"] == "'none'"
        assert "unsafe" not in headers["Content-Security-Policy"]
    assert "Strict-Transport-Security" not in client.get("/").headers  # plain http in tests


def test_pages_with_personal_data_are_not_cached(portal, client):
    assert "no-store" not in client.get("/").headers.get("Cache-Control", "")
    log_in_as(client)
    assert client.get("/").headers["Cache-Control"] == "no-store"
    assert "no-store" not in client.get("/static/portal/portal.css").headers.get("Cache-Control", "")


def test_the_form_posts_to_the_e_id_broker_are_allowed_by_the_policy(app, portal_overrides, ctx):
    portal = make_portal(portal_overrides, OIDC_ISSUER="https://broker.example/oidc", OIDC_CLIENT_ID="x")
    policy = portal.test_client().get("/").headers["Content-Security-Policy"]
    # Logging out posts to the portal, which sends the browser on to the broker's logout.
    assert "form-action 'self' https://broker.example;" in policy


TEMPLATE_DIRS = [ROOT / "portal" / "templates", ROOT / "shared" / "forms" / "templates"]
INLINE = {
    "an inline <script>": re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.I),
    "a <style> element": re.compile(r"<style\b", re.I),
    "a style attribute": re.compile(r"\sstyle\s*=", re.I),
    "an event handler attribute": re.compile(r"\son[a-z]+\s*=", re.I),
    "a javascript: URL": re.compile(r"javascript:", re.I),
}


def test_templates_keep_to_the_content_security_policy():
    """The policy allows only the portal's own script and style files: nothing inline."""
    found = []
    for folder in TEMPLATE_DIRS:
        for path in sorted(folder.rglob("*.html")):
            text = path.read_text(encoding="utf-8")
            for what, pattern in INLINE.items():
                for match in pattern.finditer(text):
                    line = text.count("\n", 0, match.start()) + 1
                    found.append(f"{path.relative_to(ROOT)}:{line}: {what}")
    assert found == []


# -- Language switch ----------------------------------------------------------------------------


def test_swedish_by_default_and_english_by_the_switch(portal, client):
    factories.eservice("Skolskjuts", slug="skolskjuts")
    db.session.commit()

    swedish = client.get("/e-tjanster/skolskjuts?q=skola").get_data(as_text=True)
    assert '<html lang="sv">' in swedish
    assert "Hoppa till innehållet" in swedish
    # The link keeps the page and its query, and says what language it leads to.
    link = re.search(r'<a href="([^"]+)" lang="en" hreflang="en">English</a>', swedish)
    assert link, "no link to English"
    assert link.group(1) == "/e-tjanster/skolskjuts?q=skola&amp;lang=en"

    english = client.get("/e-tjanster/skolskjuts?q=skola&lang=en").get_data(as_text=True)
    assert '<html lang="en">' in english
    assert "Skip to content" in english and "Hoppa till innehållet" not in english
    back = re.search(r'<a href="([^"]+)" lang="sv" hreflang="sv">Svenska</a>', english)
    assert back and back.group(1) == "/e-tjanster/skolskjuts?q=skola&amp;lang=sv"
    # The choice holds for the visit, on other pages too.
    assert "Skip to content" in client.get("/").get_data(as_text=True)
    assert "Hoppa till innehållet" in client.get("/?lang=sv").get_data(as_text=True)


def test_the_switch_works_on_pages_that_do_not_exist_and_does_not_repeat_itself(portal, client):
    page = client.get("/finns-inte?lang=sv&x=1&x=2").get_data(as_text=True)
    assert 'href="/finns-inte?x=1&amp;x=2&amp;lang=en"' in page
    english = client.get("/finns-inte?x=1&lang=en")
    assert english.status_code == 404
    assert "Page not found" in english.get_data(as_text=True)


def test_the_language_survives_login_and_logout(portal, client):
    client.get("/?lang=en")
    log_in_as(client)
    assert "You are logged in as Maria Öljung." in client.get("/").get_data(as_text=True)
    page = client.get("/logga-ut").get_data(as_text=True)
    client.post("/logga-ut", data={"csrf_token": csrf_token(page)})
    assert "You are logged out." in client.get("/").get_data(as_text=True)
