"""Reads about relationships between members, shared by every feature's permission checks."""

from __future__ import annotations

from flask import g, has_request_context
from sqlalchemy import or_, select

from ..extensions import db
from .models import Block, Mute

_CACHE = "_cml_blocked_ids"


def blocked_ids(member) -> frozenset[int]:
    """Ids of the members ``member`` blocked or was blocked by (one query per request)."""
    if member is None or not member.is_authenticated:
        return frozenset()
    cache = g.setdefault(_CACHE, {}) if has_request_context() else {}
    if member.id not in cache:
        rows = db.session.execute(
            select(Block.blocker_id, Block.blocked_id).where(
                or_(Block.blocker_id == member.id, Block.blocked_id == member.id)
            )
        )
        cache[member.id] = frozenset(
            blocked if blocker == member.id else blocker for blocker, blocked in rows
        )
    return cache[member.id]


def forget_blocks() -> None:
    """Drop the per-request cache after a block or unblock in this request."""
    if has_request_context():
        g.pop(_CACHE, None)


def is_blocked_between(a, b) -> bool:
    """Whether either of the two blocked the other."""
    return b.id in blocked_ids(a)


def muted_ids_select(member_id: int):
    return select(Mute.muted_id).where(Mute.muter_id == member_id)
