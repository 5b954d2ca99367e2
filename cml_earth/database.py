"""Database engine set-up and the one-transaction-per-request rule."""

from __future__ import annotations

import logging
import os
import time
from contextlib import contextmanager
from datetime import UTC, datetime

from flask import Flask, Response, g, has_request_context, request
from sqlalchemy import DateTime, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator
from werkzeug.routing import IntegerConverter

from .extensions import db

try:
    import fcntl
except ImportError:  # not on Windows: there SQLite's busy timeout alone makes writers wait
    fcntl = None

log = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC (the only kind of time stored)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A datetime stored in UTC and always read back timezone-aware, on SQLite too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


READ_PHASE = "_cml_read_phase"
WROTE = "cml_wrote"
#: Set when the transaction wrote anything but audit events (see _only_kept_audit).
WROTE_OTHER = "cml_wrote_other"
KEEP_ON_ERROR = "audit_keep_on_error"


def _is_audit(obj) -> bool:
    return type(obj).__name__ == "AuditEvent"


@event.listens_for(Session, "after_flush")
def _remember_writes(session, _flush_context):
    session.info[WROTE] = True
    # after_flush still sees the pre-flush state of new, dirty and deleted.
    if any(not _is_audit(obj) for obj in (*session.new, *session.dirty, *session.deleted)):
        session.info[WROTE_OTHER] = True


@event.listens_for(Session, "do_orm_execute")
def _remember_bulk_writes(state):
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[WROTE] = True
        state.session.info[WROTE_OTHER] = True


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget_writes(session):
    if session.in_nested_transaction():
        return  # a SAVEPOINT ended; what the transaction wrote before it is still pending
    for key in (WROTE, WROTE_OTHER, KEEP_ON_ERROR):
        session.info.pop(key, None)


ON_COMMIT = "cml_on_commit"
ON_ABORT = "cml_on_abort"


def on_commit(action) -> None:
    """Run ``action()`` once the current transaction commits (files, mail); never if it does not."""
    db.session.info.setdefault(ON_COMMIT, []).append(action)


def on_abort(action) -> None:
    """Run ``action()`` if the current transaction ends without committing (undo a file write)."""
    db.session.info.setdefault(ON_ABORT, []).append(action)


def _run(actions) -> None:
    for action in actions:
        try:
            action()
        except Exception:
            # The transaction has ended either way; a leftover is logged for the operator.
            log.exception("An action after the transaction failed: %r", action)


@event.listens_for(Session, "after_commit")
def _run_on_commit(session):
    if session.in_nested_transaction():
        return  # a SAVEPOINT was released: the real transaction may still roll back
    session.info.pop(ON_ABORT, None)
    _run(session.info.pop(ON_COMMIT, []))


@event.listens_for(Session, "after_transaction_end")
def _run_on_abort(session, transaction):
    # Not after_rollback: a session closed with its transaction open (Flask-SQLAlchemy's teardown
    # after an exception) rolls back without that event. A commit has emptied both lists already,
    # so whatever is left here belongs to a transaction that did not commit.
    if transaction.parent is not None:
        return
    session.info.pop(ON_COMMIT, None)
    _run(session.info.pop(ON_ABORT, []))


def _write_intent() -> bool:
    """Whether the transaction about to begin may write: unsafe requests and the CLI may."""
    if has_request_context():
        return request.method not in SAFE_METHODS and not g.get(READ_PHASE, False)
    return True


@contextmanager
def read_before_writing():
    """Read without holding SQLite's write lock, for work that is slow before it writes.

    A login reads one row, then spends a third of a second checking the password; holding the
    write lock meanwhile would make every other worker's write wait. The reads inside this block
    run in a deferred transaction that ends with the block, so objects loaded here are reloaded
    when next used. Call it before the request has changed anything.
    """
    session = db.session()
    if session.new or session.dirty or session.deleted or session.info.get(WROTE):
        raise RuntimeError("read_before_writing() must come before any change")
    session.rollback()  # a transaction begun earlier in the request may hold the write lock
    setattr(g, READ_PHASE, True)
    try:
        yield
    finally:
        setattr(g, READ_PHASE, False)
        db.session.rollback()


def _only_kept_audit(session) -> bool:
    """Whether a failed request's transaction holds only audit events meant to outlive it."""
    if not session.info.get(KEEP_ON_ERROR) or session.info.get(WROTE_OTHER):
        return False
    return all(_is_audit(obj) for obj in (*session.new, *session.dirty, *session.deleted))


def configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    """WAL, foreign keys, a busy timeout, and BEGIN IMMEDIATE for transactions that write.

    pysqlite's own transaction handling starts transactions late and DEFERRED, so a request
    that reads and then writes can fail at once with "database is locked" when another worker
    wrote in between. We take over BEGIN: write transactions take the write lock up front and
    wait (busy_timeout) for it instead of failing.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        # Deleted rows are overwritten with zeros, not left readable in free pages (Art. 17).
        cursor.execute("PRAGMA secure_delete = ON")
        cursor.close()

    gate = WriterGate.for_database(engine.url.database, busy_timeout_ms)

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        if not _write_intent():
            connection.exec_driver_sql("BEGIN")
            return
        if gate is not None:
            gate.enter(_dbapi(connection))
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    if gate is not None:
        # Released when the connection goes back to the pool, after SQLite's COMMIT: the
        # engine's commit event comes before it, and a writer let in then would wait for that
        # COMMIT (and any checkpoint it runs) in SQLite's own sleeping busy handler. From the
        # commit event on, the same process's other connections may write (on-commit work).
        for name in ("commit", "rollback"):
            event.listen(engine, name, lambda conn: gate.finish(_dbapi(conn)))
        for name in ("reset", "checkin", "invalidate"):
            event.listen(engine, name, lambda dbapi_connection, *_: gate.leave(dbapi_connection))
        event.listen(engine, "close", lambda dbapi_connection, *_: gate.forget(dbapi_connection))


def _dbapi(connection):
    try:
        return connection.connection.dbapi_connection
    except Exception:  # a closed or invalidated connection holds nothing any more
        return None


class WriterGate:
    """Writers to one SQLite file take turns through a file lock before BEGIN IMMEDIATE.

    SQLite's own busy handler makes a waiting writer sleep longer and longer (up to 100 ms at a
    time), so under steady writes a writer that has waited long keeps losing to newcomers:
    measured, a hug took 5 s at the 99th percentile with four workers. Here a waiter asks again
    every millisecond, so the lock goes to a waiter about as soon as it is free. The kernel drops
    the lock when a process dies. Past the busy timeout a writer stops waiting here and leaves
    the rest to SQLite's busy timeout, as before.
    """

    POLL_SECONDS = 0.001

    def __init__(self, path: str, timeout_seconds: float) -> None:
        self.path = path
        self.timeout_seconds = timeout_seconds
        self._files: dict[int, int] = {}  # id of the DBAPI connection -> its lock file
        self._held: set[int] = set()
        self._finished: set[int] = set()  # held, but their transaction has ended

    @classmethod
    def for_database(cls, database: str | None, busy_timeout_ms: int) -> WriterGate | None:
        if fcntl is None or not database or database == ":memory:" or database.startswith("file:"):
            return None
        return cls(f"{database}-writer.lock", busy_timeout_ms / 1000)

    def enter(self, dbapi_connection) -> None:
        key = id(dbapi_connection)
        if dbapi_connection is None or key in self._held:
            return
        if self._held and self._held <= self._finished:
            # This process holds the turn for a transaction that has ended, its connection not
            # yet back in the pool (work run on commit, on a second connection): it may go on.
            return
        descriptor = self._files.get(key)
        if descriptor is None:
            descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            self._files[key] = descriptor
        deadline = time.monotonic() + self.timeout_seconds
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return  # SQLite's busy timeout decides from here
                time.sleep(self.POLL_SECONDS)
            else:
                self._held.add(key)
                return

    def finish(self, dbapi_connection) -> None:
        """The connection's transaction ends (commit or rollback); it still holds the turn."""
        key = id(dbapi_connection)
        if key in self._held:
            self._finished.add(key)

    def leave(self, dbapi_connection) -> None:
        key = id(dbapi_connection)
        self._finished.discard(key)
        if key in self._held:
            self._held.discard(key)
            fcntl.flock(self._files[key], fcntl.LOCK_UN)

    def forget(self, dbapi_connection) -> None:
        """The connection closes: its lock file too (closing it drops the lock)."""
        self.leave(dbapi_connection)
        descriptor = self._files.pop(id(dbapi_connection), None)
        if descriptor is not None:
            os.close(descriptor)


def engine_options(
    uri: str, configured: dict, busy_timeout_ms: int, pgbouncer: bool = False
) -> dict:
    """Engine options per backend: pre-ping for servers, a lock timeout for SQLite.

    ``pgbouncer``: the server is PgBouncer in transaction mode, where consecutive transactions
    of one connection may reach different PostgreSQL backends; psycopg 3's automatic prepared
    statements would then name statements the backend never saw, so they are switched off.
    """
    options = dict(configured)
    if uri.startswith("sqlite"):
        options.setdefault("connect_args", {}).setdefault("timeout", busy_timeout_ms / 1000)
    else:
        options.setdefault("pool_pre_ping", True)
        connect_args = dict(options.get("connect_args", {}))
        if pgbouncer:
            # PgBouncer refuses startup options: docs/deploy.md sets jit on the database instead.
            connect_args["prepare_threshold"] = None
        else:
            # No JIT: it compiles a query whose estimate crosses jit_above_cost, which costs a
            # page a few hundred milliseconds to save a few on its run (measured: a search for
            # a common word took 600 ms with JIT, 100 ms without).
            connect_args.setdefault("options", "-c jit=off")
        options["connect_args"] = connect_args
    return options


#: The largest id a table holds (PostgreSQL's integer; SQLite's is larger, ids never get there).
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """``<int:...>`` in routes: a number no row can have is no page (404), not a database error."""

    def __init__(self, url_map, fixed_digits=0, min=None, max=MAX_ID, signed=False):
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def init_app(app: Flask) -> None:
    # Before any blueprint adds its routes: a rule's converters are made when it is added.
    app.url_map.converters["int"] = IdConverter
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(
        uri,
        app.config["SQLALCHEMY_ENGINE_OPTIONS"],
        app.config["SQLITE_BUSY_TIMEOUT_MS"],
        pgbouncer=app.config.get("DATABASE_PGBOUNCER", False),
    )
    if uri.startswith("sqlite:///") and "mode=memory" not in uri:
        from pathlib import Path

        Path(uri.removeprefix("sqlite:///").split("?")[0]).parent.mkdir(parents=True, exist_ok=True)
    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])

    @app.after_request
    def _commit_or_roll_back(response: Response) -> Response:
        # The one commit of a request: only when the request succeeded. Exceptions never reach
        # here; Flask-SQLAlchemy's teardown removes the session, which rolls back.
        if not db.session().in_transaction():
            return response
        session = db.session()
        if response.status_code < 400 or _only_kept_audit(session):
            session.commit()
        else:
            session.rollback()
        return response
