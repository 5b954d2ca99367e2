"""Building the demo community, idempotently."""

from __future__ import annotations

import hashlib
import io
import math
import random
import uuid
from datetime import timedelta

from flask import current_app
from flask_babel import force_locale
from PIL import Image, ImageDraw, ImageFilter
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from ..auth import passwords
from ..auth.models import ConsentPurpose, Member, username_key
from ..auth.services import give_consent
from ..database import utcnow
from ..errors import DomainError
from ..extensions import db
from ..i18n import default_timezone_for
from ..profiles.avatars import save_avatar
from ..profiles.models import SENSITIVE_FIELDS, Profile, Visibility
from ..profiles.services import HEALTH_FIELDS, update_privacy, update_profile
from .data import DEMO_PASSWORD, MEMBERS, PROFILES, STAFF, DemoProfile, email_for
from .group_data import QUIET_STORIES
from .moderation import seed_moderation

PRIVACY_FIELDS = ("profile", *SENSITIVE_FIELDS)
DEMO_NAMESPACE = uuid.UUID("0f3c6a52-5b1e-4c1e-9a55-cdbf2f6f1e11")


def seed() -> list[tuple[str, str, str]]:
    """Add every demo member that is not there yet; returns (username, email, role) of all."""
    existing = set(db.session.scalars(select(Member.username_key)))
    # One hash serves every demo account: they share a password, and hashing 50 times is slow.
    password_hash = passwords.hash_password(DEMO_PASSWORD)
    now = utcnow()
    logins = []
    for index, (username, role, country, locale, consent) in enumerate(MEMBERS):
        email = email_for(username)
        logins.append((username, email, role))
        if username_key(username) in existing:
            continue
        joined = now - timedelta(days=7 * (len(MEMBERS) - index))
        member = _member(username, email, role, password_hash, joined, country, locale)
        if consent:
            with force_locale(locale):
                give_consent(member, ConsentPurpose.HEALTH_DATA, "demo seed")
    for username, email, role in STAFF:
        logins.append((username, email, role))
        if username_key(username) not in existing:
            _member(username, email, role, password_hash, now - timedelta(days=400), None, "en")
    fill_profiles()
    config = current_app.config
    limits = config["NEW_MEMBER_DAYS"], config["NEW_MEMBER_PUBLISHED_POSTS"]
    # The demo's members have been around for months: nothing they wrote waits as a newcomer's.
    config["NEW_MEMBER_DAYS"] = config["NEW_MEMBER_PUBLISHED_POSTS"] = 0
    try:
        seed_stories()
        seed_groups()
        seed_moderation(password_hash, _demo_key)
        seed_reactions()
    finally:
        config["NEW_MEMBER_DAYS"], config["NEW_MEMBER_PUBLISHED_POSTS"] = limits
    return logins


def _demo_key(kind: str, key: str) -> str:
    """The same submission key on every run: the database then keeps one row per demo key."""
    return str(uuid.uuid5(DEMO_NAMESPACE, f"{kind}:{key}"))


def seed_stories() -> tuple[int, int]:
    """Demo stories and words of support not there yet; returns how many of each were added."""
    from .story_data import COMMENTS, STORIES

    return _write_stories([(demo, None) for demo in STORIES], COMMENTS)


