"""full-text search index over stories and words of support

SQLite: external-content FTS5 tables kept current by triggers, in the same transaction as the
write (deletes included, so erased text leaves the index with its row). PostgreSQL: a generated
tsvector column in the story's language ('swedish' for sv, 'english' for en, 'simple'
otherwise; words of support, which carry no language, use 'simple') with a GIN index.

A later batch migration that rebuilds ``stories`` or ``comments`` on SQLite drops the triggers
with the old table: such a migration must create them again (see _sqlite_triggers).

Revision ID: 0004_search
Revises: 0003_stories
Create Date: 2026-11-25

"""

import sqlite3

from alembic import op


# revision identifiers, used by Alembic.
revision = "0004_search"
down_revision = "0003_stories"
branch_labels = None
depends_on = None

TOKENIZER = "unicode61 remove_diacritics 2"

#: (FTS table, content table, indexed columns)
SQLITE_INDEXES = (
    ("stories_fts", "stories", ("title", "body")),
    ("comments_fts", "comments", ("body",)),
)


def _sqlite_triggers(fts, table, columns):
    names = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    remove = f"INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.id, {old});"  # names and values are constants of this file  # nosec B608
    add = f"INSERT INTO {fts}(rowid, {names}) VALUES (new.id, {new});"  # names and values are constants of this file  # nosec B608
    return (
        f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN {add} END",
        f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN {remove} END",
        f"CREATE TRIGGER {fts}_update AFTER UPDATE OF {names} ON {table} BEGIN {remove} {add} END",
    )


def _story_config(column):
    return (
        f"CASE language WHEN 'sv' THEN to_tsvector('swedish'::regconfig, {column}) "
        f"WHEN 'en' THEN to_tsvector('english'::regconfig, {column}) "
        f"ELSE to_tsvector('simple'::regconfig, {column}) END"
    )


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for fts, table, columns in SQLITE_INDEXES:
            op.execute(
                f"CREATE VIRTUAL TABLE {fts} USING fts5({', '.join(columns)}, "
                f"content='{table}', content_rowid='id', tokenize='{TOKENIZER}')"
            )
            if sqlite3.sqlite_version_info >= (3, 42, 0):
                # Deleted text leaves the index at once instead of at the next merge (Art. 17).
                op.execute(f"INSERT INTO {fts}({fts}, rank) VALUES ('secure-delete', 1)")  # names and values are constants of this file  # nosec B608
            for statement in _sqlite_triggers(fts, table, columns):
                op.execute(statement)
            op.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")  # names and values are constants of this file  # nosec B608
    elif dialect == "postgresql":
        op.execute(
            "ALTER TABLE stories ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
            f"setweight({_story_config('title')}, 'A') || setweight({_story_config('body')}, 'B')"
            ") STORED"
        )
        op.execute(
            "ALTER TABLE comments ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
            "to_tsvector('simple'::regconfig, body)) STORED"
        )
        op.execute("CREATE INDEX ix_stories_search_vector ON stories USING gin (search_vector)")
        op.execute("CREATE INDEX ix_comments_search_vector ON comments USING gin (search_vector)")
    else:
        raise NotImplementedError(f"no search index for {dialect}")


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for fts, _table, _columns in SQLITE_INDEXES:
            for event in ("insert", "delete", "update"):
                op.execute(f"DROP TRIGGER IF EXISTS {fts}_{event}")
            op.execute(f"DROP TABLE IF EXISTS {fts}")
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_comments_search_vector")
        op.execute("DROP INDEX IF EXISTS ix_stories_search_vector")
        op.execute("ALTER TABLE comments DROP COLUMN IF EXISTS search_vector")
        op.execute("ALTER TABLE stories DROP COLUMN IF EXISTS search_vector")
