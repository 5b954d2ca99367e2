"""Fuzzing every form: Hypothesis posts generated values to every route that accepts POST.

Values per field: arbitrary Unicode (NUL, control characters, RTL marks, emoji, combining
marks), empty, huge (up to 100,000 characters), numbers where text belongs and text where
numbers, dates or choices belong, the same field twice with different values, missing fields
and unknown extra fields; sometimes the body is multipart or carries undecodable bytes, and
sometimes the path parameters are ids that do not exist, huge integers or odd text.

Invariants per example: never a 5xx; when the answer is not a success (4xx, or the form sent
back), the row count of every table is unchanged (audit events of failed logins and codes, which
are kept on purpose, aside): nothing half-written. Some successful writes are checked whole.

One test per form, per database backend. Examples per form: 200 on SQLite and 25 on PostgreSQL
(``FUZZ_EXAMPLES`` and ``FUZZ_EXAMPLES_POSTGRESQL`` change them); all of them on PostgreSQL
would make the file take longer than the rest of the suite. The SQLite runs find the bugs of
the code, the PostgreSQL runs those of the stricter database (NUL bytes, integer ranges).

Personas are logged in by opening a server-side session directly (the login forms themselves
are fuzzed here too): a real login per persona and example would cost a password hash each.
For the same reason the apps here hash passwords with argon2's cheapest settings.
``test_every_form_is_fuzzed`` fails for any POST route without an entry in FORMS.
"""

from __future__ import annotations

import io
import os
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import quote, urlencode

import pyotp
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, literal, select, union_all
from werkzeug.datastructures import MultiDict
from werkzeug.test import encode_multipart

from cml_earth.auth.models import Member, MemberSession, token_digest
from cml_earth.database import utcnow
from cml_earth.extensions import db

from .conftest import PASSWORD, TEST_RECOVERY_CODES, TEST_TOTP_SECRET, csrf_token

IN_CI = os.environ.get("CI", "").lower() == "true"
EXAMPLES = {
    "sqlite": int(os.environ.get("FUZZ_EXAMPLES", "200")),
    "postgresql": int(os.environ.get("FUZZ_EXAMPLES_POSTGRESQL", "25")),
}
if IN_CI:
    assert EXAMPLES["sqlite"] >= 200, "CI fuzzes every form at least 200 times"

for _backend, _count in EXAMPLES.items():
    settings.register_profile(
        f"fuzz-forms-{_backend}",
        max_examples=_count,
        deadline=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
        ],
        derandomize=True,
        database=None,
        print_blob=True,
    )

#: Audit events a failed request keeps on purpose (wrong password, wrong code).
KEPT_ON_FAILURE = ("member.login_failed", "two_factor_failed")
NEW_PASSWORD = "an old boat under the pines"


@pytest.fixture
def app_config(app_config) -> dict:
    """The test configuration with the cheapest password hashing argon2 allows.

    Hashing is not what is fuzzed here, and a dozen forms check or set a password on most
    examples: at the test setting (19 MiB) that alone would take longer than the rest.
    """
    return app_config | {"ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024}


# --- generated values ------------------------------------------------------------------------

ODD = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\t",
    "\r\n",
    "\x7f",
    "\u202e\u0635\u0628\u0627\u062d",
    "\u200f",
    "\ufeff",
    "\ufffd",
    "🙂",
    "👩‍👩‍👧",
    "e\u0301\u0301\u0301",
    "ｆｕｌｌ",
    "İı",
    "ß",
    "Σ",
    "0",
    "-1",
    "1e309",
    "NaN",
    "-0",
    "999999999999999999999999999999",
    "2147483648",
    "9223372036854775808",
    "0x10",
    "１２",
    "2026-02-30",
    "9999-12-31",
    "0001-01-01",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "%00",
    "%FF",
    "../../etc/passwd",
    "null",
    "None",
    "[]",
    "{}",
    "y",
    "on",
    "true",
    "false",
    "//evil.example",
    "javascript:alert(1)",
    "http://localhost/stories/1",
    "@",
    "a@b",
]
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
HUGE = st.builds(
    lambda piece, times: (piece * times)[:100_000],
    st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=3),
    st.integers(100, 100_000),
)
NUMBERS = st.one_of(st.integers(-(10**30), 10**30).map(str), st.floats(allow_nan=True).map(repr))
# Huge values are a tenth of the garbage: each costs a few milliseconds to send and to show.
GARBAGE = st.one_of(*[st.sampled_from(ODD), TEXT, NUMBERS] * 3, HUGE)


@dataclass(frozen=True)
class Live:
    """A value known only when the example runs (a fresh token, the current code)."""

    name: str


def value(good: list | st.SearchStrategy) -> st.SearchStrategy:
    """A field's value: one of the good ones (so that forms also succeed) or garbage."""
    good = good if isinstance(good, st.SearchStrategy) else st.sampled_from(good)
    return st.one_of(good, good, GARBAGE)


@st.composite
def occurrences(draw, name: str, values: st.SearchStrategy) -> list[tuple[str, object]]:
    """A field sent once (mostly), not at all, or several times with different values."""
    how = draw(st.sampled_from(["once"] * 5 + ["missing", "repeated"]))
    if how == "missing":
        return []
    if how == "once":
        return [(name, draw(values))]
    return [(name, v) for v in draw(st.lists(values, min_size=2, max_size=3))]


EXTRA_NAMES = st.one_of(
    st.sampled_from(["next", "back", "id", "member_id", "role", "csrf_token", "submit", ""]), TEXT
)


@dataclass
class Example:
    pairs: list[tuple[str, object]]
    csrf: str  # "valid", "missing" or "garbage"
    encoding: str  # "form", "multipart" or "raw"
    path: dict[str, object]  # path values replaced by odd ones


