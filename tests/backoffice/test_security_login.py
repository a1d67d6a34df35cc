"""The back office's login and session (issue 9 item 1): the login's rate limit (memory and
Redis), the password rules for local users, the idle timeout counted from the last request,
equal work for unknown and known users at login, and no open redirect through ``next``.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import uuid

import pytest
import sqlalchemy as sa
from flask_appbuilder.security import manager as fab_manager
from flask_appbuilder.security.sqla.models import Role
from werkzeug.security import check_password_hash, generate_password_hash

import config
from backoffice.web_security import password_problem
from shared.db import db
from shared.models import StaffUser
from tests import factories
from tests.backoffice.conftest import csrf_token, login

IDLE_MESSAGE = "Du har loggats ut efter en tids inaktivitet (30 minuter). Logga in igen för att fortsätta."
GOOD_PASSWORD = "Fjällbacka-sommar-7"


def text_of(response) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", response.get_data(as_text=True), flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def make_backoffice(backoffice_overrides: dict, **settings):
    from backoffice import create_app

    return create_app(config.get_config("test"), overrides={**backoffice_overrides, **settings})


def logged_in(client) -> bool:
    with client.session_transaction() as session:
        return "_user_id" in session


def post_login(client, username: str, password: str, query: str = ""):
    page = client.get(f"/login/{query}")
    token = csrf_token(page.get_data(as_text=True))
    return client.post(f"/login/{query}", data={"username": username, "password": password, "csrf_token": token})


# -- the login's rate limit -----------------------------------------------------------------------


def test_the_eleventh_failed_login_in_a_minute_gets_429_in_swedish(bo, backoffice_overrides):
    factories.user("hanna")
    db.session.commit()
    limited = make_backoffice(backoffice_overrides, RATELIMIT_ENABLED=True)
    assert limited.config["AUTH_RATE_LIMIT"] == "10 per minute"
    assert limited.config["RATELIMIT_STORAGE_URI"] == "memory://"
    client = limited.test_client()

    answers = [post_login(client, "hanna", f"fel-{n}").status_code for n in range(10)]
    assert answers == [302] * 10  # back to the login form ("Fel användarnamn eller lösenord")
    refused = post_login(client, "hanna", factories.PASSWORD)  # even the right password, now

    assert refused.status_code == 429
    text = text_of(refused)
    assert "För många försök" in text and "Vänta en minut och försök igen." in text
    assert int(refused.headers["Retry-After"]) > 0
    assert not logged_in(client)
    assert client.get("/login/").status_code == 200  # looking at the form is not limited
    # The shared test app has the limit off (RATELIMIT_ENABLED is False in the test config).
    assert all(post_login(bo.test_client(), "hanna", "fel").status_code == 302 for _ in range(12))


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


def test_login_attempts_are_counted_in_redis_when_configured(bo, backoffice_overrides):
    url = "redis://127.0.0.1:6379/0"
    connection = _redis_or_skip(url)
    prefix = f"etjanst-test-{uuid.uuid4().hex}"
    settings = {
        "REDIS_URL": url,
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_KEY_PREFIX": prefix,
        "BACKOFFICE_LOGIN_LIMIT": "2 per minute",
    }
    try:
        one = make_backoffice(backoffice_overrides, **settings)
        assert one.config["RATELIMIT_STORAGE_URI"] == url
        client = one.test_client()
        assert [post_login(client, "nobody", "fel").status_code for _ in range(3)] == [302, 302, 429]
        assert connection.keys(f"*{prefix}*")  # the counts are in Redis
        # Another worker (another app on the same Redis) sees the same counts.
        two = make_backoffice(backoffice_overrides, **settings)
        assert post_login(two.test_client(), "nobody", "fel").status_code == 429
    finally:
        for key in connection.scan_iter(f"*{prefix}*"):
            connection.delete(key)


# -- passwords ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "username", "problem"),
    [
        ("kort-lösen1", None, "Lösenordet måste vara minst 12 tecken långt."),
        ("", None, "Lösenordet måste vara minst 12 tecken långt."),
        ("abcdefghijklmnop", None, "Lösenordet får inte bara bestå av bokstäver eller bara av siffror."),
        ("Åsaärenfinstad", None, "Lösenordet får inte bara bestå av bokstäver eller bara av siffror."),
        ("123456789012345", None, "Lösenordet får inte bara bestå av bokstäver eller bara av siffror."),
        ("hanna.berg.1234", "hanna.berg.1234", "Lösenordet får inte vara ditt användarnamn."),
        ("Administrator1", "administrator1", "Lösenordet får inte vara ditt användarnamn."),
        ("Password1234", "hanna", "Lösenordet är för vanligt. Välj ett annat."),
        ("etjanst-demo", "anna", "Lösenordet är för vanligt. Välj ett annat."),
        ("Sommar2026!!", None, "Lösenordet är för vanligt. Välj ett annat."),
        (GOOD_PASSWORD, "hanna", None),
        ("korrekt häst batteri häftklammer", "hanna", None),
        ("hanna-har-en-lång-fras", "hanna", None),
    ],
)
def test_the_password_rules(ctx, password, username, problem):
    with ctx.test_request_context(headers={"Accept-Language": "sv"}):
        found = password_problem(password, username)
    assert (str(found) if found else None) == problem


def _admin_client(client):
    factories.admin()
    db.session.commit()
    login(client, "admin")
    return client


def _add_user(client, password: str, username: str = "nyanstalld"):
    page = client.get("/users/add").get_data(as_text=True)
    role_id = db.session.scalar(sa.select(Role.id).where(Role.name == "Handler"))
    return client.post(
        "/users/add",
        data={
            "first_name": "Ny",
            "last_name": "Anställd",
            "username": username,
            "email": f"{username}@example.org",
            "active": "y",
            "roles": [str(role_id)],
            "password": password,
            "conf_password": password,
            "csrf_token": csrf_token(page),
        },
        follow_redirects=True,
    )


def test_an_administrator_cannot_give_a_new_user_a_weak_password(client):
    _admin_client(client)

    refused = _add_user(client, "nyanstalld")
    assert "Lösenordet måste vara minst 12 tecken långt." in text_of(refused)
    refused = _add_user(client, "nyanstalld2026", username="nyanstalld2026")
    assert "Lösenordet får inte vara ditt användarnamn." in text_of(refused)
    assert db.session.query(StaffUser).filter_by(username="nyanstalld").count() == 0

    _add_user(client, GOOD_PASSWORD)
    created = db.session.query(StaffUser).filter_by(username="nyanstalld").one()
    assert check_password_hash(created.password, GOOD_PASSWORD)


def test_an_administrator_resetting_a_password_gets_the_rules(client):
    _admin_client(client)
    hanna = factories.user("hanna.lindqvist")
    db.session.commit()
    url = f"/resetpassword/form?pk={hanna.id}"

    def reset(password: str):
        page = client.get(url).get_data(as_text=True)
        data = {"password": password, "conf_password": password, "csrf_token": csrf_token(page)}
        return client.post(url, data=data, follow_redirects=True)

    # The form says what the rules are (FAB's own text said that nothing was checked).
    form = text_of(client.get(url))
    assert "Minst 12 tecken, inte bara bokstäver eller siffror" in form and "kontrollerar inte" not in form
    assert "Lösenordet får inte vara ditt användarnamn." in text_of(reset("Hanna.Lindqvist"))
    assert "Lösenordet får inte bara bestå av bokstäver eller bara av siffror." in text_of(reset("hannalindhannalind"))
    db.session.expire_all()
    assert check_password_hash(db.session.get(StaffUser, hanna.id).password, factories.PASSWORD)
    reset(GOOD_PASSWORD)
    db.session.expire_all()
    assert check_password_hash(db.session.get(StaffUser, hanna.id).password, GOOD_PASSWORD)


def test_a_user_changing_their_own_password_gets_the_rules(client):
    factories.user("olle")
    db.session.commit()
    login(client, "olle")

    def change(password: str):
        page = client.get("/resetmypassword/form").get_data(as_text=True)
        data = {"password": password, "conf_password": password, "csrf_token": csrf_token(page)}
        return client.post("/resetmypassword/form", data=data, follow_redirects=True)

    assert "Lösenordet är för vanligt. Välj ett annat." in text_of(change("password1234"))
    assert "Lösenordet får inte vara ditt användarnamn." in text_of(change("olle12345678"))
    change(GOOD_PASSWORD)
    client.get("/logout/")
    assert post_login(client, "olle", GOOD_PASSWORD).status_code == 302 and logged_in(client)


def test_the_demo_password_still_logs_demo_users_in(client):
    # The demo loader sets it directly (shared/demo), not through the forms the rules guard.
    from shared.demo import DEMO_PASSWORD

    factories.user("anna", password=DEMO_PASSWORD)
    db.session.commit()
    assert post_login(client, "anna", DEMO_PASSWORD).status_code == 302
    assert logged_in(client)


# -- the audit log -----------------------------------------------------------------------------------


def test_every_login_attempt_is_in_the_audit_log_and_shown_in_swedish(client):
    from shared.models import AuditEntry

    factories.user("hanna")
    admin = factories.admin()
    db.session.commit()
    post_login(client, "hanna", "fel-lösenord-123")
    post_login(client, "ingen-sadan", factories.PASSWORD)
    assert post_login(client, "hanna", factories.PASSWORD).status_code == 302
    rows = db.session.execute(
        sa.select(AuditEntry.action, AuditEntry.username, AuditEntry.details, AuditEntry.ip).order_by(AuditEntry.id)
    ).all()
    attempts = [(r.action, r.username, r.details.get("username")) for r in rows if "login" in r.action]
    assert attempts == [
        ("staff_login_failed", None, "hanna"),
        ("staff_login_failed", None, "ingen-sadan"),
        ("staff_login", "hanna", None),
    ]
    assert all(r.ip for r in rows if "login" in r.action)

    client.get("/logout/")
    assert post_login(client, admin.username, factories.PASSWORD).status_code == 302
    page = text_of(client.get("/granskningslogg/"))
    assert "Misslyckad inloggning" in page and "Loggade in" in page
    assert "Användarnamn ingen-sadan" in page  # the detail named in Swedish


# -- the idle timeout -------------------------------------------------------------------------------


def test_an_active_handler_stays_logged_in_and_an_idle_one_is_logged_out(client, time_machine):
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False)
    factories.user("hanna")
    db.session.commit()
    login(client, "hanna")

    # A request every 29 minutes: still in after an hour and a half (the cookie's age alone
    # would have ended it after 30 minutes from the login).
    for _ in range(3):
        time_machine.shift(dt.timedelta(minutes=29))
        response = client.get("/start/")
        assert response.status_code == 200, response.headers.get("Location")
        assert logged_in(client)

    time_machine.shift(dt.timedelta(minutes=31))
    response = client.get("/arenden/?tab=mina")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login/?next=/arenden/?tab%3Dmina"
    assert not logged_in(client)
    login_page = client.get(response.headers["Location"])
    assert IDLE_MESSAGE in text_of(login_page)
    assert client.get("/start/").status_code == 302  # still out


def test_a_form_sent_after_the_idle_time_lands_on_the_login_page_not_an_error(client, time_machine):
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False)
    factories.user("hanna")
    db.session.commit()
    login(client, "hanna")
    page = client.get("/resetmypassword/form").get_data(as_text=True)

    time_machine.shift(dt.timedelta(minutes=45))
    response = client.post(
        "/resetmypassword/form",
        data={"password": GOOD_PASSWORD, "conf_password": GOOD_PASSWORD, "csrf_token": csrf_token(page)},
        headers={"Referer": "http://localhost/resetmypassword/form"},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/login/?next=/resetmypassword/form"
    assert not logged_in(client)
    assert IDLE_MESSAGE in text_of(client.get(response.headers["Location"]))
    # Nothing the ended session sent was done.
    assert check_password_hash(db.session.query(StaffUser).filter_by(username="hanna").one().password, "x") is False
    assert post_login(client, "hanna", factories.PASSWORD).status_code == 302


def test_a_copied_cookie_is_useless_after_the_idle_time(bo, client, time_machine):
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False)
    factories.user("hanna")
    db.session.commit()
    login(client, "hanna")
    stolen = client.get_cookie("etjanst_backoffice").value

    time_machine.shift(dt.timedelta(minutes=31))
    thief = bo.test_client()
    thief.set_cookie("etjanst_backoffice", stolen)
    assert thief.get("/start/").status_code == 302
    assert not logged_in(thief)


# -- login timing and redirects ------------------------------------------------------------------------


def test_an_unknown_user_costs_the_login_the_same_hash_work_as_a_known_one(client, monkeypatch):
    calls: list[str] = []

    def counting(pwhash: str, password: str) -> bool:
        calls.append(pwhash.split("$", 1)[0])
        return check_password_hash(pwhash, password)

    monkeypatch.setattr(fab_manager, "check_password_hash", counting)
    factories.user("hanna")
    inactive = factories.user("slutat")
    inactive.active = False
    db.session.commit()

    work = {}
    for username in ("hanna", "finns-inte", "slutat"):
        calls.clear()
        assert post_login(client, username, "fel-lösenord").status_code == 302
        assert not logged_in(client)
        work[username] = list(calls)
    # One hash check each, of the same kind (the real users' scrypt parameters).
    stored = db.session.query(StaffUser).filter_by(username="hanna").one().password.split("$", 1)[0]
    assert work == {"hanna": [stored], "finns-inte": [stored], "slutat": [stored]}
    # New passwords are hashed the way the fake check is (FAB_PASSWORD_HASH_METHOD unchanged).
    assert generate_password_hash("x").split("$", 1)[0] == stored


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example", "///evil.example", "https:evil.example"])
def test_the_login_never_sends_the_browser_off_site(client, target):
    factories.user("hanna")
    db.session.commit()
    from urllib.parse import quote

    response = post_login(client, "hanna", factories.PASSWORD, query=f"?next={quote(target, safe='')}")
    assert response.status_code == 302 and logged_in(client)
    location = response.headers["Location"]
    assert "evil" not in location
    assert location.startswith("/")


def test_the_login_follows_next_within_the_back_office(client):
    factories.user("hanna")
    db.session.commit()
    response = post_login(client, "hanna", factories.PASSWORD, query="?next=/arenden/%3Ftab%3Dalla")
    assert response.status_code == 302
    assert response.headers["Location"] == "/arenden/?tab=alla"


# -- logout ---------------------------------------------------------------------------------------------


def test_another_site_cannot_log_staff_out_it_gets_a_page_that_asks(client):
    factories.user("hanna")
    db.session.commit()
    login(client, "hanna")
    page = client.get("/logout/", headers={"Sec-Fetch-Site": "cross-site"})
    assert page.status_code == 200 and logged_in(client)
    html = page.get_data(as_text=True)
    assert "Logga ut?" in text_of(page)
    assert "En annan webbplats skickade dig hit för att logga ut. Du är fortfarande inloggad." in text_of(page)
    form = re.search(r'<form method="post" action="([^"]+)">(.*?)</form>', html, flags=re.S)
    assert form and form.group(1) == "/logout/" and "Logga ut</button>" in form.group(2)
    # Without the form's token the POST is refused (CSRF), and she stays logged in.
    assert client.post("/logout/").status_code == 400 and logged_in(client)
    answer = client.post("/logout/", data={"csrf_token": csrf_token(html)})
    assert answer.status_code == 302 and not logged_in(client)


@pytest.mark.parametrize("fetch_site", [None, "same-origin", "none"])
def test_logging_out_from_our_own_pages_is_still_one_click(client, fetch_site):
    factories.user("hanna")
    db.session.commit()
    login(client, "hanna")
    headers = {"Sec-Fetch-Site": fetch_site} if fetch_site else {}
    answer = client.get("/logout/", headers=headers)
    assert answer.status_code == 302 and not logged_in(client)
