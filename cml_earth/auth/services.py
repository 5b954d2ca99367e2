"""Every change to accounts: registration, verification, login sessions, passwords, consent."""

from __future__ import annotations

import hashlib
import secrets

from flask import current_app, request, url_for
from flask_babel import format_datetime, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import login_user, logout_user
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from ..audit.services import record
from ..database import read_before_writing, utcnow
from ..errors import DomainError
from ..extensions import db
from ..i18n import default_timezone_for
from ..mail import compose, queue
from . import passwords, tokens
from .models import (
    Consent,
    ConsentPurpose,
    Member,
    MemberSession,
    Role,
    email_key,
    token_digest,
    username_key,
)
from .permissions import must_use_two_factor

#: The words a member agrees to when giving health-data consent; hashed into the consent record.
HEALTH_CONSENT_LABEL = _l("I consent to CML Earth processing my health data.")
HEALTH_CONSENT_TEXT = _l(
    "Health data is what you tell us about your diagnosis, treatment and health. With your "
    "consent we store it and show it only to the people you choose. Without it your account "
    "works, but the health fields of your profile stay locked. You can withdraw this consent at "
    "any time in your settings, and we then delete your health data."
)

VERIFY_PURPOSE = "verify-email"
RESET_PURPOSE = "reset-password"


def find_by_login(login: str) -> Member | None:
    """The member whose email or username is ``login``, in any case."""
    login = login.strip()
    return db.session.scalar(
        select(Member).where(
            or_(Member.email_key == email_key(login), Member.username_key == username_key(login))
        )
    )


def find_by_email(email: str) -> Member | None:
    return db.session.scalar(select(Member).where(Member.email_key == email_key(email)))


def consent_text_hash(locale: str) -> str:
    """SHA-256 of the consent words exactly as shown in ``locale``."""
    from flask_babel import force_locale

    with force_locale(locale):
        shown = f"{HEALTH_CONSENT_LABEL}\n{HEALTH_CONSENT_TEXT}"
    return hashlib.sha256(shown.encode()).hexdigest()


def give_consent(member: Member, purpose: ConsentPurpose, method: str) -> Consent:
    locale = str(get_locale() or member.locale)
    consent = Consent(
        member=member,
        purpose=purpose,
        text_version=current_app.config["HEALTH_CONSENT_VERSION"],
        text_hash=consent_text_hash(locale),
        text_locale=locale,
        method=method,
    )
    db.session.add(consent)
    db.session.flush()
    record("consent.given", member=member, actor=member, purpose=purpose.value)
    return consent


def register(
    *,
    username: str,
    email: str,
    password: str,
    role: str,
    country_code: str,
    locale: str,
    health_consent: bool,
) -> Member | None:
    """Create an unverified member and send the verification mail.

    When the email address is taken, nothing is created and its owner is told by mail instead:
    the answer to the visitor is the same, so the form never reveals who is a member.
    Returns the new member, or None when the address was taken.
    """
    if role not in (Role.PATIENT, Role.RELATIVE):
        raise DomainError({"role": _l("Please choose one.")})
    password_hash = passwords.hash_password(password)
    if db.session.scalar(select(Member.id).where(Member.username_key == username_key(username))):
        raise DomainError({"username": _l("This username is taken. Please choose another.")})
    existing = find_by_email(email)
    if existing is not None:
        queue(
            compose(
                existing.email,
                _l("Someone tried to join with your address"),
                "auth/already_registered",
                existing.locale,
                member=existing,
                login_url=_external("auth.login"),
                reset_url=_external("auth.reset_request"),
            )
        )
        record("member.register_with_taken_email", member=existing)
        return None

    now = utcnow()
    member = Member(
        username=username,
        email=email,
        password_hash=password_hash,
        role=role,
        country_code=country_code,
        locale=locale,
        timezone=default_timezone_for(country_code),
        age_confirmed_at=now,
        guidelines_accepted_at=now,
        guidelines_version=current_app.config["GUIDELINES_VERSION"],
    )
    try:
        with db.session.begin_nested():
            db.session.add(member)
    except IntegrityError:
        # Another request took the same handle or address a moment ago.
        raise DomainError(
            {"username": _l("This username is taken. Please choose another.")}
        ) from None
    record("member.registered", member=member, actor=member)
    if health_consent:
        give_consent(member, ConsentPurpose.HEALTH_DATA, "registration form checkbox")
    send_verification(member)
    return member


