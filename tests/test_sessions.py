"""Login sessions: new at login, ended on the server at logout, reset and by staff; rate limits."""

from __future__ import annotations

import html
import re

import pytest
from flask_babel import force_locale, gettext
from limits import parse_many
from sqlalchemy import select, update

from cml_earth.auth.models import MemberSession, token_digest
from cml_earth.database import utcnow
from cml_earth.extensions import db

from .conftest import Auth, submit

REMEMBER_COOKIE = "remember_token"
SESSION_COOKIE = "session"


def logged_in_as(client) -> str | None:
    """The username the site greets this browser with, or None for a visitor."""
    page = client.get("/")
    assert page.status_code == 200
    match = re.search(r'<span class="whoami">Logged in as ([^<\s]+)', page.get_data(as_text=True))
    return html.unescape(match.group(1)) if match else None


def cookie(client, name: str) -> str | None:
    found = client.get_cookie(name)
    return found.value if found else None


def browser_with(app, **cookies):
    """A new test client holding only ``cookies``: someone who copied them."""
    browser = app.test_client()
    for name, value in cookies.items():
        browser.set_cookie(name, value)
    return browser


def sessions_of(app, member_id: int) -> list[MemberSession]:
    with app.app_context():
        rows = db.session.scalars(
            select(MemberSession)
            .where(MemberSession.member_id == member_id)
            .order_by(MemberSession.id)
        ).all()
        db.session.expunge_all()
        return rows


def open_sessions(app, member_id: int) -> int:
    return sum(1 for row in sessions_of(app, member_id) if row.ended_at is None)


# --- login and logout -----------------------------------------------------------------------


def test_login_starts_a_new_session(app, client, auth, patient):
    client.get("/auth/login")
    with client.session_transaction() as session:
        session["planted_by_an_attacker"] = "fixation"
    before = cookie(client, SESSION_COOKIE)

    assert auth.login(patient).status_code == 302

    assert cookie(client, SESSION_COOKIE) != before
    with client.session_transaction() as session:
        assert "planted_by_an_attacker" not in session
        session_token = session["_user_id"]
    assert session_token != str(patient.id)
    [row] = sessions_of(app, patient.id)
    assert row.token_hash == token_digest(session_token)
    assert row.ended_at is None
    assert row.remember is False
    assert cookie(client, REMEMBER_COOKIE) is None
    assert logged_in_as(client) == patient.username


def test_logout_is_post_only(client, auth, patient):
    auth.login(patient)
    assert client.get("/auth/logout").status_code == 405
    assert logged_in_as(client) == patient.username


def test_logout_needs_the_csrf_token(app, client, auth, patient):
    auth.login(patient)
    assert client.post("/auth/logout", data={}).status_code == 400
    assert client.post("/auth/logout", data={"csrf_token": "forged"}).status_code == 400
    assert logged_in_as(client) == patient.username
    assert open_sessions(app, patient.id) == 1


def test_logout_ends_the_session_on_the_server(app, client, auth, patient):
    auth.login(patient)
    copied = browser_with(app, session=cookie(client, SESSION_COOKIE))
    assert logged_in_as(copied) == patient.username  # the copy works while the session is open

    assert auth.logout().status_code == 302

    assert logged_in_as(client) is None
    assert logged_in_as(copied) is None
    [row] = sessions_of(app, patient.id)
    assert row.ended_at is not None
    assert row.ended_reason == "logout"


def test_logout_everywhere_ends_the_other_devices_too(app, client, auth, patient):
    phone = app.test_client()
    auth.login(patient)
    Auth(phone).login(patient)
    assert logged_in_as(phone) == patient.username
    assert open_sessions(app, patient.id) == 2

    response = submit(client, "/auth/logout", {"everywhere": "1"}, page="/")

    assert response.status_code == 302
    assert logged_in_as(client) is None
    assert logged_in_as(phone) is None
    assert open_sessions(app, patient.id) == 0
    assert {row.ended_reason for row in sessions_of(app, patient.id)} == {"logout_everywhere"}


