"""Who may see, join, post in and run a group: functions of (viewer, group).

Memberships are read once per request (the viewer's own rows), so templates can ask freely.
"""

from __future__ import annotations

from flask import g, has_request_context
from sqlalchemy import exists, or_, select
from sqlalchemy.orm import aliased

from ..extensions import db
from .models import Group, GroupMembership, GroupStatus, GroupVisibility, MembershipStatus

_CACHE = "_cml_group_memberships"
#: Groups whose stories can be read at all (proposed and refused groups have none).
CONTENT_STATUSES = (GroupStatus.ACTIVE, GroupStatus.ARCHIVED)


def _is_member(viewer) -> bool:
    return bool(viewer is not None and viewer.is_authenticated)


def memberships_of(viewer) -> dict[int, GroupMembership]:
    """The viewer's memberships (pending ones included) by group id: one query per request."""
    if not _is_member(viewer):
        return {}
    cache = g.setdefault(_CACHE, {}) if has_request_context() else {}
    if viewer.id not in cache:
        rows = db.session.scalars(
            select(GroupMembership).where(GroupMembership.member_id == viewer.id)
        ).all()
        cache[viewer.id] = {row.group_id: row for row in rows}
    return cache[viewer.id]


def forget_memberships() -> None:
    """Drop the per-request cache after a membership changed in this request."""
    if has_request_context():
        g.pop(_CACHE, None)
        g.pop("_cml_co_members", None)


def membership(viewer, group) -> GroupMembership | None:
    return memberships_of(viewer).get(group.id)


def is_group_member(viewer, group) -> bool:
    row = membership(viewer, group)
    return row is not None and row.status == MembershipStatus.ACTIVE


def is_staff(viewer) -> bool:
    return bool(_is_member(viewer) and viewer.is_staff)


def can_see_group(viewer, group) -> bool:
    """The group's page: active and archived groups for everyone; proposals for their founder
    and staff; refused proposals for staff and founder too (so the founder reads why)."""
    if group is None:
        return False
    if group.status in CONTENT_STATUSES:
        return True
    return is_staff(viewer) or (_is_member(viewer) and viewer.id == group.founder_id)


def can_read_content(viewer, group) -> bool:
    """The group's stories and member list."""
    if not can_see_group(viewer, group):
        return False
    if group.visibility == GroupVisibility.PUBLIC:
        return True
    if not _is_member(viewer):
        return False
    if group.visibility == GroupVisibility.MEMBERS or viewer.is_staff:
        return True
    return is_group_member(viewer, group)


def can_join(viewer, group) -> bool:
    return bool(
        _is_member(viewer)
        and viewer.is_verified
        and not viewer.is_staff
        and group.status == GroupStatus.ACTIVE
        and membership(viewer, group) is None
    )


def can_post(viewer, group) -> bool:
    return bool(
        _is_member(viewer)
        and viewer.is_verified
        and group.status == GroupStatus.ACTIVE
        and is_group_member(viewer, group)
    )


def can_moderate(viewer, group) -> bool:
    """The group's moderators (and sponsor staff) accept requests and edit the about text."""
    if is_staff(viewer):
        return True
    row = membership(viewer, group)
    return row is not None and row.is_moderator


def can_decide(viewer) -> bool:
    """Approve or refuse proposals, archive groups: sponsor staff and admins."""
    return is_staff(viewer)


# --- "members of my groups": the visibility level of profiles and stories -------------------


def co_member_ids(viewer) -> frozenset[int]:
    """Ids of the members who share an active membership of some group with ``viewer``.

    One query per request; the viewer is in the set when they belong to any group.
    """
    if not _is_member(viewer):
        return frozenset()
    cache = g.setdefault("_cml_co_members", {}) if has_request_context() else {}
    if viewer.id not in cache:
        mine = aliased(GroupMembership)
        theirs = aliased(GroupMembership)
        cache[viewer.id] = frozenset(
            db.session.scalars(
                select(theirs.member_id)
                .join(mine, mine.group_id == theirs.group_id)
                .where(
                    mine.member_id == viewer.id,
                    mine.status == MembershipStatus.ACTIVE,
                    theirs.status == MembershipStatus.ACTIVE,
                )
                .distinct()
            )
        )
    return cache[viewer.id]


def shares_group_condition(viewer_id: int, member_id_column):
    """SQL: the member in ``member_id_column`` shares an active group membership with the viewer."""
    mine = aliased(GroupMembership)
    theirs = aliased(GroupMembership)
    statement = (
        select(theirs.id)
        .join(mine, mine.group_id == theirs.group_id)
        .where(
            mine.member_id == viewer_id,
            mine.status == MembershipStatus.ACTIVE,
            theirs.member_id == member_id_column,
            theirs.status == MembershipStatus.ACTIVE,
        )
    )
    if db.engine.dialect.name == "postgresql":
        # OFFSET 0 keeps PostgreSQL from turning this into a hashed set of every co-member of
        # the viewer, built before the first row: thousands of members in a big country group
        # (4.5 ms a list at 100,000 members), where a page asks a few rows two index lookups.
        statement = statement.offset(0)
    return exists(statement)


def readable_group_ids(viewer):
    """SQL: ids of the groups whose content ``viewer`` may read (see can_read_content)."""
    statement = select(Group.id).where(Group.status.in_(CONTENT_STATUSES))
    if not _is_member(viewer):
        return statement.where(Group.visibility == GroupVisibility.PUBLIC)
    if viewer.is_staff:
        return statement
    return statement.where(
        or_(
            Group.visibility.in_([GroupVisibility.PUBLIC, GroupVisibility.MEMBERS]),
            Group.id.in_(
                select(GroupMembership.group_id).where(
                    GroupMembership.member_id == viewer.id,
                    GroupMembership.status == MembershipStatus.ACTIVE,
                )
            ),
        )
    )