def _external(endpoint: str, **values) -> str:
    return url_for(endpoint, _external=True, **values)


def send_verification(member: Member) -> None:
    token = tokens.make(VERIFY_PURPOSE, {"m": member.id, "e": member.email_key})
    queue(
        compose(
            member.email,
            _l("Please confirm your email address"),
            "auth/verify",
            member.locale,
            member=member,
            url=_external("auth.verify", token=token),
        )
    )


def member_for_verification(token: str) -> Member:
    """The member a verification link is for; raises DomainError with a clear reason."""
    try:
        payload = tokens.read(
            VERIFY_PURPOSE, token, current_app.config["EMAIL_VERIFICATION_MAX_AGE"]
        )
    except tokens.TokenExpired:
        raise DomainError(
            {"": _l("This link has expired. Log in and ask for a new one.")}
        ) from None
    except tokens.TokenInvalid:
        raise DomainError(
            {"": _l("This link is not valid. Please check that you copied all of it.")}
        ) from None
    member = db.session.get(Member, payload.get("m"))
    if member is None or member.email_key != payload.get("e"):
        raise DomainError(
            {"": _l("This link is not valid. Please check that you copied all of it.")}
        )
    return member


def verify_email(token: str) -> Member:
    member = member_for_verification(token)
    if member.email_verified_at is None:
        member.email_verified_at = utcnow()
        db.session.flush()
        record("member.email_verified", member=member, actor=member)
    return member


def _new_session(member: Member, remember: bool) -> str:
    token = secrets.token_urlsafe(32)
    lifetime = (
        current_app.config["REMEMBER_COOKIE_DURATION"]
        if remember
        else current_app.config["PERMANENT_SESSION_LIFETIME"]
    )
    db.session.add(
        MemberSession(
            member_id=member.id,
            token_hash=token_digest(token),
            expires_at=utcnow() + lifetime,
            remember=remember,
            ip_address=request.remote_addr,
            user_agent=(request.user_agent.string or "")[:255],
        )
    )
    return token


def authenticate(login: str, password: str) -> Member:
    """The member with these credentials; one generic DomainError otherwise."""
    with read_before_writing():
        member = find_by_login(login)
        password_hash = member.password_hash if member else None
    if not passwords.verify_password(password_hash, password):
        if member is not None:
            # The answer is an error page, whose request rolls back; this record must stay.
            record("member.login_failed", member=member, keep_on_error=True)
        raise DomainError({"": _l("The email address, username or password is not right.")})
    if member.is_suspended:
        # Told only to whoever knows the password: it says nothing to someone guessing.
        until = format_datetime(member.suspended_until, "long")
        raise DomainError({"": _l("Your account is suspended until %(date)s.", date=until)})
    if passwords.needs_rehash(member.password_hash):
        member.password_hash = passwords.hash_password(password)
    return member


def log_in(member: Member, remember: bool) -> None:
    """Start a new server-side session for ``member`` and bind this browser to it."""
    from flask import session

    session.clear()  # a fresh session at login: nothing from before carries over
    member.session_token = _new_session(member, remember)
    member.last_login_at = utcnow()
    db.session.flush()
    login_user(member, remember=remember, fresh=True)
    record("member.logged_in", member=member, actor=member, remember=remember)


