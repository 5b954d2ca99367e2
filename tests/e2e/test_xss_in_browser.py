"""Every XSS payload in every field a person can fill, opened in Chromium: nothing runs.

The payloads (``tests/xss_payloads.py``) announce themselves with a marker ``XSS-<n>`` through a
dialog, the console or ``document.title`` if they ever run. They go into the live site through
its real forms (stories, words of support, notices, staff decisions, case notes, avatar
uploads, searches; the handle form refuses them all) or, for the many members whose profiles,
groups and reports carry one payload each, through the services those forms call. Then every
page that shows them is opened with the Content-Security-Policy bypassed, so that the proof rests
on escaping and sanitising, not on the policy alone; the pages that show many payloads (lists,
staff pages) are opened with the site's own policy too.

On each page: no dialog, no page error, no console line with a marker, the title the server
sent, and no element or attribute a payload could have brought in (checked in the live DOM).
"""

from __future__ import annotations

import html
import io
import re
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from urllib.parse import quote

import pyotp
from PIL import Image
from sqlalchemy import select

from cml_earth.extensions import db

from ..conftest import csrf_token
from ..live import Browser
from ..xss_payloads import PAYLOADS, executed_markers
from .site import PASSWORD, Site

#: Pages a Chromium context loads at once: the live site has two workers.
IN_FLIGHT = 2
#: The form base class refuses these characters (tests elsewhere prove it); such payloads
#: never reach the pages of fields posted through a form.
REFUSED_BY_FORMS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")

# What a payload could have put into the page, read from the live DOM (after the browser's own
# parsing and URL normalisation), minus the site's own scripts from /static/.
INJECTED_JS = """(label) => {
  const found = [];
  const banned = new Set(['iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'base',
                          'portal', 'svg', 'math', 'style', 'template']);
  const runs = (value) => {
    try { return /^(javascript|vbscript|data):/.test(new URL(value, location.href).protocol); }
    catch (error) { return false; }
  };
  for (const element of document.querySelectorAll('*')) {
    const tag = element.localName;
    if (banned.has(tag)) found.push(`<${tag}>`);
    if (tag === 'script' && !(element.getAttribute('src') || '').startsWith('/static/'))
      found.push(`<script src=${element.getAttribute('src')}>`);
    if (tag === 'meta' && element.hasAttribute('http-equiv')) found.push('<meta http-equiv>');
    if (tag === 'link' && !(element.getAttribute('href') || '').startsWith('/static/'))
      found.push(`<link href=${element.getAttribute('href')}>`);
    for (const attribute of element.attributes) {
      const name = attribute.name.toLowerCase();
      if (name.startsWith('on') || name === 'srcdoc') found.push(`<${tag} ${name}>`);
      if (['href', 'src', 'action', 'formaction', 'xlink:href', 'data', 'poster', 'srcset']
          .includes(name) && runs(attribute.value.trim()))
        found.push(`<${tag} ${name}=${attribute.value.slice(0, 40)}>`);
      if (name === 'style' && /expression|javascript|url\\(/i.test(attribute.value))
        found.push(`<${tag} style=${attribute.value.slice(0, 40)}>`);
      if (/XSS-\\d/.test(attribute.value)) found.push(`marker in <${tag} ${name}>`);
    }
  }
  // A marker as text: only a template evaluated on the server writes one (the payloads build
  // theirs in script, so their source never holds it).
  for (const marker of document.documentElement.textContent.match(/XSS-\\d+/g) || [])
    found.push(`marker ${marker} in the text`);
  const shown = label === null || document.body.innerText.includes(label);
  return {found, shown, title: document.title};
}"""

TITLE_RE = re.compile(r"<title>(.*?)</title>", re.S)


def _tag(number: int) -> str:
    """A visible label that proves a page shows the object carrying payload ``number``."""
    return f"xss{number:03d}"


def _line(number: int) -> str:
    """Payload ``number`` for a one-line field, after its label."""
    return f"{_tag(number)} {PAYLOADS[number]}"


def _text(number: int) -> str:
    """Payload ``number`` for a Markdown field: its own block, so block syntax still applies."""
    return f"{_tag(number)}\n\n{PAYLOADS[number]}"


def _refused(text: str) -> bool:
    return bool(REFUSED_BY_FORMS.search(text))


