"""Locale choice, country names and collation, dates, numbers and time zones through Babel."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from babel.core import get_global
from flask import render_template_string
from flask_babel import format_datetime, format_decimal, get_locale, get_timezone
from flask_login import login_user
from sqlalchemy import select, update

from cml_earth.auth.models import Member
from cml_earth.extensions import db
from cml_earth.i18n import country_name, default_timezone_for, select_timezone

from .conftest import fetch_member, scalar, submit

LANG_RE = re.compile(r'<html lang="([^"]+)"')

REGISTRATION = {
    "username": "NewYorker",
    "email": "new.yorker@example.org",
    "password": "sunlight over the hudson",
    "password_confirm": "sunlight over the hudson",
    "role": "relative",
    "country_code": "US",
    "locale": "en",
    "age_confirmed": "y",
    "accept_guidelines": "y",
}


def page_lang(response) -> str:
    match = LANG_RE.search(response.get_data(as_text=True))
    assert match, "no <html lang> in the page"
    return match.group(1)


class Options(HTMLParser):
    """The (value, text) options of one <select>, in page order."""

    def __init__(self, html: str, name: str):
        super().__init__(convert_charrefs=True)
        self.name, self.options = name, []
        self._in_select = self._in_option = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "select" and attrs.get("name") == self.name:
            self._in_select = True
        elif tag == "option" and self._in_select:
            self._in_option = True
            self.options.append([attrs.get("value"), ""])

    def handle_endtag(self, tag):
        if tag == "select":
            self._in_select = False
        elif tag == "option":
            self._in_option = False

    def handle_data(self, data):
        if self._in_option:
            self.options[-1][1] += data


def countries(client, language: str) -> list[tuple[str, str]]:
    response = client.get("/auth/register", headers={"Accept-Language": language})
    assert response.status_code == 200
    options = Options(response.get_data(as_text=True), "country_code").options
    assert options and options[0][0] == "", "the list starts with a 'choose' option"
    return [(code, name.strip()) for code, name in options[1:]]


# --- choosing the locale --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("sv", "sv"),
        ("sv-SE,sv;q=0.9,en;q=0.5", "sv"),
        ("de", "en"),
        ("de, sv;q=0.2", "sv"),
        ("", "en"),
    ],
)
def test_accept_language_picks_a_shipped_locale(client, accept, expected):
    headers = {"Accept-Language": accept} if accept else {}
    assert page_lang(client.get("/", headers=headers)) == expected


def test_switcher_sets_a_cookie_for_visitors(client):
    response = submit(client, "/language", {"locale": "sv", "next": "/about/privacy"}, page="/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/about/privacy"
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("lang="))
    assert cookie.startswith("lang=sv;")
    # The cookie beats the browser's Accept-Language.
    assert page_lang(client.get("/", headers={"Accept-Language": "en"})) == "sv"


def test_switcher_refuses_other_redirect_targets(client):
    response = submit(client, "/language", {"locale": "sv", "next": "//evil.example"}, page="/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("locale", ["de", "", "sv'><script>", "SV"])
def test_switcher_refuses_locales_we_do_not_ship(client, locale):
    response = submit(client, "/language", {"locale": locale}, page="/")
    assert response.status_code == 400
    assert not any(c.startswith("lang=") for c in response.headers.getlist("Set-Cookie"))
    assert page_lang(client.get("/")) == "en"


def test_an_unknown_cookie_value_is_ignored(client):
    client.set_cookie("lang", "xx")
    assert page_lang(client.get("/", headers={"Accept-Language": "sv"})) == "sv"
    client.set_cookie("lang", "de")
    assert page_lang(client.get("/")) == "en"


def test_member_setting_beats_cookie_and_browser(client, auth, patient):
    assert auth.login(patient).status_code == 302  # patient.locale is "en"
    client.set_cookie("lang", "sv")
    assert page_lang(client.get("/", headers={"Accept-Language": "sv"})) == "en"


def test_switcher_saves_a_members_setting(app, client, auth, patient):
    assert auth.login(patient).status_code == 302
    assert fetch_member(app, patient.id)["locale"] == "en"
    response = submit(client, "/language", {"locale": "sv"}, page="/")
    assert response.status_code == 302
    assert fetch_member(app, patient.id)["locale"] == "sv"
    client.delete_cookie("lang")
    assert page_lang(client.get("/", headers={"Accept-Language": "en"})) == "sv"


# --- countries ------------------------------------------------------------------------------


def test_country_list_in_swedish_follows_swedish_collation(client):
    options = countries(client, "sv")
    names = [name for _, name in options]
    by_code = dict(options)
    assert by_code["SE"] == "Sverige"
    assert by_code["AT"] == "Österrike"
    assert by_code["AX"] == "Åland"
    # Swedish sorts å, ä, ö as letters after z.
    last_z = max(i for i, name in enumerate(names) if name.startswith("Z"))
    for index, name in enumerate(names):
        if name[0] in "ÅÄÖ":
            assert index > last_z, f"{name} should come after every Z"
    assert names.index("Zimbabwe") < names.index("Åland") < names.index("Österrike")
    assert names[-1].startswith("Ö")
    assert names.index("Danmark") < names.index("Sverige")


def test_country_list_in_english(client):
    options = countries(client, "en")
    names = [name for _, name in options]
    by_code = dict(options)
    assert by_code["SE"] == "Sweden"
    assert by_code["AT"] == "Austria"
    # English readers look for Å under A.
    assert names.index("Afghanistan") < names.index("Åland Islands") < names.index("Albania")
    assert names[-1] == "Zimbabwe"


@pytest.mark.parametrize("language", ["en", "sv"])
def test_country_list_is_exactly_iso_3166_1(client, language):
    options = countries(client, language)
    codes = [code for code, _ in options]
    assert len(codes) == len(set(codes)) == 249
    assert all(re.fullmatch(r"[A-Z]{2}", code) for code in codes)
    assert not {"EU", "EZ", "UN", "QO", "ZZ", "XK", "XA", "001", "150", "419"} & set(codes)
    assert {"SE", "US", "GB", "AX", "BQ", "SS", "CW", "AQ", "TW", "PS"} <= set(codes)
    for code, name in options:
        assert name and name != code, f"{code} has no name"


def test_country_name_helper():
    assert country_name("SE", "sv") == "Sverige"
    assert country_name("se", "en") == "Sweden"
    assert country_name("DE", "sv") == "Tyskland"
    assert country_name(None, "sv") == ""


# --- dates, numbers and time zones ----------------------------------------------------------


def set_member_fields(app, member_id, **values):
    with app.app_context():
        db.session.execute(update(Member).where(Member.id == member_id).values(**values))
        db.session.commit()


@pytest.mark.parametrize(
    ("timezone", "winter", "summer"),
    [
        ("Europe/Stockholm", "13:00", "14:00"),
        ("America/New_York", "07:00", "08:00"),
        ("Asia/Kolkata", "17:30", "17:30"),
    ],
)
def test_times_are_shown_in_the_members_time_zone(app, patient, timezone, winter, summer):
    set_member_fields(app, patient.id, timezone=timezone)
    january = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
    july = datetime(2026, 7, 15, 12, 0, tzinfo=UTC)
    with app.test_request_context("/"):
        member = db.session.get(Member, patient.id)
        login_user(member)
        assert select_timezone() == timezone
        assert str(get_timezone()) == timezone
        assert format_datetime(january, "HH:mm") == winter
        assert format_datetime(july, "HH:mm") == summer
        rendered = render_template_string("{{ moment|datetimeformat('HH:mm') }}", moment=july)
        assert rendered == summer


def test_visitors_see_the_site_time_zone(app):
    with app.test_request_context("/"):
        assert select_timezone() == app.config["BABEL_DEFAULT_TIMEZONE"] == "Europe/Stockholm"
        assert format_datetime(datetime(2026, 1, 15, 12, 0, tzinfo=UTC), "HH:mm") == "13:00"


@pytest.mark.parametrize(
    ("locale", "number", "date"),
    [("sv", "1\xa0234,5", "15 jan. 2026"), ("en", "1,234.5", "Jan 15, 2026")],
)
def test_numbers_and_dates_follow_the_members_language(app, patient, locale, number, date):
    set_member_fields(app, patient.id, locale=locale)
    with app.test_request_context(
        "/", headers={"Accept-Language": "en" if locale == "sv" else "sv"}
    ):
        login_user(db.session.get(Member, patient.id))
        assert str(get_locale()) == locale
        assert format_decimal(1234.5) == number
        assert format_datetime(datetime(2026, 1, 15, 12, 0, tzinfo=UTC), "medium").startswith(date)


def test_default_time_zone_for_a_country(app):
    with app.app_context():
        assert default_timezone_for("SE") == "Europe/Stockholm"
        assert default_timezone_for("se") == "Europe/Stockholm"
        assert default_timezone_for("GB") == "Europe/London"
        assert default_timezone_for(None) == app.config["BABEL_DEFAULT_TIMEZONE"]
        assert default_timezone_for("") == app.config["BABEL_DEFAULT_TIMEZONE"]


@pytest.mark.parametrize(
    ("country", "zone"),
    [
        ("US", "America/New_York"),
        ("CA", "America/Toronto"),
        ("AU", "Australia/Sydney"),
        ("BR", "America/Sao_Paulo"),
        ("ES", "Europe/Madrid"),
        ("PT", "Europe/Lisbon"),
        ("RU", "Europe/Moscow"),
        ("ID", "Asia/Jakarta"),
        ("MX", "America/Mexico_City"),
        ("CL", "America/Santiago"),
    ],
)
def test_default_time_zone_of_a_country_with_several_is_the_capitals(app, country, zone):
    # The first zone CLDR lists is alphabetical by its short code (America/Adak for the US),
    # which would put most members hours away from their own clock.
    with app.app_context():
        assert default_timezone_for(country) == zone


def test_every_countrys_default_zone_is_a_real_zone_of_that_country(app):
    zone_territories = get_global("zone_territories")
    with app.app_context():
        for code in get_global("territory_zones"):
            if not re.fullmatch(r"[A-Z]{2}", code) or code == "ZZ":
                continue
            zone = default_timezone_for(code)
            ZoneInfo(zone)
            assert zone_territories.get(zone) == code, f"{code}: {zone}"


def test_a_member_from_the_us_gets_a_us_time_zone(app, client):
    response = submit(client, "/auth/register", REGISTRATION)
    assert response.status_code == 302
    zone = scalar(app, select(Member.timezone).where(Member.username_key == "newyorker"))
    assert get_global("zone_territories").get(zone) == "US"
    assert zone == "America/New_York"
