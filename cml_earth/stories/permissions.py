"""Who may see, write, change and answer stories: pure functions of (viewer, thing)."""

from __future__ import annotations

from ..auth.permissions import can_post
from ..groups.permissions import can_read_content
from ..profiles.permissions import allows
from ..social.queries import blocked_ids


def _is_author(viewer, thing) -> bool:
    return bool(viewer is not None and viewer.is_authenticated and viewer.id == thing.author_id)


def _is_staff(viewer) -> bool:
    return bool(viewer is not None and viewer.is_authenticated and viewer.is_staff)


def can_view_story(viewer, story) -> bool:
    if story is None:
        return False
    if _is_author(viewer, story):
        return True
    if story.hidden_at is not None and not _is_staff(viewer):
        return False  # hidden by moderation: its author and staff only
    if story.author_id in blocked_ids(viewer):
        return False
    if story.group_id is not None and not can_read_content(viewer, story.group):
        return False  # a group's story is never wider than the group's own choice
    return allows(story.visibility, viewer, story.author)


def can_edit_story(viewer, story) -> bool:
    return _is_author(viewer, story)


def can_comment(viewer, story) -> bool:
    """Verified members who may see the story and are not blocked by its author."""
    return can_post(viewer) and can_view_story(viewer, story)


def can_view_comment(viewer, comment) -> bool:
    if _is_author(viewer, comment):
        return True
    if comment.hidden_at is not None and not _is_staff(viewer):
        return False
    return comment.author_id not in blocked_ids(viewer) and can_view_story(viewer, comment.story)


def can_edit_comment(viewer, comment) -> bool:
    return _is_author(viewer, comment)


def can_remove_comment(viewer, comment) -> bool:
    """Its author, or the author of the story it answers."""
    return _is_author(viewer, comment) or _is_author(viewer, comment.story)
