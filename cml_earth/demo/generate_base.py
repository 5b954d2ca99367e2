"""What the planners of ``flask demo generate`` share: constants, helpers, the generator's state.

``GeneratorBase`` holds the one ``random.Random(seed)`` every plan draws from, the time span of
the community (``start`` to ``until``, in seconds), the writer, and small helpers (moments,
member ids, the next free id of a table). It also declares every attribute the planners fill in,
so each mixin can read what another planned (``generate_people`` plans members and groups,
``generate_content`` stories, words of support and reactions). The module-level helpers pick
weighted choices, tell Swedish texts apart and find the largest cities of a country.
"""

from __future__ import annotations

import random
from array import array
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING

from flask import current_app
from sqlalchemy import func, select

from ..extensions import db
from .generate_writer import Writer

if TYPE_CHECKING:
    from .generate import Sizes

DAY = 86_400
#: How far back the community goes.
YEARS = 6
#: Notifications are written for what happened in this many days before ``until`` (older ones
#: would have been read long ago and add nothing but rows).
NOTIFY_DAYS = 90
GENERATED_DOMAIN = "generated.cml-earth.invalid"

PUBLIC, MEMBERS, GROUPS, PRIVATE = "public", "members", "groups", "private"
HUG, HIGH_FIVE = "hug", "high_five"


def weighted(rng: random.Random, choices: dict):
    """One key of ``choices`` (key -> weight)."""
    return rng.choices(list(choices), weights=list(choices.values()))[0]


def looks_swedish(body: str) -> bool:
    return any(letter in body for letter in "åäöÅÄÖ") or body.startswith(("Kram", "Tack", "Samma"))


def cities_by_country(codes: set[str]) -> dict:
    """The most populous cities of each of ``codes`` that has any."""
    cities = _largest_cities()
    return {code: cities[code] for code in sorted(codes) if code in cities}


@cache
def _largest_cities(per_country: int = 12) -> dict:
    """A dozen cities per country, most populous first (the gazetteer is sorted so)."""
    from ..groups.geocoding import read_gazetteer_rows

    found: dict[str, list] = {}
    for city, _keys in read_gazetteer_rows():
        kept = found.setdefault(city.country_code, [])
        if len(kept) < per_country:
            kept.append(city)
    return found


class GeneratorBase:
    """The state and helpers shared by the planners; ``Generator`` puts them together."""

    # Filled in by the planners, in the order ``generate()`` calls them. Members are indexes
    # 0..n-1 (``member_id()`` turns them into ids); so are stories and words of support.
    # Members (PeoplePlanner.plan_members, write_members):
    member_base: int
    m_country: list[str]
    m_joined: array  # seconds
    m_locale: list[str]
    m_role: list[str]
    m_email_pref: list[str]
    m_username: list[str]
    m_profile_vis: list[str]
    verified: list[int]
    verified_set: set[int]
    consented: list[int]
    # Groups (PeoplePlanner.write_groups):
    groups: list[tuple]  # (id, kind, country, visibility, status, join_policy, decided_at)
    g_members: list[list[int]]
    m_groups: dict[int, list[tuple[int, int]]]  # member -> (group index, joined at)
    # Stories and words of support (ContentPlanner.plan_stories, plan_comments, write_stories):
    texts: list[tuple[str, str, str]]  # (title, body, language)
    s_author: array
    s_created: array
    s_group: array  # group index + 1, 0 for none
    s_text: array
    s_vis: list[str]
    s_comments: array
    story_base: int
    comment_base: int
    c_story: array
    c_author: array
    c_created: array
    c_text: list[str]
    # Reactions (ContentPlanner.plan_reactions), per kind of target: 0 stories, 1 words of
    # support, 2 profiles:
    hugs: dict[int, array]
    high_fives: dict[int, array]
    reaction_targets: list[tuple[int, int]]
    profile_hugs: array
    profile_high_fives: array

    def __init__(self, sizes: Sizes, seed: int, until: datetime, writer: Writer):
        self.sizes = sizes
        self.rng = random.Random(seed)  # noqa: S311  data for benchmarks, not secrets  # nosec B311
        self.seed = seed
        self.until = int(until.timestamp())
        self.start = self.until - YEARS * 365 * DAY
        self.out = writer
        self.config = current_app.config

    # --- helpers ---------------------------------------------------------------------------

    def when(self, seconds: int) -> datetime:
        return datetime.fromtimestamp(seconds, UTC)

    def after(self, earliest: int, mean_days: float) -> int:
        """A moment some time after ``earliest`` (exponential wait), never after ``until``."""
        moment = earliest + int(self.rng.expovariate(1 / (mean_days * DAY)))
        return min(moment, self.until)

    def next_id(self, model) -> int:
        return (db.session.scalar(select(func.max(model.id))) or 0) + 1

    def member_id(self, index: int) -> int:
        return self.member_base + index
