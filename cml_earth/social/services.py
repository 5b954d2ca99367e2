"""Every change to blocks and mutes.

Design choices:

- Nobody blocks sponsor staff, and staff block nobody: moderators must stay reachable and
  identifiable (DOMAIN.md); a member who does not want to see a moderator's posts can mute them.
- Blocking removes the follows between the two, both ways. Past reactions are neither deleted
  nor uncounted: they stay in the database and the counters, and every feature hides them from
  the two members through ``queries.blocked_ids`` (so unblocking does not need to rebuild
  anything, and the reactions colleague stays the only one writing counters).
- Muting changes nothing but the muter's feed.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, literal, or_, select, text, union_all
from sqlalchemy.exc import IntegrityError

from ..account.export import LABELS, VALUES, section
from ..auth.models import Member
from ..errors import DomainError
from ..extensions import db
from .models import Block, Follow, Mute
from .queries import forget_blocks


def can_block(blocker, member) -> bool:
    """Members may block other members, never themselves and never staff (nor staff anyone)."""
    return bool(
        blocker is not None
        and blocker.is_authenticated
        and blocker.id != member.id
        and not blocker.is_staff
        and not member.is_staff
    )


def can_mute(muter, member) -> bool:
    return bool(muter is not None and muter.is_authenticated and muter.id != member.id)


def _insert_once(row) -> None:
    """Add ``row`` unless it is there already (a double click, two tabs)."""
    try:
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()
    except IntegrityError:
        pass  # the same pair was inserted meanwhile: the outcome is the one wanted


def block(blocker, member) -> None:
    """``blocker`` and ``member`` stop seeing and reaching each other; follows between them end."""
    if not can_block(blocker, member):
        raise DomainError({"": _l("You cannot block this member.")})
    if db.session.get(Block, (blocker.id, member.id)) is None:
        _insert_once(Block(blocker_id=blocker.id, blocked_id=member.id))
    db.session.execute(
        delete(Follow).where(
            or_(
                (Follow.follower_id == blocker.id) & (Follow.followed_id == member.id),
                (Follow.follower_id == member.id) & (Follow.followed_id == blocker.id),
            )
        )
    )
    db.session.flush()
    forget_blocks()


def unblock(blocker, member) -> None:
    db.session.execute(
        delete(Block).where(Block.blocker_id == blocker.id, Block.blocked_id == member.id)
    )
    db.session.flush()
    forget_blocks()


def mute(muter, member) -> None:
    """Keep ``member``'s content out of ``muter``'s feed; nothing else changes."""
    if not can_mute(muter, member):
        raise DomainError({"": _l("You cannot mute yourself.")})
    if db.session.get(Mute, (muter.id, member.id)) is None:
        _insert_once(Mute(muter_id=muter.id, muted_id=member.id))
    forget_blocks()


def unmute(muter, member) -> None:
    db.session.execute(delete(Mute).where(Mute.muter_id == muter.id, Mute.muted_id == member.id))
    db.session.flush()
    forget_blocks()


def blocked_and_muted(member):
    """A select of (member, blocked by me?, muted by me?) rows for the settings page."""
    blocked = select(Block.blocked_id).where(Block.blocker_id == member.id)
    muted = select(Mute.muted_id).where(Mute.muter_id == member.id)
    return (
        select(Member, Member.id.in_(blocked).label("blocked"), Member.id.in_(muted).label("muted"))
        .where(or_(Member.id.in_(blocked), Member.id.in_(muted)))
        .order_by(Member.username_key)
    )


# --- export (erasure: blocks and mutes go with the member by foreign-key cascade) ------------

LABELS.update(
    {
        "member": _l("Member"),
        "relation": _l("What you chose"),
    }
)
RELATION_LABELS = {"block": _l("Blocked"), "mute": _l("Muted")}
VALUES["relation"] = lambda relation: RELATION_LABELS.get(relation, relation)


@section("blocks_and_mutes", _l("Members you blocked or muted"))
def _export_blocks_and_mutes(member: Member) -> list[dict]:
    # Only the member's own choices: who blocked them is not theirs to know.
    blocks = (
        select(Member.username, literal("block"), Block.created_at)
        .join(Block, Block.blocked_id == Member.id)
        .where(Block.blocker_id == member.id)
    )
    mutes = (
        select(Member.username, literal("mute"), Mute.created_at)
        .join(Mute, Mute.muted_id == Member.id)
        .where(Mute.muter_id == member.id)
    )
    rows = db.session.execute(union_all(blocks, mutes).order_by(text("3")))
    return [
        {"member": username, "relation": relation, "created_at": created_at}
        for username, relation, created_at in rows
    ]
