"""Configuration order and safety, the database engines, the CLI and the migrations."""

from __future__ import annotations

import stat
from pathlib import Path

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import event, func, inspect, select, text
from sqlalchemy.exc import IntegrityError, OperationalError

import cml_earth
from cml_earth import create_app
from cml_earth.audit.models import AuditEvent
from cml_earth.auth.models import Consent, Member, MemberSession
from cml_earth.config import ENVIRONMENT_KEYS, normalise_database_url
from cml_earth.database import utcnow
from cml_earth.extensions import db
from cml_earth.search.schema import include_name

from .conftest import IN_CI, POSTGRES_UP, _libpq, csrf_token, fetch_member, scalar, submit

UNREACHABLE_POSTGRES = "postgresql+psycopg://nobody@127.0.0.1:1/none"
MIGRATIONS = Path(cml_earth.__file__).parent / "migrations"
STAFF_PASSWORD = "three calm harbour lights"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """No setting from the shell running the tests leaks into these apps."""
    for key in [*ENVIRONMENT_KEYS, "CML_ENV", "CML_INSTANCE_PATH"]:
        monkeypatch.delenv(key, raising=False)


@pytest.fixture
def make_app(tmp_path):
    """Build apps of our own in a temporary instance folder; their engines are closed after."""
    apps = []

    def make(config: dict | None = None, instance: Path | None = None):
        config = {"INSTANCE_PATH": str(instance or tmp_path / "instance"), **(config or {})}
        app = create_app(config)
        apps.append(app)
        return app

    yield make
    for app in apps:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def sqlite_app(make_app, tmp_path):
    """A testing app on a fresh SQLite file, migrated to the newest revision."""
    app = make_app(
        {"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'fresh.db'}"}
    )
    with app.app_context():
        upgrade()
    return app


def count(app, model) -> int:
    return scalar(app, select(func.count()).select_from(model))


def row_counts(app) -> dict[str, int]:
    return {m.__tablename__: count(app, m) for m in (Member, MemberSession, Consent, AuditEvent)}


# --- secret key -----------------------------------------------------------------------------


@pytest.mark.parametrize("key", [None, "", "dev", "changeme", "x" * 31])
def test_production_refuses_a_missing_or_weak_secret_key(make_app, tmp_path, key):
    config = {"ENV_NAME": "production"}
    if key is not None:
        config["SECRET_KEY"] = key
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        make_app(config)
    assert not (tmp_path / "instance" / "secret_key").exists()


def test_production_refuses_a_weak_secret_key_from_the_environment(make_app, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "dev")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        make_app({"ENV_NAME": "production"})
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    assert make_app({"ENV_NAME": "production"}).config["SECRET_KEY"] == "k" * 40


def test_an_unknown_environment_name_is_refused(make_app, monkeypatch):
    monkeypatch.setenv("CML_ENV", "staging")
    with pytest.raises(RuntimeError, match="CML_ENV"):
        make_app()


def test_development_generates_one_key_and_keeps_it(make_app, tmp_path):
    first = make_app({"ENV_NAME": "development"})
    path = tmp_path / "instance" / "secret_key"
    assert path.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = path.read_text().strip()
    assert len(key) >= 32
    assert first.config["SECRET_KEY"] == key

    second = make_app({"ENV_NAME": "development"})
    assert second.config["SECRET_KEY"] == key
    assert path.read_text().strip() == key

    # A form token issued by the first process is good in the second, as after a restart.
    browser = first.test_client()
    token = csrf_token(browser.get("/").get_data(as_text=True))
    restarted = second.test_client()
    restarted.set_cookie("session", browser.get_cookie("session").value)
    response = restarted.post("/language", data={"csrf_token": token, "locale": "sv"})
    assert response.status_code == 302

    other = make_app({"ENV_NAME": "development"}, instance=tmp_path / "elsewhere")
    assert other.config["SECRET_KEY"] != key


# --- configuration order --------------------------------------------------------------------


