"""Bad and hostile input to the account forms and links: refused clearly, never a 500."""

from __future__ import annotations

import hashlib
import html
import re
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from sqlalchemy import delete, func, select

from cml_earth.auth.models import Consent, Member, MemberSession
from cml_earth.extensions import db

from .conftest import Auth, csrf_token, fetch_member, scalar, submit

VALID = {
    "username": "QuietHarbour",
    "email": "quiet.harbour@example.org",
    "password": "sunlight over the harbour",
    "password_confirm": "sunlight over the harbour",
    "role": "relative",
    "country_code": "SE",
    "locale": "en",
    "age_confirmed": "y",
    "accept_guidelines": "y",
}

FORBIDDEN_CHARACTERS = "This contains characters that are not allowed."
USERNAME_SHAPE = "Use letters, digits, dots, dashes or underscores"
RESERVED = "This name is reserved. Please choose another."
COMMON_PASSWORD = "This password is one of the most common ones"
NOT_A_CHOICE = "Not a valid choice."
LOGIN_FAILED = "The email address, username or password is not right."
LINK_INVALID = "This link is not valid. Please check that you copied all of it."
LINK_EXPIRED = "This link has expired. Log in and ask for a new one."
RESET_INVALID = "This link is not valid or has been used already. Please ask for a new one."
RESET_EXPIRED = "This link has expired. Please ask for a new one."


# --- helpers ---------------------------------------------------------------------------------


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def field_errors(response) -> dict[str, str]:
    """The error shown under each form field, by field name."""
    found = re.findall(
        r'<p class="field-error" id="([\w-]+)-error">(.*?)</p>', response.get_data(as_text=True)
    )
    return {name: html.unescape(text) for name, text in found}


def form_errors(response) -> list[str]:
    """The messages in the form's error box (errors about the whole form)."""
    box = re.search(
        r'<div class="form-errors"[^>]*>(.*?)</div>', response.get_data(as_text=True), re.S
    )
    return [html.unescape(p) for p in re.findall(r"<p>(.*?)</p>", box.group(1))] if box else []


def flashes(response) -> list[str]:
    return [
        html.unescape(text)
        for text in re.findall(
            r'<p class="flash flash-\w+">(.*?)</p>', response.get_data(as_text=True)
        )
    ]


def member_count(app) -> int:
    return scalar(app, select(func.count(Member.id)))


def link_in(message, path: str) -> str:
    match = re.search(rf"https?://[^/\s]+({re.escape(path)}[^\s\"<]+)", message.body)
    assert match, f"no {path} link in: {message.body}"
    return match.group(1)


def register(client, **changes):
    data = {**VALID, **changes}
    return submit(client, "/auth/register", {k: v for k, v in data.items() if v is not None})


def member_id_by_username(app, username: str) -> int | None:
    return scalar(app, select(Member.id).where(Member.username_key == username.casefold()))


def is_verified(app, member_id: int) -> bool:
    return fetch_member(app, member_id)["email_verified_at"] is not None


# --- registration: the validation matrix -----------------------------------------------------

MISSING = [
    ("username", "Please choose a username."),
    ("email", "Please enter your email address."),
    ("password", "Please choose a password."),
    ("password_confirm", "Please repeat the password."),
    ("role", "Please choose one."),
    ("country_code", "Please choose your country."),
    ("locale", "This field is required."),
    ("age_confirmed", "You must be 16 or older to join CML Earth."),
    ("accept_guidelines", "Please accept the community guidelines to join."),
]

TOO_LONG_PASSWORD = "w" * 129

