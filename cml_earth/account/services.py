"""Changes to account settings."""

from __future__ import annotations

from ..auth.models import Member
from ..extensions import db


def update_preferences(member: Member, locale: str, timezone: str) -> None:
    member.locale = locale
    member.timezone = timezone
    db.session.flush()
