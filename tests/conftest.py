"""Fixtures: an app per test on SQLite and PostgreSQL, clients, factories and personas.

Every test that uses ``app`` runs once per database backend. PostgreSQL is used when
TEST_DATABASE_URL is set or a server answers at 127.0.0.1:5432 (database ``test``); with
CI=true a missing PostgreSQL fails the run instead of being left out. Each run creates its
own databases and drops them at the end, so runs never see each other's rows.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from jinja2 import BytecodeCache
from sqlalchemy import select, text
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
def migrated_databases(tmp_path_factory):
    """One fresh, migrated database per backend for this run; dropped afterwards.

    The SQLite file is a pristine template that every test gets a copy of (``database_urls``);
    the PostgreSQL database is shared by the tests and emptied after each one.
    """
    urls: dict[str, str] = {}
    created: list[str] = []
    sqlite_path = tmp_path_factory.mktemp("sqlite") / "template.sqlite3"
    urls["sqlite"] = f"sqlite:///{sqlite_path}"
    if "postgresql" in BACKENDS and POSTGRES_UP:
        name, urls["postgresql"] = _create_postgres_database()
        created.append(name)
    for url in urls.values():
        _migrate(url, tmp_path_factory.mktemp("instance"))
    yield urls
    for name in created:
        _drop_postgres_database(name)


@pytest.fixture
def database_urls(migrated_databases, tmp_path):
    """The databases of this test: its own copy of the migrated SQLite file, and PostgreSQL's.

    A copy per test instead of deleting rows afterwards: faster, and it works for tables whose
    rows may never be deleted (append-only audit tables guarded by triggers).
    """
    copy = _copy_sqlite(migrated_databases["sqlite"], tmp_path / "database")
    yield migrated_databases | {"sqlite": copy}
    _remove_sqlite(copy)


def _migrate(url: str, instance) -> None:
    from flask_migrate import upgrade

    app = create_app(
        {"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(instance)}
    )
    with app.app_context():
        upgrade()
        db.engine.dispose()


def _copy_sqlite(url: str, folder: Path) -> str:
    """A copy of a closed SQLite database (no write-ahead log left) in ``folder``; its URL."""
    source = Path(make_url(url).database)
    assert not Path(f"{source}-wal").exists(), f"{source} is still open"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "test.sqlite3"
    shutil.copyfile(source, target)
    return f"sqlite:///{target}"


def _remove_sqlite(url: str) -> None:
    path = Path(make_url(url).database)
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)


def _create_postgres_database(template: str | None = None, suffix: str = "") -> tuple[str, str]:
    """A new PostgreSQL database (a copy of ``template`` when given): its name and URL."""
    name = f"cml_earth_test_{os.getpid()}_{uuid.uuid4().hex[:8]}{suffix}"
    copy = f' TEMPLATE "{template}"' if template else ""
    with psycopg.connect(_libpq(ADMIN_URL), autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"{copy}')
    url = (
        make_url(ADMIN_URL)
        .set(drivername="postgresql+psycopg", database=name)
        .render_as_string(hide_password=False)
    )
    return name, url


def _drop_postgres_database(name: str) -> None:
    with psycopg.connect(_libpq(ADMIN_URL), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


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


class _CompiledTemplates(BytecodeCache):
    """Compiled templates shared by every app of the run (keyed by the template's source).

    Each test builds its own app, and so its own Jinja environment: without this each one
    would lex, parse and compile every template it renders again.
    """

    def __init__(self):
        self.store: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        if bucket.key in self.store:
            bucket.bytecode_from_string(self.store[bucket.key])

    def dump_bytecode(self, bucket) -> None:
        self.store[bucket.key] = bucket.bytecode_to_string()


COMPILED_TEMPLATES = _CompiledTemplates()


@pytest.fixture
def app(app_config):
    app = create_app(app_config)
    app.jinja_env.bytecode_cache = COMPILED_TEMPLATES
    yield app
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            _empty_tables()  # SQLite needs nothing: the test's copy of the file is thrown away
        db.engine.dispose()


def _empty_tables() -> None:
    """TRUNCATE every PostgreSQL table and restart the ids from 1.

    (DELETE plus VACUUM would be about three times faster per test, but the emptied tables then
    look different to the planner and test_search's plan assertion fails: kept as TRUNCATE.)
    """
    db.session.rollback()
    names = ", ".join(f'"{t.name}"' for t in reversed(db.metadata.sorted_tables))
    db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    db.session.commit()


# --- the demo community, seeded once per backend ---------------------------------------------


@dataclass
class SeededDemo:
    """A database that ``flask demo seed`` filled, its instance folder, and what it printed."""

    url: str
    instance: Path
    exit_code: int
    output: str
    postgres_name: str | None = None


class DemoDatabases:
    """``flask demo seed`` run once per backend this session (when first asked for), and a
    private copy of the result for every test that wants one: the demo tests check what the
    real command wrote without paying for the whole seed each time."""

    def __init__(self, migrated: dict[str, str], tmp_path_factory):
        self._migrated = migrated
        self._tmp = tmp_path_factory
        self._seeded: dict[str, SeededDemo] = {}

    def seeded(self, backend: str) -> SeededDemo:
        if backend not in self._seeded:
            self._seeded[backend] = self._seed(backend)
        return self._seeded[backend]

    def _seed(self, backend: str) -> SeededDemo:
        folder = self._tmp.mktemp(f"demo-{backend}")
        name = None
        if backend == "sqlite":
            url = _copy_sqlite(self._migrated["sqlite"], folder / "database")
        else:
            name, url = _create_postgres_database(suffix="_demo")
            _migrate(url, folder / "migrating")
        app = create_app(config_for(url, folder / "instance"))
        try:
            result = app.test_cli_runner().invoke(args=["demo", "seed"])
        finally:
            with app.app_context():
                db.engine.dispose()
        return SeededDemo(url, folder / "instance", result.exit_code, result.output, name)

    @contextlib.contextmanager
    def copy(self, backend: str, folder: Path) -> Iterator[dict]:
        """An app configuration on a fresh copy of the seeded database and instance folder."""
        seeded = self.seeded(backend)
        assert seeded.exit_code == 0, seeded.output
        instance = folder / "instance"
        shutil.copytree(seeded.instance, instance)
        if backend == "sqlite":
            url = _copy_sqlite(seeded.url, folder / "database")
            try:
                yield config_for(url, instance)
            finally:
                _remove_sqlite(url)
        else:
            name, url = _create_postgres_database(template=seeded.postgres_name, suffix="_copy")
            try:
                yield config_for(url, instance)
            finally:
                _drop_postgres_database(name)

    def drop(self) -> None:
        for seeded in self._seeded.values():
            if seeded.postgres_name:
                _drop_postgres_database(seeded.postgres_name)


@pytest.fixture(scope="session")
def demo_databases(migrated_databases, tmp_path_factory):
    demo = DemoDatabases(migrated_databases, tmp_path_factory)
    yield demo
    demo.drop()


@pytest.fixture
def demo_seeded(backend, demo_databases) -> SeededDemo:
    """What this run's one ``flask demo seed`` on ``backend`` did."""
    return demo_databases.seeded(backend)


@pytest.fixture
def seeded_app_config(backend, demo_databases, tmp_path):
    """Like ``app_config``, on this test's own copy of the seeded demo community."""
    with demo_databases.copy(backend, tmp_path) as config:
        yield config


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

#: The authenticator secret ``make_member`` gives staff (they must use two-step sign-in), and
#: recovery codes enrolled with it; ``Auth.login`` answers the code step with them.
TEST_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
TEST_RECOVERY_CODES = tuple(f"testabcd{c * 4}" for c in "23456789ab")


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
        two_factor: bool | None = None,
        **fields,
    ) -> MemberInfo:
        """``two_factor``: enrolled with TEST_TOTP_SECRET (default: staff yes, members no)."""
        username = username or f"member{next(counter)}"
        if two_factor is None:
            two_factor = role in ("sponsor", "admin")
        email = email or f"{username.lower()}@example.org"
        with app.app_context():
            now = utcnow()
            member = Member(
                username=username,
                email=email,
                password_hash=_hash(app, password),
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
            if two_factor:
                _enrol_two_factor(member, now)
            db.session.commit()
            return MemberInfo(member.id, username, email, password, role)

    return make


_HASHES: dict[tuple, str] = {}


def _hash(app, password: str) -> str:
    """An argon2id hash of ``password`` with the app's settings, made once per run.

    Members made by the factory share it (each hash costs ~45 ms, thousands of members are
    made); logging in still verifies it with argon2, as for any member.
    """
    from cml_earth.auth import passwords

    config = app.config
    key = (password, config["ARGON2_TIME_COST"], config["ARGON2_MEMORY_COST"],
           config["ARGON2_PARALLELISM"])  # fmt: skip
    if key not in _HASHES:
        _HASHES[key] = passwords.hash_password(password)
    return _HASHES[key]


def _enrol_two_factor(member, now) -> None:
    from cml_earth.auth.models import RecoveryCode
    from cml_earth.auth.two_factor import recovery_digest

    member.totp_secret = TEST_TOTP_SECRET
    member.totp_enabled_at = now
    db.session.flush()
    db.session.add_all(
        RecoveryCode(member_id=member.id, code_hash=recovery_digest(member.id, code))
        for code in TEST_RECOVERY_CODES
    )


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
        response = submit(self.client, "/auth/login", data)
        if response.status_code == 302 and response.location == "/auth/two-factor":
            return self.second_step(login)
        return response

    def second_step(self, login: str):
        """Answer the code step as the member's authenticator app would.

        A code works once: the server remembers the last time step used. A test that logs the
        same member in again within 30 seconds would, like a person, wait for the next code;
        instead this takes the next step the server still accepts (it allows one step of clock
        drift either way), and when those are used up a recovery code, so no test waits and
        no check is switched off.
        """
        for code in self._codes(login):
            response = submit(self.client, "/auth/two-factor", {"code": code})
            if response.status_code != 422:
                return response
        raise AssertionError(f"no code left to log {login} in with")

    def _codes(self, login: str):
        import time

        import pyotp

        from cml_earth.auth.models import Member, RecoveryCode, username_key
        from cml_earth.auth.two_factor import STEP_SECONDS, recovery_digest

        app = self.client.application
        with app.app_context():
            member = db.session.scalar(
                select(Member).where(
                    (Member.username_key == username_key(login)) | (Member.email_key == login)
                )
            )
            secret, last_step, member_id = member.totp_secret, member.totp_last_step, member.id
            used = set(
                db.session.scalars(
                    select(RecoveryCode.code_hash).where(
                        RecoveryCode.member_id == member_id, RecoveryCode.used_at.is_not(None)
                    )
                )
            )
        if secret == TEST_TOTP_SECRET:
            now = time.time()
            step = int(now // STEP_SECONDS)
            # The step before is skipped near the end of a step: it may be too old by the time
            # the server looks.
            first = step - 1 if now % STEP_SECONDS < STEP_SECONDS - 3 else step
            totp = pyotp.TOTP(secret)
            for candidate in range(first, step + 2):
                if last_step is None or candidate > last_step:
                    yield totp.generate_otp(candidate)
        for code in TEST_RECOVERY_CODES:
            if recovery_digest(member_id, code) not in used:
                yield code
                return

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
