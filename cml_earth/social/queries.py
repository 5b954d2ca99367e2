"""Reads about relationships between members, shared by every feature's permission checks."""

from __future__ import annotations

from flask import g, has_request_context
from sqlalchemy import literal, or_, select, union_all

from ..extensions import db
from .models import Block, Mute

_CACHE = "_cml_blocked_ids"


def _relations(member) -> tuple[frozenset[int], frozenset[int]]:
    """(blocked either way, muted by ``member``): one query per request for both."""
    cache = g.setdefault(_CACHE, {}) if has_request_context() else {}
    if member.id not in cache:
        blocks = select(Block.blocker_id, Block.blocked_id, literal("block")).where(
            or_(Block.blocker_id == member.id, Block.blocked_id == member.id)
        )
        mutes = select(Mute.muter_id, Mute.muted_id, literal("mute")).where(
            Mute.muter_id == member.id
        )
        blocked, muted = set(), set()
        for first, second, kind in db.session.execute(union_all(blocks, mutes)):
            if kind == "mute":
                muted.add(second)
            else:
                blocked.add(second if first == member.id else first)
        cache[member.id] = (frozenset(blocked), frozenset(muted))
    return cache[member.id]


def blocked_ids(member) -> frozenset[int]:
    """Ids of the members ``member`` blocked or was blocked by (one query per request)."""
    if member is None or not member.is_authenticated:
        return frozenset()
    return _relations(member)[0]


def muted_ids(member) -> frozenset[int]:
    """Ids of the members ``member`` muted (the same query as blocked_ids)."""
    if member is None or not member.is_authenticated:
        return frozenset()
    return _relations(member)[1]


def forget_blocks() -> None:
    """Drop the per-request cache after a block, mute or their undoing in this request."""
    if has_request_context():
        g.pop(_CACHE, None)


def is_blocked_between(a, b) -> bool:
    """Whether either of the two blocked the other."""
    return b.id in blocked_ids(a)


def muted_ids_select(member_id: int):
    return select(Mute.muted_id).where(Mute.muter_id == member_id)


def blocked_ids_select(member_id: int):
    """blocked_ids as a subquery, for lists filtered in SQL."""
    return union_all(
        select(Block.blocked_id).where(Block.blocker_id == member_id),
        select(Block.blocker_id).where(Block.blocked_id == member_id),
    )
