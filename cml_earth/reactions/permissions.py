"""Who may see and send hugs and high-fives: pure functions of (viewer, target)."""

from __future__ import annotations

from flask import current_app

from ..auth.models import Member
from ..auth.permissions import can_post
from ..profiles.permissions import can_view_profile
from ..social.queries import blocked_ids
from ..stories.models import Comment, Story
from ..stories.permissions import can_view_comment, can_view_story


def owner_id(target) -> int:
    """The member a reaction to ``target`` goes to: the member, or the author."""
    return target.id if isinstance(target, Member) else target.author_id


def can_see_target(viewer, target) -> bool:
    """Whether ``target`` exists for ``viewer`` at all (blocks in either direction included)."""
    if owner_id(target) in blocked_ids(viewer):
        return False
    if isinstance(target, Member):
        return can_view_profile(viewer, target)
    if isinstance(target, Story):
        return can_view_story(viewer, target)
    if isinstance(target, Comment):
        return can_view_comment(viewer, target)
    raise TypeError(f"{type(target).__name__} cannot receive reactions")


def is_own(viewer, target) -> bool:
    return bool(viewer is not None and viewer.is_authenticated and viewer.id == owner_id(target))


def can_react(viewer, target) -> bool:
    """Verified members, not staff (no endorsement: DOMAIN.md), never to themselves."""
    return (
        can_post(viewer)
        and not (viewer.is_staff and current_app.config["STAFF_REACTIONS_BLOCKED"])
        and not is_own(viewer, target)
        and can_see_target(viewer, target)
    )