def example_strategy(spec: FuzzForm) -> st.SearchStrategy[Example]:
    field_parts = [occurrences(name, value(good)) for name, good in spec.fields.items()]
    path_parts = {
        name: st.one_of(st.none(), st.none(), st.none(), st.none(), _odd_path_value(kind))
        for name, kind in spec.path_kinds().items()
    }

    @st.composite
    def build(draw):
        pairs = [pair for part in field_parts for pair in draw(part)]
        pairs += draw(st.lists(st.tuples(EXTRA_NAMES, GARBAGE), max_size=3))
        if draw(st.booleans()):
            pairs = draw(st.permutations(pairs))
        odd = {name: draw(part) for name, part in path_parts.items()}
        return Example(
            pairs=pairs,
            csrf=draw(st.sampled_from(["valid"] * 8 + ["missing", "garbage"])),
            encoding=draw(st.sampled_from(["form"] * 4 + ["multipart", "raw"])),
            path={name: v for name, v in odd.items() if v is not None},
        )

    return build()


def _odd_path_value(kind: str) -> st.SearchStrategy:
    if kind == "int":
        return st.one_of(
            st.integers(0, 10**6), st.integers(2**31 - 2, 2**31 + 2), st.integers(2**63, 10**40)
        )
    if kind.startswith("any("):
        return st.one_of(st.sampled_from(re.findall(r"\w+", kind[4:])), TEXT)
    return st.one_of(st.sampled_from(ODD).filter(bool), TEXT.filter(bool))


# --- the world a form is fuzzed in ---------------------------------------------------------


class World:
    """The app, the logged-in browser, the personas and the things a form works on."""

    def __init__(self, app, make_member, backend: str):
        self.app = app
        self.make_member = make_member
        self.backend = backend
        self.client = app.test_client()
        self.token = ""
        self.persona = None
        self.path: dict[str, object] = {}
        self.things: dict[str, object] = {}
        self._counts = _count_query()

    # Personas and sessions.

    def log_in(self, member) -> None:
        """Open a server-side session for ``member`` and give it to the browser."""
        token = secrets.token_urlsafe(32)
        with self.app.app_context():
            db.session.add(
                MemberSession(
                    member_id=member.id,
                    token_hash=token_digest(token),
                    expires_at=utcnow() + timedelta(hours=2),
                )
            )
            db.session.commit()
        with self.client.session_transaction() as session:
            session.clear()
            session["_user_id"] = token
            session["_fresh"] = True
        self.persona = member
        self.refresh_token()

    def new_browser(self) -> None:
        self.client = self.app.test_client()
        self.refresh_token()

    def refresh_token(self, page: str = "/auth/reset") -> None:
        """A CSRF token of this browser's session (any page with a form has one)."""
        response = self.client.get(page)
        self.token = csrf_token(response.get_data(as_text=True))

    def member(self, name: str, **kwargs):
        """A persona made once per test under ``name``."""
        if name not in self.things:
            self.things[name] = self.make_member(**kwargs)
        return self.things[name]

    # Reading the database.

    def counts(self) -> dict[str, int]:
        with self.app.app_context():
            return dict(db.session.execute(self._counts).all())

    def run(self, function, *args, **kwargs):
        with self.app.app_context():
            result = function(*args, **kwargs)
            db.session.commit()
            return result


def _count_query():
    """One query counting the rows of every table; kept audit events counted on their own."""
    parts = []
    for table in db.metadata.sorted_tables:
        if table.name == "audit_events":
            kept = table.c.kind.in_(KEPT_ON_FAILURE)
            parts.append(_count_of(table, "audit_events").where(~kept))
            parts.append(_count_of(table, "audit_events (kept)").where(kept))
        else:
            parts.append(_count_of(table, table.name))
    return union_all(*parts)


def _count_of(table, name: str):
    return select(literal(name), func.count()).select_from(table)


# --- things to fuzz on (made in the database directly) ---------------------------------------


def _story(author_id: int, title: str = "Month three", **fields) -> int:
    from cml_earth.stories.models import Story

    story = Story(
        author_id=author_id,
        title=title,
        body=fields.pop("body", "The nurse said my numbers look fine."),
        language="en",
        visibility=fields.pop("visibility", "members"),
        **fields,
    )
    db.session.add(story)
    db.session.flush()
    return story.id


def _comment(story_id: int, author_id: int) -> int:
    from cml_earth.stories.models import Comment, Story

    comment = Comment(story_id=story_id, author_id=author_id, body="Thinking of you.")
    db.session.add(comment)
    db.session.get(Story, story_id).comment_count += 1
    db.session.flush()
    return comment.id


def _group(slug: str, *, status: str = "active", policy: str = "open", founder_id=None) -> int:
    from cml_earth.groups.models import Group

    group = Group(
        slug=slug,
        name=slug.replace("-", " ").title(),
        kind="topic",
        description="About it.",
        languages="en",
        visibility="members",
        join_policy=policy,
        status=status,
        search_text=slug,
        founder_id=founder_id,
    )
    db.session.add(group)
    db.session.flush()
    return group.id


def _membership(group_id: int, member_id: int, **fields) -> int:
    from cml_earth.groups.models import Group, GroupMembership

    row = GroupMembership(group_id=group_id, member_id=member_id, **fields)
    if row.status != "pending":
        row.joined_at = utcnow()
        db.session.get(Group, group_id).member_count += 1
    db.session.add(row)
    db.session.flush()
    return row.id


