"""``flask demo generate``: exact sizes, the same rows for the same seed, counters that match
the rows, and the key pages working on what it wrote (both databases)."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import and_, func, or_, select, text

from cml_earth import create_app
from cml_earth.auth.models import Member
from cml_earth.demo.data import DEMO_PASSWORD
from cml_earth.extensions import db
from cml_earth.groups.models import Group, GroupMembership
from cml_earth.notifications.models import Notification
from cml_earth.profiles.models import Profile
from cml_earth.reactions.models import Reaction
from cml_earth.stories.models import Comment, Story

SMALL = ["--members", "60", "--stories", "300", "--reactions", "1000", "--groups", "12"]
TINY = ["--members", "20", "--stories", "60", "--reactions", "200", "--groups", "5"]
UNTIL = "2026-11-20"


def generate(app, *extra: str, size=SMALL):
    result = app.test_cli_runner().invoke(
        args=["demo", "generate", *size, "--until", UNTIL, *extra]
    )
    assert result.exit_code == 0, result.output
    return result


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def digest() -> str:
    """A fingerprint of every generated table, row by row in id order."""
    sha = hashlib.sha256()
    for model, order in (
        (Member, Member.id),
        (Profile, Profile.member_id),
        (Group, Group.id),
        (GroupMembership, GroupMembership.id),
        (Story, Story.id),
        (Comment, Comment.id),
        (Reaction, Reaction.id),
        (Notification, Notification.id),
    ):
        columns = [c for c in model.__table__.columns]
        for row in db.session.execute(select(*columns).order_by(order)):
            sha.update(repr(tuple(row)).encode())
    return sha.hexdigest()


def test_small_size_gives_exactly_those_rows_and_counters_that_match(app):
    result = generate(app)
    assert "cml-earth-demo-2026" in result.output
    with app.app_context():
        assert count(Member) == 60
        assert count(Story) == 300
        assert count(Comment) == 300
        assert count(Reaction) == 1000
        assert count(Group) == 12
        assert count(Profile) == 60
        assert count(Notification) > 0
        # Sweden has no national group when the site starts.
        assert not db.session.scalar(
            select(func.count()).where(Group.kind == "national", Group.country_code == "SE")
        )
        assert db.session.scalar(select(func.count()).where(Group.kind == "national")) > 0
        # Every visibility level, and a story with 50 words of support or more.
        assert set(db.session.scalars(select(Story.visibility).distinct())) == {
            "public",
            "members",
            "groups",
            "private",
        }
        assert db.session.scalar(select(func.max(Story.comment_count))) >= 50
        _assert_counters_match()
        _assert_reactions_allowed()
        until = db.session.scalar(select(func.max(Reaction.created_at)))
        assert until.isoformat() <= f"{UNTIL}T00:00:00+00:00"
        late = select(func.count()).select_from(Comment).join(Story, Story.id == Comment.story_id)
        assert db.session.scalar(late.where(Comment.created_at < Story.created_at)) == 0
        if db.engine.dialect.name == "sqlite":  # the full-text index followed the bulk insert
            db.session.execute(
                text("INSERT INTO stories_fts(stories_fts) VALUES ('integrity-check')")
            )


def _assert_counters_match() -> None:
    def reactions(kind, column, key):
        return (
            select(func.count())
            .select_from(Reaction)
            .where(Reaction.kind == kind, column == key)
            .scalar_subquery()
        )

    for kind in ("hug", "high_five"):
        for model, column, key in (
            (Story, Reaction.story_id, Story.id),
            (Comment, Reaction.comment_id, Comment.id),
            (Profile, Reaction.member_id, Profile.member_id),
        ):
            wrong = select(func.count()).where(
                getattr(model, f"{kind}_count") != reactions(kind, column, key)
            )
            assert db.session.scalar(wrong) == 0, (model.__name__, kind)
    comments = select(func.count()).where(Comment.story_id == Story.id).scalar_subquery()
    assert db.session.scalar(select(func.count()).where(Story.comment_count != comments)) == 0
    members = (
        select(func.count())
        .where(GroupMembership.group_id == Group.id, GroupMembership.status == "active")
        .scalar_subquery()
    )
    assert db.session.scalar(select(func.count()).where(Group.member_count != members)) == 0


def _assert_reactions_allowed() -> None:
    key = (Reaction.sender_id, Reaction.kind, Reaction.member_id, Reaction.story_id)
    duplicates = select(*key, Reaction.comment_id).group_by(*key, Reaction.comment_id)
    duplicates = duplicates.having(func.count() > 1)
    assert db.session.execute(duplicates).first() is None
    own = (
        select(func.count())
        .select_from(Reaction)
        .outerjoin(Story, Story.id == Reaction.story_id)
        .outerjoin(Comment, Comment.id == Reaction.comment_id)
        .where(
            or_(
                Reaction.sender_id == Reaction.member_id,
                Reaction.sender_id == Story.author_id,
                Reaction.sender_id == Comment.author_id,
            )
        )
    )
    assert db.session.scalar(own) == 0
    # Nobody reacts to a private story, nor to a profile only its member sees.
    hidden = (
        select(func.count())
        .select_from(Reaction)
        .outerjoin(Story, Story.id == Reaction.story_id)
        .outerjoin(Profile, Profile.member_id == Reaction.member_id)
        .where(or_(Story.visibility == "private", Profile.profile_visibility == "private"))
    )
    assert db.session.scalar(hidden) == 0
    unverified = (
        select(func.count())
        .select_from(Reaction)
        .join(Member, Member.id == Reaction.sender_id)
        .where(Member.email_verified_at.is_(None))
    )
    assert db.session.scalar(unverified) == 0


def test_the_same_seed_gives_the_same_rows(app):
    generate(app, "--seed", "7", size=TINY)
    with app.app_context():
        first = digest()
        for model in (Notification, Reaction, Comment, Story, Profile, GroupMembership, Group):
            db.session.execute(model.__table__.delete())
        db.session.execute(text("DELETE FROM consents"))
        db.session.execute(Member.__table__.delete())
        db.session.commit()
    generate(app, "--seed", "7", size=TINY)
    with app.app_context():
        assert digest() == first
    generate(app, "--seed", "8", "--append", size=TINY)
    with app.app_context():
        assert count(Member) == 40
        assert db.session.scalar(select(func.count(Member.username_key.distinct()))) == 40
        assert digest() != first


def test_refuses_a_database_with_members_or_production(app, app_config, make_member):
    make_member("AlreadyHere")
    result = app.test_cli_runner().invoke(args=["demo", "generate", *SMALL])
    assert result.exit_code != 0
    assert "--append" in result.output
    production = create_app(
        {
            "ENV_NAME": "production",
            "SECRET_KEY": "p" * 48,
            "SQLALCHEMY_DATABASE_URI": app_config["SQLALCHEMY_DATABASE_URI"],
            "INSTANCE_PATH": app_config["INSTANCE_PATH"],
        }
    )
    try:
        result = production.test_cli_runner().invoke(args=["demo", "generate", "--append"])
        assert result.exit_code != 0
        assert "Refusing" in result.output
    finally:
        with production.app_context():
            db.engine.dispose()
    with app.app_context():
        assert count(Member) == 1


def test_key_pages_work_on_generated_data(app, client, auth):
    generate(app)
    with app.app_context():
        member = db.session.scalar(
            select(Member)
            .where(Member.email_verified_at.is_not(None), Member.country_code == "SE")
            .order_by(Member.id)
        )
        username = member.username
        profile = db.session.scalar(
            select(Member.username)
            .join(Profile, Profile.member_id == Member.id)
            .where(Profile.profile_visibility.in_(["public", "members"]))
            .order_by(Member.id.desc())
        )
        crowded = db.session.scalar(
            select(Story.id).order_by(Story.comment_count.desc(), Story.id).limit(1)
        )
        group = db.session.scalar(
            select(Group.slug).where(Group.status == "active").order_by(Group.member_count.desc())
        )
        title = db.session.scalar(
            select(Story.title)
            .where(Story.visibility == "public", Story.group_id.is_(None), Story.language == "en")
            .order_by(Story.id)
        )
        word = max(title.split(), key=len).strip(".,:!?")
        swedish_group = db.session.scalar(
            select(Group.name).where(and_(Group.country_code == "SE", Group.status == "active"))
        )
    response = auth.login(username, DEMO_PASSWORD)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    for url in (
        "/",
        f"/members/{profile}",
        f"/stories/{crowded}",
        "/groups/?q=Sverige",
        "/groups/country/SE",
        f"/groups/{group}",
    ):
        assert client.get(url).status_code == 200, url
    if swedish_group:
        assert swedish_group in client.get("/groups/?q=Sverige").get_data(as_text=True)
    found = client.get(f"/search?q={word}")
    assert found.status_code == 200
    assert title in found.get_data(as_text=True)


@pytest.mark.parametrize(
    "bad", [["--members", "3"], ["--members", "10", "--stories", "20", "--reactions", "9999"]]
)
def test_impossible_sizes_are_refused(app, bad):
    result = app.test_cli_runner().invoke(args=["demo", "generate", *SMALL, *bad])
    assert result.exit_code != 0
    with app.app_context():
        assert count(Member) == 0
