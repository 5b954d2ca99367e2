"""Database engine set-up and the one-transaction-per-request rule."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from datetime import UTC, datetime

from flask import Flask, Response, g, has_request_context, request
from sqlalchemy import DateTime, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator

from .extensions import db

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


@event.listens_for(Session, "after_flush")
def _remember_writes(session, _flush_context):
    session.info[WROTE] = True


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget_writes(session):
    session.info.pop(WROTE, None)


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
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _write_intent() else "BEGIN")


def engine_options(uri: str, configured: dict, busy_timeout_ms: int) -> dict:
    """Engine options per backend: pre-ping for servers, a lock timeout for SQLite."""
    options = dict(configured)
    if uri.startswith("sqlite"):
        options.setdefault("connect_args", {}).setdefault("timeout", busy_timeout_ms / 1000)
    else:
        options.setdefault("pool_pre_ping", True)
    return options


def init_app(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(
        uri, app.config["SQLALCHEMY_ENGINE_OPTIONS"], app.config["SQLITE_BUSY_TIMEOUT_MS"]
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
        if response.status_code < 400:
            db.session.commit()
        else:
            db.session.rollback()
        return response
