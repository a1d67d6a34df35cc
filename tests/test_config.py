"""Settings: embedded defaults, environment variables, and production's refusals."""

import pytest

import config


def test_development_defaults_are_embedded(monkeypatch):
    for name in ("ETJANST_DATABASE_URL", "ETJANST_SECRET_KEY", "ETJANST_ENV", "ETJANST_MAIL_BACKEND"):
        monkeypatch.delenv(name, raising=False)
    cfg = config.get_config()
    assert cfg.SQLALCHEMY_DATABASE_URI.startswith("sqlite:///")
    assert cfg.SQLALCHEMY_DATABASE_URI.endswith("instance/etjanst.db")
    assert cfg.MAIL_BACKEND == "file"
    assert cfg.SMS_BACKEND == "log"
    assert cfg.BABEL_DEFAULT_LOCALE == "sv"


def test_environment_variables_are_read(monkeypatch):
    monkeypatch.setenv("ETJANST_DATABASE_URL", "postgresql://u:p@db.example/etjanst")
    monkeypatch.setenv("ETJANST_PORTAL_URL", "https://e.example.se/")
    monkeypatch.setenv("ETJANST_MAIL_PORT", "2525")
    cfg = config.get_config("development")
    assert cfg.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://u:p@db.example/etjanst"
    assert cfg.PORTAL_URL == "https://e.example.se"
    assert cfg.MAIL_PORT == 2525


def test_production_refuses_default_secret_and_sqlite(monkeypatch):
    monkeypatch.delenv("ETJANST_SECRET_KEY", raising=False)
    monkeypatch.delenv("ETJANST_DATABASE_URL", raising=False)
    with pytest.raises(config.ConfigError) as error:
        config.get_config("production")
    message = str(error.value)
    assert "ETJANST_SECRET_KEY" in message
    assert "ETJANST_DATABASE_URL" in message and "PostgreSQL" in message


def test_production_starts_with_real_settings(monkeypatch):
    monkeypatch.setenv("ETJANST_SECRET_KEY", "x" * 64)
    monkeypatch.setenv("ETJANST_DATABASE_URL", "postgresql://etjanst@db/etjanst")
    cfg = config.get_config("production")
    assert cfg.PORTAL_TEST_LOGIN is False
    assert cfg.SESSION_COOKIE_SECURE is True
    assert cfg.MAIL_BACKEND == "smtp"
    assert cfg.FAB_UPDATE_PERMS is False


def test_unknown_environment_is_a_clear_error():
    with pytest.raises(config.ConfigError, match="ETJANST_ENV"):
        config.get_config("staging")
