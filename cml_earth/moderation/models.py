"""Reports, notices, the review queue, statements of reasons and the staff action log."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, utcnow
from ..extensions import db


class Target(enum.StrEnum):
    """What can be reported and moderated."""

    PROFILE = "profile"
    STORY = "story"
    COMMENT = "comment"
    GROUP = "group"


class Reason(enum.StrEnum):
    SPAM = "spam"
    HARASSMENT = "harassment"
    MISINFORMATION = "misinformation"
    PERSONAL_DETAILS = "personal_details"
    SELF_HARM = "self_harm"
    SIDE_EFFECT = "side_effect"
    OTHER = "other"


REASON_LABELS = {
    Reason.SPAM: _l("Spam or advertising"),
    Reason.HARASSMENT: _l("Harassment or hate"),
    Reason.MISINFORMATION: _l("Medical misinformation"),
    Reason.PERSONAL_DETAILS: _l("Personal details exposed"),
    Reason.SELF_HARM: _l("A member at risk of self-harm"),
    Reason.SIDE_EFFECT: _l("A possible side effect of a medicine"),
    Reason.OTHER: _l("Something else"),
}


class Source(enum.StrEnum):
    """Why an item is in the queue, besides members' reports."""

    REPORT = "report"
    NOTICE = "notice"  # a Digital Services Act notice
    CRISIS = "crisis"  # self-harm language found when the post was written
    SIDE_EFFECT = "side_effect"  # a medicine and a side effect named together
    HELD = "held"  # a new member's post held for approval
    PROPOSAL = "proposal"  # a proposed group
    APPEAL = "appeal"


class Priority(enum.IntEnum):
    """Lower comes first in the queue."""

    SELF_HARM = 0
    SIDE_EFFECT = 1
    NORMAL = 2


def priority_of(reason: str) -> Priority:
    if reason in (Reason.SELF_HARM, Source.CRISIS):
        return Priority.SELF_HARM
    if reason in (Reason.SIDE_EFFECT, Source.SIDE_EFFECT):
        return Priority.SIDE_EFFECT
    return Priority.NORMAL


def _one_of(column: str, values) -> str:
    return f"{column} in ({', '.join(repr(str(v)) for v in values)})"


class ItemStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Action(enum.StrEnum):
    """What staff can do with an item; each one writes one row of the staff log."""

    DISMISS = "dismiss"
    HIDE = "hide"
    RESTORE = "restore"
    DELETE = "delete"
    WARN = "warn"
    SILENCE = "silence"
    SUSPEND = "suspend"
    APPROVE_POST = "approve_post"
    APPROVE_GROUP = "approve_group"
    REFUSE_GROUP = "refuse_group"
    UPHOLD = "uphold"  # an appeal: the decision stands
    REVERSE = "reverse"  # an appeal: the decision is undone


