"""The back office starts, answers /healthz, speaks Swedish and lets staff log in (Foundation)."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask_appbuilder.security.sqla.models import Role
from werkzeug.exceptions import NotFound
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.test import Client

from shared.db import db
from tests import factories
from tests.backoffice.conftest import csrf_token, login

ENGLISH_FAB_TEXTS = ["Login", "Sign In", "Username", "Password", "Enter your login and password below", "Cancel"]


def visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def asset_urls(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', html)


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "ok"
    assert response.json["database"] == "ok"


def test_the_tab_icon_is_our_own_and_every_page_links_it(client):
    login_page = client.get("/login/").get_data(as_text=True)
    assert '<link rel="icon" href="/favicon.svg" type="image/svg+xml">' in login_page
    for path in ("/favicon.svg", "/favicon.ico"):
        icon = client.get(path)
        assert icon.status_code == 200 and icon.mimetype == "image/svg+xml", path
        assert icon.data.startswith(b"<svg") and icon.cache_control.max_age == 86400


def test_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login/")
    page = client.get("/login/").get_data(as_text=True)
    assert "Åtkomst nekad" not in page  # no "Access is Denied" for just arriving


def test_login_page_is_swedish_and_self_hosted(client):
    response = client.get("/login/")
    html = response.get_data(as_text=True)
    text = visible_text(html)
    assert '<html lang="sv">' in html
    assert "Logga in" in text
    assert "Användarnamn" in text and "Lösenord" in text
    assert "Hoppa till innehållet" in text
    for english in ENGLISH_FAB_TEXTS:
        assert not re.search(rf"(?<![\w-]){re.escape(english)}(?![\w-])", text), f"untranslated: {english!r}"
    urls = asset_urls(html)
    assert any("/static/appbuilder/css/bootstrap.min.css" in u for u in urls)
    external = [u for u in urls if u.startswith(("http:", "https:", "//"))]
    assert external == []


def test_login_page_in_english_when_chosen(client):
    client.get("/lang/en")
    text = visible_text(client.get("/login/").get_data(as_text=True))
    assert "Username" in text and "Användarnamn" not in text


def test_static_files_are_served(client):
    assert client.get("/static/appbuilder/css/bootstrap.min.css").status_code == 200
    assert client.get("/static/backoffice/backoffice.css").status_code == 200


def _start_page_for(client, user, role_label: str) -> str:
    db.session.commit()
    response = login(client, user.username)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.request.path == "/"
    assert "<h1>Start</h1>" in html
    assert f"Välkommen, {user.display_name}!" in html
    assert role_label in html
    return html


def test_admin_logs_in_to_the_start_page(bo, client):
    html = _start_page_for(client, factories.admin(), "Administratör")
    assert "Säkerhet" in html  # the Security menu
    assert "Användare" in html


def test_builder_logs_in_to_the_start_page(bo, client):
    html = _start_page_for(client, factories.builder(), "E-tjänsteutvecklare")
    assert "Säkerhet" not in html


def test_handler_sees_the_eservices_they_handle(bo, client):
    handler = factories.user("hanna", first_name="Hanna")
    restricted = factories.eservice("Ansökan om specialkost", restricted=[handler])
    factories.eservice("Skolskjuts", groups=[factories.group("Skolskjutsgruppen", members=[handler])])
    factories.eservice("Larmavtal")  # not hers
    db.session.commit()
    # A handler lands on Ärenden; the menu's Start opens the start page.
    assert login(client, handler.username).request.path == "/arenden/"
    html = client.get("/start/").get_data(as_text=True)
    assert "<h1>Start</h1>" in html and "Handläggare" in html
    assert "Skolskjuts" in html and "Ansökan om specialkost" in html
    assert "Larmavtal" not in html
    assert "Begränsad" in html
    assert restricted.name in html


def test_wrong_password_gives_a_swedish_error(bo, client):
    factories.user("hanna")
    db.session.commit()
    response = login(client, "hanna", "fel-lösenord")
    text = visible_text(response.get_data(as_text=True))
    assert response.request.path == "/login/"
    assert "Fel användarnamn eller lösenord" in text
    assert "Invalid login" not in text


def test_login_without_csrf_token_is_refused(bo, client):
    factories.user("hanna")
    db.session.commit()
    response = client.post("/login/", data={"username": "hanna", "password": factories.PASSWORD})
    assert response.status_code == 400
    assert client.get("/").status_code == 302  # still not logged in


def test_a_logged_in_post_without_csrf_token_gets_the_swedish_error_page(bo, client):
    factories.user("hanna")
    db.session.commit()
    login(client, "hanna")
    # CSRFProtect refuses the request before AppBuilder has set g.user: the page frame must cope.
    response = client.post("/arenden/installningar", data={"page_size": "50"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Felaktig begäran" in html or "400" in html
    assert "hanna" in html or "Logga ut" in html  # the frame knows who is logged in


def test_handler_cannot_open_the_user_administration(bo, client):
    factories.user("hanna")
    db.session.commit()
    login(client, "hanna")
    assert client.get("/roles/list/").status_code == 403
    response = client.get("/users/list/")
    assert response.status_code == 403
    assert "Du har inte behörighet till den här sidan" in response.get_data(as_text=True)
    assert client.get("/finns-inte").status_code == 404


def test_staff_edit_their_own_notification_settings(bo, client):
    user = factories.user("hanna")
    db.session.commit()
    login(client, "hanna")
    profile = client.get("/users/userinfo/")
    assert profile.status_code == 200
    assert "Mobiltelefon" in profile.get_data(as_text=True)

    form = client.get("/staffuserinfoeditview/form")
    assert form.status_code == 200
    data = {
        "csrf_token": csrf_token(form.get_data(as_text=True)),
        "first_name": "Hanna",
        "last_name": "Handläggare",
        "title": "Skolskjutshandläggare",
        "mobile_phone": "",
        "notify_by_email": "y",
        "notify_by_sms": "y",
    }
    refused = client.post("/staffuserinfoeditview/form", data=data)
    assert "Ange ett mobilnummer för att få aviseringar via sms." in refused.get_data(as_text=True)

    data["mobile_phone"] = "070-123 45 67"
    client.post("/staffuserinfoeditview/form", data=data)
    db.session.expire_all()
    saved = db.session.get(type(user), user.id)
    assert (saved.title, saved.mobile_phone, saved.notify_by_sms) == ("Skolskjutshandläggare", "070-123 45 67", True)


def test_admin_user_form_has_the_staff_columns_in_swedish(bo, client):
    factories.admin()
    db.session.commit()
    login(client, "admin")
    html = client.get("/users/add").get_data(as_text=True)
    for label in ("Förnamn", "Titel", "Mobiltelefon", "Aviseringar via e-post", "Aviseringar via sms", "Roll"):
        assert label in html


def test_mounted_under_admin_prefix(bo):
    """`etjanst serve` mounts the back office at /admin: links, static files and login work there."""
    factories.admin()
    db.session.commit()
    client = Client(DispatcherMiddleware(NotFound(), {"/admin": bo}))

    response = client.get("/admin/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/login/")

    page = client.get("/admin/login/")
    html = page.get_data(as_text=True)
    assets = [u for u in asset_urls(html) if "/static/" in u]
    assert assets and all(u.startswith("/admin/static/") for u in assets)
    for url in assets:
        assert client.get(url).status_code == 200, url

    response = client.post(
        "/admin/login/",
        data={"username": "admin", "password": factories.PASSWORD, "csrf_token": csrf_token(html)},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert response.request.path == "/admin/"
    start = response.get_data(as_text=True)
    assert "<h1>Start</h1>" in start
    assert 'href="/admin/users/userinfo/"' in start
    assert client.get("/admin/healthz").json["status"] == "ok"


def test_admin_can_switch_a_users_notifications_off(bo, client):
    factories.admin()
    hanna = factories.user("hanna", mobile_phone="070-123 45 67", notify_by_sms=True)
    db.session.commit()
    login(client, "admin")
    form = client.get(f"/users/edit/{hanna.id}")
    html = form.get_data(as_text=True)
    assert "Aviseringar via e-post" in html
    handler_role = db.session.scalar(sa.select(Role).where(Role.name == "Handler"))
    response = client.post(
        f"/users/edit/{hanna.id}",
        data={
            "csrf_token": csrf_token(html),
            "first_name": "Hanna",
            "last_name": "Lind",
            "username": "hanna",
            "email": "hanna@example.org",
            "mobile_phone": "070-123 45 67",
            "active": "y",
            "roles": [str(handler_role.id)],
            # both notification boxes unticked
        },
        follow_redirects=True,
    )
    assert response.status_code == 200
    db.session.expire_all()
    saved = db.session.get(type(hanna), hanna.id)
    assert (saved.notify_by_email, saved.notify_by_sms, saved.last_name) == (False, False, "Lind")
