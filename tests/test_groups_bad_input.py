"""What the groups pages do with input they should refuse: unknown countries, odd searches,
places that are nowhere, broken proposals, missing CSRF tokens, members at staff doors.

Never a 500; a refusal says why, in the viewer's language, and writes nothing.
"""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from cml_earth.extensions import db
from cml_earth.groups.countries import normalize
from cml_earth.groups.models import Group, GroupMembership
from cml_earth.notifications.models import Notification

from .conftest import Auth, csrf_token, scalar, submit


def logged_in(app, member):
    client = app.test_client()
    response = Auth(client).login(member)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


def page_text(response) -> str:
    """The page with entities decoded, so that "group's" matches however it was escaped."""
    return html.unescape(response.get_data(as_text=True))


def make_group(
    app,
    slug: str,
    *,
    name: str | None = None,
    kind: str = "topic",
    country_code: str | None = None,
    status: str = "active",
    founder=None,
    members=(),
    description: str = "",
) -> int:
    with app.app_context():
        name = name or slug.replace("-", " ").title()
        group = Group(
            slug=slug,
            name=name,
            kind=kind,
            country_code=country_code,
            status=status,
            description=description or f"About {name}.",
            search_text=normalize(f"{name} {description}"),
            founder_id=founder.id if founder else None,
            member_count=len(members),
        )
        db.session.add(group)
        db.session.flush()
        for person in members:
            db.session.add(GroupMembership(group_id=group.id, member_id=person.id))
        db.session.commit()
        return group.id


def count(app, model) -> int:
    return scalar(app, select(func.count()).select_from(model))


def group_status(app, group_id: int) -> str:
    return scalar(app, select(Group.status).where(Group.id == group_id))


def listed_slugs(response) -> set[str]:
    """Slugs of the groups listed as cards on a page."""
    return set(re.findall(r'<h3><a href="/groups/([^"/]+)">', response.get_data(as_text=True)))


# --- countries that do not exist ---------------------------------------------------------------


UNKNOWN_COUNTRIES = [
    "XX",
    "ZZ",
    "123",
    "S",
    "SWE",
    "%00",
    "S%00",
    "%C3%85%C3%85",
    "A" * 3000,
    "..%2F..%2Fetc",
    "se%20",
]


def test_unknown_countries_are_not_found(client):
    answers = {code[:20]: client.get(f"/groups/country/{code}") for code in UNKNOWN_COUNTRIES}
    wrong = {
        code: response.status_code
        for code, response in answers.items()
        if response.status_code != 404 or "Page not found" not in page_text(response)
    }
    assert wrong == {}


def test_a_country_code_in_lower_case_redirects_and_an_unknown_one_is_ignored(app, client, patient):
    response = client.get("/groups/country/se")
    assert response.status_code == 301
    assert response.headers["Location"].endswith("/groups/country/SE")
    assert client.get("/groups/country/SE").status_code == 200

    member = logged_in(app, patient)
    response = member.get("/groups/new?kind=national&country=ZZ")
    assert response.status_code == 200
    page = page_text(response)
    assert 'value="ZZ"' not in page
    assert "CML ZZ" not in page
    assert not re.search(r'<option[^>]*selected[^>]*value="[A-Z]{2}"', page)
    for odd in ("s" * 500, "<script>", "ZZ%20", "%C3%85"):
        assert member.get(f"/groups/new?kind=national&country={odd}").status_code == 200
    for odd in ("%00", "SE%00"):  # a NUL in a query string is refused before any view
        assert member.get(f"/groups/new?kind=national&country={odd}").status_code == 400


# --- searching --------------------------------------------------------------------------------


@pytest.fixture
def searchable(app):
    make_group(app, "alpha-circle", name="Alpha Circle")
    make_group(app, "beta-circle", name="Beta Circle", country_code="NO", kind="local")
    make_group(app, "goteborg", name="Göteborgs vänner", description="Träffas på Järntorget")
    make_group(app, "old-circle", name="Old Circle", status="archived")
    make_group(app, "planned-circle", name="Planned Circle", status="proposed")
    return {"alpha-circle", "beta-circle", "goteborg"}


def test_an_empty_search_lists_the_active_groups(client, searchable):
    for path in ("/groups/", "/groups/?q=", "/groups/?q=+++", "/groups/?q=&kind="):
        response = client.get(path)
        assert response.status_code == 200, path
        assert listed_slugs(response) == searchable, path


