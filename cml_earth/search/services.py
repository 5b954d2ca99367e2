"""Search: the user's words as plain words, matched in the index of each database.

The best matches among the newest CANDIDATES (1,000) visible stories and as many words of
support with the words: a search costs the same at a thousand stories and at a million.

Only what the viewer may open is searched: stories through stories.services.visible_stories
(visibility, blocks, the viewer's own), words of support only on those stories and never by a
member blocked either way. Deleted content is gone from the index with its row (triggers on
SQLite, a generated column on PostgreSQL).

SQLite (FTS5, unicode61 without diacritics) matches each word as a prefix: "kramp" finds
"krampen", "lakemedel" finds "läkemedel", but "walked" does not find "walking". PostgreSQL
stems stories in their own language (Swedish, English, otherwise none) and matches words of
support, which have no language of their own, as prefixes.
"""

from __future__ import annotations

import html
import re
import sqlite3
import unicodedata
from dataclasses import dataclass

import nh3
from markupsafe import Markup, escape
from sqlalchemy import (
    and_,
    column,
    func,
    literal,
    literal_column,
    or_,
    select,
    table,
    text,
    union_all,
)

from ..account.erasure import eraser
from ..database import on_commit
from ..extensions import db
from ..social.queries import blocked_ids_select
from ..stories.models import Comment, Story
from ..stories.services import visible_stories
from ..text import render_markdown
from .schema import FTS_TABLES

MAX_QUERY_LENGTH = 200
#: Matches ranked per kind: the newest this many visible stories and as many words of support.
#: A common word matches a large share of a million stories; ranking them all would make a
#: search cost grow with the community. Rare words have fewer matches and lose nothing.
CANDIDATES = 1_000
MAX_WORDS = 12
PER_PAGE = 20
_WORD = re.compile(r"[^\W_]+")

_stories_fts = table("stories_fts", column("rowid"), column("rank"))
_comments_fts = table("comments_fts", column("rowid"), column("rank"))
STORY_CONFIGS = {"sv": "swedish", "en": "english"}


def search_words(query: str | None) -> list[str]:
    """The words of ``query``: letters and digits only, so no search syntax survives."""
    return _WORD.findall((query or "")[:MAX_QUERY_LENGTH])[:MAX_WORDS]


def fts5_query(words: list[str]) -> str:
    """Every word as a quoted FTS5 prefix term, all required: ``"word"* "other"*``."""
    return " ".join('"' + word.replace('"', '""') + '"*' for word in words)


def tsquery_prefixes(words: list[str]) -> str:
    """Every word as a quoted tsquery prefix lexeme, all required: ``'word':* & 'other':*``."""
    return " & ".join("'" + word.replace("'", "''").replace("\\", "") + "':*" for word in words)


def _story_rules(viewer):
    """visible_stories' conditions on the ``stories`` row joined to each hit.

    Not ``Story.id IN (the visible ids)``: SQLite builds that list by reading every story.
    """
    return visible_stories(viewer).whereclause


def _comment_rules(viewer):
    """On the comment and its story (joined): the story visible, the comment not hidden."""
    rules = [_story_rules(viewer)]
    if viewer is not None and viewer.is_authenticated:
        rules.append(Comment.author_id.not_in(blocked_ids_select(viewer.id)))
        # Hidden by moderation: found by its author only, as visible_stories does for stories.
        rules.append(or_(Comment.hidden_at.is_(None), Comment.author_id == viewer.id))
    else:
        rules.append(Comment.hidden_at.is_(None))
    return and_(*rules)


