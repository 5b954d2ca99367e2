"""Stories, words of support, reactions and notifications for ``flask demo generate``.

``ContentPlanner`` plans who writes which story when (and in which group), who may read it,
how many words of support each story gets and how many hugs and high-fives each story, word of
support and profile gets; then writes stories, words of support, reactions and the
notifications those would have sent. It reads the members and groups ``PeoplePlanner`` planned.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from itertools import accumulate

from ..notifications.models import Notification
from ..reactions.models import Reaction
from ..stories.models import Comment, Story
from . import generate_data as words
from .generate_base import (
    DAY,
    GROUPS,
    HIGH_FIVE,
    HUG,
    MEMBERS,
    NOTIFY_DAYS,
    PRIVATE,
    PUBLIC,
    GeneratorBase,
    looks_swedish,
    weighted,
)
from .group_data import GROUP_COMMENTS, GROUP_STORIES
from .story_data import COMMENTS, STORIES


class ContentPlanner(GeneratorBase):
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
            self.s_vis.append(weighted(rng, {MEMBERS: 55, PUBLIC: 30, GROUPS: 10, PRIVATE: 5}))

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
        sv_comments = [c.body for c in COMMENTS if looks_swedish(c.body)] + list(
            words.EXTRA_COMMENTS["sv"]
        )
        other = [c.body for c in (*COMMENTS, *GROUP_COMMENTS) if not looks_swedish(c.body)]
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
