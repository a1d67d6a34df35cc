"""The back office's security headers (issue 9 item 1): the Content-Security-Policy with a nonce
per request for inline scripts, frame denial, nosniff, HSTS in production, no caching of
logged-in pages, Secure cookies in production, and templates that keep to the policy.
"""

from __future__ import annotations

import re
from pathlib import Path

import flask_appbuilder
import pytest

import config
from backoffice.web_security import FAB_STYLE_ATTRIBUTES
from shared.db import db
from shared.security_headers import style_hash
from tests import factories
from tests.backoffice.conftest import csrf_token, login

ROOT = Path(__file__).resolve().parents[2]
FAB_TEMPLATES = Path(flask_appbuilder.__file__).parent / "templates" / "appbuilder"
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.I)


def directives(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    parsed = {}
    for part in header.split(";"):
        name, *sources = part.split()
        parsed[name] = sources
    return parsed


def test_every_answer_has_the_security_headers(client):
    factories.admin()
    db.session.commit()
    answers = [client.get("/login/"), client.get("/finns-inte"), client.get("/static/backoffice/backoffice.css")]
    login(client, "admin")
    answers += [client.get("/"), client.get("/users/list/"), client.get("/arenden/")]
    for response in answers:
        assert response.status_code in (200, 404), response.request.path
        headers = response.headers
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "same-origin"
        policy = directives(response)
        assert policy["frame-ancestors"] == ["'none'"]
        assert policy["object-src"] == ["'none'"]
        assert policy["default-src"] == ["'self'"]
        assert policy["form-action"] == ["'self'"]
        assert policy["base-uri"] == ["'self'"]
        assert policy["script-src"][0] == "'self'" and re.fullmatch(r"'nonce-[\w-]{20,}'", policy["script-src"][1])
        assert len(policy["script-src"]) == 2  # no 'unsafe-inline', no 'unsafe-eval'
        assert "'unsafe-inline'" not in headers["Content-Security-Policy"]
        assert "unsafe-eval" not in headers["Content-Security-Policy"]
        # Plain http in tests: no HSTS (a browser would pin https for a year).
        assert "Strict-Transport-Security" not in headers


def test_inline_scripts_run_by_a_nonce_that_changes_every_request(client):
    factories.admin()
    db.session.commit()
    login(client, "admin")
    nonces = []
    for path in ("/users/list/", "/users/list/", "/roles/list/"):
        response = client.get(path)
        nonce = directives(response)["script-src"][1][len("'nonce-") : -1]
        html = response.get_data(as_text=True)
        tags = SCRIPT_TAG.findall(html)
        inline = [attrs for attrs in tags if "src=" not in attrs]
        assert inline, f"FAB's {path} has inline scripts"
        # Every inline script of FAB's carries this request's nonce (baselib.get_nonce() → csp_nonce()).
        assert all(f'nonce="{nonce}"' in attrs for attrs in inline), inline
        nonces.append(nonce)
    assert len(set(nonces)) == 3


def test_styles_are_the_files_and_fabs_fixed_style_attributes_only(client):
    policy = directives(client.get("/login/"))
    assert policy["style-src"][:2] == ["'self'", "'unsafe-hashes'"]
    assert set(policy["style-src"][2:]) == {style_hash(value) for value in FAB_STYLE_ATTRIBUTES}
    # A known value: base64(sha256("display: none")), as the browser computes it (openssl dgst -sha256).
    assert style_hash("display: none") == "'sha256-ZdHxw9eWtnxUb3mk6tBS+gIiVUPE3pGM470keHPDFlE='"


def test_logged_in_pages_are_not_cached(client):
    factories.admin()
    db.session.commit()
    login(client, "admin")
    assert client.get("/").headers["Cache-Control"] == "no-store"
    assert "no-store" not in client.get("/static/backoffice/backoffice.css").headers.get("Cache-Control", "")


@pytest.fixture
def production_env(monkeypatch, database_url):
    monkeypatch.setenv("ETJANST_ENV", "production")
    monkeypatch.setenv("ETJANST_SECRET_KEY", "p" * 64)
    monkeypatch.setenv("ETJANST_DATABASE_URL", "postgresql://etjanst@db.example/etjanst")
    monkeypatch.setenv("ETJANST_BACKOFFICE_URL", "https://handlaggning.example.se/admin")


def test_production_sends_hsts_secure_cookies_and_trusts_only_its_own_host(production_env, bo, backoffice_overrides):
    from backoffice import create_app

    production = create_app(config.get_config("production"), overrides=backoffice_overrides)
    assert production.config["FAB_SAFE_REDIRECT_HOSTS"] == ["handlaggning.example.se"]
    factories.admin()
    db.session.commit()
    client = production.test_client()
    base = "https://handlaggning.example.se"
    page = client.get("/login/", base_url=base)
    assert page.headers["Strict-Transport-Security"] == "max-age=31536000"
    response = client.post(
        "/login/",
        base_url=base,
        headers={"Referer": base + "/login/"},  # Flask-WTF's check of https posts
        data={
            "username": "admin",
            "password": factories.PASSWORD,
            "csrf_token": csrf_token(page.get_data(as_text=True)),
        },
    )
    assert response.status_code == 302
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("etjanst_backoffice="))
    assert "; Secure" in cookie and "; HttpOnly" in cookie and "SameSite=Lax" in cookie


# -- the templates keep to the policy ----------------------------------------------------------------

INLINE = {
    "an inline <script> without the nonce": re.compile(r"<script\b(?![^>]*\b(?:src|nonce)=)[^>]*>", re.I),
    "a <style> element": re.compile(r"<style\b", re.I),
    "a style attribute": re.compile(r"<[a-z][^<>]*\sstyle\s*=", re.I),
    "an event handler attribute": re.compile(r"<[a-z][^<>]*\son[a-z]+\s*=", re.I),
    "a javascript: URL": re.compile(r"javascript:", re.I),
}
# FAB templates the back office never renders: other login types and Google Charts (no CDN here).
FAB_UNUSED = {"login_ldap.html", "login_oauth.html", "login_saml.html", "register_oauth.html", "chart.html"}
FAB_UNUSED |= {"direct_chart.html", "multiple_chart.html", "swagger.html"}


def test_our_templates_have_nothing_inline_that_the_policy_would_block():
    found = []
    for path in sorted((ROOT / "backoffice" / "templates").rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        for what, pattern in INLINE.items():
            for match in pattern.finditer(text):
                found.append(f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, match.start()) + 1}: {what}")
    assert found == []


def test_fabs_style_attributes_are_the_ones_the_policy_allows():
    """A FAB upgrade that adds a style attribute fails here (and in the browser test) until it is listed."""
    values = set()
    for path in FAB_TEMPLATES.rglob("*.html"):
        if path.name in FAB_UNUSED:
            continue
        text = path.read_text(encoding="utf-8")
        for value in re.findall(r'\sstyle="((?:[^"{]|\{\{"[^"]*"[^}]*\}\})*)"', text):
            # model/show.html and edit.html: style="{{"display: none;" if not related_views else "" }}"
            literal = re.fullmatch(r'\{\{"([^"]*)"[^}]*\}\}', value)
            values.add(literal.group(1) if literal else value)
        assert "<style" not in text, path
        assert not re.search(r"\son[a-z]+\s*=", text), path
    assert values == set(FAB_STYLE_ATTRIBUTES)
