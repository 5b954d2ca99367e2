"""Members, consents, profiles, groups and memberships for ``flask demo generate``.

``PeoplePlanner`` plans the members (country, language, role, join date, username, who is
verified) and writes them with their health-data consents; plans and writes the groups
(national, local, topic) with their memberships, which decide where members may post; and
writes the profiles, whose hug and high-five counters come from ``ContentPlanner``'s plan of
the reactions.
"""

from __future__ import annotations

import hashlib
from array import array
from itertools import accumulate

from argon2 import PasswordHasher, Type
from sqlalchemy import select

from ..auth.models import Consent, ConsentPurpose, Member
from ..auth.services import consent_text_hash
from ..extensions import db
from ..groups.countries import normalize
from ..groups.models import Group, GroupMembership
from ..groups.services import slugify
from ..i18n import country_codes, country_name, default_timezone_for
from ..profiles.models import Profile
from . import generate_data as words
from .data import DEMO_PASSWORD, PROFILES
from .generate_base import (
    DAY,
    GENERATED_DOMAIN,
    GROUPS,
    MEMBERS,
    PRIVATE,
    PUBLIC,
    GeneratorBase,
    cities_by_country,
    weighted,
)


class PeoplePlanner(GeneratorBase):
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
                weighted(rng, {"never": 70, "weekly": 15, "daily": 10, "each": 5})
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
                weighted(rng, {MEMBERS: 60, PUBLIC: 25, GROUPS: 10, PRIVATE: 5})
            )
        self.verified_set = set(self.verified)

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
        cities = cities_by_country(set(self.m_country))
        this_year = self.when(self.until).year

        def vis(common: str) -> str:
            return weighted(rng, {common: 70, MEMBERS: 15, PUBLIC: 8, GROUPS: 5, PRIVATE: 2})

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
                    phase = weighted(rng, {"chronic": 92, "accelerated": 5, "blast": 3})
                    treatment = weighted(rng, treatments)
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
        cities = cities_by_country(set(ranked))
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
            visibility = weighted(
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
                count = weighted(rng, {0: 50, 1: 30, 2: 15, 3: 5})
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