def _consent(member_id: int) -> None:
    from cml_earth.auth.models import ConsentPurpose
    from cml_earth.auth.services import give_consent

    give_consent(db.session.get(Member, member_id), ConsentPurpose.HEALTH_DATA, "test")


def _item_on_story(author_id: int) -> int:
    from cml_earth.moderation import services
    from cml_earth.stories.models import Story

    story = db.session.get(Story, _story(author_id, title="Buy cheap pills"))
    return services.open_item_for("story", story, "report:spam").id


def _case(author_id: int) -> int:
    from cml_earth.safety import services
    from cml_earth.safety.detection import detect_adverse_event
    from cml_earth.stories.models import Story

    body = "Since switching to Tasigna I have a rash"
    story = db.session.get(Story, _story(author_id, body=body))
    author = db.session.get(Member, author_id)
    return services.open_case_from_detection(author, "story", story, detect_adverse_event(body)).id


def _asked_case(author_id: int, staff_id: int) -> int:
    from cml_earth.safety import consent, services

    case_id = _case(author_id)
    consent.request_contact(services.find_case(case_id), db.session.get(Member, staff_id))
    return case_id


def _decision(member_id: int) -> int:
    from cml_earth.moderation.models import Decision

    decision = Decision(member_id=member_id, action="warn", ground="spam", explanation="Spam.")
    db.session.add(decision)
    db.session.flush()
    return decision.id


def _notification(recipient_id: int, actor_id: int) -> int:
    from cml_earth.notifications.models import Notification

    row = Notification(recipient_id=recipient_id, actor_id=actor_id, kind="follow")
    db.session.add(row)
    db.session.flush()
    return row.id


def _token(purpose: str, payload: dict) -> str:
    from cml_earth.auth import tokens

    return tokens.make(purpose, payload)


def _fingerprint(value: str) -> str:
    from cml_earth.auth import tokens

    return tokens.fingerprint(value)


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 80, 40)).save(buffer, "PNG")
    return buffer.getvalue()


PNG = _png()


# --- the forms ------------------------------------------------------------------------------


@dataclass(frozen=True)
class FuzzForm:
    """How to fuzz one POST route.

    ``persona``: who sends it (made fresh by ``World.member``); ``setup`` makes what the route
    works on and returns its path values; ``live`` gives values only known per example (tokens,
    codes); ``after_success`` puts things back when a success used them up (a deleted story);
    ``succeeded`` tells a success from a refusal; ``check`` looks at a successful write.
    """

    rule: str
    fields: dict[str, list | st.SearchStrategy] = field(default_factory=dict)
    persona: str = "patient"
    setup: Callable[[World], dict] = lambda world: {}
    live: Callable[[World], dict] = lambda world: {}
    after_success: Callable[[World], None] | None = None
    succeeded: Callable = lambda response: response.status_code in (301, 302, 303)
    check: tuple[str, Callable] | None = None  # the table a success adds a row to, and how
    examples: tuple[list | Example, ...] = ()  # bodies (or whole examples) that once failed
    files: bool = False

    def path_kinds(self) -> dict[str, str]:
        return {
            name: converter or "default"
            for converter, name in re.findall(r"<(?:([\w]+(?:\([^)]*\))?):)?(\w+)>", self.rule)
        }


def _patient(world: World):
    return world.member("patient", verified=True)


def _other(world: World):
    return world.member("other", role="relative")


def _staff(world: World):
    return world.member("staff", role="sponsor", safety_access=True)


def _admin(world: World):
    return world.member("admin", role="admin")


PERSONAS: dict[str, Callable[[World], object]] = {
    "anonymous": lambda world: None,
    "patient": _patient,
    "consenting": lambda world: _with_consent(world, world.member("consenting")),
    "unverified": lambda world: world.member("unverified", verified=False),
    "two_factor": lambda world: world.member("two_factor", two_factor=True),
    "staff": _staff,
    "admin": _admin,
}


def _with_consent(world: World, member):
    world.run(_consent, member.id)
    return member


def _fresh_persona(kind: str, **kwargs):
    """After a success that used the persona up (deleted, changed password): a new one."""

    def renew(world: World) -> None:
        member = world.make_member(**kwargs)
        if kind == "consenting":
            world.run(_consent, member.id)
        world.log_in(member)

    return renew


def _new_browser(world: World) -> None:
    world.new_browser()


def _story_of_other(world: World) -> dict:
    return {"story_id": world.run(_story, _other(world).id)}


def _comment_of_other(world: World) -> dict:
    other = _other(world)
    return {"comment_id": world.run(lambda: _comment(_story(other.id), other.id))}


def _own_story(world: World) -> dict:
    return {"story_id": world.run(_story, world.persona.id)}


def _own_comment(world: World) -> dict:
    own = world.persona.id
    return {"comment_id": world.run(lambda: _comment(_story(_other(world).id), own))}


def _other_member(world: World) -> dict:
    return {"username": _other(world).username}


def _again(setup):
    """An ``after_success`` that makes a new thing to work on, as ``setup`` did."""

    def after(world: World) -> None:
        world.path.update(setup(world))

    return after


def _moderated_group(world: World) -> dict:
    group_id = world.run(_group, "rheumatology-friends", policy="approval")
    world.run(_membership, group_id, world.persona.id, role="moderator")
    world.things["group_id"] = group_id
    return {"slug": "rheumatology-friends"}


def _join_request(world: World) -> dict:
    if "group_id" not in world.things:
        world.path.update(_moderated_group(world))
    requester = world.make_member()
    membership = world.run(_membership, world.things["group_id"], requester.id, status="pending")
    return {"membership_id": membership, "answer": "accept"}


def _group_setup(status: str):
    def setup(world: World) -> dict:
        slug = f"group-{secrets.token_hex(4)}"
        world.run(_group, slug, status=status, founder_id=_other(world).id)
        return {"slug": slug}

    return setup