BAD_VALUES = [
    # (id, changes, field with the error, message)
    ("username-blank", {"username": "   "}, "username", "Please choose a username."),
    ("username-too-short", {"username": "ab"}, "username", "Use 3 to 30 characters."),
    ("username-too-long", {"username": "a" * 31}, "username", "Use 3 to 30 characters."),
    ("username-space", {"username": "quiet harbour"}, "username", USERNAME_SHAPE),
    ("username-markup", {"username": "<script>"}, "username", USERNAME_SHAPE),
    ("username-leading-underscore", {"username": "_harbour"}, "username", USERNAME_SHAPE),
    ("username-reserved", {"username": "admin"}, "username", RESERVED),
    ("username-reserved-other-case", {"username": "Sponsor"}, "username", RESERVED),
    ("username-nul", {"username": "Quiet\x00Harbour"}, "username", FORBIDDEN_CHARACTERS),
    ("email-too-long", {"email": "a" * 243 + "@example.org"}, "email", "Use at most 254"),
    ("email-malformed", {"email": "not-an-email"}, "email", "Please enter a valid email"),
    ("email-double-at", {"email": "two@@example.org"}, "email", "Please enter a valid email"),
    ("email-nul", {"email": "quiet\x00harbour@example.org"}, "email", FORBIDDEN_CHARACTERS),
    (
        "password-too-short",
        {"password": "seven77", "password_confirm": "seven77"},
        "password",
        "Use at least 8 characters.",
    ),
    (
        "password-too-long",
        {"password": TOO_LONG_PASSWORD, "password_confirm": TOO_LONG_PASSWORD},
        "password",
        "Use at most 128 characters.",
    ),
    (
        "password-common",
        {"password": "password123", "password_confirm": "password123"},
        "password",
        COMMON_PASSWORD,
    ),
    (
        "password-common-keyboard",
        {"password": "qwertyuiop", "password_confirm": "qwertyuiop"},
        "password",
        COMMON_PASSWORD,
    ),
    (
        "password-is-username",
        {"password": "QUIETHARBOUR", "password_confirm": "QUIETHARBOUR"},
        "password",
        "Your password must not be your username or email address.",
    ),
    (
        "password-is-email",
        {"password": VALID["email"], "password_confirm": VALID["email"]},
        "password",
        "Your password must not be your username or email address.",
    ),
    (
        "password-nul",
        {
            "password": "sunlight\x00over the harbour",
            "password_confirm": "sunlight\x00over the harbour",
        },
        "password",
        FORBIDDEN_CHARACTERS,
    ),
    (
        "password-confirmation-differs",
        {"password_confirm": "sunlight over the harbor"},
        "password_confirm",
        "The two passwords are not the same.",
    ),
    ("country-unknown", {"country_code": "XX"}, "country_code", NOT_A_CHOICE),
    ("role-admin", {"role": "admin"}, "role", NOT_A_CHOICE),
    ("role-sponsor", {"role": "sponsor"}, "role", NOT_A_CHOICE),
    ("language-unknown", {"locale": "xx"}, "locale", NOT_A_CHOICE),
    ("age-unticked", {"age_confirmed": ""}, "age_confirmed", "You must be 16 or older"),
    (
        "guidelines-unticked",
        {"accept_guidelines": ""},
        "accept_guidelines",
        "Please accept the community guidelines",
    ),
]


def assert_refused(app, response, before: int, field: str, message: str) -> None:
    assert response.status_code == 422
    errors = field_errors(response)
    assert message in errors.get(field, ""), errors
    assert "Please correct the marked fields." in form_errors(response)
    assert member_count(app) == before


def test_empty_registration_form_marks_every_required_field(app, client, outbox):
    response = submit(client, "/auth/register", {})
    errors = field_errors(response)
    assert response.status_code == 422
    for field, message in MISSING:
        assert message in errors.get(field, ""), (field, errors)
    assert member_count(app) == 0
    assert outbox == []


@pytest.mark.parametrize(("missing", "message"), MISSING, ids=[m[0] for m in MISSING])
def test_registration_without_a_required_field_is_refused(app, client, outbox, missing, message):
    response = register(client, **{missing: None})
    assert_refused(app, response, 0, missing, message)
    assert outbox == []


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [case[1:] for case in BAD_VALUES],
    ids=[c[0] for c in BAD_VALUES],
)
def test_registration_with_a_bad_value_is_refused(app, client, outbox, changes, field, message):
    response = register(client, **changes)
    assert_refused(app, response, 0, field, message)
    assert outbox == []


@pytest.mark.parametrize("username", ["newmember", "NEWMEMBER", "ＮｅｗＭｅｍｂｅｒ"])
def test_registration_with_a_taken_username_in_any_case_is_refused(
    app, client, make_member, outbox, username
):
    make_member("NewMember")
    response = register(client, username=username)
    assert_refused(app, response, 1, "username", "This username is taken.")
    assert outbox == []