def test_a_too_long_search_is_refused_with_a_message(client, searchable):
    response = client.get("/groups/?q=" + "a" * 200)
    assert response.status_code == 422
    page = page_text(response)
    assert "Please correct the search and try again." in page
    assert "Use at most 100 characters." in page
    assert listed_slugs(response) == set()
    # A hundred characters are still a search.
    assert client.get("/groups/?q=" + "a" * 100).status_code == 200


SYNTAX = ["%", "%%", "_", "__", "\\", "\\%", ".*", "(", ")", "[", "[a-z]", "*", "'", '"', "--"]


def test_search_syntax_matches_nothing_least_of_all_everything(client, searchable):
    wrong = {}
    for query in SYNTAX:
        response = client.get("/groups/", query_string={"q": query})
        if response.status_code != 200 or listed_slugs(response):
            wrong[query] = (response.status_code, listed_slugs(response))
    assert wrong == {}


def test_wildcards_inside_words_are_literal(client, searchable):
    """'%' and '_' are characters, not patterns: "al%ha" must not find "Alpha"."""
    wrong = {}
    for query in ("alpha%", "%alpha", "alp_a", "al%ha", "alpha circle%", "b_ta", "%circle"):
        response = client.get("/groups/", query_string={"q": query})
        found = listed_slugs(response)
        allowed = set() if query in ("alp_a", "al%ha", "b_ta") else {"alpha-circle"}
        if query == "%circle":
            allowed = {"alpha-circle", "beta-circle"}
        if response.status_code != 200 or not found <= allowed:
            wrong[query] = (response.status_code, found)
    assert wrong == {}


def test_a_nul_in_the_search_is_refused(client, searchable):
    for path in ("/groups/?q=%00", "/groups/?q=alpha%00", "/groups/?q=%00%00"):
        response = client.get(path)
        assert response.status_code in (400, 422), path
        assert listed_slugs(response) == set(), path


UNICODE_SEARCHES = {
    "GÖTEBORGS": {"goteborg"},
    "goteborgs vanner": {"goteborg"},
    "järntorget": {"goteborg"},
    "JARNTORGET": {"goteborg"},
    "🙂": set(),
    "مرحبا": set(),
    "日本語": set(),
    "\u200b": None,  # a zero-width space: nothing to search for, any list will do
    "alpha\u0301": None,
}


def test_unicode_searches(client, searchable):
    wrong = {}
    for query, expected in UNICODE_SEARCHES.items():
        response = client.get("/groups/", query_string={"q": query})
        found = listed_slugs(response)
        if response.status_code != 200 or (expected is not None and found != expected):
            wrong[query] = (response.status_code, found)
    assert wrong == {}


def test_an_unknown_kind_or_page_is_refused(client, searchable):
    assert client.get("/groups/?kind=secret").status_code == 422
    assert client.get("/groups/?q=alpha&kind=%00").status_code in (400, 422)
    assert client.get("/groups/?page=0").status_code == 404
    assert client.get("/groups/?page=-1").status_code == 404
    assert client.get("/groups/?page=999999999").status_code == 404
    assert client.get("/groups/?page=abc").status_code == 200


# --- near me ------------------------------------------------------------------------------------


UNUSABLE_PLACES = {
    "Qwxzplorth Vexbrundle": "We could not find this place.",
    "95, 200": "The latitude must be between -90 and 90",
    "-91, 10": "The latitude must be between -90 and 90",
    "10, 181": "The latitude must be between -90 and 90",
}


def test_a_place_that_cannot_be_used_is_refused_with_a_message(client):
    for place, message in UNUSABLE_PLACES.items():
        response = client.get("/groups/near", query_string={"place": place})
        assert response.status_code == 422, place
        assert message in page_text(response), place
        assert 'role="alert"' in response.get_data(as_text=True), place


