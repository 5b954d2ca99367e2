"""Joining, leaving and running groups, and what a group's choices let each reader see.

Everything goes through the real pages and forms (CSRF on); groups are set up in the database
or through the propose-and-approve flow.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from types import SimpleNamespace

import pytest
from flask import url_for
from sqlalchemy import func, select

from cml_earth.database import utcnow
from cml_earth.extensions import db
from cml_earth.groups.models import Group, GroupMembership
from cml_earth.notifications.models import Notification
from cml_earth.profiles.models import Profile
from cml_earth.stories.models import Story

from .conftest import Auth, scalar, submit

# Distinctive words: finding them on a page can only mean the story is shown.
TITLE_WORD = "Kelpfernwhistle"
BODY_WORD = "quillbrookmeadow"


# --- set-up helpers ---------------------------------------------------------------------------


def logged_in(app, member):
    client = app.test_client()
    response = Auth(client).login(member)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


def make_group(
    app,
    slug: str,
    *,
    kind: str = "topic",
    country_code: str | None = None,
    visibility: str = "members",
    join_policy: str = "open",
    status: str = "active",
    founder=None,
    moderators=(),
    members=(),
    pending=(),
    description: str = "A group for tests.",
) -> int:
    """A group with its memberships; member_count counts the active ones, as the app does."""
    with app.app_context():
        group = Group(
            slug=slug,
            name=slug.replace("-", " ").title(),
            kind=kind,
            country_code=country_code,
            visibility=visibility,
            join_policy=join_policy,
            status=status,
            description=description,
            search_text=f"{slug.replace('-', ' ')} {description.lower()}",
            founder_id=founder.id if founder else None,
            member_count=len(moderators) + len(members),
        )
        db.session.add(group)
        db.session.flush()
        for person in moderators:
            db.session.add(
                GroupMembership(group_id=group.id, member_id=person.id, role="moderator")
            )
        for person in members:
            db.session.add(GroupMembership(group_id=group.id, member_id=person.id))
        for person in pending:
            db.session.add(
                GroupMembership(group_id=group.id, member_id=person.id, status="pending")
            )
        db.session.commit()
        return group.id


def add_story(
    app, author, *, title: str, body: str, visibility: str = "public", group_id=None
) -> int:
    with app.app_context():
        story = Story(
            author_id=author.id,
            title=title,
            body=body,
            language="en",
            visibility=visibility,
            group_id=group_id,
        )
        db.session.add(story)
        db.session.commit()
        return story.id


def member_count(app, group_id: int) -> int:
    return scalar(app, select(Group.member_count).where(Group.id == group_id))


def memberships(app, group_id: int, member_id: int) -> list[tuple[str, str]]:
    """(role, status) of every membership row of one member in one group."""
    with app.app_context():
        rows = db.session.execute(
            select(GroupMembership.role, GroupMembership.status).where(
                GroupMembership.group_id == group_id, GroupMembership.member_id == member_id
            )
        ).all()
        return [tuple(row) for row in rows]


def membership_id(app, group_id: int, member_id: int) -> int:
    return scalar(
        app,
        select(GroupMembership.id).where(
            GroupMembership.group_id == group_id, GroupMembership.member_id == member_id
        ),
    )


def notifications_of(app, member_id: int) -> list[tuple[str, int | None]]:
    with app.app_context():
        rows = db.session.execute(
            select(Notification.kind, Notification.group_id)
            .where(Notification.recipient_id == member_id)
            .order_by(Notification.id)
        ).all()
        return [tuple(row) for row in rows]


def count_rows(app, model) -> int:
    return scalar(app, select(func.count()).select_from(model))


def text_of(response) -> str:
    return response.get_data(as_text=True)


# --- joining and leaving an open group ----------------------------------------------------------


def test_join_an_open_group_then_leave_it(app, make_member, patient):
    moderator = make_member("OpenModerator")
    group_id = make_group(app, "open-circle", moderators=[moderator])
    client = logged_in(app, patient)

    page = text_of(client.get("/groups/open-circle"))
    assert "Join the group" in page and "Leave the group" not in page
    assert member_count(app, group_id) == 1

    response = submit(client, "/groups/open-circle/join", {}, page="/groups/open-circle")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/groups/open-circle")
    assert member_count(app, group_id) == 2
    assert memberships(app, group_id, patient.id) == [("member", "active")]
    page = text_of(client.get("/groups/open-circle"))
    assert "Leave the group" in page and "Join the group" not in page
    assert "You are a member of this group." in page

    # Joining again (another tab, a double click) changes nothing.
    response = submit(client, "/groups/open-circle/join", {}, page="/groups/open-circle")
    assert response.status_code == 302
    assert member_count(app, group_id) == 2
    assert memberships(app, group_id, patient.id) == [("member", "active")]

    response = submit(client, "/groups/open-circle/leave", {}, page="/groups/open-circle")
    assert response.status_code == 302
    assert member_count(app, group_id) == 1
    assert memberships(app, group_id, patient.id) == []
    assert "Join the group" in text_of(client.get("/groups/open-circle"))

    # Leaving twice changes nothing either.
    response = submit(client, "/groups/open-circle/leave", {}, page="/groups/open-circle")
    assert response.status_code == 302
    assert member_count(app, group_id) == 1


# --- a group whose moderators approve members ------------------------------------------------


def test_ask_to_join_and_a_moderator_accepts(app, make_member, patient):
    first, second = make_member("FirstModerator"), make_member("SecondModerator")
    group_id = make_group(app, "careful-circle", join_policy="approval", moderators=[first, second])
    client = logged_in(app, patient)
    assert "Ask to join" in text_of(client.get("/groups/careful-circle"))

    response = submit(client, "/groups/careful-circle/join", {}, page="/groups/careful-circle")
    assert response.status_code == 302
    assert memberships(app, group_id, patient.id) == [("member", "pending")]
    assert member_count(app, group_id) == 2
    for moderator in (first, second):
        assert notifications_of(app, moderator.id) == [("join_request", group_id)]
    page = text_of(client.get("/groups/careful-circle"))
    assert "Your request to join is waiting for a group moderator." in page
    # A pending request reads nothing more than a stranger does: no posting, no leaving twice.
    assert "Write a story in this group" not in page

    moderator = logged_in(app, first)
    members_page = text_of(moderator.get("/groups/careful-circle/members"))
    assert "Accept AnnaPatient" in members_page
    request_id = membership_id(app, group_id, patient.id)
    url = f"/groups/careful-circle/requests/{request_id}/accept"
    response = submit(moderator, url, {}, page="/groups/careful-circle/members")
    assert response.status_code == 302
    assert memberships(app, group_id, patient.id) == [("member", "active")]
    assert member_count(app, group_id) == 3
    assert notifications_of(app, patient.id) == [("join_accepted", group_id)]
    assert "You are a member of this group." in text_of(client.get("/groups/careful-circle"))

    # The other moderator answers the same request a moment later: a friendly word, no change.
    other = logged_in(app, second)
    response = submit(other, url, {}, page="/groups/careful-circle/members", follow_redirects=True)
    assert response.status_code == 200
    assert "This request was answered already or withdrawn." in text_of(response)
    assert memberships(app, group_id, patient.id) == [("member", "active")]
    assert member_count(app, group_id) == 3
    assert notifications_of(app, patient.id) == [("join_accepted", group_id)]
    refuse = f"/groups/careful-circle/requests/{request_id}/refuse"
    response = submit(other, refuse, {}, page="/groups/careful-circle/members")
    assert response.status_code == 302
    assert memberships(app, group_id, patient.id) == [("member", "active")]
    assert member_count(app, group_id) == 3


def test_a_moderator_declines_a_request_and_a_plain_member_cannot_answer(
    app, make_member, patient, relative, troll
):
    moderator = make_member("SoleModerator")
    group_id = make_group(
        app,
        "quiet-circle",
        join_policy="approval",
        moderators=[moderator],
        members=[patient],
        pending=[troll],
    )
    client = logged_in(app, relative)
    assert submit(client, "/groups/quiet-circle/join", {}, page="/").status_code == 302
    assert memberships(app, group_id, relative.id) == [("member", "pending")]

    # A plain member may not answer requests, neither by page nor by crafted POST.
    plain = logged_in(app, patient)
    assert "Accept TrollTrollsson" not in text_of(plain.get("/groups/quiet-circle/members"))
    troll_request = membership_id(app, group_id, troll.id)
    for answer in ("accept", "refuse"):
        url = f"/groups/quiet-circle/requests/{troll_request}/{answer}"
        assert submit(plain, url, {}, page="/").status_code == 403
    assert memberships(app, group_id, troll.id) == [("member", "pending")]
    # ... nor does the one who asked answer his own request.
    troll_client = logged_in(app, troll)
    url = f"/groups/quiet-circle/requests/{troll_request}/accept"
    assert submit(troll_client, url, {}, page="/").status_code == 403
    assert memberships(app, group_id, troll.id) == [("member", "pending")]
    assert member_count(app, group_id) == 2

    moderating = logged_in(app, moderator)
    relative_request = membership_id(app, group_id, relative.id)
    url = f"/groups/quiet-circle/requests/{relative_request}/refuse"
    response = submit(moderating, url, {}, page="/groups/quiet-circle/members")
    assert response.status_code == 302
    assert memberships(app, group_id, relative.id) == []
    assert member_count(app, group_id) == 2
    assert ("join_accepted", group_id) not in notifications_of(app, relative.id)
    # The declined member may ask again.
    assert "Ask to join" in text_of(client.get("/groups/quiet-circle"))

    # A request id of another group is not this group's to answer.
    other_id = make_group(app, "other-circle", join_policy="approval", pending=[relative])
    foreign = membership_id(app, other_id, relative.id)
    url = f"/groups/quiet-circle/requests/{foreign}/accept"
    response = submit(moderating, url, {}, page="/groups/quiet-circle/members")
    assert response.status_code == 302
    assert memberships(app, other_id, relative.id) == [("member", "pending")]


# --- groups that take nobody ------------------------------------------------------------------


def test_archived_and_proposed_groups_take_no_members_and_staff_join_none(
    app, make_member, patient, sponsor
):
    founder = make_member("HopefulFounder")
    archived_id = make_group(app, "old-circle", status="archived")
    proposed_id = make_group(app, "future-circle", status="proposed", founder=founder)
    active_id = make_group(app, "busy-circle")
    client = logged_in(app, patient)

    assert "Join the group" not in text_of(client.get("/groups/old-circle"))
    response = submit(client, "/groups/old-circle/join", {}, page="/", follow_redirects=True)
    assert response.status_code == 200
    assert "This group is archived: it no longer takes new members." in text_of(response)
    assert memberships(app, archived_id, patient.id) == []
    assert member_count(app, archived_id) == 0

    assert client.get("/groups/future-circle").status_code == 404
    assert submit(client, "/groups/future-circle/join", {}, page="/").status_code == 404
    assert memberships(app, proposed_id, patient.id) == []

    staff = logged_in(app, sponsor)
    assert "Join the group" not in text_of(staff.get("/groups/busy-circle"))
    response = submit(staff, "/groups/busy-circle/join", {}, page="/", follow_redirects=True)
    assert response.status_code == 200
    assert "Sponsor staff do not join groups as members." in text_of(response)
    assert memberships(app, active_id, sponsor.id) == []
    # Staff see a proposal, but may not join it either.
    response = submit(staff, "/groups/future-circle/join", {}, page="/", follow_redirects=True)
    assert "This group is not open yet" in text_of(response)
    assert count_rows(app, GroupMembership) == 0


def test_an_unverified_member_cannot_join(app, make_member):
    newcomer = make_member("FreshNewcomer", verified=False)
    group_id = make_group(app, "welcome-circle")
    client = logged_in(app, newcomer)
    page = text_of(client.get("/groups/welcome-circle"))
    assert "Please confirm your email address before you join a group." in page
    assert "Join the group" not in page
    response = submit(client, "/groups/welcome-circle/join", {}, page="/")
    assert response.status_code == 302
    with app.test_request_context():
        unverified_page = url_for("auth.unverified")
    assert response.headers["Location"].endswith(unverified_page)
    assert count_rows(app, GroupMembership) == 0
    assert member_count(app, group_id) == 0


# --- founding and running a group ------------------------------------------------------------


def propose_form(**changes) -> dict:
    data = {
        "name": "Newly Diagnosed Friends",
        "kind": "topic",
        "country_code": "",
        "place": "",
        "description": "For members diagnosed in the last year.",
        "languages": ["en"],
        "visibility": "members",
        "join_policy": "open",
    }
    data.update(changes)
    return data


@pytest.mark.parametrize("proposed_through", ["form", "database"])
def test_the_founder_of_an_approved_group_moderates_it(
    app, patient, relative, sponsor, proposed_through
):
    founder = logged_in(app, patient)
    if proposed_through == "form":
        response = submit(founder, "/groups/new", propose_form())
        assert response.status_code == 302, text_of(response)[:2000]
        slug = response.headers["Location"].rsplit("/", 1)[-1]
    else:  # the same proposal, written straight to the database
        slug = "newly-diagnosed-friends"
        make_group(app, slug, status="proposed", founder=patient)
        with app.app_context():
            group = db.session.scalar(select(Group).where(Group.slug == slug))
            group.name = "Newly Diagnosed Friends"
            db.session.commit()
    group_id = scalar(app, select(Group.id).where(Group.slug == slug))
    assert scalar(app, select(Group.status).where(Group.id == group_id)) == "proposed"
    assert memberships(app, group_id, patient.id) == []

    staff = logged_in(app, sponsor)
    assert "Newly Diagnosed Friends" in text_of(staff.get("/groups/proposals"))
    response = submit(staff, f"/groups/{slug}/approve", {}, page="/groups/proposals")
    assert response.status_code == 302
    assert scalar(app, select(Group.status).where(Group.id == group_id)) == "active"
    assert memberships(app, group_id, patient.id) == [("moderator", "active")]
    assert member_count(app, group_id) == 1
    assert notifications_of(app, patient.id) == [("group_approved", group_id)]

    page = text_of(founder.get(f"/groups/{slug}"))
    assert "You are a moderator of this group." in page
    assert f'href="/groups/{slug}/edit"' in page
    assert founder.get(f"/groups/{slug}/edit").status_code == 200
    response = submit(
        founder,
        f"/groups/{slug}/edit",
        {
            "description": "Now also for their relatives: welcome, Zanzibarian friends.",
            "languages": ["en", "sv"],
            "visibility": "members",
            "join_policy": "approval",
        },
    )
    assert response.status_code == 302, text_of(response)[:2000]
    with app.app_context():
        group = db.session.get(Group, group_id)
        assert group.description.startswith("Now also for their relatives")
        assert (group.languages, group.join_policy) == ("en,sv", "approval")
        assert "zanzibarian" in group.search_text
    assert "Zanzibarian friends" in text_of(founder.get(f"/groups/{slug}"))

    # A plain member may not edit.
    plain = logged_in(app, relative)
    assert submit(plain, f"/groups/{slug}/join", {}, page=f"/groups/{slug}").status_code == 302
    assert memberships(app, group_id, relative.id) == [("member", "pending")]
    with app.app_context():
        row = db.session.get(GroupMembership, membership_id(app, group_id, relative.id))
        row.status = "active"
        db.session.commit()
    page = text_of(plain.get(f"/groups/{slug}"))
    assert f'href="/groups/{slug}/edit"' not in page
    assert plain.get(f"/groups/{slug}/edit").status_code == 403
    data = {"description": "Taken over.", "languages": ["en"], "visibility": "public"}
    data["join_policy"] = "open"
    assert submit(plain, f"/groups/{slug}/edit", data, page="/").status_code == 403
    with app.app_context():
        group = db.session.get(Group, group_id)
        assert (group.visibility, group.join_policy) == ("members", "approval")
        assert "Taken over." not in group.description


# --- what a group's choice of readers lets each viewer see ---------------------------------


SEES = {
    # group visibility: (anonymous, logged-in non-member, member)
    "public": (True, True, True),
    "members": (False, True, True),
    "group": (False, False, True),
}


def test_a_groups_stories_reach_only_its_readers(app, make_member):
    author, stranger, fellow = make_member("StoryAuthor"), make_member("Outsider"), make_member()
    stories = {}
    for visibility in SEES:
        slug = f"{visibility}-circle"
        group_id = make_group(
            app, slug, visibility=visibility, moderators=[author], members=[fellow]
        )
        # The story itself is public: only the group's choice limits who reads it.
        stories[visibility] = add_story(
            app,
            author,
            title=f"{TITLE_WORD} {visibility} evening",
            body=f"We walked by the {BODY_WORD}{visibility} after the appointment.",
            group_id=group_id,
        )
    viewers = {
        "anonymous": app.test_client(),
        "non-member": logged_in(app, stranger),
        "member": logged_in(app, fellow),
    }
    for position, (name, client) in enumerate(viewers.items()):
        home = text_of(client.get("/"))
        results = text_of(client.get(f"/search?q={TITLE_WORD.lower()}"))
        for visibility, story_id in stories.items():
            sees = SEES[visibility][position]
            where = f"{name} on a {visibility} group"
            slug = f"{visibility}-circle"
            link = f'href="/stories/{story_id}"'
            body = f"{BODY_WORD}{visibility}"

            group_page = text_of(client.get(f"/groups/{slug}"))
            assert (link in group_page) is sees, where
            assert (f"{TITLE_WORD} {visibility}" in group_page) is sees, where

            response = client.get(f"/stories/{story_id}")
            if sees:
                assert response.status_code == 200, where
                page = text_of(response)
                assert body in page and "In the group" in page, where
                assert f'href="/groups/{slug}"' in page, where
            elif name == "anonymous":
                assert response.status_code in (302, 404), where
                if response.status_code == 302:
                    assert "/auth/login" in response.headers["Location"], where
            else:
                assert response.status_code == 404, where
            assert sees or (body not in text_of(response) and TITLE_WORD not in text_of(response))

            if name != "anonymous":  # a visitor's home page has no feed
                assert (link in home) is sees, where
            assert sees or body not in home, where
            assert (link in results) is sees, where
            assert sees or body not in results, where

            members = client.get(f"/groups/{slug}/members")
            if sees:
                assert members.status_code == 200, where
                listed = 'href="/members/StoryAuthor"' in text_of(members)
                assert listed is (name != "anonymous"), where  # the author shows members only
            elif name == "anonymous":
                assert members.status_code == 302, where
                assert "/auth/login" in members.headers["Location"], where
            else:
                assert members.status_code == 404, where


def test_staff_and_the_author_read_a_group_only_story(app, make_member, sponsor):
    author, fellow = make_member("LeavingAuthor"), make_member()
    group_id = make_group(app, "closed-circle", visibility="group", members=[author, fellow])
    story_id = add_story(
        app, author, title=f"{TITLE_WORD} morning", body=BODY_WORD, group_id=group_id
    )
    staff = logged_in(app, sponsor)
    assert staff.get(f"/stories/{story_id}").status_code == 200
    assert f'href="/stories/{story_id}"' in text_of(staff.get("/groups/closed-circle"))
    # The author left the group: their own story stays theirs to read.
    client = logged_in(app, author)
    assert submit(client, "/groups/closed-circle/leave", {}, page="/").status_code == 302
    assert client.get(f"/stories/{story_id}").status_code == 200


# --- "members of my groups" ------------------------------------------------------------------


def test_members_of_my_groups_means_a_shared_active_membership(app, make_member):
    a, b = make_member("AuthorA"), make_member("SharerB")
    c, d = make_member("StrangerC"), make_member("AskerD")
    make_group(app, "a-circle", join_policy="approval", moderators=[a], members=[b], pending=[d])
    make_group(app, "c-circle", members=[c, d])
    story_id = add_story(
        app, a, title=f"{TITLE_WORD} for friends", body=BODY_WORD, visibility="groups"
    )
    with app.app_context():
        profile = db.session.get(Profile, a.id)
        profile.profile_visibility = "groups"
        db.session.commit()

    for viewer, status in ((b, 200), (c, 404), (d, 404)):
        client = logged_in(app, viewer)
        where = viewer.username
        response = client.get(f"/stories/{story_id}")
        assert response.status_code == status, where
        assert (BODY_WORD in text_of(response)) is (status == 200), where
        assert client.get("/members/AuthorA").status_code == status, where
        assert (f'href="/stories/{story_id}"' in text_of(client.get("/"))) is (status == 200)
        results = text_of(client.get(f"/search?q={TITLE_WORD.lower()}"))
        assert (f'href="/stories/{story_id}"' in results) is (status == 200), where
    anonymous = app.test_client()
    assert anonymous.get(f"/stories/{story_id}").status_code in (302, 404)
    assert BODY_WORD not in text_of(anonymous.get(f"/stories/{story_id}"))

    # D is accepted: now D shares the group and reads both.
    with app.app_context():
        [request] = db.session.scalars(
            select(GroupMembership).where(
                GroupMembership.member_id == d.id, GroupMembership.status == "pending"
            )
        ).all()
        request.status = "active"
        db.session.commit()
    client = logged_in(app, d)
    assert client.get(f"/stories/{story_id}").status_code == 200
    assert client.get("/members/AuthorA").status_code == 200


# --- posting a story in a group --------------------------------------------------------------


def story_form(group_id: int | str, title: str = f"{TITLE_WORD} in a group") -> dict:
    return {
        "title": title,
        "body": f"Written for the group, by the {BODY_WORD}.",
        "language": "en",
        "visibility": "members",
        "group": str(group_id),
    }


def test_a_member_posts_in_the_group(app, make_member, patient):
    group_id = make_group(app, "writing-circle", members=[patient])
    client = logged_in(app, patient)
    form_page = text_of(client.get("/stories/new?group=writing-circle"))
    assert re.search(
        rf'<option[^>]*selected[^>]*value="{group_id}"|<option[^>]*value="{group_id}"[^>]*selected',
        form_page,
    ), form_page
    response = submit(client, "/stories/new", story_form(group_id))
    assert response.status_code == 302, text_of(response)[:2000]
    story_id = int(response.headers["Location"].rsplit("/", 1)[-1])
    assert scalar(app, select(Story.group_id).where(Story.id == story_id)) == group_id
    page = text_of(client.get(f"/stories/{story_id}"))
    assert "In the group" in page and 'href="/groups/writing-circle"' in page
    assert f'href="/stories/{story_id}"' in text_of(client.get("/groups/writing-circle"))


def test_only_active_members_of_open_groups_post_in_them(app, make_member, patient, relative):
    moderator = make_member("GateKeeper")
    open_id = make_group(app, "members-only", moderators=[moderator], pending=[relative])
    archived_id = make_group(app, "closed-shop", status="archived", members=[patient])
    outsider = logged_in(app, relative)
    form_page = text_of(outsider.get("/stories/new"))
    assert f'value="{open_id}"' not in form_page

    # A crafted group id: a group the member only asked to join, one that does not exist.
    for crafted in (open_id, 999_999, "not-a-number"):
        response = submit(outsider, "/stories/new", story_form(crafted), page="/stories/new")
        assert response.status_code == 422, crafted
    member = logged_in(app, patient)
    assert f'value="{archived_id}"' not in text_of(member.get("/stories/new"))
    response = submit(member, "/stories/new", story_form(archived_id), page="/stories/new")
    assert response.status_code == 422
    assert count_rows(app, Story) == 0


# --- export and erasure ----------------------------------------------------------------------


def download(client) -> dict:
    response = submit(client, "/settings/export", {})
    assert response.status_code == 200, text_of(response)[:500]
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    return json.loads(archive.read("data.json").decode("utf-8"))


def test_export_holds_memberships_and_proposals(app, make_member, patient):
    moderator = make_member("CircleKeeper")
    make_group(app, "joined-circle", moderators=[moderator], members=[patient])
    make_group(app, "asked-circle", join_policy="approval", pending=[patient])
    make_group(app, "my-proposal", status="proposed", founder=patient)
    make_group(app, "someone-elses", status="proposed", founder=moderator)
    data = download(logged_in(app, patient))

    joined = {row["group"]: row for row in data["group_memberships"]}
    assert set(joined) == {"Joined Circle", "Asked Circle"}
    assert joined["Joined Circle"]["membership"] == "active"
    assert joined["Joined Circle"]["role"] == "member"
    assert joined["Joined Circle"]["group_address"].endswith("/groups/joined-circle")
    assert joined["Asked Circle"]["membership"] == "pending"
    assert joined["Asked Circle"]["joined_at"] is None

    [founded] = data["groups_founded"]
    assert founded["group"] == "My Proposal"
    assert founded["status"] == "proposed"
    assert founded["group_address"].endswith("/groups/my-proposal")
    assert "Someone Elses" not in json.dumps(data)


def test_erasure_counts_the_member_out_and_keeps_the_groups_they_founded(app, make_member, patient):
    moderator, other = make_member("StayingModerator"), make_member("StayingMember")
    joined = make_group(app, "joined-circle", moderators=[moderator], members=[patient, other])
    asked = make_group(app, "asked-circle", join_policy="approval", moderators=[moderator])
    founded = make_group(app, "founded-circle", founder=patient, moderators=[patient])
    proposal = make_group(app, "waiting-circle", status="proposed", founder=patient)
    refused = make_group(app, "refused-circle", status="refused", founder=patient)
    with app.app_context():
        db.session.add(GroupMembership(group_id=asked, member_id=patient.id, status="pending"))
        db.session.commit()

    client = logged_in(app, patient)
    response = submit(client, "/settings/delete", {"password": patient.password, "confirm": "y"})
    assert response.status_code == 302, text_of(response)[:2000]

    assert member_count(app, joined) == 2
    assert member_count(app, asked) == 1
    assert member_count(app, founded) == 0
    with app.app_context():
        kept = db.session.get(Group, founded)
        assert kept is not None and kept.status == "active" and kept.founder_id is None
        assert db.session.get(Group, proposal) is None
        assert db.session.get(Group, refused) is None
        left = db.session.scalars(
            select(GroupMembership.member_id).where(GroupMembership.member_id == patient.id)
        ).all()
        assert left == []
    # The group lives on for its other members.
    staying = logged_in(app, other)
    assert staying.get("/groups/founded-circle").status_code == 200


# --- query budgets ----------------------------------------------------------------------------


def quick_members(app, prefix: str, numbers) -> list:
    """Members who never log in, so without the cost of hashing a password each."""
    from cml_earth.auth.models import Member

    with app.app_context():
        now = utcnow()
        people = [
            Member(
                username=f"{prefix}{number}",
                email=f"{prefix}{number}@example.org",
                password_hash="not-a-hash",
                role="patient",
                country_code="NO",
                locale="en",
                timezone="Europe/Oslo",
                email_verified_at=now,
                age_confirmed_at=now,
                guidelines_accepted_at=now,
                guidelines_version="test",
            )
            for number in numbers
        ]
        db.session.add_all(people)
        db.session.commit()
        return [SimpleNamespace(id=person.id) for person in people]


def _count(client, queries, path: str) -> int:
    assert client.get(path).status_code == 200  # warm-up: caches, first-use loads
    queries.clear()
    response = client.get(path)
    assert response.status_code == 200
    return len(queries)


def test_a_group_page_costs_the_same_queries_however_many_members_and_stories(
    app, make_member, queries
):
    viewer = make_member("BudgetViewer")
    group_id = make_group(app, "budget-circle", visibility="public", members=[viewer])

    def grow(to: int, have: int) -> None:
        people = quick_members(app, "budget", range(have, to))
        with app.app_context():
            for number, person in enumerate(people, start=have):
                db.session.add(
                    GroupMembership(group_id=group_id, member_id=person.id, role="member")
                )
                db.session.add(
                    Story(
                        author_id=person.id,
                        title=f"Story {number}",
                        body="A story.",
                        language="en",
                        visibility="public",
                        group_id=group_id,
                    )
                )
            db.session.execute(
                Group.__table__.update().where(Group.id == group_id).values(member_count=to + 1)
            )
            db.session.commit()

    member = logged_in(app, viewer)
    anonymous = app.test_client()
    grow(3, 0)
    small = (
        _count(member, queries, "/groups/budget-circle"),
        _count(anonymous, queries, "/groups/budget-circle"),
    )
    grow(30, 3)
    large = (
        _count(member, queries, "/groups/budget-circle"),
        _count(anonymous, queries, "/groups/budget-circle"),
    )
    assert small == large, queries.statements


def test_group_lists_cost_the_same_queries_however_many_groups(app, make_member, queries):
    viewer = make_member("ListViewer")
    client = logged_in(app, viewer)
    anonymous = app.test_client()

    def grow(to: int, have: int) -> None:
        with app.app_context():
            for number in range(have, to):
                kind = "national" if number == 0 else ("local" if number % 2 else "topic")
                db.session.add(
                    Group(
                        slug=f"norway-{number}",
                        name=f"Norway circle {number}",
                        kind=kind,
                        country_code="NO",
                        status="active",
                        languages="nb,en",
                        search_text=f"norway circle {number}",
                        member_count=number,
                    )
                )
            db.session.commit()

    paths = ["/groups/", "/groups/country/NO", "/groups/?q=circle"]
    grow(3, 0)
    small = [_count(c, queries, path) for c in (client, anonymous) for path in paths]
    grow(30, 3)
    large = [_count(c, queries, path) for c in (client, anonymous) for path in paths]
    assert small == large, queries.statements


def test_a_groups_stories_page_by_twenty_without_a_total(app, make_member):
    """Previous and next only: nothing counts a group's stories (they grow with the community)."""
    author = make_member("PagingAuthor")
    group_id = make_group(app, "paging-circle", visibility="public", moderators=[author])
    for number in range(45):
        add_story(app, author, title=f"Paged story {number:02}", body="Words.", group_id=group_id)
    client = app.test_client()
    pages = [
        client.get(f"/groups/paging-circle?page={n}").get_data(as_text=True) for n in (1, 2, 3)
    ]
    # The story cards (the stories waiting for support are a list of their own).
    shown = [
        re.findall(r'<h3><a href="/stories/\d+">(Paged story \d\d)</a></h3>', page)
        for page in pages
    ]
    assert [len(titles) for titles in shown] == [20, 20, 5]
    assert sorted(title for titles in shown for title in titles) == [
        f"Paged story {n:02}" for n in range(45)
    ]
    raw = [client.get(f"/groups/paging-circle?page={n}").get_data(as_text=True) for n in (1, 3)]
    assert 'rel="next"' in raw[0] and 'rel="prev"' not in raw[0]
    assert 'rel="prev"' in raw[1] and 'rel="next"' not in raw[1]
    assert " of " not in re.search(r'<nav class="pagination".*?</nav>', raw[0], re.S).group(0)
    for page in ("4", "0", "-2", "501", "9" * 30):
        assert client.get(f"/groups/paging-circle?page={page}").status_code == 404, page
    assert client.get("/groups/paging-circle?page=x").status_code == 200