def test_environment_beats_instance_config_which_beats_defaults(make_app, tmp_path, monkeypatch):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text(
        'SPONSOR_NAME = "File Pharma AB"\nSITE_NAME = "File Earth"\nTRUSTED_PROXIES = 1\n'
    )
    from_file = make_app({"ENV_NAME": "testing"})
    assert from_file.config["SPONSOR_NAME"] == "File Pharma AB"
    assert from_file.config["SITE_NAME"] == "File Earth"
    assert from_file.config["TRUSTED_PROXIES"] == 1
    assert from_file.config["MINIMUM_AGE"] == 16  # a default nobody overrode

    monkeypatch.setenv("SPONSOR_NAME", "Env Pharma AB")
    monkeypatch.setenv("TRUSTED_PROXIES", "2")
    monkeypatch.setenv("RATELIMIT_ENABLED", "no")
    monkeypatch.setenv("MAIL_PORT", "2525")
    monkeypatch.setenv("MAIL_USE_TLS", "false")
    from_env = make_app({"ENV_NAME": "testing"})
    assert from_env.config["SPONSOR_NAME"] == "Env Pharma AB"
    assert from_env.config["SITE_NAME"] == "File Earth"
    assert from_env.config["TRUSTED_PROXIES"] == 2
    assert from_env.config["RATELIMIT_ENABLED"] is False
    assert from_env.config["MAIL_PORT"] == 2525
    assert from_env.config["MAIL_USE_TLS"] is False

    html = from_env.test_client().get("/").get_data(as_text=True)
    assert "Env Pharma AB" in html and "File Pharma AB" not in html
    assert "File Earth" in html

    explicit = make_app({"ENV_NAME": "testing", "SPONSOR_NAME": "Given Pharma AB"})
    assert explicit.config["SPONSOR_NAME"] == "Given Pharma AB"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        (
            "postgresql://u:p@h:5433/db?sslmode=require",
            "postgresql+psycopg://u:p@h:5433/db?sslmode=require",
        ),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:////var/lib/cml/cml.sqlite3", "sqlite:////var/lib/cml/cml.sqlite3"),
    ],
)
def test_normalise_database_url(url, expected):
    assert normalise_database_url(url) == expected


