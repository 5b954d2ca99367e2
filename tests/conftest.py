"""Fixtures: an app per test on SQLite and PostgreSQL, clients, factories and personas.

Every test that uses ``app`` runs once per database backend. PostgreSQL is used when
TEST_DATABASE_URL is set or a server answers at 127.0.0.1:5432 (database ``test``); with
CI=true a missing PostgreSQL fails the run instead of being left out. Each run creates its
own databases and drops them at the end, so runs never see each other's rows.
"""

from __future__ import annotations

import os
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta

import psycopg
import pytest
from sqlalchemy import delete, select, text
from sqlalchemy.engine import make_url

from cml_earth import create_app
from cml_earth.database import utcnow
from cml_earth.extensions import db

ADMIN_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"
PASSWORD = "a quiet walk by the lake"


def _postgres_answers() -> tuple[bool, str]:
    try:
        with psycopg.connect(_libpq(ADMIN_URL), connect_timeout=3):
            return True, ""
    except psycopg.Error as error:
        return False, str(error).strip()


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


POSTGRES_UP, POSTGRES_ERROR = _postgres_answers()
BACKENDS = ["sqlite"] + (
    ["postgresql"] if POSTGRES_UP or IN_CI or "TEST_DATABASE_URL" in os.environ else []
)


def pytest_report_header(config):
    if "postgresql" not in BACKENDS:
        return f"database backends: sqlite only (PostgreSQL not reachable: {POSTGRES_ERROR})"
    return f"database backends: {', '.join(BACKENDS)}"


