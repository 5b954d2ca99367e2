"""Every change to groups and memberships, and the selects that find groups."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, false, func, literal, or_, select, union_all, update
from sqlalchemy.exc import IntegrityError

from ..account.erasure import eraser
from ..account.export import LABELS, VALUES, section
from ..audit.services import record
from ..auth.models import Member
from ..database import utcnow
from ..errors import DomainError
from ..extensions import db
from ..notifications import services as notifications
from ..notifications.models import NotificationKind
from ..profiles.models import Profile, Visibility
from ..stories.models import Story
from . import permissions
from .countries import normalize
from .geocoding import distance_km
from .models import (
    HOLDS_COUNTRY,
    KIND_LABELS,
    SLUG_MAX_LENGTH,
    STATUS_LABELS,
    Group,
    GroupKind,
    GroupMembership,
    GroupStatus,
    JoinPolicy,
    MembershipRole,
    MembershipStatus,
)

#: Free text searched in names and descriptions: longer queries are cut here.
MAX_QUERY_LENGTH = 100


class NationalGroupExists(DomainError):
    """A country's national group exists (or waits for approval): ``group`` is that one."""

    def __init__(self, group: Group):
        if group.status == GroupStatus.PROPOSED:
            message = _l("A national group for this country is already waiting for approval.")
        else:
            message = _l("This country already has a national group. You can join it.")
        super().__init__({"country_code": message})
        self.group = group


# --- finding groups -------------------------------------------------------------------------


def find_group(slug: str) -> Group | None:
    if not slug or len(slug) > SLUG_MAX_LENGTH:
        return None
    return db.session.scalar(select(Group).where(Group.slug == slug))


def national_group(country_code: str) -> Group | None:
    """The country's active or proposed national group, if any."""
    return db.session.scalar(
        select(Group).where(
            Group.kind == GroupKind.NATIONAL,
            Group.country_code == country_code,
            Group.status.in_(HOLDS_COUNTRY),
        )
    )


def listed_groups():
    """Groups everyone can find: active ones (archived ones only through their country)."""
    return select(Group).where(Group.status == GroupStatus.ACTIVE)


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_groups(*, text: str = "", countries: list[str] | None = None, kind: str | None = None):
    """Active groups in ``countries`` (any of them) or whose name or description holds ``text``.

    Both are optional; with neither, every active group. National groups first, then by name.
    """
    statement = listed_groups()
    if kind:
        statement = statement.where(Group.kind == kind)
    conditions = []
    if countries:
        conditions.append(Group.country_code.in_(countries))
    folded = normalize(text[:MAX_QUERY_LENGTH]) if text else ""
    if folded:
        conditions.append(Group.search_text.like(_like_pattern(folded), escape="\\"))
    if conditions:
        statement = statement.where(or_(*conditions))
    elif text.strip():
        # Only punctuation ("%", "_", ".*"): nothing can match it, least of all everything.
        statement = statement.where(false())
    return _ordered(statement)


def _ordered(statement):
    national_first = (Group.kind != GroupKind.NATIONAL).cast(db.Integer)
    return statement.order_by(national_first, Group.name, Group.id)


def groups_in_country(country_code: str):
    """A country's active and archived groups, national first."""
    return _ordered(
        select(Group).where(
            Group.country_code == country_code,
            Group.status.in_([GroupStatus.ACTIVE, GroupStatus.ARCHIVED]),
        )
    )


@dataclass(frozen=True)
class NearGroup:
    group: Group
    distance_km: float


def groups_near(latitude: float, longitude: float, kind: str | None = None, limit: int = 50):
    """Active groups with a place, nearest first (geodesic distance, computed in Python).

    Every group with coordinates is read: there are hundreds, not millions, of groups.
    """
    statement = listed_groups().where(Group.latitude.is_not(None), Group.longitude.is_not(None))
    if kind:
        statement = statement.where(Group.kind == kind)
    here = (latitude, longitude)
    near = [
        NearGroup(group, distance_km(here, group.coordinates))
        for group in db.session.scalars(statement)
    ]
    near.sort(key=lambda item: (item.distance_km, item.group.name, item.group.id))
    return near[:limit]