class ModerationItem(db.Model):
    """One thing waiting for staff: a piece of content or a proposal, with all its reports."""

    __tablename__ = "moderation_items"
    __table_args__ = (
        CheckConstraint(
            _one_of("target_type", [*Target, "decision", "notice"]), name="target_known"
        ),
        CheckConstraint(_one_of("status", ItemStatus), name="status_known"),
        # One open item per thing: a new report joins it instead of opening another.
        Index(
            "uq_moderation_items_open_target",
            "target_type",
            "target_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        Index("ix_moderation_items_status_priority_opened_at", "status", "priority", "opened_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    target_type: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[int] = mapped_column(Integer)
    # The member whose content or conduct it is (the author, the founder, the appellant).
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(8), default=ItemStatus.OPEN)
    priority: Mapped[int] = mapped_column(Integer, default=Priority.NORMAL)
    # Every reason and source seen, in order, without repeats ("report:spam", "crisis", ...).
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    report_count: Mapped[int] = mapped_column(Integer, default=0)
    # What the content said when the item opened: staff judge it even if it changes or goes.
    snapshot: Mapped[dict] = mapped_column(JSON, default=dict)
    auto_hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    resolution: Mapped[str | None] = mapped_column(String(16))

    subject = relationship("Member", foreign_keys=[subject_id])
    closed_by = relationship("Member", foreign_keys=[closed_by_id])


class Report(db.Model):
    """A member's report; the author of the content never learns who sent it."""

    __tablename__ = "reports"
    __table_args__ = (
        CheckConstraint(_one_of("target_type", Target), name="target_known"),
        CheckConstraint(_one_of("reason", Reason), name="reason_known"),
        UniqueConstraint("reporter_id", "target_type", "target_id"),
        Index("ix_reports_item_id", "item_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    target_type: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(24))
    details: Mapped[str | None] = mapped_column(Text)
    item_id: Mapped[int | None] = mapped_column(
        ForeignKey("moderation_items.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Notice(db.Model):
    """A notice under the EU Digital Services Act (art. 16): anyone may send one."""

    __tablename__ = "dsa_notices"
    __table_args__ = (CheckConstraint(_one_of("reason", Reason), name="reason_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The receipt's number, given to the sender; not guessable.
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    reason: Mapped[str] = mapped_column(String(24))
    location: Mapped[str] = mapped_column(String(2000))
    explanation: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    good_faith: Mapped[bool] = mapped_column(Boolean)
    # The language the notice was written in: the decision is mailed in it.
    locale: Mapped[str] = mapped_column(String(16), default="en")
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    target_type: Mapped[str | None] = mapped_column(String(16))
    target_id: Mapped[int | None] = mapped_column(Integer)
    item_id: Mapped[int | None] = mapped_column(
        ForeignKey("moderation_items.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Decision(db.Model):
    """A restriction of a member's content or account, with its statement of reasons (DSA art.
    17): what was done, on what ground, the facts, whether automated, and how to appeal."""

    __tablename__ = "moderation_decisions"
    __table_args__ = (
        CheckConstraint(_one_of("action", Action), name="action_known"),
        CheckConstraint(_one_of("ground", Reason), name="ground_known"),
        Index("ix_moderation_decisions_member_id_created_at", "member_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    item_id: Mapped[int | None] = mapped_column(
        ForeignKey("moderation_items.id", ondelete="SET NULL")
    )
    action: Mapped[str] = mapped_column(String(16))
    ground: Mapped[str] = mapped_column(String(24))
    explanation: Mapped[str] = mapped_column(Text)
    target_type: Mapped[str | None] = mapped_column(String(16))
    target_id: Mapped[int | None] = mapped_column(Integer)
    # A few words of the content, so the member knows which post it was even once it is gone.
    excerpt: Mapped[str | None] = mapped_column(String(300))
    until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    automated: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    appeal_text: Mapped[str | None] = mapped_column(Text)
    appealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    appeal_outcome: Mapped[str | None] = mapped_column(String(16))
    appeal_decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    member = relationship("Member")


class LogIdentity(db.Model):
    """Who a staff-log row names. Erasure turns the label into a tombstone here, so the log
    rows themselves are never changed."""

    __tablename__ = "staff_log_identities"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), unique=True
    )
    label: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))


class StaffAction(db.Model):
    """One staff action: appended, never edited or deleted (database triggers refuse both)."""

    __tablename__ = "staff_actions"
    __table_args__ = (Index("ix_staff_actions_at", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_ref: Mapped[int] = mapped_column(ForeignKey("staff_log_identities.id"))
    action: Mapped[str] = mapped_column(String(32))
    target_type: Mapped[str | None] = mapped_column(String(16))
    target_id: Mapped[int | None] = mapped_column(Integer)
    subject_ref: Mapped[int | None] = mapped_column(ForeignKey("staff_log_identities.id"))
    item_id: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    actor = relationship(LogIdentity, foreign_keys=[actor_ref], lazy="joined", innerjoin=True)
    subject = relationship(LogIdentity, foreign_keys=[subject_ref], lazy="joined")
