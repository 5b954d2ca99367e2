"""Download my data (GDPR Art. 15, 20) and delete my account (Art. 17), through the real forms."""

from __future__ import annotations

import email
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from email.policy import default as default_policy
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from cml_earth.account.export import SECTIONS
from cml_earth.audit.models import AuditEvent
from cml_earth.auth.models import Consent, Member, MemberSession
from cml_earth.database import utcnow
from cml_earth.extensions import db
from cml_earth.profiles.models import Profile

from .conftest import IN_CI, fetch_member, scalar, submit

# Distinctive, so that finding them anywhere after erasure can only mean a leak.
HANDLE = "Zephyrine_Quartz7"
ADDRESS = "zephyrine.quartz7@lantern-mail.example"
PASSWORD = "moonlight over the old mill"
STORY = "Diagnosed in 2019. <script>alert('hello')</script> Imatinib & me: a story of quillwort."

OTHER_HANDLE = "Bertil_Marzipan"
OTHER_ADDRESS = "bertil.marzipan@hazel-post.example"
OTHER_STORY = "My own story about bergamot lanterns."
OTHER_ADDRESS_IP = "192.0.2.99"

DESK = {"REMOTE_ADDR": "203.0.113.7", "HTTP_USER_AGENT": "DeskBrowser/1.0 (export test)"}
PHONE = {"REMOTE_ADDR": "198.51.100.23", "HTTP_USER_AGENT": "PhoneBrowser/2.0 (export test)"}
ELSEWHERE = {"REMOTE_ADDR": OTHER_ADDRESS_IP, "HTTP_USER_AGENT": "OtherBrowser/3.0"}

EML_BACKEND = "cml_earth.mail.EmlFileEmailBackend"
GENERIC_LOGIN_ERROR = "The email address, username or password is not right."


@dataclass
class Person:
    id: int
    username: str
    email: str
    password: str


def browser(app, environ: dict):
    """A test client that always comes from one address with one user agent."""
    client = app.test_client()
    client.environ_base.update(environ)
    return client


