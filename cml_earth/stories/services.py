"""Every change to stories and words of support, and the selects that list them."""

from __future__ import annotations

from flask import g, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, delete, func, literal, or_, select, union_all, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from ..account.erasure import eraser
from ..account.export import LABELS, VALUES, section
from ..auth.models import Member
from ..database import utcnow
from ..errors import DomainError
from ..extensions import db
from ..groups import permissions as group_permissions
from ..groups.models import Group
from ..groups.permissions import readable_group_ids, shares_group_condition
from ..moderation import screening
from ..notifications.services import notify_comment
from ..profiles.models import VISIBILITY_LABELS, Visibility
from ..social.models import Block, Follow
from ..social.queries import blocked_ids, muted_ids_select
from .models import Comment, Story

# --- what a viewer may see, in SQL ----------------------------------------------------------


def _is_member(viewer) -> bool:
    return bool(viewer is not None and viewer.is_authenticated)


def _not_blocked(column, viewer):
    """``column`` (a member id) is not someone ``viewer`` blocked or was blocked by."""
    return and_(
        column.not_in(select(Block.blocked_id).where(Block.blocker_id == viewer.id)),
        column.not_in(select(Block.blocker_id).where(Block.blocked_id == viewer.id)),
    )


def _group_allows(viewer):
    """Stories outside groups, or in a group whose content ``viewer`` may read."""
    return or_(Story.group_id.is_(None), Story.group_id.in_(readable_group_ids(viewer)))


def visible_stories(viewer):
    """A select of the stories ``viewer`` may see: visibility, groups, blocks; their own included.

    The same rule as permissions.can_view_story, in SQL (subqueries, no extra round trip), so
    that lists page at the database. Built once per request and viewer: the statement is pure
    SQL (the subqueries run when it does), and building it costs a few milliseconds.
    """
    if not has_request_context():
        return _visible_stories(viewer)
    key = viewer.id if _is_member(viewer) else None
    built = g.setdefault("_cml_visible_stories", {})
    if key not in built:
        built[key] = _visible_stories(viewer)
    return built[key]


def _visible_stories(viewer):
    if not _is_member(viewer):
        return select(Story).where(
            Story.visibility == Visibility.PUBLIC.value,
            Story.hidden_at.is_(None),
            _group_allows(viewer),
        )
    audience = or_(
        Story.visibility.in_([Visibility.PUBLIC.value, Visibility.MEMBERS.value]),
        and_(
            Story.visibility == Visibility.GROUPS.value,
            shares_group_condition(viewer.id, Story.author_id),
        ),
    )
    return select(Story).where(
        or_(
            # "+ 0": no index for this side of the OR. Otherwise SQLite, with the statistics of
            # a million stories, answers the OR from two indexes (the author's, and group_id IS
            # NULL from the groups index) and sorts every visible story: the home feed took 4 s
            # where walking ix_stories_created_at_id newest first takes milliseconds.
            (Story.author_id + 0) == viewer.id,
            and_(
                audience,
                Story.hidden_at.is_(None),  # hidden by moderation: only its author sees it
                _group_allows(viewer),
                _not_blocked(Story.author_id, viewer),
            ),
        )
    )


def _newest_first(statement):
    return statement.order_by(Story.created_at.desc(), Story.id.desc())


def home_feed(viewer, *, offset: int = 0, limit: int = 20):
    """A page of the home feed: stories of members ``viewer`` follows first, then the newest.

    Muted members are left out (here only: their stories stay reachable elsewhere).

    One query, two parts in a UNION ALL, each read in index order and stopped at
    ``offset + limit`` rows: the followed members' stories (``ix_stories_author_id_created_at_id``)
    and everyone else's (``ix_stories_created_at_id``). A single ORDER BY (followed first, then
    newest) has no index, so it read and sorted every visible story, and a pager counted them
    all; the page costs the same at a thousand stories as at a million.
    """
    followed = select(Follow.followed_id).where(Follow.follower_id == viewer.id)
    visible = visible_stories(viewer).where(Story.author_id.not_in(muted_ids_select(viewer.id)))
    enough = offset + limit
    parts = [
        _newest_first(visible.where(condition).add_columns(literal(rank).label("part")))
        .limit(enough)
        .subquery()
        for rank, condition in (
            (0, Story.author_id.in_(followed)),
            (1, Story.author_id.not_in(followed)),
        )
    ]
    both = union_all(*(select(part) for part in parts)).subquery("feed")
    story = aliased(Story, both)
    return (
        select(story)
        .order_by(both.c.part, both.c.created_at.desc(), both.c.id.desc())
        .offset(offset)
        .limit(limit)
    )


