"""Faults under load (issue 8, part 6): the app loses a worker, its database, its Redis.

    make faults          # or: .venv/bin/python bench/faults.py [--only kill-worker,...]

Four scenarios, each bounded in time (load for at most ~30 s, hard timeouts, cleanup in
``finally``) and on loopback only, each against its own gunicorn (4 workers, the shipped
gunicorn.conf.py) on its own database:

1. ``kill-worker``: SIGKILL one gunicorn worker under reads and hugs (SQLite). Only the request
   in flight on that worker may fail; the master starts a replacement within seconds.
2. ``postgres-restart``: a private PostgreSQL cluster (initdb in a temporary folder, a free
   port; never the machine's own server) restarted with ``pg_ctl restart -m fast`` under load.
   The app answers 503 for a moment and recovers by itself; every hug answered 2xx/3xx is a row.
3. ``redis-stops``: a private redis-server holds the rate limits; it is stopped under load.
   The site keeps serving (no 5xx), the limiter falls back in-process and says so in the log.
4. ``sqlite-mix``: the SQLite default, 4 workers, 16 connections mixing reads and hugs for
   30 s: no "database is locked" in the log, no 500.

Every hug is a new (member, story) pair, so every success must be a new row: the set of pairs
answered 2xx/3xx must be contained in the reactions table ("writes reconciled"); rows beyond it
are hugs committed whose answer was lost, and must be no more than the failed hug requests.

Prints a table per scenario and a summary, writes it to bench/results/faults-<date>.md and exits
1 when a scenario misses its expectation. Load comes from this process (threads, stdlib HTTP).
"""

# Fixed argv only (flask, gunicorn, PostgreSQL's tools, redis-server from PATH), no shell:
# ruff: noqa: S603, S607

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script from anywhere: import the app and tests.live

from sqlalchemy import create_engine, text  # noqa: E402

from tests.live import (  # noqa: E402
    BIN,
    Browser,
    LiveServer,
    _inherited_environment,
    _stop,
    _wait_until_ready,
    free_port,
)

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
WORKERS = 4
PASSWORD = "a quiet walk by the lake"  # noqa: S105 (the made-up members' password)
REQUEST_TIMEOUT = 10  # seconds; a request that takes longer counts as an error ("timeout")
BACK_OFF = 0.2  # seconds a load thread waits after a failed request (a person would wait more)
SCENARIO_LIMIT = 150  # seconds per scenario, set-up and clean-up included, then SIGALRM
RESULTS = ROOT / "bench" / "results"


# --- what was sent and what came back ---------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    started: float  # seconds since the load began
    ended: float
    kind: str  # "read" or "hug"
    answer: int | str  # an HTTP status, or the name of a connection error
    pair: tuple[int, int] | None = None  # (member id, story id) of a hug

    @property
    def ok(self) -> bool:
        return isinstance(self.answer, int) and self.answer < 400

    @property
    def failed(self) -> bool:
        """5xx or no answer at all (4xx such as 429 are answers the client can act on)."""
        return not isinstance(self.answer, int) or self.answer >= 500


