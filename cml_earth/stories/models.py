"""Stories and words of support (comments)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, utcnow
from ..extensions import db
from ..profiles.models import Visibility

TITLE_MAX_LENGTH = 200
BODY_MAX_LENGTH = 50_000
COMMENT_MAX_LENGTH = 5_000


def _known_visibility() -> str:
    return f"visibility in ({', '.join(repr(v.value) for v in Visibility)})"


class Story(db.Model):
    """A chapter of a member's history with CML."""

    __tablename__ = "stories"
    __table_args__ = (
        CheckConstraint(_known_visibility(), name="visibility_known"),
        CheckConstraint(
            "hug_count >= 0 AND high_five_count >= 0 AND comment_count >= 0",
            name="counts_not_negative",
        ),
        # A double click sends the same form twice: the second insert meets this constraint.
        UniqueConstraint("author_id", "submission_key"),
        Index("ix_stories_created_at_id", "created_at", "id"),
        Index("ix_stories_author_id_created_at_id", "author_id", "created_at", "id"),
        Index("ix_stories_group_id_created_at_id", "group_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(TITLE_MAX_LENGTH))
    body: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8))
    visibility: Mapped[str] = mapped_column(String(8), default=Visibility.MEMBERS)
    submission_key: Mapped[str | None] = mapped_column(String(36))
    # The group the story was posted to: its readers are also limited by the group's choice.
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id"))
    hug_count: Mapped[int] = mapped_column(default=0)
    high_five_count: Mapped[int] = mapped_column(default=0)
    comment_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Hidden by moderation (see moderation.hiding): gone for everyone but its author and staff.
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_reason: Mapped[str | None] = mapped_column(String(8))

    author = relationship("Member", lazy="joined", innerjoin=True)
    group = relationship("Group", lazy="joined")


class Comment(db.Model):
    """A word of support on a story."""

    __tablename__ = "comments"
    __table_args__ = (
        CheckConstraint("hug_count >= 0 AND high_five_count >= 0", name="counts_not_negative"),
        UniqueConstraint("author_id", "submission_key"),
        Index("ix_comments_story_id_created_at", "story_id", "created_at"),
        Index("ix_comments_author_id", "author_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    submission_key: Mapped[str | None] = mapped_column(String(36))
    hug_count: Mapped[int] = mapped_column(default=0)
    high_five_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_reason: Mapped[str | None] = mapped_column(String(8))

    story = relationship("Story")
    author = relationship("Member", lazy="joined", innerjoin=True)