# --- putting the payloads in ------------------------------------------------------------------


@dataclass
class Corpus:
    """What the payloads were put into, and who looks at it."""

    author: str = "XssAuthor"
    friend: str = "XssFriend"
    staff: str = "XssAdmin"
    cookies: dict[str, list[dict]] = field(default_factory=dict)
    stories: dict[int, int] = field(default_factory=dict)  # payload -> story id
    comments: dict[int, int] = field(default_factory=dict)
    carriers: dict[int, str] = field(default_factory=dict)  # payload -> username
    groups: dict[int, str] = field(default_factory=dict)  # payload -> slug
    decisions: dict[int, int] = field(default_factory=dict)
    notes: set[int] = field(default_factory=set)
    notices: set[int] = field(default_factory=set)
    uploads: set[int] = field(default_factory=set)
    refused: dict[str, set[int]] = field(default_factory=dict)
    reported_item: int = 0
    notice_item: int = 0
    case_id: int = 0
    staff_browser: Browser | None = None

    def placed(self, where: str, number: int, status: int, text: str) -> bool:
        """Record a form's answer: stored (a redirect) or refused for a forbidden character."""
        if status == 302:
            return True
        assert status == 422 and _refused(text), (where, number, status)
        self.refused.setdefault(where, set()).add(number)
        return False


def _log_in(site: Site, username: str, totp_secret: str | None = None) -> Browser:
    browser = Browser(site.url)
    _, answer = browser.submit("/auth/login", {"login": username, "password": PASSWORD})
    assert answer.status == 302, answer.status
    if totp_secret:
        _, answer = browser.submit("/auth/two-factor", {"code": pyotp.TOTP(totp_secret).now()})
        assert answer.status == 302 and "/auth/" not in answer.location, answer.location
    return browser


def _cookies(site: Site, browser: Browser) -> list[dict]:
    return [{"name": c.name, "value": c.value, "url": site.url} for c in browser.cookies]


def _post(browser: Browser, path: str, token: str, data: dict):
    return browser.post(path, {"csrf_token": token, **data})


def _make_carriers(site: Site, count: int) -> dict[int, str]:
    """One member per payload, made in bulk; they never log in, so one shared hash is enough."""
    from cml_earth.auth.models import Member
    from cml_earth.auth.passwords import hash_password
    from cml_earth.database import utcnow

    names = {number: f"XssCarrier{number:03d}" for number in range(count)}
    with site.app.app_context():
        password_hash = hash_password(uuid.uuid4().hex)
        now = utcnow()
        for name in names.values():
            db.session.add(
                Member(
                    username=name,
                    email=f"{name.lower()}@example.org",
                    password_hash=password_hash,
                    role="patient",
                    country_code="SE",
                    locale="en",
                    timezone="Europe/Stockholm",
                    email_verified_at=now,
                    age_confirmed_at=now,
                    guidelines_accepted_at=now,
                    guidelines_version="test",
                )
            )
        db.session.commit()
    return names


def _write_stories_and_comments(site: Site, corpus: Corpus, author: Browser, friend: Browser):
    """Story title and body, and a word of support, per payload, through the live forms."""
    token = csrf_token(author.get("/stories/new").text)
    base = {"language": "en", "visibility": "public", "personal_details_ok": "y"}
    # Plain posts first: a member with published posts is no longer "new" (a new member's
    # posts with links wait for staff, and they may post only so often a day). Two more plain
    # stories are what the reports and the notices are about.
    plain = []
    for title in ("Warm-up one", "Warm-up two", "Reported by everyone", "Named in notices"):
        answer = _post(author, "/stories/new", token, {**base, "title": title, "body": title})
        assert answer.status == 302, answer.status
        plain.append(int(answer.location.rsplit("/", 1)[1]))
    friend_token = csrf_token(friend.get(f"/stories/{plain[0]}").text)
    for word in ("Warm wishes", "Thinking of you"):
        answer = _post(friend, f"/stories/{plain[0]}/comments", friend_token, {"body": word})
        assert answer.status == 302, answer.status
    for number in range(len(PAYLOADS)):
        data = {**base, "title": _line(number), "body": _text(number)}
        answer = _post(author, "/stories/new", token, data)
        if corpus.placed("story", number, answer.status, PAYLOADS[number]):
            corpus.stories[number] = int(answer.location.rsplit("/", 1)[1])
    for number, story_id in corpus.stories.items():
        data = {"body": _text(number), "personal_details_ok": "y"}
        answer = _post(friend, f"/stories/{story_id}/comments", friend_token, data)
        if corpus.placed("comment", number, answer.status, PAYLOADS[number]):
            corpus.comments[number] = int(answer.location.rsplit("-", 1)[1])
    return plain[2], plain[3]


