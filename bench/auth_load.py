"""Load on the account pages: concurrent members registering, logging in and out, for a while.

    python bench/auth_load.py --base-url http://127.0.0.1:5000 --clients 16 --seconds 30

Each client repeats register -> login -> home -> logout (with the real forms and CSRF tokens)
until the time is up, then finishes its journey. Prints requests per status, 5xx, journeys and
p50/p99 latency per step; exits 1 on any 5xx, unexpected status or connection error. Run it
against a server with rate limiting off (RATELIMIT_ENABLED=false), or registrations hit 429.
Standard library only.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import math
import re
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')

#: Steps of one journey and the status each must answer with.
STEPS = {
    "register form": 200,
    "register": 302,
    "login form": 200,
    "login": 302,
    "home": 200,
    "logout": 302,
}


class _KeepRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Client:
    """One visitor with its own cookies; redirects are answers, never followed."""

    def __init__(self, base_url: str, timeout: float):
        self.base_url = base_url
        self.timeout = timeout
        self._opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _KeepRedirects()
        )

    def request(self, path: str, data: dict | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base_url + path, data=body)  # noqa: S310 (http only)
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            with error:
                return error.code, error.read().decode(errors="replace")


def csrf_token(html: str) -> str:
    match = CSRF_RE.search(html)
    return next((group for group in match.groups() if group), "") if match else ""


@dataclass
class Results:
    """What all clients saw; one lock, since clients report from their own threads."""

    statuses: Counter = field(default_factory=Counter)
    latencies: dict = field(default_factory=lambda: defaultdict(list))
    completed: Counter = field(default_factory=Counter)
    unexpected: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, step: str, status: int, seconds: float, expected: bool) -> None:
        with self.lock:
            self.statuses[status] += 1
            self.latencies[step].append(seconds)
            if expected:
                self.completed[step] += 1
            else:
                self.unexpected.append((step, status))


def run_client(number: int, args, run: str, deadline: float, results: Results) -> None:
    client = Client(args.base_url, args.timeout)
    journey = 0

    def step(name: str, path: str, data: dict | None = None, check=None) -> str | None:
        started = time.perf_counter()
        status, text = client.request(path, data)
        ok = status == STEPS[name] and (check is None or check(text))
        results.add(name, status, time.perf_counter() - started, ok)
        return text if ok else None

    while time.monotonic() < deadline:
        username = f"load{run}c{number}j{journey}"
        password = f"quiet lake walk {number} {journey}"
        journey += 1
        try:
            page = step("register form", "/auth/register")
            if page is None:
                continue
            registration = {
                "csrf_token": csrf_token(page),
                "username": username,
                "email": f"{username}@example.org",
                "password": password,
                "password_confirm": password,
                "role": "patient",
                "country_code": "SE",
                "locale": "en",
                "age_confirmed": "y",
                "accept_guidelines": "y",
            }
            if step("register", "/auth/register", registration) is None:
                continue
            page = step("login form", "/auth/login")
            if page is None:
                continue
            login = {"csrf_token": csrf_token(page), "login": username, "password": password}
            if step("login", "/auth/login", login) is None:
                continue
            page = step("home", "/", check=lambda text, name=username: name in text)
            if page is None:
                continue
            step("logout", "/auth/logout", {"csrf_token": csrf_token(page)})
        except OSError as error:  # refused, reset, timed out: the server failed this client
            with results.lock:
                results.errors.append(f"client {number}: {error!r}")
            return  # a server that drops connections is failing; retrying only floods it


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def report(results: Results, elapsed: float) -> None:
    total = sum(results.statuses.values())
    server_errors = sum(n for status, n in results.statuses.items() if status >= 500)
    print(f"elapsed: {elapsed:.1f} s")
    print(f"total requests: {total} ({total / elapsed:.1f}/s)")
    for status, n in sorted(results.statuses.items()):
        print(f"  status {status}: {n}")
    print(f"5xx responses: {server_errors}")
    print(f"unexpected statuses: {len(results.unexpected)} {Counter(results.unexpected)}")
    print(f"connection errors: {len(results.errors)}")
    for error in results.errors[:5]:
        print(f"  {error}")
    print(f"registrations completed: {results.completed['register']}")
    print(f"logins completed: {results.completed['login']}")
    print(f"journeys completed: {results.completed['logout']}")
    print(f"{'step':<14} {'count':>6} {'p50 ms':>8} {'p99 ms':>8}")
    for step in STEPS:
        values = results.latencies.get(step, [])
        if values:
            p50, p99 = percentile(values, 0.50) * 1000, percentile(values, 0.99) * 1000
            print(f"{step:<14} {len(values):>6} {p50:>8.0f} {p99:>8.0f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:5000")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--timeout", type=float, default=60, help="per request, in seconds")
    args = parser.parse_args(argv)
    args.base_url = args.base_url.rstrip("/")
    if urllib.parse.urlsplit(args.base_url).scheme not in {"http", "https"}:
        parser.error(f"--base-url must be http(s), not {args.base_url!r}")

    results = Results()
    run = uuid.uuid4().hex[:6]  # unique names, so runs against the same database never clash
    started = time.monotonic()
    deadline = started + args.seconds
    clients = [
        threading.Thread(target=run_client, args=(n, args, run, deadline, results))
        for n in range(args.clients)
    ]
    for client in clients:
        client.start()
    for client in clients:
        client.join()
    report(results, time.monotonic() - started)
    failed = results.unexpected or results.errors or any(s >= 500 for s in results.statuses)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
