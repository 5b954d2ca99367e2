"""Two-step sign-in: an authenticator app's codes (TOTP, RFC 6238) and one-time recovery codes.

A member who has it on gives the password, then a code; between the two, the browser holds only
a short-lived note of who is half-way (``PENDING``), never a login. Staff must have it: a staff
member who has not set it up is sent through setting it up before the login completes.

The secret is stored as it is (base32) in ``members.totp_secret``: the ``cryptography`` package
is not a dependency, so there is no encryption at rest here; ``_stored``/``_secret_of`` are the
one place to add it. Recovery codes are kept only as salted SHA-256 digests.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import re
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta

import pyotp
import qrcode
import qrcode.image.svg
from flask import session
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update

from ..audit.services import record
from ..database import utcnow
from ..errors import DomainError
from ..extensions import db
from . import tokens
from .models import Member, RecoveryCode
from .permissions import must_use_two_factor
from .services import end_sessions, log_in

ISSUER = "CML Earth"
STEP_SECONDS = 30  # pyotp's default, and what every authenticator app assumes
DRIFT_STEPS = 1  # a code from the step before or after is accepted too (clocks drift)

RECOVERY_CODE_COUNT = 10
# No 0/o, 1/l/i: codes are read off paper. 12 characters of 31 are about 59 bits each.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_LENGTH = 12

#: The signed-session key of a half-done login, and how long it lasts.
PENDING = "two_factor_pending"
PENDING_LIFETIME = timedelta(minutes=5)
# Installing an app and scanning takes longer than typing a code.
ENROLMENT_LIFETIME = timedelta(minutes=15)
#: Wrong codes in one half-done login before the password is asked for again.
PENDING_MAX_FAILURES = 5

ENROL_PURPOSE = "two-factor-enrol"

WRONG_CODE = _l("This code is not right. Please try the current code from your app.")
BAD_FORMAT = _l("Enter the 6-digit code from your app, or one of your recovery codes.")
EXPIRED_SETUP = _l("This page had expired. Please scan the new code below.")

_SEPARATORS = re.compile(r"[\s-]+")


# --- secrets, codes and the QR code ---------------------------------------------------------


def new_secret() -> str:
    """A fresh authenticator secret: 32 base32 characters, 160 bits."""
    return pyotp.random_base32()


def _stored(secret: str) -> str:
    return secret


def _secret_of(member: Member) -> str | None:
    return member.totp_secret


def grouped(secret: str) -> str:
    """The secret in groups of four, for typing it into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def provisioning_uri(member: Member, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=member.username, issuer_name=ISSUER)


def qr_data_uri(uri: str) -> str:
    """The otpauth URI as an inline SVG QR code (a data: URI the CSP allows for images)."""
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


@dataclass(frozen=True)
class Enrolment:
    """What a set-up page shows: the secret, its QR code, and the signed note carrying it."""

    secret: str
    uri: str
    qr: str
    token: str

    @property
    def grouped(self) -> str:
        return grouped(self.secret)


def start_enrolment(member: Member, token: str | None = None) -> tuple[Enrolment, bool]:
    """The secret a set-up form carries (its signed ``token``), or a new one.

    Nothing is stored until a code from the app is confirmed, so showing the page changes
    nothing. Returns the enrolment and whether ``token`` had to be replaced (expired or forged).
    """
    secret = None
    if token:
        try:
            payload = tokens.read(ENROL_PURPOSE, token, ENROLMENT_LIFETIME)
        except (tokens.TokenExpired, tokens.TokenInvalid):
            payload = {}
        if payload.get("m") == member.id and isinstance(payload.get("s"), str):
            secret = payload["s"]
    replaced = bool(token) and secret is None
    if secret is None:
        secret = new_secret()
    uri = provisioning_uri(member, secret)
    signed = tokens.make(ENROL_PURPOSE, {"m": member.id, "s": secret})
    return Enrolment(secret, uri, qr_data_uri(uri), signed), replaced