@pytest.fixture(scope="session")
def database_urls(tmp_path_factory):
    """One fresh, migrated database per backend for this run; dropped afterwards."""
    urls: dict[str, str] = {}
    created: list[str] = []
    sqlite_path = tmp_path_factory.mktemp("sqlite") / "test.sqlite3"
    urls["sqlite"] = f"sqlite:///{sqlite_path}"
    if "postgresql" in BACKENDS and POSTGRES_UP:
        name = f"cml_earth_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(_libpq(ADMIN_URL), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        urls["postgresql"] = (
            make_url(ADMIN_URL)
            .set(drivername="postgresql+psycopg", database=name)
            .render_as_string(hide_password=False)
        )
    for url in urls.values():
        _migrate(url, tmp_path_factory.mktemp("instance"))
    yield urls
    for name in created:
        with psycopg.connect(_libpq(ADMIN_URL), autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _migrate(url: str, instance) -> None:
    from flask_migrate import upgrade

    app = create_app(
        {"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(instance)}
    )
    with app.app_context():
        upgrade()
        db.engine.dispose()


def config_for(url: str, instance_path) -> dict:
    return {
        "ENV_NAME": "testing",
        "SQLALCHEMY_DATABASE_URI": url,
        "INSTANCE_PATH": str(instance_path),
        "WTF_CSRF_ENABLED": True,
    }


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    if request.param == "postgresql" and not POSTGRES_UP:
        pytest.fail(f"CI needs PostgreSQL at {ADMIN_URL}, and it does not answer: {POSTGRES_ERROR}")
    return request.param


@pytest.fixture
def app_config(backend, database_urls, tmp_path) -> dict:
    """The configuration a test's app is built from; tests may change it before using ``app``."""
    return config_for(database_urls[backend], tmp_path / "instance")


@pytest.fixture
def app(app_config):
    app = create_app(app_config)
    yield app
    with app.app_context():
        _empty_tables()
        db.engine.dispose()


def _empty_tables() -> None:
    db.session.rollback()
    tables = [t for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(delete(table))
    db.session.commit()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def outbox(app):
    """Mail sent by the app (the locmem backend), newest last."""
    mailman = app.extensions["mailman"]
    mailman.outbox = []
    return mailman.outbox


# --- forms with CSRF on ---------------------------------------------------------------------

CSRF_RE = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|'
    r'type="hidden" name="csrf_token" value="([^"]+)"|'
    r'name="csrf_token" value="([^"]+)"'
)


def csrf_token(html: str) -> str:
    """The CSRF token of the first form in a page."""
    match = CSRF_RE.search(html)
    assert match, "no CSRF token in the page"
    return next(group for group in match.groups() if group)


def submit(client, url: str, data: dict, page: str | None = None, **kwargs):
    """GET ``page`` (default ``url``), take its CSRF token, POST ``data`` to ``url``."""
    html = client.get(page or url).get_data(as_text=True)
    return client.post(url, data={"csrf_token": csrf_token(html), **data}, **kwargs)


# --- factories and personas -----------------------------------------------------------------


@dataclass
class MemberInfo:
    """What a test needs to know of a member (ORM objects do not outlive their app context)."""

    id: int
    username: str
    email: str
    password: str
    role: str


@pytest.fixture
def make_member(app):
    """Create a member straight in the database: verified unless told otherwise."""
    from cml_earth.auth import passwords
    from cml_earth.auth.models import Member

    counter = iter(range(1, 10_000))

    def make(
        username: str | None = None,
        *,
        role: str = "patient",
        verified: bool = True,
        password: str = PASSWORD,
        email: str | None = None,
        country_code: str = "SE",
        locale: str = "en",
        **fields,
    ) -> MemberInfo:
        username = username or f"member{next(counter)}"
        email = email or f"{username.lower()}@example.org"
        with app.app_context():
            now = utcnow()
            member = Member(
                username=username,
                email=email,
                password_hash=passwords.hash_password(password),
                role=role,
                country_code=country_code,
                locale=locale,
                timezone="Europe/Stockholm",
                email_verified_at=now - timedelta(days=1) if verified else None,
                age_confirmed_at=now,
                guidelines_accepted_at=now,
                guidelines_version="test",
                **fields,
            )
            db.session.add(member)
            db.session.commit()
            return MemberInfo(member.id, username, email, password, role)

    return make


@pytest.fixture
def patient(make_member):
    return make_member("AnnaPatient", role="patient")


@pytest.fixture
def relative(make_member):
    return make_member("ErikRelative", role="relative")


@pytest.fixture
def sponsor(make_member):
    return make_member("MariaStaff", role="sponsor")


@pytest.fixture
def admin(make_member):
    return make_member("AlexAdmin", role="admin")


@pytest.fixture
def troll(make_member):
    """A member who tries everything he should not."""
    return make_member("TrollTrollsson", role="relative")


class Auth:
    """Log a test client in and out through the real forms."""

    def __init__(self, client):
        self.client = client

    def login(self, member: MemberInfo | str, password: str | None = None, remember=False):
        login = member if isinstance(member, str) else member.username
        password = password or (PASSWORD if isinstance(member, str) else member.password)
        data = {"login": login, "password": password}
        if remember:
            data["remember"] = "y"
        return submit(self.client, "/auth/login", data)

    def logout(self):
        return submit(self.client, "/auth/logout", {}, page="/")


@pytest.fixture
def auth(client):
    return Auth(client)


def scalar(app, statement):
    """Run one select in its own app context and return the first column of the first row."""
    with app.app_context():
        return db.session.scalar(statement)


def fetch_member(app, member_id: int):
    """A member row as a dict of column values."""
    from cml_earth.auth.models import Member

    with app.app_context():
        member = db.session.scalar(select(Member).where(Member.id == member_id))
        if member is None:
            return None
        return {c.key: getattr(member, c.key) for c in Member.__table__.columns}


class QueryLog:
    """The SQL statements an app ran (transaction control left out)."""

    def __init__(self):
        self.statements: list[str] = []

    def __len__(self) -> int:
        return len(self.statements)

    def clear(self) -> None:
        self.statements.clear()


@pytest.fixture
def queries(app):
    """Record every SELECT/INSERT/UPDATE/DELETE the app sends, to assert query budgets."""
    from sqlalchemy import event

    log = QueryLog()
    with app.app_context():
        engine = db.engine

    def _record(connection, cursor, statement, parameters, context, executemany):
        if (
            not statement.lstrip()
            .upper()
            .startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA"))
        ):
            log.statements.append(statement)

    event.listen(engine, "before_cursor_execute", _record)
    yield log
    event.remove(engine, "before_cursor_execute", _record)