def test_plain_logout_leaves_the_other_devices_logged_in(app, client, auth, patient):
    phone = app.test_client()
    auth.login(patient)
    Auth(phone).login(patient)

    auth.logout()

    assert logged_in_as(client) is None
    assert logged_in_as(phone) == patient.username
    assert open_sessions(app, patient.id) == 1


def test_password_reset_ends_every_session(app, client, patient, outbox):
    laptop = app.test_client()
    Auth(laptop).login(patient)
    assert logged_in_as(laptop) == patient.username

    submit(client, "/auth/reset", {"email": patient.email})
    reset_path = re.search(r"https?://[^/\s]+(/auth/reset/\S+)", outbox[-1].body).group(1)
    new_password = "a brand new evening sky"
    response = submit(
        client, reset_path, {"password": new_password, "password_confirm": new_password}
    )

    assert response.status_code == 302
    assert logged_in_as(laptop) is None
    assert open_sessions(app, patient.id) == 0
    assert {row.ended_reason for row in sessions_of(app, patient.id)} == {"password_reset"}


def test_session_ended_on_the_server_logs_the_member_out(app, client, auth, patient):
    auth.login(patient)
    assert client.get("/settings/preferences").status_code == 200

    # What an administrator's "end this session" action does.
    with app.app_context():
        db.session.execute(
            update(MemberSession)
            .where(MemberSession.member_id == patient.id)
            .values(ended_at=utcnow(), ended_reason="admin")
        )
        db.session.commit()

    response = client.get("/settings/preferences")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")
    assert logged_in_as(client) is None


# --- remember me ----------------------------------------------------------------------------


def test_remember_me_cookie_logs_in_until_logout_everywhere(app, client, auth, patient):
    assert auth.login(patient, remember=True).status_code == 302
    remembered = cookie(client, REMEMBER_COOKIE)
    assert remembered
    [row] = sessions_of(app, patient.id)
    assert row.remember is True

    next_week = browser_with(app, remember_token=remembered)
    assert logged_in_as(next_week) == patient.username

    submit(client, "/auth/logout", {"everywhere": "1"}, page="/")

    assert logged_in_as(next_week) is None
    assert logged_in_as(browser_with(app, remember_token=remembered)) is None


