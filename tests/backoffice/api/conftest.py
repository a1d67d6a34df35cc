"""REST API fixtures: the case view's Skolskjuts world, and tokens the way integrations get them."""

from __future__ import annotations

import datetime as dt

import pytest

from shared.db import db
from shared.models import StaffUser
from shared.services import api_keys
from tests import factories
from tests.backoffice.casehelp import make_setup


@pytest.fixture
def setup(bo):
    return make_setup()


def jwt_for(client, user: StaffUser, password: str = factories.PASSWORD) -> str:
    """An access token from FAB's login, as an integration gets one."""
    db.session.commit()
    response = client.post(
        "/api/v1/security/login",
        json={"username": user.username, "password": password, "provider": "db", "refresh": True},
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()["access_token"]


def expired_jwt_for(bo, user: StaffUser) -> str:
    from flask_jwt_extended import create_access_token

    with bo.app_context():
        return create_access_token(identity=str(user.id), expires_delta=dt.timedelta(seconds=-60))


def key_for(bo, user: StaffUser, name: str = "Ärendesystemet") -> str:
    """An API key created by the service the page "API-nycklar" uses."""
    db.session.commit()
    with bo.test_request_context():
        secret = api_keys.create_key(name, actor=db.session.get(StaffUser, user.id)).secret
    return secret


class Api:
    """A test client speaking JSON with a bearer token."""

    def __init__(self, client, token: str | None):
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path: str, **kwargs):
        db.session.commit()
        return self.client.get(f"/api/v1{path}", headers=self.headers, **kwargs)

    def post(self, path: str, json=None, **kwargs):
        db.session.commit()
        return self.client.post(f"/api/v1{path}", headers=self.headers, json=json, **kwargs)

    def put(self, path: str, json=None, **kwargs):
        db.session.commit()
        return self.client.put(f"/api/v1{path}", headers=self.headers, json=json, **kwargs)


@pytest.fixture
def api_as(bo, client):
    """api_as(user): an Api client with a JWT of the user (via=\"key\": with an API key)."""

    def make(user: StaffUser | None, via: str = "jwt") -> Api:
        if user is None:
            return Api(client, None)
        token = key_for(bo, user) if via == "key" else jwt_for(client, user)
        return Api(client, token)

    return make