def country_counts() -> dict[str, tuple[int, int]]:
    """{country code: (members, active groups)} in one query.

    Members count only when they show their country to other members or everyone: a member
    who keeps it to themselves or their groups is not counted on a public map.
    """
    members = (
        select(Member.country_code.label("code"), literal(1).label("m"), literal(0).label("g"))
        .join(Profile, Profile.member_id == Member.id)
        .where(
            Member.country_code.is_not(None),
            Profile.country_visibility.in_([Visibility.PUBLIC, Visibility.MEMBERS]),
        )
    )
    groups = select(
        Group.country_code.label("code"), literal(0).label("m"), literal(1).label("g")
    ).where(Group.status == GroupStatus.ACTIVE, Group.country_code.is_not(None))
    both = union_all(members, groups).subquery()
    rows = db.session.execute(
        select(both.c.code, func.sum(both.c.m), func.sum(both.c.g)).group_by(both.c.code)
    )
    return {code: (int(m), int(g)) for code, m, g in rows}


def group_members(viewer, group: Group):
    """The group's active members whose profiles ``viewer`` may see, newest first."""
    from ..profiles.services import profile_visible

    return (
        select(GroupMembership)
        .join(GroupMembership.member)
        .join(Member.profile)
        .where(
            GroupMembership.group_id == group.id,
            GroupMembership.status == MembershipStatus.ACTIVE,
            profile_visible(viewer),
        )
        .order_by(GroupMembership.joined_at.desc(), GroupMembership.id.desc())
    )


def pending_requests(group: Group):
    return (
        select(GroupMembership)
        .where(
            GroupMembership.group_id == group.id,
            GroupMembership.status == MembershipStatus.PENDING,
        )
        .order_by(GroupMembership.requested_at, GroupMembership.id)
    )


def group_stories(viewer, group: Group):
    from ..stories.services import visible_stories

    return visible_stories(viewer).where(Story.group_id == group.id)


def waiting_for_support(viewer, group: Group, limit: int = 5):
    """The group's oldest stories that nobody has answered or hugged yet."""
    return (
        group_stories(viewer, group)
        .where(Story.comment_count == 0, Story.hug_count == 0)
        .order_by(Story.created_at, Story.id)
        .limit(limit)
    )


def proposals():
    return (
        select(Group)
        .where(Group.status == GroupStatus.PROPOSED)
        .order_by(Group.created_at, Group.id)
    )


def groups_of(member: Member):
    """The member's active memberships with their groups, for the story form and their page."""
    return (
        select(Group)
        .join(GroupMembership, GroupMembership.group_id == Group.id)
        .where(
            GroupMembership.member_id == member.id,
            GroupMembership.status == MembershipStatus.ACTIVE,
        )
        .order_by(Group.name, Group.id)
    )


# --- founding -------------------------------------------------------------------------------


def slugify(name: str) -> str:
    """A readable address part: "CML Sverige" → "cml-sverige"; "Ålesund" → "alesund"."""
    ascii_text = unicodedata.normalize("NFKD", normalize(name)).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    return slug[: SLUG_MAX_LENGTH - 8].strip("-") or "group"


#: Addresses of the feature's own pages: a group cannot take them.
RESERVED_SLUGS = frozenset({"new", "near", "map", "countries", "country", "proposals"})


def _free_slug(name: str) -> str:
    base = slugify(name)
    if base in RESERVED_SLUGS:
        base = f"{base}-group"
    taken = set(
        db.session.scalars(
            select(Group.slug).where(or_(Group.slug == base, Group.slug.like(f"{base}-%")))
        )
    )
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


def _search_text(name: str, description: str) -> str:
    return normalize(f"{name} {description}")


