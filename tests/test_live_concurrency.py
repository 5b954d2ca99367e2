"""Several gunicorn workers writing at once: no "database is locked", no 500, nothing lost."""

from __future__ import annotations

import contextlib
import sqlite3
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import psycopg
import pytest

from .conftest import _libpq, csrf_token
from .live import Browser, live_server, throwaway_postgres_database

pytestmark = pytest.mark.live

WORKERS = 4
CLIENTS = 16
JOURNEYS_PER_CLIENT = 4  # a fixed amount of work, never "as much as fits in N seconds"


@dataclass(frozen=True)
class Step:
    client: int
    journey: int
    name: str
    expected: int
    status: int
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.status == self.expected and not self.note


def journeys(base_url: str, client: int) -> list[Step]:
    """Register, log in, see the home page and log out, JOURNEYS_PER_CLIENT times."""
    browser = Browser(base_url)
    steps: list[Step] = []

    def step(journey: int, name: str, expected: int, page, note: str = "") -> bool:
        steps.append(Step(client, journey, name, expected, page.status, note))
        return steps[-1].ok

    for journey in range(JOURNEYS_PER_CLIENT):
        username = f"walker{client:02d}r{journey}"
        password = f"quiet lake walk {client * JOURNEYS_PER_CLIENT + journey}"
        page = browser.get("/auth/register")
        if not step(journey, "register form", 200, page):
            continue
        page = browser.post(
            "/auth/register",
            {
                "csrf_token": csrf_token(page.text),
                "username": username,
                "email": f"{username}@example.org",
                "password": password,
                "password_confirm": password,
                "role": "patient",
                "country_code": "SE",
                "locale": "en",
                "age_confirmed": "y",
                "accept_guidelines": "y",
            },
        )
        wrong_place = "" if page.location.endswith("/auth/register/check-inbox") else page.location
        if not step(journey, "register", 302, page, wrong_place):
            continue
        page = browser.get("/auth/login")
        if not step(journey, "login form", 200, page):
            continue
        page = browser.post(
            "/auth/login",
            {"csrf_token": csrf_token(page.text), "login": username, "password": password},
        )
        if not step(journey, "login", 302, page):
            continue
        page = browser.get("/")
        if not step(journey, "home", 200, page, "" if username in page.text else "no username"):
            continue
        page = browser.post("/auth/logout", {"csrf_token": csrf_token(page.text)})
        step(journey, "logout", 302, page)
    return steps


@contextlib.contextmanager
def server_environment(backend: str):
    """Nothing for SQLite (the default, in the instance folder); a throwaway PostgreSQL else."""
    if backend == "sqlite":
        yield {}
    else:
        with throwaway_postgres_database() as url:
            yield {"DATABASE_URL": url}


def count(database_url: str, query: str) -> int:
    if database_url.startswith("sqlite:///"):
        with contextlib.closing(sqlite3.connect(database_url.removeprefix("sqlite:///"))) as db:
            return db.execute(query).fetchone()[0]
    with psycopg.connect(_libpq(database_url)) as db:
        return db.execute(query).fetchone()[0]


def test_many_workers_register_and_log_in_at_once(backend, tmp_path):
    with (
        server_environment(backend) as env,
        live_server(tmp_path, env, workers=WORKERS) as server,
    ):
        with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            results = pool.map(journeys, [server.base_url] * CLIENTS, range(CLIENTS))
            steps = [step for client_steps in results for step in client_steps]
        log = server.log_text()

        server_errors = Counter((s.name, s.status) for s in steps if s.status >= 500)
        assert server_errors == Counter()
        assert Counter((s.name, s.status, s.note) for s in steps if not s.ok) == Counter()
        expected = CLIENTS * JOURNEYS_PER_CLIENT
        assert len(steps) == expected * 6
        assert "database is locked" not in log
        assert "Traceback" not in log
        assert "WORKER TIMEOUT" not in log
        assert count(server.database_url, "SELECT count(*) FROM members") == expected
        ended_by_logout = "SELECT count(*) FROM member_sessions WHERE ended_reason = 'logout'"
        assert count(server.database_url, ended_by_logout) == expected
