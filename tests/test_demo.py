"""The demo community that ``flask demo seed`` builds: members, profiles, stories, reactions,
follows and groups, each written once however often the command runs.

Seeding takes seconds, so this run seeds each backend once (``demo_databases`` in conftest,
through the real command) and every test here starts on its own copy of that database and
instance folder, then runs ``flask demo seed`` again on the copy to prove nothing changes.
That the command refuses production unless told is in test_config_and_cli.py, on an empty
database.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cml_earth.audit.models import AuditEvent
from cml_earth.auth.models import Consent, Member, MemberSession
from cml_earth.demo.data import DEMO_PASSWORD
from cml_earth.demo.group_data import GROUPS, PLACES, QUIET_STORIES
from cml_earth.extensions import db
from cml_earth.groups.countries import normalize
from cml_earth.groups.models import (
    Group,
    GroupKind,
    GroupMembership,
    GroupStatus,
    GroupVisibility,
    JoinPolicy,
    MembershipRole,
    MembershipStatus,
)
from cml_earth.notifications.models import Notification
from cml_earth.profiles.models import Profile
from cml_earth.reactions.models import Reaction
from cml_earth.stories.models import Comment, Story

from .conftest import scalar, submit


@pytest.fixture
def app_config(seeded_app_config):
    """Every test here starts on its own copy of the community this run's seed built."""
    return seeded_app_config


def count(app, model) -> int:
    return scalar(app, select(func.count()).select_from(model))


def row_counts(app) -> dict[str, int]:
    return {m.__tablename__: count(app, m) for m in (Member, MemberSession, Consent, AuditEvent)}


def rows(app, **where) -> int:
    statement = select(func.count()).select_from(Reaction).filter_by(**where)
    return scalar(app, statement)


# --- members --------------------------------------------------------------------------------