def test_database_url_from_the_environment_without_connecting(make_app, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
    # Building the app must not connect: this address refuses every connection.
    app = make_app({"ENV_NAME": "testing"})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == UNREACHABLE_POSTGRES
    with app.app_context():
        assert db.engine.url.drivername == "postgresql+psycopg"
        assert db.engine.pool.checkedin() == 0 and db.engine.pool.checkedout() == 0
        with pytest.raises(OperationalError):
            db.engine.connect()
    assert app.test_client().get("/healthz").status_code == 200


def test_default_database_is_sqlite_in_the_instance_folder(make_app, tmp_path):
    app = make_app({"ENV_NAME": "testing"})
    expected = tmp_path / "instance" / "cml_earth.sqlite3"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{expected}"


def test_redis_url_becomes_the_rate_limit_storage(make_app, monkeypatch):
    assert make_app({"ENV_NAME": "testing"}).config["RATELIMIT_STORAGE_URI"] == "memory://"
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/3")
    app = make_app({"ENV_NAME": "testing"})
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:1/3"


def test_mail_server_chooses_smtp_otherwise_eml_files(make_app, monkeypatch):
    app = make_app({"ENV_NAME": "development"})
    assert app.config["MAIL_BACKEND"] == "cml_earth.mail.EmlFileEmailBackend"
    monkeypatch.setenv("MAIL_SERVER", "smtp.example.org")
    app = make_app({"ENV_NAME": "development"})
    assert app.config["MAIL_BACKEND"] == "smtp"
    assert app.config["MAIL_SERVER"] == "smtp.example.org"


class TestEmlMail:
    @pytest.fixture
    def app_config(self, app_config):
        app_config["MAIL_BACKEND"] = ""
        return app_config

    def test_registration_mail_is_written_as_an_eml_file(self, app, app_config, client):
        assert app.config["MAIL_BACKEND"] == "cml_earth.mail.EmlFileEmailBackend"
        folder = Path(app_config["INSTANCE_PATH"]) / "mail"
        assert not list(folder.glob("*.eml"))
        response = submit(
            client,
            "/auth/register",
            {
                "username": "MailReader",
                "email": "mail.reader@example.org",
                "password": "letters in the morning post",
                "password_confirm": "letters in the morning post",
                "role": "patient",
                "country_code": "NO",
                "locale": "en",
                "age_confirmed": "y",
                "accept_guidelines": "y",
            },
        )
        assert response.status_code == 302
        files = list(folder.glob("*.eml"))
        assert len(files) == 1
        message = files[0].read_text()
        assert "To: mail.reader@example.org" in message
        assert "/auth/verify/" in message


# --- SQLite and PostgreSQL engines ----------------------------------------------------------


def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(sqlite_app):
    with sqlite_app.app_context():
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
        # The database itself refuses a session of a member who does not exist.
        insert = MemberSession.__table__.insert().values(
            member_id=999_999, token_hash="0" * 64, created_at=utcnow(), expires_at=utcnow()
        )
        with pytest.raises(IntegrityError), db.engine.begin() as connection:
            connection.execute(insert)


def test_sqlite_write_requests_take_the_write_lock_up_front(sqlite_app):
    client = sqlite_app.test_client()
    statements: list[str] = []
    with sqlite_app.app_context():
        engine = db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def _capture(connection, cursor, statement, *args):
        statements.append(statement.strip())

    page = client.get("/auth/register")
    assert statements == []  # a visitor's GET needs no database
    response = client.post(
        "/auth/register",
        data={
            "csrf_token": csrf_token(page.get_data(as_text=True)),
            "username": "LockTaker",
            "email": "lock.taker@example.org",
            "password": "write ahead of the rest",
            "password_confirm": "write ahead of the rest",
            "role": "patient",
            "country_code": "SE",
            "locale": "sv",
            "age_confirmed": "y",
            "accept_guidelines": "y",
        },
    )
    assert response.status_code == 302
    assert statements[0] == "BEGIN IMMEDIATE"
    assert "BEGIN" not in statements
    assert any(s.startswith("INSERT INTO members") for s in statements)

    page = client.get("/auth/login")
    statements.clear()
    response = client.post(
        "/auth/login",
        data={
            "csrf_token": csrf_token(page.get_data(as_text=True)),
            "login": "LockTaker",
            "password": "write ahead of the rest",
        },
    )
    assert response.status_code == 302
    # A login looks the member up without the write lock (the password check is slow), and
    # takes the lock only for what it writes afterwards.
    assert statements[0] == "BEGIN"
    assert statements[1].startswith("SELECT") and "FROM members" in statements[1]
    immediate = statements.index("BEGIN IMMEDIATE")
    assert all(s.startswith("SELECT") for s in statements[1:immediate])
    assert any(s.startswith("INSERT INTO member_sessions") for s in statements[immediate:])
    statements.clear()
    assert client.get("/settings/preferences").status_code == 200
    # A read-only request loads the member in a plain (deferred) transaction.
    assert statements[0] == "BEGIN"
    assert "BEGIN IMMEDIATE" not in statements
    event.remove(engine, "before_cursor_execute", _capture)


@pytest.fixture
def postgres_url(database_urls):
    if not POSTGRES_UP:
        if IN_CI:
            pytest.fail("CI needs PostgreSQL")
        pytest.skip("PostgreSQL is not reachable")
    return database_urls["postgresql"]


def test_postgresql_engine_pings_before_use(make_app, postgres_url):
    app = make_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": postgres_url})
    with app.app_context():
        with db.engine.connect() as connection:
            first_pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        # The server ends the pooled connection (a restart, an idle timeout, a failover).
        with psycopg.connect(_libpq(postgres_url), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (first_pid,))
        with db.engine.connect() as connection:
            second_pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        assert second_pid != first_pid


# --- CLI: users -----------------------------------------------------------------------------


def create_staff_args(**values) -> list[str]:
    values = {
        "email": "staff.member@example.org",
        "username": "NewStaff",
        "role": "sponsor",
        "password": STAFF_PASSWORD,
        **values,
    }
    args = ["users", "create"]
    for name, value in values.items():
        if value is not None:
            args += [f"--{name}", value]
    return args


def test_cli_creates_a_verified_sponsor_who_can_log_in(app, runner, client):
    result = runner.invoke(args=create_staff_args())
    assert result.exit_code == 0, result.output
    assert "Created sponsor NewStaff <staff.member@example.org>" in result.output
    member_id = scalar(app, select(Member.id).where(Member.username_key == "newstaff"))
    row = fetch_member(app, member_id)
    assert row["role"] == "sponsor"
    assert row["email_verified_at"] is not None
    assert row["password_hash"].startswith("$argon2id$")
    response = submit(client, "/auth/login", {"login": "NewStaff", "password": STAFF_PASSWORD})
    assert response.status_code == 302
    # New staff set up their authenticator before their first staff session begins.
    assert response.location == "/auth/two-factor/setup"
    assert "Sponsor staff" not in client.get("/").get_data(as_text=True)


def test_cli_asks_for_the_password_twice_when_not_given(app, runner):
    result = runner.invoke(
        args=create_staff_args(role="admin", password=None),
        input=f"{STAFF_PASSWORD}\n{STAFF_PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert scalar(app, select(Member.role).where(Member.username_key == "newstaff")) == "admin"


@pytest.mark.parametrize(
    "clash",
    [{"username": "annapatient"}, {"email": "ANNAPATIENT@example.org"}],
    ids=["username", "email"],
)
def test_cli_refuses_a_taken_username_or_email(app, runner, patient, clash):
    before = row_counts(app)
    result = runner.invoke(args=create_staff_args(**clash))
    assert result.exit_code != 0
    assert "already in use" in result.output
    assert "Traceback" not in result.output
    assert row_counts(app) == before


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"role": "patient"}, "Invalid value for '--role'"),
        ({"role": "relative"}, "Invalid value for '--role'"),
        ({"password": "short"}, "too short"),
    ],
)
def test_cli_refuses_member_roles_and_short_passwords(app, runner, values, message):
    result = runner.invoke(args=create_staff_args(**values))
    assert result.exit_code != 0
    assert message in result.output
    assert count(app, Member) == 0


