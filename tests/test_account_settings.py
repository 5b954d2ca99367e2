"""Account settings through the real forms: email address, password and health-data consent."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from urllib.parse import quote

import pytest
from flask_babel import force_locale
from itsdangerous import URLSafeTimedSerializer
from itsdangerous.timed import TimestampSigner
from limits import parse_many
from sqlalchemy import func, select

from cml_earth.audit.models import AuditEvent
from cml_earth.auth import passwords
from cml_earth.auth.models import Consent, MemberSession
from cml_earth.auth.services import HEALTH_CONSENT_LABEL, HEALTH_CONSENT_TEXT, consent_text_hash
from cml_earth.database import utcnow
from cml_earth.profiles.models import Profile

from .conftest import Auth, fetch_member, scalar, submit

NEW_EMAIL = "Anna.Elsewhere@example.org"
NEW_PASSWORD = "lanterns along the river"
CONFIRM_PATH = "/settings/email/confirm/"
DAY = 24 * 3600


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def link_in(message, path: str) -> str:
    match = re.search(rf"https?://[^/\s]+({re.escape(path)}[^\s\"<]+)", message.body)
    assert match, f"no {path} link in: {message.body}"
    return match.group(1)


def mails_to(outbox, address: str) -> list:
    return [message for message in outbox if address in message.to]


def audit_kinds(app, member_id: int) -> list[str]:
    with app.app_context():
        from cml_earth.extensions import db

        return list(
            db.session.scalars(
                select(AuditEvent.kind)
                .where(AuditEvent.member_id == member_id)
                .order_by(AuditEvent.id)
            )
        )


def consents_of(app, member_id: int) -> list[dict]:
    with app.app_context():
        from cml_earth.extensions import db

        rows = db.session.scalars(
            select(Consent).where(Consent.member_id == member_id).order_by(Consent.id)
        ).all()
        return [{c.key: getattr(row, c.key) for c in Consent.__table__.columns} for row in rows]


def profile_of(app, member_id: int) -> dict:
    with app.app_context():
        from cml_earth.extensions import db

        profile = db.session.get(Profile, member_id)
        return {c.key: getattr(profile, c.key) for c in Profile.__table__.columns}


def open_sessions(app, member_id: int) -> int:
    return scalar(
        app,
        select(func.count(MemberSession.id)).where(
            MemberSession.member_id == member_id, MemberSession.ended_at.is_(None)
        ),
    )


def logged_in(client) -> bool:
    """Whether this browser still reaches a settings page (not sent to log in)."""
    return client.get("/settings/password").status_code == 200


def without_csrf_tokens(text: str) -> str:
    return re.sub(r'name="csrf_token"[^>]*value="[^"]+"', "", text)


@pytest.fixture
def logged_in_patient(client, auth, patient):
    assert auth.login(patient).status_code == 302
    return patient


def request_change(client, member, email=NEW_EMAIL, password=None):
    return submit(
        client,
        "/settings/email",
        {"email": email, "password": member.password if password is None else password},
    )


# --- anonymous visitors -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/settings/email",
        "/settings/password",
        "/settings/health-consent",
        "/settings/health-consent/withdraw",
        CONFIRM_PATH + "some-token",
    ],
)
def test_visitors_are_sent_to_log_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/auth/login?next={quote(path, safe='')}"
    assert client.post(path, data={}).status_code == 400  # no CSRF token: nothing runs


def test_settings_navigation_lists_the_new_pages(client, logged_in_patient):
    text = page_text(client.get("/settings/preferences"))
    for path in ("/settings/email", "/settings/password", "/settings/health-consent"):
        assert f'href="{path}"' in text


# --- email address ----------------------------------------------------------------------------


def test_email_change_happy_path(app, client, auth, logged_in_patient, outbox):
    patient = logged_in_patient
    verified_before = fetch_member(app, patient.id)["email_verified_at"]

    response = request_change(client, patient)
    assert response.status_code == 302
    assert response.headers["Location"] == "/settings/email"
    assert f"We have sent a link to {NEW_EMAIL}" in page_text(client.get("/settings/email"))

    # Nothing changes until the link is followed; the link goes to the new address only.
    row = fetch_member(app, patient.id)
    assert row["email"] == patient.email
    assert [message.to for message in outbox] == [[NEW_EMAIL]]
    path = link_in(outbox[0], CONFIRM_PATH)
    assert path in outbox[0].alternatives[0][0]  # the HTML part carries the same link

    # Opening the link shows a button and changes nothing.
    shown = client.get(path)
    assert shown.status_code == 200
    assert NEW_EMAIL in page_text(shown)
    assert fetch_member(app, patient.id)["email"] == patient.email
    assert len(outbox) == 1

    confirmed = submit(client, path, {})
    assert confirmed.status_code == 302
    assert confirmed.headers["Location"] == "/settings/email"
    row = fetch_member(app, patient.id)
    assert row["email"] == NEW_EMAIL
    assert row["email_key"] == NEW_EMAIL.casefold()
    assert row["email_verified_at"] > verified_before
    assert utcnow() - row["email_verified_at"] < timedelta(minutes=1)
    assert f"Your email address is now {NEW_EMAIL}" in page_text(client.get("/settings/email"))

    # The old address is told, with the new one and where to turn if it was not the member.
    [notice] = mails_to(outbox, patient.email)
    assert NEW_EMAIL in notice.body
    assert app.config["SUPPORT_EMAIL"] in notice.body
    assert CONFIRM_PATH not in notice.body
    assert len(outbox) == 2
    kinds = audit_kinds(app, patient.id)
    assert "account.email_change_requested" in kinds
    assert "account.email_changed" in kinds

    # A link works once.
    again = submit(client, path, {})
    assert again.status_code == 400
    assert "not valid or has been used already" in page_text(again)
    assert fetch_member(app, patient.id)["email"] == NEW_EMAIL

    auth.logout()
    assert auth.login(patient.email).status_code == 422
    assert auth.login(NEW_EMAIL.upper(), patient.password).status_code == 302


def test_unverified_member_confirming_a_new_address_is_verified(app, client, auth, make_member):
    member = make_member("Unconfirmed", verified=False)
    auth.login(member)
    outbox = app.extensions["mailman"].outbox = []
    assert request_change(client, member).status_code == 302
    assert submit(client, link_in(outbox[0], CONFIRM_PATH), {}).status_code == 302
    row = fetch_member(app, member.id)
    assert row["email"] == NEW_EMAIL and row["email_verified_at"] is not None


def test_email_change_needs_the_right_password(app, client, logged_in_patient, outbox):
    response = request_change(client, logged_in_patient, password="not my password at all")
    assert response.status_code == 422
    assert "This is not your password." in page_text(response)
    assert fetch_member(app, logged_in_patient.id)["email"] == logged_in_patient.email
    assert outbox == []
    assert "account.email_change_requested" not in audit_kinds(app, logged_in_patient.id)


def test_email_change_to_the_same_address_is_refused(app, client, logged_in_patient, outbox):
    response = request_change(client, logged_in_patient, email=logged_in_patient.email.upper())
    assert response.status_code == 422
    assert "This is your email address already." in page_text(response)
    assert outbox == []


def test_a_taken_address_gets_the_same_answer_and_changes_nothing(
    app, client, logged_in_patient, relative, outbox
):
    patient = logged_in_patient
    free = request_change(client, patient, email="free.address@example.org")
    free_page = page_text(client.get("/settings/email"))
    outbox.clear()

    taken = request_change(client, patient, email=relative.email)
    taken_page = page_text(client.get("/settings/email"))

    assert (taken.status_code, taken.headers["Location"]) == (
        free.status_code,
        free.headers["Location"],
    )
    assert without_csrf_tokens(taken_page.replace(relative.email, "ADDRESS")) == (
        without_csrf_tokens(free_page.replace("free.address@example.org", "ADDRESS"))
    )
    assert fetch_member(app, patient.id)["email"] == patient.email
    assert fetch_member(app, relative.id)["email"] == relative.email

    # Only the address's owner hears of it, and gets no link that could change anything.
    [notice] = outbox
    assert notice.to == [relative.email]
    assert relative.username in notice.body
    assert patient.username not in notice.body
    assert "/settings/" not in notice.body
    assert "account.email_change_to_taken_address" in audit_kinds(app, relative.id)


def test_an_address_taken_after_the_link_was_sent_is_not_changed_to(
    app, client, logged_in_patient, make_member, outbox
):
    assert request_change(client, logged_in_patient).status_code == 302
    path = link_in(outbox[0], CONFIRM_PATH)
    make_member("LateComer", email=NEW_EMAIL.lower())
    assert client.get(path).status_code == 400
    assert submit(client, path, {}, page="/settings/email").status_code == 400
    assert fetch_member(app, logged_in_patient.id)["email"] == logged_in_patient.email


def _forged(app, member_id: int, secret: str, salt: str = "cml-earth:change-email") -> str:
    return URLSafeTimedSerializer(secret, salt=salt).dumps(
        {"m": member_id, "n": "evil@example.org", "f": "0" * 20}
    )


@pytest.mark.parametrize("kind", ["forged", "tampered", "other-purpose", "garbage", "superseded"])
def test_bad_confirmation_links_change_nothing(app, client, logged_in_patient, outbox, kind):
    patient = logged_in_patient
    assert request_change(client, patient).status_code == 302
    token = link_in(outbox[0], CONFIRM_PATH).removeprefix(CONFIRM_PATH)
    if kind == "forged":
        token = _forged(app, patient.id, "not-the-secret-key-" + "y" * 30)
    elif kind == "tampered":
        position = len(token) - 10  # inside the signature
        token = token[:position] + ("A" if token[position] != "A" else "B") + token[position + 1 :]
    elif kind == "other-purpose":
        token = _forged(app, patient.id, app.config["SECRET_KEY"], salt="cml-earth:verify-email")
    elif kind == "garbage":
        token = "x" * 300
    elif kind == "superseded":
        # A second change confirmed first: the first link named the address it replaced.
        assert request_change(client, patient, email="second@example.org").status_code == 302
        assert submit(client, link_in(outbox[1], CONFIRM_PATH), {}).status_code == 302
    path = CONFIRM_PATH + token
    expected_email = "second@example.org" if kind == "superseded" else patient.email

    shown = client.get(path)
    assert shown.status_code == 400
    assert "This link does not work" in page_text(shown)
    response = submit(client, path, {}, page="/settings/email")
    assert response.status_code == 400
    assert "not valid or has been used already" in page_text(response)
    assert fetch_member(app, patient.id)["email"] == expected_email


def test_links_expire_after_two_days(app, client, logged_in_patient, outbox, monkeypatch):
    real = TimestampSigner.get_timestamp

    def sent(days_ago: float):
        # Only the change-email links are dated back; session and CSRF signatures keep the time.
        def clock(signer):
            back = days_ago * DAY if b"change-email" in signer.salt else 0
            return int(real(signer) - back)

        with monkeypatch.context() as patch:
            patch.setattr(TimestampSigner, "get_timestamp", clock)
            assert request_change(client, logged_in_patient).status_code == 302
        return link_in(outbox[-1], CONFIRM_PATH)

    fresh = sent(days_ago=1.9)
    assert client.get(fresh).status_code == 200

    stale = sent(days_ago=2.1)
    shown = client.get(stale)
    assert shown.status_code == 400
    assert "This link has expired" in page_text(shown)
    assert submit(client, stale, {}, page="/settings/email").status_code == 400
    assert fetch_member(app, logged_in_patient.id)["email"] == logged_in_patient.email


def test_the_link_works_on_another_device_after_logging_in(app, client, patient, outbox):
    Auth(client).login(patient)
    assert request_change(client, patient).status_code == 302
    path = link_in(outbox[0], CONFIRM_PATH)

    phone = app.test_client()
    sent_to_login = phone.get(path)
    assert sent_to_login.status_code == 302
    login_url = sent_to_login.headers["Location"]
    assert login_url.startswith("/auth/login?next=")
    response = submit(phone, login_url, {"login": patient.username, "password": patient.password})
    assert response.status_code == 302
    assert response.headers["Location"] == path
    assert submit(phone, path, {}).status_code == 302
    assert fetch_member(app, patient.id)["email"] == NEW_EMAIL


def test_another_members_link_does_not_work(app, client, patient, troll, outbox):
    Auth(client).login(patient)
    assert request_change(client, patient).status_code == 302
    path = link_in(outbox[0], CONFIRM_PATH)

    troll_browser = app.test_client()
    Auth(troll_browser).login(troll)
    shown = troll_browser.get(path)
    assert shown.status_code == 400
    assert "This link is for another account" in page_text(shown)
    assert submit(troll_browser, path, {}, page="/settings/email").status_code == 400
    assert fetch_member(app, patient.id)["email"] == patient.email
    assert fetch_member(app, troll.id)["email"] == troll.email


# --- password ---------------------------------------------------------------------------------


def change_password(client, member, current=None, new=NEW_PASSWORD, repeat=None):
    return submit(
        client,
        "/settings/password",
        {
            "current_password": member.password if current is None else current,
            "password": new,
            "password_confirm": new if repeat is None else repeat,
        },
    )


def password_works(app, member_id: int, password: str) -> bool:
    password_hash = fetch_member(app, member_id)["password_hash"]
    with app.app_context():
        return passwords.verify_password(password_hash, password)


def test_password_change_keeps_this_login_and_ends_the_others(app, client, patient, outbox):
    Auth(client).login(patient)
    other_device = app.test_client()
    Auth(other_device).login(patient)
    assert open_sessions(app, patient.id) == 2

    response = change_password(client, patient)
    assert response.status_code == 302
    assert response.headers["Location"] == "/settings/password"
    assert "Your password is changed" in page_text(client.get("/settings/password"))

    row = fetch_member(app, patient.id)
    assert row["password_hash"].startswith("$argon2id$")
    assert password_works(app, patient.id, NEW_PASSWORD)
    assert not password_works(app, patient.id, patient.password)
    assert open_sessions(app, patient.id) == 1
    assert logged_in(client)
    assert not logged_in(other_device)

    [notice] = outbox
    assert notice.to == [patient.email]
    assert "password of your CML Earth account was just changed" in notice.body
    assert "/auth/reset" in notice.body
    assert NEW_PASSWORD not in notice.body
    assert "account.password_changed" in audit_kinds(app, patient.id)

    auth = Auth(app.test_client())
    assert auth.login(patient).status_code == 422
    assert auth.login(patient.username, NEW_PASSWORD).status_code == 302


def test_password_change_needs_the_current_password(app, client, patient, outbox):
    Auth(client).login(patient)
    other_device = app.test_client()
    Auth(other_device).login(patient)

    response = change_password(client, patient, current="a guess at the password")
    assert response.status_code == 422
    assert "This is not your password." in page_text(response)
    assert password_works(app, patient.id, patient.password)
    assert open_sessions(app, patient.id) == 2
    assert logged_in(other_device)
    assert outbox == []


@pytest.mark.parametrize(
    ("new", "repeat", "message"),
    [
        ("short", None, "Use at least 8 characters."),
        ("password123", None, "one of the most common ones"),
        (NEW_PASSWORD, "lanterns along the sea", "The two passwords are not the same."),
        ("annapatient", None, "must not be your username or email address"),
        ("AnnaPatient@example.org", None, "must not be your username or email address"),
        ("", None, "Please choose a password."),
    ],
)
def test_weak_or_mistyped_new_passwords_are_refused(
    app, client, logged_in_patient, outbox, new, repeat, message
):
    response = change_password(client, logged_in_patient, new=new, repeat=repeat)
    assert response.status_code == 422
    assert message in page_text(response)
    assert password_works(app, logged_in_patient.id, logged_in_patient.password)
    assert outbox == []


# --- bad input and CSRF -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "data", "message"),
    [
        ("/settings/email", {"email": "anna\x00x@example.org"}, None),
        ("/settings/email", {"email": "a" * 250 + "@example.org"}, "Use at most 254 characters."),
        ("/settings/email", {"email": "not an address"}, "Please enter a valid email address."),
        ("/settings/email", {"password": "a quiet walk\x00by the lake"}, None),
        ("/settings/email", {"password": "x" * 1025}, "Use at most 1024 characters."),
        ("/settings/password", {"current_password": "a quiet\x00walk"}, None),
        ("/settings/password", {"current_password": "x" * 1025}, "Use at most 1024 characters."),
        (
            "/settings/password",
            {"password": "lanterns\x00along", "password_confirm": "lanterns\x00along"},
            None,
        ),
        (
            "/settings/password",
            {"password": "y" * 129, "password_confirm": "y" * 129},
            "Use at most 128 characters.",
        ),
    ],
)
def test_control_characters_and_overlong_values_are_refused(
    app, client, logged_in_patient, outbox, path, data, message
):
    patient = logged_in_patient
    defaults = {
        "/settings/email": {"email": NEW_EMAIL, "password": patient.password},
        "/settings/password": {
            "current_password": patient.password,
            "password": NEW_PASSWORD,
            "password_confirm": NEW_PASSWORD,
        },
    }[path]
    response = submit(client, path, {**defaults, **data})
    assert response.status_code == 422
    text = page_text(response)
    assert (message or "This contains characters that are not allowed.") in text
    row = fetch_member(app, patient.id)
    assert row["email"] == patient.email
    assert password_works(app, patient.id, patient.password)
    assert outbox == []


def test_posts_without_the_csrf_token_are_refused(app, client, logged_in_patient, outbox):
    patient = logged_in_patient
    submit(client, "/settings/health-consent", {"health_consent": "y"})
    assert request_change(client, patient).status_code == 302
    link = link_in(outbox[0], CONFIRM_PATH)
    outbox.clear()
    attempts = {
        "/settings/email": {"email": "other@example.org", "password": patient.password},
        link: {},
        "/settings/password": {
            "current_password": patient.password,
            "password": NEW_PASSWORD,
            "password_confirm": NEW_PASSWORD,
        },
        "/settings/health-consent/withdraw": {"confirm": "Withdraw"},
    }
    for path, data in attempts.items():
        assert client.post(path, data=data).status_code == 400, path
        assert client.post(path, data={**data, "csrf_token": "forged"}).status_code == 400, path
    assert fetch_member(app, patient.id)["email"] == patient.email
    assert password_works(app, patient.id, patient.password)
    assert [row["withdrawn_at"] for row in consents_of(app, patient.id)] == [None]
    assert outbox == []

    fresh = app.test_client()
    Auth(fresh).login(patient)
    assert fresh.post("/settings/health-consent", data={"health_consent": "y"}).status_code == 400


# --- health-data consent ----------------------------------------------------------------------


def consent_words(app, locale: str = "en") -> tuple[str, str]:
    with app.test_request_context(), force_locale(locale):
        return str(HEALTH_CONSENT_LABEL), str(HEALTH_CONSENT_TEXT)


def save_health_details(client, member):
    return submit(
        client,
        "/settings/profile",
        {
            "username": member.username,
            "story": "",
            "diagnosis_year": "2019",
            "diagnosis_phase": "chronic",
            "treatment": "imatinib",
        },
    )


def test_giving_consent_records_it_and_opens_the_health_fields(app, client, logged_in_patient):
    patient = logged_in_patient
    assert 'name="diagnosis_year"' not in page_text(client.get("/settings/profile"))

    page = client.get("/settings/health-consent")
    assert page.status_code == 200
    raw = page.get_data(as_text=True)
    label, text = consent_words(app)
    assert label in page_text(page) and text in page_text(page)
    [checkbox] = re.findall(r'<input[^>]*name="health_consent"[^>]*>', raw)
    assert 'type="checkbox"' in checkbox and "checked" not in checkbox

    unticked = submit(client, "/settings/health-consent", {})
    assert unticked.status_code == 422
    assert "Please tick the box to give your consent." in page_text(unticked)
    assert consents_of(app, patient.id) == []

    given = submit(client, "/settings/health-consent", {"health_consent": "y"})
    assert given.status_code == 302
    assert given.headers["Location"] == "/settings/health-consent"
    [consent] = consents_of(app, patient.id)
    assert consent["purpose"] == "health_data"
    assert consent["text_version"] == app.config["HEALTH_CONSENT_VERSION"]
    assert re.fullmatch(r"[0-9a-f]{64}", consent["text_hash"])
    with app.test_request_context():
        assert consent["text_hash"] == consent_text_hash("en")
    assert consent["text_locale"] == "en"
    assert consent["method"] == "settings page"
    assert consent["withdrawn_at"] is None
    assert "consent.given" in audit_kinds(app, patient.id)

    assert 'name="diagnosis_year"' in page_text(client.get("/settings/profile"))
    status = page_text(client.get("/settings/health-consent"))
    assert "You gave your consent on" in status
    assert 'href="/settings/health-consent/withdraw"' in status


def test_consent_is_recorded_in_the_language_it_was_shown_in(app, client, logged_in_patient):
    submit(client, "/settings/preferences", {"locale": "sv", "timezone": "Europe/Stockholm"})
    page = page_text(client.get("/settings/health-consent"))
    label, text = consent_words(app, "sv")
    assert label in page and text in page
    assert submit(client, "/settings/health-consent", {"health_consent": "y"}).status_code == 302
    [consent] = consents_of(app, logged_in_patient.id)
    assert consent["text_locale"] == "sv"
    with app.test_request_context():
        assert consent["text_hash"] == consent_text_hash("sv")


def test_withdrawing_consent_deletes_the_health_details(app, client, logged_in_patient):
    patient = logged_in_patient
    assert submit(client, "/settings/health-consent", {"health_consent": "y"}).status_code == 302
    assert save_health_details(client, patient).status_code == 302
    profile_page = page_text(client.get(f"/members/{patient.username}"))
    assert "2019" in profile_page and "imatinib (Glivec" in profile_page

    confirm_page = client.get("/settings/health-consent/withdraw")
    assert confirm_page.status_code == 200
    text = page_text(confirm_page)
    assert "we delete your diagnosis and treatment details" in text
    for shown in ("2019", "Chronic phase", "imatinib (Glivec, Gleevec, Imkeldi)"):
        assert shown in text
    assert profile_of(app, patient.id)["diagnosis_year"] == 2019  # showing it changed nothing

    # Without the confirming button nothing happens.
    unconfirmed = submit(client, "/settings/health-consent/withdraw", {})
    assert unconfirmed.status_code == 422
    assert [row["withdrawn_at"] for row in consents_of(app, patient.id)] == [None]
    assert profile_of(app, patient.id)["diagnosis_year"] == 2019

    confirmed = submit(
        client, "/settings/health-consent/withdraw", {"confirm": "Withdraw my consent"}
    )
    assert confirmed.status_code == 302
    assert confirmed.headers["Location"] == "/settings/health-consent"
    [consent] = consents_of(app, patient.id)
    assert consent["withdrawn_at"] is not None
    profile = profile_of(app, patient.id)
    assert (profile["diagnosis_year"], profile["diagnosis_phase"], profile["treatment"]) == (
        None,
        None,
        None,
    )
    assert "consent.withdrawn" in audit_kinds(app, patient.id)

    profile_page = page_text(client.get(f"/members/{patient.username}"))
    assert "2019" not in profile_page and "imatinib" not in profile_page
    assert "Diagnosis and treatment" not in profile_page
    assert 'name="diagnosis_year"' not in page_text(client.get("/settings/profile"))
    # A profile form sent with health fields anyway does not store them.
    assert save_health_details(client, patient).status_code == 302
    assert profile_of(app, patient.id)["diagnosis_year"] is None

    status = page_text(client.get("/settings/health-consent"))
    assert "You withdrew your consent on" in status
    assert client.get("/settings/health-consent/withdraw").headers["Location"] == (
        "/settings/health-consent"
    )

    # Consent can be given again: a new record, the old one stays withdrawn.
    assert submit(client, "/settings/health-consent", {"health_consent": "y"}).status_code == 302
    first, second = consents_of(app, patient.id)
    assert first["withdrawn_at"] is not None and second["withdrawn_at"] is None
    assert second["method"] == "settings page"
    assert 'name="diagnosis_year"' in page_text(client.get("/settings/profile"))


def test_withdraw_page_without_consent_leads_to_the_consent_page(client, logged_in_patient):
    response = client.get("/settings/health-consent/withdraw")
    assert response.status_code == 302
    assert response.headers["Location"] == "/settings/health-consent"


# --- rate limits ------------------------------------------------------------------------------


def lowest(app, name: str) -> int:
    return min(item.amount for item in parse_many(app.config[name]))


class TestRateLimits:
    @pytest.fixture
    def app_config(self, app_config):
        app_config["RATELIMIT_ENABLED"] = True
        return app_config

    @pytest.mark.parametrize(
        ("path", "limit", "data"),
        [
            ("/settings/email", "EMAIL_CHANGE_LIMIT_PER_ACCOUNT", {"email": NEW_EMAIL}),
            (
                "/settings/password",
                "PASSWORD_CHANGE_LIMIT_PER_ACCOUNT",
                {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
            ),
        ],
    )
    def test_password_guessing_through_settings_is_limited_per_member(
        self, app, client, patient, relative, outbox, path, limit, data
    ):
        Auth(client).login(patient)
        field = "password" if path == "/settings/email" else "current_password"
        wrong = {**data, field: "guess number n"}
        for _ in range(lowest(app, limit)):
            assert submit(client, path, wrong).status_code == 422
        assert submit(client, path, {**wrong, field: patient.password}).status_code == 429
        assert fetch_member(app, patient.id)["email"] == patient.email
        assert password_works(app, patient.id, patient.password)

        # Another member, from the same address, is not held back.
        other = app.test_client()
        Auth(other).login(relative)
        assert submit(other, path, {**data, field: relative.password}).status_code == 302
