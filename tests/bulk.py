"""A community grown in bulk (SQLAlchemy Core, one executemany per table) for budget tests.

``World.grow(units)`` adds ``units`` times the same mix: members with profiles, stories (some
in groups, some for group members only), words of support, hugs and high-fives, groups,
memberships, follows and notifications. Growing the same world ten times over is how the
budget tests check that a page costs the same with ten times the data.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, insert, select, update

from cml_earth.auth.models import Member
from cml_earth.database import utcnow
from cml_earth.extensions import db
from cml_earth.groups.countries import normalize
from cml_earth.groups.models import Group, GroupMembership
from cml_earth.notifications.models import Notification
from cml_earth.profiles.models import Profile
from cml_earth.reactions.models import Reaction
from cml_earth.social.models import Follow
from cml_earth.stories.models import Comment, Story

#: Per unit of growth.
MEMBERS = 20
STORIES = 40
KEY_COMMENTS = 5  # on the key story, in the first ten units: 50 words of support
COMMENTS = 40
GROUPS = 3

WORDS = ("remission", "Glivec", "tiredness", "blood test", "Sverige", "walk", "lake", "hope")
COUNTRIES = ("SE", "NO", "DE", "FI")
#: Groups are spread over 40 countries, as they will be: a country holds a few of them.
GROUP_COUNTRIES = (
    "SE NO DE FI DK IS EE LV LT PL CZ SK AT CH FR BE NL LU IE GB "
    "ES PT IT SI HR HU RO BG GR CY MT US CA MX BR AR CL AU NZ JP"
).split()


@dataclass
class World:
    """The personas' ids (made with ``make_member``) and the key objects the pages show."""

    app: object
    viewer_id: int
    author_id: int
    key_story_id: int = 0
    key_group_id: int = 0
    key_group_slug: str = "cml-sverige"
    groups_per_unit: int = GROUPS
    units: int = 0
    story_ids: list[int] = field(default_factory=list)
    # Seeded: the same world on every run (test data, not secrets).
    rng: random.Random = field(default_factory=lambda: random.Random(8))  # noqa: S311

    def start(self) -> World:
        """The key group (Sweden's national group, the viewer in it) and the key story."""
        now = utcnow()
        with self.app.app_context():
            self.key_group_id = db.session.execute(
                insert(Group).returning(Group.id),
                [_group("CML Sverige", self.key_group_slug, "national", "SE", now)],
            ).scalar_one()
            db.session.execute(
                insert(GroupMembership),
                [_membership(self.key_group_id, self.viewer_id, now)],
            )
            self.key_story_id = db.session.execute(
                insert(Story).returning(Story.id),
                [
                    _story(
                        self.author_id, "Ten years of remission with imatinib", "members", None, now
                    )
                ],
            ).scalar_one()
            db.session.commit()
        return self

    def grow(self, units: int) -> None:
        with self.app.app_context():
            for _ in range(units):
                self._unit()
            self._recount()
            db.session.commit()

    def add_readers(self, count: int) -> None:
        """Members who post nothing: most of a community, and most of its members table."""
        now = utcnow()
        with self.app.app_context():
            ids = db.session.scalars(
                insert(Member).returning(Member.id, sort_by_parameter_order=True),
                [_member(f"reader{n}", COUNTRIES[n % 4], now) for n in range(count)],
            ).all()
            db.session.execute(insert(Profile), [{"member_id": id_} for id_ in ids])
            # Readers follow writers: the follows table is mostly other members' rows, as in
            # a real community (the viewer's own follows are a few of many).
            writers = db.session.scalars(select(Story.author_id).distinct()).all()
            if writers:
                db.session.execute(
                    insert(Follow),
                    [
                        {"follower_id": id_, "followed_id": writer}
                        for id_ in ids
                        for writer in {self.rng.choice(writers), self.rng.choice(writers)}
                    ],
                )
            db.session.commit()

    def add_comments(self, count: int) -> None:
        """Words of support on the world's stories, without the key words: a big table's bulk."""
        now = utcnow()
        with self.app.app_context():
            stories = db.session.execute(select(Story.id, Story.author_id)).all()
            db.session.execute(
                insert(Comment),
                [
                    _comment(
                        stories[n % len(stories)][0],
                        stories[(n * 7) % len(stories)][1],
                        f"Thinking of you, take care. Note {n}.",
                        now,
                    )
                    for n in range(count)
                ],
            )
            db.session.commit()

    def _unit(self) -> None:
        rng, unit, now = self.rng, self.units, utcnow()
        self.units += 1
        member_ids = list(
            db.session.scalars(
                insert(Member).returning(Member.id, sort_by_parameter_order=True),
                [_member(f"u{unit}m{n}", COUNTRIES[n % 4], now) for n in range(MEMBERS)],
            )
        )
        db.session.execute(insert(Profile), [{"member_id": id_} for id_ in member_ids])
        group_ids = list(
            db.session.scalars(
                insert(Group).returning(Group.id, sort_by_parameter_order=True),
                [
                    _group(
                        f"{WORDS[n % len(WORDS)]} {unit}.{n}",
                        f"g{unit}-{n}",
                        ("local", "topic")[n % 2],
                        GROUP_COUNTRIES[n % 40],
                        now,
                    )
                    for n in range(self.groups_per_unit)
                ],
            )
        )
        db.session.execute(
            insert(GroupMembership),
            [_membership(self.key_group_id, id_, now) for id_ in member_ids]
            + [
                _membership(group_ids[n % len(group_ids)], id_, now)
                for n, id_ in enumerate(member_ids)
            ],
        )
        stories = []
        for n in range(STORIES):
            in_group = n % 5 == 0
            visibility = ("members", "public", "members", "groups")[n % 4]
            stories.append(
                _story(
                    member_ids[n % MEMBERS],
                    f"{WORDS[n % len(WORDS)]} day {unit}.{n}",
                    visibility,
                    self.key_group_id if in_group else None,
                    now - timedelta(minutes=rng.randrange(100_000)),
                )
            )
        # The profile's author writes too: their page lists more stories as the world grows.
        stories.append(_story(self.author_id, f"Chapter {unit}", "members", None, now))
        new_story_ids = list(
            db.session.scalars(
                insert(Story).returning(Story.id, sort_by_parameter_order=True), stories
            )
        )
        self.story_ids += new_story_ids
        key_comments = KEY_COMMENTS if unit < 10 else 0  # the key story keeps its 50
        comments = [
            _comment(self.key_story_id, member_ids[n], f"Thinking of you, {n}. Imatinib too.", now)
            for n in range(key_comments)
        ] + [
            _comment(
                rng.choice(self.story_ids),
                member_ids[n % MEMBERS],
                "Hugs and hope by the lake.",
                now,
            )
            for n in range(COMMENTS)
        ]
        comment_ids = list(
            db.session.scalars(
                insert(Comment).returning(Comment.id, sort_by_parameter_order=True), comments
            )
        )
        reactions = []
        for n, sender in enumerate(member_ids):
            reactions.append(_reaction(sender, "hug", story_id=self.key_story_id))
            reactions.append(_reaction(sender, "high_five", story_id=rng.choice(new_story_ids)))
            reactions.append(_reaction(sender, "hug", member_id=self.author_id))
            reactions.append(_reaction(sender, "hug", comment_id=comment_ids[n % len(comment_ids)]))
        db.session.execute(insert(Reaction), reactions)
        db.session.execute(
            insert(Follow),
            [{"follower_id": self.viewer_id, "followed_id": id_} for id_ in member_ids[:2]],
        )
        db.session.execute(
            insert(Notification),
            [
                {"recipient_id": self.viewer_id, "actor_id": id_, "kind": "follow"}
                for id_ in member_ids[:5]
            ],
        )

    def _recount(self) -> None:
        """The counters the services keep, set from the rows (pages show them)."""
        for column, kind in ((Story.hug_count, "hug"), (Story.high_five_count, "high_five")):
            counted = (
                select(func.count())
                .where(Reaction.story_id == Story.id, Reaction.kind == kind)
                .scalar_subquery()
            )
            db.session.execute(update(Story).values({column: counted}))
        comments = select(func.count()).where(Comment.story_id == Story.id).scalar_subquery()
        db.session.execute(update(Story).values(comment_count=comments))
        members = (
            select(func.count())
            .where(GroupMembership.group_id == Group.id, GroupMembership.status == "active")
            .scalar_subquery()
        )
        db.session.execute(update(Group).values(member_count=members))


