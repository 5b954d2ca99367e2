"""Mail through a real SMTP server: the verification mail arrives, reads right and works."""

from __future__ import annotations

import contextlib
import email
import email.policy
import queue
import re
import sqlite3

import pytest
from aiosmtpd.controller import Controller

from .live import Browser, free_port, live_server

pytestmark = pytest.mark.live

SENDER = "CML Earth <no-reply@cml-earth.test>"
ARRIVES_WITHIN_SECONDS = 30


class Inbox:
    """An aiosmtpd handler keeping every envelope it accepts."""

    def __init__(self):
        self.envelopes: queue.Queue = queue.Queue()

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.put(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


def test_verification_mail_through_smtp(smtp_server, tmp_path):
    controller, inbox = smtp_server
    env = {
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": controller.port,
        "MAIL_USE_TLS": "false",
        "MAIL_DEFAULT_SENDER": SENDER,
    }
    address = "sigrid.mail@example.org"
    password = "evening ferry to the islands"
    with live_server(tmp_path, env) as server:
        browser = Browser(server.base_url)
        _, page = browser.submit(
            "/auth/register",
            {
                "username": "SigridMail",
                "email": address,
                "password": password,
                "password_confirm": password,
                "role": "patient",
                "country_code": "SE",
                "locale": "sv",
                "age_confirmed": "y",
                "accept_guidelines": "y",
            },
        )
        assert page.status == 302
        assert page.location.endswith("/auth/register/check-inbox")

        envelope = inbox.envelopes.get(timeout=ARRIVES_WITHIN_SECONDS)
        assert envelope.mail_from == "no-reply@cml-earth.test"
        assert envelope.rcpt_tos == [address]
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert message["To"] == address
        assert message["From"] == SENDER
        assert "Bekräfta" in message["Subject"]  # the member chose Swedish
        assert message.get_content_type() == "multipart/alternative"
        parts = list(message.iter_parts())
        assert [part.get_content_type() for part in parts] == ["text/plain", "text/html"]
        text, html = (part.get_content() for part in parts)
        link = re.search(r"(https?)://([^/\s]+)(/auth/verify/[^\s\"<]+)", text)
        assert link, text
        assert link.group(2) == f"127.0.0.1:{server.port}"
        assert link.group(0) in html

        page = browser.get(link.group(0))
        assert page.status == 200
        assert 'method="post"' in page.text
        assert _verified(server.database_url, address) is None  # opening the link changes nothing
        _, page = browser.submit(link.group(0), {})
        assert page.status == 302
        assert page.location.endswith("/auth/login")
        assert _verified(server.database_url, address) is not None

        _, page = browser.submit("/auth/login", {"login": address, "password": password})
        assert page.status == 302
        assert "SigridMail" in browser.get("/").text
        assert inbox.envelopes.empty()  # one registration, one mail
        log = server.log_text()
    assert "Traceback" not in log


def _verified(database_url: str, address: str):
    path = database_url.removeprefix("sqlite:///")
    with contextlib.closing(sqlite3.connect(path)) as db:
        (verified_at,) = db.execute(
            "SELECT email_verified_at FROM members WHERE email_key = ?", (address,)
        ).fetchone()
    return verified_at
