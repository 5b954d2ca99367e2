"""``make bench``: the production configuration under load, on PostgreSQL and on SQLite.

    BENCH_SIZE=small .venv/bin/python bench/run.py

For each backend: prepare (or reuse) a database of the chosen size, start gunicorn with the
shipped gunicorn.conf.py in production mode on a free loopback port, load each key page with
wrk from this second process, run the logged-in journey (bench/journey.py), stop gunicorn and
write bench/results/<date>-<backend>-<size>.md (also printed) and, beside it, the same run's
numbers by page key as .json. At size full the report compares each page's p50 with the newest
medium .json of the same backend. A measurement, never a test: it exits 0 whether or not the
targets are met, and non-zero only when it could not measure.

Settings (environment):
  BENCH_SIZE        small | medium | full (default small)
  BENCH_SEED        seed for the generator (default 1)
  BENCH_BACKENDS    "postgresql sqlite" (default both), or one of them
  BENCH_DURATION    seconds of wrk per page (default 10); BENCH_JOURNEY_SECONDS (default 2x)
  BENCH_CONNECTIONS wrk -c (default 16); BENCH_THREADS wrk -t (default 2)
  BENCH_JOURNEY_MEMBERS simulated members in the journey (default 16)
  BENCH_PG_URL      the PostgreSQL server (default postgresql://postgres@127.0.0.1:5432/postgres)
  BENCH_PASSWORD    the members' password in the data (default: the demo/generator password)
  BENCH_SEARCH      the search words (default: "grateful", else the titles' most common word)
  BENCH_NOTE        a sentence added to the results file
  WEB_CONCURRENCY   gunicorn workers (default: the shipped config's, 2 per core)
"""

from __future__ import annotations

import collections
import contextlib
import datetime
import importlib
import importlib.metadata
import json
import os
import platform
import re
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import psycopg
from journey import LOGGED_IN_MARK, Client, Scenario, csrf_token, journey_table, run_journeys
from measure import (
    MAX_SCALE_GROWTH,
    Measurement,
    compare_scales,
    judge_all,
    markdown_pairs,
    markdown_table,
    p50s,
    parse_wrk,
    results_json,
    scale_table,
)
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
BIN = Path(sys.executable).parent
CACHE = ROOT / "instance" / "bench"
RESULTS = BENCH / "results"

#: Generator arguments per size: members, stories, reactions, groups.
SIZES = {
    "small": {"members": 1_000, "stories": 10_000, "reactions": 50_000, "groups": 30},
    "medium": {"members": 10_000, "stories": 100_000, "reactions": 500_000, "groups": 100},
    "full": {"members": 100_000, "stories": 1_000_000, "reactions": 5_000_000, "groups": 300},
}
TABLES = ("members", "stories", "comments", "reactions", "groups", "group_memberships")
READY_WITHIN_SECONDS = 60
#: Between two pages: how long the server may take to finish what the last wrk left queued.
IDLE_WITHIN_SECONDS = 180
IDLE_PROBES = 16  # as many at once as wrk's connections, so every worker must answer
IDLE_ANSWER_SECONDS = 0.05
STOP_WITHIN_SECONDS = 25


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


@dataclass
class Settings:
    size: str
    seed: int
    backends: list[str]
    duration: int
    journey_seconds: int
    connections: int
    threads: int
    journey_members: int
    pg_url: str
    note: str

    @classmethod
    def from_environment(cls) -> Settings:
        env = os.environ
        size = env.get("BENCH_SIZE", "small")
        if size not in SIZES:
            raise SystemExit(f"BENCH_SIZE must be one of {', '.join(SIZES)}, not {size!r}")
        duration = int(env.get("BENCH_DURATION", "10"))
        backends = env.get("BENCH_BACKENDS", "postgresql sqlite").replace(",", " ").split()
        if not backends or set(backends) - {"postgresql", "sqlite"}:
            raise SystemExit("BENCH_BACKENDS takes postgresql and/or sqlite")
        return cls(
            size=size,
            seed=int(env.get("BENCH_SEED", "1")),
            backends=backends,
            duration=duration,
            journey_seconds=int(env.get("BENCH_JOURNEY_SECONDS", str(2 * duration))),
            connections=int(env.get("BENCH_CONNECTIONS", "16")),
            threads=int(env.get("BENCH_THREADS", "2")),
            journey_members=int(env.get("BENCH_JOURNEY_MEMBERS", "16")),
            pg_url=env.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
            note=env.get("BENCH_NOTE", ""),
        )


