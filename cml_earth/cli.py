"""Command-line tools: ``flask --app cml_earth translate|users|demo ...``."""

from __future__ import annotations

import subprocess  # pybabel is run with a fixed argv  # nosec B404
import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from . import PROJECT_ROOT
from .errors import DomainError
from .extensions import db

translate = AppGroup("translate", help="Extract, update and compile the message catalogues.")
users = AppGroup("users", help="Manage accounts.")
notifications = AppGroup("notifications", help="Mail members about activity.")

POT = PROJECT_ROOT / "translations" / "messages.pot"


def _pybabel(*args: str) -> None:
    command = [sys.executable, "-m", "babel.messages.frontend", *args]
    subprocess.run(command, check=True, cwd=PROJECT_ROOT)  # noqa: S603  (fixed argv)  # nosec B603


@translate.command("extract")
def translate_extract() -> None:
    """Collect every translatable string into translations/messages.pot."""
    _pybabel(
        "extract",
        "-F",
        "babel.cfg",
        "-k",
        "_l",
        "--no-location",
        "--sort-output",
        "--project",
        "CML Earth",
        # Babel skips folders starting with "_" by default; templates/_macros holds strings too.
        "--ignore-dirs",
        ".*",
        "-o",
        str(POT),
        ".",
    )


@translate.command("update")
def translate_update() -> None:
    """Extract, then merge new strings into every locale's catalogue."""
    translate_extract.callback()
    _pybabel("update", "-i", str(POT), "-d", "translations", "--no-wrap", "--ignore-obsolete")


@translate.command("compile")
def translate_compile() -> None:
    """Build the .mo files the application reads (never committed)."""
    _pybabel("compile", "-d", "translations", "--statistics")


@translate.command("init")
@click.argument("locale")
def translate_init(locale: str) -> None:
    """Start a catalogue for a new LOCALE (then add it to LANGUAGES)."""
    translate_extract.callback()
    _pybabel("init", "-i", str(POT), "-d", "translations", "-l", locale, "--no-wrap")


@users.command("create")
@click.option("--email", required=True)
@click.option("--username", required=True)
@click.option("--role", type=click.Choice(["sponsor", "admin"]), required=True)
@click.password_option(help="Asked for when not given (twice, hidden).")
def users_create(email: str, username: str, role: str, password: str) -> None:
    """Create a sponsor moderator or an admin, with a verified address."""
    from .auth.services import create_staff

    if len(password) < current_app.config["PASSWORD_MIN_LENGTH"]:
        raise click.ClickException("The password is too short.")
    try:
        member = create_staff(username=username, email=email, password=password, role=role)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(" ".join(str(m) for m in error.errors.values())) from None
    db.session.commit()
    click.echo(f"Created {role} {member.username} <{member.email}>.")
    click.echo("At their first login they set up an authenticator app (two-factor sign-in).")


@notifications.command("send-digests")
def notifications_send_digests() -> None:
    """Send the daily and weekly digests that are due (run it from cron, e.g. hourly)."""
    from .notifications.services import send_digests

    sent, failed = send_digests()
    click.echo(f"Sent {sent} digest mail(s).")
    if failed:
        raise click.ClickException(f"{failed} digest(s) could not be sent; see the log.")


def init_app(app: Flask) -> None:
    from .demo.cli import demo

    app.cli.add_command(translate)
    app.cli.add_command(users)
    app.cli.add_command(notifications)
    app.cli.add_command(demo)
