"""The real application under gunicorn on a loopback port, and a small browser to drive it.

Used by the ``live`` tests; stdlib HTTP only, so the tests need nothing the app does not.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from cml_earth import PROJECT_ROOT
from cml_earth.config import ENVIRONMENT_KEYS

from .conftest import ADMIN_URL, _libpq, csrf_token

BIN = Path(sys.executable).parent
READY_WITHIN_SECONDS = 30
STOP_WITHIN_SECONDS = 25  # gunicorn's graceful_timeout is 20


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class LiveServer:
    """A running gunicorn: where it answers and where it writes its log."""

    base_url: str
    port: int
    log: Path
    database_url: str

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def _inherited_environment() -> dict[str, str]:
    # The developer's shell must not point the server at their own database or mail server.
    return {
        key: value
        for key, value in os.environ.items()
        if key not in ENVIRONMENT_KEYS
        and not key.startswith(("CML_", "FLASK_", "GUNICORN_"))
        and key not in {"HOST", "PORT", "WEB_CONCURRENCY"}
    }


@contextlib.contextmanager
def live_server(
    tmp_path: Path, env: dict | None = None, workers: int = 2, commands: tuple = ()
) -> Iterator[LiveServer]:
    """Migrate a database, run gunicorn with ``workers`` on it, and stop it afterwards.

    ``commands``: further ``flask`` commands run after the migration (``("demo", "seed")``).

    Two workers unless a test needs more: each one loads the whole app and its artefacts, and
    on a 2-core machine four of them booting at once take most of a test's time.
    """
    instance = tmp_path / "instance"
    instance.mkdir(parents=True, exist_ok=True)
    port = free_port()
    base = _inherited_environment() | {
        "CML_ENV": "development",
        "CML_INSTANCE_PATH": str(instance),
        "RATELIMIT_ENABLED": "false",
        "PYTHONUNBUFFERED": "1",
    }
    base |= {key: str(value) for key, value in (env or {}).items()}
    # Without DATABASE_URL the app uses its default: a SQLite file in the instance folder.
    database_url = base.get("DATABASE_URL") or f"sqlite:///{instance / 'cml_earth.sqlite3'}"

    for command in (("db", "upgrade"), *commands):
        done = subprocess.run(
            [str(BIN / "flask"), "--app", "cml_earth", *command],
            cwd=PROJECT_ROOT,
            env=base,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"flask {' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")

    log = tmp_path / "gunicorn.log"
    server_env = base | {"HOST": "127.0.0.1", "PORT": str(port), "WEB_CONCURRENCY": str(workers)}
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=PROJECT_ROOT,
            env=server_env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so a hard stop reaches the workers
        )
    server = LiveServer(f"http://127.0.0.1:{port}", port, log, database_url)
    try:
        _wait_until_ready(process, server)
        yield server
    finally:
        _stop(process)


def _wait_until_ready(process: subprocess.Popen, server: LiveServer) -> None:
    deadline = time.monotonic() + READY_WITHIN_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{server.log_text()}")
        try:
            with urllib.request.urlopen(server.base_url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)  # polling interval while the workers boot, not a timing assertion
    raise RuntimeError(
        f"gunicorn did not answer /healthz within {READY_WITHIN_SECONDS} s:\n{server.log_text()}"
    )


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_WITHIN_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@contextlib.contextmanager
def throwaway_postgres_database() -> Iterator[str]:
    """A new, empty PostgreSQL database on the test server; dropped afterwards."""
    name = f"cml_earth_live_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_libpq(ADMIN_URL), autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield (
            make_url(ADMIN_URL)
            .set(drivername="postgresql+psycopg", database=name)
            .render_as_string(hide_password=False)
        )
    finally:
        with psycopg.connect(_libpq(ADMIN_URL), autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- a browser ------------------------------------------------------------------------------


@dataclass
class Page:
    """One answer from the server: redirects are answers here, never followed."""

    status: int
    headers: Message
    text: str

    @property
    def location(self) -> str:
        return self.headers.get("Location", "")


class _KeepRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """One visitor with its own cookie jar, speaking to a live server."""

    def __init__(self, base_url: str, timeout: float = 60):
        self.base_url = base_url
        self.timeout = timeout
        self.cookies = http.cookiejar.CookieJar()
        self._opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _KeepRedirects()
        )

    def get(self, path: str) -> Page:
        return self._open(urllib.request.Request(self._url(path)))

    def post(self, path: str, data: dict) -> Page:
        body = urllib.parse.urlencode(data).encode()
        return self._open(urllib.request.Request(self._url(path), data=body, method="POST"))

    def submit(self, path: str, data: dict, page: str | None = None) -> tuple[Page, Page]:
        """GET ``page`` (default ``path``), take its CSRF token, POST ``data``; both answers."""
        form = self.get(page or path)
        return form, self.post(path, {"csrf_token": csrf_token(form.text), **data})

    def _url(self, path: str) -> str:
        return urllib.parse.urljoin(self.base_url, path)

    def _open(self, request: urllib.request.Request) -> Page:
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                return Page(response.status, response.headers, response.read().decode())
        except urllib.error.HTTPError as error:  # 3xx (not followed), 4xx and 5xx
            with error:
                return Page(error.code, error.headers, error.read().decode(errors="replace"))
