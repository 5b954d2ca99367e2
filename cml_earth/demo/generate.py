"""``flask demo generate``: a large, realistic community for benchmarks, written in bulk.

Everything is planned in memory from one ``random.Random(seed)`` (so the same seed, the same
``until`` and the same starting database give the same rows), then written table by table with
Core ``insert()`` in batches (PostgreSQL: COPY for the big tables). Ids are given explicitly, so
rows can point at each other before they are written; PostgreSQL's sequences are moved past them
at the end. Counters (reactions, words of support, group members) are computed from the planned
rows, never guessed; search indexes follow by themselves (SQLite triggers, PostgreSQL generated
columns). Nothing goes through the services: they would take hours at this size.
"""

from __future__ import annotations

import hashlib
import random
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from itertools import accumulate

from argon2 import PasswordHasher, Type
from flask import current_app
from sqlalchemy import func, insert, select, text

from ..auth.models import Consent, ConsentPurpose, Member
from ..auth.services import consent_text_hash
from ..extensions import db
from ..groups.countries import normalize
from ..groups.models import Group, GroupMembership
from ..groups.services import slugify
from ..i18n import country_codes, country_name, default_timezone_for
from ..notifications.models import Notification
from ..profiles.models import Profile
from ..reactions.models import Reaction
from ..stories.models import Comment, Story
from . import generate_data as words
from .data import DEMO_PASSWORD, PROFILES
from .group_data import GROUP_COMMENTS, GROUP_STORIES
from .story_data import COMMENTS, STORIES

BATCH = 10_000
DAY = 86_400
#: How far back the community goes.
YEARS = 6
#: Notifications are written for what happened in this many days before ``until`` (older ones
#: would have been read long ago and add nothing but rows).
NOTIFY_DAYS = 90
GENERATED_DOMAIN = "generated.cml-earth.invalid"

PUBLIC, MEMBERS, GROUPS, PRIVATE = "public", "members", "groups", "private"
HUG, HIGH_FIVE = "hug", "high_five"


@dataclass
class Sizes:
    members: int
    stories: int
    comments: int
    reactions: int
    groups: int


@dataclass
class Counts:
    """What was written, per table."""

    rows: dict[str, int] = field(default_factory=dict)

    def add(self, table: str, number: int) -> None:
        self.rows[table] = self.rows.get(table, 0) + number


def _weighted(rng: random.Random, choices: dict):
    """One key of ``choices`` (key -> weight)."""
    return rng.choices(list(choices), weights=list(choices.values()))[0]


class Writer:
    """Batched inserts on one connection: Core executemany, or COPY on PostgreSQL."""

    def __init__(self, connection, progress: Callable[[int], None], counts: Counts):
        self.connection = connection
        self.postgres = connection.dialect.name == "postgresql"
        self.progress = progress
        self.counts = counts

    def write(self, table, columns: tuple[str, ...], rows: Iterable[tuple], copy=False) -> None:
        batch: list[tuple] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH:
                self._flush(table, columns, batch, copy)
                batch = []
        if batch:
            self._flush(table, columns, batch, copy)

    def _flush(self, table, columns, batch, copy) -> None:
        if copy and self.postgres:
            raw = self.connection.connection.driver_connection
            names = ", ".join(columns)
            with (
                raw.cursor() as cursor,
                cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as out,  # model names only
            ):
                for row in batch:
                    out.write_row(row)
        else:
            self.connection.execute(
                insert(table), [dict(zip(columns, row, strict=True)) for row in batch]
            )
        self.counts.add(table.name, len(batch))
        self.progress(len(batch))