@pytest.mark.parametrize(
    ("field", "raw"),
    [
        ("username", "Quiet%FF%FEHarbour"),
        ("email", "quiet%FF%FE@example.org"),
        ("password", "sunlight%FF%FEover the harbour"),
    ],
)
def test_registration_with_invalid_utf8_is_refused(app, client, outbox, field, raw):
    token = csrf_token(client.get("/auth/register").get_data(as_text=True))
    fields = {"csrf_token": token, **VALID}
    if field == "password":
        fields["password_confirm"] = "RAW"
    fields[field] = "RAW"
    body = urlencode(fields).replace("RAW", raw)
    response = client.post(
        "/auth/register", data=body, content_type="application/x-www-form-urlencoded"
    )
    assert_refused(app, response, 0, field, FORBIDDEN_CHARACTERS)
    assert outbox == []


def test_registration_with_a_taken_email_answers_like_a_new_one(app, make_member, outbox):
    owner = make_member("ExistingMember", email="Taken.Address@example.org")
    joining, probing = app.test_client(), app.test_client()

    fresh = register(joining, username="FirstTimer", email="first.timer@example.org")
    assert fresh.status_code == 302
    assert [mail.to for mail in outbox] == [["first.timer@example.org"]]
    outbox.clear()
    before = member_count(app)

    taken = register(probing, username="FreshFace", email="taken.address@EXAMPLE.ORG")

    assert taken.status_code == fresh.status_code
    assert taken.headers["Location"] == fresh.headers["Location"]
    without_tokens = re.compile(r'value="[^"]*"')
    assert without_tokens.sub("", page_text(probing.get(taken.headers["Location"]))) == (
        without_tokens.sub("", page_text(joining.get(fresh.headers["Location"])))
    )
    assert member_count(app) == before
    assert member_id_by_username(app, "FreshFace") is None
    # The owner of the address hears about it; nobody else learns anything.
    assert len(outbox) == 1
    assert outbox[0].to == [owner.email]
    assert outbox[0].subject == "Someone tried to join with your address"
    assert "already belongs to your account" in outbox[0].body
    assert "/auth/verify/" not in outbox[0].body


# --- registration: health-data consent -------------------------------------------------------


def test_registration_without_health_consent_records_none(app, client):
    assert register(client).status_code == 302
    member_id = member_id_by_username(app, VALID["username"])
    assert member_id is not None
    assert scalar(app, select(func.count(Consent.id)).where(Consent.member_id == member_id)) == 0


def test_registration_with_health_consent_records_what_was_shown(app, client):
    form_page = page_text(client.get("/auth/register"))
    label = re.search(r'<label for="health_consent">(.*?)</label>', form_page).group(1)
    text = re.search(r'<p id="health-consent-text">(.*?)</p>', form_page).group(1)

    assert register(client, health_consent="y").status_code == 302

    member_id = member_id_by_username(app, VALID["username"])
    with app.app_context():
        consents = db.session.scalars(select(Consent).where(Consent.member_id == member_id)).all()
        assert len(consents) == 1
        consent = consents[0]
        assert consent.purpose == "health_data"
        assert consent.text_version == app.config["HEALTH_CONSENT_VERSION"]
        assert re.fullmatch(r"[0-9a-f]{64}", consent.text_hash)
        # The hash is of the very words the visitor saw next to the checkbox.
        assert consent.text_hash == hashlib.sha256(f"{label}\n{text}".encode()).hexdigest()
        assert consent.text_locale == "en"
        assert consent.withdrawn_at is None


def test_stored_password_hash_is_argon2id_at_asvs_level_2(app, client):
    assert register(client).status_code == 302
    stored = fetch_member(app, member_id_by_username(app, VALID["username"]))["password_hash"]
    match = re.match(r"^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$", stored)
    assert match, stored
    memory, time_cost, parallelism = map(int, match.groups())
    assert memory >= 19_456
    assert time_cost >= 2
    assert parallelism >= 1
    assert VALID["password"] not in stored


# --- login ------------------------------------------------------------------------------------


def test_login_failure_does_not_tell_whether_the_account_exists(app, client, patient):
    wrong_password = submit(
        client, "/auth/login", {"login": patient.username, "password": "not the password"}
    )
    unknown = submit(
        client, "/auth/login", {"login": "nobody@example.org", "password": "not the password"}
    )
    assert wrong_password.status_code == unknown.status_code == 422
    assert form_errors(wrong_password) == form_errors(unknown) == [LOGIN_FAILED]
    assert field_errors(wrong_password) == field_errors(unknown) == {}
    assert scalar(app, select(func.count(MemberSession.id))) == 0