def parse_code(raw: str | None) -> tuple[str, str] | None:
    """("totp", "123456") or ("recovery", "abcd…"), from what was typed; None if neither."""
    code = _SEPARATORS.sub("", raw or "").lower()
    if re.fullmatch(r"[0-9]{6}", code):
        return "totp", code
    if len(code) == RECOVERY_LENGTH and all(ch in RECOVERY_ALPHABET for ch in code):
        return "recovery", code
    return None


def matching_step(secret: str, code: str, at: float | None = None) -> int | None:
    """The time step whose code ``code`` is (this one or a neighbour), or None."""
    totp = pyotp.TOTP(secret)
    now = int((time.time() if at is None else at) // STEP_SECONDS)
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def recovery_digest(member_id: int, code: str) -> str:
    # Salted with the member, so one table of digests cannot be attacked all at once.
    return hashlib.sha256(f"{member_id}:{code}".encode()).hexdigest()


def format_recovery_code(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def _new_recovery_codes(member: Member) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.member_id == member.id))
    codes = [
        "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
        for _ in range(RECOVERY_CODE_COUNT)
    ]
    db.session.add_all(
        RecoveryCode(member_id=member.id, code_hash=recovery_digest(member.id, code))
        for code in codes
    )
    db.session.flush()
    return [format_recovery_code(code) for code in codes]


def unused_recovery_codes(member: Member) -> int:
    return db.session.scalar(
        select(func.count(RecoveryCode.id)).where(
            RecoveryCode.member_id == member.id, RecoveryCode.used_at.is_(None)
        )
    )


# --- checking a code ------------------------------------------------------------------------


def _fail(member: Member, message, reason: str) -> DomainError:
    # The answer is a form with errors, whose request rolls back; this record must stay.
    record("two_factor_failed", member=member, actor=member, keep_on_error=True, reason=reason)
    return DomainError({"code": message})


def check_code(member: Member, raw: str | None, *, recovery: bool = True) -> str:
    """Accept a current code of ``member``'s app, or an unused recovery code, exactly once.

    Returns which kind was used; raises DomainError (on the ``code`` field) otherwise. Call it
    before the request changes anything: a failure is audited and kept.
    """
    parsed = parse_code(raw)
    secret = _secret_of(member)
    if parsed is None or (parsed[0] == "recovery" and not recovery):
        raise _fail(member, BAD_FORMAT, "format")
    kind, code = parsed
    if secret is None or member.totp_enabled_at is None:
        raise _fail(member, WRONG_CODE, "not_enabled")
    if kind == "totp":
        step = matching_step(secret, code)
        if step is None:
            raise _fail(member, WRONG_CODE, "wrong_code")
        if member.totp_last_step is not None and step <= member.totp_last_step:
            raise _fail(member, WRONG_CODE, "replayed_code")
        # Conditional, so two requests racing with the same code cannot both pass.
        claimed = db.session.execute(
            update(Member)
            .where(
                Member.id == member.id,
                (Member.totp_last_step.is_(None)) | (Member.totp_last_step < step),
            )
            .values(totp_last_step=step),
            execution_options={"synchronize_session": False},
        ).rowcount
        if claimed != 1:
            raise DomainError({"code": WRONG_CODE})
        member.totp_last_step = step
        return kind
    digest = recovery_digest(member.id, code)
    code_id = db.session.scalar(
        select(RecoveryCode.id).where(
            RecoveryCode.member_id == member.id,
            RecoveryCode.code_hash == digest,
            RecoveryCode.used_at.is_(None),
        )
    )
    if code_id is None:
        raise _fail(member, WRONG_CODE, "wrong_recovery_code")
    claimed = db.session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.id == code_id, RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow()),
        execution_options={"synchronize_session": False},
    ).rowcount
    if claimed != 1:
        raise DomainError({"code": WRONG_CODE})
    record(
        "recovery_code_used",
        member=member,
        actor=member,
        left=unused_recovery_codes(member),
    )
    return kind


# --- turning it on and off ------------------------------------------------------------------


