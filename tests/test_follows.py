"""Following members: the rules, the button on the profile, and who sees the lists."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from cml_earth.extensions import db
from cml_earth.profiles.models import Profile
from cml_earth.social.models import Block, Follow

from .conftest import Auth, scalar, submit


def follows(app, follower_id: int, followed_id: int) -> bool:
    statement = (
        select(func.count())
        .select_from(Follow)
        .filter_by(follower_id=follower_id, followed_id=followed_id)
    )
    return scalar(app, statement) == 1


def set_profile_visibility(app, member_id: int, level: str) -> None:
    with app.app_context():
        db.session.get(Profile, member_id).profile_visibility = level
        db.session.commit()


def block(app, blocker_id: int, blocked_id: int) -> None:
    with app.app_context():
        db.session.add(Block(blocker_id=blocker_id, blocked_id=blocked_id))
        db.session.commit()


def follow(client, member, action: str = "follow"):
    profile = f"/members/{member.username}"
    return submit(client, f"{profile}/{action}", {}, page=profile)


def test_follow_and_unfollow_from_the_profile(app, client, patient, relative):
    Auth(client).login(relative)
    profile = f"/members/{patient.username}"
    html = client.get(profile).get_data(as_text=True)
    assert f'action="{profile}/follow"' in html
    answer = follow(client, patient)
    assert answer.status_code == 302
    assert answer.headers["Location"] == profile
    assert follows(app, relative.id, patient.id)
    html = client.get(profile).get_data(as_text=True)
    assert f"You now follow {patient.username}." in html
    assert f'action="{profile}/unfollow"' in html
    assert follow(client, patient).status_code == 302  # a second tab: still one follow
    assert scalar(app, select(func.count()).select_from(Follow)) == 1
    assert follow(client, patient, "unfollow").status_code == 302
    assert not follows(app, relative.id, patient.id)
    assert follow(client, patient, "unfollow").status_code == 302  # nothing left to stop


def test_nobody_follows_themselves(app, client, patient):
    Auth(client).login(patient)
    html = client.get(f"/members/{patient.username}").get_data(as_text=True)
    assert '/follow"' not in html
    assert follow(client, patient).status_code == 403
    assert not follows(app, patient.id, patient.id)


def test_unverified_members_cannot_follow(app, client, patient, make_member):
    newcomer = make_member(verified=False)
    Auth(client).login(newcomer)
    answer = follow(client, patient)
    assert answer.status_code == 403
    assert "confirm your email" in answer.get_data(as_text=True)
    assert not follows(app, newcomer.id, patient.id)


def test_visitors_are_sent_to_log_in(app, client, patient):
    set_profile_visibility(app, patient.id, "public")
    profile = f"/members/{patient.username}"
    answer = submit(client, f"{profile}/follow", {}, page=profile)
    assert answer.status_code == 302
    assert "/auth/login" in answer.headers["Location"]


def test_csrf_is_required(app, client, patient, relative):
    Auth(client).login(relative)
    assert client.post(f"/members/{patient.username}/follow").status_code == 400
    assert not follows(app, relative.id, patient.id)


def test_a_hidden_profile_cannot_be_followed(app, client, patient, relative):
    set_profile_visibility(app, patient.id, "private")
    Auth(client).login(relative)
    answer = submit(client, f"/members/{patient.username}/follow", {}, page="/")
    assert answer.status_code == 404
    assert client.get(f"/members/{patient.username}/followers").status_code == 404
    assert not follows(app, relative.id, patient.id)


@pytest.mark.parametrize("direction", ["blocked_by_them", "blocked_them"])
def test_no_follow_across_a_block(app, client, patient, relative, direction):
    if direction == "blocked_by_them":
        block(app, patient.id, relative.id)
    else:
        block(app, relative.id, patient.id)
    Auth(client).login(relative)
    answer = submit(client, f"/members/{patient.username}/follow", {}, page="/")
    assert answer.status_code == 404
    assert not follows(app, relative.id, patient.id)


def test_lists_show_only_members_the_viewer_may_see(app, client, patient, make_member):
    shown, hidden, blocking = make_member("Shown"), make_member("Hidden"), make_member("Blocking")
    for member in (shown, hidden, blocking):
        Auth(client).login(member)
        follow(client, patient)
        Auth(client).logout()
    Auth(client).login(patient)
    for member in (shown, hidden, blocking):
        follow(client, member)
    Auth(client).logout()
    set_profile_visibility(app, hidden.id, "private")
    viewer = make_member("Viewer")
    block(app, blocking.id, viewer.id)

    Auth(client).login(viewer)
    for path in ("followers", "following"):
        html = client.get(f"/members/{patient.username}/{path}").get_data(as_text=True)
        assert ">Shown<" in html, path
        assert ">Hidden<" not in html, path
        assert ">Blocking<" not in html, path
    Auth(client).logout()
    Auth(client).login(hidden)  # members always see themselves
    html = client.get(f"/members/{patient.username}/followers").get_data(as_text=True)
    assert ">Hidden<" in html and ">Blocking<" in html


def test_followed_ids_select_for_the_feed(app, patient, relative, make_member):
    from cml_earth.social.follows import followed_ids_select

    with app.app_context():
        db.session.add(Follow(follower_id=relative.id, followed_id=patient.id))
        db.session.commit()
        assert db.session.scalars(followed_ids_select(relative.id)).all() == [patient.id]
        assert db.session.scalars(followed_ids_select(patient.id)).all() == []


def test_erasure_and_export(app, client, patient, relative):
    Auth(client).login(relative)
    follow(client, patient)
    from cml_earth.account.export import collect
    from cml_earth.auth.models import Member

    with app.test_request_context():
        data = collect(db.session.get(Member, relative.id))
        assert [row["username"] for row in data["following"]] == [patient.username]
        followers = collect(db.session.get(Member, patient.id))["followers"]
        assert len(followers) == 1 and relative.username not in str(followers)
    answer = submit(client, "/settings/delete", {"password": relative.password, "confirm": "y"})
    assert answer.status_code == 302
    assert scalar(app, select(func.count()).select_from(Follow)) == 0
