"""Changes to account settings: preferences, email, password, two-step sign-in, health consent."""

from __future__ import annotations

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from ..audit.services import record
from ..auth import passwords, tokens, two_factor
from ..auth.models import Consent, ConsentPurpose, Member, email_key
from ..auth.permissions import must_use_two_factor
from ..auth.services import end_sessions, find_by_email, give_consent
from ..database import read_before_writing, utcnow
from ..errors import DomainError
from ..extensions import db
from ..mail import compose, queue

CHANGE_EMAIL_PURPOSE = "change-email"

WRONG_PASSWORD = _l("This is not your password.")
LINK_INVALID = _l("This link is not valid or has been used already. Please ask for a new one.")


def update_preferences(member: Member, locale: str, timezone: str) -> None:
    member.locale = locale
    member.timezone = timezone
    db.session.flush()


def _external(endpoint: str, **values) -> str:
    return url_for(endpoint, _external=True, **values)


def _mail_context() -> dict:
    return {"support_email": current_app.config["SUPPORT_EMAIL"]}


# --- email address --------------------------------------------------------------------------


def request_email_change(member: Member, password: str, new_email: str) -> None:
    """Mail a confirmation link to ``new_email``; the address changes only once it is followed.

    When the new address belongs to another member, nothing changes and its owner is told by
    mail instead: the member asking gets the same answer, so the form never reveals who is a
    member.
    """
    # The password check is slow: it must not hold the write lock (see read_before_writing).
    with read_before_writing():
        password_hash = member.password_hash
        current_key = member.email_key
    errors = {}
    if not passwords.verify_password(password_hash, password):
        errors["password"] = WRONG_PASSWORD
    if email_key(new_email) == current_key:
        errors["email"] = _l("This is your email address already.")
    if errors:
        raise DomainError(errors)

    owner = find_by_email(new_email)
    if owner is not None:
        queue(
            compose(
                owner.email,
                _l("Someone tried to use your address on CML Earth"),
                "account/email_taken",
                owner.locale,
                member=owner,
                **_mail_context(),
            )
        )
        record("account.email_change_to_taken_address", member=owner, actor=member)
        return

    # The link names the address it replaces, so it dies once the address changes.
    token = tokens.make(
        CHANGE_EMAIL_PURPOSE,
        {"m": member.id, "n": new_email, "f": tokens.fingerprint(current_key)},
    )
    queue(
        compose(
            new_email,
            _l("Please confirm your new email address"),
            "account/confirm_email",
            member.locale,
            url=_external("account.confirm_email", token=token),
            days=current_app.config["EMAIL_CHANGE_MAX_AGE"].days,
            **_mail_context(),
        )
    )
    record("account.email_change_requested", member=member, actor=member)


def pending_email_change(member: Member, token: str) -> str:
    """The new address a change link of ``member``'s names; raises DomainError when unusable."""
    try:
        payload = tokens.read(
            CHANGE_EMAIL_PURPOSE, token, current_app.config["EMAIL_CHANGE_MAX_AGE"]
        )
    except tokens.TokenExpired:
        raise DomainError({"": _l("This link has expired. Please ask for a new one.")}) from None
    except tokens.TokenInvalid:
        raise DomainError({"": LINK_INVALID}) from None
    if payload.get("m") != member.id:
        raise DomainError(
            {
                "": _l(
                    "This link is for another account. Please log out, and log in as the "
                    "member who asked for it."
                )
            }
        )
    new_email = payload.get("n")
    if (
        not isinstance(new_email, str)
        or payload.get("f") != tokens.fingerprint(member.email_key)
        or find_by_email(new_email) is not None
    ):
        raise DomainError({"": LINK_INVALID})
    return new_email


def confirm_email_change(member: Member, token: str) -> str:
    """Make the address a change link names the member's own; the old address is told."""
    new_email = pending_email_change(member, token)
    old_email = member.email
    try:
        with db.session.begin_nested():
            member.email = new_email
            # Following the link proves the new address as well as verifying it would.
            member.email_verified_at = utcnow()
    except IntegrityError:
        # Another account took the address a moment ago.
        raise DomainError({"": LINK_INVALID}) from None
    queue(
        compose(
            old_email,
            _l("Your email address was changed"),
            "account/email_changed",
            member.locale,
            member=member,
            new_email=new_email,
            **_mail_context(),
        )
    )
    # Addresses are personal data: the audit entry says that it changed, not from or to what.
    record("account.email_changed", member=member, actor=member)
    return new_email