def test_login_by_email_ignores_case(app, client, patient):
    response = submit(
        client, "/auth/login", {"login": patient.email.upper(), "password": patient.password}
    )
    assert response.status_code == 302
    assert f"Logged in as {patient.username}" in page_text(client.get("/"))


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"login": "Anna\x00Patient"}, "login", FORBIDDEN_CHARACTERS),
        ({"password": "x" * 2000}, "password", "Use at most 1024 characters."),
    ],
    ids=["nul-in-login", "overlong-password"],
)
def test_login_with_hostile_input_is_refused(app, client, patient, data, field, message):
    response = submit(
        client, "/auth/login", {"login": patient.username, "password": patient.password, **data}
    )
    assert response.status_code == 422
    assert message in field_errors(response).get(field, "")
    assert scalar(app, select(func.count(MemberSession.id))) == 0


# --- verification links -------------------------------------------------------------------------


@pytest.fixture
def registered(app, client, outbox):
    """A member who has just joined through the form: (id, path of the verification link)."""
    assert register(client).status_code == 302
    member_id = member_id_by_username(app, VALID["username"])
    path = link_in(outbox[-1], "/auth/verify/")
    outbox.clear()
    return member_id, path


def assert_link_refused(response, message: str) -> None:
    assert response.status_code == 400
    assert message in page_text(response)


MADE_UP_TOKENS = {
    "word": "made-up",
    "random": "kq3Vd0bU8wz1nZtYH2c4R6pLx9aMfE7sJ5gQiOoWvNyTuKrBhCeDlAmXjSIGP_-",
    "forged-payload": "eyJtIjoxLCJlIjoiYUBleGFtcGxlLm9yZyJ9.aaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbb",
}


@pytest.mark.parametrize("token", MADE_UP_TOKENS.values(), ids=MADE_UP_TOKENS.keys())
def test_made_up_verification_link_is_refused(client, token):
    assert_link_refused(client.get(f"/auth/verify/{token}"), LINK_INVALID)
    assert_link_refused(submit(client, f"/auth/verify/{token}", {}, page="/"), LINK_INVALID)


def test_tampered_verification_link_is_refused(app, client, registered):
    member_id, path = registered
    prefix, signature = path.rsplit(".", 1)
    # The first character of the signature carries six significant bits, so this always differs.
    tampered = f"{prefix}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"
    assert client.get(path).status_code == 200
    assert_link_refused(client.get(tampered), LINK_INVALID)
    assert_link_refused(submit(client, tampered, {}, page="/"), LINK_INVALID)
    assert not is_verified(app, member_id)


def test_reset_link_does_not_work_as_verification_link(app, client, make_member, outbox):
    member = make_member("ResetNotVerify", verified=False)
    submit(client, "/auth/reset", {"email": member.email})
    token = link_in(outbox[-1], "/auth/reset/").rsplit("/", 1)[1]
    assert_link_refused(submit(client, f"/auth/verify/{token}", {}, page="/"), LINK_INVALID)
    assert not is_verified(app, member.id)


def test_verification_link_of_a_deleted_member_is_refused(app, client, registered):
    member_id, path = registered
    with app.app_context():
        db.session.execute(delete(Member).where(Member.id == member_id))
        db.session.commit()
    assert_link_refused(client.get(path), LINK_INVALID)
    assert_link_refused(submit(client, path, {}, page="/"), LINK_INVALID)


def test_expired_verification_link_is_refused(app, client, registered):
    member_id, path = registered
    assert client.get(path).status_code == 200
    # Any age is now too old: as if the link had waited in the inbox past its lifetime.
    app.config["EMAIL_VERIFICATION_MAX_AGE"] = timedelta(seconds=-1)
    assert_link_refused(client.get(path), LINK_EXPIRED)
    assert_link_refused(submit(client, path, {}, page="/"), LINK_EXPIRED)
    assert not is_verified(app, member_id)