def _member_group(world: World) -> dict:
    group_id = world.run(_group, "newly-diagnosed")
    world.run(_membership, group_id, world.persona.id)
    return {"slug": "newly-diagnosed"}


def _rejoin(world: World) -> None:
    from cml_earth.groups.models import Group, GroupMembership

    def rejoin():
        group_id = db.session.scalar(select(Group.id).where(Group.slug == "newly-diagnosed"))
        member = (
            GroupMembership.group_id == group_id,
            GroupMembership.member_id == world.persona.id,
        )
        if db.session.scalar(select(GroupMembership.id).where(*member)) is None:
            _membership(group_id, world.persona.id)

    world.run(rejoin)


def _item(world: World) -> dict:
    return {"item_id": world.run(_item_on_story, _other(world).id)}


def _case_of_other(world: World) -> dict:
    return {"case_id": world.run(_case, _other(world).id)}


def _asked_case_of_persona(world: World) -> dict:
    return {"case_id": world.run(_asked_case, world.persona.id, _staff(world).id)}


def _pending_two_factor(world: World, member, *, enrol: bool) -> None:
    """The browser is half-way through logging in as ``member`` (password given)."""
    from cml_earth.auth import two_factor

    with world.app.app_context():
        hashed = db.session.get(Member, member.id).password_hash
    with world.client.session_transaction() as session:
        session[two_factor.PENDING] = {
            "m": member.id,
            "until": int(time.time()) + 600,
            "remember": False,
            "next": "",
            "enrol": enrol,
            "p": _fingerprint(hashed),
            "failures": 0,
        }


def _two_factor_login_live(world: World) -> dict:
    member = world.member("staff_login", role="sponsor")
    _pending_two_factor(world, member, enrol=False)
    return {"code": pyotp.TOTP(TEST_TOTP_SECRET).now()}


def _two_factor_setup_live(world: World) -> dict:
    member = world.things.get("enrolling") or world.member(
        "enrolling", role="sponsor", two_factor=False
    )
    _pending_two_factor(world, member, enrol=True)
    return _enrolment(world, member)


def _renew_enrolling(world: World) -> None:
    world.things["enrolling"] = world.make_member(role="sponsor", two_factor=False)
    world.new_browser()


ENROL_SECRET = "KRUGS4ZANFZSAYJAORSXG5BAONSWG4TF"


def _enrolment(world: World, member) -> dict:
    from cml_earth.auth.two_factor import ENROL_PURPOSE

    with world.app.app_context():
        setup = _token(ENROL_PURPOSE, {"m": member.id, "s": ENROL_SECRET})
    return {"setup": setup, "code": pyotp.TOTP(ENROL_SECRET).now()}


def _reset_live(world: World) -> dict:
    from cml_earth.auth.services import RESET_PURPOSE

    member = world.member("forgetful")
    with world.app.app_context():
        hashed = db.session.get(Member, member.id).password_hash
        return {"token": _token(RESET_PURPOSE, {"m": member.id, "p": _fingerprint(hashed)})}


def _verify_live(world: World) -> dict:
    from cml_earth.auth.services import VERIFY_PURPOSE

    member = world.member("new", verified=False)
    with world.app.app_context():
        key = db.session.get(Member, member.id).email_key
        return {"token": _token(VERIFY_PURPOSE, {"m": member.id, "e": key})}


def _confirm_email_live(world: World) -> dict:
    from cml_earth.account.services import CHANGE_EMAIL_PURPOSE

    member = world.persona
    with world.app.app_context():
        key = db.session.get(Member, member.id).email_key
        new = f"moved-{secrets.token_hex(3)}@example.org"
        payload = {"m": member.id, "n": new, "f": _fingerprint(key)}
        return {"token": _token(CHANGE_EMAIL_PURPOSE, payload)}


def _unsubscribe_live(world: World) -> dict:
    from cml_earth.notifications.services import unsubscribe_token

    member = world.member("subscriber")
    with world.app.app_context():
        return {"token": unsubscribe_token(db.session.get(Member, member.id))}


def _totp_live(world: World) -> dict:
    return {"code": pyotp.TOTP(TEST_TOTP_SECRET).now()}


def _enable_live(world: World) -> dict:
    return _enrolment(world, world.persona)


def _own_username(world: World) -> dict:
    return {"username": world.persona.username}


def _story_written(world: World, first: dict, response) -> None:
    """A published story has its row, by its author, with the title and text sent."""
    from cml_earth.stories.models import Story

    with world.app.app_context():
        story = db.session.scalar(select(Story).order_by(Story.id.desc()))
        assert story.author_id == world.persona.id
        assert story.title == first["title"]
        assert story.body == first["body"]


def _comment_written(world: World, first: dict, response) -> None:
    from cml_earth.stories.models import Comment

    with world.app.app_context():
        comment = db.session.scalar(select(Comment).order_by(Comment.id.desc()))
        assert comment.author_id == world.persona.id
        assert comment.body == first["body"]


def _report_written(world: World, first: dict, response) -> None:
    from cml_earth.moderation.models import ModerationItem, Report

    with world.app.app_context():
        report = db.session.scalar(select(Report).order_by(Report.id.desc()))
        assert report.reporter_id == world.persona.id
        assert report.reason == first["reason"]
        assert db.session.get(ModerationItem, report.item_id) is not None


