"""The acceptance test of profile privacy: who sees which part of a profile, wherever it shows.

Viewers × visibility levels × sensitive fields (story, country, health) × the profile's own
visibility, checked on the profile page, in the member list (with and without a search) and on
the owner's own pages. The avatar is left to tests/test_avatars.py.

The rules, as encoded below:

- A field's effective level is the narrower of the profile's level and the field's own level.
- Health details show only while the owner's health-data consent is in force (owner included).
- Sponsor staff and administrators see exactly what members see: no extra access to "only me".
- Staff profiles are always visible (handle and staff badge), to visitors too; their fields
  still follow the narrower-level rule.
- A visitor who is not logged in gets the login page (302, ``next`` set) for a profile that
  members could see, and 404 for a private one, like for a handle that does not exist.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

import pytest
from sqlalchemy import select

from cml_earth.extensions import db
from cml_earth.profiles.models import Visibility
from tests.conftest import Auth, submit

PUBLIC, MEMBERS, GROUPS, PRIVATE = (level.value for level in Visibility)
LEVELS = (PUBLIC, MEMBERS, GROUPS, PRIVATE)
FIELDS = ("story", "country", "health")

# Who is in each audience. "Members of my groups" means members who share an active membership
# of some group with the owner: GroupFriend does (the fixture puts both in one group), the others
# do not; "member_sharing_none" belongs to another group, and a pending request to the owner's
# group does not count. Staff are in no group, so they are not in that audience either.
AUDIENCE: dict[str, dict[str, bool]] = {
    #                          public  members  groups  private
    "anonymous": dict(zip(LEVELS, (True, False, False, False), strict=True)),
    "member": dict(zip(LEVELS, (True, True, False, False), strict=True)),
    "member_sharing_a_group": dict(zip(LEVELS, (True, True, True, False), strict=True)),
    "member_sharing_none": dict(zip(LEVELS, (True, True, False, False), strict=True)),
    "owner": dict(zip(LEVELS, (True, True, True, True), strict=True)),
    "sponsor": dict(zip(LEVELS, (True, True, False, False), strict=True)),
    "admin": dict(zip(LEVELS, (True, True, False, False), strict=True)),
}
VIEWERS = tuple(AUDIENCE)

# Distinctive values, each found nowhere else on the pages checked.
OWNER = "MatrixOwner"
SEARCH = "matrixo"  # a prefix of the handle, in another case
STORY_WORD = "Quokkaharbour"
COUNTRY_CODE, COUNTRY_NAME = "NZ", "New Zealand"
DIAGNOSIS_YEAR, TREATMENT, TREATMENT_LABEL = "2013", "bosutinib", "Bosulif"
PHASE, PHASE_LABEL = "accelerated", "Accelerated phase"


def narrower(first: str, second: str) -> str:
    return max(first, second, key=LEVELS.index)


def sees(viewer: str, level: str) -> bool:
    return AUDIENCE[viewer][level]


def shown(html: str, field: str) -> bool:
    """Whether the page shows ``field``'s distinctive value (all of it, or none: else fail)."""
    if field == "story":
        return STORY_WORD in html
    if field == "country":
        return COUNTRY_NAME in html
    found = [
        f"<dd>{DIAGNOSIS_YEAR}</dd>" in html,
        TREATMENT_LABEL in html,
        PHASE_LABEL in html,
    ]
    assert all(found) or not any(found), f"health details half shown: {found}"
    return all(found)


def directory_card(html: str, username: str) -> str | None:
    """The member list's entry for ``username`` (the page header links to the viewer's own)."""
    for card in re.findall(r'<li class="member-card">(.*?)</li>', html, re.S):
        if f'href="/members/{username}"' in card:
            return card
    return None


@dataclass
class World:
    clients: dict  # viewer -> a test client, logged in as that viewer (or not at all)
    owner_id: int


