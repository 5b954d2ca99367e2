"""A small HTTP client and the logged-in journey scenario of ``make bench``.

Standard library only. The production configuration marks cookies Secure, and the stdlib's
(and requests') cookie jars rightly refuse to send those over plain http; the benchmark talks
to loopback over http, so this client keeps its cookies itself: a Cookie header is only a header.

The journey, repeated by each simulated member until the time is up: log in (the real form and
its CSRF token), home feed, a story, a hug on it (sent, or taken back on the next round), search,
a group page, log out.
"""

from __future__ import annotations

import http.client
import re
import threading
import time
import urllib.parse
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from measure import percentile

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
LOGGED_IN_MARK = "/auth/logout"  # the logout form is on every page a member sees


def csrf_token(html: str) -> str:
    match = CSRF_RE.search(html)
    return next((group for group in match.groups() if group), "") if match else ""


class Client:
    """One visitor on one keep-alive connection, with its own cookies; redirects not followed."""

    def __init__(self, host: str, port: int, timeout: float = 30):
        self.host, self.port, self.timeout = host, port, timeout
        self.cookies: dict[str, str] = {}
        self._connection: http.client.HTTPConnection | None = None

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def request(
        self, path: str, data: dict | None = None, headers: dict | None = None
    ) -> tuple[int, str, http.client.HTTPMessage]:
        body = urllib.parse.urlencode(data) if data is not None else None
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = self.cookie_header
        if body is not None:
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):  # a keep-alive connection the server closed is reopened once
            if self._connection is None:
                self._connection = http.client.HTTPConnection(
                    self.host, self.port, timeout=self.timeout
                )
            try:
                self._connection.request("POST" if body is not None else "GET", path, body, sent)
                response = self._connection.getresponse()
                text = response.read().decode(errors="replace")
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()
                if attempt == 2:
                    raise
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if "max-age=0" in header.lower() or "expires=thu, 01 jan 1970" in header.lower():
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value
        if response.getheader("Connection", "").lower() == "close":
            self.close()
        return response.status, text, response.headers

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def log_in(self, login: str, password: str) -> None:
        """Log in with the real form; raises RuntimeError when the site does not let us in."""
        status, page, _ = self.request("/auth/login")
        if status != 200:
            raise RuntimeError(f"GET /auth/login answered {status}")
        status, _, headers = self.request(
            "/auth/login", {"csrf_token": csrf_token(page), "login": login, "password": password}
        )
        if status != 302 or headers.get("Location", "").rstrip("/").endswith("/auth/login"):
            raise RuntimeError(f"logging in as {login} answered {status} {headers.get('Location')}")


@dataclass
class Scenario:
    """What the journey needs from the data: who logs in and what they open."""

    logins: list[str]
    password: str
    story_ids: list[int]
    search_path: str
    group_path: str


#: Each step's name and the status it must answer with.
STEPS = {
    "login form": 200,
    "login": 302,
    "feed": 200,
    "story": 200,
    "hug": 200,
    "search": 200,
    "group": 200,
    "logout": 302,
}


@dataclass
class JourneyResults:
    statuses: Counter = field(default_factory=Counter)
    latencies: dict = field(default_factory=lambda: defaultdict(list))
    unexpected: Counter = field(default_factory=Counter)
    errors: list = field(default_factory=list)
    journeys: int = 0
    seconds: float = 0.0  # from the start until the last member finished its journey
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, step: str, status: int, seconds: float, ok: bool) -> None:
        with self.lock:
            self.statuses[status] += 1
            self.latencies[step].append(seconds * 1000)
            if not ok:
                self.unexpected[(step, status)] += 1

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    @property
    def error_count(self) -> int:
        return sum(self.unexpected.values()) + len(self.errors)


def _member(number: int, scenario: Scenario, port: int, deadline: float, results) -> None:
    client = Client("127.0.0.1", port)
    round_ = 0

    def step(name: str, path: str, data=None, headers=None, must_contain=None):
        started = time.perf_counter()
        status, text, _ = client.request(path, data, headers)
        ok = status == STEPS[name] and (must_contain is None or must_contain in text)
        results.add(name, status, time.perf_counter() - started, ok)
        return text if ok else None

    try:
        while time.monotonic() < deadline:
            login = scenario.logins[number % len(scenario.logins)]
            story = scenario.story_ids[(number + round_ * 7) % len(scenario.story_ids)]
            action = "add" if round_ % 2 == 0 else "remove"
            round_ += 1
            client.cookies.clear()
            page = step("login form", "/auth/login")
            if page is None:
                continue
            form = {"csrf_token": csrf_token(page), "login": login, "password": scenario.password}
            if step("login", "/auth/login", form) is None:
                continue
            if step("feed", "/", must_contain=LOGGED_IN_MARK) is None:
                continue
            page = step("story", f"/stories/{story}", must_contain=LOGGED_IN_MARK)
            if page is None:
                continue
            token = csrf_token(page)
            step(
                "hug",
                f"/stories/{story}/reactions/hug",
                {"csrf_token": token, "action": action},
                {"Accept": "application/json"},
            )
            step("search", scenario.search_path, must_contain=LOGGED_IN_MARK)
            step("group", scenario.group_path, must_contain=LOGGED_IN_MARK)
            step("logout", "/auth/logout", {"csrf_token": token})
            with results.lock:
                results.journeys += 1
    except OSError as error:  # refused, reset, timed out: the server failed this member
        with results.lock:
            results.errors.append(f"member {number}: {error!r}")
    finally:
        client.close()


def run_journeys(port: int, scenario: Scenario, members: int, seconds: float) -> JourneyResults:
    """``members`` threads, each repeating the journey for ``seconds``; then every result."""
    results = JourneyResults()
    started = time.monotonic()
    deadline = started + seconds
    threads = [
        threading.Thread(target=_member, args=(n, scenario, port, deadline, results), daemon=True)
        for n in range(members)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 120)
    results.seconds = time.monotonic() - started
    return results


def journey_table(results: JourneyResults) -> str:
    """Each step's latency; rates over the time until the last journey ended."""
    seconds = results.seconds or 1.0
    lines = [
        "| step | requests | p50 ms | p99 ms | unexpected answers |",
        "|---|---:|---:|---:|---:|",
    ]
    for step in STEPS:
        values = results.latencies.get(step, [])
        bad = sum(n for (name, _), n in results.unexpected.items() if name == step)
        lines.append(
            f"| {step} | {len(values)} | {percentile(values, 0.5):.1f} "
            f"| {percentile(values, 0.99):.1f} | {bad} |"
        )
    lines.append("")
    lines.append(
        f"{results.journeys} complete journeys in {seconds:.1f} s "
        f"({results.journeys / seconds:.1f} per second), {results.requests} requests "
        f"({results.requests / seconds:.0f} per second), statuses "
        f"{dict(sorted(results.statuses.items()))}, connection errors {len(results.errors)}."
    )
    return "\n".join(lines)
