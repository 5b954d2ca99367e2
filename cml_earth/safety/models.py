"""Side-effect (adverse event) cases and their history: the company's pharmacovigilance records.

A case copies what it is about when it opens, so it outlives the post (no foreign key to the
story or word of support) and the account (the member's id is set to NULL when they are
erased): the law makes the company keep these records (GDPR art. 17(3)(b)).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, utcnow
from ..extensions import db


class CaseStatus(enum.StrEnum):
    NEW = "new"
    NOT_A_CASE = "not_a_case"
    VALID_CASE = "valid_case"
    FORWARDED = "forwarded"


#: Statuses a case may move to from each status. Forwarded is final: a correction after that
#: is a follow-up report, made in the safety database.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    CaseStatus.NEW: (CaseStatus.VALID_CASE, CaseStatus.NOT_A_CASE),
    CaseStatus.NOT_A_CASE: (CaseStatus.VALID_CASE,),
    CaseStatus.VALID_CASE: (CaseStatus.FORWARDED, CaseStatus.NOT_A_CASE),
    CaseStatus.FORWARDED: (),
}

#: Cases still being worked: one of these per piece of content at most.
OPEN_STATUSES = (CaseStatus.NEW, CaseStatus.VALID_CASE)
#: Cases that go to the authorities (and into the exports).
REPORTABLE_STATUSES = (CaseStatus.VALID_CASE, CaseStatus.FORWARDED)

STATUS_LABELS = {
    CaseStatus.NEW: _l("New: to assess"),
    CaseStatus.NOT_A_CASE: _l("Not a case"),
    CaseStatus.VALID_CASE: _l("Valid case: to forward"),
    CaseStatus.FORWARDED: _l("Forwarded to the safety database"),
}


class CaseSource(enum.StrEnum):
    DETECTION = "detection"  # a medicine and a side effect named together in a post
    REPORT = "report"  # a member reported the content as a possible side effect
    STAFF = "staff"  # a staff member opened it


SOURCE_LABELS = {
    CaseSource.DETECTION: _l("Found automatically in the text"),
    CaseSource.REPORT: _l("Reported by a member"),
    CaseSource.STAFF: _l("Opened by staff"),
}


class Seriousness(enum.StrEnum):
    SERIOUS = "serious"
    NON_SERIOUS = "non_serious"


SERIOUSNESS_LABELS = {
    Seriousness.SERIOUS: _l("Serious"),
    Seriousness.NON_SERIOUS: _l("Not serious"),
}

#: The four minimum criteria of a valid case (GVP Module VI), as column name and label.
CRITERIA = (
    ("has_reporter", _l("An identifiable reporter")),
    ("has_patient", _l("An identifiable patient")),
    ("has_medicine", _l("A suspect medicine")),
    ("has_reaction", _l("A suspected reaction")),
)


def _one_of(column: str, values) -> str:
    return f"{column} in ({', '.join(repr(str(v)) for v in values)})"


class AdverseEventCase(db.Model):
    """A possible side effect of a medicine, as the safety team assesses and reports it."""

    __tablename__ = "safety_cases"
    __table_args__ = (
        CheckConstraint(_one_of("status", CaseStatus), name="status_known"),
        CheckConstraint(_one_of("source", CaseSource), name="source_known"),
        CheckConstraint(
            f"seriousness IS NULL OR {_one_of('seriousness', Seriousness)}",
            name="seriousness_known",
        ),
        CheckConstraint(
            "status != 'forwarded' OR forwarded_at IS NOT NULL", name="forwarded_has_date"
        ),
        # One case in the works per piece of content: a later edit or report joins it.
        Index(
            "uq_safety_cases_open_target",
            "target_type",
            "target_id",
            unique=True,
            sqlite_where=text("status in ('new', 'valid_case')"),
            postgresql_where=text("status in ('new', 'valid_case')"),
        ),
        Index("ix_safety_cases_status_due_on", "status", "due_on"),
        Index("ix_safety_cases_member_id", "member_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    status: Mapped[str] = mapped_column(String(12), default=CaseStatus.NEW)
    source: Mapped[str] = mapped_column(String(12))
    # What the case is about; plain numbers, no foreign keys: the case outlives the content.
    target_type: Mapped[str | None] = mapped_column(String(16))
    target_id: Mapped[int | None] = mapped_column(Integer)
    story_id: Mapped[int | None] = mapped_column(Integer)
    comment_id: Mapped[int | None] = mapped_column(Integer)
    # The content and its author as they were when the case opened (or last updated while new).
    content_title: Mapped[str | None] = mapped_column(Text)
    content_body: Mapped[str] = mapped_column(Text, default="")
    content_language: Mapped[str | None] = mapped_column(String(8))
    written_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    author_handle: Mapped[str | None] = mapped_column(String(30))
    author_role: Mapped[str | None] = mapped_column(String(16))
    author_country: Mapped[str | None] = mapped_column(String(2))
    report_id: Mapped[int | None] = mapped_column(Integer)
    report_reason: Mapped[str | None] = mapped_column(String(24))
    report_details: Mapped[str | None] = mapped_column(Text)
    # Generic names ("dasatinib") and reaction labels ("Muscle spasms"), as detected.
    medicines: Mapped[list] = mapped_column(JSON, default=list)
    reactions: Mapped[list] = mapped_column(JSON, default=list)
    seriousness: Mapped[str | None] = mapped_column(String(12))
    has_reporter: Mapped[bool] = mapped_column(Boolean, default=False)
    has_patient: Mapped[bool] = mapped_column(Boolean, default=False)
    has_medicine: Mapped[bool] = mapped_column(Boolean, default=False)
    has_reaction: Mapped[bool] = mapped_column(Boolean, default=False)
    narrative: Mapped[str | None] = mapped_column(Text)
    # The member the case is about; NULL once their account is erased.
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    # When someone working for the company first saw it (the case or its moderation item).
    day_zero_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The reporting deadline, kept for ordering the list (recomputed when day zero or the
    # seriousness changes; the page computes it afresh with safety.deadlines).
    due_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    forwarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # May the safety team contact the member? Asked once; answered yes or no by the member.
    contact_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    contact_answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    contact_consent: Mapped[bool | None] = mapped_column(Boolean)

    member = relationship("Member")
    events: Mapped[list[CaseEvent]] = relationship(
        back_populates="case", order_by="CaseEvent.id", passive_deletes=True
    )

    @property
    def criteria_met(self) -> bool:
        return all(getattr(self, name) for name, _label in CRITERIA)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class CaseEvent(db.Model):
    """One line of a case's history: opened, updated, seen, assessed, status changed, asked."""

    __tablename__ = "safety_case_events"
    __table_args__ = (Index("ix_safety_case_events_case_id_at", "case_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("safety_cases.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(24))
    # Who, through the staff log's identities (erasure turns the name into a tombstone);
    # NULL for what the site did by itself.
    actor_ref: Mapped[int | None] = mapped_column(ForeignKey("staff_log_identities.id"))
    from_status: Mapped[str | None] = mapped_column(String(12))
    to_status: Mapped[str | None] = mapped_column(String(12))
    note: Mapped[str | None] = mapped_column(Text)

    case: Mapped[AdverseEventCase] = relationship(back_populates="events")
    actor = relationship("LogIdentity", lazy="joined")


EVENT_LABELS = {
    "opened": _l("Case opened"),
    "updated": _l("Content edited: the case's copy was updated"),
    "edited_later": _l("Content edited after assessment: the case's copy was kept"),
    "reported": _l("Reported by a member"),
    "seen": _l("First seen by staff: day zero"),
    "status": _l("Status changed"),
    "edit": _l("Assessment edited"),
    "contact_request": _l("Member asked whether we may contact them"),
    "consent": _l("Member answered the contact request"),
    "account_erased": _l("The member's account was erased; the case is kept without it"),
}
