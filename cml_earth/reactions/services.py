"""Sending and taking back hugs and high-fives, with the counts kept exact in SQL.

The count on the target (a profile, story or word of support) changes in the same transaction,
and only when a row was really inserted or deleted: a second tab sending the same hug, or two
tabs taking it back at once, change nothing. The form says which state the member wants
(``add`` or ``remove``, worked out from the page they saw), so a repeated click never flips a
reaction the other way.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, literal, or_, select, union_all, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager
from sqlalchemy.orm.attributes import set_committed_value

from ..account.erasure import eraser
from ..account.export import LABELS, VALUES, section
from ..auth.models import Member
from ..auth.permissions import can_post
from ..extensions import db
from ..notifications.services import notify_reaction, withdraw_reaction_notification
from ..profiles.models import Profile
from ..stories.models import Comment, Story
from .models import Reaction, ReactionKind
from .permissions import can_see_target, is_own

ADD = "add"
REMOVE = "remove"


class TargetNotFound(LookupError):
    """The target does not exist for the sender (deleted, hidden or blocked): answer 404."""


class ReactionRefused(Exception):
    """The sender may see the target but not react to it; ``message`` says why."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class ReactionState:
    active: bool
    count: int


@dataclass(frozen=True)
class _Target:
    """Where reactions to one kind of target point, and where their counts are kept."""

    reaction_column: object
    counted: type
    counted_key: object


_TARGETS = {
    Member: _Target(Reaction.member_id, Profile, Profile.member_id),
    Story: _Target(Reaction.story_id, Story, Story.id),
    Comment: _Target(Reaction.comment_id, Comment, Comment.id),
}
_TARGET_FIELDS = {Member: "member_id", Story: "story_id", Comment: "comment_id"}


def _target(target) -> _Target:
    try:
        return _TARGETS[type(target)]
    except KeyError:
        raise TypeError(f"{type(target).__name__} cannot receive reactions") from None


def _count_column(target, kind: str):
    return getattr(_target(target).counted, f"{ReactionKind(kind).value}_count")


def _counted_object(target):
    return target.profile if isinstance(target, Member) else target


def check_may_react(sender, target) -> None:
    """Raise TargetNotFound or ReactionRefused unless ``sender`` may react to ``target``."""
    if not can_see_target(sender, target):
        raise TargetNotFound()
    if sender.is_verified and sender.is_silenced:
        raise ReactionRefused(_l("Moderators have paused your posting and reactions for now."))
    if not can_post(sender):
        raise ReactionRefused(
            _l("Please confirm your email address before you send hugs and high-fives.")
        )
    if sender.is_staff and current_app.config["STAFF_REACTIONS_BLOCKED"]:
        raise ReactionRefused(
            _l(
                "Sponsor staff and administrators do not send hugs or high-fives: coming from "
                "the company that funds CML Earth, they could read as endorsement."
            )
        )
    if is_own(sender, target):
        raise ReactionRefused(_l("You cannot send a hug or high-five to yourself."))


def _change_count(target, kind: str, delta: int) -> int:
    spec = _target(target)
    column = _count_column(target, kind)
    count = db.session.execute(
        update(spec.counted)
        .where(spec.counted_key == target.id)
        .values({column: column + delta})
        .returning(column),
        execution_options={"synchronize_session": False},
    ).scalar_one()
    set_committed_value(_counted_object(target), column.key, count)
    return count