def test_near_without_a_place_explains_and_odd_places_are_refused(client):
    for path in ("/groups/near", "/groups/near?place=", "/groups/near?place=+++"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "Type your city or town to see the groups nearest to it." in page_text(response)
    assert client.get("/groups/near", query_string={"place": "a" * 200}).status_code == 422
    assert client.get("/groups/near?place=Lund%00").status_code in (400, 422)
    assert client.get("/groups/near?place=Lund&kind=secret").status_code == 422


def test_saving_an_odd_place_keeps_nothing(app, patient):
    from cml_earth.profiles.models import Profile

    member = logged_in(app, patient)
    for place in ("Qwxzplorth Vexbrundle", "95, 200", "", "x" * 500, "Lund\x00"):
        response = submit(member, "/groups/near/place", {"place": place}, page="/groups/near")
        assert response.status_code == 302, place
    assert scalar(app, select(Profile.place_name).where(Profile.member_id == patient.id)) is None


# --- proposing a group --------------------------------------------------------------------------


def proposal(**changes) -> dict:
    data = {
        "name": "CML Norge",
        "kind": "national",
        "country_code": "NO",
        "place": "",
        "description": "For everyone with CML in Norway.",
        "languages": ["nb"],
        "visibility": "members",
        "join_policy": "open",
    }
    data.update(changes)
    return data


@pytest.fixture
def proposer(app, patient):
    return logged_in(app, patient)


def test_an_empty_proposal_is_refused_with_errors(app, proposer):
    response = submit(proposer, "/groups/new", {})
    assert response.status_code == 422
    page = page_text(response)
    assert "Please give the group a name." in page
    assert "Please say in a few words what the group is for." in page
    assert "Please choose at least one language." in page
    assert count(app, Group) == 0


BROKEN_PROPOSALS = [
    ({"country_code": ""}, "Please choose the group's country."),
    ({"country_code": "ZZ"}, "Not a valid choice"),
    ({"country_code": "se"}, "Not a valid choice"),
    ({"name": "N" * 101}, "Use 3 to 100 characters."),
    ({"name": "No"}, "Use 3 to 100 characters."),
    ({"name": "   "}, "Please give the group a name."),
    ({"kind": "secret"}, "Not a valid choice"),
    ({"visibility": "everyone"}, "Not a valid choice"),
    ({"join_policy": "invite"}, "Not a valid choice"),
    ({"languages": ["xx"]}, "'xx' is not a valid choice"),
    ({"languages": ["en", "sv", "nb", "da", "fi"]}, "Choose at most 4 languages."),
    ({"description": "d" * 10_001}, "Use at most 10000 characters."),
    ({"place": "p" * 121}, "Use at most 120 characters."),
    (
        {"kind": "local", "name": "CML Nowhere", "place": "Qwxzplorth Vexbrundle"},
        "We could not find this place.",
    ),
    ({"kind": "local", "name": "CML Far", "place": "95, 200"}, "The latitude must be"),
]


def test_a_broken_proposal_is_refused_and_nothing_is_written(app, proposer):
    wrong = []
    for changes, message in BROKEN_PROPOSALS:
        response = submit(proposer, "/groups/new", proposal(**changes), page="/")
        if response.status_code != 422 or message not in page_text(response):
            wrong.append((str(changes)[:60], response.status_code))
    assert wrong == []
    assert count(app, Group) == 0


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"country_code": ""}, "Please choose the group's country."),
        ({"place": ""}, "Please say where the local group is."),
    ],
)
def test_a_local_group_needs_a_country_and_a_place(app, proposer, changes, message):
    data = proposal(**{"kind": "local", "name": "CML Bergen", "place": "Bergen", **changes})
    response = submit(proposer, "/groups/new", data)
    assert response.status_code == 422
    assert message in page_text(response)
    assert count(app, Group) == 0


@pytest.mark.parametrize("first_status", ["active", "proposed"])
def test_a_second_national_group_is_refused_with_a_link_to_the_first(
    app, make_member, proposer, first_status
):
    first_founder = make_member("FirstFounder")
    make_group(
        app,
        "cml-norge",
        name="CML Norge",
        kind="national",
        country_code="NO",
        status=first_status,
        founder=first_founder,
    )
    response = submit(proposer, "/groups/new", proposal(name="Norsk CML-forening"))
    assert response.status_code == 422
    page = page_text(response)
    if first_status == "active":
        assert "This country already has a national group. You can join it." in page
        assert 'href="/groups/cml-norge"' in page
    else:
        # Someone else's proposal is not theirs to see: no name, no link to a page that 404s.
        assert "A national group for this country is already waiting for approval." in page
        assert "A national group for Norway is waiting for approval." in page
        assert "/groups/cml-norge" not in page and "CML Norge" not in page
    assert count(app, Group) == 1