def _member(username: str, country: str, now) -> dict:
    return {
        "username": username,
        "username_key": username.lower(),
        "email": f"{username}@example.org",
        "email_key": f"{username.lower()}@example.org",
        "password_hash": "-",  # nobody logs in as them
        "role": "patient",
        "country_code": country,
        "locale": "en",
        "timezone": "Europe/Stockholm",
        "email_verified_at": now,
        "age_confirmed_at": now,
        "guidelines_accepted_at": now,
        "guidelines_version": "test",
    }


def _group(name: str, slug: str, kind: str, country: str, now) -> dict:
    description = f"Patients and relatives: {name}."
    return {
        "slug": slug,
        "name": name,
        "kind": kind,
        "country_code": country,
        "description": description,
        "languages": "sv,en",
        "visibility": "members",
        "join_policy": "open",
        "status": "active",
        "search_text": normalize(f"{name} {description}"),
        "decided_at": now,
    }


def _membership(group_id: int, member_id: int, now) -> dict:
    return {
        "group_id": group_id,
        "member_id": member_id,
        "role": "member",
        "status": "active",
        "joined_at": now,
    }


def _story(author_id: int, title: str, visibility: str, group_id, created_at) -> dict:
    return {
        "author_id": author_id,
        "title": title,
        "body": f"{title}: a **good** day, a walk by the lake and a blood test.",
        "language": "en",
        "visibility": visibility,
        "group_id": group_id,
        "created_at": created_at,
    }


def _comment(story_id: int, author_id: int, body: str, now) -> dict:
    return {"story_id": story_id, "author_id": author_id, "body": body, "created_at": now}


def _reaction(sender_id: int, kind: str, **target) -> dict:
    empty = {"member_id": None, "story_id": None, "comment_id": None}
    return {"sender_id": sender_id, "kind": kind, **empty, **target}
