"""Following members: rules, changes and the lists of who follows whom."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from ..account.export import LABELS, section
from ..auth.models import Member
from ..auth.permissions import can_post
from ..extensions import db
from ..notifications.services import notify_follow
from ..profiles.permissions import can_view_profile
from .models import Follow
from .queries import blocked_ids


class FollowNotFound(LookupError):
    """The member does not exist for the follower (hidden profile or a block): answer 404."""


class FollowRefused(Exception):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def can_see_member(viewer, member) -> bool:
    return member.id not in blocked_ids(viewer) and can_view_profile(viewer, member)


def can_follow(viewer, member) -> bool:
    """Verified members follow others whose profile they see and with whom there is no block."""
    return bool(can_post(viewer) and viewer.id != member.id and can_see_member(viewer, member))


def is_following(follower, member) -> bool:
    if follower is None or not follower.is_authenticated:
        return False
    return db.session.get(Follow, (follower.id, member.id)) is not None


def _check(follower, member) -> None:
    if not can_see_member(follower, member):
        raise FollowNotFound()
    if not can_post(follower):
        raise FollowRefused(_l("Please confirm your email address before you follow members."))
    if follower.id == member.id:
        raise FollowRefused(_l("You cannot follow yourself."))


def follow(follower, member) -> tuple[bool, Follow | None]:
    """Start following ``member``; returns (added, the follow or None when it was there)."""
    _check(follower, member)
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(Follow)
        .values(follower_id=follower.id, followed_id=member.id)
        .on_conflict_do_nothing()
        .returning(Follow)
    )
    try:
        with db.session.begin_nested():
            row = db.session.scalars(statement).one_or_none()
    except IntegrityError:
        raise FollowNotFound() from None  # the member was deleted meanwhile
    if row is None:
        return False, None
    notify_follow(follower, member)
    db.session.flush()
    return True, row


def unfollow(follower, member) -> bool:
    """Stop following ``member``; False when there was nothing to stop. Always allowed."""
    removed = db.session.execute(
        delete(Follow)
        .where(Follow.follower_id == follower.id, Follow.followed_id == member.id)
        .returning(Follow.followed_id),
        execution_options={"synchronize_session": False},
    ).all()
    db.session.flush()
    return bool(removed)


def followed_ids_select(member_id: int):
    """Ids of the members ``member_id`` follows, as a subquery (for the home feed)."""
    return select(Follow.followed_id).where(Follow.follower_id == member_id)


def _visible_members(viewer, ids_select):
    from ..profiles.services import profile_visible

    statement = (
        select(Member)
        .join(Member.profile)
        .options(contains_eager(Member.profile))
        .where(Member.id.in_(ids_select), profile_visible(viewer))
        .order_by(Member.username_key)
    )
    hidden = blocked_ids(viewer)
    if hidden:
        statement = statement.where(Member.id.not_in(hidden))
    return statement


def following(viewer, member):
    """A select of the members ``member`` follows whom ``viewer`` may see."""
    return _visible_members(viewer, followed_ids_select(member.id))


def followers(viewer, member):
    """A select of the members following ``member`` whom ``viewer`` may see."""
    return _visible_members(
        viewer, select(Follow.follower_id).where(Follow.followed_id == member.id)
    )


# --- export ---------------------------------------------------------------------------------

LABELS.update({"since": _l("Since")})


@section("following", _l("Members you follow"))
def _export_following(member: Member) -> list[dict]:
    rows = db.session.execute(
        select(Member.username, Follow.created_at)
        .join(Follow, Follow.followed_id == Member.id)
        .where(Follow.follower_id == member.id)
        .order_by(Follow.created_at)
    )
    return [{"username": username, "since": since} for username, since in rows]


@section("followers", _l("When members started following you"))
def _export_followers(member: Member) -> list[dict]:
    # Only when: who follows is the followers' data, and some keep their profile hidden.
    rows = db.session.scalars(
        select(Follow.created_at).where(Follow.followed_id == member.id).order_by(Follow.created_at)
    )
    return [{"since": since} for since in rows]