def test_a_refused_or_archived_national_group_frees_its_country(app, make_member, proposer):
    make_group(app, "old-norge", kind="national", country_code="NO", status="archived")
    make_group(app, "no-norge", kind="national", country_code="NO", status="refused")
    response = submit(proposer, "/groups/new", proposal())
    assert response.status_code == 302, page_text(response)[:2000]
    assert count(app, Group) == 3
    # With a national group waiting, a local group in the same country is still welcome.
    data = proposal(kind="local", name="CML Bergen", place="Bergen")
    response = submit(proposer, "/groups/new", data)
    assert response.status_code == 302, page_text(response)[:2000]
    assert count(app, Group) == 4


SCRIPT = "<script>alert(1)</script>"


def test_a_script_in_the_description_is_stored_but_shown_as_text(app, proposer, sponsor):
    description = f"Hello {SCRIPT} and <img src=x onerror=alert(2)> **welcome**."
    response = submit(
        proposer, "/groups/new", proposal(kind="topic", country_code="", description=description)
    )
    assert response.status_code == 302, page_text(response)[:2000]
    slug = response.headers["Location"].rsplit("/", 1)[-1]
    assert scalar(app, select(Group.description).where(Group.slug == slug)) == description
    for client in (proposer, logged_in(app, sponsor)):
        body = client.get(f"/groups/{slug}").get_data(as_text=True)
        assert "<script>alert(1)" not in body
        assert "onerror" not in body or "onerror=alert(2)&gt;" in body
        assert "<strong>welcome</strong>" in body


def test_a_script_saved_by_a_moderator_is_shown_as_text(app, make_member, patient):
    make_group(app, "edited-circle", members=[patient])
    with app.app_context():
        row = db.session.scalar(select(GroupMembership))
        row.role = "moderator"
        db.session.commit()
    client = logged_in(app, patient)
    description = f"Edited {SCRIPT} text."
    data = {
        "description": description,
        "languages": ["en"],
        "visibility": "public",
        "join_policy": "open",
    }
    response = submit(client, "/groups/edited-circle/edit", data)
    assert response.status_code == 302, page_text(response)[:2000]
    assert scalar(app, select(Group.description)) == description
    body = app.test_client().get("/groups/edited-circle").get_data(as_text=True)
    assert "<script>alert(1)" not in body and "Edited" in body

    empty = {**data, "description": "  ", "visibility": "nobody"}
    response = submit(client, "/groups/edited-circle/edit", empty)
    assert response.status_code == 422
    assert "Please say in a few words what the group is for." in page_text(response)
    assert scalar(app, select(Group.visibility)) == "public"


def test_only_verified_members_propose(app, client, make_member, sponsor):
    response = client.get("/groups/new")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    newcomer = logged_in(app, make_member("Unconfirmed", verified=False))
    response = newcomer.get("/groups/new")
    assert response.status_code == 302 and "/auth/login" not in response.headers["Location"]
    token = csrf_token(newcomer.get("/").get_data(as_text=True))
    response = newcomer.post("/groups/new", data={"csrf_token": token, **proposal()})
    assert response.status_code == 302
    staff = logged_in(app, sponsor)
    response = submit(staff, "/groups/new", proposal(), page="/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/groups/proposals")
    assert count(app, Group) == 0


# --- CSRF -------------------------------------------------------------------------------------


def test_group_actions_without_a_csrf_token_are_refused(app, make_member, patient, sponsor):
    joined = make_group(app, "joined-circle", members=[patient])
    open_id = make_group(app, "open-circle")
    proposed = make_group(app, "waiting-circle", status="proposed", founder=make_member())
    member, staff = logged_in(app, patient), logged_in(app, sponsor)

    for token in ({}, {"csrf_token": "forged"}):
        assert member.post("/groups/open-circle/join", data=token).status_code == 400
        assert member.post("/groups/joined-circle/leave", data=token).status_code == 400
        assert staff.post("/groups/waiting-circle/approve", data=token).status_code == 400
        assert staff.post("/groups/open-circle/archive", data=token).status_code == 400
        refusal = {**token, "note": "Not like this."}
        assert staff.post("/groups/waiting-circle/refuse", data=refusal).status_code == 400

    with app.app_context():
        rows = db.session.execute(select(GroupMembership.group_id, GroupMembership.member_id))
        assert sorted(tuple(row) for row in rows) == [(joined, patient.id)]
        assert db.session.get(Group, open_id).member_count == 0
        assert db.session.get(Group, joined).member_count == 1
    assert group_status(app, proposed) == "proposed"
    assert group_status(app, open_id) == "active"
    assert count(app, Notification) == 0


