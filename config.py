"""Settings for every entry point, read from ETJANST_* environment variables.

The embedded default (development) runs with no configuration at all: SQLite under
``instance/``, e-mail written to ``instance/mail/`` and SMS to the log. Production
refuses to start on those defaults.
"""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("ETJANST_INSTANCE_DIR", BASE_DIR / "instance"))
DEFAULT_SECRET_KEY = "etjanst-development-secret-change-me"


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(f"ETJANST_{name}")
    return default if value in (None, "") else value


def _env_bool(name: str, default: bool) -> bool:
    value = _env(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on", "ja"}


def _env_int(name: str, default: int) -> int:
    value = _env(name)
    return int(value) if value not in (None, "") else default


def _database_url() -> str:
    url = _env("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'etjanst.db'}")
    # Accept the psycopg2-style scheme operators tend to paste; we ship psycopg 3.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


class ConfigError(RuntimeError):
    """The configuration cannot run safely; the message says what to set."""


class BaseConfig:
    """Settings shared by every environment; ``settings_from_env`` fills the rest."""

    ENV_NAME = "development"
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    BABEL_DEFAULT_LOCALE = "sv"
    BABEL_DEFAULT_TIMEZONE = "Europe/Stockholm"
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")
    LANGUAGES = {
        "sv": {"flag": "se", "name": "Svenska"},
        "en": {"flag": "gb", "name": "English"},
    }
    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = 30 * 60

    # Flask-AppBuilder
    APP_NAME = "Etjänst"
    AUTH_TYPE = 1  # AUTH_DB: local users with a username and password
    AUTH_ROLE_ADMIN = "Admin"
    AUTH_ROLE_PUBLIC = "Public"
    FAB_ADD_SECURITY_API = False
    FAB_SECURITY_MANAGER_CLASS = "backoffice.security.EtjanstSecurityManager"
    FAB_API_SWAGGER_UI = False

    PORTAL_TEST_LOGIN = True
    TESTING = False
    DEBUG = False

    @classmethod
    def check(cls) -> None:
        """Refuse settings that are unsafe for this environment."""


def settings_from_env() -> dict:
    """Every setting that an ETJANST_* variable can change, read now."""
    max_upload_mb = _env_int("MAX_UPLOAD_MB", 20)
    return {
        "SECRET_KEY": _env("SECRET_KEY", DEFAULT_SECRET_KEY),
        "SQLALCHEMY_DATABASE_URI": _database_url(),
        "PORTAL_URL": (_env("PORTAL_URL", "http://127.0.0.1:5000") or "").rstrip("/"),
        "BACKOFFICE_URL": (_env("BACKOFFICE_URL", "http://127.0.0.1:5000/admin") or "").rstrip("/"),
        "UPLOAD_DIR": _env("UPLOAD_DIR", str(INSTANCE_DIR / "uploads")),
        "MAX_UPLOAD_MB": max_upload_mb,
        "MAX_CONTENT_LENGTH": (max_upload_mb + 5) * 1024 * 1024,
        "REDIS_URL": _env("REDIS_URL"),
        # E-mail: "file" writes .eml files to MAIL_FOLDER (embedded default), "smtp" sends.
        "MAIL_BACKEND": _env("MAIL_BACKEND"),
        "MAIL_FOLDER": _env("MAIL_FOLDER", str(INSTANCE_DIR / "mail")),
        "MAIL_SERVER": _env("MAIL_SERVER", "127.0.0.1"),
        "MAIL_PORT": _env_int("MAIL_PORT", 25),
        "MAIL_USE_TLS": _env_bool("MAIL_USE_TLS", False),
        "MAIL_USE_SSL": _env_bool("MAIL_USE_SSL", False),
        "MAIL_USERNAME": _env("MAIL_USERNAME"),
        "MAIL_PASSWORD": _env("MAIL_PASSWORD"),
        "MAIL_DEFAULT_SENDER": _env("MAIL_DEFAULT_SENDER", "Etjänst <noreply@etjanst.local>"),
        # SMS: "log" writes to the application log, "http" posts to a 46elks-style gateway.
        "SMS_BACKEND": _env("SMS_BACKEND", "log"),
        "SMS_URL": _env("SMS_URL"),
        "SMS_USERNAME": _env("SMS_USERNAME"),
        "SMS_PASSWORD": _env("SMS_PASSWORD"),
        "SMS_SENDER": _env("SMS_SENDER", "Etjanst"),
        "SCHEDULER_IN_PROCESS": _env_bool("SCHEDULER_IN_PROCESS", True),
        "FAB_UPDATE_PERMS": _env_bool("UPDATE_PERMS", True),
        "MUNICIPALITY_NAME": _env("MUNICIPALITY_NAME", "Exempelby kommun"),
        "MUNICIPALITY_URL": _env("MUNICIPALITY_URL"),
    }


class DevelopmentConfig(BaseConfig):
    MAIL_BACKEND_DEFAULT = "file"


class TestConfig(BaseConfig):
    ENV_NAME = "test"
    TESTING = True
    WTF_CSRF_ENABLED = False
    MAIL_BACKEND_DEFAULT = "file"

    @classmethod
    def adjust(cls, settings: dict) -> None:
        # Tests never run the scheduler thread: they call jobs with a moved clock.
        settings["SCHEDULER_IN_PROCESS"] = False
        if not _env("DATABASE_URL"):
            settings["SQLALCHEMY_DATABASE_URI"] = "sqlite://"


class ProductionConfig(BaseConfig):
    ENV_NAME = "production"
    PORTAL_TEST_LOGIN = False
    SESSION_COOKIE_SECURE = True
    MAIL_BACKEND_DEFAULT = "smtp"

    @classmethod
    def adjust(cls, settings: dict) -> None:
        # Web workers must not race to rewrite permissions; `etjanst db upgrade` syncs them.
        settings["FAB_UPDATE_PERMS"] = _env_bool("UPDATE_PERMS", False)
        settings["SCHEDULER_IN_PROCESS"] = _env_bool("SCHEDULER_IN_PROCESS", False)

    @classmethod
    def check(cls) -> None:
        problems = []
        key = cls.SECRET_KEY
        if not key or key == DEFAULT_SECRET_KEY or len(key) < 32:
            problems.append(
                "ETJANST_SECRET_KEY must be set to a random value of at least 32 characters "
                "(e.g. python -c 'import secrets; print(secrets.token_hex(32))')."
            )
        if cls.SQLALCHEMY_DATABASE_URI.startswith("sqlite"):
            problems.append(
                "ETJANST_DATABASE_URL must point to PostgreSQL in production "
                "(postgresql://user:password@host/dbname); SQLite is for development only."
            )
        if problems:
            raise ConfigError("Etjänst refuses to start in production:\n- " + "\n- ".join(problems))


CONFIGS: dict[str, type[BaseConfig]] = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}


def get_config(name: str | None = None) -> type[BaseConfig]:
    """A config class for ETJANST_ENV (or ``name``) with the environment read now, checked."""
    name = (name or _env("ENV", "development") or "development").lower()
    try:
        base = CONFIGS[name]
    except KeyError:
        raise ConfigError(f"ETJANST_ENV={name!r} is unknown; use one of {', '.join(CONFIGS)}.") from None
    settings = settings_from_env()
    settings["MAIL_BACKEND"] = settings["MAIL_BACKEND"] or base.MAIL_BACKEND_DEFAULT
    adjust = getattr(base, "adjust", None)
    if adjust:
        adjust(settings)
    cls = type(base.__name__, (base,), settings)
    cls.check()
    return cls
