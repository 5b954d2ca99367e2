"""Two-step sign-in through the real forms: codes, recovery codes, staff set-up, settings."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from sqlalchemy import func, select

from cml_earth.audit.models import AuditEvent
from cml_earth.auth import two_factor
from cml_earth.auth.models import Member, MemberSession, RecoveryCode
from cml_earth.extensions import db

from .conftest import (
    PASSWORD,
    TEST_RECOVERY_CODES,
    TEST_TOTP_SECRET,
    Auth,
    csrf_token,
    fetch_member,
    scalar,
    submit,
)

TOTP = pyotp.TOTP(TEST_TOTP_SECRET)
WRONG_CODE = "This code is not right"
BAD_FORMAT = "Enter the 6-digit code from your app, or one of your recovery codes."


def code_at(offset_steps: int = 0, secret: str = TEST_TOTP_SECRET) -> str:
    """The code of the time step ``offset_steps`` away from now (the server allows ±1)."""
    return pyotp.TOTP(secret).at(time.time() + 30 * offset_steps)


def password_step(client, member, **extra):
    return submit(
        client, "/auth/login", {"login": member.username, "password": member.password, **extra}
    )


def code_step(client, code: str, page: str | None = None):
    return submit(client, "/auth/two-factor", {"code": code}, page=page)


def audit_kinds(app, member_id: int) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEvent.kind)
                .where(AuditEvent.member_id == member_id)
                .order_by(AuditEvent.id)
            )
        )


def open_sessions(app, member_id: int) -> int:
    return scalar(
        app,
        select(func.count(MemberSession.id)).where(
            MemberSession.member_id == member_id, MemberSession.ended_at.is_(None)
        ),
    )


def logged_in_as(client, member) -> bool:
    return member.username in client.get("/").get_data(as_text=True)


def shown_secret(html: str) -> str:
    match = re.search(r'<code class="secret" translate="no">([A-Z2-7 ]+)</code>', html)
    assert match, "no secret on the set-up page"
    return match.group(1).replace(" ", "")


def setup_token(html: str) -> str:
    match = re.search(r'name="setup" type="hidden" value="([^"]+)"', html) or re.search(
        r'type="hidden" name="setup" value="([^"]+)"', html
    )
    assert match, "no set-up token on the page"
    return match.group(1)


def shown_recovery_codes(html: str) -> list[str]:
    block = re.search(r'<ol class="recovery-codes"[^>]*>(.*?)</ol>', html, re.S)
    assert block, "no recovery codes on the page"
    return re.findall(r"<code>([a-z2-9-]+)</code>", block.group(1))


@pytest.fixture
def enrolled(make_member):
    """A patient who turned two-step sign-in on (with the test secret and recovery codes)."""
    return make_member("GunillaTwoStep", role="patient", two_factor=True)


@pytest.fixture
def new_staff(make_member):
    """A sponsor moderator who has not set up an authenticator yet."""
    return make_member("NewModerator", role="sponsor", two_factor=False)


# --- logging in with a code -----------------------------------------------------------------


def test_the_password_alone_does_not_log_in_and_the_code_does(app, client, enrolled):
    response = password_step(client, enrolled)
    assert response.status_code == 302
    assert response.location == "/auth/two-factor"
    # Half-way: no session on the server, and no page treats the browser as logged in.
    assert open_sessions(app, enrolled.id) == 0
    assert not logged_in_as(client, enrolled)
    assert client.get("/settings/preferences").status_code == 302

    page = client.get("/auth/two-factor")
    assert page.status_code == 200
    assert 'autocomplete="one-time-code"' in page.get_data(as_text=True)
    response = code_step(client, code_at())
    assert response.status_code == 302
    assert response.location == "/"
    assert open_sessions(app, enrolled.id) == 1
    assert logged_in_as(client, enrolled)
    assert audit_kinds(app, enrolled.id)[-1] == "member.logged_in"


def test_the_code_step_keeps_remember_me_and_next(app, client, enrolled):
    page = client.get("/auth/login?next=/settings/devices")
    response = client.post(
        "/auth/login?next=/settings/devices",
        data={
            "csrf_token": csrf_token(page.get_data(as_text=True)),
            "login": enrolled.username,
            "password": enrolled.password,
            "remember": "y",
        },
    )
    assert response.location == "/auth/two-factor"
    response = code_step(client, code_at())
    assert response.status_code == 302
    assert response.location == "/settings/devices"
    assert client.get_cookie("remember_token") is not None
    assert scalar(app, select(MemberSession.remember).where(MemberSession.member_id == enrolled.id))


def test_a_member_without_two_factor_logs_in_with_the_password(app, client, patient):
    response = password_step(client, patient)
    assert response.status_code == 302 and response.location == "/"
    assert logged_in_as(client, patient)
    assert app.test_client().get("/auth/two-factor").location == "/auth/login"


def test_a_wrong_code_is_refused_on_the_same_page_and_audited(app, client, enrolled):
    password_step(client, enrolled)
    wrong = f"{(int(code_at()) + 1) % 1_000_000:06d}"
    response = code_step(client, wrong)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert WRONG_CODE in html
    assert 'name="code"' in html
    assert open_sessions(app, enrolled.id) == 0
    # The failure is recorded although the request answered with an error.
    assert audit_kinds(app, enrolled.id).count("two_factor_failed") == 1
    # Still half-way: the right code works next.
    assert code_step(client, code_at()).status_code == 302
    assert logged_in_as(client, enrolled)


def test_a_code_works_only_once(app, client, enrolled, monkeypatch):
    now = time.time()
    # The server's clock stands still here: a 30-second boundary crossed between two requests
    # would move the older code out of the window ("wrong_code") instead of "replayed_code".
    matching_step = two_factor.matching_step
    monkeypatch.setattr(
        two_factor, "matching_step", lambda secret, code, at=None: matching_step(secret, code, now)
    )
    code = TOTP.at(now)
    auth = Auth(client)
    password_step(client, enrolled)
    assert code_step(client, code).status_code == 302
    auth.logout()

    password_step(client, enrolled)
    response = code_step(client, code)  # the same code again, seconds later
    assert response.status_code == 422
    assert WRONG_CODE in response.get_data(as_text=True)
    # An older code than the one used is no good either.
    assert code_step(client, TOTP.at(now - 30)).status_code == 422
    assert open_sessions(app, enrolled.id) == 0
    reasons = [event.data["reason"] for event in _events(app, enrolled.id, "two_factor_failed")]
    assert reasons == ["replayed_code", "replayed_code"]
    # The next code still works.
    assert code_step(client, TOTP.at(now + 30)).status_code == 302


def _events(app, member_id: int, kind: str) -> list:
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.member_id == member_id, AuditEvent.kind == kind)
        ).all()
        db.session.expunge_all()
        return events


def test_a_recovery_code_works_once(app, client, enrolled):
    code = TEST_RECOVERY_CODES[0]
    typed = f"  {code[:4].upper()}-{code[4:8]} {code[8:]} "  # case, dashes and spaces ignored
    password_step(client, enrolled)
    response = code_step(client, typed)
    assert response.status_code == 302
    assert "You used a recovery code" in client.get("/").get_data(as_text=True)
    assert logged_in_as(client, enrolled)
    used = _events(app, enrolled.id, "recovery_code_used")
    assert [event.data["left"] for event in used] == [len(TEST_RECOVERY_CODES) - 1]
    Auth(client).logout()

    password_step(client, enrolled)
    response = code_step(client, code)
    assert response.status_code == 422
    assert WRONG_CODE in response.get_data(as_text=True)
    assert code_step(client, TEST_RECOVERY_CODES[1]).status_code == 302


@pytest.mark.parametrize(
    "code",
    [
        "",
        "   ",
        "abcdef",
        "12345",
        "1234567",
        "12 34 5x",
        "١٢٣٤٥٦",  # digits, but not the ones an app shows
        "１２３４５６",
        "123456\x00",
        "x" * 10_000,
        "testabcd2222x",
    ],
    ids=[
        "empty",
        "blank",
        "letters",
        "short",
        "long",
        "mixed",
        "arabic-indic",
        "fullwidth",
        "nul",
        "huge",
        "recovery-too-long",
    ],
)
def test_bad_input_is_a_clear_422_never_a_500(app, client, enrolled, code):
    password_step(client, enrolled)
    response = code_step(client, code)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert any(
        message in html
        for message in (
            BAD_FORMAT,
            "Please enter the code.",
            "Use at most 64 characters.",
            "This contains characters that are not allowed.",
        )
    ), html
    assert open_sessions(app, enrolled.id) == 0


def test_the_half_done_login_expires(app, client, enrolled):
    password_step(client, enrolled)
    with client.session_transaction() as session:
        note = session["two_factor_pending"]
        note["until"] = int(time.time()) - 1
        session["two_factor_pending"] = note
    response = code_step(client, code_at(), page="/auth/login")
    assert response.status_code == 302 and response.location == "/auth/login"
    assert open_sessions(app, enrolled.id) == 0


def test_five_wrong_codes_end_the_half_done_login(app, client, enrolled):
    password_step(client, enrolled)
    for _ in range(4):
        assert code_step(client, "000000" if code_at() != "000000" else "111111").status_code == 422
    response = code_step(client, "999999" if code_at() != "999999" else "888888")
    assert response.status_code == 302 and response.location == "/auth/login"
    assert code_step(client, code_at(), page="/auth/login").location == "/auth/login"
    assert open_sessions(app, enrolled.id) == 0
    assert audit_kinds(app, enrolled.id).count("two_factor_failed") == 5


# --- staff must set it up ------------------------------------------------------------------


def test_staff_set_up_the_app_before_any_page_opens(app, client, new_staff):
    response = password_step(client, new_staff)
    assert response.status_code == 302
    assert response.location == "/auth/two-factor/setup"
    assert open_sessions(app, new_staff.id) == 0
    # Half-way, no staff page opens.
    proposals = client.get("/groups/proposals")
    assert proposals.status_code == 302 and proposals.location.startswith("/auth/login")
    assert client.get("/auth/two-factor").location == "/auth/two-factor/setup"

    page = client.get("/auth/two-factor/setup")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert 'src="data:image/svg+xml;base64,' in html
    secret = shown_secret(html)
    assert len(secret) == 32
    assert "otpauth://totp/CML%20Earth:NewModerator?secret=" + secret in html
    assert "issuer=CML%20Earth" in html
    # Showing the page stored nothing.
    assert fetch_member(app, new_staff.id)["totp_secret"] is None

    data = {"setup": setup_token(html), "csrf_token": csrf_token(html)}
    response = client.post("/auth/two-factor/setup", data={**data, "code": "000000"})
    if code_at(secret=secret) != "000000":
        assert response.status_code == 422
        assert WRONG_CODE in response.get_data(as_text=True)
        # The same secret stays on the page: nothing to scan again.
        assert shown_secret(response.get_data(as_text=True)) == secret
    response = client.post("/auth/two-factor/setup", data={**data, "code": code_at(secret=secret)})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    codes = shown_recovery_codes(response.get_data(as_text=True))
    assert len(codes) == 10 and len(set(codes)) == 10
    row = fetch_member(app, new_staff.id)
    assert row["totp_secret"] == secret and row["totp_enabled_at"] is not None
    assert open_sessions(app, new_staff.id) == 1
    assert client.get("/groups/proposals").status_code == 200
    assert "two_factor_enabled" in audit_kinds(app, new_staff.id)
    # Only digests are kept.
    with app.app_context():
        hashes = set(
            db.session.scalars(
                select(RecoveryCode.code_hash).where(RecoveryCode.member_id == new_staff.id)
            )
        )
    assert len(hashes) == 10 and not any(code.replace("-", "") in hashes for code in codes)

    # From now on the code is asked at every login.
    Auth(client).logout()
    assert password_step(client, new_staff).location == "/auth/two-factor"
    assert code_step(client, codes[3]).status_code == 302
    assert logged_in_as(client, new_staff)


def test_a_forged_set_up_token_does_not_choose_the_secret(app, client, new_staff):
    password_step(client, new_staff)
    html = client.get("/auth/two-factor/setup").get_data(as_text=True)
    chosen = "A" * 32
    response = client.post(
        "/auth/two-factor/setup",
        data={
            "csrf_token": csrf_token(html),
            "setup": f"{{'m': {new_staff.id}, 's': '{chosen}'}}",
            "code": code_at(secret=chosen),
        },
    )
    assert response.status_code == 422
    assert "This page had expired" in response.get_data(as_text=True)
    assert fetch_member(app, new_staff.id)["totp_secret"] is None


def test_a_staff_session_without_two_factor_counts_for_nothing(app, client, auth, sponsor):
    assert auth.login(sponsor).status_code == 302
    assert client.get("/groups/proposals").status_code == 200
    # As if the session had been made before two-step sign-in was required.
    with app.app_context():
        member = db.session.get(Member, sponsor.id)
        member.totp_enabled_at = None
        db.session.commit()
    response = client.get("/groups/proposals")
    assert response.status_code == 302 and response.location.startswith("/auth/login")
    assert not logged_in_as(client, sponsor)


def test_turning_it_on_ends_the_older_logins(app, make_member):
    staff = make_member("OldSessionStaff", role="admin", two_factor=False)
    member = make_member("OldSessionMember")
    for who in (staff, member):
        with app.app_context():
            db.session.add(
                MemberSession(
                    member_id=who.id,
                    token_hash=f"{who.id:064d}",
                    expires_at=_in_an_hour(),
                )
            )
            db.session.commit()
    client = app.test_client()
    password_step(client, staff)
    html = client.get("/auth/two-factor/setup").get_data(as_text=True)
    secret = shown_secret(html)
    response = submit(
        client,
        "/auth/two-factor/setup",
        {"setup": setup_token(html), "code": code_at(secret=secret)},
    )
    assert response.status_code == 200
    assert open_sessions(app, staff.id) == 1  # only the new one
    assert open_sessions(app, member.id) == 1  # nobody else's


def _in_an_hour():
    from datetime import timedelta

    from cml_earth.database import utcnow

    return utcnow() + timedelta(hours=1)


# --- settings: members opt in and out -------------------------------------------------------


def test_a_member_turns_it_on_and_off_in_settings(app, client, auth, patient):
    other_device = app.test_client()
    Auth(other_device).login(patient)
    auth.login(patient)
    page = client.get("/settings/two-factor")
    assert page.status_code == 200
    assert "Two-step sign-in is off." in page.get_data(as_text=True)
    assert "/settings/two-factor" in client.get("/settings/preferences").get_data(as_text=True)

    first = client.get("/settings/two-factor/enable").get_data(as_text=True)
    second = client.get("/settings/two-factor/enable")
    assert second.headers["Cache-Control"] == "no-store"
    second = second.get_data(as_text=True)
    assert shown_secret(first) != shown_secret(second)  # nothing kept between showings
    assert fetch_member(app, patient.id)["totp_secret"] is None
    secret = shown_secret(second)
    data = {"csrf_token": csrf_token(second), "setup": setup_token(second)}

    response = client.post(
        "/settings/two-factor/enable",
        data={**data, "password": "not my password", "code": code_at(secret=secret)},
    )
    assert response.status_code == 422
    assert "This is not your password." in response.get_data(as_text=True)
    assert fetch_member(app, patient.id)["totp_enabled_at"] is None

    enabling_code = code_at(secret=secret)
    response = client.post(
        "/settings/two-factor/enable",
        data={**data, "password": PASSWORD, "code": enabling_code},
    )
    assert response.status_code == 200
    codes = shown_recovery_codes(response.get_data(as_text=True))
    assert len(codes) == 10
    assert fetch_member(app, patient.id)["totp_secret"] == secret
    # This device stays logged in; the other one, logged in with the password alone, does not.
    assert logged_in_as(client, patient)
    assert not logged_in_as(other_device, patient)
    status = client.get("/settings/two-factor").get_data(as_text=True)
    assert "Two-step sign-in is on." in status
    assert "You have 10 unused recovery codes." in status

    # Turning it off takes the password and a code: not the one just used (it is spent, even
    # if the clock has moved on to the next 30 seconds since), but the next one.
    response = submit(
        client,
        "/settings/two-factor/disable",
        {"password": PASSWORD, "code": enabling_code},
    )
    assert response.status_code == 422
    response = submit(
        client,
        "/settings/two-factor/disable",
        {"password": PASSWORD, "code": code_at(1, secret=secret)},
    )
    assert response.status_code == 302
    assert response.location == "/settings/two-factor"
    row = fetch_member(app, patient.id)
    assert row["totp_secret"] is None and row["totp_enabled_at"] is None
    assert scalar(app, select(func.count(RecoveryCode.id))) == 0
    kinds = audit_kinds(app, patient.id)
    assert kinds.index("two_factor_enabled") < kinds.index("two_factor_disabled")
    auth.logout()
    assert password_step(client, patient).location == "/"


def test_turning_it_off_needs_the_password_and_a_code(app, client, auth, enrolled):
    auth.login(enrolled)
    for data, message in (
        ({"password": "wrong password", "code": code_at(1)}, "This is not your password."),
        ({"password": PASSWORD, "code": "123"}, BAD_FORMAT),
        ({"password": PASSWORD, "code": ""}, "Please enter the code."),
        ({"password": "", "code": code_at(1)}, "Please enter your password."),
    ):
        response = submit(client, "/settings/two-factor/disable", data)
        assert response.status_code == 422, data
        assert message in response.get_data(as_text=True), data
    assert fetch_member(app, enrolled.id)["totp_enabled_at"] is not None
    # A recovery code will do instead of the app's code.
    response = submit(
        client,
        "/settings/two-factor/disable",
        {"password": PASSWORD, "code": TEST_RECOVERY_CODES[5]},
    )
    assert response.status_code == 302
    assert fetch_member(app, enrolled.id)["totp_enabled_at"] is None


def test_staff_cannot_turn_it_off(app, client, auth, admin):
    auth.login(admin)
    status = client.get("/settings/two-factor").get_data(as_text=True)
    assert "Staff accounts must keep two-step sign-in on." in status
    assert "/settings/two-factor/disable" not in status
    page = client.get("/settings/two-factor")
    response = client.post(
        "/settings/two-factor/disable",
        data={
            "csrf_token": csrf_token(page.get_data(as_text=True)),
            "password": PASSWORD,
            "code": code_at(1),
        },
    )
    assert response.status_code == 302
    assert fetch_member(app, admin.id)["totp_enabled_at"] is not None
    assert "two_factor_disabled" not in audit_kinds(app, admin.id)


def test_new_recovery_codes_replace_the_old_ones(app, client, auth, enrolled):
    auth.login(enrolled)
    response = submit(client, "/settings/two-factor/recovery-codes", {"password": "wrong one"})
    assert response.status_code == 422
    response = submit(client, "/settings/two-factor/recovery-codes", {"password": PASSWORD})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    codes = shown_recovery_codes(response.get_data(as_text=True))
    assert len(codes) == 10
    assert "recovery_codes_regenerated" in audit_kinds(app, enrolled.id)
    auth.logout()

    password_step(client, enrolled)
    assert code_step(client, TEST_RECOVERY_CODES[9]).status_code == 422
    assert code_step(client, codes[9]).status_code == 302


# --- password reset -------------------------------------------------------------------------


def test_a_password_reset_does_not_bypass_the_code(app, client, enrolled, outbox):
    submit(client, "/auth/reset", {"email": enrolled.email})
    match = re.search(r"https?://[^/\s]+(/auth/reset/[^\s\"<]+)", outbox[-1].body)
    assert match
    new_password = "a fresh path through the woods"
    response = submit(
        client, match.group(1), {"password": new_password, "password_confirm": new_password}
    )
    assert response.status_code == 302
    assert response.location == "/auth/login"
    assert not logged_in_as(client, enrolled)
    assert open_sessions(app, enrolled.id) == 0
    response = submit(client, "/auth/login", {"login": enrolled.username, "password": new_password})
    assert response.location == "/auth/two-factor"
    assert open_sessions(app, enrolled.id) == 0
    assert code_step(client, code_at()).status_code == 302
    assert logged_in_as(client, enrolled)


def test_a_reset_during_the_code_step_voids_the_half_done_login(app, client, enrolled):
    password_step(client, enrolled)
    with app.app_context():
        from cml_earth.auth.services import set_password

        set_password(db.session.get(Member, enrolled.id), "someone else chose this", "test")
        db.session.commit()
    response = code_step(client, code_at(), page="/auth/login")
    assert response.status_code == 302 and response.location == "/auth/login"
    assert open_sessions(app, enrolled.id) == 0


# --- CSRF and rate limits -------------------------------------------------------------------


def test_every_two_factor_form_needs_the_csrf_token(app, client, make_member, enrolled):
    staff = make_member("CsrfStaff", role="sponsor", two_factor=False)
    password_step(client, enrolled)
    attempts = [("/auth/two-factor", {"code": code_at()})]
    for path, data in attempts:
        for sent in (data, {**data, "csrf_token": "forged"}):
            assert client.post(path, data=sent).status_code == 400, path
    assert open_sessions(app, enrolled.id) == 0

    other = app.test_client()
    password_step(other, staff)
    html = other.get("/auth/two-factor/setup").get_data(as_text=True)
    data = {"setup": setup_token(html), "code": code_at(secret=shown_secret(html))}
    assert other.post("/auth/two-factor/setup", data=data).status_code == 400
    assert fetch_member(app, staff.id)["totp_enabled_at"] is None

    code_step(client, code_at())  # now logged in
    for path, data in (
        ("/settings/two-factor/enable", {"password": PASSWORD, "code": code_at(1)}),
        ("/settings/two-factor/disable", {"password": PASSWORD, "code": code_at(1)}),
        ("/settings/two-factor/recovery-codes", {"password": PASSWORD}),
    ):
        for sent in (data, {**data, "csrf_token": "forged"}):
            assert client.post(path, data=sent).status_code == 400, path
    assert fetch_member(app, enrolled.id)["totp_enabled_at"] is not None
    assert "recovery_codes_regenerated" not in audit_kinds(app, enrolled.id)


class TestRateLimits:
    @pytest.fixture
    def app_config(self, app_config):
        app_config["RATELIMIT_ENABLED"] = True
        return app_config

    def test_wrong_codes_are_limited_per_member(self, app, client, enrolled):
        wrong = "000000" if code_at() != "000000" else "111111"
        password_step(client, enrolled)
        for _ in range(4):
            assert code_step(client, wrong).status_code == 422
        assert code_step(client, wrong).location == "/auth/login"  # five: log in again
        password_step(client, enrolled)
        # The limit is the member's, not the browser's half-done login: even the right code
        # waits now.
        assert code_step(client, code_at()).status_code == 429
        other_browser = app.test_client()
        password_step(other_browser, enrolled)
        assert code_step(other_browser, code_at()).status_code == 429
        assert open_sessions(app, enrolled.id) == 0

    def test_codes_are_limited_per_address(self, app, app_config, client, make_member):
        app.config["TWO_FACTOR_LIMIT_PER_ADDRESS"] = "3 per minute"
        members = [make_member(f"Address{n}", two_factor=True) for n in range(4)]
        for member in members[:3]:
            browser = app.test_client()
            password_step(browser, member)
            assert code_step(browser, "12345x").status_code == 422
        browser = app.test_client()
        password_step(browser, members[3])
        assert code_step(browser, code_at()).status_code == 429

    def test_right_codes_do_not_count(self, app, client, enrolled):
        auth = Auth(client)
        for _ in range(7):
            assert auth.login(enrolled).status_code == 302
            auth.logout()


# --- the demo -------------------------------------------------------------------------------


def test_demo_staff_get_the_documented_authenticator(app, make_member):
    from pathlib import Path

    from cml_earth.demo.services import demo_totp_secret, enrol_staff_authenticators

    make_member("SponsorMaria", role="sponsor", two_factor=False)
    with app.app_context():
        enrolled = enrol_staff_authenticators()
        db.session.commit()
    assert [(name, secret) for name, secret, _uri in enrolled] == [
        ("SponsorMaria", demo_totp_secret("SponsorMaria"))
    ]
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    for username in ("SponsorMaria", "AdminAlex"):
        assert f"| `{username}` | `{demo_totp_secret(username)}` |" in readme
    member = scalar(app, select(Member).where(Member.username == "SponsorMaria"))
    assert member.totp_enabled_at is not None
