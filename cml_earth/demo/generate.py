"""``flask demo generate``: a large, realistic community for benchmarks, written in bulk.

Everything is planned in memory from one ``random.Random(seed)`` (so the same seed, the same
``until`` and the same starting database give the same rows), then written table by table with
Core ``insert()`` in batches (PostgreSQL: COPY for the big tables). Ids are given explicitly, so
rows can point at each other before they are written; PostgreSQL's sequences are moved past them
at the end. Counters (reactions, words of support, group members) are computed from the planned
rows, never guessed; search indexes follow by themselves (SQLite triggers, PostgreSQL generated
columns). Nothing goes through the services: they would take hours at this size.

The work is split over a few modules: ``generate_writer`` writes rows in batches,
``generate_base`` holds what the planners share, ``generate_people`` plans members, profiles
and groups, ``generate_content`` stories, words of support, reactions and notifications. This
module puts them together and is what the command imports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import text

from ..extensions import db
from .data import DEMO_PASSWORD
from .generate_content import ContentPlanner
from .generate_people import PeoplePlanner
from .generate_writer import BATCH, Counts, Writer

__all__ = [
    "BATCH",
    "DEMO_PASSWORD",
    "Counts",
    "Generator",
    "Sizes",
    "Writer",
    "analyze",
    "generate",
    "parse_until",
    "total_rows",
]


@dataclass
class Sizes:
    members: int
    stories: int
    comments: int
    reactions: int
    groups: int


class Generator(PeoplePlanner, ContentPlanner):
    """The whole plan: members and groups first, then what they write and send."""


def parse_until(value: str | None) -> datetime:
    """The newest moment in the data: ``value`` (YYYY-MM-DD), by default today at midnight UTC."""
    day = date.fromisoformat(value) if value else datetime.now(UTC).date()
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def total_rows(sizes: Sizes) -> int:
    """A rough number of rows to write, for the progress bar."""
    return int(sizes.members * 3.1 + sizes.stories + sizes.comments + sizes.reactions * 1.1)


def generate(sizes: Sizes, seed: int, until: datetime, progress: Callable[[int], None]) -> Counts:
    """Plan and write the whole community in the current transaction; returns rows per table."""
    counts = Counts()
    writer = Writer(db.session.connection(), progress, counts)
    generator = Generator(sizes, seed, until, writer)
    generator.plan_members()
    generator.write_members()
    generator.write_groups()
    generator.plan_stories()
    generator.plan_comments()
    generator.plan_reactions()
    generator.write_profiles()
    generator.write_stories()
    generator.write_comments()
    generator.write_reactions()
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        for table in ("members", "groups", "group_memberships", "consents", "stories",
                      "comments", "reactions", "notifications"):  # fmt: skip
            statement = f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"  # noqa: S608, E501  constant table names  # nosec B608
            connection.execute(text(statement))
    return counts


def analyze() -> None:
    """Fresh planner statistics after the bulk load (outside the load's transaction)."""
    db.session.execute(text("ANALYZE"))
