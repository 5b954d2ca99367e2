"""Acceptance: two instances behind one PostgreSQL and one Redis act as one site; without Redis
an instance keeps serving and limiting on its own.

Two gunicorns on two ports share a throwaway PostgreSQL database, one Redis (under a key prefix
of this run only: other test processes use the same Redis, so nothing else in it is touched) and
one SECRET_KEY. Login attempts split between them reach the per-address limit together; a story
published on one is on the other at once; a session opened on one is accepted by the other.
Then an instance whose REDIS_URL points at a closed port answers its pages, still refuses the
attempt over the limit (counted in its own memory), and says so once in its log.
"""

from __future__ import annotations

import contextlib
import re
import secrets
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import redis

from cml_earth import create_app
from cml_earth.database import utcnow
from cml_earth.extensions import db

from .conftest import PASSWORD
from .live import Browser, free_port, live_server, throwaway_postgres_database

pytestmark = pytest.mark.live

REDIS = "redis://127.0.0.1:6379/0"
#: The per-address login limit of these tests: small, so that a few attempts reach it.
ATTEMPTS_ALLOWED = 5
TITLE = "Written on one instance, read on the other"


def _instance(tmp_path: Path, name: str, limit: int) -> Path:
    """A folder for one live server, its instance/config.py setting the login limit."""
    folder = tmp_path / name
    (folder / "instance").mkdir(parents=True)
    (folder / "instance" / "config.py").write_text(
        f'LOGIN_LIMIT_PER_ADDRESS = "{limit} per minute"\n'
    )
    return folder


@contextlib.contextmanager
def _redis_prefix():
    """A key prefix of this run; its keys are removed afterwards, and only they."""
    prefix = f"cml-scale-out-{uuid.uuid4().hex}"
    client = redis.Redis.from_url(REDIS)
    try:
        yield prefix, client
    finally:
        for key in client.scan_iter(match=f"*{prefix}*"):
            client.delete(key)
        client.close()


def _member(database_url: str, instance: Path) -> str:
    """A verified member with the shared test password; their username."""
    from cml_earth.auth import passwords
    from cml_earth.auth.models import Member

    app = create_app(
        {
            "ENV_NAME": "testing",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "INSTANCE_PATH": str(instance),
        }
    )
    with app.app_context():
        now = utcnow()
        db.session.add(
            Member(
                username="TwoPlaces",
                email="two.places@example.org",
                password_hash=passwords.hash_password(PASSWORD),
                role="patient",
                email_verified_at=now - timedelta(days=1),
                age_confirmed_at=now,
                guidelines_accepted_at=now,
                guidelines_version="test",
            )
        )
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return "TwoPlaces"


def _failed_login(base_url: str, number: int) -> int:
    """A guest's attempt with a login nobody has; the status it got."""
    _form, answer = Browser(base_url).submit(
        "/auth/login", {"login": f"nobody{number}@example.org", "password": "wrong password"}
    )
    return answer.status


def test_two_instances_share_limits_writes_and_sessions(tmp_path):
    with (
        throwaway_postgres_database() as database_url,
        _redis_prefix() as (prefix, client),
    ):
        env = {
            "DATABASE_URL": database_url,
            "REDIS_URL": REDIS,
            "RATELIMIT_KEY_PREFIX": prefix,
            "RATELIMIT_ENABLED": "true",
            # Each live server has its own instance folder, so the key comes from outside.
            "SECRET_KEY": secrets.token_urlsafe(48),
        }
        with (
            live_server(_instance(tmp_path, "a", ATTEMPTS_ALLOWED), env) as a,
            live_server(_instance(tmp_path, "b", ATTEMPTS_ALLOWED), env) as b,
        ):
            username = _member(database_url, tmp_path / "setup")

            # A session opened on A, and a story written there ...
            browser = Browser(a.base_url)
            _form, answer = browser.submit("/auth/login", {"login": username, "password": PASSWORD})
            assert answer.status == 302, answer.status  # the first of the address's attempts
            _form, answer = browser.submit(
                "/stories/new",
                {
                    "title": TITLE,
                    "body": "Same database.",
                    "language": "en",
                    "visibility": "members",
                },
            )
            assert answer.status == 302, answer.status
            story_path = answer.location
            assert re.search(r"/stories/\d+$", story_path), story_path

            # ... are B's too: the cookie (same host, another port) is accepted there.
            browser.base_url = b.base_url
            story = browser.get(story_path)
            assert story.status == 200, story.status  # members-only: needs the session
            assert TITLE in story.text
            assert TITLE in browser.get("/").text  # B's home feed
            assert browser.get("/settings/profile").status == 200

            # Failed attempts from the same address, split between B and A: with the first
            # login, ATTEMPTS_ALLOWED in all, though neither instance saw more than three.
            statuses = [
                _failed_login((b, a)[number % 2].base_url, number)
                for number in range(ATTEMPTS_ALLOWED - 1)
            ]
            assert statuses == [422] * (ATTEMPTS_ALLOWED - 1)
            assert _failed_login(b.base_url, 100) == 429
            assert _failed_login(a.base_url, 101) == 429
            assert any(client.scan_iter(match=f"*{prefix}*"))  # the counters live in Redis

            logs = a.log_text() + b.log_text()
        assert "Traceback" not in logs
        assert "unreachable" not in logs


def test_without_redis_the_site_serves_and_limits_in_memory(tmp_path):
    env = {
        "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",  # nobody listens there
        "RATELIMIT_ENABLED": "true",
    }
    # One worker: the in-memory counts are per process, and this test counts them.
    with live_server(_instance(tmp_path, "alone", 2), env, workers=1) as server:
        for path in ("/", "/auth/login", "/auth/register", "/help/crisis"):
            assert Browser(server.base_url).get(path).status == 200, path
        statuses = [_failed_login(server.base_url, number) for number in range(3)]
        assert Browser(server.base_url).get("/").status == 200
        log = server.log_text()

    assert statuses == [422, 422, 429]
    warnings = [line for line in log.splitlines() if "WARNING" in line]
    assert len(warnings) == 1, warnings
    assert re.search(
        r"Redis \(redis://127\.0\.0\.1:\d+/0\) is unreachable: rate limits fall back to this "
        r"process's memory",
        warnings[0],
    ), warnings[0]
    assert "Traceback" not in log