def end_sessions(member: Member, reason: str, keep_token: str | None = None) -> int:
    """End ``member``'s open sessions (all but ``keep_token``'s); returns how many."""
    query = update(MemberSession).where(
        MemberSession.member_id == member.id, MemberSession.ended_at.is_(None)
    )
    if keep_token:
        query = query.where(MemberSession.token_hash != token_digest(keep_token))
    result = db.session.execute(
        query.values(ended_at=utcnow(), ended_reason=reason),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount


def log_out(member: Member, everywhere: bool = False) -> None:
    token = getattr(member, "session_token", None)
    if everywhere:
        end_sessions(member, "logout_everywhere")
    elif token:
        db.session.execute(
            update(MemberSession)
            .where(
                MemberSession.token_hash == token_digest(token), MemberSession.ended_at.is_(None)
            )
            .values(ended_at=utcnow(), ended_reason="logout")
        )
    record("member.logged_out", member=member, actor=member, everywhere=everywhere)
    from flask import session

    # Clear first: logout_user() leaves a note in the session that deletes the remember cookie.
    session.clear()
    logout_user()


def request_password_reset(email: str) -> None:
    """Mail a reset link if ``email`` belongs to a member; silently do nothing otherwise."""
    member = find_by_email(email)
    if member is None:
        return
    token = tokens.make(
        RESET_PURPOSE, {"m": member.id, "p": tokens.fingerprint(member.password_hash)}
    )
    queue(
        compose(
            member.email,
            _l("Choose a new password"),
            "auth/reset",
            member.locale,
            member=member,
            url=_external("auth.reset_password", token=token),
            minutes=int(current_app.config["PASSWORD_RESET_MAX_AGE"].total_seconds() // 60),
        )
    )
    record("member.password_reset_requested", member=member)


def member_for_reset(token: str) -> Member:
    """The member a reset link is for; a used, expired or forged link raises DomainError."""
    invalid = _l("This link is not valid or has been used already. Please ask for a new one.")
    try:
        payload = tokens.read(RESET_PURPOSE, token, current_app.config["PASSWORD_RESET_MAX_AGE"])
    except tokens.TokenExpired:
        raise DomainError({"": _l("This link has expired. Please ask for a new one.")}) from None
    except tokens.TokenInvalid:
        raise DomainError({"": invalid}) from None
    member = db.session.get(Member, payload.get("m"))
    # The link names the password it replaces, so it stops working once that password changes.
    if member is None or payload.get("p") != tokens.fingerprint(member.password_hash):
        raise DomainError({"": invalid})
    return member


def reset_password(token: str, new_password: str) -> Member:
    member = member_for_reset(token)
    set_password(member, new_password, reason="password_reset")
    if member.email_verified_at is None:
        # Following a link sent to the address proves the address as well as verifying would.
        member.email_verified_at = utcnow()
    record("member.password_reset", member=member, actor=member)
    return member


def set_password(member: Member, new_password: str, reason: str) -> None:
    """Change the password and end every session, so a stolen login stops working."""
    member.password_hash = passwords.hash_password(new_password)
    db.session.flush()
    end_sessions(member, reason)


def create_staff(*, username: str, email: str, password: str, role: str) -> Member:
    """A sponsor moderator or admin account (CLI), verified from the start."""
    if role not in (Role.SPONSOR, Role.ADMIN):
        raise DomainError({"role": _l("Please choose one.")})
    clash = db.session.scalar(
        select(func.count(Member.id)).where(
            or_(Member.username_key == username_key(username), Member.email_key == email_key(email))
        )
    )
    if clash:
        raise DomainError({"": _l("This username or email address is already in use.")})
    member = Member(
        username=username,
        email=email,
        password_hash=passwords.hash_password(password),
        role=role,
        locale=current_app.config["BABEL_DEFAULT_LOCALE"],
        timezone=current_app.config["BABEL_DEFAULT_TIMEZONE"],
        email_verified_at=utcnow(),
        guidelines_accepted_at=utcnow(),
        guidelines_version=current_app.config["GUIDELINES_VERSION"],
    )
    db.session.add(member)
    db.session.flush()
    record("member.staff_created", member=member, role=role)
    return member


def load_session(token: str) -> Member | None:
    """Flask-Login's loader: the member of an open session, with the token attached."""
    row = db.session.execute(MemberSession.active_member_for(token)).first()
    if row is None:
        return None
    member = row[0]
    if must_use_two_factor(member) and not member.has_two_factor:
        # A staff session from before two-step sign-in was required counts for nothing: the
        # member logs in again and sets it up first. (Turning it on ends the older sessions, so
        # this one never comes back to life.)
        return None
    if member.is_suspended:
        return None  # suspension ends every session at once, wherever it was opened
    member.session_token = token
    return member


def change_locale(member: Member, locale: str) -> None:
    member.locale = locale
    db.session.flush()
