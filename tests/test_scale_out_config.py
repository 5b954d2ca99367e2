"""Settings for running many instances: PgBouncer's transaction mode, Redis and its fallback."""

from __future__ import annotations

import logging

import pytest

from cml_earth import create_app
from cml_earth.config import ENVIRONMENT_KEYS
from cml_earth.database import engine_options
from cml_earth.extensions import db, limiter
from cml_earth.rate_limit_storage import FELL_BACK, RECOVERED, redacted

from .conftest import IN_CI, POSTGRES_UP

POSTGRES = "postgresql+psycopg://cml@db.example.org/cml_earth"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for key in [*ENVIRONMENT_KEYS, "CML_ENV", "CML_INSTANCE_PATH"]:
        monkeypatch.delenv(key, raising=False)


@pytest.fixture
def make_app(tmp_path):
    apps = []

    def make(**config):
        app = create_app({"ENV_NAME": "testing", "INSTANCE_PATH": str(tmp_path), **config})
        apps.append(app)
        return app

    yield make
    for app in apps:
        with app.app_context():
            db.engine.dispose()


def test_pgbouncer_switches_prepared_statements_off():
    assert "prepare_threshold" not in engine_options(POSTGRES, {}, 1000).get("connect_args", {})
    options = engine_options(
        POSTGRES, {"connect_args": {"connect_timeout": 5}}, 1000, pgbouncer=True
    )
    # PgBouncer refuses startup options: no jit=off here (docs/deploy.md sets it per database).
    assert options["connect_args"] == {"connect_timeout": 5, "prepare_threshold": None}
    assert options["pool_pre_ping"] is True
    # SQLite has no server in between: the switch means nothing there.
    sqlite = engine_options("sqlite:///x.sqlite3", {}, 1000, pgbouncer=True)
    assert sqlite["connect_args"] == {"timeout": 1.0}


def test_postgresql_runs_without_jit(app, backend):
    """JIT compiled a common-word search for 500 ms to save a few: every connection has it off."""
    direct = engine_options(POSTGRES, {"connect_args": {"connect_timeout": 5}}, 1000)
    assert direct["connect_args"] == {"connect_timeout": 5, "options": "-c jit=off"}
    if backend == "postgresql":
        with app.app_context():
            assert db.session.execute(db.text("SHOW jit")).scalar_one() == "off"
    else:
        assert "options" not in engine_options("sqlite:///x.sqlite3", {}, 1000)["connect_args"]


def test_database_pgbouncer_comes_from_the_environment(make_app, monkeypatch):
    assert make_app(SQLALCHEMY_DATABASE_URI=POSTGRES).config["DATABASE_PGBOUNCER"] is False
    monkeypatch.setenv("DATABASE_PGBOUNCER", "true")
    app = make_app(SQLALCHEMY_DATABASE_URI=POSTGRES)
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"] == {"prepare_threshold": None}


def test_pgbouncer_connections_never_prepare(make_app, database_urls):
    if not POSTGRES_UP:
        if IN_CI:
            pytest.fail("CI needs PostgreSQL")
        pytest.skip("PostgreSQL is not reachable")
    url = database_urls["postgresql"]
    for pgbouncer, threshold in ((False, 5), (True, None)):  # psycopg's default is 5
        app = make_app(SQLALCHEMY_DATABASE_URI=url, DATABASE_PGBOUNCER=pgbouncer)
        with app.app_context(), db.engine.connect() as connection:
            assert connection.connection.driver_connection.prepare_threshold == threshold


def test_redis_settings_fall_back_and_do_not_wait_long(make_app, monkeypatch):
    app = make_app()
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert "RATELIMIT_STORAGE_OPTIONS" not in app.config
    monkeypatch.setenv("REDIS_URL", "redis://:hush@127.0.0.1:1/3")
    monkeypatch.setenv("RATELIMIT_KEY_PREFIX", "site-two")
    app = make_app()
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://:hush@127.0.0.1:1/3"
    assert app.config["RATELIMIT_STORAGE_OPTIONS"] == {
        "socket_connect_timeout": 0.5,
        "socket_timeout": 0.5,
    }
    assert app.config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] is True
    assert app.config["RATELIMIT_KEY_PREFIX"] == "site-two"


def test_the_fallback_warning_names_redis_without_its_password(make_app, monkeypatch, caplog):
    monkeypatch.setenv("REDIS_URL", "redis://:hush@127.0.0.1:1/3")
    make_app()
    with caplog.at_level(logging.INFO, logger=limiter.logger.name):
        limiter.logger.warning(FELL_BACK)
        limiter.logger.info(RECOVERED)
    fell_back, recovered = caplog.records
    assert fell_back.levelno == logging.WARNING
    assert fell_back.getMessage() == (
        "Redis (redis://:***@127.0.0.1:1/3) is unreachable: rate limits fall back to this "
        "process's memory (counted per process, not shared between workers or instances) until "
        "it answers again"
    )
    assert recovered.getMessage() == (
        "Redis (redis://:***@127.0.0.1:1/3) answers again: rate limits are shared through it again"
    )
    assert "hush" not in caplog.text


def test_redacted_keeps_where_and_drops_secrets():
    assert (
        redacted("redis://user:pw@cache.internal:6380/2")
        == "redis://user:***@cache.internal:6380/2"
    )
    assert redacted("rediss://cache.internal") == "rediss://cache.internal"