# --- CLI: demo ------------------------------------------------------------------------------
# (What the seed builds is checked in test_demo.py, on a database seeded once per run.)


def test_demo_seed_refuses_production_unless_told(app, app_config):
    production = create_app(
        {
            "ENV_NAME": "production",
            "SECRET_KEY": "p" * 48,
            "SQLALCHEMY_DATABASE_URI": app_config["SQLALCHEMY_DATABASE_URI"],
            "INSTANCE_PATH": app_config["INSTANCE_PATH"],
        }
    )
    try:
        runner = production.test_cli_runner()
        result = runner.invoke(args=["demo", "seed"])
        assert result.exit_code != 0
        assert "Refusing" in result.output
        assert count(app, Member) == 0
        result = runner.invoke(args=["demo", "seed", "--allow-production"])
        assert result.exit_code == 0, result.output
        assert count(app, Member) >= 50
    finally:
        with production.app_context():
            db.engine.dispose()


# --- migrations -----------------------------------------------------------------------------


def model_differences(app) -> list:
    with app.app_context(), db.engine.connect() as connection:
        # The search index's own objects are made by hand per database (cml_earth/search/schema).
        opts = {"compare_type": True, "include_name": include_name}
        context = MigrationContext.configure(connection, opts=opts)
        return compare_metadata(context, db.metadata)


def head_revision() -> str:
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def test_migrations_match_the_models(app):
    assert model_differences(app) == []
    with app.app_context(), db.engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == head_revision()


def test_fresh_sqlite_database_upgrades_and_downgrades(sqlite_app):
    assert model_differences(sqlite_app) == []
    with sqlite_app.app_context():
        tables = set(inspect(db.engine).get_table_names())
        assert {t.name for t in db.metadata.sorted_tables} <= tables
        with db.engine.connect() as connection:
            version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        assert version == head_revision()
        downgrade(revision="base")
        left = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert left == set()
        upgrade()
    assert model_differences(sqlite_app) == []