def _group_written(world: World, first: dict, response) -> None:
    """A proposal has its group, by its founder, and waits in the staff's queue."""
    from cml_earth.groups.models import Group
    from cml_earth.moderation.models import ModerationItem

    with world.app.app_context():
        group = db.session.scalar(select(Group).order_by(Group.id.desc()))
        assert group.founder_id == world.persona.id
        assert group.name == first["name"].strip()
        assert response.location.endswith(f"/groups/{group.slug}")
        assert group.country_code is None or len(group.country_code.strip()) == 2
        assert db.session.scalar(
            select(ModerationItem.id).where(
                ModerationItem.target_type == "group", ModerationItem.target_id == group.id
            )
        )


REASONS = [
    "spam",
    "harassment",
    "misinformation",
    "personal_details",
    "self_harm",
    "side_effect",
    "other",
]
VISIBILITIES = ["public", "members", "groups", "private"]
PASSWORDS = [PASSWORD, "not my password"]
LANGUAGES = ["en", "sv", "de", "fi", "ar", "zz"]
WORDS = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=200
)
USERNAMES = st.from_regex(r"[A-Za-z][A-Za-z0-9]{2,14}", fullmatch=True)
STORY_FIELDS = {
    "title": ["Month three", "Tasigna gave me a rash", "Call me on 070-123 45 67"],
    "body": st.one_of(
        st.sampled_from(["A good week.", "I want to die", "See https://example.org now"]), WORDS
    ),
    "language": LANGUAGES,
    "visibility": VISIBILITIES,
    "personal_details_ok": ["y"],
    "submission_key": st.uuids().map(str),
}
STATUSES = ["new", "not_a_case", "valid_case", "forwarded"]
ACTIONS = [
    "dismiss",
    "hide",
    "restore",
    "delete",
    "warn",
    "silence",
    "suspend",
    "approve_post",
    "approve_group",
    "refuse_group",
    "uphold",
    "reverse",
]
NEXT = ["/", "/feed", "//evil.example", "https://evil.example/", "/\\evil"]