class Generator:
    def __init__(self, sizes: Sizes, seed: int, until: datetime, writer: Writer):
        self.sizes = sizes
        self.rng = random.Random(seed)  # noqa: S311  data for benchmarks, not secrets  # nosec B311
        self.seed = seed
        self.until = int(until.timestamp())
        self.start = self.until - YEARS * 365 * DAY
        self.out = writer
        self.config = current_app.config

    # --- helpers ---------------------------------------------------------------------------

    def when(self, seconds: int) -> datetime:
        return datetime.fromtimestamp(seconds, UTC)

    def after(self, earliest: int, mean_days: float) -> int:
        """A moment some time after ``earliest`` (exponential wait), never after ``until``."""
        moment = earliest + int(self.rng.expovariate(1 / (mean_days * DAY)))
        return min(moment, self.until)

    def next_id(self, model) -> int:
        return (db.session.scalar(select(func.max(model.id))) or 0) + 1

    # --- members, consents, profiles -------------------------------------------------------

    def plan_members(self) -> None:
        rng, n = self.rng, self.sizes.members
        others = [c for c in country_codes() if c not in words.COUNTRY_WEIGHTS]
        weights = dict(words.COUNTRY_WEIGHTS)
        for code in others:
            weights[code] = words.OTHER_WEIGHT / len(others)
        codes, cum = list(weights), list(accumulate(weights.values()))
        self.member_base = self.next_id(Member)
        taken = set(db.session.scalars(select(Member.username_key)))
        self.m_country = rng.choices(codes, cum_weights=cum, k=n)
        # More members joined lately than in the first years: the community grows.
        self.m_joined = array(
            "q",
            (
                self.start + int((self.until - DAY - self.start) * rng.random() ** 0.6)
                for _ in range(n)
            ),
        )
        self.m_locale, self.m_role, self.m_email_pref = [], [], []
        self.m_username: list[str] = []
        self.verified: list[int] = []  # indexes of verified members: only they write and react
        self.m_profile_vis: list[str] = []
        for index in range(n):
            country = self.m_country[index]
            language = words.COUNTRY_LANGUAGES.get(country, ("en",))[0]
            swedish = (country == "SE" and rng.random() < 0.85) or (
                country == "FI" and rng.random() < 0.2
            )
            self.m_locale.append("sv" if swedish else "en")
            self.m_role.append("patient" if rng.random() < 0.65 else "relative")
            self.m_email_pref.append(
                _weighted(rng, {"never": 70, "weekly": 15, "daily": 10, "each": 5})
            )
            first = rng.choice(
                words.FIRST_NAMES.get("sv" if swedish else language, words.FIRST_NAMES["en"])
            )
            word = rng.choice(words.HANDLE_WORDS)
            base = f"{first}{word}" if rng.random() < 0.5 else f"{word}{first}"
            username = base if base.lower() not in taken else f"{base}{self.member_base + index}"
            while username.lower() in taken:
                username += "x"
            taken.add(username.lower())
            self.m_username.append(username)
            if rng.random() < 0.97:
                self.verified.append(index)
            self.m_profile_vis.append(
                _weighted(rng, {MEMBERS: 60, PUBLIC: 25, GROUPS: 10, PRIVATE: 5})
            )
        self.verified_set = set(self.verified)

    def member_id(self, index: int) -> int:
        return self.member_base + index

    def write_members(self) -> None:
        hasher = PasswordHasher(
            time_cost=self.config["ARGON2_TIME_COST"],
            memory_cost=self.config["ARGON2_MEMORY_COST"],
            parallelism=self.config["ARGON2_PARALLELISM"],
            type=Type.ID,
        )
        # One hash for everyone, with a salt from the seed: the same seed gives the same rows.
        salt = hashlib.sha256(f"cml-earth-generate:{self.seed}".encode()).digest()[:16]
        password_hash = hasher.hash(DEMO_PASSWORD, salt=salt)
        guidelines = self.config["GUIDELINES_VERSION"]
        rng = self.rng
        zones = {code: default_timezone_for(code) for code in sorted(set(self.m_country))}

        def rows():
            for index in range(self.sizes.members):
                joined = self.when(self.m_joined[index])
                verified = index in self.verified_set
                username = self.m_username[index]
                email = f"{username.lower()}@{GENERATED_DOMAIN}"
                last_login = self.when(self.after(self.m_joined[index], 60)) if verified else None
                yield (
                    self.member_id(index), username, username.lower(), email, email,
                    password_hash, self.m_role[index], self.m_country[index], self.m_locale[index],
                    zones[self.m_country[index]], joined if verified else None, joined, joined,
                    guidelines, last_login, self.m_email_pref[index], False, joined,
                    last_login or joined,
                )  # fmt: skip

        columns = (
            "id", "username", "username_key", "email", "email_key", "password_hash", "role",
            "country_code", "locale", "timezone", "email_verified_at", "age_confirmed_at",
            "guidelines_accepted_at", "guidelines_version", "last_login_at",
            "notification_email", "safety_access", "created_at", "updated_at",
        )  # fmt: skip
        self.out.write(Member.__table__, columns, rows())
        # Patients mostly share health details, with consent; relatives have none to share.
        self.consented = [
            i
            for i in range(self.sizes.members)
            if self.m_role[i] == "patient" and rng.random() < 0.6
        ]
        version = self.config["HEALTH_CONSENT_VERSION"]
        hashes = {locale: consent_text_hash(locale) for locale in ("en", "sv")}
        first_consent = self.next_id(Consent)
        consent_rows = (
            (
                first_consent + number, self.member_id(i), ConsentPurpose.HEALTH_DATA.value,
                self.when(self.m_joined[i]), version, hashes[self.m_locale[i]],
                self.m_locale[i], "demo generate",
            )
            for number, i in enumerate(self.consented)
        )  # fmt: skip
        columns = (
            "id",
            "member_id",
            "purpose",
            "given_at",
            "text_version",
            "text_hash",
            "text_locale",
            "method",
        )
        self.out.write(Consent.__table__, columns, consent_rows)

    def write_profiles(self) -> None:
        rng = self.rng
        sv_texts = [p.story for p in PROFILES.values() if p.languages[0] == "sv"]
        other_texts = [p.story for p in PROFILES.values() if p.languages[0] != "sv"]
        consented = set(self.consented)
        treatments = {"imatinib": 40, "nilotinib": 18, "dasatinib": 20, "bosutinib": 6,
                      "ponatinib": 3, "asciminib": 5, "none": 6, "other": 2}  # fmt: skip
        cities = _cities_by_country(set(self.m_country))
        this_year = self.when(self.until).year

        def vis(common: str) -> str:
            return _weighted(rng, {common: 70, MEMBERS: 15, PUBLIC: 8, GROUPS: 5, PRIVATE: 2})

        def rows():
            for index in range(self.sizes.members):
                country = self.m_country[index]
                languages = words.COUNTRY_LANGUAGES.get(country, ("en",))
                languages = languages[: rng.randint(1, len(languages))]
                story = None
                if rng.random() < 0.45:
                    story = rng.choice(sv_texts if self.m_locale[index] == "sv" else other_texts)
                year = phase = treatment = None
                if index in consented:
                    joined_year = self.when(self.m_joined[index]).year
                    year = rng.randint(max(1995, joined_year - 20), min(joined_year, this_year))
                    phase = _weighted(rng, {"chronic": 92, "accelerated": 5, "blast": 3})
                    treatment = _weighted(rng, treatments)
                place = latitude = longitude = None
                if country in cities and rng.random() < 0.25:
                    city = rng.choice(cities[country])
                    place, latitude, longitude = (
                        f"{city.name}, {country}",
                        city.latitude,
                        city.longitude,
                    )
                created = self.when(self.m_joined[index])
                yield (
                    self.member_id(index), story, ",".join(languages), year, phase, treatment,
                    place, latitude, longitude, None, self.profile_hugs[index],
                    self.profile_high_fives[index], self.m_profile_vis[index], vis(MEMBERS),
                    vis(MEMBERS), vis(MEMBERS), vis(MEMBERS), created, created,
                )  # fmt: skip

        columns = (
            "member_id", "story", "languages", "diagnosis_year", "diagnosis_phase", "treatment",
            "place_name", "latitude", "longitude", "avatar_key", "hug_count", "high_five_count",
            "profile_visibility", "story_visibility", "country_visibility", "health_visibility",
            "avatar_visibility", "created_at", "updated_at",
        )  # fmt: skip
        self.out.write(Profile.__table__, columns, rows())

    # --- groups ----------------------------------------------------------------------------

    def write_groups(self) -> None:
        rng, wanted = self.rng, self.sizes.groups
        base = self.next_id(Group)
        held = set(
            db.session.scalars(
                select(Group.country_code).where(
                    Group.kind == "national", Group.status.in_(["active", "proposed"])
                )
            )
        )
        slugs = set(db.session.scalars(select(Group.slug)))
        staff = db.session.scalar(
            select(Member.id).where(Member.role.in_(["sponsor", "admin"])).order_by(Member.id)
        )
        by_country: dict[str, list[int]] = {}
        for index in self.verified:
            by_country.setdefault(self.m_country[index], []).append(index)
        ranked = sorted(by_country, key=lambda code: (-len(by_country[code]), code))
        # Sweden has no national group when the site starts: a Swedish member founds it.
        nationals = [c for c in ranked if c != "SE" and c not in held][: round(wanted * 0.3)]
        n_local = round(wanted * 0.45) if wanted > len(nationals) else 0
        n_topic = max(0, wanted - len(nationals) - n_local)
        if len(nationals) + n_local + n_topic < wanted:
            n_local += wanted - len(nationals) - n_local - n_topic
        cities = _cities_by_country(set(ranked))
        plans = []  # (name, kind, country, place, languages, description, founder pool)
        for code in nationals:
            language = words.COUNTRY_LANGUAGES.get(code, ("en",))[0]
            local_name = country_name(
                code, language if language in ("de", "fr", "es", "nb", "sv") else "en"
            )
            name = words.NATIONAL_NAMES.get(code, f"CML {country_name(code, 'en')}")
            description = words.NATIONAL_TEXT.get(language, words.NATIONAL_TEXT["en"])
            spoken = (language, "en") if language != "en" else ("en",)
            text_ = description.format(country=local_name)
            plans.append((name, "national", code, None, spoken, text_, by_country[code]))
        local_countries = rng.choices(
            ranked, weights=[len(by_country[c]) for c in ranked], k=n_local
        )
        used_cities: dict[str, int] = {}
        for code in local_countries:
            options = cities.get(code)
            if not options:
                code, options = "SE", cities.get("SE") or next(iter(cities.values()))
            city = options[used_cities.get(code, 0) % len(options)]
            used_cities[code] = used_cities.get(code, 0) + 1
            language = words.COUNTRY_LANGUAGES.get(code, ("en",))[0]
            pattern, description = words.LOCAL_PATTERNS.get(language, words.LOCAL_PATTERNS["en"])
            place = (f"{city.name}, {code}", city.latitude, city.longitude)
            text_ = description.format(city=city.name)
            founders = by_country.get(code, self.verified)
            plans.append(
                (pattern.format(city=city.name), "local", code, place, (language,), text_, founders)
            )
        for number in range(n_topic):
            name, language, description = words.TOPICS[number % len(words.TOPICS)]
            if number >= len(words.TOPICS):
                name = f"{name} {number // len(words.TOPICS) + 1}"
            plans.append((name, "topic", None, None, (language,), description, self.verified))

        self.groups = []  # (id, kind, country, visibility, status, join_policy, decided_at)
        self.g_members: list[list[int]] = []  # active member indexes per group
        rows, memberships = [], []
        for number, (name, kind, country, place, languages, description, pool) in enumerate(plans):
            pool = pool or self.verified
            founder = rng.choice(pool)
            for _ in range(20):  # founders have been members for a while
                if self.m_joined[founder] < self.until - 30 * DAY:
                    break
                founder = rng.choice(pool)
            created = self.after(self.m_joined[founder], 120)
            created = min(created, self.until - 3 * DAY)
            decided = created + 2 * DAY
            visibility = _weighted(
                rng, {"members": 65, "public": 25, "group": 10 if kind != "national" else 0}
            )
            policy = (
                "approval" if rng.random() < (0.3 if visibility == "group" else 0.12) else "open"
            )
            status = "archived" if kind != "national" and rng.random() < 0.05 else "active"
            slug = slugify(name)
            if slug in slugs or slug in ("new", "near", "map", "countries", "country", "proposals"):
                slug = f"{slug}-{base + number}"
            slugs.add(slug)
            group_id = base + number
            self.groups.append((group_id, kind, country, visibility, status, policy, decided))
            rows.append([
                group_id, slug, name, kind, country, *(place or (None, None, None)), description,
                ",".join(languages), visibility, policy, status, normalize(f"{name} {description}"),
                0, self.member_id(founder), staff, self.when(decided), None, self.when(created),
                self.when(decided),
            ])  # fmt: skip
            self.g_members.append([founder])
            memberships.append((group_id, founder, "moderator", "active", decided, decided))

        # Members join their country's national group, a local group, and a topic or two.
        national_of = {self.groups[i][2]: i for i in range(len(plans)) if plans[i][1] == "national"}
        locals_in: dict[str, list[int]] = {}
        topics = []
        for i, plan in enumerate(plans):
            if plan[1] == "local":
                locals_in.setdefault(plan[2], []).append(i)
            elif plan[1] == "topic":
                topics.append(i)
        founders = {(self.groups[i][0], self.g_members[i][0]) for i in range(len(plans))}
        for index in self.verified:
            country = self.m_country[index]
            chosen = []
            if country in national_of and rng.random() < 0.45:
                chosen.append(national_of[country])
            if locals_in.get(country) and rng.random() < 0.3:
                chosen.append(rng.choice(locals_in[country]))
            if topics:
                count = _weighted(rng, {0: 50, 1: 30, 2: 15, 3: 5})
                chosen.extend(rng.sample(topics, min(count, len(topics))))
            for g in chosen:
                group_id, _kind, _country, _vis, _status, policy, decided = self.groups[g]
                if (group_id, index) in founders:
                    continue
                asked = self.after(max(decided, self.m_joined[index]), 30)
                pending = policy == "approval" and rng.random() < 0.08
                role = "moderator" if not pending and rng.random() < 0.01 else "member"
                joined = None if pending else self.after(asked, 1)
                memberships.append(
                    (group_id, index, role, "pending" if pending else "active", asked, joined)
                )
                if not pending:
                    self.g_members[g].append(index)
        for g, row in enumerate(rows):
            row[14] = len(self.g_members[g])
        columns = (
            "id", "slug", "name", "kind", "country_code", "place_name", "latitude", "longitude",
            "description", "languages", "visibility", "join_policy", "status", "search_text",
            "member_count", "founder_id", "decided_by_id", "decided_at", "decision_note",
            "created_at", "updated_at",
        )  # fmt: skip
        self.out.write(Group.__table__, columns, (tuple(row) for row in rows))
        # Where each member may post: active groups they belong to, from when they joined.
        self.m_groups: dict[int, list[tuple[int, int]]] = {}
        membership_rows = []
        first_membership = self.next_id(GroupMembership)
        for number, (group_id, index, role, status, asked, joined) in enumerate(memberships):
            g = group_id - base
            if status == "active" and self.groups[g][4] == "active":
                self.m_groups.setdefault(index, []).append((g, joined))
            membership_rows.append((
                first_membership + number, group_id, self.member_id(index), role, status,
                self.when(asked), self.when(joined) if joined is not None else None,
            ))  # fmt: skip
        columns = ("id", "group_id", "member_id", "role", "status", "requested_at", "joined_at")
        self.out.write(GroupMembership.__table__, columns, membership_rows)

    # --- stories and words of support ------------------------------------------------------

    def plan_stories(self) -> None:
        rng, n = self.rng, self.sizes.stories
        texts = [(s.title, s.body, s.language) for s in STORIES]
        texts += [(s.title, s.body, s.language) for _slug, s in GROUP_STORIES]
        self.texts = texts
        swedish = [i for i, t in enumerate(texts) if t[2] == "sv"]
        english = [i for i, t in enumerate(texts) if t[2] == "en"]
        by_language: dict[str, list[int]] = {}
        for i, t in enumerate(texts):
            by_language.setdefault(t[2], []).append(i)
        # A few members write a lot, most a little (a long tail).
        writers = self.verified
        cum = list(accumulate(rng.paretovariate(1.2) for _ in writers))
        authors = rng.choices(writers, cum_weights=cum, k=n) if writers else []
        self.s_author = array("q", authors)
        self.s_created = array("q", bytes(8 * n))
        self.s_group = array("q", bytes(8 * n))  # group index + 1, 0 for none
        self.s_text = array("q", bytes(8 * n))
        self.s_vis: list[str] = []
        for i, author in enumerate(authors):
            created = self.after(self.m_joined[author], 200)
            group = 0
            mine = self.m_groups.get(author)
            if mine and rng.random() < 0.2:
                g, joined = rng.choice(mine)
                group, created = g + 1, max(created, joined)
            self.s_created[i], self.s_group[i] = created, group
            native = words.COUNTRY_LANGUAGES.get(self.m_country[author], ("en",))[0]
            if self.m_locale[author] == "sv" and rng.random() < 0.85:
                pool = swedish
            elif native in by_language and native not in ("en", "sv") and rng.random() < 0.5:
                pool = by_language[native]
            else:
                pool = english
            self.s_text[i] = rng.choice(pool)
            self.s_vis.append(_weighted(rng, {MEMBERS: 55, PUBLIC: 30, GROUPS: 10, PRIVATE: 5}))

    def audience(self, story: int) -> list[int] | None:
        """Who besides the author may read the story: None for every member, else a list."""
        visibility = self.s_vis[story]
        if visibility == PRIVATE:
            return []
        group = self.s_group[story] - 1
        if group >= 0 and self.groups[group][3] == "group":
            return self.g_members[group]
        if visibility == GROUPS:
            if group >= 0:
                return self.g_members[group]
            mine = self.m_groups.get(self.s_author[story])
            return self.g_members[mine[0][0]] if mine else []
        return None

    def plan_comments(self) -> None:
        rng, n, wanted = self.rng, self.sizes.stories, self.sizes.comments
        counts = array("q", bytes(8 * n))
        open_stories = [i for i in range(n) if self.audience(i) is None]
        if wanted and not open_stories:
            raise ValueError("no story that members may answer: generate more stories")
        # A few stories draw a crowd (50 words of support and more); many get one or two.
        left = wanted if open_stories else 0
        for story in rng.sample(open_stories, min(len(open_stories), max(1, n // 500))):
            take = min(left, rng.randint(50, 80))
            counts[story] += take
            left -= take
        if left:
            answered = rng.sample(open_stories, max(1, int(len(open_stories) * 0.45)))
            for story in rng.choices(answered, k=left):
                counts[story] += 1
        self.s_comments = counts
        sv_comments = [c.body for c in COMMENTS if _looks_swedish(c.body)] + list(
            words.EXTRA_COMMENTS["sv"]
        )
        other = [c.body for c in (*COMMENTS, *GROUP_COMMENTS) if not _looks_swedish(c.body)]
        pools = {"sv": sv_comments, "en": other + list(words.EXTRA_COMMENTS["en"])}
        for language, extra in words.EXTRA_COMMENTS.items():
            pools.setdefault(language, list(extra) + list(words.EXTRA_COMMENTS["en"]))
        self.comment_base = self.next_id(Comment)
        self.c_story = array("q")
        self.c_author = array("q")
        self.c_created = array("q")
        self.c_text: list[str] = []
        for story in range(n):
            language = self.texts[self.s_text[story]][2]
            for _ in range(counts[story]):
                author = rng.choice(self.verified)
                self.c_story.append(story)
                self.c_author.append(author)
                self.c_created.append(
                    self.after(max(self.s_created[story], self.m_joined[author]), 3)
                )
                self.c_text.append(rng.choice(pools.get(language, pools["en"])))

    # --- reactions -------------------------------------------------------------------------

    def plan_reactions(self) -> None:
        """How many hugs and high-fives each target gets (the senders are drawn when written)."""
        rng, wanted = self.rng, self.sizes.reactions
        n_s, n_c, n_m = self.sizes.stories, len(self.c_story), self.sizes.members
        everyone = len(self.verified)
        # Targets: stories (0), words of support (1), profiles (2); capacity per kind.
        caps, weights, keys = [], [], []
        for i in range(n_s):
            # The author always belongs to a story's audience, and sends nothing to themselves.
            pool = self.audience(i)
            size = everyone - 1 if pool is None else len(pool) - 1
            if size > 0:
                boost = 20 if self.s_comments[i] >= 50 else 1
                keys.append((0, i))
                caps.append(size)
                weights.append(rng.paretovariate(1.5) * boost * 7)
        for i in range(n_c):
            # Words of support are only on stories every member may read (plan_comments).
            size = everyone - 1
            if size > 0:
                keys.append((1, i))
                caps.append(size)
                weights.append(rng.paretovariate(2) * 2)
        for i in range(n_m):
            if self.m_profile_vis[i] in (PUBLIC, MEMBERS) and everyone > 1:
                keys.append((2, i))
                caps.append(everyone - (i in self.verified_set))
                weights.append(rng.paretovariate(2) * 1.5)
        if wanted and 2 * sum(caps) < wanted:
            raise ValueError("too many reactions for so few members: each sends one of a kind")
        self.hugs = {
            0: array("q", bytes(8 * n_s)),
            1: array("q", bytes(8 * n_c)),
            2: array("q", bytes(8 * n_m)),
        }
        self.high_fives = {
            0: array("q", bytes(8 * n_s)),
            1: array("q", bytes(8 * n_c)),
            2: array("q", bytes(8 * n_m)),
        }
        cum = list(accumulate(weights))
        left = wanted
        while left:
            for t in rng.choices(range(len(keys)), cum_weights=cum, k=left):
                kind, i = keys[t]
                hugs, fives = self.hugs[kind], self.high_fives[kind]
                if rng.random() < 0.65 and hugs[i] < caps[t]:
                    hugs[i] += 1
                elif fives[i] < caps[t]:
                    fives[i] += 1
                elif hugs[i] < caps[t]:
                    hugs[i] += 1
                else:
                    continue  # full: drawn again in the next round
                left -= 1
        self.reaction_targets = keys
        self.profile_hugs, self.profile_high_fives = self.hugs[2], self.high_fives[2]

    # --- writing the planned rows ----------------------------------------------------------

    def write_stories(self) -> None:
        self.story_base = self.next_id(Story)

        def rows():
            for i in range(self.sizes.stories):
                title, body, language = self.texts[self.s_text[i]]
                created = self.when(self.s_created[i])
                group = self.s_group[i]
                yield (
                    self.story_base + i, self.member_id(self.s_author[i]), title, body, language,
                    self.s_vis[i], None, self.groups[group - 1][0] if group else None,
                    self.hugs[0][i], self.high_fives[0][i], self.s_comments[i], created, created,
                )  # fmt: skip

        columns = (
            "id", "author_id", "title", "body", "language", "visibility", "submission_key",
            "group_id", "hug_count", "high_five_count", "comment_count", "created_at", "updated_at",
        )  # fmt: skip
        self.out.write(Story.__table__, columns, rows(), copy=True)

    def write_comments(self) -> None:
        def rows():
            for i in range(len(self.c_story)):
                created = self.when(self.c_created[i])
                yield (
                    self.comment_base + i, self.story_base + self.c_story[i],
                    self.member_id(self.c_author[i]), self.c_text[i], None, self.hugs[1][i],
                    self.high_fives[1][i], created, created,
                )  # fmt: skip

        columns = (
            "id", "story_id", "author_id", "body", "submission_key", "hug_count",
            "high_five_count", "created_at", "updated_at",
        )  # fmt: skip
        self.out.write(Comment.__table__, columns, rows(), copy=True)

    def _notification(self, recipient: int, actor: int, kind: str, moment: int, story, comment):
        if moment < self.until - NOTIFY_DAYS * DAY or recipient == actor:
            return None
        created = self.when(moment)
        read = self.when(self.after(moment, 2)) if moment < self.until - 7 * DAY else None
        mailed = created if self.m_email_pref[recipient] != "never" else None
        return (
            self.member_id(recipient),
            self.member_id(actor),
            kind,
            story,
            comment,
            created,
            read,
            mailed,
        )

    def reactions_and_notifications(self) -> Iterator[tuple[tuple, tuple | None]]:
        """(reaction row, notification row or None), target by target."""
        rng = self.rng
        reaction_id = self.next_id(Reaction)
        verified = self.verified
        for kind_of_target, i in self.reaction_targets:
            if kind_of_target == 0:
                owner, pool, since = self.s_author[i], self.audience(i), self.s_created[i]
                story, comment = self.story_base + i, None
            elif kind_of_target == 1:
                owner, pool, since = (
                    self.c_author[i],
                    self.audience(self.c_story[i]),
                    self.c_created[i],
                )
                story, comment = self.story_base + self.c_story[i], self.comment_base + i
            else:
                owner, pool, since = i, None, self.m_joined[i]
                story = comment = None
            for kind, counts in ((HUG, self.hugs), (HIGH_FIVE, self.high_fives)):
                wanted = counts[kind_of_target][i]
                if not wanted:
                    continue
                population = pool if pool is not None else verified
                take = min(len(population), wanted + 1)
                senders = [s for s in rng.sample(population, take) if s != owner][:wanted]
                for sender in senders:
                    moment = self.after(max(since, self.m_joined[sender]), 4)
                    row = (
                        reaction_id, self.member_id(sender), kind,
                        self.member_id(owner) if kind_of_target == 2 else None,
                        story if kind_of_target == 0 else None, comment, self.when(moment),
                    )  # fmt: skip
                    reaction_id += 1
                    yield row, self._notification(owner, sender, kind, moment, story, comment)

    def write_reactions(self) -> None:
        notifications: list[tuple] = []

        def rows():
            for reaction, notification in self.reactions_and_notifications():
                if notification is not None:
                    notifications.append(notification)
                yield reaction

        columns = ("id", "sender_id", "kind", "member_id", "story_id", "comment_id", "created_at")
        self.out.write(Reaction.__table__, columns, rows(), copy=True)
        for i in range(len(self.c_story)):
            story = self.c_story[i]
            row = self._notification(
                self.s_author[story], self.c_author[i], "comment", self.c_created[i],
                self.story_base + story, self.comment_base + i,
            )  # fmt: skip
            if row is not None:
                notifications.append(row)
        columns = ("id", "recipient_id", "actor_id", "kind", "story_id", "comment_id",
                   "created_at", "read_at", "emailed_at")  # fmt: skip
        first = self.next_id(Notification)
        numbered = ((first + n, *row) for n, row in enumerate(notifications))
        self.out.write(Notification.__table__, columns, numbered, copy=True)


def _looks_swedish(body: str) -> bool:
    return any(letter in body for letter in "åäöÅÄÖ") or body.startswith(("Kram", "Tack", "Samma"))


def _cities_by_country(codes: set[str]) -> dict:
    """The most populous cities of each of ``codes`` that has any."""
    cities = _largest_cities()
    return {code: cities[code] for code in sorted(codes) if code in cities}


@cache
def _largest_cities(per_country: int = 12) -> dict:
    """A dozen cities per country, most populous first (the gazetteer is sorted so)."""
    from ..groups.geocoding import read_gazetteer_rows

    found: dict[str, list] = {}
    for city, _keys in read_gazetteer_rows():
        kept = found.setdefault(city.country_code, [])
        if len(kept) < per_country:
            kept.append(city)
    return found


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