def stories_by(viewer, author_id: int):
    """The stories of one member that ``viewer`` may see, newest first."""
    return _newest_first(visible_stories(viewer).where(Story.author_id == author_id))


def visible_comments(viewer, story: Story):
    """The words of support on ``story`` that ``viewer`` may see, oldest first."""
    statement = select(Comment).where(Comment.story_id == story.id)
    if not (_is_member(viewer) and viewer.is_staff):
        # Hidden by moderation: gone for everyone but its author (and staff, who see it marked).
        mine = Comment.author_id == viewer.id if _is_member(viewer) else False
        statement = statement.where(or_(Comment.hidden_at.is_(None), mine))
    hidden = blocked_ids(viewer)  # cached per request: the story's own check loaded it
    if hidden:
        statement = statement.where(Comment.author_id.not_in(hidden))
    return statement.order_by(Comment.created_at, Comment.id)


def find_story(story_id: int) -> Story | None:
    return db.session.get(Story, story_id)


def find_comment(comment_id: int) -> Comment | None:
    return db.session.get(Comment, comment_id)


# --- stories --------------------------------------------------------------------------------


def _check_visibility(visibility: str) -> None:
    if visibility not in set(Visibility):
        raise DomainError({"visibility": _l("Please choose who may see this.")})


def publish_story(
    author: Member,
    *,
    title: str,
    body: str,
    language: str,
    visibility: str,
    submission_key: str | None,
    group_id: int | None = None,
) -> Story:
    """Write a new story; the same form sent twice (a double click) gives the first story.

    A story posted in a group needs the author to be an active member of the open group.
    """
    _check_visibility(visibility)
    if submission_key:
        existing = _story_with_key(author, submission_key)
        if existing is not None:
            return existing
    screening.check_daily_limit(author)
    if group_id is not None:
        group = db.session.get(Group, group_id)
        if group is None or not group_permissions.can_post(author, group):
            raise DomainError({"group": _l("You can post only in open groups you belong to.")})
    story = Story(
        author=author,
        title=title.strip(),
        body=body.strip(),
        language=language,
        visibility=visibility,
        submission_key=submission_key or None,
        group_id=group_id,
    )
    db.session.add(story)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        # Another request with the same key won the race between our check and the insert.
        existing = _story_with_key(author, submission_key) if submission_key else None
        if existing is None:
            raise
        return existing
    story.screening = screening.screen(author, "story", story)
    return story


def _story_with_key(author: Member, key: str) -> Story | None:
    return db.session.scalar(
        select(Story).where(Story.author_id == author.id, Story.submission_key == key)
    )


def edit_story(story: Story, *, title: str, body: str, language: str, visibility: str) -> None:
    _check_visibility(visibility)
    story.title = title.strip()
    story.body = body.strip()
    story.language = language
    story.visibility = visibility
    story.edited_at = utcnow()
    db.session.flush()
    story.screening = screening.screen(story.author, "story", story)


def delete_story(story: Story) -> None:
    """The story goes, and its words of support with it (the database cascades)."""
    db.session.execute(delete(Story).where(Story.id == story.id))
    db.session.expunge(story)


# --- words of support -----------------------------------------------------------------------


def _change_comment_count(story_id: int, by: int) -> None:
    # In SQL, not in Python: two comments written at once must both count.
    db.session.execute(
        update(Story)
        .where(Story.id == story_id)
        .values(comment_count=Story.comment_count + by)
        .execution_options(synchronize_session=False)
    )


