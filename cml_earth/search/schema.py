"""The search index lives outside the models: per-database objects made by migration 0004_search.

SQLite keeps FTS5 tables (stories_fts, comments_fts and their shadow tables) filled by triggers;
PostgreSQL keeps a generated ``search_vector`` column with a GIN index on stories and comments.
Neither can be described once for both databases in SQLAlchemy's metadata, so Alembic's model
comparison (autogenerate and tests/test_config_and_cli.py) leaves them out by name.
"""

from __future__ import annotations

FTS_TABLES = ("stories_fts", "comments_fts")
SEARCH_COLUMN = "search_vector"
SEARCH_INDEXES = ("ix_stories_search_vector", "ix_comments_search_vector")


def include_name(name, type_, parent_names) -> bool:
    """Alembic's include_name hook: skip the search index's own database objects."""
    if type_ == "table":
        return not (name or "").startswith(FTS_TABLES)
    if type_ == "column":
        return name != SEARCH_COLUMN
    if type_ == "index":
        return name not in SEARCH_INDEXES
    return True