# --- staff doors ------------------------------------------------------------------------------


def test_members_at_staff_doors_are_forbidden(app, make_member, patient):
    founder = make_member("WaitingFounder")
    proposed = make_group(app, "waiting-circle", status="proposed", founder=founder)
    active = make_group(app, "open-circle", members=[patient])
    own = make_group(app, "own-proposal", status="proposed", founder=patient)
    member = logged_in(app, patient)

    assert member.get("/groups/proposals").status_code == 403
    for slug in ("waiting-circle", "open-circle", "own-proposal", "no-such-group"):
        for action, data in (("approve", {}), ("refuse", {"note": "No."}), ("archive", {})):
            response = submit(member, f"/groups/{slug}/{action}", data, page="/")
            assert response.status_code == 403, (slug, action)
    assert group_status(app, proposed) == "proposed"
    assert group_status(app, own) == "proposed"
    assert group_status(app, active) == "active"


def test_visitors_at_staff_doors_are_sent_to_log_in(app, client, make_member):
    proposed = make_group(app, "waiting-circle", status="proposed", founder=make_member())
    response = client.get("/groups/proposals")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]
    for action in ("approve", "refuse", "archive"):
        response = submit(client, f"/groups/waiting-circle/{action}", {}, page="/auth/login")
        assert response.status_code == 302, action
        assert "/auth/login" in response.headers["Location"], action
    for action in ("join", "leave"):
        response = submit(client, f"/groups/waiting-circle/{action}", {}, page="/auth/login")
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert group_status(app, proposed) == "proposed"


def test_staff_decisions_refused_when_they_make_no_sense(app, make_member, sponsor):
    founder = make_member("PatientFounder")
    proposed = make_group(app, "waiting-circle", status="proposed", founder=founder)
    archived = make_group(app, "old-circle", status="archived")
    staff = logged_in(app, sponsor)

    for note in ("", "   ", "n" * 2001):
        response = submit(staff, "/groups/waiting-circle/refuse", {"note": note}, page="/")
        assert response.status_code == 422, note
    assert "Please give the founder a reason." in page_text(
        submit(staff, "/groups/waiting-circle/refuse", {"note": ""}, page="/")
    )
    assert group_status(app, proposed) == "proposed"

    # An archived group is not archived again, nor a proposal archived.
    for slug in ("old-circle", "waiting-circle"):
        response = submit(staff, f"/groups/{slug}/archive", {}, page="/", follow_redirects=True)
        assert "Only an active group can be archived." in page_text(response)
    assert group_status(app, archived) == "archived"

    response = submit(
        staff, "/groups/waiting-circle/refuse", {"note": "Please add a country."}, "/"
    )
    assert response.status_code == 302
    assert group_status(app, proposed) == "refused"
    # Deciding again: a clear word, no change, no second notification.
    response = submit(staff, "/groups/waiting-circle/approve", {}, page="/", follow_redirects=True)
    assert "Another staff member decided on this proposal already." in page_text(response)
    assert group_status(app, proposed) == "refused"
    with app.app_context():
        kinds = db.session.scalars(
            select(Notification.kind).where(Notification.recipient_id == founder.id)
        ).all()
    assert kinds == ["group_refused"]
    assert count(app, GroupMembership) == 0


# --- in Swedish ---------------------------------------------------------------------------------


@pytest.fixture
def swede(app, make_member):
    return logged_in(app, make_member("SvenskMedlem", locale="sv"))


def test_a_swedish_member_gets_the_refusals_in_swedish(app, swede):
    response = swede.get("/groups/country/XX")
    assert response.status_code == 404
    assert "Sidan hittades inte" in page_text(response)

    response = swede.get("/groups/country/SE")
    assert response.status_code == 200
    page = page_text(response)
    notice = re.search(r'<div class="notice">(.*?)</div>', page, re.S)
    assert notice, page
    assert "Sverige" in notice.group(1) and "nationell grupp" in notice.group(1)
    assert "There is no national group" not in page

    response = swede.get("/groups/near", query_string={"place": "Qwxzplorth Vexbrundle"})
    assert response.status_code == 422
    assert "We could not find this place" not in page_text(response)
    assert "Vi kunde inte hitta platsen" in page_text(response)
