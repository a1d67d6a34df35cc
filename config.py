"""Settings for every entry point, read from ETJANST_* environment variables.

The embedded default (development) runs with no configuration at all: SQLite under
``instance/``, e-mail written to ``instance/mail/`` and SMS to the log. Production
refuses to start on those defaults.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from urllib.parse import urlsplit

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
    # After a database restart the pool recovers by itself: each connection is tested before it is
    # lent (pre-ping), and none is kept longer than half an hour (idle connections cut by a firewall).
    # hide_parameters: a failed statement's error text (and SQL logging) never shows the bound values,
    # which hold personnummer, answers and message texts (issue 9).
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True, "pool_recycle": 1800, "hide_parameters": True}
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
    # The REST API (F-EXP-2, backoffice/api): FAB's API keys besides its JWT login; ours start "etj_".
    FAB_API_KEY_ENABLED = True
    FAB_API_KEY_PREFIXES = ["etj_"]
    API_LOGIN_LIMIT = "10 per minute"

    # The development test login: on in development and tests, forced off in production.
    PORTAL_TEST_LOGIN = True
    # Rate limits (Flask-Limiter syntax): per client address and view.
    RATELIMIT_ENABLED = True
    PORTAL_LOGIN_LIMIT = "20 per minute"
    PORTAL_SUBMIT_LIMIT = "10 per minute"
    # The back office's login form (FAB's AUTH_RATE_LIMITED): failed and successful posts, per address.
    BACKOFFICE_LOGIN_LIMIT = "10 per minute"
    # Local users' passwords (FAB's password complexity, backoffice/web_security.py): 12 characters and more.
    FAB_PASSWORD_COMPLEXITY_ENABLED = True
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
        # Citizens' e-ID login through an OpenID Connect broker (F-POR-2); off while no issuer is set.
        "OIDC_ISSUER": (_env("OIDC_ISSUER") or "").rstrip("/") or None,
        "OIDC_CLIENT_ID": _env("OIDC_CLIENT_ID"),
        "OIDC_CLIENT_SECRET": _env("OIDC_CLIENT_SECRET"),
        "OIDC_SCOPE": _env("OIDC_SCOPE", "openid profile"),
        # The Swedish OpenID Connect Profile's claim (oidc.se, Sweden Connect); Idura/Criipto say "ssn".
        "OIDC_PERSONNUMMER_CLAIM": _env("OIDC_PERSONNUMMER_CLAIM", "https://id.oidc.se/claim/personalIdentityNumber"),
        "OIDC_GIVEN_NAME_CLAIM": _env("OIDC_GIVEN_NAME_CLAIM", "given_name"),
        "OIDC_FAMILY_NAME_CLAIM": _env("OIDC_FAMILY_NAME_CLAIM", "family_name"),
        "OIDC_TOKEN_AUTH_METHOD": _env("OIDC_TOKEN_AUTH_METHOD", "client_secret_basic"),
        "OIDC_REDIRECT_URI": _env("OIDC_REDIRECT_URI"),
        "OIDC_END_SESSION": _env_bool("OIDC_END_SESSION", True),
        "PORTAL_TEST_LOGIN": _env_bool("PORTAL_TEST_LOGIN", True),
        "PORTAL_LOGIN_LIMIT": _env("PORTAL_LOGIN_LIMIT", BaseConfig.PORTAL_LOGIN_LIMIT),
        "PORTAL_SUBMIT_LIMIT": _env("PORTAL_SUBMIT_LIMIT", BaseConfig.PORTAL_SUBMIT_LIMIT),
        "BACKOFFICE_LOGIN_LIMIT": _env("BACKOFFICE_LOGIN_LIMIT", BaseConfig.BACKOFFICE_LOGIN_LIMIT),
        "RATELIMIT_ENABLED": _env_bool("RATELIMIT_ENABLED", True),
        # Minutes without a request after which a portal or back-office session ends.
        "PERMANENT_SESSION_LIFETIME": _env_int("SESSION_IDLE_MINUTES", 30) * 60,
        # How many reverse proxies in front of the apps set X-Forwarded-For/-Proto/-Host (0: none).
        "TRUSTED_PROXIES": _env_int("TRUSTED_PROXIES", 0),
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
        # Short intervals in seconds replacing jobs' schedules, e.g. "dispatch=2,overdue=5" (tests, demos).
        "SCHEDULER_INTERVALS": _env("SCHEDULER_INTERVALS"),
        # The dispatch job: rows claimed per batch (one SMTP connection each), and how long one run may send.
        "DISPATCH_BATCH_SIZE": _env_int("DISPATCH_BATCH_SIZE", 100),
        "DISPATCH_MAX_SECONDS": _env_int("DISPATCH_MAX_SECONDS", 240),
        "MAIL_TIMEOUT": _env_int("MAIL_TIMEOUT", 30),
        # Excel export (F-EXP-1): above this many cases it runs in the background; its file is kept this long.
        "EXPORT_BACKGROUND_THRESHOLD": _env_int("EXPORT_BACKGROUND_THRESHOLD", 2000),
        "EXPORT_KEEP_HOURS": _env_int("EXPORT_KEEP_HOURS", 24),
        "SMS_TIMEOUT": _env_int("SMS_TIMEOUT", 30),
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
        # The many portal tests share one app: the rate limit tests make apps of their own.
        settings["RATELIMIT_ENABLED"] = False
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
        # Whatever the environment says: the test login lets anyone act as anyone.
        settings["PORTAL_TEST_LOGIN"] = False
        # The back office's login follows `next` only to its own host, never to what a Host header claims.
        settings["FAB_SAFE_REDIRECT_HOSTS"] = [urlsplit(settings["BACKOFFICE_URL"]).netloc]

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
        if cls.SMS_BACKEND == "log":
            # Not a refusal: many municipalities send no SMS at all. But never silently.
            logging.getLogger("etjanst.config").warning(
                "ETJANST_SMS_BACKEND is 'log' in production: text messages are NOT sent to anyone "
                "(the log records only that one was due, never the number or the text). "
                "Set ETJANST_SMS_BACKEND=http and ETJANST_SMS_URL to send them."
            )


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
