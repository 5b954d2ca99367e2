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


@demo.command("generate")
@click.option("--members", default=500, show_default=True, help="Members to add.")
@click.option("--stories", default=2_000, show_default=True, help="Stories to add.")
@click.option(
    "--comments",
    type=int,
    default=None,
    help="Words of support to add [default: as many as stories].",
)
@click.option("--reactions", default=10_000, show_default=True, help="Hugs and high-fives.")
@click.option("--groups", default=30, show_default=True, help="Groups (national, local, topic).")
@click.option("--seed", default=2026, show_default=True, help="Same seed, same rows.")
@click.option("--until", help="Date of the newest row, YYYY-MM-DD [default: today, UTC].")
@click.option("--append", is_flag=True, help="Add to a database that already has members.")
@click.option(
    "--allow-production",
    is_flag=True,
    help="Generate even in production (the demo password is public).",
)
def generate_command(
    members, stories, comments, reactions, groups, seed, until, append, allow_production
) -> None:
    """Fill a migrated database with a large, realistic community for benchmarks.

    The full size of the benchmark is --members 100000 --stories 1000000 --reactions 5000000
    --groups 300. Every generated member has the demo password. Refuses a database that
    already has members unless --append is given.
    """
    import time

    from sqlalchemy import func, select

    from ..auth.models import Member
    from .generate import Sizes, analyze, generate, parse_until, total_rows

    if current_app.config["ENV_NAME"] == "production" and not allow_production:
        raise click.ClickException(
            "Refusing to add generated accounts with a public password in production "
            "(use --allow-production if you really mean it)."
        )
    if min(members, stories, reactions, groups) < 0 or (comments or 0) < 0:
        raise click.BadParameter("sizes cannot be negative")
    if members < 10:
        raise click.BadParameter("at least 10 members", param_hint="--members")
    existing = db.session.scalar(select(func.count()).select_from(Member))
    if existing and not append:
        raise click.ClickException(
            f"The database already has {existing} members: use --append to add to them."
        )
    sizes = Sizes(members, stories, stories if comments is None else comments, reactions, groups)
    started = time.monotonic()
    try:
        with click.progressbar(length=total_rows(sizes), label="Generating") as bar:
            counts = generate(sizes, seed, parse_until(until), bar.update)
    except ValueError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    analyze()
    db.session.commit()
    elapsed = time.monotonic() - started
    click.echo(f"Generated in {elapsed:.0f} s (seed {seed}):")
    for table, number in counts.rows.items():
        click.echo(f"  {table:<18} {number:>10,}")
    click.echo(f"Every generated member has the password {DEMO_PASSWORD!r}.")