def propose_group(
    founder: Member,
    *,
    name: str,
    kind: str,
    country_code: str | None,
    place=None,
    description: str,
    languages: list[str],
    visibility: str,
    join_policy: str,
) -> Group:
    """A verified member's proposal; it waits for sponsor staff (status "proposed")."""
    if kind == GroupKind.NATIONAL:
        if not country_code:
            raise DomainError({"country_code": _l("Please choose the group's country.")})
        existing = national_group(country_code)
        if existing is not None:
            raise NationalGroupExists(existing)
    name = name.strip()
    description = (description or "").strip()
    group = Group(
        slug=_free_slug(name),
        name=name,
        kind=kind,
        country_code=country_code or None,
        place_name=place.name if place else None,
        latitude=place.latitude if place else None,
        longitude=place.longitude if place else None,
        description=description,
        languages=",".join(languages),
        visibility=visibility,
        join_policy=join_policy,
        status=GroupStatus.PROPOSED,
        search_text=_search_text(name, description),
        founder_id=founder.id,
    )
    db.session.add(group)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        # Another proposal for the country, or the same address, won the race.
        existing = national_group(country_code) if kind == GroupKind.NATIONAL else None
        if existing is not None:
            raise NationalGroupExists(existing) from None
        raise DomainError({"name": _l("Please try again: the address was just taken.")}) from None
    record("group.proposed", member=founder, actor=founder, group_id=group.id, group_kind=kind)
    from ..moderation.models import Source, Target
    from ..moderation.services import open_item_for

    open_item_for(Target.GROUP, group, Source.PROPOSAL)  # staff decide on it from their queue
    return group


def edit_group(group: Group, editor: Member, *, description: str, languages, visibility, policy):
    group.description = (description or "").strip()
    group.languages = ",".join(languages)
    group.visibility = visibility
    group.join_policy = policy
    group.search_text = _search_text(group.name, group.description)
    db.session.flush()
    record("group.edited", actor=editor, group_id=group.id)


