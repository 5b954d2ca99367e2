"""Notifications, and the state that makes every mail go out exactly once."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, utcnow
from ..extensions import db


class NotificationKind(enum.StrEnum):
    HUG = "hug"  # a hug to the member, their story or their word of support
    HIGH_FIVE = "high_five"
    COMMENT = "comment"  # a new word of support on their story
    FOLLOW = "follow"
    GROUP_APPROVED = "group_approved"  # to the founder: staff approved the group they proposed
    GROUP_REFUSED = "group_refused"
    JOIN_REQUEST = "join_request"  # to a group's moderators: someone asks to join
    JOIN_ACCEPTED = "join_accepted"  # to the member who asked
    DECISION = "decision"  # moderators restricted the member's content or account
    APPEAL_DECIDED = "appeal_decided"  # staff decided the member's appeal
    CONTACT_REQUEST = "contact_request"  # the safety team asks to contact the member


class EmailFrequency(enum.StrEnum):
    EACH = "each"
    DAILY = "daily"
    WEEKLY = "weekly"
    NEVER = "never"


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint(
            f"kind in ({', '.join(repr(kind.value) for kind in NotificationKind)})",
            name="kind_known",
        ),
        Index("ix_notifications_recipient_id_read_at", "recipient_id", "read_at"),
        Index("ix_notifications_recipient_id_created_at", "recipient_id", "created_at"),
        Index("ix_notifications_emailed_at_recipient_id", "emailed_at", "recipient_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    story_id: Mapped[int | None] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"))
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    decision_id: Mapped[int | None] = mapped_column(
        ForeignKey("moderation_decisions.id", ondelete="CASCADE")
    )
    # A contact request from the safety team is about one side-effect case.
    case_id: Mapped[int | None] = mapped_column(ForeignKey("safety_cases.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Mail state: a sender claims unsent notifications with a batch id (one UPDATE), then marks
    # them sent; a claim that never completes is taken over after a timeout.
    email_batch: Mapped[str | None] = mapped_column(String(32))
    email_claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    actor = relationship("Member", foreign_keys=[actor_id], lazy="joined")
    story = relationship("Story", lazy="joined")
    group = relationship("Group", lazy="joined")
    decision = relationship("Decision", lazy="joined")