def _sqlite_hits(viewer, words):
    match = fts5_query(words)
    # FTS5 walks its matches newest first (rowid is the id) and the LIMIT stops the walk; bm25
    # is computed for the rows it returns only.
    stories = (
        select(
            literal("story").label("kind"),
            Story.id.label("id"),
            (-_stories_fts.c.rank).label("score"),
            Story.created_at.label("created_at"),
        )
        .select_from(_stories_fts)
        .join(Story, Story.id == _stories_fts.c.rowid)
        .where(text("stories_fts MATCH :story_match").bindparams(story_match=match))
        .where(_story_rules(viewer))
        .order_by(_stories_fts.c.rowid.desc())
        .limit(CANDIDATES)
    )
    comments = (
        select(
            literal("comment").label("kind"),
            Comment.id.label("id"),
            (-_comments_fts.c.rank).label("score"),
            Comment.created_at.label("created_at"),
        )
        .select_from(_comments_fts)
        .join(Comment, Comment.id == _comments_fts.c.rowid)
        .join(Story, Story.id == Comment.story_id)
        .where(text("comments_fts MATCH :comment_match").bindparams(comment_match=match))
        .where(_comment_rules(viewer))
        .order_by(_comments_fts.c.rowid.desc())
        .limit(CANDIDATES)
    )
    return stories, comments


def _postgresql_hits(viewer, words):
    plain = " ".join(words)
    stories_vector = literal_column("stories.search_vector")
    # A story's vector holds its words as its own language's stemmer made them (Swedish,
    # English, otherwise none), so the words go in stemmed all three ways. One tsquery with
    # the three ORed: the GIN index answers it exactly, without reading a single vector (a
    # condition per language made PostgreSQL decompress the vector of every match).
    queries = [
        func.plainto_tsquery(text(f"'{config}'::regconfig"), plain)
        for config in (*STORY_CONFIGS.values(), "simple")
    ]
    either = queries[0].op("||")(queries[1]).op("||")(queries[2])
    rank = func.greatest(*(func.ts_rank(stories_vector, query) for query in queries))
    # The newest matches, stopped at CANDIDATES, then ranked: ts_rank reads the vectors of the
    # candidates only. "+ 0": by the index of matches and a top-N sort, never by walking the
    # primary key backwards, which for a rare word reads every story.
    story_ids = (
        select(Story.id)
        .where(stories_vector.op("@@")(either), _story_rules(viewer))
        .order_by((Story.id + 0).desc())
        .limit(CANDIDATES)
        .subquery("story_candidates")
    )
    stories = select(
        literal("story").label("kind"),
        Story.id.label("id"),
        rank.label("score"),
        Story.created_at.label("created_at"),
    ).join(story_ids, story_ids.c.id == Story.id)
    comment_query = func.to_tsquery(text("'simple'::regconfig"), tsquery_prefixes(words))
    comments_vector = literal_column("comments.search_vector")
    comment_ids = (
        select(Comment.id)
        .join(Story, Story.id == Comment.story_id)
        .where(comments_vector.op("@@")(comment_query))
        .where(_comment_rules(viewer))
        .order_by((Comment.id + 0).desc())
        .limit(CANDIDATES)
        .subquery("comment_candidates")
    )
    comments = select(
        literal("comment").label("kind"),
        Comment.id.label("id"),
        func.ts_rank(comments_vector, comment_query).label("score"),
        Comment.created_at.label("created_at"),
    ).join(comment_ids, comment_ids.c.id == Comment.id)
    return stories, comments


def search_select(viewer, words: list[str]):
    """A select of (kind, id, score, created_at), best match first, of what ``viewer`` may open."""
    if db.engine.dialect.name == "postgresql":
        stories, comments = _postgresql_hits(viewer, words)
    else:
        stories, comments = _sqlite_hits(viewer, words)
    # Each part in a subquery of its own: SQLite takes no LIMIT on a member of a UNION.
    hits = union_all(*(select(part.subquery()) for part in (stories, comments))).subquery("hits")
    return select(hits.c.kind, hits.c.id).order_by(
        hits.c.score.desc(), hits.c.created_at.desc(), hits.c.kind, hits.c.id.desc()
    )


@dataclass
class Result:
    kind: str  # "story" or "comment"
    story: Story
    comment: Comment | None
    title: Markup
    snippet: Markup


@dataclass
class ResultPage:
    results: list[Result]
    page: int
    has_next: bool

    @property
    def has_prev(self) -> bool:
        return self.page > 1


