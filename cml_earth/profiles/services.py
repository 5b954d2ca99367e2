"""Every change to profiles: the handle, the story, health details and privacy choices."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from ..audit.services import record
from ..auth.models import STAFF_ROLES, Member, username_key
from ..errors import DomainError
from ..extensions import db
from ..groups.permissions import shares_group_condition
from ..social.queries import blocked_ids_select
from .models import SENSITIVE_FIELDS, Profile, Visibility

HEALTH_FIELDS = ("diagnosis_year", "diagnosis_phase", "treatment")


def find_member(username: str) -> Member | None:
    """The member with this handle in any case or look-alike spelling, profile loaded."""
    return db.session.scalar(select(Member).where(Member.username_key == username_key(username)))


def change_username(member: Member, new_username: str) -> None:
    if new_username == member.username:
        return
    taken = db.session.scalar(
        select(Member.id).where(
            Member.username_key == username_key(new_username), Member.id != member.id
        )
    )
    if taken:
        raise DomainError({"username": _l("This username is taken. Please choose another.")})
    member.username = new_username
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise DomainError(
            {"username": _l("This username is taken. Please choose another.")}
        ) from None
    # The old handle is personal data too: the audit entry says that it changed, not what from.
    record("profile.username_changed", member=member, actor=member)


def update_profile(
    member: Member, *, username: str, story: str | None, languages: list[str], health: dict | None
) -> None:
    """Save the profile form; ``health`` is None when the member has not consented."""
    change_username(member, username)
    profile = member.profile
    profile.story = (story or "").strip() or None
    profile.languages = ",".join(languages)
    if health is not None:
        if not member.has_health_consent:
            raise DomainError({"": _l("Please give your consent before adding health details.")})
        for name in HEALTH_FIELDS:
            setattr(profile, name, health.get(name) or None)
    db.session.flush()
    record("profile.updated", member=member, actor=member)


def update_privacy(member: Member, levels: dict[str, str]) -> None:
    profile = member.profile
    for field in ("profile", *SENSITIVE_FIELDS):
        level = levels[f"{field}_visibility"]
        if level not in set(Visibility):
            raise DomainError({f"{field}_visibility": _l("Please choose who may see this.")})
        setattr(profile, f"{field}_visibility", level)
    db.session.flush()
    record("profile.privacy_changed", member=member, actor=member, **levels)


def profile_visible(viewer):
    """permissions.can_view_profile as a SQL condition on Member joined with Profile."""
    if viewer is None or not viewer.is_authenticated:
        return or_(
            and_(
                Profile.profile_visibility == Visibility.PUBLIC.value,
                Profile.hidden_at.is_(None),
            ),
            Member.role.in_(list(STAFF_ROLES)),
        )
    audience = or_(
        Profile.profile_visibility.in_([Visibility.PUBLIC.value, Visibility.MEMBERS.value]),
        and_(
            Profile.profile_visibility == Visibility.GROUPS.value,
            shares_group_condition(viewer.id, Member.id),
        ),
    )
    # Members blocked either way are left out, as can_view_profile leaves them out.
    not_blocked = Member.id.not_in(blocked_ids_select(viewer.id))
    return or_(
        Member.role.in_(list(STAFF_ROLES)),
        Member.id == viewer.id,
        and_(audience, not_blocked, *([] if viewer.is_staff else [Profile.hidden_at.is_(None)])),
    )


def member_directory(viewer, query: str | None):
    """A select of the members whose profiles ``viewer`` may see, by handle.

    The same rule as permissions.can_view_profile, in SQL so that the list pages at the
    database: staff always, public profiles for everyone, members' profiles for logged-in
    members, "my groups" profiles for members who share a group, and the viewer's own.
    """
    statement = (
        select(Member)
        .join(Member.profile)
        .options(contains_eager(Member.profile))
        .where(profile_visible(viewer))
    )
    if query:
        prefix = username_key(query.strip())
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        statement = statement.where(Member.username_key.like(f"{escaped}%", escape="\\"))
    return statement.order_by(Member.username_key)
