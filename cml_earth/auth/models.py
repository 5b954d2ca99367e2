"""Members, their login sessions and their consents."""

from __future__ import annotations

import enum
import hashlib
import unicodedata
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, false, select
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from ..database import UTCDateTime, utcnow
from ..extensions import db
from ..profiles.models import Profile


class Role(enum.StrEnum):
    PATIENT = "patient"
    RELATIVE = "relative"
    SPONSOR = "sponsor"
    ADMIN = "admin"


MEMBER_ROLES = (Role.PATIENT, Role.RELATIVE)
STAFF_ROLES = (Role.SPONSOR, Role.ADMIN)


class ConsentPurpose(enum.StrEnum):
    HEALTH_DATA = "health_data"


def username_key(username: str) -> str:
    """What makes two handles the same: NFKC look-alikes folded, case ignored ("Ａnna" = "anna")."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", username).casefold())


def email_key(email: str) -> str:
    return email.strip().casefold()


def token_digest(token: str) -> str:
    """What the database keeps of a session token: its SHA-256, never the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()


class Member(UserMixin, db.Model):
    """A member of the community, known by a pseudonymous handle."""

    __tablename__ = "members"
    __table_args__ = (
        CheckConstraint(
            "role in ('patient', 'relative', 'sponsor', 'admin')", name="role_is_known"
        ),
        CheckConstraint(
            "notification_email in ('each', 'daily', 'weekly', 'never')",
            name="notification_email_known",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(30))
    # Case-folded copies carry the uniqueness, so "Anna" and "anna" are one handle.
    username_key: Mapped[str] = mapped_column(String(30), unique=True)
    email: Mapped[str] = mapped_column(String(254))
    email_key: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default=Role.PATIENT)
    country_code: Mapped[str | None] = mapped_column(String(2))
    locale: Mapped[str] = mapped_column(String(16), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Stockholm")
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    age_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    guidelines_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    guidelines_version: Mapped[str | None] = mapped_column(String(32))
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Mail about activity: each event, a daily or weekly digest, or never (the default).
    notification_email: Mapped[str] = mapped_column(String(8), default="never")
    # Two-step sign-in (auth/two_factor.py): the authenticator's base32 secret, set once the
    # member has confirmed a code from it, and the last time step used (a code works only once).
    totp_secret: Mapped[str | None] = mapped_column(String(255))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column()
    # Moderation: a silenced member cannot post until then; a suspended one cannot log in.
    silenced_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    suspended_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Sponsor staff designated by an admin to the safety (pharmacovigilance) team; admins always
    # are. Only they read side-effect cases.
    safety_access: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    # Consent records outlive the account, without it (erasure keeps that consent was given
    # and withdrawn); the database sets member_id to NULL when the member is deleted.
    consents: Mapped[list[Consent]] = relationship(
        back_populates="member",
        cascade="save-update, merge",
        passive_deletes=True,
        order_by="Consent.given_at",
    )
    # Loaded with the member (one joined query): nearly every page shows some of it.
    profile: Mapped[Profile] = relationship(
        back_populates="member", cascade="all, delete-orphan", lazy="joined", uselist=False
    )

    def __init__(self, **fields):
        # Every member has a profile, whichever code creates the member.
        fields.setdefault("profile", Profile())
        super().__init__(**fields)

    # The case-folded keys follow the handle and address wherever they are set.
    @validates("username")
    def _set_username_key(self, _key, value: str) -> str:
        self.username_key = username_key(value)
        return value

    @validates("email")
    def _set_email_key(self, _key, value: str) -> str:
        self.email_key = email_key(value)
        return value

    def __repr__(self) -> str:
        return f"<Member {self.username!r} {self.role}>"

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def has_safety_access(self) -> bool:
        return self.role == Role.ADMIN or (self.role == Role.SPONSOR and self.safety_access)

    @property
    def is_silenced(self) -> bool:
        return self.silenced_until is not None and self.silenced_until > utcnow()

    @property
    def is_suspended(self) -> bool:
        return self.suspended_until is not None and self.suspended_until > utcnow()

    def has_consent(self, purpose: ConsentPurpose) -> bool:
        """Whether a consent for ``purpose`` is in force (given and not withdrawn)."""
        return any(c.purpose == purpose and c.withdrawn_at is None for c in self.consents)

    @property
    def has_two_factor(self) -> bool:
        return self.totp_enabled_at is not None

    @property
    def has_health_consent(self) -> bool:
        return self.has_consent(ConsentPurpose.HEALTH_DATA)

    # Flask-Login reads the session identifier, not the member id: see MemberSession.
    def get_id(self) -> str | None:
        return getattr(self, "session_token", None)


class MemberSession(db.Model):
    """A login on one device; ending it on the server ends that login wherever its cookie is."""

    __tablename__ = "member_sessions"
    __table_args__ = (Index("ix_member_sessions_member_id_ended_at", "member_id", "ended_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_reason: Mapped[str | None] = mapped_column(String(32))
    remember: Mapped[bool] = mapped_column(default=False)
    ip_address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(255))

    member: Mapped[Member] = relationship()

    @staticmethod
    def active_member_for(token: str):
        """A select of the member whose session ``token`` is still open."""
        return (
            select(Member, MemberSession)
            .join(MemberSession, MemberSession.member_id == Member.id)
            .where(
                MemberSession.token_hash == token_digest(token),
                MemberSession.ended_at.is_(None),
                MemberSession.expires_at > utcnow(),
            )
        )


def open_sessions_of(member_id: int):
    """A select of a member's open sessions, newest first (for "Your devices")."""
    return (
        select(MemberSession)
        .where(
            MemberSession.member_id == member_id,
            MemberSession.ended_at.is_(None),
            MemberSession.expires_at > utcnow(),
        )
        .order_by(MemberSession.created_at.desc())
    )


class Consent(db.Model):
    """A consent a member gave, with the exact text shown (by version and hash)."""

    __tablename__ = "consents"
    __table_args__ = (Index("ix_consents_member_id_purpose", "member_id", "purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    purpose: Mapped[str] = mapped_column(String(32))
    given_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    text_version: Mapped[str] = mapped_column(String(32))
    text_hash: Mapped[str] = mapped_column(String(64))
    text_locale: Mapped[str] = mapped_column(String(16))
    method: Mapped[str] = mapped_column(String(64))

    member: Mapped[Member | None] = relationship(back_populates="consents")


class RecoveryCode(db.Model):
    """A one-time code that stands in for the authenticator (a lost phone); kept only hashed."""

    __tablename__ = "recovery_codes"
    __table_args__ = (UniqueConstraint("member_id", "code_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