def search(viewer, words: list[str], page: int = 1) -> ResultPage:
    """One page of results, loaded in three queries however many there are."""
    page = max(1, page)
    rows = db.session.execute(
        search_select(viewer, words).limit(PER_PAGE + 1).offset((page - 1) * PER_PAGE)
    ).all()
    has_next = len(rows) > PER_PAGE
    rows = rows[:PER_PAGE]
    story_ids = [id_ for kind, id_ in rows if kind == "story"]
    comment_ids = [id_ for kind, id_ in rows if kind == "comment"]
    comments = {}
    if comment_ids:
        comments = {
            c.id: c for c in db.session.scalars(select(Comment).where(Comment.id.in_(comment_ids)))
        }
        story_ids += [c.story_id for c in comments.values()]
    stories = {}
    if story_ids:
        stories = {
            s.id: s for s in db.session.scalars(select(Story).where(Story.id.in_(set(story_ids))))
        }
    results = []
    for kind, id_ in rows:
        if kind == "story":
            story = stories[id_]
            results.append(
                Result(
                    kind,
                    story,
                    None,
                    highlight(story.title, words, whole=True),
                    highlight(plain_text(story.body), words),
                )
            )
        else:
            comment = comments[id_]
            story = stories[comment.story_id]
            results.append(
                Result(
                    kind,
                    story,
                    comment,
                    highlight(story.title, words, whole=True),
                    highlight(plain_text(comment.body), words),
                )
            )
    return ResultPage(results, page, has_next)


# --- snippets -------------------------------------------------------------------------------


def plain_text(markdown_source: str) -> str:
    """What a reader sees of a member's Markdown, as plain text (no tags, entities decoded)."""
    stripped = nh3.clean(str(render_markdown(markdown_source)), tags=set())
    return " ".join(html.unescape(stripped).split())


def _fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _common_prefix(a: str, b: str) -> int:
    length = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        length += 1
    return length


def _matches(word: str, terms: list[str]) -> bool:
    """A prefix match, or (for stemming) words sharing all but their last two letters."""
    folded = _fold(word)
    for term in terms:
        if folded.startswith(term):
            return True
        shorter = min(len(folded), len(term))
        if _common_prefix(folded, term) >= max(4, shorter - 2):
            return True
    return False


SNIPPET_BEFORE = 60
SNIPPET_LENGTH = 240


def highlight(source: str, words: list[str], whole: bool = False) -> Markup:
    """``source`` escaped, then the matching words wrapped in <mark>: never member HTML."""
    terms = [_fold(word) for word in words]
    found = [m for m in _WORD.finditer(source) if _matches(m.group(), terms)]
    start, end = 0, len(source)
    if not whole and len(source) > SNIPPET_LENGTH:
        first = found[0].start() if found else 0
        start = max(0, first - SNIPPET_BEFORE)
        if start:
            space = source.find(" ", start)
            start = space + 1 if 0 <= space < first else start
        end = min(len(source), start + SNIPPET_LENGTH)
        if end < len(source):
            space = source.rfind(" ", start, end)
            end = space if space > start else end
    parts = [Markup("…")] if start else []
    position = start
    for match in found:
        if match.start() < start or match.end() > end:
            continue
        parts.append(escape(source[position : match.start()]))
        parts.append(Markup("<mark>") + escape(match.group()) + Markup("</mark>"))
        position = match.end()
    parts.append(escape(source[position:end]))
    if end < len(source):
        parts.append(Markup("…"))
    return Markup("").join(parts)


# --- erasure --------------------------------------------------------------------------------


@eraser
def _leave_no_trace_in_the_index(member) -> None:
    """The member's text leaves the index with its rows (triggers); on SQLite also its segments.

    FTS5 records a delete as a marker and keeps the old segment until segments merge, so the
    words would stay readable in stories_fts_data. SQLite 3.42+ has "secure-delete" (switched on
    by the migration); before that, merging everything once the erasure commits removes them.
    """
    if db.engine.dialect.name == "sqlite" and sqlite3.sqlite_version_info < (3, 42, 0):
        on_commit(optimize_sqlite_index)


def optimize_sqlite_index() -> None:
    """Merge the FTS5 segments, dropping deleted entries for good."""
    with db.engine.begin() as connection:
        for fts in FTS_TABLES:
            # Table names from a constant tuple, never from input.
            statement = f"INSERT INTO {fts}({fts}) VALUES ('optimize')"  # noqa: S608  # nosec B608
            connection.exec_driver_sql(statement)