@pytest.fixture
def world(app, make_member) -> World:
    """The owner and one client per viewer, logged in once for the whole test."""
    owner = make_member(OWNER, role="patient", country_code=COUNTRY_CODE)
    give_health_consent(app, owner.id)
    people = {
        "owner": owner,
        "member": make_member("PlainRelative", role="relative"),
        "member_sharing_a_group": make_member("GroupFriend"),
        "member_sharing_none": make_member("NoGroupStranger"),
        "sponsor": make_member("StaffSponsor", role="sponsor", country_code=None),
        "admin": make_member("StaffAdmin", role="admin", country_code=None),
    }
    put_in_groups(app, people)
    clients = {"anonymous": app.test_client()}
    for viewer, person in people.items():
        clients[viewer] = app.test_client()
        assert Auth(clients[viewer]).login(person).status_code == 302
    owner_client = clients["owner"]
    response = submit(
        owner_client,
        "/settings/profile",
        {
            "username": OWNER,
            "story": f"Diagnosed in the spring. **{STORY_WORD}** is where I walk.",
            "languages": ["en", "mi"],
            "diagnosis_year": DIAGNOSIS_YEAR,
            "diagnosis_phase": PHASE,
            "treatment": TREATMENT,
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return World(clients, owner.id)


def put_in_groups(app, people) -> None:
    """The owner and GroupFriend share a group; NoGroupStranger is in another one and only
    asked to join theirs; PlainRelative is in no group."""
    from cml_earth.groups.models import Group, GroupMembership

    with app.app_context():
        shared = Group(slug="shared", name="Shared", kind="topic", status="active")
        other = Group(slug="other", name="Other", kind="topic", status="active")
        db.session.add_all([shared, other])
        db.session.flush()
        db.session.add_all(
            [
                GroupMembership(group_id=shared.id, member_id=people["owner"].id),
                GroupMembership(group_id=shared.id, member_id=people["member_sharing_a_group"].id),
                GroupMembership(group_id=other.id, member_id=people["member_sharing_none"].id),
                GroupMembership(
                    group_id=shared.id,
                    member_id=people["member_sharing_none"].id,
                    status="pending",
                ),
            ]
        )
        db.session.commit()


def give_health_consent(app, member_id: int) -> None:
    from cml_earth.auth.models import ConsentPurpose, Member
    from cml_earth.auth.services import give_consent

    with app.test_request_context():
        member = db.session.get(Member, member_id)
        give_consent(member, ConsentPurpose.HEALTH_DATA, "test")
        db.session.commit()


def choose_privacy(client, levels: dict[str, str]) -> None:
    data = {f"{name}_visibility": level for name, level in levels.items()}
    response = submit(client, "/settings/privacy", data)
    assert response.status_code == 302, response.get_data(as_text=True)


def check_profile_page(client, viewer: str, profile_level: str, expected: dict[str, bool]):
    response = client.get(f"/members/{OWNER}")
    html = response.get_data(as_text=True)
    if sees(viewer, profile_level):
        assert response.status_code == 200
        assert f"<h1>{OWNER}</h1>" in html
        for field, visible in expected.items():
            assert shown(html, field) is visible, (viewer, field, profile_level)
        return
    if viewer == "anonymous" and profile_level in (MEMBERS, GROUPS):
        assert response.status_code == 302
        assert response.location == f"/auth/login?next={quote(f'/members/{OWNER}', safe='')}"
    else:
        # Not "forbidden": a profile kept to its owner does not exist for anyone else.
        assert response.status_code == 404
        missing = client.get("/members/NobodyByThisName")
        assert missing.status_code == 404
        # The same page as for a handle nobody has (the language switcher's return address
        # aside, which is the requested path either way).
        assert without_tokens(html) == without_tokens(missing.get_data(as_text=True))
    for field in FIELDS:
        assert not shown(html, field)


def without_tokens(html: str) -> str:
    return re.sub(r'value="[^"]*"', "", html)


def check_member_list(client, viewer: str, profile_level: str, expected: dict[str, bool]):
    for url in ("/members/", f"/members/?q={SEARCH}"):
        response = client.get(url)
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        card = directory_card(html, OWNER)
        if not sees(viewer, profile_level):
            assert card is None, (viewer, url)
            assert OWNER not in html.replace(f'value="{SEARCH}"', "")
            assert COUNTRY_NAME not in html
            continue
        assert card is not None, (viewer, url)
        assert (COUNTRY_NAME in card) is expected["country"], (viewer, url, profile_level)
        if not expected["country"]:
            assert COUNTRY_NAME not in html
        # The list never shows a story or health details, whoever looks.
        assert STORY_WORD not in html
        assert DIAGNOSIS_YEAR not in html and TREATMENT_LABEL not in html


def check_owner_settings(client) -> None:
    """The owner's own forms always hold everything they entered, whatever its visibility."""
    html = client.get("/settings/profile").get_data(as_text=True)
    assert STORY_WORD in html
    assert f'value="{DIAGNOSIS_YEAR}"' in html
    assert re.search(rf'<option selected value="{TREATMENT}">|value="{TREATMENT}" selected', html)


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("field", FIELDS)
def test_visibility_matrix(world, field, level):
    """One field at one level, the others at another, under each profile level, for all."""
    # The other fields take a different level, so that a template reading the wrong
    # field's setting fails here.
    others = PUBLIC if level == PRIVATE else PRIVATE
    levels = {name: (level if name == field else others) for name in FIELDS}
    for profile_level in LEVELS:
        choose_privacy(world.clients["owner"], {"profile": profile_level, **levels})
        for viewer in VIEWERS:
            expected = {
                name: sees(viewer, narrower(profile_level, field_level))
                for name, field_level in levels.items()
            }
            client = world.clients[viewer]
            check_profile_page(client, viewer, profile_level, expected)
            check_member_list(client, viewer, profile_level, expected)
    check_owner_settings(world.clients["owner"])


def test_the_table_is_what_the_rules_say():
    """Keeps the written-out table honest: staff see what members see; wider levels see more."""
    for viewer in ("sponsor", "admin"):
        assert AUDIENCE[viewer] == AUDIENCE["member"]
    for viewer, row in AUDIENCE.items():
        seen = [row[level] for level in LEVELS]
        assert seen == sorted(seen, reverse=True), viewer  # never sees a narrower level only
    assert [AUDIENCE["anonymous"][level] for level in LEVELS] == [True, False, False, False]
    assert all(AUDIENCE["owner"].values())


@pytest.mark.parametrize("withdrawn", [True, False], ids=["withdrawn", "never-given"])
def test_health_details_need_consent_in_force(app, world, make_member, withdrawn):
    """Without consent in force, health details show to nobody, the owner included."""
    from cml_earth.auth.models import Consent, Member
    from cml_earth.database import utcnow

    choose_privacy(
        world.clients["owner"],
        {"profile": PUBLIC, "story": PUBLIC, "country": PUBLIC, "health": PUBLIC},
    )
    with app.app_context():
        if withdrawn:
            for consent in db.session.scalars(
                select(Consent).where(Consent.member_id == world.owner_id)
            ):
                consent.withdrawn_at = utcnow()
        else:
            # Details left in the row by some other path, on an account that never consented.
            stranger = db.session.scalar(select(Member).where(Member.username == "GroupFriend"))
            stranger.profile.diagnosis_year = int(DIAGNOSIS_YEAR)
            stranger.profile.treatment = TREATMENT
            stranger.profile.diagnosis_phase = PHASE
            stranger.profile.health_visibility = PUBLIC
            stranger.profile.profile_visibility = PUBLIC
        db.session.commit()
    subject = OWNER if withdrawn else "GroupFriend"
    for viewer in VIEWERS:
        response = world.clients[viewer].get(f"/members/{subject}")
        assert response.status_code == 200
        assert not shown(response.get_data(as_text=True), "health"), viewer
    # The story, which needs no consent, is still there: the page itself did render.
    story = world.clients["anonymous"].get(f"/members/{OWNER}").get_data(as_text=True)
    assert STORY_WORD in story
    # Without consent the form has no health fields at all.
    if withdrawn:
        form = world.clients["owner"].get("/settings/profile").get_data(as_text=True)
        assert 'name="diagnosis_year"' not in form and 'name="treatment"' not in form


@pytest.mark.parametrize(
    ("role", "badge"), [("sponsor", "Sponsor staff"), ("admin", "Administrator")]
)
def test_staff_profiles_are_always_visible(app, make_member, role, badge):
    """Staff cannot hide that they are staff; what they wrote still follows their choices."""
    staff = make_member("QuietStaffer", role=role, country_code=COUNTRY_CODE)
    viewer = make_member("CuriousPatient")
    staff_client = app.test_client()
    Auth(staff_client).login(staff)
    response = submit(
        staff_client,
        "/settings/profile",
        {"username": "QuietStaffer", "story": f"I work on {STORY_WORD} duty.", "languages": "sv"},
    )
    assert response.status_code == 302
    choose_privacy(
        staff_client,
        {"profile": PRIVATE, "story": PUBLIC, "country": MEMBERS, "health": PUBLIC},
    )
    member_client = app.test_client()
    Auth(member_client).login(viewer)
    for client in (app.test_client(), member_client):
        page = client.get("/members/QuietStaffer")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert badge in html
        # The profile is "only me", so nothing the staffer wrote is shown to others.
        assert STORY_WORD not in html and COUNTRY_NAME not in html
        listing = client.get("/members/?q=quiet").get_data(as_text=True)
        card = directory_card(listing, "QuietStaffer")
        assert card is not None and badge in card and COUNTRY_NAME not in card
    own = staff_client.get("/members/QuietStaffer").get_data(as_text=True)
    assert STORY_WORD in own and COUNTRY_NAME in own

    # With the profile open to members, the story (public) and country (members) follow it.
    choose_privacy(
        staff_client,
        {"profile": MEMBERS, "story": PUBLIC, "country": MEMBERS, "health": PUBLIC},
    )
    anonymous = app.test_client().get("/members/QuietStaffer").get_data(as_text=True)
    assert badge in anonymous and STORY_WORD not in anonymous
    html = member_client.get("/members/QuietStaffer").get_data(as_text=True)
    assert STORY_WORD in html and COUNTRY_NAME in html
