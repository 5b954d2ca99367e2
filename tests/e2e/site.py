"""What the browser tests share: the live site, its mail, members made in its database, and a
visitor (a Playwright page in one locale) that records every dialog, console message and error.

The site is the real application under gunicorn (``tests/live.py``) with a real SMTP server on
loopback; the browser is Debian's Chromium, driven by Playwright, never a downloaded one.
"""

from __future__ import annotations

import email
import email.policy
import gettext
import queue
import re
import time
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from pathlib import Path

import pyotp
from aiosmtpd.controller import Controller
from playwright.sync_api import Page

from cml_earth import PROJECT_ROOT, create_app
from cml_earth.database import utcnow
from cml_earth.extensions import db

from ..live import LiveServer, free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
AXE_SCRIPT = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
LOCALES = ("en", "sv")
PASSWORD = "a long walk along the shore"
MAIL_WITHIN_SECONDS = 30
#: A fixed authenticator secret for staff made by ``Site.make_member``.
STAFF_TOTP_SECRET = "KRSXG5CTMVRXEZLUKN2XAZLSONSWG4TT"


@cache
def _catalogue(locale: str) -> gettext.NullTranslations:
    return gettext.translation(
        "messages", PROJECT_ROOT / "translations", languages=[locale], fallback=locale == "en"
    )


def translate(locale: str, message: str, **values) -> str:
    """``message`` as the site shows it in ``locale`` (from the compiled catalogue)."""
    text = _catalogue(locale).gettext(message)
    return text % values if values else text


# --- mail -----------------------------------------------------------------------------------


