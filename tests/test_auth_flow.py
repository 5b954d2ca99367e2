"""The account journey through the real forms: register, verify, log in, log out, reset."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from cml_earth.auth.models import Consent, Member, MemberSession

from .conftest import fetch_member, scalar, submit

REGISTRATION = {
    "username": "NewMember",
    "email": "new.member@example.org",
    "password": "sunlight over the harbour",
    "password_confirm": "sunlight over the harbour",
    "role": "patient",
    "country_code": "SE",
    "locale": "sv",
    "age_confirmed": "y",
    "accept_guidelines": "y",
}


def link_in(message, path: str) -> str:
    match = re.search(rf"https?://[^/\s]+({re.escape(path)}[^\s\"<]+)", message.body)
    assert match, f"no {path} link in: {message.body}"
    return match.group(1)


def test_register_verify_login_logout_reset(app, client, outbox):
    response = submit(client, "/auth/register", dict(REGISTRATION, health_consent="y"))
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/register/check-inbox"

    member_id = scalar(app, select(Member.id).where(Member.username_key == "newmember"))
    row = fetch_member(app, member_id)
    assert row["email_verified_at"] is None
    assert row["locale"] == "sv" and row["timezone"] == "Europe/Stockholm"
    assert row["password_hash"].startswith("$argon2id$")
    assert scalar(app, select(func.count(Consent.id)).where(Consent.member_id == member_id)) == 1

    assert len(outbox) == 1
    mail = outbox[0]
    assert mail.to == [REGISTRATION["email"]]
    assert "Bekräfta" in mail.subject  # the member chose Swedish
    verify_path = link_in(mail, "/auth/verify/")
    assert client.get(verify_path).status_code == 200
    assert fetch_member(app, member_id)["email_verified_at"] is None  # GET changes nothing
    response = submit(client, verify_path, {})
    assert response.status_code == 302
    assert fetch_member(app, member_id)["email_verified_at"] is not None

    response = submit(
        client, "/auth/login", {"login": "newmember", "password": REGISTRATION["password"]}
    )
    assert response.status_code == 302
    assert "NewMember" in client.get("/").get_data(as_text=True)

    response = submit(client, "/auth/logout", {}, page="/")
    assert response.status_code == 302
    assert "NewMember" not in client.get("/").get_data(as_text=True)
    ended = scalar(
        app,
        select(func.count(MemberSession.id)).where(
            MemberSession.member_id == member_id, MemberSession.ended_at.is_not(None)
        ),
    )
    assert ended == 1

    outbox.clear()
    response = submit(client, "/auth/reset", {"email": "NEW.member@example.org"})
    assert response.status_code == 302
    reset_path = link_in(outbox[0], "/auth/reset/")
    response = submit(
        client,
        reset_path,
        {"password": "a brand new evening sky", "password_confirm": "a brand new evening sky"},
    )
    assert response.status_code == 302
    # The link is single-use: the password it replaced is gone.
    assert client.get(reset_path).status_code == 400
    response = submit(
        client, "/auth/login", {"login": "NewMember", "password": REGISTRATION["password"]}
    )
    assert response.status_code == 422
    response = submit(
        client, "/auth/login", {"login": "NewMember", "password": "a brand new evening sky"}
    )
    assert response.status_code == 302
