"""Building the demo community, idempotently."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import select

from ..auth import passwords
from ..auth.models import ConsentPurpose, Member, username_key
from ..auth.services import give_consent
from ..database import utcnow
from ..extensions import db
from ..i18n import default_timezone_for
from .data import DEMO_PASSWORD, MEMBERS, STAFF, email_for


def seed() -> list[tuple[str, str, str]]:
    """Add every demo member that is not there yet; returns (username, email, role) of all."""
    existing = set(db.session.scalars(select(Member.username_key)))
    # One hash serves every demo account: they share a password, and hashing 50 times is slow.
    password_hash = passwords.hash_password(DEMO_PASSWORD)
    now = utcnow()
    logins = []
    for index, (username, role, country, locale, consent) in enumerate(MEMBERS):
        email = email_for(username)
        logins.append((username, email, role))
        if username_key(username) in existing:
            continue
        joined = now - timedelta(days=7 * (len(MEMBERS) - index))
        member = _member(username, email, role, password_hash, joined, country, locale)
        if consent:
            with force_locale(locale):
                give_consent(member, ConsentPurpose.HEALTH_DATA, "demo seed")
    for username, email, role in STAFF:
        logins.append((username, email, role))
        if username_key(username) not in existing:
            _member(username, email, role, password_hash, now - timedelta(days=400), None, "en")
    return logins


def _member(username, email, role, password_hash, joined, country, locale) -> Member:
    member = Member(
        username=username,
        email=email,
        password_hash=password_hash,
        role=role,
        country_code=country,
        locale=locale,
        timezone=default_timezone_for(country),
        email_verified_at=joined,
        age_confirmed_at=joined,
        guidelines_accepted_at=joined,
        guidelines_version=current_app.config["GUIDELINES_VERSION"],
        created_at=joined,
    )
    db.session.add(member)
    db.session.flush()
    return member