def _write_stories(stories_in, comments_in) -> tuple[int, int]:
    """Write (DemoStory, group id or None) pairs and DemoComments not there yet.

    A group story whose author can no longer post in the group (they left it) is skipped.
    """
    from ..stories.models import Comment, Story
    from ..stories.services import create_comment, publish_story

    names = {demo.author for demo, _group in stories_in} | {demo.author for demo in comments_in}
    members = _members_named(names)
    keys = {
        *db.session.scalars(select(Story.submission_key).where(Story.submission_key.is_not(None))),
        *db.session.scalars(
            select(Comment.submission_key).where(Comment.submission_key.is_not(None))
        ),
    }
    now = utcnow()
    stories: dict[str, Story] = {}
    added_stories = added_comments = 0
    for demo, group_id in stories_in:
        author = members.get(demo.author)
        if author is None:
            continue
        key = _demo_key("story", demo.key)
        try:
            story = publish_story(
                author,
                title=demo.title,
                body=demo.body,
                language=demo.language,
                visibility=demo.visibility,
                submission_key=key,
                group_id=group_id,
            )
        except DomainError:
            continue
        if key not in keys:
            story.created_at = max(now - timedelta(days=demo.days_ago), author.created_at)
            added_stories += 1
        stories[demo.key] = story
    for number, demo in enumerate(comments_in):
        author, story = members.get(demo.author), stories.get(demo.story)
        if author is None or story is None:
            continue
        key = _demo_key("comment", demo.key)
        comment = create_comment(author, story, demo.body, key)
        if key not in keys:
            comment.created_at = min(story.created_at + timedelta(hours=2 + number), now)
            added_comments += 1
    db.session.flush()
    return added_stories, added_comments


def _members_named(names) -> dict[str, Member]:
    return {
        member.username: member
        for member in db.session.scalars(
            select(Member).where(Member.username_key.in_([username_key(n) for n in names]))
        )
    }


def seed_groups() -> tuple[int, int]:
    """Demo groups with their members, and stories posted in them; returns (groups, stories) added.

    Groups are inserted directly, already approved by sponsor staff (the founding flow needs a
    proposal and a decision each). A group is filled with its members only when it is created,
    so a second seed adds nothing and a member who left stays out. Every demo group's
    member_count is then recounted from its active memberships.
    """
    from ..groups.countries import normalize
    from ..groups.geocoding import Place
    from ..groups.models import Group, GroupMembership, MembershipRole, MembershipStatus
    from ..groups.services import set_place
    from ..notifications import services as notifications
    from ..notifications.models import NotificationKind
    from ..stories.models import Story
    from .group_data import (
        DECIDED_BY,
        GROUP_COMMENTS,
        GROUP_STORIES,
        GROUPS,
        PLACES,
        STORIES_IN_GROUPS,
    )

    names = {DECIDED_BY, *PLACES}
    names |= {name for demo in GROUPS for name in (demo.founder, *demo.members, *demo.pending)}
    members = _members_named(names)
    staff = members.get(DECIDED_BY)
    groups = {
        group.slug: group
        for group in db.session.scalars(
            select(Group).where(Group.slug.in_([demo.slug for demo in GROUPS]))
        )
    }
    now = utcnow()
    created = []
    for demo in GROUPS:
        founder = members.get(demo.founder)
        if demo.slug in groups or founder is None or staff is None:
            continue
        place_name, latitude, longitude = demo.place or (None, None, None)
        proposed_at = now - timedelta(days=demo.days_ago)
        group = Group(
            slug=demo.slug,
            name=demo.name,
            kind=demo.kind,
            country_code=demo.country_code,
            place_name=place_name,
            latitude=latitude,
            longitude=longitude,
            description=demo.description,
            languages=",".join(demo.languages),
            visibility=demo.visibility,
            join_policy=demo.join_policy,
            status=demo.status,
            search_text=normalize(f"{demo.name} {demo.description}"),
            founder_id=founder.id,
            decided_by_id=staff.id,
            decided_at=proposed_at + timedelta(days=2),
            created_at=proposed_at,
        )
        db.session.add(group)
        groups[demo.slug] = group
        created.append((demo, group))
    db.session.flush()

    for demo, group in created:
        moderators = {demo.founder, *demo.moderators}
        joining = [
            *((name, MembershipStatus.ACTIVE) for name in (demo.founder, *demo.members)),
            *((name, MembershipStatus.PENDING) for name in demo.pending),
        ]
        for number, (name, status) in enumerate(joining):
            member = members.get(name)
            if member is None:
                continue
            # The founder joins when the group opens; the others over the following days.
            asked = min(group.decided_at + timedelta(days=3 * number, hours=number), now)
            active = status == MembershipStatus.ACTIVE
            db.session.add(
                GroupMembership(
                    group_id=group.id,
                    member_id=member.id,
                    role=MembershipRole.MODERATOR if name in moderators else MembershipRole.MEMBER,
                    status=status,
                    requested_at=asked,
                    joined_at=asked if active else None,
                )
            )
            if not active:
                for moderator in moderators:
                    if moderator in members:
                        notifications.notify_group(
                            members[moderator].id, member, NotificationKind.JOIN_REQUEST, group
                        )
    db.session.flush()

    # Counters follow the rows: recounted, so they are right whatever was there before.
    ids = [group.id for group in groups.values()]
    counts = dict(
        db.session.execute(
            select(GroupMembership.group_id, func.count())
            .where(
                GroupMembership.group_id.in_(ids),
                GroupMembership.status == MembershipStatus.ACTIVE,
            )
            .group_by(GroupMembership.group_id)
        ).all()
    )
    for group in groups.values():
        group.member_count = counts.get(group.id, 0)

    # A few stories written before the groups existed move in, when their group is new.
    new_slugs = {demo.slug for demo, _group in created}
    moving = {
        _demo_key("story", key): groups[slug].id
        for key, slug in STORIES_IN_GROUPS.items()
        if slug in new_slugs
    }
    if moving:
        for story in db.session.scalars(
            select(Story).where(Story.submission_key.in_(list(moving)), Story.group_id.is_(None))
        ):
            story.group_id = moving[story.submission_key]

    # Saved places for "groups near me", for members who have none.
    for name, (place_name, latitude, longitude) in PLACES.items():
        member = members.get(name)
        if member is not None and member.profile.latitude is None:
            set_place(member, Place(place_name, latitude, longitude, member.country_code))

    added_stories, _comments = _write_stories(
        [(demo, groups[slug].id) for slug, demo in GROUP_STORIES if slug in groups],
        GROUP_COMMENTS,
    )
    return len(created), added_stories