def test_demo_seed_builds_the_community_once(app, runner, client, demo_seeded):
    result = demo_seeded  # this run's one `flask demo seed`, on an empty database
    assert result.exit_code == 0, result.output
    assert DEMO_PASSWORD in result.output
    for login in ("AnnaFranStockholm", "SponsorMaria", "AdminAlex"):
        assert login in result.output

    with app.app_context():
        roles = dict(
            db.session.execute(select(Member.role, func.count()).group_by(Member.role)).all()
        )
        countries = set(
            db.session.scalars(select(Member.country_code).where(Member.country_code.is_not(None)))
        )
        us_zone = db.session.scalar(
            select(Member.timezone).where(Member.username_key == "ohiooptimist")
        )
    assert roles["patient"] + roles["relative"] >= 50
    assert roles["patient"] > 0 and roles["relative"] > 0
    assert roles["sponsor"] == 1 and roles["admin"] == 1
    assert 50 <= sum(roles.values()) <= 60
    assert len(countries) >= 8 and "SE" in countries
    assert us_zone == "America/New_York"
    assert count(app, Consent) > 0

    before = row_counts(app)
    again = runner.invoke(args=["demo", "seed"])
    assert again.exit_code == 0, again.output
    assert row_counts(app) == before

    response = submit(
        client, "/auth/login", {"login": "AnnaFranStockholm", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302


# --- profiles -------------------------------------------------------------------------------


def demo_profiles(app) -> dict[str, Member]:
    """Every member by handle, detached with their profile and consents loaded."""
    with app.app_context():
        rows = db.session.scalars(select(Member)).unique().all()
        result = {}
        for member in rows:
            member.has_health_consent  # noqa: B018  (load the consents before leaving)
            result[member.username] = member
            db.session.expunge(member)
        return result


def test_demo_seed_gives_varied_profiles(app, runner, client, demo_seeded):
    from cml_earth.demo.data import MEMBERS, PROFILES
    from cml_earth.demo.services import demo_picture

    assert demo_seeded.exit_code == 0, demo_seeded.output
    members = demo_profiles(app)
    locales = {username: locale for username, _, _, locale, _ in MEMBERS}
    for username, member in members.items():
        profile = member.profile
        assert profile.story and profile.language_codes, username
        swedish = " jag " in f" {profile.story.lower()} "
        english = re.search(r"\b(I|my|My)\b", profile.story) is not None
        if locales.get(username) == "sv":
            assert swedish and not english, username
        else:
            assert english and not swedish, username
        # Health details only where the member consented, and then for every patient.
        if member.has_health_consent:
            assert profile.diagnosis_year and profile.treatment, username
        else:
            assert not profile.has_health_details, username

    def level(field: str) -> dict[str, str]:
        return {name: getattr(m.profile, f"{field}_visibility") for name, m in members.items()}

    public = {name for name, value in level("profile").items() if value == "public"}
    patients = {name for name, m in members.items() if m.role == "patient"}
    assert public & patients & {n for n in locales if locales[n] == "sv"}
    assert public & patients & {n for n in locales if locales[n] == "en"}
    assert list(level("profile").values()).count("members") > len(members) / 2
    assert "private" in level("story").values()
    assert "groups" in level("health").values()
    pictures = {name for name, m in members.items() if m.profile.avatar_key}
    assert len(members) / 3 < len(pictures) < len(members) * 2 / 3
    assert pictures == {name for name, demo in PROFILES.items() if demo.avatar}
    assert demo_picture("AnnaFranStockholm") == demo_picture("AnnaFranStockholm")
    assert demo_picture("AnnaFranStockholm") != demo_picture("TeaAndTKIs")

    # A public demo profile shows a visitor the story and the picture.
    html = client.get("/members/AnnaFranStockholm").get_data(as_text=True)
    assert "KML-diagnos" in html and "MR4" in html
    assert (
        client.get(
            f"/members/AnnaFranStockholm/avatar/256?v={members['AnnaFranStockholm'].profile.avatar_key}"
        ).mimetype
        == "image/webp"
    )
    assert client.get("/members/QuebecQuietude").status_code == 404

    # Seeding again changes nothing: same stories, same pictures, no new files.
    files = sorted(Path(app.instance_path, "avatars").rglob("*"))
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    again = demo_profiles(app)
    assert {n: m.profile.avatar_key for n, m in again.items()} == {
        n: m.profile.avatar_key for n, m in members.items()
    }
    assert sorted(Path(app.instance_path, "avatars").rglob("*")) == files


def test_demo_seed_fills_only_empty_profiles(app, runner, demo_seeded):
    assert demo_seeded.exit_code == 0, demo_seeded.output
    with app.app_context():
        by_name = {m.username: m for m in db.session.scalars(select(Member)).unique()}
        # As a database seeded before profiles existed: an empty profile...
        empty = by_name["TeaAndTKIs"].profile
        empty.story, empty.languages, empty.avatar_key = None, "", None
        empty.clear_health_details()
        for field in ("profile", "story", "country", "health", "avatar"):
            setattr(empty, f"{field}_visibility", "members")
        # ...and a member who has since written their own story and kept nothing else.
        own = by_name["ErikMedHund"].profile
        own.story, own.languages = "My own words.", ""
        db.session.commit()
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    members = demo_profiles(app)
    tea = members["TeaAndTKIs"].profile
    assert "spreadsheet" in tea.story and tea.profile_visibility == "public"
    assert tea.treatment == "dasatinib" and tea.avatar_key
    assert members["ErikMedHund"].profile.story == "My own words."
    assert members["ErikMedHund"].profile.languages == ""


# --- stories, words of support, reactions and follows ---------------------------------------


def test_demo_seed_writes_stories_and_words_once(app, runner, demo_seeded):
    assert demo_seeded.exit_code == 0, demo_seeded.output
    stories, comments = count(app, Story), count(app, Comment)
    assert stories >= 40
    assert comments >= 20
    with app.app_context():
        languages = set(db.session.scalars(select(Story.language).distinct()))
    assert languages >= {"sv", "en"}
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    assert (count(app, Story), count(app, Comment)) == (stories, comments)
    counted = scalar(app, select(func.sum(Story.comment_count)))
    assert counted == comments


def test_demo_seed_sends_reactions_and_follows_once(app, runner, demo_seeded):
    from cml_earth.auth.models import Member
    from cml_earth.social.models import Follow

    assert demo_seeded.exit_code == 0, demo_seeded.output
    first = (rows(app), scalar(app, select(func.count()).select_from(Follow)))
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    assert (rows(app), scalar(app, select(func.count()).select_from(Follow))) == first
    for on in ("member_id", "story_id", "comment_id"):
        assert (
            rows(app, **{})
            and scalar(
                app,
                select(func.count())
                .select_from(Reaction)
                .where(getattr(Reaction, on).is_not(None)),
            )
            >= 5
        ), on
    assert first[1] >= 10
    with app.app_context():
        for model, key, column in (
            (Story, Story.id, Reaction.story_id),
            (Comment, Comment.id, Reaction.comment_id),
            (Profile, Profile.member_id, Reaction.member_id),
        ):
            for kind in ("hug", "high_five"):
                counted = (
                    select(func.count())
                    .select_from(Reaction)
                    .where(column == key, Reaction.kind == kind)
                    .scalar_subquery()
                )
                wrong = db.session.scalar(
                    select(func.count())
                    .select_from(model)
                    .where(getattr(model, f"{kind}_count") != counted)
                )
                assert wrong == 0, (model.__name__, kind)
        staff = select(Member.id).where(Member.role.in_(["sponsor", "admin"]))
        assert (
            db.session.scalar(
                select(func.count()).select_from(Reaction).where(Reaction.sender_id.in_(staff))
            )
            == 0
        )


# --- groups ---------------------------------------------------------------------------------


def _snapshot() -> dict:
    """Everything the groups part of the seed writes, as comparable values."""
    return {
        "groups": db.session.execute(
            select(Group.slug, Group.status, Group.member_count).order_by(Group.slug)
        ).all(),
        "memberships": db.session.execute(
            select(
                GroupMembership.group_id, GroupMembership.member_id, GroupMembership.status
            ).order_by(GroupMembership.group_id, GroupMembership.member_id)
        ).all(),
        "group stories": db.session.execute(
            select(Story.id, Story.group_id).where(Story.group_id.is_not(None)).order_by(Story.id)
        ).all(),
        "places": db.session.execute(
            select(Profile.member_id, Profile.place_name, Profile.latitude, Profile.longitude)
            .where(Profile.latitude.is_not(None))
            .order_by(Profile.member_id)
        ).all(),
        **{
            model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Story, Comment, Reaction, Notification)
        },
    }


def test_demo_seed_builds_groups_once(app, runner, demo_seeded):
    from cml_earth.demo.services import _demo_key
    from cml_earth.groups.services import groups_near, waiting_for_support

    assert demo_seeded.exit_code == 0, demo_seeded.output
    with app.app_context():
        groups = db.session.scalars(select(Group)).all()
        by_slug = {group.slug: group for group in groups}
        assert set(by_slug) - {"cml-sverige"} == {demo.slug for demo in GROUPS}

        # Sweden has only a proposal, waiting for staff (the moderation demo proposes it).
        swedish = [g for g in groups if g.country_code == "SE"]
        assert [(g.slug, g.kind, g.status) for g in swedish] == [
            ("cml-sverige", GroupKind.NATIONAL, GroupStatus.PROPOSED)
        ]
        # The rest is the groups demo.
        groups = [g for g in groups if g.slug != "cml-sverige"]
        national = [g for g in groups if g.kind == GroupKind.NATIONAL]
        assert len({g.country_code for g in national}) >= 5
        assert all(g.status == GroupStatus.ACTIVE for g in national)
        local = [g for g in groups if g.kind == GroupKind.LOCAL]
        topic = [g for g in groups if g.kind == GroupKind.TOPIC]
        assert local and all(g.coordinates and g.country_code for g in local)
        assert topic and any(g.country_code is None for g in topic)
        assert not [g for g in groups if g.status == GroupStatus.PROPOSED]
        assert [g.slug for g in groups if g.status == GroupStatus.ARCHIVED] == [
            "cml-stammtisch-hamburg"
        ]
        assert {g.visibility for g in groups} == set(GroupVisibility)
        assert [g.visibility for g in groups].count(GroupVisibility.GROUP) == 1

        # Approved by the sponsor, founded by a moderator of the group; search text as the
        # service writes it.
        maria = db.session.scalar(select(Member).where(Member.username_key == "sponsormaria"))
        rows = db.session.scalars(select(GroupMembership)).all()
        moderators = {
            (row.group_id, row.member_id) for row in rows if row.role == MembershipRole.MODERATOR
        }
        for group in groups:
            assert group.decided_by_id == maria.id and group.decided_at is not None, group.slug
            assert (group.id, group.founder_id) in moderators, group.slug
            assert group.search_text == normalize(f"{group.name} {group.description}")

        # Counters equal the active memberships; staff belong nowhere.
        active = dict(
            db.session.execute(
                select(GroupMembership.group_id, func.count())
                .where(GroupMembership.status == MembershipStatus.ACTIVE)
                .group_by(GroupMembership.group_id)
            ).all()
        )
        assert {g.id: g.member_count for g in groups} == {g.id: active.get(g.id, 0) for g in groups}
        staff_ids = set(
            db.session.scalars(select(Member.id).where(Member.role.in_(("sponsor", "admin"))))
        )
        assert staff_ids and not {row.member_id for row in rows} & staff_ids

        # One group approves its members, and someone waits for an answer.
        pending = [row for row in rows if row.status == MembershipStatus.PENDING]
        assert pending and all(row.joined_at is None for row in pending)
        assert all(
            by_id(groups)[row.group_id].join_policy == JoinPolicy.APPROVAL for row in pending
        )

        # Members of a country's national group live in that country.
        for row in rows:
            group = by_id(groups)[row.group_id]
            if group.kind == GroupKind.NATIONAL:
                assert row.member.country_code == group.country_code, (group.slug, row.member)

        # Stories in groups, by active members; some still wait for their first welcome.
        in_groups = db.session.scalars(select(Story).where(Story.group_id.is_not(None))).all()
        assert len(in_groups) >= 5
        actives = {(row.group_id, row.member_id) for row in rows if row.status == "active"}
        assert all((story.group_id, story.author_id) in actives for story in in_groups)
        assert {story.language for story in in_groups} >= {"en", "sv", "nb", "de"}
        quiet = [s for s in in_groups if s.comment_count == 0 and s.hug_count == 0]
        assert {s.submission_key for s in quiet} >= {
            _demo_key("story", key) for key in QUIET_STORIES
        }
        assert any(s.comment_count or s.hug_count for s in in_groups)
        newcomer = next(s for s in quiet if s.author.username == "KrakowKasia")
        reader = db.session.scalar(select(Member).where(Member.username_key == "ohiooptimist"))
        assert (
            newcomer
            in db.session.scalars(
                waiting_for_support(reader, by_id(groups)[newcomer.group_id])
            ).all()
        )

        # A few members have a saved place, and groups near them.
        placed = db.session.scalars(
            select(Member).where(Member.username_key.in_([n.lower() for n in PLACES]))
        ).all()
        assert len(placed) == len(PLACES)
        for member in placed:
            assert member.profile.place_name and member.profile.latitude is not None
        oslo = next(m for m in placed if m.username == "FjordFrida").profile
        nearest = groups_near(oslo.latitude, oslo.longitude)[0]
        assert nearest.group.country_code == "NO" and nearest.distance_km < 1

        before = _snapshot()

    again = runner.invoke(args=["demo", "seed"])
    assert again.exit_code == 0, again.output
    with app.app_context():
        assert _snapshot() == before


def by_id(groups) -> dict[int, Group]:
    return {group.id: group for group in groups}


def test_demo_seed_gives_staff_a_queue_a_case_and_a_log(app, runner, demo_seeded):
    from cml_earth.moderation.models import Decision, ModerationItem, Report, StaffAction
    from cml_earth.moderation.models import Reason as ReportReason
    from cml_earth.safety.models import AdverseEventCase

    assert demo_seeded.exit_code == 0, demo_seeded.output
    with app.app_context():
        reasons = set(db.session.scalars(select(Report.reason)))
        assert reasons == set(ReportReason)  # a report of every reason
        items = db.session.scalars(
            select(ModerationItem).where(ModerationItem.status == "open")
        ).all()
        kinds = {reason for item in items for reason in item.reasons}
        assert {"crisis", "side_effect", "proposal", "appeal"} <= kinds
        first = min(items, key=lambda item: (item.priority, item.opened_at))
        assert "crisis" in first.reasons  # self-harm language tops the queue
        assert any(item.auto_hidden for item in items)  # three reports hid the advert
        cases = db.session.scalars(select(AdverseEventCase)).all()
        assert any("dasatinib" in case.medicines for case in cases)
        assert db.session.scalar(select(func.count()).select_from(StaffAction)) >= 2
        appealed = db.session.scalar(select(Decision).where(Decision.appealed_at.is_not(None)))
        assert appealed is not None and appealed.action == "hide"
    tables = (Report, ModerationItem, StaffAction, Decision, AdverseEventCase)
    before = {model.__tablename__: count(app, model) for model in tables}
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    after = {model.__tablename__: count(app, model) for model in tables}
    assert after == before  # seeding again adds nothing