def _decided(group: Group, staff: Member, status: GroupStatus, note: str | None) -> None:
    updated = db.session.execute(
        update(Group)
        .where(Group.id == group.id, Group.status == GroupStatus.PROPOSED)
        .values(status=status, decided_by_id=staff.id, decided_at=utcnow(), decision_note=note)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.expire(group)
    if updated != 1:
        raise DomainError({"": _l("Another staff member decided on this proposal already.")})


def approve_group(group: Group, staff: Member) -> None:
    """Open the group; its founder becomes its first moderator and is told."""
    _decided(group, staff, GroupStatus.ACTIVE, None)
    if group.founder_id is not None:
        founder = db.session.get(Member, group.founder_id)
        db.session.add(
            GroupMembership(
                group_id=group.id,
                member_id=founder.id,
                role=MembershipRole.MODERATOR,
                status=MembershipStatus.ACTIVE,
                joined_at=utcnow(),
            )
        )
        _change_member_count(group.id, +1)
        db.session.flush()
        notifications.notify_group(founder.id, staff, NotificationKind.GROUP_APPROVED, group)
    permissions.forget_memberships()
    record("group.approved", member=group.founder, actor=staff, group_id=group.id)


def refuse_group(group: Group, staff: Member, note: str) -> None:
    _decided(group, staff, GroupStatus.REFUSED, note.strip() or None)
    if group.founder_id is not None:
        notifications.notify_group(group.founder_id, staff, NotificationKind.GROUP_REFUSED, group)
    record("group.refused", member=group.founder, actor=staff, group_id=group.id)


def archive_group(group: Group, staff: Member) -> None:
    if group.status != GroupStatus.ACTIVE:
        raise DomainError({"": _l("Only an active group can be archived.")})
    group.status = GroupStatus.ARCHIVED
    # Requests to join a closed group can no longer be answered.
    db.session.execute(
        delete(GroupMembership).where(
            GroupMembership.group_id == group.id,
            GroupMembership.status == MembershipStatus.PENDING,
        )
    )
    db.session.flush()
    record("group.archived", actor=staff, group_id=group.id)
    from ..moderation.log import log_action

    log_action(staff, "archive_group", target_type="group", target_id=group.id)


# --- membership -----------------------------------------------------------------------------


def _change_member_count(group_id: int, by: int) -> None:
    db.session.execute(
        update(Group)
        .where(Group.id == group_id)
        .values(member_count=Group.member_count + by)
        .execution_options(synchronize_session=False)
    )


def _closed_message(group: Group):
    if group.status == GroupStatus.ARCHIVED:
        return _l("This group is archived: it no longer takes new members.")
    return _l("This group is not open yet: sponsor staff have not approved it.")


def join_group(member: Member, group: Group) -> GroupMembership:
    """Join an open group, or ask to join one whose moderators approve members.

    Joining twice changes nothing: the first membership (or request) stands.
    """
    if group.status != GroupStatus.ACTIVE:
        raise DomainError({"": _closed_message(group)})
    if member.is_staff:
        raise DomainError({"": _l("Sponsor staff do not join groups as members.")})
    existing = permissions.membership(member, group)
    if existing is not None:
        return existing
    pending = group.join_policy == JoinPolicy.APPROVAL
    row = GroupMembership(
        group_id=group.id,
        member_id=member.id,
        status=MembershipStatus.PENDING if pending else MembershipStatus.ACTIVE,
        joined_at=None if pending else utcnow(),
    )
    db.session.add(row)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:  # the same member's other tab won the race
        permissions.forget_memberships()
        return permissions.membership(member, group)
    if pending:
        for moderator_id in _moderator_ids(group):
            notifications.notify_group(moderator_id, member, NotificationKind.JOIN_REQUEST, group)
    else:
        _change_member_count(group.id, +1)
    db.session.expire(group, ["member_count"])
    permissions.forget_memberships()
    return row


def _moderator_ids(group: Group) -> list[int]:
    return list(
        db.session.scalars(
            select(GroupMembership.member_id).where(
                GroupMembership.group_id == group.id,
                GroupMembership.role == MembershipRole.MODERATOR,
                GroupMembership.status == MembershipStatus.ACTIVE,
            )
        )
    )


def leave_group(member: Member, group: Group) -> bool:
    """Leave (or withdraw a request). Returns whether there was anything to leave."""
    was_active = db.session.scalar(
        delete(GroupMembership)
        .where(GroupMembership.group_id == group.id, GroupMembership.member_id == member.id)
        .returning(GroupMembership.status)
    )
    if was_active is None:
        return False
    if was_active == MembershipStatus.ACTIVE:
        _change_member_count(group.id, -1)
    db.session.expire(group, ["member_count"])
    permissions.forget_memberships()
    return True


def find_request(group: Group, membership_id: int) -> GroupMembership | None:
    return db.session.scalar(
        select(GroupMembership).where(
            GroupMembership.id == membership_id,
            GroupMembership.group_id == group.id,
            GroupMembership.status == MembershipStatus.PENDING,
        )
    )


def accept_request(moderator: Member, request_row: GroupMembership) -> bool:
    """Accept a pending request; False when someone else answered it a moment earlier."""
    accepted = db.session.execute(
        update(GroupMembership)
        .where(
            GroupMembership.id == request_row.id,
            GroupMembership.status == MembershipStatus.PENDING,
        )
        .values(status=MembershipStatus.ACTIVE, joined_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if not accepted:
        return False
    _change_member_count(request_row.group_id, +1)
    group = db.session.get(Group, request_row.group_id)
    db.session.expire(group, ["member_count"])
    notifications.notify_group(
        request_row.member_id, moderator, NotificationKind.JOIN_ACCEPTED, group
    )
    record("group.request_accepted", member=request_row.member, actor=moderator, group_id=group.id)
    return True


def refuse_request(moderator: Member, request_row: GroupMembership) -> bool:
    refused = db.session.execute(
        delete(GroupMembership).where(
            GroupMembership.id == request_row.id,
            GroupMembership.status == MembershipStatus.PENDING,
        )
    ).rowcount
    if refused:
        record(
            "group.request_refused",
            member=request_row.member,
            actor=moderator,
            group_id=request_row.group_id,
        )
    return bool(refused)


def set_place(member: Member, place) -> None:
    """Remember (or, with None, forget) the member's place for "groups near me"."""
    profile = member.profile
    profile.place_name = place.name if place else None
    profile.latitude = place.latitude if place else None
    profile.longitude = place.longitude if place else None
    db.session.flush()


# --- export and erasure ---------------------------------------------------------------------

LABELS.update(
    {
        "group": _l("Group"),
        "group_address": _l("Address of the group"),
        "role": _l("Role"),
        "membership": _l("Membership"),
        "requested_at": _l("Asked to join"),
        "joined_at": _l("Joined"),
        "kind": _l("Kind of group"),
        "status": _l("Status"),
        "country": _l("Country"),
        "place": _l("Place"),
        "description": _l("Description"),
        "latitude": _l("Latitude"),
        "longitude": _l("Longitude"),
    }
)
ROLE_LABELS = {MembershipRole.MEMBER: _l("Member"), MembershipRole.MODERATOR: _l("Moderator")}
MEMBERSHIP_LABELS = {
    MembershipStatus.ACTIVE: _l("Member"),
    MembershipStatus.PENDING: _l("Waiting for a moderator"),
}
VALUES["role"] = lambda value: ROLE_LABELS.get(value, value) if value else None
VALUES["membership"] = lambda value: MEMBERSHIP_LABELS.get(value, value) if value else None
VALUES["kind"] = lambda value: KIND_LABELS.get(value, value) if value else None
VALUES["status"] = lambda value: STATUS_LABELS.get(value, value) if value else None


def _address(group: Group) -> str:
    try:
        return url_for("groups.group", slug=group.slug, _external=True)
    except RuntimeError:  # outside a request: the path is enough
        return f"/groups/{group.slug}"


@section("group_memberships", _l("Your groups"))
def _export_memberships(member: Member) -> list[dict]:
    rows = db.session.execute(
        select(GroupMembership, Group)
        .join(Group, Group.id == GroupMembership.group_id)
        .where(GroupMembership.member_id == member.id)
        .order_by(GroupMembership.requested_at, GroupMembership.id)
    )
    return [
        {
            "group": group.name,
            "group_address": _address(group),
            "role": row.role,
            "membership": row.status,
            "requested_at": row.requested_at,
            "joined_at": row.joined_at,
        }
        for row, group in rows
    ]


@section("groups_founded", _l("Groups you proposed"))
def _export_founded(member: Member) -> list[dict]:
    rows = db.session.scalars(
        select(Group).where(Group.founder_id == member.id).order_by(Group.created_at, Group.id)
    )
    return [
        {
            "group": group.name,
            "group_address": _address(group),
            "kind": group.kind,
            "status": group.status,
            "country": group.country_code,
            "place": group.place_name,
            "description": group.description,
            "created_at": group.created_at,
        }
        for group in rows
    ]


@section("place", _l("Your place for groups near you"))
def _export_place(member: Member) -> dict | None:
    profile = member.profile
    if profile is None or profile.place_name is None:
        return None
    return {
        "place": profile.place_name,
        "latitude": profile.latitude,
        "longitude": profile.longitude,
    }


@eraser
def _erase_group_traces(member: Member) -> None:
    """Memberships go with the account (cascade) after the groups count them out; proposals
    still waiting go too (nobody else has seen them); groups the member founded stay, as the
    community's, without their founder (SET NULL). The member's group stories go with their
    other stories."""
    db.session.execute(
        update(Group)
        .where(
            Group.id.in_(
                select(GroupMembership.group_id).where(
                    GroupMembership.member_id == member.id,
                    GroupMembership.status == MembershipStatus.ACTIVE,
                )
            )
        )
        .values(member_count=Group.member_count - 1)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        delete(Group)
        .where(
            Group.founder_id == member.id,
            Group.status.in_([GroupStatus.PROPOSED, GroupStatus.REFUSED]),
        )
        .execution_options(synchronize_session=False)
    )
