"""Country groups, the acceptance of issue 5: Sweden found in any spelling, the Swedish group
founded, approved and joined, groups near a place in the right order, and the map."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from cml_earth.extensions import db
from cml_earth.groups.models import Group, GroupMembership
from cml_earth.notifications.models import Notification
from tests.conftest import submit

SWEDEN_SPELLINGS = ["Sverige", "sweden", "SWE", "Suède", "sver"]
NO_GROUP_EN = "There is no national group for Sweden yet."
NO_GROUP_SV = "Det finns ingen nationell grupp för Sverige ännu."
START_LINK = "/groups/new?kind=national&amp;country=SE"


def add_group(app, **fields) -> int:
    """An active group, created straight in the database; returns its id."""
    from cml_earth.groups.countries import normalize

    values = {
        "kind": "national",
        "status": "active",
        "visibility": "members",
        "join_policy": "open",
        "languages": "en",
        "description": "A group.",
        **fields,
    }
    values.setdefault("slug", re.sub(r"[^a-z0-9]+", "-", values["name"].lower()).strip("-"))
    values["search_text"] = normalize(f"{values['name']} {values['description']}")
    with app.app_context():
        group = Group(**values)
        db.session.add(group)
        db.session.commit()
        return group.id


def group_names(html: str) -> list[str]:
    return re.findall(r'<h3><a href="/groups/[^"]+">([^<]+)</a></h3>', html)


# --- finding Sweden in any language ---------------------------------------------------------


@pytest.mark.parametrize("query", SWEDEN_SPELLINGS)
def test_every_spelling_of_sweden_says_no_group_yet_and_offers_to_start_it(client, query):
    page = client.get("/groups/", query_string={"q": query})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Groups in Sweden" in html
    assert NO_GROUP_EN in html
    assert START_LINK in html


@pytest.mark.parametrize("query", SWEDEN_SPELLINGS)
def test_every_spelling_of_sweden_finds_its_groups(app, client, query):
    add_group(app, name="CML Sverige", country_code="SE", languages="sv")
    add_group(app, name="Göteborgs CML-träff", kind="local", country_code="SE")
    add_group(app, name="CML Norge", country_code="NO")  # another country: never listed
    html = client.get("/groups/", query_string={"q": query}).get_data(as_text=True)
    assert group_names(html) == ["CML Sverige", "Göteborgs CML-träff"]  # national first
    assert NO_GROUP_EN not in html


def test_a_swedish_viewer_reads_sverige(app, client, auth, make_member):
    auth.login(make_member("Astrid", locale="sv"))
    for query in ("Sweden", "Schweden", "SE"):
        html = client.get("/groups/", query_string={"q": query}).get_data(as_text=True)
        assert "Grupper i Sverige" in html
        assert NO_GROUP_SV in html
        # Every name the page gives is Swedish ("Sweden" itself is only in the typed query and
        # in the search box's hint, which quotes spellings members may use).
        assert "i Sweden" not in html and "för Sweden" not in html


def test_free_text_finds_names_and_descriptions_without_case_or_accents(app, client):
    add_group(
        app,
        name="Behandlingsfri remission",
        kind="topic",
        country_code=None,
        description="För oss som har **slutat** med tabletterna.",
    )
    add_group(app, name="Newly diagnosed", kind="topic", country_code=None)
    for query, expected in [
        ("BEHANDLINGSFRI", ["Behandlingsfri remission"]),
        ("for oss", ["Behandlingsfri remission"]),  # "För", without its accent
        ("newly", ["Newly diagnosed"]),
        ("%", []),
        ("_", []),
    ]:
        html = client.get("/groups/", query_string={"q": query}).get_data(as_text=True)
        assert group_names(html) == expected, query


# --- the whole path: search, propose, approve, join ---------------------------------------


def test_a_swedish_member_founds_cml_sverige_and_another_joins(
    app, client, auth, make_member, sponsor
):
    founder = make_member("Karin", locale="sv")
    joiner = make_member("Lars", locale="sv")

    # Karin looks for a Swedish group, in Swedish: there is none, and the page offers to start it.
    auth.login(founder)
    html = client.get("/groups/?q=Sverige").get_data(as_text=True)
    assert NO_GROUP_SV in html and START_LINK in html
    form = client.get("/groups/new?kind=national&country=SE").get_data(as_text=True)
    assert 'value="CML Sverige"' in form  # the guided path fills in the name
    response = submit(
        client,
        "/groups/new",
        {
            "name": "CML Sverige",
            "kind": "national",
            "country_code": "SE",
            "place": "Stockholm",
            "description": "För alla i Sverige som lever med KML, och för deras närstående.",
            "languages": ["sv"],
            "visibility": "members",
            "join_policy": "open",
        },
    )
    assert response.status_code == 302
    assert response.location == "/groups/cml-sverige"
    # Until staff approve it, nobody else finds or opens it.
    auth.logout()
    auth.login(joiner)
    assert client.get("/groups/cml-sverige").status_code == 404
    assert NO_GROUP_SV not in client.get("/groups/?q=Sverige").get_data(as_text=True)
    assert "CML Sverige" not in client.get("/groups/?q=Sverige").get_data(as_text=True)
    auth.logout()

    # Sponsor staff see the proposal and approve it.
    auth.login(sponsor)
    proposals = client.get("/groups/proposals").get_data(as_text=True)
    assert "CML Sverige" in proposals and "Karin" in proposals
    response = submit(client, "/groups/cml-sverige/approve", {}, page="/groups/proposals")
    assert response.status_code == 302
    assert "No proposals are waiting." in client.get("/groups/proposals").get_data(as_text=True)
    auth.logout()

    with app.app_context():
        group = db.session.scalar(select(Group).where(Group.slug == "cml-sverige"))
        assert (group.status, group.member_count, group.country_code) == ("active", 1, "SE")
        assert (group.latitude, group.longitude) == pytest.approx((59.33, 18.07), abs=0.05)
        founder_row = db.session.scalar(
            select(GroupMembership).where(GroupMembership.member_id == founder.id)
        )
        assert (founder_row.role, founder_row.status) == ("moderator", "active")
        note = db.session.scalar(
            select(Notification).where(Notification.recipient_id == founder.id)
        )
        assert note.kind == "group_approved" and note.group_id == group.id

    # Karin reads the news in Swedish.
    auth.login(founder)
    notes = client.get("/notifications").get_data(as_text=True)
    assert "Din grupp ”CML Sverige” är godkänd" in notes
    auth.logout()

    # Lars finds the group, in Swedish, and joins it.
    auth.login(joiner)
    html = client.get("/groups/?q=sverige").get_data(as_text=True)
    assert group_names(html) == ["CML Sverige"]
    assert NO_GROUP_SV not in html
    assert "1 medlem" in html
    response = submit(client, "/groups/cml-sverige/join", {}, page="/groups/cml-sverige")
    assert response.status_code == 302
    page = client.get("/groups/cml-sverige").get_data(as_text=True)
    assert "Du är medlem i den här gruppen." in page
    assert "2 medlemmar" in page
    with app.app_context():
        assert db.session.scalar(select(Group.member_count).where(Group.slug == "cml-sverige")) == 2
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(GroupMembership)
                .where(GroupMembership.status == "active")
            )
            == 2
        )


def test_a_second_national_group_is_refused_with_a_link_to_the_first(app, client, auth, patient):
    add_group(app, name="CML Norge", slug="cml-norge", country_code="NO")
    auth.login(patient)
    response = submit(
        client,
        "/groups/new",
        {
            "name": "Norsk KML-forening",
            "kind": "national",
            "country_code": "NO",
            "description": "Enda en.",
            "languages": ["nb"],
            "visibility": "members",
            "join_policy": "open",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Norway already has a national group" in html
    assert 'href="/groups/cml-norge"' in html
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Group)) == 1


# --- near me --------------------------------------------------------------------------------

CITIES = {
    "Stockholm": (59.3293, 18.0686),
    "Gothenburg": (57.7089, 11.9746),
    "Oslo": (59.9139, 10.7522),
    "Berlin": (52.5200, 13.4050),
}


@pytest.fixture
def city_groups(app):
    for city, (latitude, longitude) in CITIES.items():
        add_group(
            app,
            name=f"CML {city}",
            kind="local",
            country_code={"Stockholm": "SE", "Gothenburg": "SE", "Oslo": "NO"}.get(city, "DE"),
            place_name=city,
            latitude=latitude,
            longitude=longitude,
        )


@pytest.mark.parametrize(
    ("place", "expected"),
    [
        ("Stockholm", ["Stockholm", "Gothenburg", "Oslo", "Berlin"]),
        ("Oslo", ["Oslo", "Gothenburg", "Stockholm", "Berlin"]),
        ("Göteborg", ["Gothenburg", "Oslo", "Stockholm", "Berlin"]),
        ("Berlin", ["Berlin", "Gothenburg", "Stockholm", "Oslo"]),
        ("Malmö, Sverige", ["Gothenburg", "Berlin", "Oslo", "Stockholm"]),
        ("55.6, 13.0", ["Gothenburg", "Berlin", "Oslo", "Stockholm"]),  # Malmö's coordinates
    ],
)
def test_groups_near_a_place_come_nearest_first(client, city_groups, place, expected):
    html = client.get("/groups/near", query_string={"place": place}).get_data(as_text=True)
    assert group_names(html) == [f"CML {city}" for city in expected]


def test_distances_are_shown_in_the_viewers_language(client, auth, make_member, city_groups):
    html = client.get("/groups/near?place=Stockholm").get_data(as_text=True)
    # Stockholm–Oslo is about 417 km, Stockholm–Berlin about 810 km (geodesic).
    assert re.search(r"CML Oslo</a></h3>\s*<p class=\"meta\">.*?41[5-9] km away", html, re.S)
    auth.login(make_member("Sven", locale="sv"))
    html = client.get("/groups/near?place=Stockholm").get_data(as_text=True)
    assert re.search(r"8[01]\d km bort", html)


def test_a_member_saves_a_place_and_the_page_opens_with_it(app, client, auth, patient, city_groups):
    auth.login(patient)
    assert "Nearest to" not in client.get("/groups/near").get_data(as_text=True)
    response = submit(
        client, "/groups/near/place", {"place": "Oslo"}, page="/groups/near?place=Oslo"
    )
    assert response.status_code == 302
    html = client.get("/groups/near").get_data(as_text=True)
    assert group_names(html)[0] == "CML Oslo"
    assert "Your saved place: Oslo" in html
    response = submit(client, "/groups/near/place", {"forget": "1"}, page="/groups/near")
    assert "Your saved place" not in client.get("/groups/near").get_data(as_text=True)


def test_an_unavailable_geocoding_service_falls_back_to_the_built_in_cities(
    app, client, city_groups
):
    # A geopy geocoder at a closed loopback port: it fails at once, never touching the internet.
    app.config.update(
        GEOCODER="nominatim", GEOCODER_OPTIONS={"domain": "127.0.0.1:9", "scheme": "http"}
    )
    response = client.get("/groups/near?place=Oslo")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "built-in list of cities" in html
    assert group_names(html)[0] == "CML Oslo"


# --- browsing: countries and the map --------------------------------------------------------


def test_countries_are_listed_with_counts_in_the_viewers_collation(app, client, auth, make_member):
    for code in ("AT", "ZW", "AX", "SE"):
        make_member(f"from{code}", country_code=code)
    add_group(app, name="CML Österreich", country_code="AT")
    viewer = make_member("Ingrid", locale="sv", country_code="SE")
    auth.login(viewer)
    html = client.get("/groups/countries").get_data(as_text=True)
    names = re.findall(r'<th scope="row"><a href="/groups/country/[A-Z]{2}">([^<]+)</a>', html)
    assert names == ["Sverige", "Zimbabwe", "Åland", "Österrike"]
    row = re.search(r"Österrike</a></th><td>(\d+)</td><td>(\d+)</td>", html)
    assert row.groups() == ("1", "1")
    auth.logout()
    html = client.get("/groups/countries", headers={"Accept-Language": "en"}).get_data(as_text=True)
    names = re.findall(r'<th scope="row"><a href="/groups/country/[A-Z]{2}">([^<]+)</a>', html)
    assert names == ["Åland Islands", "Austria", "Sweden", "Zimbabwe"]


def test_members_who_hide_their_country_are_not_counted(app, client, make_member):
    make_member("Open", country_code="NO")
    hidden = make_member("Hidden", country_code="NO")
    with app.app_context():
        from cml_earth.auth.models import Member

        db.session.get(Member, hidden.id).profile.country_visibility = "private"
        db.session.commit()
    html = client.get("/groups/countries").get_data(as_text=True)
    assert re.search(r"Norway</a></th><td>1</td><td>0</td>", html)


def test_the_world_map_shades_countries_and_has_a_table(app, client, make_member):
    make_member("Nora", country_code="NO")
    add_group(app, name="CML Norge", country_code="NO")
    html = client.get("/groups/map").get_data(as_text=True)
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in html
    norway = re.search(
        r'<a href="/groups/country/NO" tabindex="-1"><g class="country shade-(\d)"', html
    )
    assert norway and norway.group(1) != "0"
    assert "<title>Norway: 1 member, 1 group</title>" in html
    assert '<g class="country shade-0" data-code="SE"><title>Sweden</title>' in html  # not linked
    assert re.search(r"Norway</a></th>\s*<td[^>]*>1</td>\s*<td[^>]*>1</td>", html)


def test_the_small_map_is_a_picture_that_costs_one_query(app, client, make_member, queries):
    def cost() -> int:
        queries.clear()
        response = client.get("/groups/map.svg")
        assert response.status_code == 200
        assert response.mimetype == "image/svg+xml"
        assert "<script" not in response.get_data(as_text=True)
        return len(queries)

    make_member("Nils", country_code="NO")
    few = cost()
    for number in range(30):
        make_member(f"m{number}", country_code=("NO", "DE", "FI")[number % 3])
    add_group(app, name="CML Suomi", country_code="FI")
    assert cost() == few == 1
    home = client.get("/").get_data(as_text=True)
    assert '<img class="world-map world-map-small" src="/groups/map.svg"' in home


def test_a_country_page_lists_its_groups_or_offers_the_national_one(app, client):
    add_group(app, name="Berlin CML", kind="local", country_code="DE")
    html = client.get("/groups/country/DE").get_data(as_text=True)
    assert group_names(html) == ["Berlin CML"]
    assert "There is no national group for Germany yet." in html
    assert "/groups/new?kind=national&amp;country=DE" in html
    assert client.get("/groups/country/de").location == "/groups/country/DE"
    assert client.get("/groups/country/XX").status_code == 404