def _picked(*parts: str, one_in: int) -> bool:
    """A choice that is the same on every run (hash() is salted per process; sha256 is not)."""
    digest = hashlib.sha256("|".join(parts).encode()).digest()
    return int.from_bytes(digest[:4], "big") % one_in == 0


def seed_reactions() -> tuple[int, int]:
    """Hugs, high-fives and follows between demo members; returns (reactions, follows) added.

    Through the services, so the counts move with the rows, and only what the rules allow
    (no staff, nobody to themselves, only what the sender may see). A second run adds nothing.
    """
    from ..reactions.models import Reaction, ReactionKind
    from ..reactions.services import ReactionRefused, TargetNotFound, send_reaction
    from ..social.follows import FollowNotFound, FollowRefused, follow
    from ..social.models import Follow
    from ..stories.models import Comment, Story

    keys = [username_key(username) for username, *_rest in MEMBERS]
    members = db.session.scalars(
        select(Member).where(Member.username_key.in_(keys)).order_by(Member.id)
    ).all()
    ids = [member.id for member in members]
    # Some group stories wait for their first welcome (the group page shows them): no hugs.
    quiet = [_demo_key("story", key) for key in QUIET_STORIES]
    stories = db.session.scalars(
        select(Story)
        .where(
            Story.author_id.in_(ids),
            or_(Story.submission_key.is_(None), Story.submission_key.not_in(quiet)),
        )
        .order_by(Story.id)
    ).all()
    comments = db.session.scalars(
        select(Comment).where(Comment.author_id.in_(ids)).order_by(Comment.id)
    ).all()
    # How rare each kind of target is picked: a hug one time in n, a high-five half as often.
    targets = [
        *((f"member:{m.username}", m, 20) for m in members),
        *((f"story:{s.submission_key or s.id}", s, 8) for s in stories),
        *((f"comment:{c.submission_key or c.id}", c, 15) for c in comments),
    ]
    rows = db.session.execute(
        select(
            Reaction.sender_id,
            Reaction.kind,
            Reaction.member_id,
            Reaction.story_id,
            Reaction.comment_id,
        ).where(Reaction.sender_id.in_(ids))
    )
    sent = {
        (sender_id, kind, on, target_id)
        for sender_id, kind, *target_ids in rows
        for on, target_id in zip(("member", "story", "comment"), target_ids, strict=True)
        if target_id is not None
    }
    followed = set(db.session.execute(select(Follow.follower_id, Follow.followed_id)))
    reactions = follows = 0
    for sender in members:
        for name, target, one_in in targets:
            for kind, rarer in ((ReactionKind.HUG, 1), (ReactionKind.HIGH_FIVE, 2)):
                if not _picked(sender.username, name, kind.value, one_in=one_in * rarer):
                    continue
                if (sender.id, kind.value, name.split(":")[0], target.id) in sent:
                    continue
                try:
                    added, _reaction = send_reaction(sender, kind.value, target)
                except (TargetNotFound, ReactionRefused):
                    continue  # a private profile or story, or their own
                reactions += added
        for member in members:
            if member.id == sender.id or (sender.id, member.id) in followed:
                continue
            if not _picked(sender.username, member.username, one_in=10):
                continue
            try:
                added, _follow = follow(sender, member)
            except (FollowNotFound, FollowRefused):
                continue
            follows += added
    db.session.flush()
    return reactions, follows