FORMS: dict[str, FuzzForm] = {
    # --- the account's own settings ---
    "account.confirm_email": FuzzForm(
        "/settings/email/confirm/<token>",
        live=_confirm_email_live,
        setup=lambda w: {"token": Live("token")},
    ),
    "account.consent": FuzzForm("/settings/health-consent", {"health_consent": ["y", "1"]}),
    "account.delete": FuzzForm(
        "/settings/delete",
        {"password": PASSWORDS, "confirm": ["y"]},
        after_success=_fresh_persona("patient"),
    ),
    "account.disable_two_factor": FuzzForm(
        "/settings/two-factor/disable",
        {"password": PASSWORDS, "code": [Live("code"), *TEST_RECOVERY_CODES[:2], "123456"]},
        persona="two_factor",
        live=_totp_live,
        after_success=_fresh_persona("two_factor", two_factor=True),
    ),
    "account.email": FuzzForm(
        "/settings/email",
        {
            "email": ["moved@example.org", "other@example.org", "patient@example.org"],
            "password": PASSWORDS,
        },
    ),
    "account.enable_two_factor": FuzzForm(
        "/settings/two-factor/enable",
        {"password": PASSWORDS, "setup": [Live("setup")], "code": [Live("code"), "000000"]},
        live=_enable_live,
        after_success=_fresh_persona("patient"),
        succeeded=lambda response: response.status_code == 200,
    ),
    "account.export": FuzzForm(
        "/settings/export", succeeded=lambda response: response.status_code == 200
    ),
    "account.new_recovery_codes": FuzzForm(
        "/settings/two-factor/recovery-codes",
        {"password": PASSWORDS},
        persona="two_factor",
        succeeded=lambda response: response.status_code == 200,
    ),
    "account.notifications": FuzzForm(
        "/settings/notifications", {"notification_email": ["each", "daily", "weekly", "never"]}
    ),
    "account.password": FuzzForm(
        "/settings/password",
        {
            "current_password": PASSWORDS,
            "password": [NEW_PASSWORD, "password"],
            "password_confirm": [NEW_PASSWORD],
        },
        after_success=_fresh_persona("patient"),
    ),
    "account.preferences": FuzzForm(
        "/settings/preferences",
        {"locale": ["en", "sv", "de"], "timezone": ["Europe/Stockholm", "UTC", "Etc/GMT+12"]},
    ),
    "account.withdraw_consent": FuzzForm(
        "/settings/health-consent/withdraw",
        {"confirm": ["Withdraw", "y"]},
        persona="consenting",
        after_success=_fresh_persona("consenting"),
    ),
    # --- logging in and out, registering, links from mails ---
    "auth.login": FuzzForm(
        "/auth/login",
        {
            "login": ["forgetful", "forgetful@example.org", "nobody"],
            "password": PASSWORDS,
            "remember": ["y"],
            "next": NEXT,
        },
        persona="anonymous",
        setup=lambda world: world.member("forgetful", username="forgetful") and {},
        after_success=_new_browser,
    ),
    "auth.logout": FuzzForm(
        "/auth/logout",
        {"everywhere": ["1", "0"]},
        after_success=lambda world: world.log_in(world.persona),
    ),
    "auth.register": FuzzForm(
        "/auth/register",
        {
            "username": USERNAMES,
            "email": USERNAMES.map(lambda n: f"{n}@example.org"),
            "password": [NEW_PASSWORD],
            "password_confirm": [NEW_PASSWORD],
            "role": ["patient", "relative", "admin"],
            "country_code": ["SE", "FI", "XX"],
            "locale": ["en", "sv"],
            "age_confirmed": ["y"],
            "accept_guidelines": ["y"],
            "health_consent": ["y"],
        },
        persona="anonymous",
    ),
    "auth.resend_verification": FuzzForm("/auth/verify/resend", persona="unverified"),
    "auth.reset_password": FuzzForm(
        "/auth/reset/<token>",
        {"password": [NEW_PASSWORD], "password_confirm": [NEW_PASSWORD]},
        persona="anonymous",
        setup=lambda world: {"token": Live("token")},
        live=_reset_live,
    ),
    "auth.reset_request": FuzzForm(
        "/auth/reset",
        {"email": ["forgetful@example.org", "nobody@example.org"]},
        persona="anonymous",
        setup=lambda world: world.member("forgetful", username="forgetful") and {},
    ),
    "auth.two_factor_login": FuzzForm(
        "/auth/two-factor",
        {"code": [Live("code"), TEST_RECOVERY_CODES[0], "000000", "abcd-efgh-2345"]},
        persona="anonymous",
        live=_two_factor_login_live,
        after_success=_new_browser,
    ),
    "auth.two_factor_setup": FuzzForm(
        "/auth/two-factor/setup",
        {"setup": [Live("setup")], "code": [Live("code"), "000000"]},
        persona="anonymous",
        live=_two_factor_setup_live,
        after_success=_renew_enrolling,
        succeeded=lambda response: response.status_code == 200,
    ),
    "auth.verify": FuzzForm(
        "/auth/verify/<token>",
        persona="anonymous",
        setup=lambda world: {"token": Live("token")},
        live=_verify_live,
    ),
    # --- groups ---
    "groups.answer_request": FuzzForm(
        "/groups/<slug>/requests/<int:membership_id>/<any(accept, refuse):answer>",
        setup=lambda world: _moderated_group(world) | _join_request(world),
        after_success=_again(_join_request),
        # A NUL in the path reached PostgreSQL, which refuses it: a server error.
        examples=(Example([], "valid", "form", {"slug": "\x00"}),),
    ),
    "groups.approve": FuzzForm(
        "/groups/<slug>/approve",
        persona="staff",
        setup=_group_setup("proposed"),
        after_success=_again(_group_setup("proposed")),
    ),
    "groups.archive": FuzzForm(
        "/groups/<slug>/archive",
        persona="staff",
        setup=_group_setup("active"),
        after_success=_again(_group_setup("active")),
    ),
    "groups.edit": FuzzForm(
        "/groups/<slug>/edit",
        {
            "description": st.one_of(st.sampled_from(["For us.", "**Bold** [x](/y)"]), WORDS),
            "languages": LANGUAGES,
            "visibility": ["group", "members", "public", "private"],
            "join_policy": ["open", "approval"],
        },
        setup=_moderated_group,
    ),
    "groups.join": FuzzForm("/groups/<slug>/join", setup=_group_setup("active")),
    "groups.leave": FuzzForm("/groups/<slug>/leave", setup=_member_group, after_success=_rejoin),
    "groups.propose": FuzzForm(
        "/groups/new",
        {
            "name": st.one_of(st.sampled_from(["CML Sverige", "Lund friends"]), WORDS),
            "kind": ["national", "local", "topic"],
            "country_code": ["SE", "NO", "", "XX"],
            "place": ["Lund", "Göteborg", "59.33, 18.07", "Atlantis"],
            "description": ["For everyone with CML.", "Come along"],
            "languages": LANGUAGES,
            "visibility": ["group", "members", "public"],
            "join_policy": ["open", "approval"],
        },
        check=("groups", _group_written),
        examples=(
            [
                ("name", "Lund friends"),
                ("kind", "topic"),
                ("country_code", " "),
                ("description", "For all."),
                ("languages", "en"),
                ("visibility", "public"),
                ("join_policy", "open"),
            ],
        ),
    ),
    "groups.refuse": FuzzForm(
        "/groups/<slug>/refuse",
        {"note": ["There is a group for this already.", "x"]},
        persona="staff",
        setup=_group_setup("proposed"),
        after_success=_again(_group_setup("proposed")),
    ),
    "groups.save_place": FuzzForm(
        "/groups/near/place",
        {"place": ["Lund", "Göteborg", "59.33, 18.07", "91, 181", "Atlantis"], "forget": ["1"]},
    ),
    "main.set_language": FuzzForm("/language", {"locale": ["en", "sv", "xx"], "next": NEXT}),
    # --- moderation and reports ---
    "moderation.act": FuzzForm(
        "/moderation/items/<int:item_id>",
        {
            "action": ACTIONS,
            "ground": REASONS,
            "explanation": ["It is spam.", ""],
            "days": ["1", "3", "30", "0", "400"],
            "until": ["2030-01-01", "2020-01-01", "0001-01-01", "9999-12-31"],
        },
        persona="staff",
        setup=_item,
        after_success=_again(_item),
        examples=(
            [
                ("action", "silence"),
                ("ground", "spam"),
                ("explanation", "Spam."),
                ("days", "9" * 400),
            ],
        ),
    ),
    "moderation.appeal": FuzzForm(
        "/moderation/decisions/<int:decision_id>/appeal",
        {"text": ["I only shared my own experience.", "x"]},
        setup=lambda world: {"decision_id": world.run(_decision, world.persona.id)},
    ),
    "notifications.mark_all_read": FuzzForm("/notifications/read-all", {"next": NEXT}),
    "notifications.mark_read": FuzzForm(
        "/notifications/<int:notification_id>/read",
        {"next": NEXT},
        setup=lambda world: {
            "notification_id": world.run(_notification, world.persona.id, _other(world).id)
        },
    ),
    "notifications.unsubscribe": FuzzForm(
        "/notifications/unsubscribe/<token>",
        persona="anonymous",
        setup=lambda world: {"token": Live("token")},
        live=_unsubscribe_live,
        succeeded=lambda response: response.status_code == 200,
    ),
    "profiles.edit_avatar": FuzzForm(
        "/settings/avatar",
        {"avatar": [Live("png"), Live("not an image")]},
        live=lambda world: {"png": PNG, "not an image": b"GIF89a\x00\x00"},
        files=True,
    ),
    "profiles.edit_profile": FuzzForm(
        "/settings/profile",
        {
            "username": USERNAMES,
            "story": st.one_of(st.sampled_from(["Diagnosed in 2019."]), WORDS),
            "languages": LANGUAGES,
            "diagnosis_year": ["2019", "1900", "2999", "12.5"],
            "diagnosis_phase": ["chronic", "accelerated", "blast", ""],
            "treatment": ["imatinib", "dasatinib", "other", "none", ""],
        },
        persona="consenting",
        examples=(
            # Whitespace passed Optional() and skipped the choice check: a database error.
            [("username", "Anna1"), ("treatment", "\x85")],
            [("username", "Anna1"), ("diagnosis_phase", " ")],
            # WTForms's NumberRange turned the year into a float: OverflowError.
            [("username", "Anna1"), ("diagnosis_year", "2" * 309)],
            [("username", "Anna1"), ("diagnosis_year", "-" + "2" * 309)],
        ),
    ),
    "profiles.privacy": FuzzForm(
        "/settings/privacy",
        {
            name: VISIBILITIES
            for name in (
                "profile_visibility",
                "story_visibility",
                "country_visibility",
                "health_visibility",
                "avatar_visibility",
            )
        },
    ),
    "profiles.remove_avatar": FuzzForm("/settings/avatar/remove"),
    "reactions.react_to_comment": FuzzForm(
        "/comments/<int:comment_id>/reactions/<any(hug, high_five):kind>",
        {"action": ["add", "remove"], "next": NEXT},
        setup=lambda world: _comment_of_other(world) | {"kind": "hug"},
    ),
    "reactions.react_to_member": FuzzForm(
        "/members/<username>/reactions/<any(hug, high_five):kind>",
        {"action": ["add", "remove"], "next": NEXT},
        setup=lambda world: _other_member(world) | {"kind": "high_five"},
    ),
    "reactions.react_to_story": FuzzForm(
        "/stories/<int:story_id>/reactions/<any(hug, high_five):kind>",
        {"action": ["add", "remove"], "next": NEXT},
        setup=lambda world: _story_of_other(world) | {"kind": "hug"},
    ),
    "reports.notice": FuzzForm(
        "/report/notice",
        {
            "reason": REASONS,
            "location": ["http://localhost/stories/1", "/members/other", "https://example.org/"],
            "explanation": ["It names a person.", "x"],
            "name": ["Ann Law"],
            "email": ["ann@example.org", "not an address"],
            "good_faith": ["y"],
        },
        persona="anonymous",
    ),
    "reports.report": FuzzForm(
        "/report/<target_type>/<int:target_id>",
        {"reason": REASONS, "details": ["It is an advert.", ""]},
        # A multipart part named with a line break came back named None: Flask-WTF's CSRF
        # check then failed with an AttributeError.
        examples=(Example([("reason", "spam"), ("\n", "")], "missing", "multipart", {}),),
        setup=lambda world: {
            "target_type": "story",
            "target_id": _story_of_other(world)["story_id"],
        },
        check=("reports", _report_written),
        after_success=_again(lambda world: {"target_id": _story_of_other(world)["story_id"]}),
    ),
    # --- side-effect cases ---
    "safety.answer_consent": FuzzForm(
        "/safety/consent/<int:case_id>", {"answer": ["yes", "no"]}, setup=_asked_case_of_persona
    ),
    "safety.ask_consent": FuzzForm(
        "/safety/cases/<int:case_id>/ask-consent",
        persona="staff",
        setup=_case_of_other,
        after_success=_again(_case_of_other),
    ),
    "safety.change_status": FuzzForm(
        "/safety/cases/<int:case_id>/status",
        {"status": STATUSES, "expected": STATUSES, "note": ["Not about a medicine.", ""]},
        persona="staff",
        setup=_case_of_other,
        after_success=_again(_case_of_other),
    ),
    "safety.edit": FuzzForm(
        "/safety/cases/<int:case_id>",
        {
            "seriousness": ["", "serious", "non_serious"],
            "has_reporter": ["y"],
            "has_patient": ["y"],
            "has_medicine": ["y"],
            "has_reaction": ["y"],
            "narrative": ["A rash after switching.", ""],
        },
        persona="staff",
        setup=_case_of_other,
    ),
    "safety.open_from_item": FuzzForm(
        "/safety/from-item/<int:item_id>", persona="staff", setup=_item
    ),
    # --- members among themselves ---
    "social.block": FuzzForm("/members/<username>/block", setup=_other_member),
    "social.follow": FuzzForm("/members/<username>/follow", {"next": NEXT}, setup=_other_member),
    "social.mute": FuzzForm("/members/<username>/mute", setup=_other_member),
    "social.unblock": FuzzForm("/members/<username>/unblock", setup=_other_member),
    "social.unfollow": FuzzForm(
        "/members/<username>/unfollow", {"next": NEXT}, setup=_other_member
    ),
    "social.unmute": FuzzForm(
        "/members/<username>/unmute", {"back": ["settings"]}, setup=_other_member
    ),
    "staff_members.change_role": FuzzForm(
        "/moderation/members/<username>/role",
        {
            "role": ["patient", "relative", "sponsor", "admin"],
            "safety_access": ["y"],
            "reason": ["Joined the safety team.", ""],
        },
        persona="admin",
        setup=_other_member,
    ),
    # --- stories and words of support ---
    "stories.comment": FuzzForm(
        "/stories/<int:story_id>/comments",
        {
            "body": STORY_FIELDS["body"],
            "submission_key": STORY_FIELDS["submission_key"],
            "personal_details_ok": ["y"],
        },
        setup=_story_of_other,
        check=("comments", _comment_written),
    ),
    "stories.delete_comment": FuzzForm(
        "/comments/<int:comment_id>/delete",
        setup=_own_comment,
        after_success=_again(_own_comment),
    ),
    "stories.delete_story": FuzzForm(
        "/stories/<int:story_id>/delete",
        setup=_own_story,
        after_success=_again(_own_story),
    ),
    "stories.edit_comment": FuzzForm(
        "/comments/<int:comment_id>/edit",
        {"body": STORY_FIELDS["body"], "personal_details_ok": ["y"]},
        setup=_own_comment,
    ),
    "stories.edit_story": FuzzForm(
        "/stories/<int:story_id>/edit",
        {
            name: STORY_FIELDS[name]
            for name in ("title", "body", "language", "visibility", "personal_details_ok")
        },
        setup=_own_story,
        # An id beyond any integer column: OverflowError on SQLite, DataError on PostgreSQL.
        examples=(Example([], "valid", "form", {"story_id": 2**63}),),
    ),
    "stories.new_story": FuzzForm(
        "/stories/new",
        {**STORY_FIELDS, "group": ["", "1", "2"]},
        check=("stories", _story_written),
        examples=(
            [
                ("title", "A"),
                ("body", "B"),
                ("language", "en"),
                ("visibility", "members"),
                ("group", " "),
            ],
        ),
    ),
}


