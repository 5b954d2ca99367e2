"""A member's profile: their story, health details shared with consent, and who sees what."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, utcnow
from ..extensions import db


class Visibility(enum.StrEnum):
    """Who may see a profile or one of its fields, from the widest audience to the narrowest."""

    PUBLIC = "public"
    MEMBERS = "members"
    GROUPS = "groups"
    PRIVATE = "private"


VISIBILITY_LABELS = {
    Visibility.PUBLIC: _l("Anyone, also visitors who are not logged in"),
    Visibility.MEMBERS: _l("Members who are logged in"),
    Visibility.GROUPS: _l("Members of my groups"),
    Visibility.PRIVATE: _l("Only me"),
}

#: The parts of a profile that each have their own visibility.
SENSITIVE_FIELDS = ("story", "country", "health", "avatar")


class DiagnosisPhase(enum.StrEnum):
    CHRONIC = "chronic"
    ACCELERATED = "accelerated"
    BLAST = "blast"


PHASE_LABELS = {
    DiagnosisPhase.CHRONIC: _l("Chronic phase"),
    DiagnosisPhase.ACCELERATED: _l("Accelerated phase"),
    DiagnosisPhase.BLAST: _l("Blast phase"),
}

#: CML medicines by generic name, with the brand names members know them by (DOMAIN.md).
TREATMENTS = {
    "imatinib": "imatinib (Glivec, Gleevec, Imkeldi)",
    "dasatinib": "dasatinib (Sprycel)",
    "nilotinib": "nilotinib (Tasigna, Danziten)",
    "bosutinib": "bosutinib (Bosulif)",
    "ponatinib": "ponatinib (Iclusig)",
    "asciminib": "asciminib (Scemblix)",
}
OTHER_TREATMENTS = {
    "other": _l("Another treatment"),
    "none": _l("None, or stopped (treatment-free remission)"),
}

STORY_MAX_LENGTH = 20_000
EARLIEST_DIAGNOSIS_YEAR = 1960


def _in(column: str, values) -> str:
    return f"{column} in ({', '.join(repr(str(v)) for v in values)})"


class Profile(db.Model):
    """One per member, created with the member."""

    __tablename__ = "profiles"
    __table_args__ = (
        *(
            CheckConstraint(
                _in(f"{field}_visibility", Visibility), name=f"{field}_visibility_known"
            )
            for field in ("profile", *SENSITIVE_FIELDS)
        ),
        CheckConstraint(_in("diagnosis_phase", DiagnosisPhase), name="diagnosis_phase_known"),
        CheckConstraint(_in("treatment", [*TREATMENTS, *OTHER_TREATMENTS]), name="treatment_known"),
        CheckConstraint(
            f"diagnosis_year >= {EARLIEST_DIAGNOSIS_YEAR}", name="diagnosis_year_plausible"
        ),
        CheckConstraint(
            "latitude IS NULL OR (latitude BETWEEN -90 AND 90)", name="latitude_in_range"
        ),
        CheckConstraint(
            "longitude IS NULL OR (longitude BETWEEN -180 AND 180)", name="longitude_in_range"
        ),
    )

    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    story: Mapped[str | None] = mapped_column(Text)
    # ISO 639-1 codes of the languages the member reads and writes, comma-separated.
    languages: Mapped[str] = mapped_column(String(64), default="")
    diagnosis_year: Mapped[int | None]
    diagnosis_phase: Mapped[str | None] = mapped_column(String(16))
    treatment: Mapped[str | None] = mapped_column(String(16))
    # The member's place for "groups near me": the name as geocoded, and its coordinates. Shown
    # to nobody; it follows the country's visibility if it ever is.
    place_name: Mapped[str | None] = mapped_column(String(120))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    # Random name of the current avatar files (instance/avatars/); None means the initials.
    avatar_key: Mapped[str | None] = mapped_column(String(32))
    # Reactions sent to the member on their profile, counted as they come and go.
    hug_count: Mapped[int] = mapped_column(default=0)
    high_five_count: Mapped[int] = mapped_column(default=0)

    profile_visibility: Mapped[str] = mapped_column(String(8), default=Visibility.MEMBERS)
    story_visibility: Mapped[str] = mapped_column(String(8), default=Visibility.MEMBERS)
    country_visibility: Mapped[str] = mapped_column(String(8), default=Visibility.MEMBERS)
    health_visibility: Mapped[str] = mapped_column(String(8), default=Visibility.MEMBERS)
    avatar_visibility: Mapped[str] = mapped_column(String(8), default=Visibility.MEMBERS)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Hidden by moderation: the profile is gone for everyone but its member and staff.
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_reason: Mapped[str | None] = mapped_column(String(8))

    member = relationship("Member", back_populates="profile")

    @property
    def language_codes(self) -> list[str]:
        return [code for code in (self.languages or "").split(",") if code]

    @property
    def has_health_details(self) -> bool:
        return any(
            value is not None
            for value in (self.diagnosis_year, self.diagnosis_phase, self.treatment)
        )

    def clear_health_details(self) -> None:
        self.diagnosis_year = None
        self.diagnosis_phase = None
        self.treatment = None
