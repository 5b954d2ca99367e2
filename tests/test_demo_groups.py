"""The demo community's groups: which there are, who belongs, what is posted, and only once."""

from __future__ import annotations

from sqlalchemy import func, select

from cml_earth.auth.models import Member
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


def test_demo_seed_builds_groups_once(app, runner):
    from cml_earth.demo.services import _demo_key
    from cml_earth.groups.services import groups_near, waiting_for_support

    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        groups = db.session.scalars(select(Group)).all()
        by_slug = {group.slug: group for group in groups}
        assert set(by_slug) == {demo.slug for demo in GROUPS}

        # Sweden has no group at all, not even a proposal: a Swedish member founds it later.
        assert not [g for g in groups if g.country_code == "SE"]
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
