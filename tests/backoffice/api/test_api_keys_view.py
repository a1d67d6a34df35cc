"""API-nycklar: a handler creates a key (shown once), sees it, uses it, revokes it; an admin sees all."""

from __future__ import annotations

import re

from flask_appbuilder.security.sqla.models import ApiKey
from sqlalchemy import select

from shared.db import db
from shared.models import AuditEntry
from tests.backoffice.api.conftest import Api
from tests.backoffice.casehelp import sign_in, text_of

KEY_RE = re.compile(r'id="new-key-value" value="(etj_[^"]+)"')


def create(client, token: str, name: str):
    return client.post("/api-nycklar/", data={"name": name, "csrf_token": token})


def test_a_handler_creates_uses_and_revokes_a_key(setup, client):
    token = sign_in(client, setup.world.hanna)
    page = client.get("/api-nycklar/")
    assert page.status_code == 200 and "Skapa API-nyckel" in text_of(page)

    created = create(client, token, "Diariet")
    assert created.status_code == 200
    html = created.get_data(as_text=True)
    secret = KEY_RE.search(html).group(1)
    assert "Kopiera nyckeln nu" in text_of(created)
    key = db.session.scalar(select(ApiKey))
    assert key.name == "Diariet" and key.user_id == setup.world.hanna.id
    assert secret not in (key.key_hash, key.lookup_hash) and secret.startswith(key.key_prefix)

    # The list shows its beginning, never the key again.
    listed = client.get("/api-nycklar/").get_data(as_text=True)
    assert secret not in listed and f"{key.key_prefix}…" in listed

    assert Api(client, secret).get("/cases/").status_code == 200
    revoked = client.post(f"/api-nycklar/{key.id}/aterkalla", data={"csrf_token": token}, follow_redirects=True)
    assert "API-nyckeln Diariet är återkallad" in text_of(revoked)
    assert Api(client, secret).get("/cases/").status_code == 401
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"api_key_created", "api_key_revoked"} <= actions


def test_a_key_needs_a_name(setup, client):
    token = sign_in(client, setup.world.hanna)
    response = create(client, token, "   ")
    assert response.status_code == 422
    assert "Ge nyckeln ett namn" in text_of(response)
    assert db.session.scalar(select(ApiKey)) is None


def test_others_keys_are_not_found_and_an_admin_sees_and_revokes_every_key(setup, bo):
    hanna_client, olle_client, admin_client = bo.test_client(), bo.test_client(), bo.test_client()
    hanna_token = sign_in(hanna_client, setup.world.hanna)
    create(hanna_client, hanna_token, "Hannas system")
    key = db.session.scalar(select(ApiKey))
    olle_token = sign_in(olle_client, setup.world.olle)
    assert "Hannas system" not in text_of(olle_client.get("/api-nycklar/"))
    assert olle_client.post(f"/api-nycklar/{key.id}/aterkalla", data={"csrf_token": olle_token}).status_code == 404
    admin_token = sign_in(admin_client, setup.world.admin)
    listing = text_of(admin_client.get("/api-nycklar/"))
    assert "Hannas system" in listing and "hanna" in listing
    admin_client.post(f"/api-nycklar/{key.id}/aterkalla", data={"csrf_token": admin_token})
    db.session.expire_all()
    assert db.session.get(ApiKey, key.id).revoked_on is not None


def test_a_builder_has_no_api_keys_page(setup, client):
    sign_in(client, setup.world.builder)
    assert client.get("/api-nycklar/").status_code in (302, 403)