def test_verification_link_used_twice_is_harmless(app, client, registered):
    member_id, path = registered
    first = submit(client, path, {})
    assert first.status_code == 302
    verified_at = fetch_member(app, member_id)["email_verified_at"]
    assert verified_at is not None

    again = submit(client, path, {})
    assert again.status_code == 302
    assert fetch_member(app, member_id)["email_verified_at"] == verified_at


def test_verification_post_without_csrf_token_is_refused(app, client, registered):
    member_id, path = registered
    assert client.get(path).status_code == 200
    assert client.post(path, data={}).status_code == 400
    assert not is_verified(app, member_id)


# --- password reset links -------------------------------------------------------------------


@pytest.fixture
def reset_path(client, patient, outbox):
    assert submit(client, "/auth/reset", {"email": patient.email}).status_code == 302
    path = link_in(outbox[-1], "/auth/reset/")
    outbox.clear()
    return path


NEW_PASSWORD = {
    "password": "a brand new evening sky",
    "password_confirm": "a brand new evening sky",
}


def password_hash(app, member) -> str:
    return fetch_member(app, member.id)["password_hash"]


@pytest.mark.parametrize("token", MADE_UP_TOKENS.values(), ids=MADE_UP_TOKENS.keys())
def test_made_up_reset_link_is_refused(client, token):
    assert_link_refused(client.get(f"/auth/reset/{token}"), RESET_INVALID)
    assert_link_refused(
        submit(client, f"/auth/reset/{token}", NEW_PASSWORD, page="/"), RESET_INVALID
    )


def test_expired_reset_link_is_refused(app, client, patient, reset_path):
    before = password_hash(app, patient)
    assert client.get(reset_path).status_code == 200
    app.config["PASSWORD_RESET_MAX_AGE"] = timedelta(seconds=-1)
    assert_link_refused(client.get(reset_path), RESET_EXPIRED)
    assert_link_refused(submit(client, reset_path, NEW_PASSWORD, page="/"), RESET_EXPIRED)
    assert password_hash(app, patient) == before


def test_reset_link_works_only_once(app, client, patient, reset_path):
    assert submit(client, reset_path, NEW_PASSWORD).status_code == 302
    after_reset = password_hash(app, patient)

    assert_link_refused(client.get(reset_path), RESET_INVALID)
    other = {"password": "someone else's choice", "password_confirm": "someone else's choice"}
    assert_link_refused(submit(client, reset_path, other, page="/"), RESET_INVALID)
    assert password_hash(app, patient) == after_reset


def test_reset_link_stops_working_when_the_password_changes_another_way(
    app, client, patient, reset_path
):
    from cml_earth.auth import services

    assert client.get(reset_path).status_code == 200
    with app.app_context():
        member = db.session.get(Member, patient.id)
        services.set_password(member, "changed in the settings page", reason="password_change")
        db.session.commit()
    assert_link_refused(client.get(reset_path), RESET_INVALID)
    assert_link_refused(submit(client, reset_path, NEW_PASSWORD, page="/"), RESET_INVALID)


def test_reset_request_answers_the_same_for_unknown_addresses(app, patient, outbox):
    known_client, unknown_client = app.test_client(), app.test_client()
    known = submit(known_client, "/auth/reset", {"email": patient.email})
    unknown = submit(unknown_client, "/auth/reset", {"email": "nobody@example.org"})

    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    known_flashes = flashes(known_client.get(known.headers["Location"]))
    assert known_flashes
    assert known_flashes == flashes(unknown_client.get(unknown.headers["Location"]))
    assert [mail.to for mail in outbox] == [[patient.email]]


# --- unverified members ---------------------------------------------------------------------


def test_unverified_member_can_read_sees_the_banner_and_can_get_a_new_link(
    app, client, make_member, outbox
):
    member = make_member("NotYetConfirmed", verified=False)
    auth = Auth(client)
    assert auth.login(member).status_code == 302
    banner = "Please confirm your email address to start posting."

    home = client.get("/")
    assert home.status_code == 200
    assert banner in page_text(home)

    response = submit(client, "/auth/verify/resend", {}, page="/auth/verify")
    assert response.status_code == 302
    assert [mail.to for mail in outbox] == [[member.email]]

    # The new link works, and the banner goes away.
    assert submit(client, link_in(outbox[0], "/auth/verify/"), {}).status_code == 302
    assert is_verified(app, member.id)
    assert banner not in page_text(client.get("/"))