def _send_notices(site: Site, corpus: Corpus, story_id: int) -> None:
    """DSA notices from a visitor without an account: location, explanation and name."""
    visitor = Browser(site.url)
    token = csrf_token(visitor.get("/report/notice").text)
    for number in range(len(PAYLOADS)):
        data = {
            "reason": "other",
            "location": f"{site.url}/stories/{story_id}?{_line(number)}",
            "explanation": _text(number),
            "name": _line(number),
            "email": "notice-sender@example.org",
            "good_faith": "y",
        }
        answer = _post(visitor, "/report/notice", token, data)
        if corpus.placed("notice", number, answer.status, PAYLOADS[number]):
            corpus.notices.add(number)


def _fill_profiles_groups_reports(site: Site, corpus: Corpus, reported_story: int) -> None:
    """Each carrier: the profile story, a proposed group (name, description) and a report
    ("other", with details) on one story; a report on the matching word of support."""
    from cml_earth.auth.models import Member
    from cml_earth.groups import services as groups
    from cml_earth.moderation import services as moderation
    from cml_earth.moderation.models import ModerationItem
    from cml_earth.profiles import services as profiles
    from cml_earth.stories.models import Comment, Story

    with site.app.app_context(), site.app.test_request_context():
        story = db.session.get(Story, reported_story)
        for number, name in corpus.carriers.items():
            member = db.session.scalar(select(Member).where(Member.username == name))
            profiles.update_profile(
                member, username=name, story=_text(number), languages=["en"], health=None
            )
            group = groups.propose_group(
                member,
                name=_line(number),
                kind="topic",
                country_code=None,
                description=_text(number),
                languages=["en"],
                visibility="public",
                join_policy="open",
            )
            corpus.groups[number] = group.slug
            moderation.report(member, "story", story, "other", _line(number))
            if number in corpus.comments:
                comment = db.session.get(Comment, corpus.comments[number])
                moderation.report(member, "comment", comment, "spam", "")
        db.session.commit()
        corpus.reported_item = db.session.scalar(
            select(ModerationItem.id).where(
                ModerationItem.target_type == "story", ModerationItem.target_id == reported_story
            )
        )


def _item_of(site: Site, target_type: str, target_id: int) -> int:
    from cml_earth.moderation.models import ModerationItem

    return site.scalar(
        select(ModerationItem.id).where(
            ModerationItem.target_type == target_type,
            ModerationItem.target_id == target_id,
            ModerationItem.status == "open",
        )
    )


def _staff_decisions(site: Site, corpus: Corpus, staff: Browser, notice_story: int) -> None:
    """A warning per word of support with the reasons a payload; a case's notes, one each."""
    from cml_earth.moderation.models import Decision

    token = csrf_token(staff.get("/moderation/").text)
    for number, comment_id in corpus.comments.items():
        item = _item_of(site, "comment", comment_id)
        data = {"action": "warn", "ground": "spam", "explanation": _text(number)}
        answer = _post(staff, f"/moderation/items/{item}", token, data)
        if corpus.placed("decision", number, answer.status, PAYLOADS[number]):
            corpus.decisions[number] = site.scalar(
                select(Decision.id).where(Decision.item_id == item)
            )
    corpus.notice_item = _item_of(site, "story", notice_story)
    answer = _post(staff, f"/safety/from-item/{corpus.notice_item}", token, {})
    assert answer.status == 302, answer.status
    corpus.case_id = int(answer.location.rsplit("/", 1)[1])
    case = f"/safety/cases/{corpus.case_id}"
    criteria = {name: "y" for name in ("has_reporter", "has_patient", "has_medicine")}
    answer = _post(staff, case, token, {**criteria, "has_reaction": "y", "narrative": "Noted."})
    assert answer.status == 302, answer.status
    # not a case <-> valid case, as often as there are payloads: each move keeps its note.
    status = "new"
    for number in range(len(PAYLOADS)):
        to = "valid_case" if status == "not_a_case" else "not_a_case"
        data = {"status": to, "expected": status, "note": _text(number)}
        answer = _post(staff, f"{case}/status", token, data)
        if corpus.placed("case note", number, answer.status, PAYLOADS[number]):
            corpus.notes.add(number)
            status = to