# --- the tests ------------------------------------------------------------------------------


def test_every_form_is_fuzzed(app):
    """A POST route without an entry here fails: new forms are fuzzed from their first day."""
    routes = {
        rule.endpoint: rule.rule
        for rule in app.url_map.iter_rules()
        if "POST" in (rule.methods or ())
    }
    assert sorted(set(routes) - set(FORMS)) == [], "POST routes that are not fuzzed"
    assert sorted(set(FORMS) - set(routes)) == [], "fuzz entries for routes that do not exist"
    for endpoint, rule in routes.items():
        assert FORMS[endpoint].rule == rule, endpoint


def _resolve(value, live: dict):
    return live[value.name] if isinstance(value, Live) else value


def _url(spec: FuzzForm, world: World, example: Example, live: dict) -> str:
    values = {name: _resolve(world.path.get(name), live) for name in spec.path_kinds()}
    values |= example.path

    def fill(match) -> str:
        return quote(str(values[match.group(2)]), safe="")

    return re.sub(r"<(?:([\w]+(?:\([^)]*\))?):)?(\w+)>", fill, spec.rule)


def _body(spec: FuzzForm, world: World, example: Example, live: dict):
    """The request's keyword arguments: the form data in the example's encoding."""
    pairs = [(name, _resolve(v, live)) for name, v in example.pairs]
    if example.csrf == "valid":
        pairs.insert(0, ("csrf_token", world.token))
    elif example.csrf == "garbage":
        pairs.insert(0, ("csrf_token", world.token[::-1]))
    if spec.files or example.encoding == "multipart":
        data = MultiDict()
        for name, v in pairs:
            if isinstance(v, bytes):
                data.add(name, (io.BytesIO(v), "picture.png", "image/png"))
            else:
                data.add(name, v)
        # Encoded here, in memory: the test client would spool a big body to a temporary file
        # that it never closes (a ResourceWarning, an error under filterwarnings=error).
        boundary, body = encode_multipart(data)
        return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}
    pairs = [(n, v.decode("latin-1") if isinstance(v, bytes) else v) for n, v in pairs]
    if example.encoding == "raw":
        raw = urlencode(pairs).encode() + b"&odd=%FF%FE\xff\xfe&%C3%28=%E2%82"
        return {"data": raw, "content_type": "application/x-www-form-urlencoded"}
    return {"data": MultiDict(pairs)}


