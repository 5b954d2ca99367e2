"""The key list and search queries use indexes, on PostgreSQL and on SQLite.

The plans are asked of a community of a few thousand rows per big table (tests/bulk.py), with
fresh statistics (ANALYZE): the planners choose indexes because they are cheaper, not because
scans are switched off.
"""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import text

from cml_earth.auth.models import Member
from cml_earth.extensions import db
from cml_earth.groups import services as groups
from cml_earth.groups.models import Group
from cml_earth.notifications.services import notifications_for
from cml_earth.search.services import search_select
from cml_earth.stories import services as stories
from cml_earth.stories.models import Story

from .bulk import World

UNITS = 100  # 2,000 writing members, 4,100 stories, 4,500 words of support, 8,000 reactions
READERS = 8_000  # members who read and write nothing: 10,000 members in all
#: Words of support beyond the units' 4,500: with fewer, reading the whole table is cheaper
#: than any index, and the planners rightly say so.
EXTRA_COMMENTS = 40_000
GROUPS_PER_UNIT = 30  # 3,000 groups in 40 countries: a country's groups are a few rows of many


@pytest.fixture
def world(app, make_member):
    viewer = make_member("ViewerSofia", role="relative")
    author = make_member("AnnaPatient")
    built = World(app, viewer.id, author.id, groups_per_unit=GROUPS_PER_UNIT).start()
    built.grow(UNITS)
    built.add_readers(READERS)
    built.add_comments(EXTRA_COMMENTS)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            # What autovacuum does on a live database: statistics, and new rows of the
            # full-text (GIN) indexes moved out of their pending lists.
            with db.engine.connect() as connection:
                connection.execution_options(isolation_level="AUTOCOMMIT")
                tables = ", ".join(sorted(BIG_TABLES | {"groups"}))
                connection.exec_driver_sql(f"VACUUM ANALYZE {tables}")
        else:
            db.session.execute(text("ANALYZE"))
            db.session.commit()
    return built


#: Tables that grow with the community: a key query never reads one of them whole.
BIG_TABLES = {
    "members", "profiles", "stories", "comments", "reactions", "notifications",
    "group_memberships", "follows",
}  # fmt: skip

#: Either index that starts with a story's author finds the followed members' stories.
BY_AUTHOR = ("ix_stories_author_id_created_at_id", "uq_stories_author_id_submission_key")

#: name: (the select, built for the viewer, and the indexes its plan must use per backend; a
#: tuple is any one of its indexes).
#: Groups are not a big table (hundreds at full size); a country's groups still come
#: through their index.
KEY_QUERIES = {
    "a member's stories": (
        lambda world, viewer: stories.stories_by(viewer, world.author_id).limit(21),
        {"sqlite": ["ix_stories_author_id_created_at_id"],
         "postgresql": ["ix_stories_author_id_created_at_id"]},
    ),
    # Two parts, each read in index order and stopped at the page's end: the followed
    # members' stories, and everyone else's newest first (SQLite walks the index backwards:
    # "SCAN stories USING INDEX", which the LIMIT stops; EXPLAIN cannot show where).
    "home feed, page 3": (
        lambda world, viewer: stories.home_feed(viewer, offset=40, limit=21),
        {"sqlite": [BY_AUTHOR, "ix_stories_created_at_id"],
         "postgresql": [BY_AUTHOR, "ix_stories_created_at_id"]},
    ),
    "a group's stories": (
        lambda world, viewer: groups.group_stories(
            viewer, db.session.get(Group, world.key_group_id)
        ).order_by(Story.created_at.desc(), Story.id.desc()).limit(21),
        {"sqlite": ["ix_stories_group_id_created_at_id"],
         "postgresql": ["ix_stories_group_id_created_at_id"]},
    ),
    "a story's words of support": (
        lambda world, viewer: stories.visible_comments(
            viewer, db.session.get(Story, world.key_story_id)
        ),
        {"sqlite": ["ix_comments_story_id_created_at"],
         "postgresql": ["ix_comments_story_id_created_at"]},
    ),
    "notifications": (
        lambda world, viewer: notifications_for(viewer).limit(20),
        {"sqlite": ["ix_notifications_recipient_id_created_at"],
         "postgresql": ["ix_notifications_recipient_id_created_at"]},
    ),
    "group search by country": (
        lambda world, viewer: groups.search_groups(countries=["SE"]).limit(20),
        {"sqlite": ["ix_groups_status_country_code"],
         "postgresql": ["ix_groups_status_country_code"]},
    ),
    # Words inside names and descriptions (LIKE '%word%'): no B-tree can serve them, so the
    # active groups are read; hundreds of rows, and no big table.
    "group search by name or country": (
        lambda world, viewer: groups.search_groups(text="Sverige", countries=["SE"]).limit(20),
        {"sqlite": [], "postgresql": []},
    ),
    "country page": (
        lambda world, viewer: groups.groups_in_country("SE").limit(20),
        {"sqlite": ["ix_groups_status_country_code"],
         "postgresql": ["ix_groups_status_country_code"]},
    ),
    "full-text search": (
        lambda world, viewer: search_select(viewer, ["imatinib"]).limit(21),
        {"sqlite": ["stories_fts VIRTUAL TABLE INDEX", "comments_fts VIRTUAL TABLE INDEX"],
         "postgresql": ["ix_stories_search_vector", "ix_comments_search_vector"]},
    ),
}  # fmt: skip

#: Walks of a big table in index order that the query's LIMIT stops: not a whole read, but
#: SQLite's plan words them like one.
STOPPED_BY_LIMIT = {
    "home feed, page 3": ["SCAN stories USING INDEX ix_stories_created_at_id"],
}


def _sqlite_plan(statement) -> tuple[str, list[str]]:
    """The plan's lines, and the big tables it scans whole (or sorts whole for the order)."""
    compiled = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
    lines = [row[-1] for row in db.session.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))]
    scanned = []
    for line in lines:
        match = re.match(r"SCAN (\w+)", line)
        if match and re.sub(r"_\d+$", "", match.group(1)) in BIG_TABLES:
            scanned.append(line)
    return "\n".join(lines), scanned


def _postgresql_plan(statement) -> tuple[str, list[str]]:
    compiled = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
    document = db.session.execute(text(f"EXPLAIN (FORMAT JSON) {compiled}")).scalar_one()
    scanned = []

    def walk(node: dict) -> None:
        if node["Node Type"] == "Seq Scan" and node["Relation Name"] in BIG_TABLES:
            scanned.append(f"Seq Scan on {node['Relation Name']}")
        for child in node.get("Plans", []):
            walk(child)

    walk(document[0]["Plan"])
    return json.dumps(document, indent=1), scanned


def test_key_queries_use_indexes(app, backend, world):
    """One community per backend for every query (building it is most of the cost)."""
    failures = []
    with app.test_request_context():
        viewer = db.session.get(Member, world.viewer_id)
        explain = _sqlite_plan if backend == "sqlite" else _postgresql_plan
        for name, (build, indexes) in KEY_QUERIES.items():
            plan, scanned = explain(build(world, viewer))
            scanned = [line for line in scanned if line not in STOPPED_BY_LIMIT.get(name, [])]
            missing = [
                index
                for index in indexes[backend]
                if not any(one in plan for one in ((index,) if isinstance(index, str) else index))
            ]
            if scanned or missing:
                failures.append(f"{name}: scans {scanned}, does not use {missing}\n{plan}")
    assert not failures, "\n\n".join(failures)
