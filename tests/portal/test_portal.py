"""The portal's start page, test login, Mina sidor, logout and languages (Foundation)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

import config
from shared.db import db
from shared.models import Case, Category, StatusKind
from tests import factories
from tests.portal.conftest import csrf_token, visible_text


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "ok"
    assert response.json["database"] == "ok"


def test_the_tab_icon_is_served_by_the_portal_and_linked(client):
    assert '<link rel="icon" href="/favicon.svg" type="image/svg+xml">' in client.get("/").get_data(as_text=True)
    for path in ("/favicon.svg", "/favicon.ico"):
        icon = client.get(path)
        assert (icon.status_code, icon.mimetype) == (200, "image/svg+xml"), path


def test_start_page_lists_enabled_eservices_by_category(portal, client):
    school = Category(name="Skola och förskola", sort_order=1)
    safety = Category(name="Trygghet och omsorg", sort_order=2)
    db.session.add_all([school, safety])
    factories.eservice("Skolskjuts", category=school, description="Ansök om skolskjuts för ditt barn.")
    factories.eservice("Ansökan om specialkost", category=school)
    factories.eservice("Larmavtal", category=safety)
    factories.eservice("Felanmälan", anonymous_allowed=True)
    factories.eservice("Gammal e-tjänst", category=school, enabled=False)
    db.session.commit()

    response = client.get("/")
    html = response.get_data(as_text=True)
    text = visible_text(html)
    assert response.status_code == 200
    assert '<html lang="sv">' in html
    assert "Hoppa till innehållet" in text
    assert 'href="#innehall"' in html and '<main id="innehall"' in html
    assert "Exempelby kommun" in text
    assert "Välkommen till e-tjänsterna" in text
    assert "Logga in" in text
    assert "Gammal e-tjänst" not in text
    # Categories in their order, e-services by name inside, uncategorised last.
    order = [
        text.index(s)
        for s in (
            "Skola och förskola",
            "Ansökan om specialkost",
            "Skolskjuts",
            "Trygghet och omsorg",
            "Larmavtal",
            "Övriga e-tjänster",
            "Felanmälan",
        )
    ]
    assert order == sorted(order)
    assert "Ansök om skolskjuts för ditt barn." in text


def test_pages_use_only_the_portals_own_assets(client):
    html = client.get("/").get_data(as_text=True)
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert not [u for u in urls if u.startswith(("http:", "https:", "//"))]
    assert client.get("/static/portal/portal.css").status_code == 200


def test_english_on_request(client):
    html = client.get("/?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Welcome to the e-services" in html
    assert "Skip to content" in html
    # The choice holds for the rest of the visit, and Swedish is one click away.
    again = client.get("/").get_data(as_text=True)
    assert "Welcome to the e-services" in again
    assert 'lang="sv" hreflang="sv">Svenska</a>' in again
    assert "Välkommen till e-tjänsterna" in client.get("/?lang=sv").get_data(as_text=True)


def _case(eservice, citizen, *, number, kind, **fields) -> Case:
    case = Case(
        number=number,
        eservice=eservice,
        version=eservice.versions[0],
        status=eservice.status_group.first_of_kind(kind),
        citizen=citizen,
        answers=factories.answers(),
        **fields,
    )
    db.session.add(case)
    db.session.flush()
    return case


def test_test_login_lists_citizens_and_logs_in(portal, client):
    maria = factories.citizen("19850709-9805", first_name="Maria", last_name="Öljung")
    factories.citizen("19640823-3234", first_name="Olle", last_name="Berg")
    skolskjuts = factories.eservice("Skolskjuts")
    _case(
        skolskjuts,
        maria,
        number=1001,
        kind=StatusKind.IN_PROGRESS,
        submitted_at=dt.datetime(2026, 3, 2, 9, 30),
        external_number="BUN 2026/118",
    )
    _case(factories.eservice("Larmavtal"), maria, number=None, kind=StatusKind.DRAFT)
    db.session.commit()

    page = client.get("/testinloggning")
    html = page.get_data(as_text=True)
    text = visible_text(html)
    assert page.status_code == 200
    assert "Testinloggning – endast utveckling" in text
    assert "Maria Öljung (19850709-9805)" in text
    assert "Olle Berg (19640823-3234)" in text

    response = client.post(
        "/testinloggning", data={"citizen": str(maria.id), "csrf_token": csrf_token(html)}, follow_redirects=True
    )
    assert response.request.path == "/mina-sidor"
    text = visible_text(response.get_data(as_text=True))
    assert "Mina sidor" in text
    assert "Du är inloggad som Maria Öljung." in text
    assert "1001" in text and "Skolskjuts" in text and "2026-03-02" in text
    assert "Ärendet är under handläggning" in text  # the status label for citizens
    assert "BUN 2026/118" in text
    assert "Sparade ansökningar" in text and "Larmavtal" in text


def test_test_login_needs_the_csrf_token(portal, client):
    maria = factories.citizen("19850709-9805")
    db.session.commit()
    response = client.post("/testinloggning", data={"citizen": str(maria.id)})
    assert response.status_code == 400
    assert client.get("/mina-sidor").status_code == 302


def test_test_login_requires_a_choice(portal, client):
    factories.citizen("19850709-9805")
    db.session.commit()
    html = client.get("/testinloggning").get_data(as_text=True)
    response = client.post("/testinloggning", data={"csrf_token": csrf_token(html)})
    assert response.status_code == 200
    assert "Välj vem du vill logga in som." in response.get_data(as_text=True)


def test_my_pages_ask_for_login_first(client):
    response = client.get("/mina-sidor")
    assert response.status_code == 302
    assert "/logga-in?next=/mina-sidor" in response.headers["Location"]
    login = client.get(response.headers["Location"])
    assert login.status_code == 302 and "/testinloggning?next=" in login.headers["Location"]


def test_login_returns_to_the_page_asked_for_but_never_elsewhere(portal, client):
    maria = factories.citizen("19850709-9805")
    db.session.commit()
    html = client.get("/testinloggning?next=https://evil.example/").get_data(as_text=True)
    response = client.post(
        "/testinloggning?next=https://evil.example/", data={"citizen": str(maria.id), "csrf_token": csrf_token(html)}
    )
    assert response.headers["Location"] == "/mina-sidor"


def test_logout_ends_the_session(portal, client):
    maria = factories.citizen("19850709-9805")
    db.session.commit()
    html = client.get("/testinloggning").get_data(as_text=True)
    client.post("/testinloggning", data={"citizen": str(maria.id), "csrf_token": csrf_token(html)})
    mypages = client.get("/mina-sidor")
    assert mypages.status_code == 200

    confirm = client.get("/logga-ut").get_data(as_text=True)
    response = client.post("/logga-ut", data={"csrf_token": csrf_token(confirm)}, follow_redirects=True)
    assert "Du är utloggad." in visible_text(response.get_data(as_text=True))
    assert client.get("/mina-sidor").status_code == 302


def test_not_found_page_is_swedish(client):
    response = client.get("/finns-inte")
    assert response.status_code == 404
    assert "Sidan finns inte" in response.get_data(as_text=True)


@pytest.fixture
def portal_without_test_login(portal, portal_overrides):
    from portal import create_app

    return create_app(config.get_config("test"), overrides={**portal_overrides, "PORTAL_TEST_LOGIN": False})


def test_test_login_is_404_when_switched_off(portal_without_test_login):
    client = portal_without_test_login.test_client()
    assert client.get("/testinloggning").status_code == 404
    assert client.post("/testinloggning").status_code in (400, 404)
    text = visible_text(client.get("/").get_data(as_text=True))
    assert "Testinloggning" not in text and "testinloggningen" not in text
    login = client.get("/logga-in")
    assert login.status_code == 200
    assert "Inloggning med e-legitimation finns inte ännu." in login.get_data(as_text=True)


def test_production_never_has_the_test_login():
    assert config.ProductionConfig.PORTAL_TEST_LOGIN is False
