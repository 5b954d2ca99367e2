"""Outgoing mail: localised, plain text plus HTML, sent only once the transaction commits."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

from flask import Flask, current_app, render_template
from flask_babel import force_locale
from flask_mailman import EmailMultiAlternatives
from flask_mailman.backends.base import BaseEmailBackend

from .database import on_abort, on_commit, utcnow
from .extensions import db, mail

log = logging.getLogger(__name__)

OUTBOX = "outbox"


class EmlFileEmailBackend(BaseEmailBackend):
    """Writes each message as an ``.eml`` file: the offline default, so the demo needs no server."""

    def send_messages(self, email_messages):
        folder = Path(current_app.config["MAIL_FILE_PATH"])
        folder.mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            name = f"{utcnow():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}.eml"
            (folder / name).write_bytes(message.message().as_bytes())
            log.info("Mail to %s written to %s", ", ".join(message.recipients()), folder / name)
            sent += 1
        return sent


def compose(to: str, subject: str, template: str, locale: str, **context) -> EmailMultiAlternatives:
    """Render ``email/<template>.txt`` and ``.html`` in the recipient's locale."""
    with force_locale(locale):
        context.setdefault("site_name", current_app.config["SITE_NAME"])
        context.setdefault("sponsor_name", current_app.config["SPONSOR_NAME"])
        text = render_template(f"email/{template}.txt", **context)
        html = render_template(f"email/{template}.html", **context)
        message = EmailMultiAlternatives(
            subject=str(subject), body=text, to=[to], headers={"Auto-Submitted": "auto-generated"}
        )
    message.attach_alternative(html, "text/html")
    return message


def queue(message: EmailMultiAlternatives) -> None:
    """Send ``message`` when the current transaction commits; drop it if it does not."""
    info = db.session.info
    if OUTBOX not in info:
        info[OUTBOX] = []
        on_commit(lambda: _send(info.pop(OUTBOX, [])))
        on_abort(lambda: info.pop(OUTBOX, None))
    info[OUTBOX].append(message)


def _send(messages: list[EmailMultiAlternatives]) -> None:
    if not messages:
        return
    try:
        with mail.get_connection() as connection:
            connection.send_messages(messages)
    except Exception:
        # The change is committed already; a member can ask for the mail again.
        log.exception("Could not send %d mail(s)", len(messages))


def init_app(app: Flask) -> None:
    app.config.setdefault("MAIL_FILE_PATH", str(Path(app.instance_path) / "mail"))
    if not app.config.get("MAIL_BACKEND"):
        app.config["MAIL_BACKEND"] = (
            "smtp" if app.config.get("MAIL_SERVER") else "cml_earth.mail.EmlFileEmailBackend"
        )
    mail.init_app(app)
