"""Who may see a profile and each of its parts: pure functions, for views and templates alike."""

from __future__ import annotations

from ..groups.permissions import co_member_ids
from ..social.queries import blocked_ids
from .models import SENSITIVE_FIELDS, Visibility


def _is_self(viewer, member) -> bool:
    return bool(viewer is not None and viewer.is_authenticated and viewer.id == member.id)


def shares_group(viewer, member) -> bool:
    """Whether the two are active members of a common group (one query per request)."""
    return bool(viewer is not None and viewer.is_authenticated) and member.id in co_member_ids(
        viewer
    )


def allows(level: str, viewer, member) -> bool:
    """Whether ``viewer`` is in the audience ``level`` of ``member``'s content."""
    if _is_self(viewer, member):
        return True
    if level == Visibility.PUBLIC:
        return True
    if viewer is None or not viewer.is_authenticated:
        return False
    if level == Visibility.MEMBERS:
        return True
    if level == Visibility.GROUPS:
        return shares_group(viewer, member)
    return False  # Visibility.PRIVATE, or anything unknown


def can_view_profile(viewer, member) -> bool:
    """The profile page and the member's presence in listings."""
    if member.is_staff:
        return True  # sponsor staff are always identifiable (and cannot be blocked)
    if member.id in blocked_ids(viewer):
        return False  # blocked either way: each is a 404 to the other
    if member.profile.hidden_at is not None and not _is_self(viewer, member):
        # Hidden by moderation: its member and staff only.
        return bool(viewer is not None and viewer.is_authenticated and viewer.is_staff)
    return allows(member.profile.profile_visibility, viewer, member)


def can_view_field(viewer, member, field: str) -> bool:
    """One sensitive part of a visible profile (story, country, health, avatar)."""
    if field not in SENSITIVE_FIELDS:
        raise ValueError(f"unknown profile field {field!r}")
    if not can_view_profile(viewer, member):
        return False
    if field == "health" and not member.has_health_consent:
        return False  # health details exist only with consent
    # A part is never shown wider than the profile as a whole: the narrower level wins. For
    # members can_view_profile already checked that; staff profiles are always visible, but
    # what staff wrote about themselves still follows their own choice for the profile.
    profile = member.profile
    return allows(profile.profile_visibility, viewer, member) and allows(
        getattr(profile, f"{field}_visibility"), viewer, member
    )


def visible_fields(viewer, member, fields=SENSITIVE_FIELDS) -> frozenset[str]:
    """Which of ``fields`` (default: all sensitive parts) of ``member``'s profile ``viewer`` sees.

    Lists pass only the fields they show: "health" looks at the member's consents, a query
    per member that a list showing no health details should not pay for.
    """
    return frozenset(f for f in fields if can_view_field(viewer, member, f))


def would_see_after_login(member) -> bool:
    """Whether logging in could open a profile an anonymous visitor may not see."""
    return member.profile.profile_visibility in (Visibility.MEMBERS, Visibility.GROUPS)


def can_edit_profile(viewer, member) -> bool:
    return _is_self(viewer, member)