def _insert_if_absent(values: dict) -> Reaction | None:
    """INSERT … ON CONFLICT DO NOTHING: a concurrent duplicate waits, then inserts nothing."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(Reaction).values(**values).on_conflict_do_nothing().returning(Reaction)
    try:
        # The savepoint keeps the request's transaction usable when the target vanished in
        # between (a foreign key error), which PostgreSQL would otherwise abort.
        with db.session.begin_nested():
            return db.session.scalars(statement).one_or_none()
    except IntegrityError:
        raise TargetNotFound() from None


def send_reaction(sender, kind: str, target) -> tuple[bool, Reaction | None]:
    """Send a hug or high-five unless already sent; returns (added, the new reaction or None)."""
    check_may_react(sender, target)
    kind = ReactionKind(kind).value
    reaction = _insert_if_absent(
        {"sender_id": sender.id, "kind": kind, _TARGET_FIELDS[type(target)]: target.id}
    )
    if reaction is None:
        return False, None
    _change_count(target, kind, +1)
    notify_reaction(reaction)
    db.session.flush()
    return True, reaction


def take_back_reaction(sender, kind: str, target) -> bool:
    """Take back a hug or high-five; False when there was none (another tab took it back)."""
    check_may_react(sender, target)
    kind = ReactionKind(kind).value
    removed = db.session.execute(
        delete(Reaction)
        .where(
            Reaction.sender_id == sender.id,
            Reaction.kind == kind,
            _target(target).reaction_column == target.id,
        )
        .returning(Reaction.id),
        execution_options={"synchronize_session": False},
    ).all()
    if not removed:
        return False
    _change_count(target, kind, -len(removed))
    withdraw_reaction_notification(
        Reaction(sender_id=sender.id, kind=kind, **{_TARGET_FIELDS[type(target)]: target.id})
    )
    db.session.flush()
    return True


def has_reacted(sender, kind: str, target) -> bool:
    return (
        db.session.scalar(
            select(Reaction.id).where(
                Reaction.sender_id == sender.id,
                Reaction.kind == ReactionKind(kind).value,
                _target(target).reaction_column == target.id,
            )
        )
        is not None
    )


def reaction_count(kind: str, target) -> int:
    """The stored count, read afresh (another request may have changed it)."""
    spec = _target(target)
    column = _count_column(target, kind)
    return db.session.scalar(select(column).where(spec.counted_key == target.id)) or 0


def toggle_reaction(sender, kind: str, target, action: str | None = None) -> ReactionState:
    """Bring the reaction to the state ``action`` asks for (``add``/``remove``); None flips it.

    The wanted state comes from the page the member saw, so two tabs sending the same click
    both end where the member meant, and never flip it back.
    """
    check_may_react(sender, target)
    if action is None:
        action = REMOVE if has_reacted(sender, kind, target) else ADD
    if action == ADD:
        changed, _reaction = send_reaction(sender, kind, target)
    elif action == REMOVE:
        changed = take_back_reaction(sender, kind, target)
    else:
        raise ValueError(f"unknown reaction action {action!r}")
    count = (
        getattr(_counted_object(target), _count_column(target, kind).key)
        if changed
        else reaction_count(kind, target)
    )
    return ReactionState(active=action == ADD, count=count)


def sent_kinds(viewer, targets) -> dict[tuple[str, int], frozenset[str]]:
    """Which kinds ``viewer`` sent to each of ``targets``: one query per kind of target.

    Keys are ("member" | "story" | "comment", id), as ``target_key`` builds them.
    """
    found: dict[tuple[str, int], set[str]] = defaultdict(set)
    if viewer is None or not viewer.is_authenticated:
        return {}
    by_type: dict[type, list[int]] = defaultdict(list)
    for target in targets:
        by_type[type(target)].append(target.id)
    for target_type, ids in by_type.items():
        column = _TARGETS[target_type].reaction_column
        rows = db.session.execute(
            select(column, Reaction.kind).where(Reaction.sender_id == viewer.id, column.in_(ids))
        )
        for target_id, kind in rows:
            found[(_TYPE_NAMES[target_type], target_id)].add(kind)
    return {key: frozenset(kinds) for key, kinds in found.items()}


_TYPE_NAMES = {Member: "member", Story: "story", Comment: "comment"}


@dataclass(frozen=True)
class MemberRelation:
    """What the viewer did to a member, for the profile page's buttons."""

    sent: frozenset[str]
    following: bool


FOLLOWING = "following"


def relation_to(viewer, member) -> MemberRelation:
    """The kinds ``viewer`` sent to ``member``'s profile and whether they follow: one query."""
    from ..social.models import Follow

    if viewer is None or not viewer.is_authenticated:
        return MemberRelation(frozenset(), following=False)
    sent = select(Reaction.kind).where(
        Reaction.sender_id == viewer.id, Reaction.member_id == member.id
    )
    follows = select(literal(FOLLOWING)).where(
        Follow.follower_id == viewer.id, Follow.followed_id == member.id
    )
    found = set(db.session.scalars(union_all(sent, follows)))
    return MemberRelation(frozenset(found - {FOLLOWING}), following=FOLLOWING in found)


def target_key(target) -> tuple[str, int]:
    return _TYPE_NAMES[type(target)], target.id


