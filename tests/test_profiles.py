"""Profile pages, the profile and privacy settings forms, and the member list."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from cml_earth.auth.models import Member
from cml_earth.database import utcnow
from cml_earth.extensions import db
from cml_earth.profiles.models import Profile

from .conftest import submit

NOINDEX = '<meta name="robots" content="noindex, nofollow">'


def profile_row(app, member_id: int) -> dict:
    with app.app_context():
        profile = db.session.get(Profile, member_id)
        return {c.key: getattr(profile, c.key) for c in Profile.__table__.columns}


def set_profile(app, member_id: int, **values) -> None:
    with app.app_context():
        profile = db.session.get(Profile, member_id)
        for name, value in values.items():
            setattr(profile, name, value)
        db.session.commit()


def give_health_consent(app, member_id: int) -> None:
    from cml_earth.auth.models import ConsentPurpose
    from cml_earth.auth.services import give_consent

    with app.test_request_context():
        give_consent(db.session.get(Member, member_id), ConsentPurpose.HEALTH_DATA, "test")
        db.session.commit()


def fetch(app, member_id: int) -> Member:
    with app.app_context():
        member = db.session.scalar(select(Member).where(Member.id == member_id))
        db.session.expunge(member)
        return member


def profile_form(username: str, **values) -> dict:
    return {"username": username, "story": "", "languages": [], **values}


def member_links(html: str) -> list[str]:
    """The handles listed in the member list, in order."""
    return re.findall(r'<a href="/members/([^"]+)" class="member-name">', html)


# --- the profile page -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "badge"),
    [
        ("patient", "Living with CML"),
        ("relative", "Relative or friend"),
        ("sponsor", "Sponsor staff"),
        ("admin", "Administrator"),
    ],
)
def test_profile_shows_handle_and_role_badge(client, auth, make_member, patient, role, badge):
    make_member("BadgeBearer", role=role)
    auth.login(patient)
    response = client.get("/members/BadgeBearer")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<h1>BadgeBearer</h1>" in html
    assert badge in html
    assert NOINDEX in html
    card = client.get("/members/?q=badge").get_data(as_text=True)
    assert badge in card
    if role in ("sponsor", "admin"):
        # Staff always say so, on their page too, and who they work for.
        assert "works for Example Pharma AB" in html


def test_profile_is_found_by_any_spelling_of_the_handle(client, auth, patient, relative):
    auth.login(relative)
    for spelling in ("annapatient", "ANNAPATIENT", "ＡｎｎａＰａｔｉｅｎｔ"):
        response = client.get(f"/members/{spelling}")
        assert response.status_code == 200, spelling
        assert "<h1>AnnaPatient</h1>" in response.get_data(as_text=True)
    assert client.get("/members/AnnaPatient2").status_code == 404


@pytest.mark.parametrize(
    ("locale", "country", "since", "languages", "html_lang"),
    [
        ("sv", "Tyskland", "5 mars 2024", "svenska, tyska", 'lang="sv"'),
        ("en", "Germany", "March 5, 2024", "Swedish, German", 'lang="en"'),
    ],
)
def test_profile_facts_are_in_the_viewers_language(
    app, client, auth, make_member, locale, country, since, languages, html_lang
):
    owner = make_member(
        "HamburgHanna", country_code="DE", created_at=datetime(2024, 3, 5, 12, tzinfo=UTC)
    )
    set_profile(app, owner.id, languages="sv,de")
    viewer = make_member("LocalViewer", locale=locale)
    auth.login(viewer)
    html = client.get("/members/HamburgHanna").get_data(as_text=True)
    assert html_lang in html
    assert f"<dd>{country}</dd>" in html
    assert f"<dd>{since}</dd>" in html
    assert f"<dd>{languages}</dd>" in html
    listing = client.get("/members/?q=hamburg").get_data(as_text=True)
    assert country in listing


def test_owner_sees_edit_links_and_others_do_not(client, auth, patient, relative):
    auth.login(patient)
    own = client.get("/members/AnnaPatient").get_data(as_text=True)
    assert "Edit my profile" in own and 'href="/settings/privacy"' in own
    other = client.get("/members/ErikRelative").get_data(as_text=True)
    assert "Edit my profile" not in other and 'href="/settings/privacy"' not in other


def test_story_is_rendered_as_markdown(app, client, auth, patient, relative):
    set_profile(app, patient.id, story="Diagnosed **2019**.\n\n- imatinib\n- then dasatinib")
    auth.login(relative)
    html = client.get("/members/AnnaPatient").get_data(as_text=True)
    assert "<strong>2019</strong>" in html
    assert "<li>then dasatinib</li>" in html


# --- editing the profile --------------------------------------------------------------------


def test_new_handle_moves_the_profile(app, client, auth, patient, relative):
    auth.login(patient)
    response = submit(client, "/settings/profile", profile_form("AnnaOnTheRoad", story="Hej"))
    assert response.status_code == 302
    assert response.location == "/members/AnnaOnTheRoad"
    assert client.get("/members/AnnaOnTheRoad").status_code == 200
    assert client.get("/members/AnnaPatient").status_code == 404
    member = fetch(app, patient.id)
    assert (member.username, member.username_key) == ("AnnaOnTheRoad", "annaontheroad")
    assert profile_row(app, patient.id)["story"] == "Hej"
    assert fetch(app, relative.id).username == "ErikRelative"
    # The new handle is the login from now on.
    auth.logout()
    assert auth.login("AnnaOnTheRoad").status_code == 302
    assert "AnnaOnTheRoad" in client.get("/").get_data(as_text=True)


def test_own_handle_in_another_case_is_allowed(app, client, auth, patient):
    auth.login(patient)
    response = submit(client, "/settings/profile", profile_form("annapatient"))
    assert response.status_code == 302
    assert fetch(app, patient.id).username == "annapatient"


@pytest.mark.parametrize(
    "handle",
    ["annapatient", "ANNAPATIENT", "ＡｎｎａＰａｔｉｅｎｔ", "Ａnnapatient"],
    ids=["lower", "upper", "full-width", "mixed-width"],
)
def test_handle_of_someone_else_is_refused(app, client, auth, patient, relative, handle):
    auth.login(relative)
    response = submit(client, "/settings/profile", profile_form(handle, story="Changed?"))
    assert response.status_code == 422
    assert "This username is taken" in response.get_data(as_text=True)
    assert fetch(app, relative.id).username == "ErikRelative"
    assert fetch(app, patient.id).username == "AnnaPatient"
    assert profile_row(app, relative.id)["story"] is None


@pytest.mark.parametrize(
    "values",
    [
        {"username": ""},
        {"username": "ab"},
        {"username": "x" * 31},
        {"username": "Anna Patient"},
        {"username": "<script>"},
        {"story": "Hello\x00world"},
        {"story": "x" * 20_001},
        {"languages": ["sv", "en", "de", "fr", "es", "fi", "no"]},
        {"languages": ["sv", "zz"]},
        {"languages": ["klingon"]},
    ],
    ids=[
        "empty-handle",
        "short-handle",
        "long-handle",
        "space-in-handle",
        "markup-handle",
        "nul-in-story",
        "story-too-long",
        "seven-languages",
        "unknown-language",
        "not-a-language-code",
    ],
)
def test_invalid_profile_is_refused(app, client, auth, patient, values):
    set_profile(app, patient.id, story="Before", languages="sv")
    before = profile_row(app, patient.id)
    auth.login(patient)
    response = submit(client, "/settings/profile", {**profile_form("AnnaPatient"), **values})
    assert response.status_code == 422
    assert profile_row(app, patient.id) == before
    assert fetch(app, patient.id).username == "AnnaPatient"


def test_story_at_the_limit_and_six_languages_are_accepted(app, client, auth, patient):
    auth.login(patient)
    languages = ["sv", "en", "de", "fr", "es", "fi"]
    response = submit(
        client,
        "/settings/profile",
        profile_form("AnnaPatient", story="x" * 20_000, languages=languages),
    )
    assert response.status_code == 302
    saved = profile_row(app, patient.id)
    assert len(saved["story"]) == 20_000
    assert saved["languages"] == ",".join(languages)


def test_health_fields_need_consent(app, client, auth, patient):
    auth.login(patient)
    form = client.get("/settings/profile").get_data(as_text=True)
    for name in ("diagnosis_year", "diagnosis_phase", "treatment"):
        assert f'name="{name}"' not in form
    response = submit(
        client,
        "/settings/profile",
        profile_form(
            "AnnaPatient", diagnosis_year="2013", diagnosis_phase="chronic", treatment="bosutinib"
        ),
    )
    assert response.status_code == 302  # the rest of the form saves; health parts are ignored
    saved = profile_row(app, patient.id)
    assert (saved["diagnosis_year"], saved["diagnosis_phase"], saved["treatment"]) == (
        None,
        None,
        None,
    )


def test_health_fields_save_with_consent(app, client, auth, patient, relative):
    give_health_consent(app, patient.id)
    auth.login(patient)
    form = client.get("/settings/profile").get_data(as_text=True)
    assert 'name="diagnosis_year"' in form
    response = submit(
        client,
        "/settings/profile",
        profile_form(
            "AnnaPatient", diagnosis_year="2013", diagnosis_phase="chronic", treatment="bosutinib"
        ),
    )
    assert response.status_code == 302
    saved = profile_row(app, patient.id)
    assert (saved["diagnosis_year"], saved["diagnosis_phase"], saved["treatment"]) == (
        2013,
        "chronic",
        "bosutinib",
    )
    # Emptied again ("I would rather not say").
    response = submit(
        client,
        "/settings/profile",
        profile_form("AnnaPatient", diagnosis_year="", diagnosis_phase="", treatment=""),
    )
    assert response.status_code == 302
    saved = profile_row(app, patient.id)
    assert (saved["diagnosis_year"], saved["diagnosis_phase"], saved["treatment"]) == (
        None,
        None,
        None,
    )


@pytest.mark.parametrize(
    "values",
    [
        {"diagnosis_year": str(utcnow().year + 1)},
        {"diagnosis_year": "1959"},
        {"diagnosis_year": "twenty"},
        {"diagnosis_year": "-2013"},
        {"treatment": "aspirin"},
        {"treatment": "Bosulif"},
        {"diagnosis_phase": "blast-crisis"},
    ],
    ids=[
        "future-year",
        "before-1960",
        "not-a-year",
        "negative-year",
        "unknown-treatment",
        "brand-not-code",
        "unknown-phase",
    ],
)
def test_invalid_health_details_are_refused(app, client, auth, patient, values):
    give_health_consent(app, patient.id)
    auth.login(patient)
    response = submit(
        client,
        "/settings/profile",
        profile_form(
            "AnnaPatient",
            **{
                "diagnosis_year": "2013",
                "diagnosis_phase": "chronic",
                "treatment": "imatinib",
                **values,
            },
        ),
    )
    assert response.status_code == 422
    saved = profile_row(app, patient.id)
    assert (saved["diagnosis_year"], saved["diagnosis_phase"], saved["treatment"]) == (
        None,
        None,
        None,
    )


def test_this_and_the_earliest_year_are_accepted(app, client, auth, patient):
    give_health_consent(app, patient.id)
    auth.login(patient)
    for year in (1960, utcnow().year):
        response = submit(
            client, "/settings/profile", profile_form("AnnaPatient", diagnosis_year=str(year))
        )
        assert response.status_code == 302
        assert profile_row(app, patient.id)["diagnosis_year"] == year


def test_profile_settings_need_login(client):
    response = client.get("/settings/profile")
    assert response.status_code == 302
    assert response.location.startswith("/auth/login")


# --- privacy --------------------------------------------------------------------------------

LEVEL_FIELDS = (
    "profile_visibility",
    "story_visibility",
    "country_visibility",
    "health_visibility",
    "avatar_visibility",
)


def test_privacy_defaults_to_members_and_saves(app, client, auth, patient):
    saved = profile_row(app, patient.id)
    assert {saved[name] for name in LEVEL_FIELDS} == {"members"}  # privacy by default
    auth.login(patient)
    choices = dict(
        zip(LEVEL_FIELDS, ("public", "private", "groups", "members", "private"), strict=True)
    )
    response = submit(client, "/settings/privacy", choices)
    assert response.status_code == 302
    assert response.location == "/settings/privacy"
    saved = profile_row(app, patient.id)
    assert {name: saved[name] for name in LEVEL_FIELDS} == choices
    page = client.get("/settings/privacy").get_data(as_text=True)
    assert re.search(r'checked[^>]*value="private"|value="private"[^>]*checked', page)


@pytest.mark.parametrize(
    "values",
    [
        {"story_visibility": "friends"},
        {"profile_visibility": "PUBLIC"},
        {"health_visibility": ""},
    ],
    ids=["unknown-level", "wrong-case", "empty"],
)
def test_unknown_privacy_level_is_refused(app, client, auth, patient, values):
    auth.login(patient)
    data = {name: "public" for name in LEVEL_FIELDS}
    data.update(values)
    response = submit(client, "/settings/privacy", data)
    assert response.status_code == 422
    saved = profile_row(app, patient.id)
    assert {saved[name] for name in LEVEL_FIELDS} == {"members"}


def test_privacy_field_left_out_keeps_its_level(app, client, auth, patient):
    """A form without one of the choices never widens it: the saved level stays."""
    auth.login(patient)
    data = {name: "public" for name in LEVEL_FIELDS if name != "health_visibility"}
    assert submit(client, "/settings/privacy", data).status_code == 302
    saved = profile_row(app, patient.id)
    assert saved["health_visibility"] == "members"
    assert saved["story_visibility"] == "public"


# --- the member list ------------------------------------------------------------------------


def test_member_list_search_is_by_prefix_in_any_case(client, auth, make_member, patient):
    for name in ("Annika", "annabelle", "JoAnna", "Bertil"):
        make_member(name)
    auth.login(patient)
    html = client.get("/members/").get_data(as_text=True)
    assert NOINDEX in html
    assert member_links(html) == ["annabelle", "AnnaPatient", "Annika", "Bertil", "JoAnna"]
    for query in ("ann", "ANN", "Ann", " ann "):
        html = client.get(f"/members/?q={query}").get_data(as_text=True)
        assert member_links(html) == ["annabelle", "AnnaPatient", "Annika"], query
    assert member_links(client.get("/members/?q=annap").get_data(as_text=True)) == ["AnnaPatient"]
    assert member_links(client.get("/members/?q=ＡＮＮＡＰ").get_data(as_text=True)) == [
        "AnnaPatient"
    ]
    # LIKE's wildcards are plain characters here.
    for query in ("%", "_nna", "a%", "%25"):
        assert member_links(client.get(f"/members/?q={query}").get_data(as_text=True)) == []
    html = client.get("/members/?q=zebra").get_data(as_text=True)
    assert "No member matches" in html and "zebra" in html


def test_member_list_pages_by_thirty(client, auth, make_member, patient):
    for number in range(30):
        make_member(f"neighbour{number:02d}")
    auth.login(patient)
    first = client.get("/members/").get_data(as_text=True)
    assert len(member_links(first)) == 30
    assert "31 members" in first
    assert "Page 1 of 2" in first
    assert 'rel="next"' in first and 'rel="prev"' not in first
    second = client.get("/members/?page=2").get_data(as_text=True)
    assert member_links(second) == ["neighbour29"]
    assert "Page 2 of 2" in second
    assert 'rel="prev"' in second and 'rel="next"' not in second
    # Pages past the end are empty rather than errors; nonsense pages are the first.
    assert client.get("/members/?page=3").status_code == 200
    assert member_links(client.get("/members/?page=abc").get_data(as_text=True)) == (
        member_links(first)
    )
    # A search keeps its words from page to page.
    make_member("neighbour30")
    searched = client.get("/members/?q=neighbour").get_data(as_text=True)
    assert "31 members" in searched
    assert 'href="/members/?q=neighbour&amp;page=2"' in searched


def test_member_list_query_count_does_not_grow(app, client, auth, make_member, patient, queries):
    def member(number: int, role: str):
        info = make_member(f"budget{number:02d}", role=role, country_code="FI")
        if number % 3 == 0:
            give_health_consent(app, info.id)
        if number % 4 == 0:
            set_profile(app, info.id, country_visibility="public", profile_visibility="public")

    roles = ("patient", "relative", "sponsor", "admin")
    auth.login(patient)
    counts = []
    for numbers in (range(4), range(4, 39)):  # with the viewer: 5 members, then 40
        for number in numbers:
            member(number, roles[number % 4])
        queries.clear()
        response = client.get("/members/")
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], queries.statements
    # The session, the count for the pager, the page of members with their profiles, the
    # viewer's blocks and mutes (one query for the page's permission checks) and the viewer's
    # unread notifications (header).
    assert counts[0] == 5, queries.statements


def test_profile_page_query_count(app, client, auth, patient, relative, queries):
    give_health_consent(app, patient.id)
    set_profile(app, patient.id, story="Hello", diagnosis_year=2013, languages="sv,en")
    auth.login(relative)
    queries.clear()
    response = client.get("/members/AnnaPatient")
    assert response.status_code == 200
    assert "Year of diagnosis" in response.get_data(as_text=True)
    # The session, the member with their profile, the viewer's blocks and mutes, the
    # member's consents (for health details), their newest stories, the viewer's unread
    # notifications (header), and what the viewer sent them and whether they follow (one query).
    assert len(queries) == 7, queries.statements