def _upload_avatars(corpus: Corpus, author: Browser) -> None:
    """The author's picture, uploaded once per payload as its file name."""
    picture = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 120, 40)).save(picture, "PNG")
    token = csrf_token(author.get("/settings/avatar").text)
    for number, payload in enumerate(PAYLOADS):
        answer = _multipart(author, "/settings/avatar", token, payload, picture.getvalue())
        assert answer.status == 302, (number, answer.status, answer.text[:300])
        corpus.uploads.add(number)


def _multipart(browser: Browser, path: str, token: str, filename: str, content: bytes):
    """A file upload (urllib has no multipart of its own)."""
    boundary = uuid.uuid4().hex
    quoted = filename.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "").replace("\n", "")
    body = b"".join(
        [
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
            f"{token}\r\n".encode(),
            f'--{boundary}\r\nContent-Disposition: form-data; name="avatar"; '
            f'filename="{quoted}"\r\nContent-Type: image/png\r\n\r\n'.encode(),
            content,
            f"\r\n--{boundary}--\r\n".encode(),
        ]
    )
    request = urllib.request.Request(
        browser._url(path),
        data=body,
        method="POST",
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    return browser._open(request)


def _try_usernames(corpus: Corpus, author: Browser) -> None:
    """The handle is the only name a member shows: its form takes letters, digits, dots,
    dashes and underscores only, so every payload is refused there and nothing changes."""
    token = csrf_token(author.get("/settings/profile").text)
    for number, payload in enumerate(PAYLOADS):
        answer = _post(author, "/settings/profile", token, {"username": payload, "story": ""})
        assert answer.status == 422, (number, answer.status)
        corpus.refused.setdefault("username", set()).add(number)
    assert author.get(f"/members/{corpus.author}").status == 200


def _approve_groups(corpus: Corpus, staff: Browser) -> None:
    token = csrf_token(staff.get("/groups/proposals").text)
    for slug in corpus.groups.values():
        answer = _post(staff, f"/groups/{slug}/approve", token, {})
        assert answer.status == 302, (slug, answer.status)


def _plant(site: Site) -> Corpus:
    corpus = Corpus()
    site.make_member(corpus.author)
    site.make_member(corpus.friend)
    staff = site.make_member(corpus.staff, role="admin", safety_access=True)
    author, friend = _log_in(site, corpus.author), _log_in(site, corpus.friend)
    staff_browser = _log_in(site, corpus.staff, staff.totp_secret)
    corpus.carriers = _make_carriers(site, len(PAYLOADS))
    reported_story, notice_story = _write_stories_and_comments(site, corpus, author, friend)
    _send_notices(site, corpus, notice_story)
    _fill_profiles_groups_reports(site, corpus, reported_story)
    _staff_decisions(site, corpus, staff_browser, notice_story)
    _upload_avatars(corpus, author)
    _try_usernames(corpus, author)
    corpus.cookies = {
        "author": _cookies(site, author),
        "friend": _cookies(site, friend),
        "staff": _cookies(site, staff_browser),
        "visitor": [],
    }
    corpus.staff_browser = staff_browser
    return corpus


# --- looking at the pages ---------------------------------------------------------------------


@dataclass
class Tab:
    """A page of a context with its own record of what happened behind the scenes."""

    page: object
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    def __post_init__(self):
        def on_dialog(dialog):
            self.dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        self.page.on("dialog", on_dialog)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("console", lambda message: self.console.append(message.text))


@dataclass(frozen=True)
class Look:
    """A page to open: its path, the label it must show (if any) and the statuses it may have."""

    path: str
    label: str | None = None
    statuses: tuple[int, ...] = (200,)


class Lens:
    """One person (cookies) in one Chromium context, with or without the site's CSP."""

    def __init__(self, visitor, cookies: list[dict], csp: bool):
        self.context = visitor.page.context
        self.csp = csp
        if cookies:
            self.context.add_cookies(cookies)
        # Pages of its own, with its own hooks: the visitor's page keeps the fixture's hooks,
        # and two handlers must not both answer one dialog.
        self.tabs = [Tab(self.context.new_page()) for _ in range(IN_FLIGHT)]
        self.opened = 0
        self.findings: list[str] = []

    def look(self, site: Site, looks: list[Look]) -> None:
        """Open every page, a few at once, and note whatever a payload did there."""
        for start in range(0, len(looks), len(self.tabs)):
            batch = list(zip(self.tabs, looks[start : start + len(self.tabs)], strict=False))
            answers = [
                tab.page.goto(site.url + look.path, wait_until="commit") for tab, look in batch
            ]
            for (tab, look), answer in zip(batch, answers, strict=True):
                tab.page.wait_for_load_state("load")
                self._check(tab, look, answer)

    def _check(self, tab: Tab, look: Look, answer) -> None:
        self.opened += 1
        where = f"{'CSP' if self.csp else 'no CSP'} {look.path[:80]!r}"
        assert answer is not None and answer.status in look.statuses, (where, answer.status)
        seen = tab.page.evaluate(INJECTED_JS, look.label)
        found = TITLE_RE.search(answer.text())
        # The HTML parser reads a NUL in text as U+FFFD.
        sent = html.unescape(found.group(1)).replace("\x00", "\ufffd") if found else ""
        problems = [
            *(f"dialog {dialog}" for dialog in tab.dialogs),
            *(f"page error {error}" for error in tab.errors),
            *(f"console {line!r}" for line in tab.console if executed_markers(line)),
            *(f"injected {element}" for element in seen["found"]),
        ]
        if " ".join(seen["title"].split()) != " ".join(sent.split()):
            problems.append(f"title {seen['title']!r}, not the one sent: {sent!r}")
        if not seen["shown"]:
            problems.append(f"does not show {look.label!r}")
        self.findings.extend(f"{where}: {problem}" for problem in problems)
        tab.dialogs.clear()
        tab.errors.clear()
        tab.console.clear()


def _pages_of(path: str, count: int, per_page: int) -> list[Look]:
    """Every page of a list of ``count`` things."""
    joiner = "&" if "?" in path else "?"
    return [Look(f"{path}{joiner}page={page}") for page in range(1, -(-count // per_page) + 1)]


def _labelled(paths: dict[int, str]) -> list[Look]:
    """One page per payload, which must show that payload's label."""
    return [Look(path, _tag(number)) for number, path in sorted(paths.items())]


def _searches(path: str, form_limit: int | None) -> list[Look]:
    """Each payload as the query: a NUL is refused outright (400); a query a search form
    (``form_limit``: its longest query) refuses comes back in the form (422)."""
    looks = []
    for payload in PAYLOADS:
        status = 400 if "\x00" in payload else 200
        if status == 200 and form_limit and (len(payload) > form_limit or _refused(payload)):
            status = 422
        looks.append(Look(f"{path}{quote(payload, safe='')}", statuses=(status,)))
    return looks


#: Pages that show one payload each are opened without the CSP only (see ``look``).
ONE_PAYLOAD = (False,)


def test_no_payload_runs_or_is_injected_in_any_page(site, visit):
    started = time.monotonic()
    corpus = _plant(site)
    planted = time.monotonic() - started
    lenses = {
        (who, csp): Lens(visit(site, "en", bypass_csp=not csp), corpus.cookies[who], csp)
        for who in ("author", "friend", "staff", "visitor")
        for csp in (True, False)
    }
    timings: dict[str, float] = {}
    planned = {"count": 0}

    def look(who: str, what: str, looks: list[Look], modes=(True, False)) -> None:
        """Open ``looks`` with the site's CSP and without it (the stricter test: a payload
        the CSP would stop still runs there). Pages of one payload each are opened only
        without it: the same proof at half the cost."""
        planned["count"] += len(modes) * len(looks)
        begun = time.monotonic()
        for csp in modes:
            lenses[who, csp].look(site, looks)
        timings[what] = time.monotonic() - begun

    # Staff first: the proposals wait for them, with every group's name and description.
    look("staff", "proposals", [Look("/groups/proposals")])
    _approve_groups(corpus, corpus.staff_browser)
    items = [corpus.reported_item, corpus.notice_item]
    look(
        "staff",
        "staff pages",
        [
            *(Look(f"/moderation/items/{item}", _tag(0)) for item in items),
            Look(f"/safety/cases/{corpus.case_id}", _tag(0)),
            Look("/safety/"),
            Look("/moderation/log"),
            Look(f"/moderation/members/{corpus.friend}"),
            *_pages_of("/moderation/", len(PAYLOADS) + 2, 25),
        ],
    )
    look(
        "author",
        "stories",
        _labelled({n: f"/stories/{i}" for n, i in corpus.stories.items()}),
        ONE_PAYLOAD,
    )
    stories = len(corpus.stories) + 4
    look(
        "author",
        "lists",
        [
            *_pages_of("/feed", stories, 20),
            *_pages_of(f"/members/{corpus.author}/stories", stories, 20),
            Look(f"/members/{corpus.author}"),
            *_pages_of("/notifications", len(corpus.comments), 20),
            Look("/settings/avatar"),
            *_pages_of("/members/", len(PAYLOADS) + 3, 30),
            *_pages_of("/groups/", len(PAYLOADS), 20),
        ],
    )
    look(
        "author",
        "profiles",
        _labelled({n: f"/members/{u}" for n, u in corpus.carriers.items()}),
        ONE_PAYLOAD,
    )
    look(
        "visitor",
        "groups",
        _labelled({n: f"/groups/{s}" for n, s in corpus.groups.items()}),
        ONE_PAYLOAD,
    )
    decisions = {n: f"/moderation/decisions/{d}" for n, d in corpus.decisions.items()}
    look("friend", "decisions", _labelled(decisions), ONE_PAYLOAD)
    look(
        "friend",
        "friend's lists",
        [Look("/moderation/decisions"), *_pages_of("/notifications", len(decisions), 20)],
    )
    look("author", "search", _searches("/search?q=", form_limit=None), ONE_PAYLOAD)
    look("visitor", "group search", _searches("/groups/?q=", form_limit=100), ONE_PAYLOAD)

    opened = sum(lens.opened for lens in lenses.values())
    with_csp = sum(lens.opened for lens in lenses.values() if lens.csp)
    findings = [finding for lens in lenses.values() for finding in lens.findings]
    stored = {
        "story title and body": len(corpus.stories),
        "word of support": len(corpus.comments),
        "profile story": len(corpus.carriers),
        "group name and description": len(corpus.groups),
        "report details": len(corpus.carriers),
        "notice location, explanation and name": len(corpus.notices),
        "decision reasons": len(corpus.decisions),
        "case note": len(corpus.notes),
        "avatar file name": len(corpus.uploads),
        "search and group search query": len(PAYLOADS),
    }
    print(
        f"\nXSS in the browser: {len(PAYLOADS)} payloads; stored or sent per field: {stored}; "
        f"refused by the form: { {k: len(v) for k, v in corpus.refused.items()} }; "
        f"{opened} page loads ({with_csp} with the CSP, {opened - with_csp} without); "
        f"planting {planted:.1f} s, all {time.monotonic() - started:.1f} s; "
        f"{ {what: round(seconds, 1) for what, seconds in timings.items()} }"
    )
    assert not findings, "\n".join(findings[:40])
    assert len(PAYLOADS) >= 50
    # Every payload reached every field, but for those a form refuses for a control character.
    with_controls = {number for number, payload in enumerate(PAYLOADS) if _refused(payload)}
    names = corpus.refused.pop("username")
    assert names == set(range(len(PAYLOADS)))
    assert with_controls and all(v == with_controls for v in corpus.refused.values())
    for where, count, tried in (
        ("story", len(corpus.stories), len(PAYLOADS)),
        ("comment", len(corpus.comments), len(corpus.stories)),
        ("notice", len(corpus.notices), len(PAYLOADS)),
        ("decision", len(corpus.decisions), len(corpus.comments)),
        ("case note", len(corpus.notes), len(PAYLOADS)),
    ):
        assert count + len(corpus.refused.get(where, ())) == tried, where
    assert len(corpus.carriers) == len(corpus.groups) == len(corpus.uploads) == len(PAYLOADS)
    # A page per payload for stories, profiles, groups, decisions and both searches.
    per_payload = len(corpus.stories) * 2 + len(PAYLOADS) * 4
    assert opened == planned["count"] and opened - with_csp >= per_payload
