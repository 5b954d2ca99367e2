"""Every change to notifications, and the mails they lead to.

Who is told what:

- A notification goes to the owner of what was reacted to or answered, or to the member who
  was followed; never to the actor themselves, and never between two members where either
  blocked the other. Notifications from a member blocked later are hidden, not deleted, so an
  unblock brings them back like everything else.
- A hug or high-five taken back takes its notification with it while nobody has read or mailed
  it yet; once read or mailed it stays, as what happened.
- Members who want a mail for each event get it queued in the same transaction (sent after the
  commit, dropped with a rollback) and the notification marked as mailed there too.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app, has_request_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import and_, delete, exists, func, or_, select, update
from sqlalchemy.orm import joinedload

from ..account.export import LABELS, section
from ..auth import tokens
from ..auth.models import Member
from ..database import utcnow
from ..extensions import db, mail
from ..mail import compose, queue
from ..profiles.permissions import can_view_profile
from ..social.models import Block
from ..social.queries import is_blocked_between
from ..stories.models import Comment, Story
from ..stories.permissions import can_view_story
from .models import EmailFrequency, Notification, NotificationKind

log = logging.getLogger(__name__)

UNSUBSCRIBE_PURPOSE = "notifications-unsubscribe"
#: Unsubscribe links keep working for long: old digests stay in inboxes.
UNSUBSCRIBE_MAX_AGE = timedelta(days=365)

#: A claim older than this belongs to a sender that died: another run takes it over.
CLAIM_TIMEOUT = timedelta(minutes=15)
#: How long after the last digest the next one is due (a little less than the period, so a
#: daily cron job that starts a few minutes early one day does not skip a day).
DIGEST_INTERVALS = {
    EmailFrequency.DAILY: timedelta(hours=23),
    EmailFrequency.WEEKLY: timedelta(days=6, hours=23),
}

# --- creating and withdrawing ---------------------------------------------------------------


def _create(
    recipient_id: int | None,
    actor: Member,
    kind: NotificationKind,
    story_id: int | None = None,
    comment_id: int | None = None,
    group_id: int | None = None,
) -> Notification | None:
    if recipient_id is None or recipient_id == actor.id:
        return None
    recipient = db.session.get(Member, recipient_id)
    if recipient is None or is_blocked_between(actor, recipient):
        return None
    notification = Notification(
        recipient_id=recipient.id,
        actor=actor,
        kind=kind.value,
        story_id=story_id,
        comment_id=comment_id,
        group_id=group_id,
    )
    db.session.add(notification)
    db.session.flush()
    if recipient.notification_email == EmailFrequency.EACH:
        _queue_each_event_mail(recipient, notification)
    return notification


def notify_reaction(reaction) -> Notification | None:
    """Tell the owner of a profile, story or word of support about a hug or high-five."""
    actor = db.session.get(Member, reaction.sender_id)
    kind = NotificationKind(reaction.kind)
    if reaction.member_id is not None:
        return _create(reaction.member_id, actor, kind)
    if reaction.story_id is not None:
        story = db.session.get(Story, reaction.story_id)
        return _create(story and story.author_id, actor, kind, story_id=reaction.story_id)
    comment = db.session.get(Comment, reaction.comment_id)
    if comment is None:
        return None
    return _create(comment.author_id, actor, kind, story_id=comment.story_id, comment_id=comment.id)


def notify_comment(comment: Comment) -> Notification | None:
    """Tell a story's author about a new word of support on it."""
    story = db.session.get(Story, comment.story_id)
    actor = db.session.get(Member, comment.author_id)
    return _create(
        story and story.author_id,
        actor,
        NotificationKind.COMMENT,
        story_id=comment.story_id,
        comment_id=comment.id,
    )


def notify_follow(follower: Member, followed: Member) -> Notification | None:
    """Tell a member someone started following them."""
    return _create(followed.id, follower, NotificationKind.FOLLOW)


def notify_group(recipient_id: int, actor: Member, kind: NotificationKind, group) -> None:
    """About a group: its approval or refusal (to the founder), a request to join (to its
    moderators), a request accepted (to the member who asked)."""
    _create(recipient_id, actor, kind, group_id=group.id)


