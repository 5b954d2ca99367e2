"""Patient groups (national, local, topic) and who belongs to them."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, utcnow
from ..extensions import db

NAME_MAX_LENGTH = 100
SLUG_MAX_LENGTH = 80
PLACE_MAX_LENGTH = 120
DESCRIPTION_MAX_LENGTH = 10_000


class GroupKind(enum.StrEnum):
    NATIONAL = "national"  # the group of a country
    LOCAL = "local"  # a city or region
    TOPIC = "topic"  # such as "treatment-free remission" or "newly diagnosed"


class GroupVisibility(enum.StrEnum):
    """Who may read what is posted in a group (its about page is visible to everyone)."""

    GROUP = "group"
    MEMBERS = "members"
    PUBLIC = "public"


class JoinPolicy(enum.StrEnum):
    OPEN = "open"
    APPROVAL = "approval"


class GroupStatus(enum.StrEnum):
    PROPOSED = "proposed"  # waiting for sponsor staff
    ACTIVE = "active"
    ARCHIVED = "archived"  # readable, closed to new members and posts
    REFUSED = "refused"  # a proposal staff did not approve


class MembershipRole(enum.StrEnum):
    MEMBER = "member"
    MODERATOR = "moderator"


class MembershipStatus(enum.StrEnum):
    PENDING = "pending"  # asked to join a group that approves its members
    ACTIVE = "active"


KIND_LABELS = {
    GroupKind.NATIONAL: _l("National group"),
    GroupKind.LOCAL: _l("Local group"),
    GroupKind.TOPIC: _l("Topic group"),
}
VISIBILITY_LABELS = {
    GroupVisibility.GROUP: _l("Members of the group only"),
    GroupVisibility.MEMBERS: _l("All logged-in members"),
    GroupVisibility.PUBLIC: _l("Anyone, also visitors who are not logged in"),
}
JOIN_POLICY_LABELS = {
    JoinPolicy.OPEN: _l("Anyone can join"),
    JoinPolicy.APPROVAL: _l("Group moderators approve who joins"),
}
STATUS_LABELS = {
    GroupStatus.PROPOSED: _l("Waiting for approval"),
    GroupStatus.ACTIVE: _l("Active"),
    GroupStatus.ARCHIVED: _l("Archived"),
    GroupStatus.REFUSED: _l("Not approved"),
}

#: Statuses in which a national group holds its country: one such group per country.
HOLDS_COUNTRY = (GroupStatus.PROPOSED, GroupStatus.ACTIVE)


def _in(column: str, values) -> str:
    return f"{column} in ({', '.join(repr(str(v)) for v in values)})"


_NATIONAL_HOLDS_COUNTRY = f"kind = 'national' AND {_in('status', HOLDS_COUNTRY)}"


class Group(db.Model):
    __tablename__ = "groups"
    __table_args__ = (
        CheckConstraint(_in("kind", GroupKind), name="kind_known"),
        CheckConstraint(_in("visibility", GroupVisibility), name="visibility_known"),
        CheckConstraint(_in("join_policy", JoinPolicy), name="join_policy_known"),
        CheckConstraint(_in("status", GroupStatus), name="status_known"),
        CheckConstraint("kind <> 'national' OR country_code IS NOT NULL", name="national_country"),
        CheckConstraint(
            "latitude IS NULL OR (latitude BETWEEN -90 AND 90)", name="latitude_in_range"
        ),
        CheckConstraint(
            "longitude IS NULL OR (longitude BETWEEN -180 AND 180)", name="longitude_in_range"
        ),
        CheckConstraint("member_count >= 0", name="member_count_not_negative"),
        # At most one national group per country that is active or waiting for approval.
        Index(
            "uq_groups_national_country",
            "country_code",
            unique=True,
            sqlite_where=db.text(_NATIONAL_HOLDS_COUNTRY),
            postgresql_where=db.text(_NATIONAL_HOLDS_COUNTRY),
        ),
        Index("ix_groups_status_country_code", "status", "country_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(SLUG_MAX_LENGTH), unique=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX_LENGTH))
    kind: Mapped[str] = mapped_column(String(16))
    country_code: Mapped[str | None] = mapped_column(String(2))
    place_name: Mapped[str | None] = mapped_column(String(PLACE_MAX_LENGTH))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    description: Mapped[str] = mapped_column(Text, default="")
    # ISO 639-1 codes of the group's main languages, comma-separated.
    languages: Mapped[str] = mapped_column(String(64), default="")
    visibility: Mapped[str] = mapped_column(String(8), default=GroupVisibility.MEMBERS)
    join_policy: Mapped[str] = mapped_column(String(8), default=JoinPolicy.OPEN)
    status: Mapped[str] = mapped_column(String(8), default=GroupStatus.PROPOSED)
    # Name and description folded (no case, no accents) for free-text search on every database.
    search_text: Mapped[str] = mapped_column(Text, default="")
    member_count: Mapped[int] = mapped_column(default=0)
    founder_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    founder = relationship("Member", foreign_keys=[founder_id])

    @property
    def language_codes(self) -> list[str]:
        return [code for code in (self.languages or "").split(",") if code]

    @property
    def is_active(self) -> bool:
        return self.status == GroupStatus.ACTIVE

    @property
    def coordinates(self) -> tuple[float, float] | None:
        if self.latitude is None or self.longitude is None:
            return None
        return (self.latitude, self.longitude)


class GroupMembership(db.Model):
    __tablename__ = "group_memberships"
    __table_args__ = (
        UniqueConstraint("group_id", "member_id"),
        CheckConstraint(_in("role", MembershipRole), name="role_known"),
        CheckConstraint(_in("status", MembershipStatus), name="status_known"),
        Index("ix_group_memberships_member_id_status", "member_id", "status"),
        Index("ix_group_memberships_group_id_status_joined_at", "group_id", "status", "joined_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16), default=MembershipRole.MEMBER)
    status: Mapped[str] = mapped_column(String(8), default=MembershipStatus.ACTIVE)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    joined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    group = relationship("Group")
    member = relationship("Member", lazy="joined", innerjoin=True)

    @property
    def is_moderator(self) -> bool:
        return self.status == MembershipStatus.ACTIVE and self.role == MembershipRole.MODERATOR