# --- the environment of the app -------------------------------------------------------------


def _clean_environment() -> dict[str, str]:
    """The caller's environment without anything that points the app elsewhere."""
    from cml_earth.config import ENVIRONMENT_KEYS

    return {
        key: value
        for key, value in os.environ.items()
        if key not in ENVIRONMENT_KEYS
        and not key.startswith(("CML_", "FLASK_", "GUNICORN_", "BENCH_"))
        and key not in {"HOST", "PORT"}
    }


def _flask(args: list[str], env: dict, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(  # noqa: S603 (our own flask, fixed arguments)
        [str(BIN / "flask"), "--app", "cml_earth", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if check and done.returncode != 0:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done


def _prepare_environment(database_url: str) -> dict[str, str]:
    # Development mode for the data commands: `demo seed` refuses production on purpose.
    return _clean_environment() | {
        "CML_ENV": "development",
        "CML_INSTANCE_PATH": str(CACHE / "instance"),
        "DATABASE_URL": database_url,
        "RATELIMIT_ENABLED": "false",
    }


def generator_available() -> bool:
    env = _prepare_environment(f"sqlite:///{CACHE / 'probe.sqlite3'}")
    return _flask(["demo", "generate", "--help"], env, check=False).returncode == 0


def members_password() -> str:
    if os.environ.get("BENCH_PASSWORD"):
        return os.environ["BENCH_PASSWORD"]
    with contextlib.suppress(ImportError):
        generate = importlib.import_module("cml_earth.demo.generate")
        for name in ("PASSWORD", "GENERATED_PASSWORD", "MEMBER_PASSWORD", "DEMO_PASSWORD"):
            if isinstance(getattr(generate, name, None), str):
                return getattr(generate, name)
    from cml_earth.demo.data import DEMO_PASSWORD

    return DEMO_PASSWORD


# --- data, cached between runs --------------------------------------------------------------


def _fill(database_url: str, settings: Settings, generated: bool) -> None:
    env = _prepare_environment(database_url)
    _flask(["db", "upgrade"], env)
    if generated:
        sizes = SIZES[settings.size]
        args = [f"--{key}={value}" for key, value in sizes.items()]
        say(f"generating {settings.size} data ({', '.join(args)}); this takes a while")
        # Not captured: the generator's progress bar is worth seeing.
        command = [str(BIN / "flask"), "--app", "cml_earth", "demo", "generate", *args]
        command.append(f"--seed={settings.seed}")
        subprocess.run(command, cwd=ROOT, env=env, check=True)  # noqa: S603 (fixed arguments)
    else:
        _flask(["demo", "seed"], env)


def _pg_url(settings: Settings, database: str, driver: str = "postgresql+psycopg") -> str:
    url = make_url(settings.pg_url).set(drivername=driver, database=database)
    return url.render_as_string(hide_password=False)


def _pg_admin(settings: Settings) -> psycopg.Connection:
    return psycopg.connect(_pg_url(settings, "postgres", "postgresql"), autocommit=True)


def postgres_database(settings: Settings, label: str, generated: bool) -> str:
    """``cml_earth_bench_<label>``: reused when present, else built under a temporary name."""
    name = f"cml_earth_bench_{label}"
    building = f"{name}_building"
    with _pg_admin(settings) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists:
            say(f"reusing PostgreSQL database {name}")
            return _pg_url(settings, name)
        admin.execute(f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{building}"')
    try:
        _fill(_pg_url(settings, building), settings, generated)
    except BaseException:
        with _pg_admin(settings) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)')
        raise
    with _pg_admin(settings) as admin:
        admin.execute(f'ALTER DATABASE "{building}" RENAME TO "{name}"')
    return _pg_url(settings, name)


def sqlite_database(label: str, settings: Settings, generated: bool) -> str:
    """``instance/bench/<label>.sqlite3``: reused when present, else built beside it."""
    path = CACHE / f"{label}.sqlite3"
    if path.exists():
        say(f"reusing SQLite database {path}")
        return f"sqlite:///{path}"
    building = path.with_suffix(".building")
    for leftover in CACHE.glob(building.name + "*"):
        leftover.unlink()
    _fill(f"sqlite:///{building}", settings, generated)
    os.replace(building, path)
    return f"sqlite:///{path}"


# --- what to load, from the data -------------------------------------------------------------

VISIBLE_STORIES = """
    FROM stories s LEFT JOIN groups g ON g.id = s.group_id
    WHERE s.hidden_at IS NULL AND s.visibility IN ('public', 'members')
      AND (s.group_id IS NULL OR (g.visibility <> 'group' AND g.status = 'active'))
"""


@dataclass
class Fixtures:
    login: str
    logins: list[str]
    story_id: int
    story_comments: int
    story_reactions: int
    author: str
    hug_story_ids: list[int]
    group_slug: str
    search: str
    counts: dict[str, int]
    server_version: str


def find_fixtures(database_url: str) -> Fixtures:
    from cml_earth.config import Defaults

    engine = create_engine(database_url)
    try:
        with engine.connect() as db:
            logins = db.execute(
                text(
                    "SELECT username FROM members WHERE role = 'patient'"
                    " AND totp_enabled_at IS NULL AND email_verified_at IS NOT NULL"
                    " AND suspended_until IS NULL AND guidelines_version = :version"
                    " ORDER BY id LIMIT 16"
                ),
                {"version": Defaults.GUIDELINES_VERSION},
            ).scalars()
            logins = list(logins)
            if not logins:
                raise SystemExit("no patient in the data can log in (verified, no 2FA)")
            # The story closest to 50 words of support (at least 50 when there is one).
            story = db.execute(
                text(
                    "SELECT s.id, s.comment_count, s.hug_count + s.high_five_count, m.username"
                    f" {VISIBLE_STORIES.replace('FROM stories s', 'FROM stories s JOIN members m ON m.id = s.author_id')}"  # noqa: E501
                    " ORDER BY CASE WHEN s.comment_count >= 50 THEN 0 ELSE 1 END,"
                    " CASE WHEN s.comment_count >= 50 THEN s.comment_count"
                    " ELSE -s.comment_count END, s.id LIMIT 1"
                )
            ).one()
            # The profile: the patient with the most stories whose profile every member may
            # see (the story's own author may have chosen a narrower audience).
            profile_author = db.execute(
                text(
                    "SELECT m.username FROM members m JOIN profiles p ON p.member_id = m.id"
                    " WHERE m.role = 'patient' AND p.hidden_at IS NULL"
                    " AND p.profile_visibility IN ('public', 'members')"
                    " ORDER BY (SELECT count(*) FROM stories s WHERE s.author_id = m.id) DESC,"
                    " m.id LIMIT 1"
                )
            ).scalar_one()
            hug_ids = db.execute(
                text(
                    f"SELECT s.id {VISIBLE_STORIES} AND s.author_id NOT IN"  # noqa: S608 (constant)
                    " (SELECT id FROM members WHERE username IN :names)"
                    " ORDER BY s.id DESC LIMIT 200"
                ).bindparams(_expanding("names")),
                {"names": logins},
            ).scalars()
            hug_ids = list(hug_ids)
            group = db.execute(
                text(
                    "SELECT g.slug FROM groups g LEFT JOIN group_memberships gm"
                    " ON gm.group_id = g.id WHERE g.status = 'active' AND g.visibility <> 'group'"
                    " GROUP BY g.id, g.slug ORDER BY count(gm.id) DESC, g.id LIMIT 1"
                )
            ).scalar_one()
            # Every title with how often it occurs: the generator reuses a fixed set of texts,
            # so the most common word is the same at every size and the sizes compare.
            titles = db.execute(text("SELECT title, count(*) FROM stories GROUP BY title")).all()
            counts = {
                table: db.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()  # noqa: S608
                for table in TABLES
            }
            if engine.dialect.name == "postgresql":
                server = db.execute(text("SHOW server_version")).scalar_one()
                server_version = f"PostgreSQL {server}"
            else:
                server_version = f"SQLite {sqlite3.sqlite_version}"
    finally:
        engine.dispose()
    return Fixtures(
        login=logins[0],
        logins=logins,
        story_id=story[0],
        story_comments=story[1],
        story_reactions=story[2],
        author=profile_author,
        hug_story_ids=list(hug_ids),
        group_slug=group,
        search=os.environ.get("BENCH_SEARCH") or _search_word(titles),
        counts=counts,
        server_version=server_version,
    )


def _expanding(name: str):
    from sqlalchemy import bindparam

    return bindparam(name, expanding=True)


#: The search of the benchmark: a common word of the generator's stories at every size, so the
#: sizes compare (the most common word differs from size to size, and "about" is a stopword).
SEARCH_WORD = "grateful"


def _search_word(titles) -> str:
    """SEARCH_WORD when the titles have it, else their most common word (the demo data)."""
    if any(SEARCH_WORD in title.lower() for title, _count in titles):
        return SEARCH_WORD
    return _common_word(titles)


def _common_word(titles) -> str:
    """The most frequent word of five letters or more, from (title, how many stories) rows."""
    words = collections.Counter()
    for title, count in titles:
        for word in re.findall(r"\w{5,}", title):
            words[word.lower()] += count
    return min(words, key=lambda word: (-words[word], word)) if words else "treatment"


# --- the server -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def production_server(database_url: str, log: Path):
    """gunicorn -c gunicorn.conf.py wsgi:app, CML_ENV=production, on a free loopback port."""
    port = free_port()
    env = _clean_environment() | {
        "CML_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": database_url,
        "CML_INSTANCE_PATH": str(CACHE / "instance"),
        "SITE_URL": f"http://127.0.0.1:{port}",
        # Measured: the pages, not the limiter telling one member to slow down.
        "RATELIMIT_ENABLED": "false",
        # The access log line per request goes nowhere: a terminal would be the bottleneck.
        "GUNICORN_ACCESSLOG": "/dev/null",
        "HOST": "127.0.0.1",
        "PORT": str(port),
    }
    if os.environ.get("WEB_CONCURRENCY"):
        env["WEB_CONCURRENCY"] = os.environ["WEB_CONCURRENCY"]
    with log.open("wb") as log_file:
        process = subprocess.Popen(  # noqa: S603 (our own gunicorn, fixed arguments)
            [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_until_ready(process, port, log)
        yield port
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=STOP_WITHIN_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _wait_until_ready(process: subprocess.Popen, port: int, log: Path) -> None:
    deadline = time.monotonic() + READY_WITHIN_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {process.returncode}:\n{log.read_text()}")
        with contextlib.suppress(OSError):
            status, _, _ = Client("127.0.0.1", port, timeout=2).request("/readyz")
            if status == 200:
                return
        time.sleep(0.2)  # polling while the workers boot
    raise SystemExit(
        f"gunicorn did not become ready in {READY_WITHIN_SECONDS} s:\n{log.read_text()}"
    )


def _healthz_seconds(port: int) -> float:
    began = time.monotonic()
    client = Client("127.0.0.1", port, timeout=IDLE_WITHIN_SECONDS)
    try:
        client.request("/healthz")
    except OSError:
        return float("inf")
    finally:
        client.close()
    return time.monotonic() - began


def wait_until_idle(port: int) -> None:
    """Wait until the requests the last wrk left in gunicorn's backlog are done.

    wrk stops sending when its time is up, but the server still works through what it queued:
    measured straight away, the next page would pay for the last one (a page after the slow
    feed read ten times slower than it is). Idle: ``IDLE_PROBES`` /healthz at once all answer
    within ``IDLE_ANSWER_SECONDS``.
    """
    deadline = time.monotonic() + IDLE_WITHIN_SECONDS
    with ThreadPoolExecutor(IDLE_PROBES) as pool:
        while time.monotonic() < deadline:
            answers = list(pool.map(_healthz_seconds, [port] * IDLE_PROBES))
            if max(answers) <= IDLE_ANSWER_SECONDS:
                return
            time.sleep(0.5)  # polling the backlog, not a measurement
    say(f"the server was still busy after {IDLE_WITHIN_SECONDS} s; measuring anyway")


# --- loading it -----------------------------------------------------------------------------


@dataclass
class Page:
    key: str  # the same at every size, for comparing sizes; the name has data in it
    name: str
    path: str
    logged_in: bool = True


#: The hug POST's measurement key (it is not a Page: bench/lua/hug.lua writes its paths).
HUG_KEY = "hug"


def key_pages(fixtures: Fixtures) -> list[Page]:
    search = urllib.parse.urlencode({"q": fixtures.search})
    return [
        Page("healthz", "/healthz", "/healthz", logged_in=False),
        Page("feed", "home feed (member)", "/"),
        Page("profile", f"profile /members/{fixtures.author}", f"/members/{fixtures.author}"),
        Page(
            "story",
            f"story ({fixtures.story_comments} words of support, "
            f"{fixtures.story_reactions} reactions)",
            f"/stories/{fixtures.story_id}",
        ),
        Page("group-search", 'group search "Sverige"', "/groups/?q=Sverige"),
        Page("country", "country page /groups/country/SE", "/groups/country/SE"),
        Page(
            "group", f"group page /groups/{fixtures.group_slug}", f"/groups/{fixtures.group_slug}"
        ),
        Page("search", f"search results /search?{search}", f"/search?{search}"),
    ]


def check_pages(port: int, pages: list[Page], cookie: str) -> None:
    """Each page answers 200 (a member's pages with the member logged in) before it is loaded."""
    for page in pages:
        client = Client("127.0.0.1", port)
        headers = {"Cookie": cookie} if page.logged_in else {}
        status, body, _ = client.request(page.path, headers=headers)
        client.close()
        if status != 200 or (page.logged_in and LOGGED_IN_MARK not in body):
            raise SystemExit(f"{page.path} answered {status} (logged in: {page.logged_in})")


def check_hug(port: int, story_id: int, cookie: str, token: str) -> None:
    """A hug and its taking back answer 200 with JSON (a 302 to the login page would not)."""
    client = Client("127.0.0.1", port)
    for action in ("add", "remove"):
        status, body, _ = client.request(
            f"/stories/{story_id}/reactions/hug",
            {"csrf_token": token, "action": action},
            {"Cookie": cookie, "Accept": "application/json"},
        )
        if status != 200 or '"count"' not in body:
            raise SystemExit(f"the hug POST ({action}) answered {status}: {body[:200]}")
    client.close()


def wrk(
    settings: Settings, port: int, path: str, headers: dict, script: Path | None = None, env=None
) -> str:
    command = [
        "wrk",
        f"-t{settings.threads}",
        f"-c{settings.connections}",
        f"-d{settings.duration}s",
        "--timeout",
        "10s",
        "--latency",
    ]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    if script:
        command += ["-s", str(script)]
    command.append(f"http://127.0.0.1:{port}{path}")
    done = subprocess.run(  # noqa: S603 (wrk on our own loopback server)
        command, capture_output=True, text=True, check=True, env=os.environ | (env or {})
    )
    return done.stdout


def load_pages(settings: Settings, port: int, fixtures: Fixtures) -> tuple[list[Measurement], str]:
    member = Client("127.0.0.1", port)
    member.log_in(fixtures.login, members_password())
    _, page, _ = member.request(f"/stories/{fixtures.hug_story_ids[0]}")
    token = csrf_token(page)
    cookie = member.cookie_header
    member.close()
    pages = key_pages(fixtures)
    check_pages(port, pages, cookie)
    check_hug(port, fixtures.hug_story_ids[0], cookie, token)
    measurements = []
    samples = []
    for page in pages:
        wait_until_idle(port)
        say(f"wrk {page.path}")
        output = wrk(settings, port, page.path, {"Cookie": cookie} if page.logged_in else {})
        samples.append(output)
        measurements.append(parse_wrk(page.name, output, key=page.key))
    wait_until_idle(port)
    say(f"wrk hug POST over {len(fixtures.hug_story_ids)} stories")
    output = wrk(
        settings,
        port,
        "/stories/0/reactions/hug",  # the script writes each request's path
        {},
        script=BENCH / "lua" / "hug.lua",
        env={
            "BENCH_COOKIE": cookie,
            "BENCH_CSRF": urllib.parse.quote(token, safe=""),
            "BENCH_STORIES": ",".join(map(str, fixtures.hug_story_ids)),
            "BENCH_THREADS": str(settings.threads),
        },
    )
    samples.append(output)
    measurements.append(parse_wrk("hug POST (toggles, JSON)", output, write=True, key=HUG_KEY))
    return measurements, "\n\n".join(samples)


# --- the report -----------------------------------------------------------------------------


def machine() -> list[tuple[str, str]]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
    memory = re.search(r"^MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text(), re.MULTILINE)
    load = Path("/proc/loadavg").read_text().split()[:3]
    return [
        ("CPU", model.group(1) if model else platform.processor() or "unknown"),
        ("cores", str(os.cpu_count())),
        ("RAM", f"{int(memory.group(1)) / 1024 / 1024:.1f} GiB" if memory else "unknown"),
        ("load average at start (1, 5, 15 min)", " ".join(load)),
        ("kernel", platform.release()),
    ]


def versions(server_version: str) -> list[tuple[str, str]]:
    wrk_version = subprocess.run(
        ["wrk", "--version"],  # noqa: S607 (wrk from PATH, as make bench-deps installs it)
        capture_output=True,
        text=True,
        check=False,
    )
    packages = ("flask", "sqlalchemy", "gunicorn", "psycopg", "jinja2")
    return [
        ("Python", platform.python_version()),
        *((name, importlib.metadata.version(name)) for name in packages),
        ("database", server_version),
        ("SQLite library", sqlite3.sqlite_version),
        ("wrk", (wrk_version.stdout or wrk_version.stderr).splitlines()[0].split(" [")[0]),
    ]


def workers() -> str:
    if os.environ.get("WEB_CONCURRENCY"):
        return os.environ["WEB_CONCURRENCY"]
    return f"{(os.cpu_count() or 1) * 2} (gunicorn.conf.py default: 2 per core)"


def scale_section(backend: str, size: str, measurements: list[Measurement]) -> list[str]:
    """At size full: each page's p50 against the newest medium run of the same backend."""
    if size != "full":
        return []
    lines = ["## p50 at full size against medium", ""]
    # File names start with the date, so the last in name order is the newest.
    candidates = sorted(RESULTS.glob(f"*-{backend}-medium.json"))
    if not candidates:
        return [
            *lines,
            f"No medium result for {backend} exists (bench/results/*-{backend}-medium.json), "
            "so there is nothing to compare with. Make one with `BENCH_SIZE=medium make bench` "
            f"(or `BENCH_SIZE=medium BENCH_BACKENDS={backend} make bench`), then run this "
            "size again.",
            "",
        ]
    medium_path = candidates[-1]
    medium = json.loads(medium_path.read_text())
    members = medium.get("counts", {}).get("members")
    rows = compare_scales(p50s(medium), measurements)
    failed = sum(not row.passed for row in rows)
    return [
        *lines,
        f"Compared with `{medium_path.relative_to(ROOT)}` (run {medium.get('started', '?')}"
        + (f", {members:,} members" if isinstance(members, int) else "")
        + f"). {len(rows) - failed} of {len(rows)} rows meet the target.",
        "",
        scale_table(rows, "medium", "full"),
        "",
        f"Target: each page's p50 at full size (100,000 members) ≤ {MAX_SCALE_GROWTH} × its p50 "
        "at medium (10,000 members), pages matched by key. /healthz does not touch the data: "
        "its growth shows how much the two runs differ anyway.",
        "",
    ]


def report(
    settings,
    backend,
    generated,
    fixtures,
    verdicts,
    journey,
    started,
    machine_rows,
    scale: list[str] | None = None,
) -> str:
    data = ", ".join(f"{table} {count:,}" for table, count in fixtures.counts.items())
    source = (
        f"`flask demo generate` size {settings.size}, seed {settings.seed}"
        if generated
        else "**the small demo community (`flask demo seed`)**: the generator "
        "(`flask demo generate`) was not available, so BENCH_SIZE had no effect"
    )
    failed = sum(not verdict.passed for verdict in verdicts)
    lines = [
        f"# Benchmark: {backend}, {settings.size if generated else 'demo'} data",
        "",
        f"Run {started:%Y-%m-%d %H:%M} UTC by `make bench` (bench/run.py). "
        f"{len(verdicts) - failed} of {len(verdicts)} rows meet their targets.",
        "",
        *([settings.note, ""] if settings.note else []),
        markdown_table(verdicts),
        "",
        "Targets: every key page ≥ 0.35 of /healthz's requests per second in the same run; "
        "p99 of read pages ≤ 50 ms at 16 connections; zero errors (non-2xx/3xx answers and "
        "socket errors). The hug POST is a write: the p99 target does not apply to it.",
        "",
        *(scale or []),
        "## Logged-in journey",
        "",
        f"bench/journey.py (threads, standard library; not locust): {settings.journey_members} "
        "members at once, each repeating log in → home feed → story → hug → search → group "
        f"page → log out; new journeys start for {settings.journey_seconds} s and the last "
        "ones are finished.",
        "",
        journey_table(journey),
        "",
        "## Data",
        "",
        f"- **source**: {source}",
        f"- **rows**: {data}",
        f"- **bench member** (wrk): {fixtures.login}; the journey logs in as "
        f"{len(fixtures.logins)} different patients in turn",
        f"- **hug POST**: {len(fixtures.hug_story_ids)} stories by others, each thread sending "
        "hugs then taking them back, so every request writes",
        "",
        "## Settings",
        "",
        markdown_pairs(
            [
                ("server", "gunicorn -c gunicorn.conf.py wsgi:app, CML_ENV=production"),
                ("workers", workers()),
                ("wrk", f"-t{settings.threads} -c{settings.connections} -d{settings.duration}s"),
                (
                    "rate limits",
                    "off (RATELIMIT_ENABLED=false): the bench member sends "
                    "thousands of hugs a minute and would otherwise meet 429",
                ),
                ("access log", "off (GUNICORN_ACCESSLOG=/dev/null)"),
                ("client", "wrk and the journey run on the same machine, over loopback"),
            ]
        ),
        "",
        "## Machine",
        "",
        markdown_pairs(machine_rows),
        "",
        "## Versions",
        "",
        markdown_pairs(versions(fixtures.server_version)),
        "",
    ]
    return "\n".join(lines)


def bench_backend(settings: Settings, backend: str, generated: bool, started) -> Path:
    label = f"{settings.size}_s{settings.seed}" if generated else "demo"
    machine_rows = machine()
    if backend == "postgresql":
        database_url = postgres_database(settings, label, generated)
    else:
        database_url = sqlite_database(label, settings, generated)
    fixtures = find_fixtures(database_url)
    log = CACHE / f"gunicorn-{backend}.log"
    with production_server(database_url, log) as port:
        say(f"gunicorn (production) on 127.0.0.1:{port}, {backend}")
        measurements, samples = load_pages(settings, port, fixtures)
        (CACHE / f"wrk-{backend}.txt").write_text(samples)  # wrk's own words, for a second look
        say(f"journey: {settings.journey_members} members for {settings.journey_seconds} s")
        scenario = Scenario(
            logins=fixtures.logins,
            password=members_password(),
            story_ids=fixtures.hug_story_ids,
            search_path="/search?" + urllib.parse.urlencode({"q": fixtures.search}),
            group_path=f"/groups/{fixtures.group_slug}",
        )
        journey = run_journeys(port, scenario, settings.journey_members, settings.journey_seconds)
    verdicts = judge_all(measurements)
    size = settings.size if generated else "demo"
    scale = scale_section(backend, size, measurements)
    text_ = report(
        settings, backend, generated, fixtures, verdicts, journey, started, machine_rows, scale
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{started:%Y-%m-%d}-{backend}-{size}.md"
    path.write_text(text_)
    numbers = results_json(backend, size, started, fixtures.counts, measurements)
    path.with_suffix(".json").write_text(json.dumps(numbers, indent=2) + "\n")
    print(text_, flush=True)
    say(f"written to {path.relative_to(ROOT)} and {path.with_suffix('.json').name}")
    return path


def main() -> int:
    settings = Settings.from_environment()
    CACHE.mkdir(parents=True, exist_ok=True)
    generated = generator_available()
    if not generated:
        say(
            "`flask demo generate` is not available yet: using `flask demo seed`, "
            f"the small demo community (BENCH_SIZE={settings.size} has no effect)"
        )
    started = datetime.datetime.now(datetime.UTC)
    for backend in settings.backends:
        bench_backend(settings, backend, generated, started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