# --- password -------------------------------------------------------------------------------


def change_password(member: Member, current_password: str, new_password: str) -> int:
    """Set a new password once the current one is given; every other login ends.

    Returns how many other logins were ended.
    """
    with read_before_writing():
        password_hash = member.password_hash
        username, email = member.username, member.email
    if not passwords.verify_password(password_hash, current_password):
        raise DomainError({"current_password": WRONG_PASSWORD})
    if new_password.casefold() in (username.casefold(), email.casefold()):
        raise DomainError(
            {"password": _l("Your password must not be your username or email address.")}
        )
    new_hash = passwords.hash_password(new_password)
    member.password_hash = new_hash
    db.session.flush()
    # Whoever may know the old password is logged out; the member, here, stays logged in.
    ended = end_sessions(
        member, "password_changed", keep_token=getattr(member, "session_token", None)
    )
    queue(
        compose(
            member.email,
            _l("Your password was changed"),
            "account/password_changed",
            member.locale,
            member=member,
            reset_url=_external("auth.reset_request"),
            **_mail_context(),
        )
    )
    record("account.password_changed", member=member, actor=member, other_logins_ended=ended)
    return ended


# --- health-data consent --------------------------------------------------------------------


def health_consents(member: Member) -> tuple[Consent | None, Consent | None]:
    """The health-data consent in force (or None) and the one last withdrawn (or None)."""
    active = withdrawn = None
    for consent in member.consents:  # oldest first
        if consent.purpose != ConsentPurpose.HEALTH_DATA:
            continue
        if consent.withdrawn_at is None:
            active = consent
        else:
            withdrawn = consent
    return active, withdrawn


def give_health_consent(member: Member) -> Consent | None:
    """Record consent given on the settings page; None when a consent is in force already."""
    if member.has_health_consent:
        return None
    return give_consent(member, ConsentPurpose.HEALTH_DATA, "settings page")


def withdraw_health_consent(member: Member) -> bool:
    """Withdraw health-data consent and delete the health details; False if none was in force."""
    now = utcnow()
    withdrawn = 0
    for consent in member.consents:
        if consent.purpose == ConsentPurpose.HEALTH_DATA and consent.withdrawn_at is None:
            consent.withdrawn_at = now
            withdrawn += 1
    had_details = member.profile.has_health_details
    # Without consent there is no lawful basis for the details, whatever the records say.
    member.profile.clear_health_details()
    db.session.flush()
    if withdrawn:
        record(
            "consent.withdrawn",
            member=member,
            actor=member,
            purpose=ConsentPurpose.HEALTH_DATA.value,
            health_details_deleted=had_details,
        )
    return bool(withdrawn)


# --- two-step sign-in -----------------------------------------------------------------------


def _check_password(member: Member, password: str) -> None:
    # The password check is slow: it must not hold the write lock (see read_before_writing).
    with read_before_writing():
        password_hash = member.password_hash
    if not passwords.verify_password(password_hash, password):
        raise DomainError({"password": WRONG_PASSWORD})


def enable_two_factor(member: Member, password: str, setup: str, code: str) -> list[str]:
    """Turn two-step sign-in on once the password and a code from the new app are right.

    Every other login ends; returns the recovery codes to show once.
    """
    _check_password(member, password)
    return two_factor.enable(member, setup, code, keep_token=getattr(member, "session_token", None))


def disable_two_factor(member: Member, password: str, code: str) -> None:
    """Turn it off, with the password and a current code (or a recovery code)."""
    if must_use_two_factor(member):
        raise DomainError({"": _l("Staff accounts must keep two-step sign-in on.")})
    _check_password(member, password)
    two_factor.check_code(member, code)
    two_factor.disable(member)


def regenerate_recovery_codes(member: Member, password: str) -> list[str]:
    _check_password(member, password)
    return two_factor.regenerate_recovery_codes(member)
