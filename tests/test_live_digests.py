"""Acceptance: ``send-digests`` run twice in a row, and twice at once, mails each digest once.

The command runs as cron would run it (``flask --app cml_earth notifications send-digests`` in
its own process) against a migrated database (a SQLite file, or a throwaway PostgreSQL
database), sending through a real SMTP server on loopback.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import re
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from cml_earth import PROJECT_ROOT, create_app
from cml_earth.auth import passwords
from cml_earth.auth.models import Member
from cml_earth.database import utcnow
from cml_earth.extensions import db
from cml_earth.notifications import services
from cml_earth.notifications.models import Notification

from .live import BIN, _inherited_environment, free_port, throwaway_postgres_database
from .test_live_mail import Inbox

pytestmark = pytest.mark.live

SENDER = "CML Earth <no-reply@cml-earth.test>"
COMMAND = [str(BIN / "flask"), "--app", "cml_earth", "notifications", "send-digests"]
RUN_WITHIN_SECONDS = 120
#: Members whose digests two runs at once compete for: enough for their loops to overlap.
RACED_MEMBERS = 30


@contextlib.contextmanager
def database(backend: str, instance: Path):
    if backend == "sqlite":
        yield f"sqlite:///{instance / 'cml_earth.sqlite3'}"
    else:
        with throwaway_postgres_database() as url:
            yield url


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


class Site:
    """A migrated database, the environment cron would run the command in, and a way to seed."""

    def __init__(self, database_url: str, instance: Path, smtp_port: int):
        self.env = _inherited_environment() | {
            "CML_ENV": "development",
            "CML_INSTANCE_PATH": str(instance),
            "DATABASE_URL": database_url,
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(smtp_port),
            "MAIL_USE_TLS": "false",
            "MAIL_DEFAULT_SENDER": SENDER,
            "SITE_URL": "https://cml-earth.test",
            "PYTHONUNBUFFERED": "1",
        }
        migrated = subprocess.run(
            [str(BIN / "flask"), "--app", "cml_earth", "db", "upgrade"],
            cwd=PROJECT_ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=RUN_WITHIN_SECONDS,
            check=False,
        )
        assert migrated.returncode == 0, migrated.stderr
        # Also writes the development secret key before two runs could race to create it.
        self.app = create_app(
            {
                "ENV_NAME": "development",
                "SQLALCHEMY_DATABASE_URI": database_url,
                "INSTANCE_PATH": str(instance),
            }
        )
        with self.app.app_context():
            self.password_hash = passwords.hash_password("evening ferry to the islands")

    def member(self, username: str, frequency: str = "never", locale: str = "en") -> int:
        with self.app.app_context():
            now = utcnow()
            member = Member(
                username=username,
                email=f"{username.lower()}@example.org",
                password_hash=self.password_hash,
                locale=locale,
                notification_email=frequency,
                email_verified_at=now,
                age_confirmed_at=now,
                guidelines_accepted_at=now,
                guidelines_version="test",
            )
            db.session.add(member)
            db.session.commit()
            return member.id

    def followed(self, follower_id: int, *followed_ids: int) -> None:
        with self.app.app_context():
            follower = db.session.get(Member, follower_id)
            for followed_id in followed_ids:
                services.notify_follow(follower, db.session.get(Member, followed_id))
            db.session.commit()

    def unmailed(self, member_id: int) -> int:
        with self.app.app_context():
            rows = db.session.scalars(
                select(Notification.id).where(
                    Notification.recipient_id == member_id, Notification.emailed_at.is_(None)
                )
            ).all()
            db.session.rollback()
            return len(rows)

    def start(self) -> subprocess.Popen:
        return subprocess.Popen(
            COMMAND,
            cwd=PROJECT_ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def run(self) -> str:
        return finish(self.start())

    def close(self) -> None:
        with self.app.app_context():
            db.engine.dispose()


def finish(process: subprocess.Popen) -> str:
    out, err = process.communicate(timeout=RUN_WITHIN_SECONDS)
    assert process.returncode == 0, err
    assert "Traceback" not in err
    return out


def sent_count(output: str) -> int:
    return int(output.split("Sent ", 1)[1].split(" ", 1)[0])


def delivered(inbox: Inbox) -> dict[str, list[str]]:
    """The mails the SMTP server took since last asked: address -> text parts."""
    mails: dict[str, list[str]] = {}
    while not inbox.envelopes.empty():
        envelope = inbox.envelopes.get_nowait()
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        (address,) = envelope.rcpt_tos
        mails.setdefault(address, []).append(message.get_body(("plain",)).get_content())
    return mails


def items_in(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("- ")]


def followers_in(text: str) -> list[str]:
    return sorted(
        line.removeprefix("- ").removesuffix(" started following you")
        for line in text.splitlines()
        if line.endswith("started following you")
    )


def test_each_digest_is_mailed_once(backend, smtp_server, tmp_path):
    controller, inbox = smtp_server
    instance = tmp_path / "instance"
    with database(backend, instance) as url:
        site = Site(url, instance, controller.port)
        try:
            erik = site.member("ErikFollows")
            anna = site.member("AnnaFollows")
            dora = site.member("DoraDaily", "daily", locale="sv")
            walt = site.member("WaltWeekly", "weekly")
            nina = site.member("NinaNever")
            site.followed(erik, dora, walt, nina)
            site.followed(anna, dora)

            # Twice in a row: the second run finds nothing due.
            assert sent_count(site.run()) == 2
            assert sent_count(site.run()) == 0
            mails = delivered(inbox)
            assert sorted(mails) == ["doradaily@example.org", "waltweekly@example.org"]
            (dora_mail,) = mails["doradaily@example.org"]
            # Her language (her copy of the texts may be translated): two items, both handles.
            assert [
                bool(re.search("AnnaFollows|ErikFollows", item)) for item in items_in(dora_mail)
            ] == [True, True]
            assert "Svar läses inte" in dora_mail  # in Dora's language
            assert "https://cml-earth.test/notifications/unsubscribe/" in dora_mail
            (walt_mail,) = mails["waltweekly@example.org"]
            assert followers_in(walt_mail) == ["ErikFollows"]
            assert site.unmailed(nina) == 1  # "never" means never

            # Twice at once, over members whose first digest is due.
            raced = [
                site.member(f"Racer{n}", "daily" if n % 2 else "weekly")
                for n in range(RACED_MEMBERS)
            ]
            site.followed(erik, *raced)
            site.followed(anna, *raced[::2])
            runs = [site.start(), site.start()]
            outputs = [finish(process) for process in runs]
            assert sum(sent_count(output) for output in outputs) == RACED_MEMBERS
            mails = delivered(inbox)
            assert Counter({address: len(texts) for address, texts in mails.items()}) == Counter(
                {f"racer{n}@example.org": 1 for n in range(RACED_MEMBERS)}
            )
            for n in range(RACED_MEMBERS):
                (text,) = mails[f"racer{n}@example.org"]
                expected = ["AnnaFollows", "ErikFollows"] if n % 2 == 0 else ["ErikFollows"]
                assert followers_in(text) == expected
                assert site.unmailed(raced[n]) == 0

            # Nothing due: nothing sent, also when two runs meet.
            outputs = [finish(process) for process in [site.start(), site.start()]]
            assert [sent_count(output) for output in outputs] == [0, 0]
            assert delivered(inbox) == {}
        finally:
            site.close()