def enable(
    member: Member, enrolment_token: str, raw_code: str | None, keep_token: str | None = None
) -> list[str]:
    """Turn two-step sign-in on with the secret the set-up page showed, once a code matches.

    Every other login of the member ends (they were made with the password alone). Returns the
    new recovery codes (shown once, never stored readable).
    """
    enrolment, replaced = start_enrolment(member, enrolment_token)
    if replaced:
        raise DomainError({"code": EXPIRED_SETUP})
    parsed = parse_code(raw_code)
    if parsed is None or parsed[0] != "totp":
        raise DomainError({"code": _l("Enter the 6-digit code your app shows.")})
    step = matching_step(enrolment.secret, parsed[1])
    if step is None:
        raise DomainError({"code": WRONG_CODE})
    member.totp_secret = _stored(enrolment.secret)
    member.totp_enabled_at = utcnow()
    member.totp_last_step = step
    db.session.flush()
    end_sessions(member, "two_factor_enabled", keep_token=keep_token)
    codes = _new_recovery_codes(member)
    record("two_factor_enabled", member=member, actor=member)
    return codes


def regenerate_recovery_codes(member: Member) -> list[str]:
    """Ten new recovery codes; the old ones stop working."""
    if member.totp_enabled_at is None:
        raise DomainError({"": _l("Two-step sign-in is not on.")})
    codes = _new_recovery_codes(member)
    record("recovery_codes_regenerated", member=member, actor=member)
    return codes


def disable(member: Member) -> None:
    """Turn two-step sign-in off (members only: staff must keep it)."""
    if must_use_two_factor(member):
        raise DomainError({"": _l("Staff accounts must keep two-step sign-in on.")})
    member.totp_secret = None
    member.totp_enabled_at = None
    member.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.member_id == member.id))
    db.session.flush()
    record("two_factor_disabled", member=member, actor=member)


def enrol_directly(member: Member, secret: str) -> None:
    """Turn it on with a known secret, no code asked (demo seed and staff set up by the CLI)."""
    member.totp_secret = _stored(secret)
    member.totp_enabled_at = utcnow()
    member.totp_last_step = None
    db.session.flush()
    record("two_factor_enabled", member=member, how="seeded")


# --- the half-done login --------------------------------------------------------------------


def needed_at_login(member: Member) -> bool:
    """Whether the password alone does not log ``member`` in."""
    return member.totp_enabled_at is not None or must_use_two_factor(member)


def begin_pending(member: Member, *, remember: bool, next_url: str | None) -> None:
    """Note in the signed session that ``member`` gave the right password, and nothing else."""
    session.clear()  # nothing from before carries over, as at login
    enrolling = member.totp_enabled_at is None
    lifetime = ENROLMENT_LIFETIME if enrolling else PENDING_LIFETIME
    session[PENDING] = {
        "m": member.id,
        "until": int(time.time() + lifetime.total_seconds()),
        "remember": bool(remember),
        "next": next_url or "",
        "enrol": enrolling,
        # Binds the note to this password: a reset meanwhile makes it worthless.
        "p": tokens.fingerprint(member.password_hash),
        "failures": 0,
    }


def pending() -> dict | None:
    note = session.get(PENDING)
    if not isinstance(note, dict) or not isinstance(note.get("until"), int):
        return None
    if note["until"] < time.time():
        session.pop(PENDING, None)
        return None
    return note


def pending_member() -> Member | None:
    """The member half-way through logging in, if the note is still good."""
    note = pending()
    if note is None:
        return None
    member_id = note.get("m")
    member = db.session.get(Member, member_id) if isinstance(member_id, int) else None
    if member is None or note.get("p") != tokens.fingerprint(member.password_hash):
        session.pop(PENDING, None)
        return None
    return member


def pending_member_id() -> str:
    """For the rate limiter: who the code form is about (empty when no one)."""
    note = pending()
    return str(note.get("m", "")) if note else ""


def count_failure() -> bool:
    """Count a wrong code against the half-done login; True once it is used up."""
    note = pending()
    if note is None:
        return True
    note["failures"] = int(note.get("failures", 0)) + 1
    if note["failures"] >= PENDING_MAX_FAILURES:
        session.pop(PENDING, None)
        return True
    session[PENDING] = note
    return False


def finish_pending(member: Member) -> str:
    """Log the member in (a new session, as at login); returns where they were going."""
    note = session.get(PENDING) or {}
    log_in(member, remember=bool(note.get("remember")))  # clears the note with the session
    return note.get("next") or ""