def senders(viewer, target, kind: str | None = None):
    """A select of the members who reacted to ``target`` whom ``viewer`` may see.

    Senders whose profile the viewer may not see, and anyone blocked either way, are left out.
    By handle; the view paginates it and asks ``kinds_from`` what each sent.
    """
    from ..profiles.services import profile_visible
    from ..social.queries import blocked_ids

    sent = select(Reaction.sender_id).where(_target(target).reaction_column == target.id)
    if kind is not None:
        sent = sent.where(Reaction.kind == ReactionKind(kind).value)
    statement = (
        select(Member)
        .join(Member.profile)
        .options(contains_eager(Member.profile))
        .where(Member.id.in_(sent), profile_visible(viewer))
        .order_by(Member.username_key)
    )
    hidden = blocked_ids(viewer)
    if hidden:
        statement = statement.where(Member.id.not_in(hidden))
    return statement


def kinds_from(target, members) -> dict[int, list[str]]:
    """What each of ``members`` sent to ``target`` (one query), hugs before high-fives."""
    ids = [member.id for member in members]
    found: dict[int, list[str]] = defaultdict(list)
    if ids:
        rows = db.session.execute(
            select(Reaction.sender_id, Reaction.kind).where(
                _target(target).reaction_column == target.id, Reaction.sender_id.in_(ids)
            )
        )
        order = list(ReactionKind)
        for sender_id, kind in sorted(rows, key=lambda row: order.index(row[1])):
            found[sender_id].append(kind)
    return dict(found)


# --- export and erasure ---------------------------------------------------------------------

LABELS.update(
    {
        "to_member": _l("Sent to the member"),
        "on": _l("Sent to"),
        "comment_id": _l("Number of the word of support"),
    }
)
_ON_LABELS = {
    "profile": _l("A profile"),
    "story": _l("A story"),
    "comment": _l("A word of support"),
}
VALUES["on"] = lambda on: _ON_LABELS.get(on, on)


def _on(member_id, story_id) -> str:
    if member_id is not None:
        return "profile"
    return "story" if story_id is not None else "comment"


@section("reactions_given", _l("Hugs and high-fives you sent"))
def _export_given(member: Member) -> list[dict]:
    rows = db.session.execute(
        select(
            Reaction.kind,
            Reaction.member_id,
            Member.username,
            Reaction.story_id,
            Reaction.comment_id,
            Reaction.created_at,
        )
        .outerjoin(Member, Member.id == Reaction.member_id)
        .where(Reaction.sender_id == member.id)
        .order_by(Reaction.created_at, Reaction.id)
    )
    return [
        {
            "kind": kind,
            "on": _on(member_id, story_id),
            "to_member": username,
            "story_id": story_id,
            "comment_id": comment_id,
            "created_at": created_at,
        }
        for kind, member_id, username, story_id, comment_id, created_at in rows
    ]


@section("reactions_received", _l("Hugs and high-fives you received"))
def _export_received(member: Member) -> list[dict]:
    # Who sent them stays out: that is the senders' data, and some may keep their profile hidden.
    rows = db.session.execute(
        select(
            Reaction.kind,
            Reaction.member_id,
            Reaction.story_id,
            Reaction.comment_id,
            Reaction.created_at,
        )
        .where(
            or_(
                Reaction.member_id == member.id,
                Reaction.story_id.in_(select(Story.id).where(Story.author_id == member.id)),
                Reaction.comment_id.in_(select(Comment.id).where(Comment.author_id == member.id)),
            )
        )
        .order_by(Reaction.created_at, Reaction.id)
    )
    return [
        {
            "kind": kind,
            "on": _on(member_id, story_id),
            "story_id": story_id,
            "comment_id": comment_id,
            "created_at": created_at,
        }
        for kind, member_id, story_id, comment_id, created_at in rows
    ]


@eraser
def _count_out_reactions_given(member: Member) -> None:
    """The member's reactions go by cascade; the counts on others' things drop first.

    One UPDATE per kind of target (profiles, stories, words of support), both kinds at once.
    """
    for spec in _TARGETS.values():
        counted = spec.counted

        def given(kind: ReactionKind, spec=spec):
            return (
                select(func.count())
                .select_from(Reaction)
                .where(
                    Reaction.sender_id == member.id,
                    Reaction.kind == kind.value,
                    spec.reaction_column == spec.counted_key,
                )
                .scalar_subquery()
            )

        db.session.execute(
            update(counted)
            .where(
                spec.counted_key.in_(
                    select(spec.reaction_column).where(Reaction.sender_id == member.id)
                )
            )
            .values(
                hug_count=counted.hug_count - given(ReactionKind.HUG),
                high_five_count=counted.high_five_count - given(ReactionKind.HIGH_FIVE),
            )
            .execution_options(synchronize_session=False)
        )
