"""Deleting an account (GDPR Art. 17): everything about the member goes, in one transaction.

What stays: consent records, without the member (the database sets their member_id to NULL),
so that we can show consent was given and withdrawn; one "member.erased" audit entry that names
no one; and, once those features exist, the records the law makes us keep (side-effect reports).

Every feature that stores rows or files about a member registers an eraser here::

    from cml_earth.account.erasure import eraser

    @eraser
    def _erase_stories(member):
        db.session.execute(delete(Story).where(Story.author_id == member.id))

Erasers run inside the transaction, before the member row is deleted; files are removed only
once the transaction commits (see ``database.on_commit``), so a failed erasure leaves everything.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from email import message_from_bytes
from email.policy import default as default_policy
from email.utils import getaddresses
from pathlib import Path

from flask import current_app, session
from flask_babel import lazy_gettext as _l
from flask_login import logout_user
from sqlalchemy import and_, delete, or_, select, update

from ..audit.models import AuditEvent
from ..audit.services import record
from ..auth import passwords
from ..auth.models import Consent, Member, email_key
from ..database import on_commit, read_before_writing, utcnow
from ..errors import DomainError
from ..extensions import db
from ..mail import compose, queue
from ..profiles import avatars

log = logging.getLogger(__name__)

#: Functions(member) that delete or anonymise a feature's data; run in registration order.
ERASERS: list[Callable[[Member], None]] = []


def eraser(function: Callable[[Member], None]) -> Callable[[Member], None]:
    """Register ``function(member)`` to run when a member's account is erased."""
    ERASERS.append(function)
    return function


# --- the account's own erasers --------------------------------------------------------------


@eraser
def _forget_mail_copies(member: Member) -> None:
    """Delete the .eml copies of mail about the member (offline mode writes every mail there).

    A copy goes when it was sent to the member's address, or mentions that address or their
    handle: mail to an address they had before (the verification mail, the notice that the
    address changed) names them too. Copies of other members' mail that name the member go as
    well; they hold the member's data, and they are copies, not anyone's inbox.

    The copies are found now and deleted after the commit. The confirmation of the erasure is
    queued later and, in offline mode, written as a new file after this list was made, so it
    stays on purpose: the member must be told their account is gone, and that mail tells them.
    Copies are removed whatever the mail backend is now: files from an earlier offline period
    are personal data all the same.
    """
    folder = Path(current_app.config.get("MAIL_FILE_PATH") or "")
    if not folder.is_dir():
        return
    address = email_key(member.email)
    handle = re.compile(rf"(?<![\w.-]){re.escape(member.username)}(?![\w-])", re.IGNORECASE)
    copies = []
    for path in sorted(folder.glob("*.eml")):
        recipients, text = _read_mail(path)
        if address in recipients or address in text.casefold() or handle.search(text):
            copies.append(path)
    if copies:
        on_commit(lambda: [path.unlink(missing_ok=True) for path in copies])


def _read_mail(path: Path) -> tuple[set[str], str]:
    """The recipients of a stored mail, and its headers and text parts as one decoded string."""
    raw = path.read_bytes()
    try:
        return _parse_mail(raw)
    except Exception:  # a damaged file: look at its bytes as they are
        return set(), raw.decode("utf-8", errors="replace")


def _parse_mail(raw: bytes) -> tuple[set[str], str]:
    message = message_from_bytes(raw, policy=default_policy)
    fields = [str(value) for name in ("To", "Cc", "Bcc") for value in message.get_all(name, [])]
    recipients = {email_key(address) for _name, address in getaddresses(fields) if address}
    parts = [f"{name}: {value}" for name, value in message.items()]
    for part in message.walk():
        if part.get_content_maintype() == "text":
            parts.append(part.get_content())
    return recipients, "\n".join(parts)


@eraser
def _remove_avatars(member: Member) -> None:
    avatars.remove_all_avatars_after_commit(member.id)


@eraser
def _withdraw_consents(member: Member) -> None:
    # The rows stay, as proof of what was agreed; deleting the member unlinks them (SET NULL).
    db.session.execute(
        update(Consent)
        .where(Consent.member_id == member.id, Consent.withdrawn_at.is_(None))
        .values(withdrawn_at=utcnow())
    )


def _erase_audit_trail(member: Member) -> None:
    """Delete the entries about the member; keep, without them, what they did to others.

    Entries about another member are that member's trail (a moderator's action on a post, for
    example): they stay, with the actor and the actor's address removed.
    """
    db.session.execute(
        delete(AuditEvent).where(
            or_(
                AuditEvent.member_id == member.id,
                and_(AuditEvent.actor_id == member.id, AuditEvent.member_id.is_(None)),
            )
        )
    )
    db.session.execute(
        update(AuditEvent)
        .where(AuditEvent.actor_id == member.id)
        .values(actor_id=None, ip_address=None)
    )


# --- erasing --------------------------------------------------------------------------------


def erase_account(member: Member) -> None:
    """Delete ``member`` and everything about them; tell them by mail at their old address."""
    # Composed first: the mail needs the handle, address and language that are about to go.
    confirmation = compose(
        member.email,
        _l("Your CML Earth account is deleted"),
        "account/erased",
        member.locale,
        member=member,
        erased_at=utcnow(),
    )
    for erase in ERASERS:
        erase(member)
    # Last, so that entries the erasers record about the member go too.
    _erase_audit_trail(member)
    queue(confirmation)
    db.session.delete(member)  # the profile and login sessions go with it (cascade)
    db.session.flush()
    erased = record("member.erased")
    erased.ip_address = None  # the address would say who it was
    db.session.flush()
    if db.engine.dialect.name == "sqlite":
        on_commit(_checkpoint_sqlite)


def _checkpoint_sqlite() -> None:
    """Move the write-ahead log into the database file and empty it.

    With secure_delete the erased rows are zeros in the database file, but the log still holds
    earlier copies of their pages until it is checkpointed and truncated. Best effort: while
    another connection reads, SQLite leaves the log for its next automatic checkpoint.
    """
    connection = db.engine.raw_connection()
    try:
        busy, _frames, _done = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy:
            log.info("The SQLite log could not be emptied yet after an erasure")
    finally:
        connection.close()


def erase_own_account(member: Member, password: str) -> None:
    """The member deletes their own account, password given: erase it, log this browser out."""
    # The password check is slow: before any change, so it does not hold the write lock.
    with read_before_writing():
        password_hash = db.session.scalar(
            select(Member.password_hash).where(Member.id == member.id)
        )
    if not passwords.verify_password(password_hash, password):
        raise DomainError({"password": _l("This is not your password.")})
    erase_account(member)
    session.clear()
    logout_user()  # after clear(): it leaves the note that deletes the remember-me cookie