def register(client, username: str, address: str, password: str = PASSWORD, locale="en"):
    response = submit(
        client,
        "/auth/register",
        {
            "username": username,
            "email": address,
            "password": password,
            "password_confirm": password,
            "role": "patient",
            "country_code": "SE",
            "locale": locale,
            "age_confirmed": "y",
            "accept_guidelines": "y",
            "health_consent": "y",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)


def mail_files(app) -> list[tuple[Path, email.message.EmailMessage]]:
    folder = Path(app.config["MAIL_FILE_PATH"])
    return [
        (path, email.message_from_bytes(path.read_bytes(), policy=default_policy))
        for path in sorted(folder.glob("*.eml"))
    ]


def plain_text(message: email.message.EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def verification_path(app, outbox, address: str) -> str:
    """The verification link of the newest mail to ``address`` (locmem outbox or .eml file)."""
    if app.config["MAIL_BACKEND"] == EML_BACKEND:
        bodies = [plain_text(m) for _path, m in mail_files(app) if m["To"] == address]
    else:
        bodies = [message.body for message in outbox if message.to == [address]]
    match = re.search(r"https?://[^/\s]+(/auth/verify/[^\s\"<]+)", bodies[-1])
    assert match, bodies[-1]
    return match.group(1)


def join(app, client, outbox, username: str, address: str, locale="en") -> Person:
    """Register through the form and follow the verification link, like a new member."""
    register(client, username, address, locale=locale)
    assert submit(client, verification_path(app, outbox, address), {}).status_code == 302
    member_id = scalar(app, select(Member.id).where(Member.email_key == address.casefold()))
    return Person(member_id, username, address, PASSWORD)


def login(client, person: Person, remember=False):
    data = {"login": person.username, "password": person.password}
    if remember:
        data["remember"] = "y"
    response = submit(client, "/auth/login", data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def save_profile(client, person: Person, story: str):
    response = submit(
        client,
        "/settings/profile",
        {
            "username": person.username,
            "story": story,
            "languages": ["sv", "en"],
            "diagnosis_year": "2019",
            "diagnosis_phase": "chronic",
            "treatment": "imatinib",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)


def give_avatar(app, person: Person) -> str:
    """A picture for ``person``, saved with the avatars API; returns its key."""
    from PIL import Image

    from cml_earth.profiles.avatars import save_avatar

    picture = io.BytesIO()
    Image.new("RGB", (300, 300), (180, 90, 40)).save(picture, "PNG")
    with app.test_request_context():
        member = db.session.get(Member, person.id)
        save_avatar(member, picture.getvalue())
        db.session.commit()
        return member.profile.avatar_key


def avatar_files(app, person: Person) -> list[Path]:
    folder = Path(app.instance_path) / "avatars" / str(person.id)
    return sorted(folder.glob("*")) if folder.exists() else []


@dataclass
class Community:
    member: Person
    other: Person
    desk: object
    phone: object
    elsewhere: object
    avatar_key: str


@pytest.fixture
def community(app, outbox) -> Community:
    """The member (two logins, consent, profile with health details, picture) and another."""
    desk, phone, elsewhere = browser(app, DESK), browser(app, PHONE), browser(app, ELSEWHERE)
    member = join(app, desk, outbox, HANDLE, ADDRESS)
    other = join(app, elsewhere, outbox, OTHER_HANDLE, OTHER_ADDRESS)
    login(desk, member)
    login(phone, member, remember=True)
    save_profile(desk, member, STORY)
    login(elsewhere, other)
    save_profile(elsewhere, other, OTHER_STORY)
    avatar_key = give_avatar(app, member)
    give_avatar(app, other)
    return Community(member, other, desk, phone, elsewhere, avatar_key)


def download(client) -> zipfile.ZipFile:
    response = submit(client, "/settings/export", {})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return zipfile.ZipFile(io.BytesIO(response.data))


# --- Download my data ------------------------------------------------------------------------


def test_export_page_explains_and_post_downloads_a_zip(app, community):
    page = community.desk.get("/settings/export")
    assert page.status_code == 200
    assert "data.json" in page.get_data(as_text=True)
    assert 'href="/settings/export"' in page.get_data(as_text=True)  # listed in the settings nav

    response = submit(community.desk, "/settings/export", {})
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert response.headers["Cache-Control"] == "no-store"
    today = utcnow().date().isoformat()
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename=cml-earth-{HANDLE}-{today}.zip" in disposition
    assert zipfile.ZipFile(io.BytesIO(response.data)).testzip() is None
    assert (
        scalar(
            app,
            select(func.count(AuditEvent.id)).where(
                AuditEvent.kind == "member.exported",
                AuditEvent.member_id == community.member.id,
            ),
        )
        == 1
    )


def test_export_holds_everything_about_the_member(app, community):
    archive = download(community.desk)
    key = community.avatar_key
    assert sorted(archive.namelist()) == sorted(
        ["data.json", "index.html", f"avatars/{key}-64.webp", f"avatars/{key}-256.webp"]
    )
    for name in archive.namelist():
        if name.startswith("avatars/"):
            assert archive.read(name)[8:12] == b"WEBP"
    data = json.loads(archive.read("data.json").decode("utf-8"))

    assert data["export"]["site"] == "CML Earth"
    account = data["account"]
    assert account["username"] == HANDLE
    assert account["email"] == ADDRESS
    assert account["role"] == "patient"
    assert account["country_code"] == "SE"
    assert account["locale"] == "en"
    assert account["timezone"] == "Europe/Stockholm"
    assert account["guidelines_version"] == app.config["GUIDELINES_VERSION"]
    for field in ("email_verified_at", "created_at", "last_login_at"):
        assert account[field].endswith("+00:00")
        assert datetime.fromisoformat(account[field]).utcoffset().total_seconds() == 0
    assert "password" not in json.dumps(account)

    profile = data["profile"]
    assert profile["story"] == STORY
    assert profile["languages"] == ["sv", "en"]
    assert profile["diagnosis_year"] == 2019
    assert profile["diagnosis_phase"] == "chronic"
    assert profile["treatment"] == "imatinib"
    assert profile["visibility"] == {
        "profile": "members",
        "story": "members",
        "country": "members",
        "health": "members",
        "avatar": "members",
    }
    assert profile["avatar_files"] == [f"avatars/{key}-64.webp", f"avatars/{key}-256.webp"]

    with app.app_context():
        consent = db.session.scalar(select(Consent).where(Consent.member_id == community.member.id))
        stored_hash, given_at = consent.text_hash, consent.given_at
    [exported_consent] = data["consents"]
    assert exported_consent["purpose"] == "health_data"
    assert exported_consent["text_hash"] == stored_hash
    assert exported_consent["text_version"] == app.config["HEALTH_CONSENT_VERSION"]
    assert exported_consent["method"] == "registration form checkbox"
    assert exported_consent["withdrawn_at"] is None
    assert datetime.fromisoformat(exported_consent["given_at"]) == given_at.astimezone(UTC)

    logins = data["login_sessions"]
    assert [(s["ip_address"], s["user_agent"]) for s in logins] == [
        (DESK["REMOTE_ADDR"], DESK["HTTP_USER_AGENT"]),
        (PHONE["REMOTE_ADDR"], PHONE["HTTP_USER_AGENT"]),
    ]
    assert [s["remember"] for s in logins] == [False, True]
    assert all(s["ended_at"] is None and s["ended_reason"] is None for s in logins)
    assert "token" not in json.dumps(logins)

    kinds = [event["kind"] for event in data["audit_events"]]
    for kind in ("member.registered", "consent.given", "member.email_verified", "profile.updated"):
        assert kind in kinds
    assert kinds.count("member.logged_in") == 2
    logged_in = [e for e in data["audit_events"] if e["kind"] == "member.logged_in"]
    assert [e["ip_address"] for e in logged_in] == [DESK["REMOTE_ADDR"], PHONE["REMOTE_ADDR"]]
    assert logged_in[1]["data"] == {"remember": True}
    assert all(e["actor"] == "you" and e["about_you"] for e in logged_in)
    # The account's own sections, then one per feature that stores something about members.
    assert {"export", "account", "profile", "consents", "login_sessions", "audit_events"} <= set(
        data
    )
    assert set(data) == {"export"} | {part.name for part in SECTIONS}


def test_export_holds_nothing_of_anyone_else(app, community):
    archive = download(community.desk)
    other_traces = [
        OTHER_HANDLE,
        OTHER_ADDRESS,
        "bergamot lanterns",
        OTHER_ADDRESS_IP,
        ELSEWHERE["HTTP_USER_AGENT"],
    ]
    for name in archive.namelist():
        content = archive.read(name).lower()
        for trace in other_traces:
            assert trace.lower().encode() not in content, f"{trace!r} in {name}"


def test_readable_copy_is_self_contained_and_escapes_what_members_wrote(app, community):
    index = download(community.desk).read("index.html").decode("utf-8")
    assert '<html lang="en"' in index
    assert HANDLE in index and ADDRESS in index
    assert "&lt;script&gt;alert(&#39;hello&#39;)&lt;/script&gt;" in index
    assert "<script" not in index.lower()
    assert "<link" not in index.lower()
    # Nothing loaded from anywhere: the only image is inline, and no address leaves the file.
    assert re.findall(r'src="([^"]{0,23})', index) == ["data:image/webp;base64,"]
    assert not re.search(r"(?:href|src)=\"(?:https?:)?//", index)
    assert "203.0.113.7" in index and "PhoneBrowser/2.0" in index
    # Codes are shown as words in the member's language; data.json keeps the codes.
    assert "<dt>Year of diagnosis</dt><dd>2019</dd>" in index
    assert "<dt>Phase at diagnosis</dt><dd>Chronic phase</dd>" in index
    assert "<dt>Languages I read and write</dt><dd><ul><li>Swedish</li><li>English</li>" in index
    assert "<dt>My picture</dt><dd>Members who are logged in</dd>" in index
    assert "<dt>Country</dt><dd>Sweden</dd>" in index


def test_export_needs_login_and_csrf(app, client, community):
    response = client.get("/settings/export")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")

    response = community.desk.post("/settings/export", data={})
    assert response.status_code == 400
    assert response.mimetype == "text/html"


def test_export_costs_the_same_queries_however_much_there_is(app, community, queries):
    def count() -> int:
        token_page = community.desk.get("/settings/export").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', token_page)
        queries.clear()
        response = community.desk.post("/settings/export", data={"csrf_token": token.group(1)})
        assert response.status_code == 200
        return len(queries)

    before = count()
    for _ in range(5):
        login(browser(app, PHONE), community.member)
    save_profile(community.desk, community.member, STORY + " More.")
    after = count()
    assert before == after
    # The session, consents, logins and audit events, and the "member.exported" entry; then
    # one query for each section a later feature added (stories, reactions, follows, ...),
    # but for the place for groups near you, which is in the profile loaded already.
    account_sections = 5
    without_query = 1
    assert after == 5 + len(SECTIONS) - account_sections - without_query, queries.statements


# --- Delete my account -----------------------------------------------------------------------


def delete_account(client, password: str = PASSWORD, confirm: bool = True):
    data = {"password": password}
    if confirm:
        data["confirm"] = "y"
    return submit(client, "/settings/delete", data)


def database_dump(app, database_urls, backend) -> str:
    """The whole test database as text: SQLite's iterdump, or pg_dump for PostgreSQL."""
    url = database_urls[backend]
    if backend == "sqlite":
        connection = sqlite3.connect(make_url(url).database)
        try:
            return "\n".join(connection.iterdump())
        finally:
            connection.close()
    server_url = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    pg_dump = shutil.which("pg_dump")
    if pg_dump:
        return subprocess.run(
            [pg_dump, "--no-owner", "--dbname", server_url],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    if IN_CI:
        pytest.fail("pg_dump is not on PATH; CI needs it to check erasure on PostgreSQL")
    with app.app_context():
        names = db.session.scalars(
            text("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
        ).all()
        return "\n".join(
            row
            for name in names
            for row in db.session.scalars(text(f'SELECT t::text FROM "{name}" t'))  # noqa: S608
        )


def files_under(folder: Path) -> list[Path]:
    return [Path(root) / name for root, _dirs, names in os.walk(folder) for name in names]


def containing(paths: list[Path], *traces: str) -> list[Path]:
    """The files among ``paths`` whose bytes contain any of ``traces``, in any case."""
    needles = [trace.lower().encode() for trace in traces]
    return [path for path in paths if any(n in path.read_bytes().lower() for n in needles)]


def test_delete_page_says_what_goes_and_what_stays(app, community):
    page = community.desk.get("/settings/delete")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "What we delete" in html and "What we keep" in html
    assert "side effects" in html
    assert "consent to processing health data was given and then withdrawn" in html
    assert 'name="password"' in html and 'type="checkbox"' in html
    assert 'href="/settings/delete"' in html


def test_after_erasure_no_trace_of_the_member_is_left(
    app, community, outbox, database_urls, backend
):
    member, other = community.member, community.other
    with app.app_context():
        consent_ids = db.session.scalars(
            select(Consent.id).where(Consent.member_id == member.id)
        ).all()
    assert len(avatar_files(app, member)) == 2
    outbox.clear()

    response = delete_account(community.desk)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    home = community.desk.get("/").get_data(as_text=True)
    assert "Your account and your data are deleted." in home
    assert "Logged in as" not in home

    # One mail: the confirmation, to the old address, in the member's language.
    [mail] = outbox
    assert mail.to == [ADDRESS]
    assert mail.subject == "Your CML Earth account is deleted"
    assert f"Hello {HANDLE}," in mail.body

    # The acceptance test: neither the database nor the instance folder knows them any more.
    dump = database_dump(app, database_urls, backend).lower()
    assert OTHER_HANDLE.lower() in dump  # the dump is real: it holds the other member
    assert HANDLE.lower() not in dump
    assert ADDRESS.lower() not in dump
    assert DESK["REMOTE_ADDR"] not in dump and PHONE["REMOTE_ADDR"] not in dump
    assert "quillwort" not in dump
    if backend == "sqlite":
        # Beyond the dump, the files themselves: deleted rows are zeroed (secure_delete) and the
        # write-ahead log, which still held earlier copies of their pages, is emptied.
        database = Path(make_url(database_urls["sqlite"]).database)
        files = sorted(database.parent.glob(f"{database.name}*"))
        assert containing(files, HANDLE, ADDRESS, "quillwort") == []
    instance_files = files_under(Path(app.instance_path))
    assert containing(instance_files, HANDLE, ADDRESS) == []
    assert avatar_files(app, member) == []
    assert not (Path(app.instance_path) / "avatars" / str(member.id)).exists()

    # Consent records stay, unlinked and withdrawn.
    with app.app_context():
        consents = db.session.scalars(select(Consent).where(Consent.id.in_(consent_ids))).all()
        assert len(consents) == 1
        assert all(c.member_id is None and c.withdrawn_at is not None for c in consents)
        # Exactly one note of the erasure, naming no one.
        [erased] = db.session.scalars(
            select(AuditEvent).where(AuditEvent.kind == "member.erased")
        ).all()
        assert (erased.member_id, erased.actor_id, erased.ip_address) == (None, None, None)
        assert HANDLE.lower() not in json.dumps(erased.data).lower()
        assert ADDRESS.lower() not in json.dumps(erased.data).lower()
        assert db.session.get(Member, member.id) is None
        assert db.session.get(Profile, member.id) is None
        assert not db.session.scalar(
            select(func.count(MemberSession.id)).where(MemberSession.member_id == member.id)
        )
        assert not db.session.scalar(
            select(func.count(AuditEvent.id)).where(
                (AuditEvent.member_id == member.id) | (AuditEvent.actor_id == member.id)
            )
        )

    # The other member is untouched.
    with app.app_context():
        other_row = db.session.get(Member, other.id)
        assert other_row.email == OTHER_ADDRESS
        assert other_row.profile.story == OTHER_STORY
        assert other_row.has_health_consent
        assert db.session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.member_id == other.id)
        )
    assert len(avatar_files(app, other)) == 2
    assert f"Logged in as {OTHER_HANDLE}" in community.elsewhere.get("/").get_data(as_text=True)


def test_after_erasure_the_member_cannot_log_in_anywhere(app, community):
    assert delete_account(community.desk).status_code == 302

    # The phone had its own session and a remember-me cookie: both are dead.
    assert community.phone.get_cookie("remember_token") is not None
    response = community.phone.get("/settings/profile")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")
    assert "Logged in as" not in community.phone.get("/").get_data(as_text=True)

    for login_name in (HANDLE, ADDRESS):
        response = submit(
            app.test_client(), "/auth/login", {"login": login_name, "password": PASSWORD}
        )
        assert response.status_code == 422
        assert GENERIC_LOGIN_ERROR in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "password, confirm",
    [("not my password at all", True), (PASSWORD, False), ("", True)],
    ids=["wrong-password", "unticked", "no-password"],
)
def test_erasure_needs_the_password_and_the_tick(app, community, outbox, password, confirm):
    member = community.member
    before = fetch_member(app, member.id)
    outbox.clear()

    response = delete_account(community.desk, password=password, confirm=confirm)

    assert response.status_code == 422
    assert fetch_member(app, member.id) == before
    assert scalar(app, select(Consent.withdrawn_at).where(Consent.member_id == member.id)) is None
    assert (
        scalar(app, select(func.count(AuditEvent.id)).where(AuditEvent.kind == "member.erased"))
        == 0
    )
    assert len(avatar_files(app, member)) == 2
    assert outbox == []
    assert f"Logged in as {HANDLE}" in community.desk.get("/").get_data(as_text=True)


def test_visitors_are_sent_to_log_in(app, client, community):
    response = client.get("/settings/delete")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")

    response = submit(client, "/settings/delete", {"password": PASSWORD, "confirm": "y"}, page="/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")
    assert fetch_member(app, community.member.id) is not None

    assert (
        client.post("/settings/delete", data={"password": PASSWORD, "confirm": "y"}).status_code
        == 400
    )


def test_erasure_answers_in_the_members_language(app, outbox, make_member):
    swede = make_member("SvenskaSigrid", locale="sv")
    client = app.test_client()
    login(client, Person(swede.id, swede.username, swede.email, swede.password))

    response = delete_account(client, password=swede.password)

    assert response.status_code == 302
    assert client.get_cookie("lang").value == "sv"
    assert '<html lang="sv"' in client.get("/").get_data(as_text=True)
    [mail] = outbox
    assert mail.to == [swede.email]


@pytest.fixture
def offline_mail(app_config):
    """Mail written as .eml files under instance/mail, the offline default, instead of locmem."""
    app_config["MAIL_BACKEND"] = EML_BACKEND


def test_offline_mail_copies_are_erased_but_the_confirmation_is_written(offline_mail, app):
    """With the .eml backend every mail is a file in instance/mail: copies of personal data.

    Erasure deletes the copies addressed to the member. The confirmation of the erasure is
    written after them, by design: the member must be told, so afterwards exactly one file is
    addressed to them, the confirmation, and no other file in instance/ names them.
    """
    assert app.config["MAIL_BACKEND"] == EML_BACKEND
    desk, elsewhere = browser(app, DESK), browser(app, ELSEWHERE)
    member = join(app, desk, None, HANDLE, ADDRESS)
    other = join(app, elsewhere, None, OTHER_HANDLE, OTHER_ADDRESS)
    assert submit(app.test_client(), "/auth/reset", {"email": ADDRESS}).status_code == 302
    login(desk, member)
    save_profile(desk, member, STORY)
    give_avatar(app, member)
    to_member = [path for path, message in mail_files(app) if message["To"] == ADDRESS]
    to_other = [path for path, message in mail_files(app) if message["To"] == OTHER_ADDRESS]
    assert len(to_member) == 2 and len(to_other) == 1  # verification and reset; verification

    assert delete_account(desk).status_code == 302

    remaining = mail_files(app)
    [(confirmation, message)] = [(p, m) for p, m in remaining if m["To"] == ADDRESS]
    assert message["Subject"] == "Your CML Earth account is deleted"
    assert confirmation not in to_member
    assert [p for p, m in remaining if m["To"] == OTHER_ADDRESS] == to_other
    assert containing(files_under(Path(app.instance_path)), HANDLE, ADDRESS) == [confirmation]
    assert fetch_member(app, other.id) is not None


def test_offline_mail_to_an_earlier_address_is_erased_too(offline_mail, app):
    """Mail to the address a member had before still names them: the copies go as well."""
    earlier = "first.address.quartz@old-mail.example"
    desk = browser(app, DESK)
    member = join(app, desk, None, HANDLE, earlier)
    login(desk, member)
    response = submit(desk, "/settings/email", {"email": ADDRESS, "password": PASSWORD})
    assert response.status_code == 302
    [change] = [plain_text(m) for _p, m in mail_files(app) if m["To"] == ADDRESS]
    link = re.search(r"https?://[^/\s]+(/settings/email/confirm/[^\s\"<]+)", change)
    assert submit(desk, link.group(1), {}).status_code == 302
    assert fetch_member(app, member.id)["email"] == ADDRESS
    assert any(m["To"] == earlier for _p, m in mail_files(app))

    assert delete_account(desk).status_code == 302

    [(confirmation, message)] = mail_files(app)
    assert message["To"] == ADDRESS
    assert containing(files_under(Path(app.instance_path)), HANDLE, ADDRESS, earlier) == [
        confirmation
    ]
