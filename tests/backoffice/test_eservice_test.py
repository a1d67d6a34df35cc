"""Testa e-tjänster (F-ES-4) in the back office: who may test which e-service, the versions, and the start
of a test that sends the browser to the portal with a short-lived signed link (audited)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

import config
from shared.db import db
from shared.models import AuditEntry, Case, EServiceVersion, VersionState
from tests import factories
from tests.backoffice.casehelp import sign_in, text_of

URL = "/testa-etjanster/"


@pytest.fixture
def world(bo):
    world = factories.world()
    draft = EServiceVersion(
        eservice=world.eservice, number=2, definition=factories.SIMPLE_DEFINITION, state=VersionState.DRAFT
    )
    db.session.add(draft)
    db.session.commit()
    return world, draft


def start_url(eservice_id: int, version_id: int) -> str:
    return f"/testa-etjanster/{eservice_id}/versioner/{version_id}"


def audit_count(action: str) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action))


def test_the_menu_and_the_list_for_builders_and_handlers(world, client):
    w, draft = world
    assert client.get(URL).status_code == 302  # not logged in: to the login page
    sign_in(client, w.builder)
    page = client.get(URL)
    text = text_of(page)
    assert page.status_code == 200
    assert "Verktyg" in text and "Testa e-tjänster" in text
    assert "Skolskjuts" in text and "Bygglov" in text  # a builder tests every e-service
    html = page.get_data(as_text=True)
    assert f'href="{start_url(w.eservice.id, w.eservice.published_version.id)}"' in html
    assert f'href="{start_url(w.eservice.id, draft.id)}"' in html and "Testa version 2" in text
    assert re.search(r'<th scope="col">E-tjänst</th>', html)
    client.get("/logout/")

    sign_in(client, w.hanna)
    text = text_of(client.get(URL))
    assert "Skolskjuts" in text and "Bygglov" not in text  # a handler: the e-services they handle
    client.get("/logout/")
    sign_in(client, w.gun)  # linked through her group
    assert "Skolskjuts" in text_of(client.get(URL))


def test_the_versions_page_is_a_section_of_the_eservice(world, client):
    w, draft = world
    from backoffice.views.eservice_sections import SECTIONS

    assert "EServiceTestView.eservice" in [endpoint for endpoint, _label in SECTIONS]
    sign_in(client, w.builder)
    page = client.get(f"/testa-etjanster/{w.eservice.id}")
    text = text_of(page)
    assert page.status_code == 200 and "Testa e-tjänsten: Skolskjuts" in text
    assert "Version 2" in text and "Utkast" in text and "Publicerad" in text
    assert f'href="{start_url(w.eservice.id, draft.id)}"' in page.get_data(as_text=True)
    assert client.get("/testa-etjanster/99999").status_code == 404


def test_a_builder_starts_a_test_of_a_draft_and_the_portal_opens_it(world, client, bo, backoffice_overrides):
    w, draft = world
    sign_in(client, w.builder)
    response = client.get(start_url(w.eservice.id, draft.id))
    assert response.status_code == 302
    target = urlsplit(response.headers["Location"])
    portal_url = urlsplit(bo.config["PORTAL_URL"])
    assert (target.scheme, target.netloc) == (portal_url.scheme, portal_url.netloc)
    assert target.path.startswith("/testa/")
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "eservice_test_started")).one()
    assert entry.user_id == w.builder.id and entry.details["version"] == 2

    # The link opens a test of exactly that version in the portal (same secret key, another app).
    from portal import create_app

    portal = create_app(config.get_config("test"), overrides=backoffice_overrides)
    response = portal.test_client().get(target.path)
    assert response.status_code == 302 and re.fullmatch(r"/ansokan/\d+/steg/1", response.headers["Location"])
    db.session.expire_all()
    test_draft = db.session.scalars(select(Case)).one()
    assert test_draft.is_test and test_draft.version_id == draft.id and test_draft.number is None


def test_a_linked_handler_may_test_and_one_not_linked_is_refused(world, client):
    w, draft = world
    sign_in(client, w.rut)  # restricted, but linked: may see how the form looks
    assert client.get(start_url(w.eservice.id, w.eservice.published_version.id)).status_code == 302
    client.get("/logout/")

    sign_in(client, w.outsider)  # handles Bygglov only
    before = audit_count("eservice_test_started")
    response = client.get(start_url(w.eservice.id, draft.id))
    assert response.status_code == 403
    assert "Du kan bara testa de e-tjänster som du bygger eller är handläggare för" in text_of(response)
    assert client.get(f"/testa-etjanster/{w.eservice.id}").status_code == 403
    assert audit_count("eservice_test_started") == before
    # A version of another e-service, or none: not found.
    bygglov_version = db.session.scalars(
        select(EServiceVersion).where(EServiceVersion.eservice_id != w.eservice.id)
    ).first()
    assert client.get(start_url(w.eservice.id, bygglov_version.id)).status_code == 403
    client.get("/logout/")
    sign_in(client, w.admin)
    assert client.get(start_url(w.eservice.id, bygglov_version.id)).status_code == 404
    assert client.get(start_url(w.eservice.id, 99999)).status_code == 404