def fill_profiles() -> int:
    """Give demo members their story, languages, health details, privacy choices and picture.

    Only profiles still empty are filled, so a second seed changes nothing and whatever a
    member has since written stays theirs. Returns how many profiles were filled.
    """
    by_key = {username_key(username): demo for username, demo in PROFILES.items()}
    members = db.session.scalars(
        select(Member)
        .where(Member.username_key.in_(list(by_key)))
        .options(selectinload(Member.consents))
        .order_by(Member.id)
    ).all()
    filled = 0
    for member in members:
        if not _is_empty(member.profile):
            continue
        _fill(member, by_key[member.username_key])
        filled += 1
    return filled


def _is_empty(profile: Profile) -> bool:
    return (
        not profile.story
        and not profile.languages
        and not profile.has_health_details
        and profile.avatar_key is None
        and all(
            getattr(profile, f"{name}_visibility") == Visibility.MEMBERS for name in PRIVACY_FIELDS
        )
    )


def _fill(member: Member, demo: DemoProfile) -> None:
    health = None
    if demo.health and member.has_health_consent:
        health = dict(zip(HEALTH_FIELDS, demo.health, strict=True))
    update_profile(
        member,
        username=member.username,
        story=demo.story,
        languages=list(demo.languages),
        health=health,
    )
    update_privacy(
        member,
        {
            f"{name}_visibility": demo.privacy.get(name, Visibility.MEMBERS.value)
            for name in PRIVACY_FIELDS
        },
    )
    if demo.avatar:
        save_avatar(member, demo_picture(member.username))


# Soft pairs of colours (start, end of the gradient) for the demo pictures.
GRADIENTS = (
    ((46, 111, 98), (163, 214, 196)),
    ((31, 95, 139), (158, 205, 232)),
    ((91, 75, 138), (214, 190, 235)),
    ((138, 74, 36), (246, 204, 151)),
    ((138, 47, 79), (245, 183, 196)),
    ((79, 106, 42), (207, 228, 160)),
    ((37, 61, 91), (244, 162, 97)),
    ((0, 109, 119), (255, 221, 210)),
)


