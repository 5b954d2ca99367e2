"""Seeding the demo's moderation: see moderation_data.py for what and why."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from ..auth.models import Member, username_key
from ..database import utcnow
from ..extensions import db
from ..groups import services as group_services
from ..groups.models import GroupKind, GroupVisibility, JoinPolicy
from ..moderation import actions, services
from ..moderation.models import ItemStatus, ModerationItem
from ..stories.models import Comment, Story


def seed_moderation(password_hash: str, demo_key) -> bool:
    """Add the moderation demo once; False when it is there already."""
    from .moderation_data import (
        APPEAL,
        COMMENTS,
        DECISIONS,
        REPORTS,
        SELLER,
        SELLER_STORY,
        STORIES,
        SWEDEN_PROPOSAL,
    )
    from .services import _member, _members_named, _write_stories

    if db.session.scalar(select(Member.id).where(Member.username_key == username_key(SELLER[0]))):
        return False
    username, role, country, locale = SELLER
    seller = _member(username, f"{username.lower()}@demo.cml-earth.invalid", role,
                     password_hash, utcnow() - timedelta(days=20), country, locale)  # fmt: skip
    seller.profile.story = SELLER_STORY
    seller.profile.languages = "en"
    _write_stories([(demo, None) for demo in STORIES], [])
    _write_comments(COMMENTS, demo_key)
    _propose_sweden(SWEDEN_PROPOSAL)

    names = {report.reporter for report in REPORTS} | {staff for staff, *_rest in DECISIONS}
    members = _members_named(names | {SELLER[0]})
    for demo in REPORTS:
        target_type, target = _target(demo.target, demo_key)
        services.report(members[demo.reporter], target_type, target, demo.reason, demo.details)
    # The advert has waited three days: the queue shows it overdue.
    spam_type, spam = _target("story:mod-spam", demo_key)
    db.session.execute(
        update(ModerationItem)
        .where(ModerationItem.target_type == spam_type, ModerationItem.target_id == spam.id)
        .values(opened_at=utcnow() - timedelta(days=3))
    )
    decisions = {}
    for staff, target_ref, action, ground, explanation in DECISIONS:
        target_type, target = _target(target_ref, demo_key)
        item = _open_item(target_type, target.id)
        decisions[target_ref] = actions.act(
            item, members[staff], action, ground=ground, explanation=explanation
        )
    target_ref, text = APPEAL
    actions.appeal(members[SELLER[0]], decisions[target_ref], text)
    db.session.flush()
    return True


def _write_comments(comments, demo_key) -> None:
    """Words on stories of the main demo (found by their demo keys)."""
    from ..stories.services import create_comment

    for demo in comments:
        _kind, story = _target(f"story:{demo.story}", demo_key)
        author = db.session.scalar(
            select(Member).where(Member.username_key == username_key(demo.author))
        )
        if story is not None and author is not None:
            create_comment(author, story, demo.body, demo_key("comment", demo.key))


def _propose_sweden(proposal: dict) -> None:
    if group_services.national_group("SE") is not None:
        return
    founder = db.session.scalar(
        select(Member).where(Member.username_key == username_key(proposal["founder"]))
    )
    if founder is None:
        return
    group_services.propose_group(
        founder,
        name=proposal["name"],
        kind=GroupKind.NATIONAL,
        country_code="SE",
        description=proposal["description"],
        languages=proposal["languages"],
        visibility=GroupVisibility.MEMBERS,
        join_policy=JoinPolicy.OPEN,
    )


def _target(reference: str, demo_key):
    kind, _sep, key = reference.partition(":")
    if kind == "profile":
        return "profile", db.session.scalar(
            select(Member).where(Member.username_key == username_key(key))
        )
    model = Story if kind == "story" else Comment
    return kind, db.session.scalar(select(model).where(model.submission_key == demo_key(kind, key)))


def _open_item(target_type: str, target_id: int) -> ModerationItem:
    return db.session.scalar(
        select(ModerationItem).where(
            ModerationItem.target_type == target_type,
            ModerationItem.target_id == target_id,
            ModerationItem.status == ItemStatus.OPEN,
        )
    )