# --- where login leads ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/about/privacy", "/about/privacy"),
        ("https://evil.example/", "/"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_login_follows_next_only_within_the_site(client, patient, target, expected):
    response = submit(
        client,
        "/auth/login",
        {"login": patient.username, "password": patient.password},
        query_string={"next": target},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == expected
    # Already logged in, the login page sends the member on with the same rule.
    again = client.get("/auth/login", query_string={"next": target})
    assert again.status_code == 302
    assert again.headers["Location"] == expected


# --- rate limits ----------------------------------------------------------------------------

ELSEWHERE = {"REMOTE_ADDR": "10.0.0.2"}


def lowest(app, name: str) -> int:
    """The smallest allowance of a configured limit such as "5 per minute;30 per hour"."""
    return min(item.amount for item in parse_many(app.config[name]))


def in_swedish(app, message: str) -> str:
    with app.test_request_context(), force_locale("sv"):
        return gettext(message)


class TestRateLimits:
    @pytest.fixture
    def app_config(self, app_config):
        app_config["RATELIMIT_ENABLED"] = True
        return app_config

    def test_failed_logins_are_limited_per_account_and_address(self, app, client, patient):
        allowed = lowest(app, "LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS")
        # Otherwise the per-address limit would be the one answering below.
        assert lowest(app, "LOGIN_LIMIT_PER_ADDRESS") > allowed + 1
        client.set_cookie("lang", "sv")
        wrong = {"login": patient.username, "password": "guess number n"}
        for _ in range(allowed):
            assert submit(client, "/auth/login", wrong).status_code == 422

        blocked = submit(client, "/auth/login", wrong)
        assert blocked.status_code == 429
        page = html.unescape(blocked.get_data(as_text=True))
        assert '<html lang="sv"' in page
        assert in_swedish(app, "Too many attempts") in page
        right = {"login": patient.username, "password": patient.password}
        assert submit(client, "/auth/login", right).status_code == 429

        # The member, somewhere else, is not locked out by the attacker.
        member = app.test_client()
        response = submit(member, "/auth/login", right, environ_base=ELSEWHERE)
        assert response.status_code == 302
        assert open_sessions(app, patient.id) == 1

    def test_guessing_from_many_addresses_does_not_lock_the_member_out(self, app, patient):
        """The per-account limit stops guesses spread over addresses, but spares a browser
        where the member's password was right before (DOMAIN: no lock-out by attackers)."""
        app.config["LOGIN_LIMIT_PER_ACCOUNT"] = "3 per hour"
        right = {"login": patient.username, "password": patient.password}
        own_browser = app.test_client()
        assert submit(own_browser, "/auth/login", right).status_code == 302
        submit(own_browser, "/auth/logout", {}, page="/")

        wrong = {"login": patient.username, "password": "guess number n"}
        for n in range(3):
            attacker = app.test_client()
            address = {"REMOTE_ADDR": f"198.51.100.{n + 1}"}
            assert submit(attacker, "/auth/login", wrong, environ_base=address).status_code == 422
        attacker = app.test_client()
        address = {"REMOTE_ADDR": "198.51.100.9"}
        assert submit(attacker, "/auth/login", wrong, environ_base=address).status_code == 429
        # Even the right password waits in a browser the member never used...
        new_browser = app.test_client()
        assert submit(new_browser, "/auth/login", right, environ_base=ELSEWHERE).status_code == 429
        # ...and a forged "known" cookie changes nothing...
        new_browser.set_cookie("known_device", "W10.forged.signature")
        assert submit(new_browser, "/auth/login", right, environ_base=ELSEWHERE).status_code == 429
        # ...but the member's own browser still gets in, and never carries the login in clear.
        cookie = own_browser.get_cookie("known_device")
        assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"
        assert patient.username.casefold() not in cookie.value.casefold()
        assert submit(own_browser, "/auth/login", right).status_code == 302
        assert open_sessions(app, patient.id) == 1

    def test_successful_logins_do_not_count(self, app, client, auth, patient):
        for _ in range(lowest(app, "LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS") + 1):
            assert auth.login(patient).status_code == 302
            auth.logout()

    def test_registration_is_limited_per_address(self, app, client):
        allowed = lowest(app, "REGISTER_LIMIT_PER_ADDRESS")
        for _ in range(allowed):
            assert submit(client, "/auth/register", {}).status_code == 422
        assert submit(client, "/auth/register", {}).status_code == 429

        elsewhere = app.test_client()
        response = submit(elsewhere, "/auth/register", {}, environ_base=ELSEWHERE)
        assert response.status_code == 422

    def test_reset_requests_are_limited_per_address(self, app, client, outbox):
        allowed = lowest(app, "RESET_LIMIT_PER_ADDRESS")
        for number in range(allowed):
            data = {"email": f"someone{number}@example.org"}
            assert submit(client, "/auth/reset", data).status_code == 302
        assert submit(client, "/auth/reset", {"email": "one.more@example.org"}).status_code == 429

        elsewhere = app.test_client()
        data = {"email": "one.more@example.org"}
        assert submit(elsewhere, "/auth/reset", data, environ_base=ELSEWHERE).status_code == 302

    def test_reset_requests_are_limited_per_address_asked_for(self, app, patient, outbox):
        allowed = lowest(app, "RESET_LIMIT_PER_ACCOUNT")
        for number in range(allowed + 1):
            browser = app.test_client()
            address = {"REMOTE_ADDR": f"10.0.1.{number + 1}"}
            response = submit(
                browser, "/auth/reset", {"email": patient.email}, environ_base=address
            )
            assert response.status_code == (302 if number < allowed else 429)
        # Nobody can fill a member's inbox with reset mails.
        assert len(outbox) == allowed