def demo_picture(username: str, size: int = 512) -> bytes:
    """A pleasant abstract PNG, the same for the same handle: a gradient with soft shapes."""
    rng = random.Random(hashlib.sha256(username.encode()).digest())  # noqa: S311  (not secret)  # nosec B311
    start, end = rng.choice(GRADIENTS)
    picture = Image.composite(
        Image.new("RGB", (size, size), end),
        Image.new("RGB", (size, size), start),
        _gradient_mask(size, rng.choice(range(0, 360, 45))),
    )
    blur = ImageFilter.GaussianBlur(size / 160)
    for _ in range(rng.randint(3, 6)):
        radius = rng.randint(size // 10, size // 3)
        x, y = rng.randint(0, size), rng.randint(0, size)
        _soft_shape(
            picture,
            rng.choice((start, end, (255, 255, 255))),
            lambda draw, alpha, x=x, y=y, r=radius: draw.ellipse(
                (x - r, y - r, x + r, y + r), fill=alpha
            ),
            rng.randint(60, 140),
            blur,
        )
    if rng.random() < 0.6:  # a gentle wave across the lower part, like hills or the sea
        top, height = rng.randint(size // 2, size * 3 // 4), rng.randint(size // 30, size // 10)
        turns, phase = rng.uniform(0.5, 1.5), rng.uniform(0, 2 * math.pi)
        wave = [
            (x, top + height * math.sin(phase + 2 * math.pi * turns * x / size))
            for x in range(0, size + 8, 8)
        ]
        _soft_shape(
            picture,
            start,
            lambda draw, alpha: draw.polygon([(0, size), *wave, (size, size)], fill=alpha),
            150,
            blur,
        )
    buffer = io.BytesIO()
    # Light compression: save_avatar decodes it straight away (the pixels are the same).
    picture.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def _gradient_mask(size: int, angle: int) -> Image.Image:
    """A linear 0-255 ramp across a square, turned by ``angle`` degrees, with no empty corners."""
    ramp = Image.linear_gradient("L").rotate(angle, resample=Image.Resampling.BICUBIC, expand=True)
    inner = round(256 / math.sqrt(2)) if angle % 90 else 256
    left = (ramp.width - inner) // 2
    top = (ramp.height - inner) // 2
    return ramp.crop((left, top, left + inner, top + inner)).resize((size, size))


def _soft_shape(picture: Image.Image, colour, draw_shape, alpha: int, blur) -> None:
    """Lay ``colour`` over ``picture`` through a shape drawn with ``alpha`` and softened."""
    mask = Image.new("L", picture.size, 0)
    draw_shape(ImageDraw.Draw(mask), alpha)
    picture.paste(colour, mask=mask.filter(blur))


def _member(username, email, role, password_hash, joined, country, locale) -> Member:
    member = Member(
        username=username,
        email=email,
        password_hash=password_hash,
        role=role,
        country_code=country,
        locale=locale,
        timezone=default_timezone_for(country),
        email_verified_at=joined,
        age_confirmed_at=joined,
        guidelines_accepted_at=joined,
        guidelines_version=current_app.config["GUIDELINES_VERSION"],
        created_at=joined,
    )
    db.session.add(member)
    db.session.flush()
    return member


def demo_totp_secret(username: str) -> str:
    """A demo staff account's authenticator secret: fixed and public, like the demo password."""
    import base64

    digest = hashlib.sha256(f"cml-earth-demo-totp:{username}".encode()).digest()
    return base64.b32encode(digest[:20]).decode()


def enrol_staff_authenticators() -> list[tuple[str, str, str]]:
    """Turn two-step sign-in on for the demo staff; returns (username, secret, otpauth URI)."""
    from ..auth import two_factor

    enrolled = []
    for username, _email, _role in STAFF:
        member = db.session.scalar(
            select(Member).where(Member.username_key == username_key(username))
        )
        if member is None:
            continue
        secret = demo_totp_secret(username)
        if member.totp_secret != secret or member.totp_enabled_at is None:
            two_factor.enrol_directly(member, secret)
        enrolled.append((username, secret, two_factor.provisioning_uri(member, secret)))
    return enrolled
