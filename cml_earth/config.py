"""Configuration: defaults here, then ``instance/config.py``, then the environment."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

from flask import Flask

#: Environment variables read into the configuration, with the type each one is parsed as.
ENVIRONMENT_KEYS: dict[str, type] = {
    "SECRET_KEY": str,
    "DATABASE_URL": str,
    "DATABASE_PGBOUNCER": bool,
    "REDIS_URL": str,
    "RATELIMIT_KEY_PREFIX": str,
    "MAIL_SERVER": str,
    "MAIL_PORT": int,
    "MAIL_USERNAME": str,
    "MAIL_PASSWORD": str,
    "MAIL_USE_TLS": bool,
    "MAIL_USE_SSL": bool,
    "MAIL_DEFAULT_SENDER": str,
    "SPONSOR_NAME": str,
    "SPONSOR_SAFETY_EMAIL": str,
    "SUPPORT_EMAIL": str,
    "SITE_URL": str,
    "TRUSTED_PROXIES": int,
    "RATELIMIT_ENABLED": bool,
    "GEOCODER": str,
    "GEOCODER_USER_AGENT": str,
    "GEOCODER_TIMEOUT": int,
}

#: Values a SECRET_KEY must never have in production.
WEAK_SECRETS = {"", "dev", "development", "secret", "changeme", "change-me", "test"}


class Defaults:
    """Settings shared by every environment; the names are Flask's and its extensions'."""

    ENV_NAME = "production"
    SPONSOR_NAME = "Example Pharma AB"
    # Where members report side effects to the sponsor's drug safety team (the help pages).
    SPONSOR_SAFETY_EMAIL = "drug.safety@example-pharma.invalid"
    SITE_NAME = "CML Earth"
    # Where members write when something is wrong with their account (named in security mails).
    SUPPORT_EMAIL = "support@cml-earth.invalid"
    # Where the site answers, for links in mail sent outside a request (the digest command).
    SITE_URL = ""
    LANGUAGES = {"en": "English", "sv": "Svenska"}
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "Europe/Stockholm"

    SQLALCHEMY_DATABASE_URI = ""  # set from the instance folder when empty
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    # True when DATABASE_URL points at PgBouncer in transaction mode: no prepared statements.
    DATABASE_PGBOUNCER = False
    SQLITE_BUSY_TIMEOUT_MS = 30_000

    # Sessions and cookies (DOMAIN.md: Secure, HttpOnly, SameSite).
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = True
    REMEMBER_COOKIE_DURATION = timedelta(days=30)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    SESSION_PROTECTION = "basic"
    LANGUAGE_COOKIE = "lang"
    TRUSTED_PROXIES = 0

    # Request size: forms are small; avatars (5 MB) come later and fit under this.
    MAX_CONTENT_LENGTH = 6 * 1024 * 1024
    MAX_FORM_MEMORY_SIZE = 500_000
    MAX_FORM_PARTS = 200

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = 8 * 3600

    # Password hashing: argon2id above OWASP ASVS level 2's floor (m >= 19 MiB, t >= 2, p = 1).
    # 32 MiB and two passes take about 60 ms on one core: strong, yet a 2-core server can
    # still take a burst of logins without every page queueing behind the hashing.
    ARGON2_TIME_COST = 2
    ARGON2_MEMORY_COST = 32_768  # KiB
    ARGON2_PARALLELISM = 1
    PASSWORD_MIN_LENGTH = 8
    PASSWORD_MAX_LENGTH = 128

    EMAIL_VERIFICATION_MAX_AGE = timedelta(days=2)
    PASSWORD_RESET_MAX_AGE = timedelta(hours=1)
    EMAIL_CHANGE_MAX_AGE = timedelta(days=2)

    # Rate limits; memory by default, Redis when REDIS_URL is set.
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = False
    RATELIMIT_STRATEGY = "moving-window"
    # When Redis stops answering, each process counts in its own memory until it answers again
    # (the site keeps serving; see rate_limit_storage.py for the log line).
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    # Several sites on one Redis keep their counters apart with a prefix each.
    RATELIMIT_KEY_PREFIX = ""
    # Seconds to wait for Redis before falling back: a hung Redis must not hang every page.
    REDIS_TIMEOUT = 0.5
    LOGIN_LIMIT_PER_ADDRESS = "20 per minute;200 per hour"
    LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS = "5 per minute;30 per hour"
    LOGIN_LIMIT_PER_ACCOUNT = "100 per hour"
    REGISTER_LIMIT_PER_ADDRESS = "10 per hour"
    RESET_LIMIT_PER_ADDRESS = "10 per hour"
    RESET_LIMIT_PER_ACCOUNT = "3 per hour"
    RESEND_LIMIT_PER_ACCOUNT = "3 per hour"
    # Both pages check the current password, and every success sends a mail.
    EMAIL_CHANGE_LIMIT_PER_ACCOUNT = "5 per hour"
    PASSWORD_CHANGE_LIMIT_PER_ACCOUNT = "5 per hour"  # noqa: S105 (a limit, not a password)  # nosec B105
    # Hugs, high-fives and follows: plenty for a person, too few for a flood.
    REACTION_LIMIT_PER_MEMBER = "60 per minute;600 per hour"
    FOLLOW_LIMIT_PER_MEMBER = "30 per minute;300 per hour"

    # Mail: real SMTP when MAIL_SERVER is set, otherwise .eml files in instance/mail/.
    MAIL_SERVER = ""
    MAIL_PORT = 587
    MAIL_USE_TLS = True
    MAIL_USE_SSL = False
    MAIL_USERNAME = ""
    MAIL_PASSWORD = ""  # an empty default, not a password  # nosec B105
    MAIL_TIMEOUT = 10
    MAIL_DEFAULT_SENDER = "CML Earth <no-reply@cml-earth.invalid>"
    MAIL_BACKEND = ""  # chosen in configure_mail() unless set explicitly

    # Place names to coordinates for "groups near me": the built-in list of cities by default
    # (no network); or a geopy service name such as "nominatim", with GEOCODER_OPTIONS passed to
    # it (GEOCODER_USER_AGENT becomes its user_agent). Failures fall back to the built-in list.
    GEOCODER = ""
    GEOCODER_OPTIONS: dict = {}
    GEOCODER_USER_AGENT = "cml-earth"
    GEOCODER_TIMEOUT = 3
    GROUP_PROPOSAL_LIMIT_PER_MEMBER = "5 per day"
    GROUP_JOIN_LIMIT_PER_MEMBER = "30 per hour"

    # Moderation: reports from this many different members hide a post until staff look; items
    # left open this long are marked overdue for every staff member.
    MODERATION_AUTO_HIDE_REPORTS = 3
    MODERATION_OVERDUE_HOURS = 48
    # Side-effect cases: day zero and reporting deadlines are calendar days in this zone.
    SAFETY_TIMEZONE = "Europe/Stockholm"
    REPORT_LIMIT_PER_MEMBER = "30 per hour"
    # New members (trust level 0): for their first days and until this many of their posts are
    # published, posts with links wait for staff and they post at most so often a day.
    NEW_MEMBER_DAYS = 3
    NEW_MEMBER_PUBLISHED_POSTS = 2
    NEW_MEMBER_POSTS_PER_DAY = 10
    # Staff do not send hugs or high-fives to members' content (no endorsement of posts that
    # name the sponsor's medicines).
    STAFF_REACTIONS_BLOCKED = True
    NOTICE_LIMIT_PER_ADDRESS = "10 per hour"

    # Texts whose acceptance is recorded: bump the version when the words change.
    HEALTH_CONSENT_VERSION = "2026-11-1"
    GUIDELINES_VERSION = "2026-11-1"
    MINIMUM_AGE = 16


class Development(Defaults):
    ENV_NAME = "development"
    SITE_URL = "http://127.0.0.1:5000"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False


class Testing(Development):
    ENV_NAME = "testing"
    TESTING = True
    RATELIMIT_ENABLED = False
    # Still within ASVS level 2, only cheaper than the production default.
    ARGON2_TIME_COST = 2
    ARGON2_MEMORY_COST = 19_456
    ARGON2_PARALLELISM = 1
    MAIL_BACKEND = "locmem"
    SECRET_KEY = "testing-" + "x" * 40
    # Test members are minutes old: the new-member limits are switched on by the tests of them.
    NEW_MEMBER_DAYS = 0
    NEW_MEMBER_PUBLISHED_POSTS = 0


ENVIRONMENTS = {"production": Defaults, "development": Development, "testing": Testing}


def _parse(value: str, kind: type) -> object:
    if kind is bool:
        return value.strip().lower() in {"1", "true", "yes", "on"}
    if kind is int:
        return int(value)
    return value


def normalise_database_url(url: str) -> str:
    """Let operators write ``postgres://`` or ``postgresql://``; we drive it with psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def load(app: Flask, overrides: dict | None) -> None:
    """Fill ``app.config`` in the documented order and refuse unsafe production settings."""
    overrides = dict(overrides or {})
    env_name = overrides.get("ENV_NAME") or os.environ.get("CML_ENV", "production")
    if env_name not in ENVIRONMENTS:
        raise RuntimeError(f"CML_ENV must be one of {sorted(ENVIRONMENTS)}, not {env_name!r}")
    app.config.from_object(ENVIRONMENTS[env_name])
    app.config.from_pyfile("config.py", silent=True)
    for key, kind in ENVIRONMENT_KEYS.items():
        if key in os.environ:
            app.config[key] = _parse(os.environ[key], kind)
    app.config.update(overrides)

    if app.config.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = app.config["DATABASE_URL"]
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        path = Path(app.instance_path) / "cml_earth.sqlite3"
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{path}"
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(
        app.config["SQLALCHEMY_DATABASE_URI"]
    )
    if app.config.get("REDIS_URL"):
        app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"]
        timeout = app.config["REDIS_TIMEOUT"]
        app.config["RATELIMIT_STORAGE_OPTIONS"] = {
            "socket_connect_timeout": timeout,
            "socket_timeout": timeout,
            **app.config.get("RATELIMIT_STORAGE_OPTIONS", {}),
        }
    _ensure_secret_key(app)


def _ensure_secret_key(app: Flask) -> None:
    key = app.config.get("SECRET_KEY") or ""
    if app.config["ENV_NAME"] == "production":
        if key in WEAK_SECRETS or len(key) < 32:
            raise RuntimeError(
                "SECRET_KEY is missing or too weak: production needs a random value of at least "
                "32 characters, e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
        return
    if key:
        return
    # Development keeps one generated key in the instance folder so sessions survive restarts.
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    app.config["SECRET_KEY"] = path.read_text().strip()