def _first_values(example: Example) -> dict:
    first: dict = {}
    for name, v in example.pairs:
        first.setdefault(name, v)
    return first


@pytest.mark.parametrize("endpoint", sorted(FORMS))
def test_fuzz_form(app, make_member, backend, endpoint):
    spec = FORMS[endpoint]
    world = World(app, make_member, backend)
    persona = PERSONAS[spec.persona](world)
    if persona is None:
        world.refresh_token()
    else:
        world.log_in(persona)
    world.path = spec.setup(world)

    @settings(settings.get_profile(f"fuzz-forms-{backend}"))
    @given(sent=example_strategy(spec))
    def fuzz(sent: Example) -> None:
        live = spec.live(world)
        url = _url(spec, world, sent, live)
        before = world.counts()
        response = world.client.post(url, **_body(spec, world, sent, live))
        assert response.status_code < 500, response.get_data(as_text=True)[:2000]
        # Without a valid CSRF token nothing is written, whatever the answer.
        if spec.succeeded(response) and sent.csrf == "valid":
            if spec.check is not None:
                table, check = spec.check
                if world.counts()[table] > before[table]:
                    check(world, _first_values(sent), response)
            if spec.after_success is not None:
                spec.after_success(world)
            return
        after = world.counts()
        changed = {
            name: (before[name], after[name]) for name in before if before[name] != after[name]
        }
        changed.pop("audit_events (kept)", None)
        assert changed == {}, f"{response.status_code}: rows written by a refused request"

    for sent in spec.examples:
        if not isinstance(sent, Example):
            sent = Example(sent, csrf="valid", encoding="form", path={})
        fuzz = example(sent=sent)(fuzz)
    fuzz()