def create_comment(author: Member, story: Story, body: str, submission_key: str | None) -> Comment:
    """Write a word of support on ``story``; a double-submitted form gives the first one.

    Whatever follows a new comment (notifying the story's author) goes at the end of this
    function, after the flush, so that it sees the comment's id.
    """
    if submission_key:
        existing = _comment_with_key(author, submission_key)
        if existing is not None:
            return existing
    screening.check_daily_limit(author)
    comment = Comment(
        story_id=story.id, author=author, body=body.strip(), submission_key=submission_key or None
    )
    db.session.add(comment)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        existing = _comment_with_key(author, submission_key) if submission_key else None
        if existing is None:
            raise
        return existing
    _change_comment_count(story.id, +1)
    db.session.expire(story, ["comment_count"])
    db.session.flush()
    comment.screening = screening.screen(author, "comment", comment)
    if comment.hidden_at is None:  # a held word of support is announced once approved
        notify_comment(comment)
    return comment


def _comment_with_key(author: Member, key: str) -> Comment | None:
    return db.session.scalar(
        select(Comment).where(Comment.author_id == author.id, Comment.submission_key == key)
    )


def edit_comment(comment: Comment, body: str) -> None:
    comment.body = body.strip()
    comment.edited_at = utcnow()
    db.session.flush()
    comment.screening = screening.screen(comment.author, "comment", comment)


def delete_comment(comment: Comment) -> None:
    story_id = comment.story_id
    db.session.execute(delete(Comment).where(Comment.id == comment.id))
    db.session.expunge(comment)
    _change_comment_count(story_id, -1)
    story = db.session.get(Story, story_id)
    if story is not None:
        db.session.expire(story, ["comment_count"])
    db.session.flush()


# --- export and erasure ---------------------------------------------------------------------

LABELS.update(
    {
        "title": _l("Title"),
        "body": _l("Text"),
        "language": _l("Language of the text"),
        "shown_to": _l("Who may see it"),
        "edited_at": _l("Last edited"),
        "story_id": _l("Number of the story"),
        "comment_count": _l("Words of support"),
        "hug_count": _l("Hugs"),
        "high_five_count": _l("High-fives"),
    }
)
VALUES["shown_to"] = lambda level: VISIBILITY_LABELS.get(level, level) if level else None


@section("stories", _l("Your stories"))
def _export_stories(member: Member) -> list[dict]:
    rows = db.session.scalars(
        select(Story).where(Story.author_id == member.id).order_by(Story.created_at, Story.id)
    )
    return [
        {
            "id": story.id,
            "title": story.title,
            "body": story.body,
            "language": story.language,
            "shown_to": story.visibility,
            "comment_count": story.comment_count,
            "hug_count": story.hug_count,
            "high_five_count": story.high_five_count,
            "created_at": story.created_at,
            "edited_at": story.edited_at,
        }
        for story in rows
    ]


@section("comments", _l("Your words of support"))
def _export_comments(member: Member) -> list[dict]:
    # Only the member's own words: the stories they answered belong to others.
    rows = db.session.execute(
        select(Comment.story_id, Comment.body, Comment.created_at, Comment.edited_at)
        .where(Comment.author_id == member.id)
        .order_by(Comment.created_at, Comment.id)
    )
    return [
        {"story_id": story_id, "body": body, "created_at": created_at, "edited_at": edited_at}
        for story_id, body, created_at, edited_at in rows
    ]


@eraser
def _recount_comments_on_others_stories(member: Member) -> None:
    """The member's comments go by cascade; other members' stories must count them out first."""
    theirs = (
        select(func.count())
        .select_from(Comment)
        .where(Comment.story_id == Story.id, Comment.author_id == member.id)
        .scalar_subquery()
    )
    db.session.execute(
        update(Story)
        .where(
            Story.author_id != member.id,
            Story.id.in_(select(Comment.story_id).where(Comment.author_id == member.id)),
        )
        .values(comment_count=Story.comment_count - theirs)
        .execution_options(synchronize_session=False)
    )