@dataclass
class Result:
    name: str
    title: str
    outcomes: list[Outcome] = field(default_factory=list)
    hug_rows: set[tuple[int, int]] = field(default_factory=set)
    counts_exact: bool | None = None  # stories.hug_count == rows, summed
    checks: list[tuple[str, bool]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    crashed: str = ""

    def check(self, text: str, passed: bool) -> None:
        self.checks.append((text, passed))

    @property
    def passed(self) -> bool:
        return not self.crashed and bool(self.checks) and all(ok for _, ok in self.checks)

    @property
    def statuses(self) -> Counter:
        return Counter(o.answer for o in self.outcomes if isinstance(o.answer, int))

    @property
    def connection_errors(self) -> Counter:
        return Counter(o.answer for o in self.outcomes if isinstance(o.answer, str))

    @property
    def hugs_ok(self) -> set[tuple[int, int]]:
        return {o.pair for o in self.outcomes if o.kind == "hug" and o.ok}

    @property
    def hugs_failed(self) -> int:
        return sum(1 for o in self.outcomes if o.kind == "hug" and o.failed)

    @property
    def lost(self) -> set[tuple[int, int]]:
        """Hugs answered as done that are not in the database: must be none."""
        return self.hugs_ok - self.hug_rows

    @property
    def extra(self) -> int:
        """Rows whose request failed (committed, answer lost): at most the failed hug requests."""
        sent_pairs = {o.pair for o in self.outcomes if o.kind == "hug"}
        return len((self.hug_rows & sent_pairs) - self.hugs_ok)

    def reconcile_checks(self) -> None:
        self.check(f"every hug answered 2xx/3xx is a row (lost: {len(self.lost)})", not self.lost)
        self.check(
            f"rows without a success answer ({self.extra}) <= failed hugs ({self.hugs_failed})",
            self.extra <= self.hugs_failed,
        )
        if self.counts_exact is not None:
            self.check("stories.hug_count equals the hug rows", self.counts_exact)


def _error_name(error: BaseException) -> str:
    if isinstance(error, urllib.error.URLError) and isinstance(error.reason, BaseException):
        error = error.reason
    if isinstance(error, TimeoutError | socket.timeout):
        return "timeout"
    return type(error).__name__


class Load:
    """Readers and hug writers, each a logged-in member in its own thread, until stopped."""

    def __init__(self, base_url: str, readers: list[Browser], writers: list[Writer], stories):
        self.base_url = base_url
        self.readers = readers
        self.writers = writers
        self.stories = stories
        self.outcomes: list[Outcome] = []  # list.append is atomic under the GIL
        self.stop = threading.Event()
        self.start = 0.0
        self.threads: list[threading.Thread] = []

    def now(self) -> float:
        return time.monotonic() - self.start

    def _send(self, kind: str, call: Callable, pair=None) -> bool:
        started = self.now()
        try:
            answer: int | str = call().status
        except (OSError, ValueError, ConnectionError) as error:  # no HTTP answer at all
            answer = _error_name(error)
        except Exception as error:  # http.client's own: RemoteDisconnected, BadStatusLine...
            answer = _error_name(error)
        outcome = Outcome(started, self.now(), kind, answer, pair)
        self.outcomes.append(outcome)
        if not outcome.ok:
            self.stop.wait(BACK_OFF)
        return outcome.ok

    def _read(self, browser: Browser, number: int) -> None:
        chooser = random.Random(number)  # noqa: S311  # nosec B311 - a load pattern, not a secret
        turn = 0
        while not self.stop.is_set():
            path = "/" if turn % 2 else f"/stories/{chooser.choice(self.stories)}"
            self._send("read", lambda path=path: browser.get(path))
            turn += 1

    def _write(self, writer: Writer) -> None:
        for story_id in writer.stories:
            if self.stop.is_set():
                return
            data = {"csrf_token": writer.token, "action": "add", "next": f"/stories/{story_id}"}
            path = f"/stories/{story_id}/reactions/hug"
            self._send(
                "hug", lambda p=path, d=data: writer.browser.post(p, d), (writer.id, story_id)
            )
        writer.exhausted = True

    def __enter__(self) -> Load:
        self.start = time.monotonic()
        for number, browser in enumerate(self.readers):
            self.threads.append(threading.Thread(target=self._read, args=(browser, number)))
        for writer in self.writers:
            self.threads.append(threading.Thread(target=self._write, args=(writer,)))
        for thread in self.threads:
            thread.daemon = True
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        deadline = time.monotonic() + REQUEST_TIMEOUT + 5
        for thread in self.threads:
            thread.join(timeout=max(0.1, deadline - time.monotonic()))

    def run_until(self, second: float) -> None:
        """Keep loading until ``second`` since the load began."""
        self.stop.wait(max(0.0, second - self.now()))


@dataclass
class Writer:
    id: int
    browser: Browser
    token: str
    stories: list[int]
    exhausted: bool = False


# --- servers: gunicorn, a private PostgreSQL, a private Redis ----------------------------------


@dataclass
class Server:
    live: LiveServer
    process: subprocess.Popen
    env: dict

    def workers(self) -> set[int]:
        """Worker pids: the master's children."""
        children: set[int] = set()
        for task in Path(f"/proc/{self.process.pid}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                children |= {int(pid) for pid in task.read_text().split()}
        return children


def _flask(env: dict, *command: str) -> None:
    done = subprocess.run(
        [str(BIN / "flask"), "--app", "cml_earth", *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"flask {' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")


@contextlib.contextmanager
def gunicorn(folder: Path, env: dict | None = None, workers: int = WORKERS) -> Iterator[Server]:
    """Migrate the database, then gunicorn with the shipped config on a free loopback port."""
    instance = folder / "instance"
    instance.mkdir(parents=True, exist_ok=True)
    base = _inherited_environment() | {
        "CML_ENV": "development",
        "CML_INSTANCE_PATH": str(instance),
        "RATELIMIT_ENABLED": "false",
        "PYTHONUNBUFFERED": "1",
    }
    base |= env or {}
    database_url = base.get("DATABASE_URL") or f"sqlite:///{instance / 'cml_earth.sqlite3'}"
    _flask(base, "db", "upgrade")
    port = free_port()
    server_env = base | {"HOST": "127.0.0.1", "PORT": str(port), "WEB_CONCURRENCY": str(workers)}
    log = folder / "gunicorn.log"
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT,
            env=server_env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    live = LiveServer(f"http://127.0.0.1:{port}", port, log, database_url)
    try:
        _wait_until_ready(process, live)
        yield Server(live, process, server_env)
    finally:
        _stop(process)


def _as_postgres(*command) -> list[str]:
    """PostgreSQL refuses to run as root: run its tools as the postgres user then."""
    command = [str(part) for part in command]
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@dataclass
class Cluster:
    folder: Path
    port: int

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def pg_ctl(self, *args: str, timeout: int = 60) -> subprocess.CompletedProcess:
        return subprocess.run(
            _as_postgres(
                PG_BIN / "pg_ctl", "-D", self.data, "-l", self.folder / "server.log", *args
            ),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"


@contextlib.contextmanager
def private_postgres() -> Iterator[Cluster]:
    """A throwaway cluster on a free port, its socket in its own folder; deleted afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="cml-faults-pg-"))
    cluster = Cluster(folder, free_port())
    try:
        if os.geteuid() == 0:
            shutil.chown(folder, "postgres", "postgres")
        subprocess.run(
            _as_postgres(
                PG_BIN / "initdb",
                "-D",
                cluster.data,
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ),
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        options = (
            f"-p {cluster.port} -k {folder} -c listen_addresses=127.0.0.1 "
            "-c max_connections=60 -c shared_buffers=32MB"
        )
        started = cluster.pg_ctl("-o", options, "-w", "-t", "30", "start")
        if started.returncode != 0:
            raise RuntimeError(f"pg_ctl start failed:\n{started.stdout}\n{started.stderr}")
        yield cluster
    finally:
        with contextlib.suppress(Exception):
            cluster.pg_ctl("-m", "immediate", "-w", "-t", "20", "stop", timeout=30)
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def private_redis(folder: Path) -> Iterator[tuple[subprocess.Popen, int]]:
    port = free_port()
    process = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            "--dir",
            str(folder),
        ],
        stdout=(folder / "redis.log").open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 10
        while _redis(port, "PING") != "+PONG":
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("the private redis-server did not start")
            time.sleep(0.05)
        yield process, port
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def _redis(port: int, command: str) -> str:
    """One inline command to the private Redis; its first reply line ("" if it does not answer)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
            connection.sendall(command.encode() + b"\r\n")
            return connection.recv(4096).decode(errors="replace").split("\r\n")[0]
    except OSError:
        return ""


# --- the community the load acts on ----------------------------------------------------------


@dataclass
class Community:
    readers: list[str]
    writers: list[tuple[int, str]]
    stories: list[int]


def make_community(database_url: str, instance: Path, readers: int, writers: int, stories: int):
    """Members and stories straight in the database (the app's models), for the load to use."""
    from cml_earth import create_app
    from cml_earth.auth import passwords
    from cml_earth.auth.models import Member
    from cml_earth.database import utcnow
    from cml_earth.extensions import db
    from cml_earth.stories.models import Story

    app = create_app(
        {"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": database_url, "INSTANCE_PATH": instance}
    )
    with app.app_context():
        password_hash = passwords.hash_password(PASSWORD)
        now = utcnow()

        def member(username: str) -> Member:
            row = Member(
                username=username,
                email=f"{username}@example.org",
                password_hash=password_hash,
                role="patient",
                email_verified_at=now - timedelta(days=1),
                age_confirmed_at=now,
                guidelines_accepted_at=now,
                guidelines_version="test",
            )
            db.session.add(row)
            return row

        authors = [member(f"author{number}") for number in range(4)]
        reading = [member(f"reader{number}") for number in range(readers)]
        writing = [member(f"hugger{number}") for number in range(writers)]
        db.session.flush()
        rows = [
            Story(
                author_id=authors[number % len(authors)].id,
                title=f"Week {number} with the new dose",
                body="Numbers going the right way; tired in the afternoons. " * 3,
                language="en",
            )
            for number in range(stories)
        ]
        db.session.add_all(rows)
        db.session.commit()
        community = Community(
            [row.username for row in reading],
            [(row.id, row.username) for row in writing],
            [row.id for row in rows],
        )
        db.session.remove()
        db.engine.dispose()
    return community


def logged_in(base_url: str, username: str) -> Browser:
    from tests.conftest import csrf_token

    browser = Browser(base_url, timeout=REQUEST_TIMEOUT)
    form = browser.get("/auth/login")
    answer = browser.post(
        "/auth/login",
        {"csrf_token": csrf_token(form.text), "login": username, "password": PASSWORD},
    )
    if answer.status != 302:
        raise RuntimeError(f"{username} could not log in: {answer.status}")
    return browser


def prepare_load(server: Server, community: Community) -> Load:
    from tests.conftest import csrf_token

    base = server.live.base_url
    readers = [logged_in(base, name) for name in community.readers]
    writers = []
    stories = community.stories
    for number, (member_id, name) in enumerate(community.writers):
        browser = logged_in(base, name)
        page = browser.get(f"/stories/{stories[0]}")
        # Each writer starts at its own place in the list, so the stories' counts all move.
        start = number * len(stories) // max(1, len(community.writers))
        writers.append(
            Writer(member_id, browser, csrf_token(page.text), stories[start:] + stories[:start])
        )
    return Load(base, readers, writers, stories)


def read_back(result: Result, database_url: str) -> None:
    """The hug rows to stories and whether the stored counts agree with them."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT sender_id, story_id FROM reactions "
                    "WHERE kind = 'hug' AND story_id IS NOT NULL"
                )
            ).all()
            stored = connection.execute(text("SELECT coalesce(sum(hug_count), 0) FROM stories"))
            result.hug_rows = {(sender, story) for sender, story in rows}
            result.counts_exact = stored.scalar_one() == len(rows)
    finally:
        engine.dispose()


def log_lines(server: Server, *needles: str) -> list[str]:
    """Lines of the gunicorn log that contain any of ``needles`` (case-insensitive)."""
    wanted = [needle.lower() for needle in needles]
    return [
        line
        for line in server.live.log_text().splitlines()
        if any(needle in line.lower() for needle in wanted)
    ]


def failure_window(outcomes: list[Outcome]) -> tuple[float, float] | None:
    failed = [o for o in outcomes if o.failed]
    if not failed:
        return None
    return min(o.started for o in failed), max(o.ended for o in failed)


# --- the scenarios ---------------------------------------------------------------------------


def kill_worker(result: Result, folder: Path) -> None:
    with gunicorn(folder) as server:
        community = make_community(server.live.database_url, folder / "instance", 4, 4, 800)
        load = prepare_load(server, community)
        before = server.workers()
        result.notes.append(f"workers before: {len(before)} ({sorted(before)})")
        with load:
            load.run_until(6)
            victim = max(before)
            os.kill(victim, signal.SIGKILL)
            killed_at = load.now()
            result.notes.append(f"SIGKILL to worker {victim} at {killed_at:.1f} s")
            replaced_after = None
            while load.now() < killed_at + 15:
                current = server.workers()
                if len(current) == WORKERS and victim not in current and current - before:
                    replaced_after = load.now() - killed_at
                    result.notes.append(
                        f"master replaced it with {sorted(current - before)} "
                        f"after {replaced_after:.2f} s; workers now {len(current)}"
                    )
                    break
                time.sleep(0.05)
            load.run_until(max(load.now(), killed_at) + 12)
        read_back(result, server.live.database_url)
        result.outcomes = load.outcomes
        result.notes += [f"log: {line}" for line in log_lines(server, "sigkill", "booting worker")]
    result.check("no 5xx", not any(s >= 500 for s in result.statuses))
    errors = sum(result.connection_errors.values())
    result.check(f"connection errors ({errors}) <= 1 (the request in flight on it)", errors <= 1)
    result.check(
        "back to 4 workers within 10 s", replaced_after is not None and replaced_after <= 10
    )
    late = [o for o in result.outcomes if o.started > killed_at + 1 and not o.ok]
    result.check(f"every request from 1 s after the kill answered ({len(late)} not)", not late)
    result.reconcile_checks()


def postgres_restart(result: Result, folder: Path) -> None:
    import psycopg

    with private_postgres() as cluster:
        with psycopg.connect(
            host="127.0.0.1", port=cluster.port, user="postgres", dbname="postgres", autocommit=True
        ) as connection:
            connection.execute("CREATE DATABASE cml_faults")
        url = cluster.url("cml_faults")
        result.notes.append(f"private cluster on 127.0.0.1:{cluster.port} in {cluster.folder}")
        with gunicorn(folder, {"DATABASE_URL": url}) as server:
            community = make_community(url, folder / "instance", 4, 8, 800)
            load = prepare_load(server, community)
            with load:
                load.run_until(8)
                began = load.now()
                restarted = cluster.pg_ctl("-m", "fast", "-w", "-t", "30", "restart")
                done = load.now()
                result.notes.append(
                    f"pg_ctl restart -m fast from {began:.1f} s to {done:.1f} s "
                    f"(exit {restarted.returncode})"
                )
                load.run_until(done + 15)
            read_back(result, url)
            result.outcomes = load.outcomes
            result.notes += [f"log: {line}" for line in log_lines(server, "answered 503")[:3]] + [
                f"log: {len(log_lines(server, 'answered 503'))} lines 'answered 503'"
            ]
    statuses = result.statuses
    window = failure_window(result.outcomes)
    if window:
        result.notes.append(
            f"failures from {window[0]:.2f} s to {window[1]:.2f} s "
            f"({window[1] - window[0]:.2f} s); recovered {window[1] - done:+.2f} s after "
            "pg_ctl returned"
        )
    result.check("pg_ctl restart succeeded", restarted.returncode == 0)
    result.check("no 5xx but 503", not any(s >= 500 and s != 503 for s in statuses))
    result.check("no connection errors", not result.connection_errors)
    result.check("503 seen while the database was away", statuses.get(503, 0) > 0)
    result.check(
        "recovered by itself within 5 s of the restart",
        window is not None and window[1] <= done + 5,
    )
    result.reconcile_checks()


def redis_stops(result: Result, folder: Path) -> None:
    with private_redis(folder) as (redis, port):
        env = {"REDIS_URL": f"redis://127.0.0.1:{port}/0", "RATELIMIT_ENABLED": "true"}
        with gunicorn(folder, env) as server:
            community = make_community(server.live.database_url, folder / "instance", 4, 4, 800)
            load = prepare_load(server, community)
            with load:
                load.run_until(7)
                keys = _redis(port, "DBSIZE")
                result.notes.append(f"keys in the private Redis before it stops: {keys}")
                redis.terminate()
                redis.wait(timeout=10)
                stopped = load.now()
                result.notes.append(f"redis-server stopped (SIGTERM) at {stopped:.1f} s")
                load.run_until(stopped + 13)
            read_back(result, server.live.database_url)
            result.outcomes = load.outcomes
            fallback = log_lines(server, "fallback", "fall back", "falling back", "in-memory")
            result.notes += [f"log: {line}" for line in fallback[:5]]
            tracebacks = log_lines(server, "Traceback", "ConnectionError")
            result.notes.append(f"log: {len(tracebacks)} lines with Traceback/ConnectionError")
            for line in tracebacks[:3]:
                result.notes.append(f"log: {line}")
    after = [o for o in result.outcomes if o.started > stopped]
    result.notes.append(f"requests after Redis stopped: {len(after)}, statuses "
                        f"{dict(Counter(o.answer for o in after))}")  # fmt: skip
    result.check("Redis held rate limits before it stopped", keys not in ("", ":0"))
    result.check("no 5xx", not any(s >= 500 for s in result.statuses))
    result.check("no connection errors", not result.connection_errors)
    result.check("requests answered after Redis stopped", any(o.ok for o in after))
    result.check("a log line says the limiter fell back in-process", bool(fallback))
    result.reconcile_checks()


def sqlite_mix(result: Result, folder: Path) -> None:
    with gunicorn(folder) as server:
        community = make_community(server.live.database_url, folder / "instance", 8, 8, 1500)
        load = prepare_load(server, community)
        with load:
            load.run_until(30)
        read_back(result, server.live.database_url)
        result.outcomes = load.outcomes
        locked = log_lines(server, "database is locked")
        exhausted = sum(writer.exhausted for writer in load.writers)
    seconds = max((o.ended for o in result.outcomes), default=1)
    result.notes.append(
        f"{len(result.outcomes)} requests in {seconds:.1f} s "
        f"({len(result.outcomes) / seconds:.0f}/s); {len(result.hugs_ok)} hugs written "
        f"({len(result.hugs_ok) / seconds:.0f}/s); writers that ran out of stories: {exhausted}"
    )
    result.check(f'"database is locked" in the log: {len(locked)}', not locked)
    result.check("no 500", not result.statuses.get(500))
    result.check("no 5xx, no connection errors", not any(o.failed for o in result.outcomes))
    result.reconcile_checks()


SCENARIOS: dict[str, tuple[str, Callable[[Result, Path], None]]] = {
    "kill-worker": ("kill -9 a gunicorn worker under load (SQLite)", kill_worker),
    "postgres-restart": ("restart PostgreSQL under load (private cluster)", postgres_restart),
    "redis-stops": ("Redis stops under load (private redis-server)", redis_stops),
    "sqlite-mix": ("SQLite, 4 workers, 16 connections, reads + hugs, 30 s", sqlite_mix),
}


class ScenarioTimeout(Exception):
    pass


def _alarm(_signum, _frame):
    raise ScenarioTimeout(f"the scenario took more than {SCENARIO_LIMIT} s")


def run(name: str) -> Result:
    title, scenario = SCENARIOS[name]
    result = Result(name, title)
    print(f"\n== {name}: {title}", flush=True)
    folder = Path(tempfile.mkdtemp(prefix=f"cml-faults-{name}-"))
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(SCENARIO_LIMIT)
    started = time.monotonic()
    try:
        scenario(result, folder)
    except Exception as error:  # the run goes on with the next scenario; this one failed
        result.crashed = f"{type(error).__name__}: {error}"
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        shutil.rmtree(folder, ignore_errors=True)
    result.notes.append(f"scenario took {time.monotonic() - started:.0f} s, set-up included")
    print(describe(result), flush=True)
    return result


# --- reporting ----------------------------------------------------------------------------


def _errors(result: Result) -> str:
    parts = [f"{code}×{n}" for code, n in sorted(result.statuses.items()) if code >= 400]
    parts += [f"{kind}×{n}" for kind, n in sorted(result.connection_errors.items())]
    return ", ".join(parts) or "none"


def _answers(result: Result) -> str:
    return ", ".join(f"{code}×{n}" for code, n in sorted(result.statuses.items())) or "-"


def describe(result: Result) -> str:
    lines = [f"### {result.name}: {result.title}", ""]
    if result.outcomes:
        reads = sum(1 for o in result.outcomes if o.kind == "read")
        lines += [
            f"- requests sent: {len(result.outcomes)} ({reads} reads, "
            f"{len(result.outcomes) - reads} hug POSTs)",
            f"- successes (2xx/3xx): {sum(o.ok for o in result.outcomes)}",
            f"- answers by status: {_answers(result)}",
            f"- errors by kind: {_errors(result)}",
            f"- writes: {len(result.hugs_ok)} hugs answered 2xx/3xx; {len(result.hug_rows)} hug "
            f"rows in the database; answered but missing: {len(result.lost)}; rows whose "
            f"answer was lost: {result.extra}",
        ]
    lines += [f"- {note}" for note in result.notes]
    if result.crashed:
        lines.append(f"- **crashed**: {result.crashed}")
    lines += [f"- [{'x' if ok else ' '}] {text}" for text, ok in result.checks]
    lines.append(f"- **{'PASS' if result.passed else 'FAIL'}**")
    return "\n".join(lines) + "\n"


def summary(results: list[Result]) -> str:
    header = (
        "| scenario | requests | successes | errors by kind | hugs ok | hug rows | lost "
        "| result |\n|---|---:|---:|---|---:|---:|---:|---|"
    )
    rows = [
        f"| {r.name} | {len(r.outcomes)} | {sum(o.ok for o in r.outcomes)} | {_errors(r)} "
        f"| {len(r.hugs_ok)} | {len(r.hug_rows)} | {len(r.lost)} "
        f"| {'PASS' if r.passed else 'FAIL'} |"
        for r in results
    ]
    return "\n".join([header, *rows]) + "\n"


def _version(*command: str) -> str:
    with contextlib.suppress(Exception):
        return subprocess.run(command, capture_output=True, text=True, timeout=10).stdout.strip()
    return "?"


def report(results: list[Result], started: datetime) -> str:
    machine = (
        f"{platform.node()}: {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"{_version(str(PG_BIN / 'postgres'), '--version')}, "
        f"{_version('redis-server', '--version').split(' sha=')[0]}"
    )
    return "\n".join(
        [
            f"# Faults under load, {started:%Y-%m-%d %H:%M} UTC",
            "",
            f"Machine: {machine}. gunicorn with {WORKERS} sync workers (gunicorn.conf.py), "
            "load from a second process on loopback (threads, one logged-in member each).",
            "",
            summary(results),
            *[describe(result) for result in results],
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="", help="comma-separated scenario names")
    args = parser.parse_args(argv)
    names = [name for name in args.only.split(",") if name] or list(SCENARIOS)
    unknown = set(names) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios {sorted(unknown)}; known: {', '.join(SCENARIOS)}")
    started = datetime.now(UTC)
    results = [run(name) for name in names]
    text_out = report(results, started)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"faults-{started:%Y-%m-%d}.md"
    path.write_text(text_out)
    print("\n" + summary(results))
    print(f"written to {path.relative_to(ROOT)}")
    return 0 if all(result.passed for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
