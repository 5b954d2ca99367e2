"""Reactions: one row per sender, kind and target; the database keeps them unique."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..database import UTCDateTime, utcnow
from ..extensions import db


class ReactionKind(enum.StrEnum):
    HUG = "hug"
    HIGH_FIVE = "high_five"


class Reaction(db.Model):
    """A hug or high-five sent to exactly one of: a member, a story, a word of support.

    One nullable foreign key per kind of target (exactly one set) lets the database both keep
    each (sender, kind, target) unique and delete reactions with their target.
    """

    __tablename__ = "reactions"
    __table_args__ = (
        CheckConstraint("kind in ('hug', 'high_five')", name="kind_known"),
        CheckConstraint(
            "(CASE WHEN member_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN story_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN comment_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_target",
        ),
        CheckConstraint("member_id IS NULL OR member_id <> sender_id", name="not_to_oneself"),
        UniqueConstraint("sender_id", "kind", "member_id"),
        UniqueConstraint("sender_id", "kind", "story_id"),
        UniqueConstraint("sender_id", "kind", "comment_id"),
        Index("ix_reactions_member_id_kind", "member_id", "kind"),
        Index("ix_reactions_story_id_kind", "story_id", "kind"),
        Index("ix_reactions_comment_id_kind", "comment_id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sender_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    story_id: Mapped[int | None] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"))
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
