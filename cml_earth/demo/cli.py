"""``flask --app cml_earth demo seed``."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from ..extensions import db
from .data import DEMO_PASSWORD

demo = AppGroup("demo", help="Demo data for trying the site.")


@demo.command("seed")
@click.option(
    "--allow-production",
    is_flag=True,
    help="Seed even in production (the demo password is public).",
)
def seed_command(allow_production: bool) -> None:
    """Create the demo community (safe to run again: existing members are kept)."""
    from .services import enrol_staff_authenticators, seed

    if current_app.config["ENV_NAME"] == "production" and not allow_production:
        raise click.ClickException(
            "Refusing to add demo accounts with a public password in production "
            "(use --allow-production if you really mean it)."
        )
    logins = seed()
    authenticators = enrol_staff_authenticators()
    db.session.commit()
    click.echo(f"Demo community ready: {len(logins)} accounts, all with password {DEMO_PASSWORD!r}")
    for username, email, role in logins:
        if role in ("sponsor", "admin") or username in (
            "AnnaFranStockholm",
            "ErikMedHund",
            "TeaAndTKIs",
        ):
            click.echo(f"  {role:<9} {username:<20} {email}")
    click.echo("  ... and the others listed in cml_earth/demo/data.py (log in with username).")
    # Staff log in with a code too; these secrets are public, like the demo password.
    for username, secret, uri in authenticators:
        click.echo(f"  Authenticator for {username}: secret {secret}  {uri}")
