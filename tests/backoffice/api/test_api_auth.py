"""Who gets in: JWT login, API keys, and the JSON 401/403/404 answers for everyone else."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from shared.db import db
from shared.models import AuditEntry, StaffUser
from tests import factories
from tests.backoffice.api.conftest import Api, expired_jwt_for, key_for


def test_login_gives_an_access_token_and_a_refresh_token(setup, client):
    db.session.commit()
    response = client.post(
        "/api/v1/security/login",
        json={"username": "hanna", "password": factories.PASSWORD, "provider": "db", "refresh": True},
    )
    assert response.status_code == 200
    tokens = response.get_json()
    assert set(tokens) == {"access_token", "refresh_token"}
    assert Api(client, tokens["access_token"]).get("/cases/").get_json()["count"] == 3


def test_a_wrong_password_is_a_json_401_in_swedish(setup, client):
    db.session.commit()
    response = client.post(
        "/api/v1/security/login", json={"username": "hanna", "password": "fel", "provider": "db", "refresh": False}
    )
    assert response.status_code == 401
    assert response.get_json() == {"message": "Fel användarnamn eller lösenord."}


@pytest.mark.parametrize("kind", ["none", "garbage", "expired", "revoked-key", "unknown-key"])
def test_without_a_valid_token_every_resource_answers_401_json(setup, bo, client, kind):
    hanna = setup.world.hanna
    token = {
        "none": None,
        "garbage": "inte.en.token",
        "expired": expired_jwt_for(bo, hanna),
        "unknown-key": "etj_" + "x" * 43,
    }.get(kind)
    if kind == "revoked-key":
        token = key_for(bo, hanna)
        from shared.services import api_keys

        with bo.test_request_context():
            key = db.session.scalar(select(api_keys.ApiKey))
            api_keys.revoke_key(key.id, actor=db.session.get(StaffUser, hanna.id))
    api = Api(client, token)
    for path in ("/eservices/", f"/cases/{setup.case.id}", "/cases/"):
        response = api.get(path)
        assert response.status_code == 401, (path, response.get_data(as_text=True))
        assert response.is_json
        assert response.get_json()["message"].startswith("Logga in först")
    assert api.post(f"/cases/{setup.case.id}/notes", json={"body": "x"}).status_code == 401


def test_a_user_whose_roles_have_no_api_permission_gets_403(setup, api_as):
    api = api_as(setup.world.builder)
    for path in ("/eservices/", "/cases/", f"/cases/{setup.case.id}"):
        response = api.get(path)
        assert response.status_code == 403
        assert response.get_json() == {"message": "Du har inte behörighet att göra detta."}


def test_an_api_key_acts_as_its_user_and_records_its_use(setup, api_as):
    api = api_as(setup.world.rut, via="key")
    response = api.get("/cases/")
    assert response.status_code == 200
    assert response.get_json()["count"] == 0  # restricted, and no case is hers
    db.session.expire_all()
    from flask_appbuilder.security.sqla.models import ApiKey

    key = db.session.scalar(select(ApiKey))
    assert key.last_used_on is not None
    assert key.user_id == setup.world.rut.id
    created = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "api_key_created"))
    assert created.user_id == setup.world.rut.id


def test_errors_under_api_are_json_never_a_page(setup, api_as):
    api = api_as(setup.world.hanna)
    unknown = api.get("/no-such-resource/")
    assert unknown.status_code == 404 and unknown.get_json() == {"message": "Hittades inte."}
    wrong_method = api.client.delete(f"/api/v1/cases/{setup.case.id}", headers=api.headers)
    assert wrong_method.status_code == 405 and "message" in wrong_method.get_json()
    huge = api.get("/cases/99999999999999999999")
    assert huge.status_code == 404 and huge.is_json


def test_the_openapi_document_lists_our_operations_with_schemas_and_security(setup, api_as):
    response = api_as(setup.world.hanna).get("/_openapi")
    assert response.status_code == 200
    document = response.get_json()
    paths = document["paths"]
    assert set(paths["/api/v1/cases/{case_id}/status"]) == {"post"}
    assert set(paths["/api/v1/cases/{case_id}/external-number"]) == {"put"}
    listing = paths["/api/v1/cases/"]["get"]
    assert {p["name"] for p in listing["parameters"]} >= {
        "eservice_id",
        "status_id",
        "submitted_from",
        "submitted_to",
        "updated_since",
        "external_number",
        "assigned_to_me",
        "page",
        "page_size",
    }
    assert listing["security"] == [{"jwt": []}, {"api_key": []}]
    assert set(document["components"]["securitySchemes"]) >= {"jwt", "api_key"}
    assert "CaseListSchema" in document["components"]["schemas"]
    assert document["components"]["schemas"]["StatusChangeSchema"]["required"] == ["status_id"]


def test_the_login_is_rate_limited_with_a_json_429(setup, backoffice_overrides):
    import config
    from backoffice import create_app

    limited = create_app(
        config.get_config("test"),
        overrides={**backoffice_overrides, "RATELIMIT_ENABLED": True, "API_LOGIN_LIMIT": "2 per minute"},
    )
    client = limited.test_client()
    wrong = {"username": "hanna", "password": "fel", "provider": "db", "refresh": False}
    assert [client.post("/api/v1/security/login", json=wrong).status_code for _ in range(2)] == [401, 401]
    blocked = client.post("/api/v1/security/login", json=wrong)
    assert blocked.status_code == 429
    assert blocked.get_json() == {"message": "För många anrop: vänta en stund och försök igen."}
