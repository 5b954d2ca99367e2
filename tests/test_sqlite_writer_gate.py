"""SQLite writers take turns through a file lock (cml_earth.database.WriterGate)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from cml_earth.database import WriterGate
from cml_earth.extensions import db


class Connection:
    """Stands for a DBAPI connection: the gate only keys on its identity."""


def test_a_second_writer_waits_until_the_first_leaves(tmp_path):
    # Two gates on one file, as two worker processes have: each opens the file itself.
    first, second = (WriterGate(str(tmp_path / "db-writer.lock"), 10) for _ in range(2))
    a, b = Connection(), Connection()
    first.enter(a)
    entered = threading.Event()
    waiter = threading.Thread(target=lambda: (second.enter(b), entered.set()))
    waiter.start()
    assert not entered.wait(0.2), "the second writer went in while the first held the gate"
    first.leave(a)
    assert entered.wait(5), "the second writer never went in after the first left"
    waiter.join()
    second.leave(b)
    first.enter(a)  # free again
    first.forget(a)
    second.forget(b)


def test_past_the_timeout_a_writer_goes_on_to_sqlites_own_wait(tmp_path):
    first, second = (WriterGate(str(tmp_path / "db-writer.lock"), 0.05) for _ in range(2))
    a, b = Connection(), Connection()
    first.enter(a)
    second.enter(b)  # returns after 50 ms without the lock
    assert id(b) not in second._held
    first.forget(a)
    second.enter(b)
    assert id(b) in second._held
    second.forget(b)


def test_no_gate_without_a_file(tmp_path):
    assert WriterGate.for_database(None, 1000) is None
    assert WriterGate.for_database(":memory:", 1000) is None
    assert WriterGate.for_database(str(tmp_path / "x.sqlite3"), 1000) is not None


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_app_holds_the_gate_for_a_write_transaction_only(app, backend):
    """A write transaction holds the file lock until it commits; a read never takes it.

    SQLite only: PostgreSQL has row locks and no file to take turns on."""
    with app.app_context():
        other = WriterGate.for_database(db.engine.url.database, 0.05)
        probe = Connection()
        with db.engine.begin() as connection:  # outside a request: a writer (the CLI)
            connection.execute(text("SELECT 1"))
            other.enter(probe)
            assert id(probe) not in other._held, "the gate was free during a write"
        other.enter(probe)
        assert id(probe) in other._held, "the gate stayed held after the commit"
        other.forget(probe)
        with app.test_request_context("/", method="GET"), db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            other.enter(probe)
            assert id(probe) in other._held, "a read took the gate"
            other.forget(probe)


def test_a_finished_writer_lets_its_own_process_go_on(tmp_path):
    """Work run on commit opens a second connection before the first is back in the pool."""
    gate = WriterGate(str(tmp_path / "db-writer.lock"), 0.05)
    a, b = Connection(), Connection()
    gate.enter(a)
    gate.enter(b)  # a's transaction is open: b waits (here 50 ms) and goes on without the turn
    assert id(b) not in gate._held
    gate.finish(a)
    other = WriterGate(str(tmp_path / "db-writer.lock"), 0.05)
    c = Connection()
    other.enter(c)  # another process still waits: the turn is ours until a goes back
    assert id(c) not in other._held
    gate.leave(a)
    other.enter(c)
    assert id(c) in other._held
    other.forget(c)
    gate.forget(a)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_work_on_commit_in_a_second_connection_does_not_wait(app_config, backend):
    """The erasure's index clean-up ran on a second connection and waited 30 s for the first."""
    import time

    from cml_earth import create_app

    app = create_app({**app_config, "SQLITE_BUSY_TIMEOUT_MS": 5_000})
    with app.app_context():
        first = db.engine.connect()
        first.execute(text("CREATE TABLE IF NOT EXISTS gate_probe (n INTEGER)"))
        first.commit()  # transaction over; the connection is not back in the pool yet
        started = time.monotonic()
        with db.engine.begin() as second:
            second.execute(text("INSERT INTO gate_probe VALUES (1)"))
        assert time.monotonic() - started < 2, "the second connection waited for the gate"
        first.close()
        db.engine.dispose()
