"""Where a key page's time goes, in-process: SQL against Python (template, ORM), per page.

Usage, on a database `make bench` built (or any generated one):

    .venv/bin/python bench/profile_pages.py postgresql+psycopg://postgres@127.0.0.1/cml_earth_bench_medium_s1
    .venv/bin/python bench/profile_pages.py sqlite:///instance/bench/medium_s1.sqlite3 --html

It logs in as the benchmark's member with Flask's test client (no server, no network), asks each
key page ``--repeat`` times after one warm-up, and prints per page the mean time, the time spent
in the database driver and the number of statements. ``--html`` also writes a pyinstrument
profile per page under ``bench/results/profiles/`` (pyinstrument is a development dependency).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

from journey import csrf_token
from run import CACHE, RESULTS, find_fixtures, key_pages, members_password

PROFILES = RESULTS / "profiles"


def _app(database_url: str):
    os.environ.update(
        {
            "CML_ENV": "production",
            "CML_INSTANCE_PATH": str(CACHE / "instance"),
            "DATABASE_URL": database_url,
            "SECRET_KEY": "profile-pages-" + "x" * 40,
            "RATELIMIT_ENABLED": "false",
        }
    )
    from cml_earth import create_app

    return create_app()


def _log_in(client, login: str) -> None:
    token = csrf_token(client.get("/auth/login").get_data(as_text=True))
    answer = client.post(
        "/auth/login",
        data={"csrf_token": token, "login": login, "password": members_password()},
    )
    if answer.status_code != 302:
        raise SystemExit(f"could not log in as {login}: {answer.status_code}")


class Https:
    """The test client over https: production cookies are Secure."""

    def __init__(self, client) -> None:
        self.client = client

    def get(self, path: str):
        return self.client.get(path, base_url="https://localhost")

    def post(self, path: str, **kwargs):
        # Flask-WTF checks the referrer of a form posted over https.
        headers = {"Referer": "https://localhost" + path}
        return self.client.post(path, base_url="https://localhost", headers=headers, **kwargs)


class Timer:
    """Time spent inside the driver's execute, and how many statements, per request."""

    def __init__(self, engine) -> None:
        from sqlalchemy import event

        self.seconds = 0.0
        self.statements = 0
        self.each: list[tuple[float, str]] = []
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, parameters, context, executemany) -> None:
        conn.info["profile_started"] = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany) -> None:
        took = time.perf_counter() - conn.info.pop("profile_started")
        self.seconds += took
        self.statements += 1
        self.each.append((took, " ".join(statement.split())))

    def reset(self) -> None:
        self.seconds, self.statements, self.each = 0.0, 0, []


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database_url")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--html", action="store_true", help="write pyinstrument profiles")
    parser.add_argument("--only", help="only pages whose name contains this")
    parser.add_argument("--sql", action="store_true", help="each statement's time, once")
    options = parser.parse_args()

    fixtures = find_fixtures(options.database_url)
    app = _app(options.database_url)
    client = Https(app.test_client())
    with app.app_context():
        from cml_earth.extensions import db

        timer = Timer(db.engine)
    _log_in(client, fixtures.login)
    print(f"{'page':58} {'mean ms':>8} {'SQL ms':>8} {'queries':>8}")
    for page in key_pages(fixtures):
        if options.only and options.only not in page.name:
            continue
        assert client.get(page.path).status_code == 200, page.path  # warm-up
        totals, sql = [], []
        for _ in range(options.repeat):
            timer.reset()
            started = time.perf_counter()
            answer = client.get(page.path)
            totals.append(time.perf_counter() - started)
            sql.append(timer.seconds)
            assert answer.status_code == 200, (page.path, answer.status_code)
        print(
            f"{page.name[:58]:58} {statistics.mean(totals) * 1000:8.1f}"
            f" {statistics.mean(sql) * 1000:8.1f} {timer.statements:8d}"
        )
        if options.sql:
            for took, statement in timer.each:
                print(f"    {took * 1000:7.2f} ms  {statement[:150]}")
        if options.html:
            from pyinstrument import Profiler

            PROFILES.mkdir(parents=True, exist_ok=True)
            profiler = Profiler(interval=0.0005)
            with profiler:
                for _ in range(options.repeat):
                    client.get(page.path)
            name = "".join(c if c.isalnum() else "-" for c in page.name)[:60].strip("-")
            target = PROFILES / f"{name}.html"
            target.write_text(profiler.output_html())
            print(f"    profile: {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
