"""The things that can be reported and moderated: profiles, stories, words of support, groups.

One place knows, for each kind of target, how to load it, whose it is, what it said, whether a
viewer may see it, and how to hide, restore or delete it.
"""

from __future__ import annotations

from flask import url_for

from ..auth.models import Member
from ..database import utcnow
from ..extensions import db
from ..groups import permissions as group_permissions
from ..groups.models import Group, GroupStatus
from ..profiles import permissions as profile_permissions
from ..stories import permissions as story_permissions
from ..stories.models import Comment, Story
from .models import Target

EXCERPT_LENGTH = 280
SNAPSHOT_LENGTH = 20_000


class HiddenReason:
    HELD = "held"  # a new member's post waiting for approval
    REPORTS = "reports"  # reported by several members, until staff look
    STAFF = "staff"  # staff hid it


def load(target_type: str, target_id: int):
    """The target, or None when it does not exist (any more)."""
    model = {
        Target.PROFILE: Member,
        Target.STORY: Story,
        Target.COMMENT: Comment,
        Target.GROUP: Group,
    }.get(target_type)
    if model is None:
        return None
    return db.session.get(model, target_id)


def subject_id(target_type: str, target) -> int | None:
    """The member whose content it is."""
    if target_type == Target.PROFILE:
        return target.id
    if target_type == Target.GROUP:
        return target.founder_id
    return target.author_id


def can_see(viewer, target_type: str, target) -> bool:
    """Whether ``viewer`` may see the target at all (reporting needs that, and nothing leaks)."""
    if target is None:
        return False
    if target_type == Target.PROFILE:
        return profile_permissions.can_view_profile(viewer, target) and not is_hidden_from(
            viewer, target_type, target
        )
    if target_type == Target.STORY:
        return story_permissions.can_view_story(viewer, target)
    if target_type == Target.COMMENT:
        return story_permissions.can_view_comment(viewer, target)
    return group_permissions.can_see_group(viewer, target)


def _hideable(target_type: str, target):
    return target.profile if target_type == Target.PROFILE else target


def is_hidden(target_type: str, target) -> bool:
    if target_type == Target.GROUP:
        return target.status == GroupStatus.ARCHIVED
    return _hideable(target_type, target).hidden_at is not None


def is_hidden_from(viewer, target_type: str, target) -> bool:
    """Hidden content is gone for everyone but its member and staff."""
    if target_type == Target.GROUP or not is_hidden(target_type, target):
        return False
    if viewer is None or not viewer.is_authenticated:
        return True
    return not (viewer.is_staff or viewer.id == subject_id(target_type, target))


def hide(target_type: str, target, reason: str) -> bool:
    """Hide the target; False when it already was. Groups are archived instead."""
    if target_type == Target.GROUP:
        if target.status != GroupStatus.ACTIVE:
            return False
        target.status = GroupStatus.ARCHIVED
        return True
    thing = _hideable(target_type, target)
    if thing.hidden_at is not None:
        return False
    thing.hidden_at = utcnow()
    thing.hidden_reason = reason
    return True


def restore(target_type: str, target) -> bool:
    """Show the target again; False when it was not hidden."""
    if target_type == Target.GROUP:
        if target.status != GroupStatus.ARCHIVED:
            return False
        target.status = GroupStatus.ACTIVE
        return True
    thing = _hideable(target_type, target)
    if thing.hidden_at is None:
        return False
    thing.hidden_at = None
    thing.hidden_reason = None
    return True


def delete(target_type: str, target) -> None:
    """Delete a story or word of support (a profile's words are emptied; groups are archived)."""
    from ..stories import services as story_services

    if target_type == Target.STORY:
        story_services.delete_story(target)
    elif target_type == Target.COMMENT:
        story_services.delete_comment(target)
    elif target_type == Target.PROFILE:
        target.profile.story = None
        hide(target_type, target, HiddenReason.STAFF)
    else:
        hide(target_type, target, HiddenReason.STAFF)


def _text(target_type: str, target) -> tuple[str, str]:
    if target_type == Target.STORY:
        return target.title, target.body
    if target_type == Target.COMMENT:
        return "", target.body
    if target_type == Target.GROUP:
        return target.name, target.description
    return target.username, target.profile.story or ""


def text_of(target_type: str, target) -> str:
    title, body = _text(target_type, target)
    return f"{title}\n\n{body}".strip()


def excerpt(target_type: str, target) -> str:
    text = " ".join(text_of(target_type, target).split())
    return text if len(text) <= EXCERPT_LENGTH else text[: EXCERPT_LENGTH - 1] + "…"


def snapshot(target_type: str, target) -> dict:
    """What staff need to judge it even after it changes or goes: the words and their context."""
    title, body = _text(target_type, target)
    author_id = subject_id(target_type, target)
    author = db.session.get(Member, author_id) if author_id else None
    data = {
        "title": title,
        "body": body[:SNAPSHOT_LENGTH],
        "author": author.username if author else None,
        "author_role": author.role if author else None,
        "written_at": getattr(target, "created_at", None) and target.created_at.isoformat(),
    }
    if target_type == Target.COMMENT:
        data["story_id"] = target.story_id
        data["story_title"] = target.story.title if target.story else None
    if target_type == Target.STORY and target.group is not None:
        data["group"] = target.group.name
    return data


def url_of(target_type: str, target) -> str:
    if target_type == Target.PROFILE:
        return url_for("profiles.profile", username=target.username)
    if target_type == Target.STORY:
        return url_for("stories.story", story_id=target.id)
    if target_type == Target.COMMENT:
        return url_for("stories.story", story_id=target.story_id, _anchor=f"comment-{target.id}")
    return url_for("groups.group", slug=target.slug)