def notify_decision(decision, kind: NotificationKind = NotificationKind.DECISION) -> None:
    """Tell a member about a moderation decision or its appeal; staff stay unnamed."""
    recipient = db.session.get(Member, decision.member_id)
    if recipient is None:
        return
    notification = Notification(recipient_id=recipient.id, kind=kind.value, decision_id=decision.id)
    db.session.add(notification)
    db.session.flush()
    if recipient.notification_email == EmailFrequency.EACH:
        _queue_each_event_mail(recipient, notification)


def notify_contact_request(recipient_id: int, case_id: int) -> Notification | None:
    """Ask a member whether the safety team may contact them about a side-effect case."""
    recipient = db.session.get(Member, recipient_id)
    if recipient is None:
        return None
    notification = Notification(
        recipient_id=recipient.id, kind=NotificationKind.CONTACT_REQUEST.value, case_id=case_id
    )
    db.session.add(notification)
    db.session.flush()
    if recipient.notification_email == EmailFrequency.EACH:
        _queue_each_event_mail(recipient, notification)
    return notification


def withdraw_reaction_notification(reaction) -> int:
    """Delete the notification of a hug or high-five taken back, unless read or mailed already.

    ``reaction`` needs only ``sender_id``, ``kind`` and one of ``member_id``, ``story_id``,
    ``comment_id``: the row itself may be deleted already (a transient ``Reaction(...)`` will do).
    A notification claimed by a digest run in progress stays: that mail may be on its way.
    """
    member_id = getattr(reaction, "member_id", None)
    story_id = getattr(reaction, "story_id", None)
    comment_id = getattr(reaction, "comment_id", None)
    if comment_id is not None:
        target = Notification.comment_id == comment_id
    elif story_id is not None:
        target = and_(Notification.story_id == story_id, Notification.comment_id.is_(None))
    else:
        target = and_(
            Notification.recipient_id == member_id,
            Notification.story_id.is_(None),
            Notification.comment_id.is_(None),
        )
    removed = db.session.execute(
        delete(Notification)
        .where(
            Notification.actor_id == reaction.sender_id,
            Notification.kind == reaction.kind,
            target,
            Notification.read_at.is_(None),
            Notification.emailed_at.is_(None),
            Notification.email_batch.is_(None),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    return removed


# --- reading and marking read ---------------------------------------------------------------


def _blocked_either_way(member_id: int):
    """A select of the ids of members who blocked, or were blocked by, ``member_id``."""
    return (
        select(Block.blocked_id)
        .where(Block.blocker_id == member_id)
        .union(select(Block.blocker_id).where(Block.blocked_id == member_id))
    )


def _shown_to(member_id: int):
    """The conditions for the notifications the member sees: theirs, none from a block."""
    return (
        Notification.recipient_id == member_id,
        or_(
            Notification.actor_id.is_(None),
            Notification.actor_id.not_in(_blocked_either_way(member_id)),
        ),
    )


def notifications_for(member):
    """A select of the member's notifications, newest first, with actor and story loaded.

    The story's author joins after the outer join to the story ("unnested"): nested in it,
    SQLite would build the join of every story with its author before reading the page.
    """
    return (
        select(Notification)
        .options(joinedload(Notification.story).joinedload(Story.author, innerjoin="unnested"))
        .where(*_shown_to(member.id))
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )


def unread_count(member) -> int:
    """The number in the header: one COUNT over an index."""
    return db.session.scalar(
        select(func.count(Notification.id)).where(
            *_shown_to(member.id), Notification.read_at.is_(None)
        )
    )


def find_own(member, notification_id: int) -> Notification | None:
    """The member's own notification, or None (someone else's does not exist for them)."""
    return db.session.scalar(
        select(Notification).where(Notification.id == notification_id, *_shown_to(member.id))
    )


def mark_read(notification: Notification) -> None:
    if notification.read_at is None:
        notification.read_at = utcnow()
    db.session.flush()


def mark_all_read(member) -> int:
    return db.session.execute(
        update(Notification)
        .where(Notification.recipient_id == member.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount


# --- texts ----------------------------------------------------------------------------------


def _message(notification: Notification) -> str:
    """The translated sentence, placeholders still in it."""
    kind = notification.kind
    if kind == NotificationKind.DECISION:
        return _("Moderators took a decision about your content or account. Read why.")
    if kind == NotificationKind.APPEAL_DECIDED:
        return _("Staff have decided on your appeal.")
    if kind == NotificationKind.CONTACT_REQUEST:
        return _("The sponsor's safety team asks whether they may contact you about a post.")
    if kind == NotificationKind.GROUP_APPROVED:
        return _("Your group “%(title)s” is approved and open. You are its first moderator.")
    if kind == NotificationKind.GROUP_REFUSED:
        return _("Sponsor staff did not approve your group “%(title)s”.")
    if kind == NotificationKind.JOIN_REQUEST:
        return _("%(name)s asks to join your group “%(title)s”")
    if kind == NotificationKind.JOIN_ACCEPTED:
        return _("You are now a member of the group “%(title)s”")
    if kind == NotificationKind.FOLLOW:
        return _("%(name)s started following you")
    if kind == NotificationKind.COMMENT:
        return _("%(name)s wrote a word of support on your story “%(title)s”")
    if kind == NotificationKind.HUG:
        if notification.comment_id is not None:
            return _("%(name)s sent a hug for your word of support")
        if notification.story_id is not None:
            return _("%(name)s sent a hug for your story “%(title)s”")
        return _("%(name)s sent you a hug")
    if notification.comment_id is not None:
        return _("%(name)s high-fived your word of support")
    if notification.story_id is not None:
        return _("%(name)s high-fived your story “%(title)s”")
    return _("%(name)s high-fived you")


def _title(notification: Notification) -> str:
    if notification.group is not None:
        return notification.group.name
    return notification.story.title if notification.story is not None else ""


def describe(notification: Notification, viewer, external: bool = False) -> Markup:
    """The notification as HTML, the actor's handle linked when ``viewer`` may see them."""
    actor = notification.actor
    name: str | Markup = actor.username if actor is not None else _("A member")
    if actor is not None and can_view_profile(viewer, actor):
        href = _url("profiles.profile", external, username=actor.username)
        name = Markup('<a href="{}">{}</a>').format(href, actor.username)
    return escape(_message(notification)) % {"name": name, "title": _title(notification)}


def describe_text(notification: Notification) -> str:
    """The notification as plain text (for the text part of mails)."""
    actor = notification.actor
    name = actor.username if actor is not None else _("A member")
    return _message(notification) % {"name": name, "title": _title(notification)}


def link_of(notification: Notification, viewer, external: bool = False) -> str | None:
    """Where the notification leads: the group, the story (at the word of support), or the
    actor."""
    if notification.decision_id is not None:
        return _url("moderation.decision", external, decision_id=notification.decision_id)
    if notification.kind == NotificationKind.CONTACT_REQUEST:
        if notification.case_id is None:
            return None
        return _url("safety.consent", external, case_id=notification.case_id)
    group = notification.group
    if group is not None:
        if notification.kind == NotificationKind.JOIN_REQUEST:
            return _url("groups.members", external, slug=group.slug, _anchor="requests")
        return _url("groups.group", external, slug=group.slug)
    story = notification.story
    if story is not None and can_view_story(viewer, story):
        anchor = f"comment-{notification.comment_id}" if notification.comment_id else None
        return _url("stories.story", external, story_id=story.id, _anchor=anchor)
    actor = notification.actor
    if actor is not None and can_view_profile(viewer, actor):
        return _url("profiles.profile", external, username=actor.username)
    return None


def _url(endpoint: str, external: bool, **values) -> str:
    """A URL of the site; outside a request (the digest command) built from SITE_URL."""
    if has_request_context():
        return url_for(endpoint, _external=external, **values)
    site = current_app.config.get("SITE_URL") or ""
    if not site:
        raise RuntimeError("SITE_URL must be set for mails sent outside a request")
    parts = urlsplit(site)
    adapter = current_app.url_map.bind(
        parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme or "https"
    )
    anchor = values.pop("_anchor", None)
    url = adapter.build(endpoint, values, force_external=True)
    return f"{url}#{anchor}" if anchor else url


# --- mail preference and unsubscribe ----------------------------------------------------------


def set_email_frequency(member: Member, frequency: str) -> None:
    member.notification_email = EmailFrequency(frequency).value
    db.session.flush()


def unsubscribe_token(member: Member) -> str:
    return tokens.make(UNSUBSCRIBE_PURPOSE, {"m": member.id, "e": member.email_key})


def member_from_unsubscribe_token(token: str) -> Member | None:
    """The member an unsubscribe link is for; None when forged, expired or out of date."""
    try:
        payload = tokens.read(UNSUBSCRIBE_PURPOSE, token, UNSUBSCRIBE_MAX_AGE)
    except (tokens.TokenExpired, tokens.TokenInvalid):
        return None
    member = db.session.get(Member, payload.get("m")) if isinstance(payload.get("m"), int) else None
    # Bound to the address the mail went to: a link in an old inbox does not follow a new one.
    if member is None or member.email_key != payload.get("e"):
        return None
    return member


def unsubscribe(member: Member) -> None:
    set_email_frequency(member, EmailFrequency.NEVER)


# --- mails ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Item:
    html: Markup
    text: str
    url: str | None


def _items(member: Member, notifications) -> list[_Item]:
    return [
        _Item(
            describe(n, member, external=True), describe_text(n), link_of(n, member, external=True)
        )
        for n in notifications
    ]


def _compose(member: Member, subject, notifications, template: str):
    return compose(
        member.email,
        subject,
        template,
        member.locale,
        member=member,
        items=lambda: _items(member, notifications),
        notifications_url=_url("notifications.index", True),
        settings_url=_url("account.notifications", True),
        unsubscribe_url=_url("notifications.unsubscribe", True, token=unsubscribe_token(member)),
    )


def _queue_each_event_mail(recipient: Member, notification: Notification) -> None:
    subject = _LazySubject(notification)
    queue(_compose(recipient, subject, [notification], "notifications/each"))
    notification.emailed_at = utcnow()
    db.session.flush()


class _LazySubject:
    """The subject, translated when compose() renders it in the recipient's language."""

    def __init__(self, notification: Notification):
        self.notification = notification

    def __str__(self) -> str:
        return describe_text(self.notification)


# --- digests --------------------------------------------------------------------------------


def _last_digest_at(member_id_column):
    """When the member was last mailed about a notification (no extra column needed)."""
    return (
        select(func.max(Notification.emailed_at))
        .where(Notification.recipient_id == member_id_column)
        .scalar_subquery()
    )


def due_digests(now: datetime):
    """A select of (member id, frequency) of members whose digest is due and has content."""
    last = _last_digest_at(Member.id)
    waiting = exists().where(
        Notification.recipient_id == Member.id, Notification.emailed_at.is_(None)
    )
    due = or_(
        *(
            and_(
                Member.notification_email == frequency.value,
                or_(last.is_(None), last < now - interval),
            )
            for frequency, interval in DIGEST_INTERVALS.items()
        )
    )
    return select(Member.id, Member.notification_email).where(waiting, due).order_by(Member.id)


def _claim(member_id: int, frequency: str, batch: str) -> int:
    """Take the member's unmailed notifications for ``batch``: one UPDATE, so only one run wins.

    The digest must still be due (no digest mailed since the cut-off) and no other run's
    claim may be alive, so two runs at once do not send one member two digests.
    """
    now = utcnow()
    stale = now - CLAIM_TIMEOUT
    other = Notification.__table__.alias("other")
    recently_mailed = exists().where(
        other.c.recipient_id == member_id,
        other.c.emailed_at >= now - DIGEST_INTERVALS[EmailFrequency(frequency)],
    )
    claim_alive = exists().where(
        other.c.recipient_id == member_id,
        other.c.emailed_at.is_(None),
        other.c.email_batch.is_not(None),
        other.c.email_claimed_at >= stale,
    )
    return db.session.execute(
        update(Notification)
        .where(
            Notification.recipient_id == member_id,
            Notification.emailed_at.is_(None),
            or_(Notification.email_batch.is_(None), Notification.email_claimed_at < stale),
            ~recently_mailed,
            ~claim_alive,
        )
        .values(email_batch=batch, email_claimed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount


def send_digest(member_id: int, frequency: str) -> bool:
    """Claim, send and mark one member's digest; True when a mail went out.

    Exactly-once as far as a database and an SMTP server allow, and on the side of *at least
    once*: the claim is committed before sending and the mark after. Two runs never claim the
    same notification (the claim is one UPDATE on rows nobody else holds). A crash after the
    claim but before the mail leaves loses nothing: after CLAIM_TIMEOUT the next run takes the
    rows over. A crash (or a failed COMMIT) after the SMTP server accepted the mail but before
    the mark means the next run after the timeout sends that digest again: we chose a rare
    duplicate over a lost mail, since the member can always unsubscribe but cannot see a mail
    that never came.
    """
    batch = uuid.uuid4().hex
    claimed = _claim(member_id, frequency, batch)
    db.session.commit()
    if not claimed:
        return False
    member = db.session.get(Member, member_id)
    if member is None:
        return False  # erased meanwhile: the claimed rows went with the account
    notifications = db.session.scalars(
        select(Notification)
        .where(
            Notification.email_batch == batch,
            Notification.recipient_id == member_id,
            or_(
                Notification.actor_id.is_(None),
                Notification.actor_id.not_in(_blocked_either_way(member_id)),
            ),
        )
        .order_by(Notification.created_at, Notification.id)
    ).all()
    sent = False
    # The preference may have changed to "never" since the list was made: claim, but send nothing.
    if notifications and member.notification_email in (EmailFrequency.DAILY, EmailFrequency.WEEKLY):
        subject = (
            _l("Your daily news from CML Earth")
            if member.notification_email == EmailFrequency.DAILY
            else _l("Your weekly news from CML Earth")
        )
        message = _compose(member, subject, notifications, "notifications/digest")
        # End the reading transaction first: on SQLite the CLI's transactions hold the write
        # lock, and the site must not wait for an SMTP server.
        db.session.rollback()
        # Sent now, not after a commit: the mark below must follow a mail that really left.
        with mail.get_connection(fail_silently=False) as connection:
            connection.send_messages([message])
        sent = True
    db.session.execute(
        update(Notification)
        .where(Notification.email_batch == batch, Notification.emailed_at.is_(None))
        .values(emailed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return sent


def send_digests() -> tuple[int, int]:
    """Send every due digest; returns (mails sent, members whose digest failed)."""
    due = db.session.execute(due_digests(utcnow())).all()
    db.session.commit()
    sent = failed = 0
    for member_id, frequency in due:
        try:
            sent += send_digest(member_id, frequency)
        except Exception:
            # One member's mail failing must not hold up everyone else's; the claim times out
            # and the next run tries again.
            db.session.rollback()
            log.exception("The digest for member %s could not be sent", member_id)
            failed += 1
    return sent, failed


# --- export (erasure needs nothing: the rows go with either member, ON DELETE CASCADE) --------

LABELS.update(
    {
        "from_member": _l("From"),
        "read_at": _l("Read"),
        "emailed_at": _l("Mailed to you"),
    }
)


@section("notifications", _l("Notifications you received"))
def _export_notifications(member: Member) -> list[dict]:
    rows = db.session.scalars(
        select(Notification)
        .where(Notification.recipient_id == member.id)
        .order_by(Notification.created_at, Notification.id)
    )
    return [
        {
            "kind": row.kind,
            "from_member": row.actor.username if row.actor is not None else None,
            "story_id": row.story_id,
            "created_at": row.created_at,
            "read_at": row.read_at,
            "emailed_at": row.emailed_at,
        }
        for row in rows
    ]