class Inbox:
    """An aiosmtpd handler keeping every message it accepts."""

    def __init__(self):
        self._arrived: queue.Queue = queue.Queue()
        self._kept: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self._arrived.put(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted for delivery"

    def wait_for(self, to: str, within: float = MAIL_WITHIN_SECONDS) -> email.message.EmailMessage:
        """The first message to ``to`` not yet taken, waiting for it to arrive."""
        deadline = time.monotonic() + within
        while True:
            for message in self._kept:
                if message["To"] == to:
                    self._kept.remove(message)
                    return message
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no mail to {to} within {within} s")
            try:
                self._kept.append(self._arrived.get(timeout=remaining))
            except queue.Empty:
                continue


def text_of(message: email.message.EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def link_in(message: email.message.EmailMessage, path: str) -> str:
    """The first link in the mail's text whose path starts with ``path``."""
    found = re.search(rf"https?://[^/\s]+{re.escape(path)}[^\s\"<>]*", text_of(message))
    assert found, f"no {path} link in:\n{text_of(message)}"
    return found.group(0)


class MailServer:
    """A real SMTP server on a loopback port."""

    def __init__(self):
        self.inbox = Inbox()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=free_port())

    @property
    def settings(self) -> dict[str, str]:
        return {
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(self.controller.port),
            "MAIL_USE_TLS": "false",
            "MAIL_DEFAULT_SENDER": "CML Earth <no-reply@cml-earth.test>",
        }


# --- the site -------------------------------------------------------------------------------


@dataclass
class Member:
    id: int
    username: str
    email: str
    password: str
    role: str
    totp_secret: str | None = None


@dataclass
class Site:
    """The live site and a way into its database for setting up what a journey starts from."""

    server: LiveServer
    mail: Inbox
    instance: Path
    _app: object = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return self.server.base_url

    @property
    def app(self):
        if self._app is None:
            self._app = create_app(
                {
                    "ENV_NAME": "testing",
                    "SQLALCHEMY_DATABASE_URI": self.server.database_url,
                    "INSTANCE_PATH": str(self.instance),
                }
            )
        return self._app

    def make_member(
        self,
        username: str,
        *,
        role: str = "patient",
        locale: str = "en",
        country_code: str = "SE",
        health_consent: bool = False,
        **fields,
    ) -> Member:
        """A verified member made straight in the database; staff get two-step sign-in."""
        from cml_earth.auth import passwords
        from cml_earth.auth.models import Member as MemberRow

        staff = role in ("sponsor", "admin")
        with self.app.app_context():
            now = utcnow()
            row = MemberRow(
                username=username,
                email=f"{username.lower()}@example.org",
                password_hash=passwords.hash_password(PASSWORD),
                role=role,
                country_code=country_code,
                locale=locale,
                timezone="Europe/Stockholm",
                email_verified_at=now - timedelta(days=30),
                age_confirmed_at=now,
                guidelines_accepted_at=now,
                guidelines_version="test",
                created_at=now - timedelta(days=30),
                **fields,
            )
            if staff:
                row.totp_secret = STAFF_TOTP_SECRET
                row.totp_enabled_at = now
            db.session.add(row)
            db.session.flush()
            if health_consent:
                from cml_earth.account.services import give_health_consent

                give_health_consent(row)
            db.session.commit()
            return Member(
                row.id,
                username,
                row.email,
                PASSWORD,
                role,
                STAFF_TOTP_SECRET if staff else None,
            )

    def make_story(self, author: Member, title: str, body: str, language: str = "en") -> int:
        """A story published straight in the database, for journeys that start from one."""
        from cml_earth.auth.models import Member as MemberRow
        from cml_earth.stories.services import publish_story

        with self.app.test_request_context():
            story = publish_story(
                db.session.get(MemberRow, author.id),
                title=title,
                body=body,
                language=language,
                visibility="members",
                submission_key=None,
            )
            db.session.commit()
            return story.id

    def make_group(self, founder: Member, staff: Member, name: str, description: str) -> str:
        """An open topic group (anyone may join), proposed by ``founder``, approved by ``staff``."""
        from cml_earth.auth.models import Member as MemberRow
        from cml_earth.groups import services as groups
        from cml_earth.moderation.actions import decide_proposal
        from cml_earth.moderation.models import Action

        with self.app.test_request_context():
            group = groups.propose_group(
                db.session.get(MemberRow, founder.id),
                name=name,
                kind="topic",
                country_code=None,
                place=None,
                description=description,
                languages=["en", "sv"],
                visibility="members",
                join_policy="open",
            )
            # As the proposals page does it: the queue item closes with the approval.
            decide_proposal(group, db.session.get(MemberRow, staff.id), Action.APPROVE_GROUP)
            db.session.commit()
            return group.slug

    def scalar(self, statement):
        with self.app.app_context():
            return db.session.scalar(statement)

    def close(self) -> None:
        if self._app is not None:
            with self._app.app_context():
                db.engine.dispose()


# --- a visitor in the browser ---------------------------------------------------------------


@dataclass
class Visitor:
    """One person in the browser: a page in one locale, and what the page said behind the scenes."""

    page: Page
    locale: str
    site: Site
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    def __post_init__(self):
        def on_dialog(dialog):
            self.dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        self.page.on("dialog", on_dialog)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("console", lambda message: self.console.append(message.text))

    def t(self, message: str, **values) -> str:
        return translate(self.locale, message, **values)

    def n(self, singular: str, plural: str, num: int, **values) -> str:
        """A plural message as the site shows it for ``num``."""
        return _catalogue(self.locale).ngettext(singular, plural, num) % {"num": num, **values}

    @property
    def flashes(self):
        """The page's confirmations and warnings (expect(...).to_contain_text them)."""
        return self.page.locator(".flashes")

    def go(self, path: str):
        response = self.page.goto(self.site.url + path)
        assert response is not None
        return response

    def button(self, message: str, **values):
        return self.page.get_by_role("button", name=self.t(message, **values), exact=True)

    def link(self, message: str, **values):
        return self.page.get_by_role("link", name=self.t(message, **values), exact=True)

    def field(self, name: str):
        """A form field by its name (WTForms gives it the same id)."""
        return self.page.locator(f"[name='{name}']")

    def sees(self, message: str, **values) -> bool:
        return self.t(message, **values) in self.page.content()

    def log_in(self, member: Member) -> None:
        self.go("/auth/login")
        self.field("login").fill(member.username)
        self.field("password").fill(member.password)
        self.page.locator("form:has([name='password']) [type='submit']").click()
        if member.totp_secret:
            self.page.wait_for_url("**/auth/two-factor")
            self.field("code").fill(_fresh_code(self.site, member))
            self.page.locator("form:has([name='code']) [type='submit']").click()
        self.page.wait_for_load_state()
        assert "/auth/" not in self.page.url, self.page.url

    def log_out(self) -> None:
        self.page.locator("form[action='/auth/logout'] [type='submit']").first.click()
        self.page.wait_for_load_state()


def _fresh_code(site: Site, member: Member) -> str:
    """The current authenticator code, waiting for the next one if this one was used already."""
    from cml_earth.auth.models import Member as MemberRow

    totp = pyotp.TOTP(member.totp_secret)
    last = site.scalar(db.select(MemberRow.totp_last_step).where(MemberRow.id == member.id))
    step = int(time.time() // 30)
    if last is not None and last >= step:
        time.sleep((last + 1) * 30 - time.time() + 0.5)  # a person would wait for the next code
        step = last + 1
    return totp.at(step * 30)
