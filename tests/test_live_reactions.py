"""Acceptance: many members hugging and un-hugging one story at once keep its count exact.

Eight members, each in their own browser, send and take back a hug on the same story again and
again through the real forms, against gunicorn with several workers; meanwhile one more member
races two tabs of their own (both "send" at once, then both "take back" at once). Afterwards
the story's stored hug_count must equal the number of hug rows, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from cml_earth import create_app
from cml_earth.database import utcnow
from cml_earth.extensions import db

from .conftest import PASSWORD, csrf_token
from .live import Browser, live_server
from .test_live_concurrency import count, server_environment

pytestmark = pytest.mark.live

WORKERS = 4
MEMBERS = 8
ROUNDS = 25  # a fixed amount of work per member, never "as much as fits in N seconds"
TAB_ROUNDS = 25
TITLE = "Two years on"  # the only story in the database, which the queries below read
HUG_ROWS = (
    "SELECT count(*) FROM reactions WHERE kind = 'hug' AND story_id = (SELECT id FROM stories)"
)
STORED_COUNT = "SELECT hug_count FROM stories"


def _community(database_url: str, instance) -> tuple[int, list[str], str]:
    """The author, a story of theirs, MEMBERS hugging members and one member with two tabs."""
    from cml_earth.auth import passwords
    from cml_earth.auth.models import Member
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

        author = member("StoryAuthor")
        huggers = [member(f"hugger{number}") for number in range(MEMBERS)]
        member("twotabs")
        db.session.flush()
        story = Story(author_id=author.id, title=TITLE, body="Still here.", language="en")
        db.session.add(story)
        db.session.commit()
        story_id = story.id
        names = [hugger.username for hugger in huggers]
        db.session.remove()
        db.engine.dispose()
    return story_id, names, "twotabs"


def _logged_in(base_url: str, username: str) -> Browser:
    browser = Browser(base_url)
    _form, answer = browser.submit("/auth/login", {"login": username, "password": PASSWORD})
    assert answer.status == 302, (username, answer.status)
    return browser


def _hug(browser: Browser, story_id: int, token: str, action: str) -> int:
    page = browser.post(
        f"/stories/{story_id}/reactions/hug",
        {"csrf_token": token, "action": action, "next": f"/stories/{story_id}"},
    )
    return page.status


def _token(browser: Browser, story_id: int) -> str:
    page = browser.get(f"/stories/{story_id}")
    assert page.status == 200
    return csrf_token(page.text)


def hugger(base_url: str, story_id: int, username: str, number: int) -> list[int]:
    """ROUNDS of send and take back; even-numbered members end with a hug sent."""
    browser = _logged_in(base_url, username)
    token = _token(browser, story_id)
    statuses = []
    for _ in range(ROUNDS):
        statuses.append(_hug(browser, story_id, token, "add"))
        statuses.append(_hug(browser, story_id, token, "remove"))
    if number % 2 == 0:
        statuses.append(_hug(browser, story_id, token, "add"))
    return statuses


def two_tabs(base_url: str, story_id: int, username: str) -> list[int]:
    """Two tabs of one member send together, then take back together; they end with a hug."""
    tabs = [_logged_in(base_url, username) for _ in range(2)]
    tokens = [_token(tab, story_id) for tab in tabs]
    together = threading.Barrier(2)
    statuses: list[int] = []
    lock = threading.Lock()

    def tab(index: int) -> None:
        for round_ in range(TAB_ROUNDS + 1):
            for action in ("add", "remove") if round_ < TAB_ROUNDS else ("add",):
                together.wait()
                status = _hug(tabs[index], story_id, tokens[index], action)
                with lock:
                    statuses.append(status)

    threads = [threading.Thread(target=tab, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def test_hugging_one_story_at_once_keeps_the_count_exact(backend, tmp_path):
    with (
        server_environment(backend) as env,
        live_server(tmp_path, env, workers=WORKERS) as server,
    ):
        story_id, huggers, tabs_member = _community(server.database_url, str(tmp_path / "setup"))
        with ThreadPoolExecutor(max_workers=MEMBERS + 1) as pool:
            racing_tabs = pool.submit(two_tabs, server.base_url, story_id, tabs_member)
            results = pool.map(
                hugger,
                [server.base_url] * MEMBERS,
                [story_id] * MEMBERS,
                huggers,
                range(MEMBERS),
            )
            statuses = Counter(status for member in results for status in member)
            statuses.update(racing_tabs.result())
        log = server.log_text()
        # Read before the throwaway database goes with the server.
        rows = count(server.database_url, HUG_ROWS)
        stored = count(server.database_url, STORED_COUNT)

    sent = MEMBERS * ROUNDS * 2 + MEMBERS // 2 + 2 * (TAB_ROUNDS * 2 + 1)
    assert statuses == Counter({302: sent}), statuses
    assert "Traceback" not in log
    assert "database is locked" not in log
    assert stored == rows
    # Every even-numbered member and the two-tab member end with exactly one hug sent.
    assert rows == MEMBERS // 2 + 1
    print(f"\n{backend}: {sent} reaction requests, stored hug_count {stored} = {rows} rows")
