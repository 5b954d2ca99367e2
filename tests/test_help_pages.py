"""The help pages: crisis contacts by country, reporting a side effect, about the community."""

from __future__ import annotations

import itertools
import re

import pytest

from cml_earth import create_app

HELP_LINKS = ('href="/help/crisis"', 'href="/help/side-effects"', 'href="/help/about"')


def page(client, url: str, **kwargs) -> str:
    response = client.get(url, **kwargs)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def footer(html: str) -> str:
    return html[html.index('<footer class="site-footer">') :]


def main_part(html: str) -> str:
    return html[html.index("<main") : html.index("</main>")]


@pytest.mark.parametrize("headers", [{}, {"Accept-Language": "sv"}])
def test_footer_links_to_the_help_pages(client, headers):
    html = page(client, "/", headers=headers)
    for link in HELP_LINKS:
        assert link in footer(html)


def test_footer_links_are_on_a_members_pages_too(client, auth, make_member):
    auth.login(make_member(locale="sv"))
    html = page(client, "/")
    for link in HELP_LINKS:
        assert link in footer(html)


@pytest.mark.parametrize(
    ("country", "shown", "not_shown"),
    [
        ("SE", ["Call 90101", 'href="tel:90101"', "Call 112", "Call 1177"], ["Call 988"]),
        ("US", ["Call 988", 'href="tel:988"'], ["Call 90101"]),
        ("GB", ["Call 116 123", 'href="tel:116123"'], ["Call 90101"]),
        ("BR", ["Call 112", "We do not have a list of helplines for"], ["Call 90101", "Call 988"]),
    ],
)
def test_crisis_page_puts_the_members_country_first(
    client, auth, make_member, country, shown, not_shown
):
    auth.login(make_member(country_code=country))
    html = main_part(page(client, "/help/crisis"))
    for text in shown:
        assert text in html
    for text in not_shown:
        assert text not in html


def test_crisis_page_lists_every_country_in_a_table(client):
    html = main_part(page(client, "/help/crisis?country=BR"))
    table = html[html.index("<table") : html.index("</table>")]
    assert "<caption>" in table and '<th scope="col">' in table and '<th scope="row">' in table
    for number in ("90101", "988", "116123", "1177", "112"):
        assert f'href="tel:{number}"' in table
    assert "Sweden" in table and "United States" in table and "Any other country" in table


@pytest.mark.parametrize(
    ("query", "expected"),
    [("?country=GB", "Call 116 123"), ("?country=us", "Call 988"), ("?country=IE", "Call 116 123")],
)
def test_a_visitor_chooses_a_country(client, query, expected):
    html = main_part(page(client, "/help/crisis" + query))
    assert expected in html
    assert "We do not recognise that country" not in html


def test_a_chosen_country_overrides_the_members_own(client, auth, make_member):
    auth.login(make_member(country_code="SE"))
    html = main_part(page(client, "/help/crisis?country=US"))
    assert "Call 988" in html and "Call 90101" not in html
    assert '<option value="US" selected>' in html


@pytest.mark.parametrize(
    ("accept_language", "expected"),
    [
        # A Swedish browser reads the page in Swedish, Sweden's helplines first.
        ("sv-SE,sv;q=0.9", "Ring 90101"),
        ("sv", "Ring 90101"),
        ("en-US,en;q=0.5", "Call 988"),
        ("en-GB,en;q=0.5", "Call 116 123"),
        ("en", "Call 112"),
    ],
)
def test_a_visitors_country_comes_from_the_browser(client, accept_language, expected):
    html = main_part(page(client, "/help/crisis", headers={"Accept-Language": accept_language}))
    assert expected in html


@pytest.mark.parametrize(
    "value",
    ["XX", "ZZ", "<script>alert(1)</script>", "S", "sweden", "A" * 500, "%00", "S\u00e9", "12"],
)
def test_a_bad_country_gets_a_message_and_the_fallback(client, value):
    html = main_part(page(client, "/help/crisis", query_string={"country": value}))
    assert "We do not recognise that country" in html
    assert "Call 112" in html
    assert "<script>alert" not in html


def test_an_empty_country_is_no_country(client):
    html = main_part(page(client, "/help/crisis?country="))
    assert "We do not recognise that country" not in html


@pytest.mark.parametrize("accept_language", ["*", "x-klingon, 12345;q=0.5, ;;;", "zz-ZZ"])
def test_odd_browser_languages_do_not_break_the_page(client, accept_language):
    html = main_part(page(client, "/help/crisis", headers={"Accept-Language": accept_language}))
    assert "Call 112" in html


def test_side_effects_page_names_the_members_regulator(client, auth, make_member):
    auth.login(make_member(country_code="SE"))
    html = main_part(page(client, "/help/side-effects"))
    assert "In Sweden, report side effects to:" in html
    assert 'href="https://www.lakemedelsverket.se/' in html
    assert 'href="mailto:drug.safety@example-pharma.invalid"' in html
    assert "Example Pharma AB" in html
    assert "https://yellowcard.mhra.gov.uk" in html  # the full list


def test_side_effects_page_falls_back_to_the_ema_list(client):
    html = main_part(page(client, "/help/side-effects?country=JP"))
    assert "We do not list the regulator for Japan yet" in html
    assert "https://www.ema.europa.eu/" in html


@pytest.mark.parametrize("value", ["XX", "<b>", "A" * 300])
def test_side_effects_page_survives_a_bad_country(client, value):
    html = main_part(page(client, "/help/side-effects", query_string={"country": value}))
    assert "We do not recognise that country" in html


@pytest.fixture
def acme(app_config):
    """Another sponsor; ask for it before ``client`` so the app is built with it."""
    app_config["SPONSOR_SAFETY_EMAIL"] = "safety@sponsor.invalid"
    app_config["SPONSOR_NAME"] = "Acme Oncology AB"


def test_side_effects_page_uses_the_configured_sponsor(acme, client):
    html = main_part(page(client, "/help/side-effects"))
    assert 'href="mailto:safety@sponsor.invalid"' in html
    assert "Tell Acme Oncology AB" in html


def test_about_page_says_who_runs_the_community(acme, client):
    html = main_part(page(client, "/help/about"))
    assert "funded and run by Acme Oncology AB" in html
    assert "What Acme Oncology AB may not do" in html
    for target in ("guidelines", "privacy", "disclaimer", "sponsor"):
        assert f'href="/about/{target}"' in html


@pytest.mark.parametrize("url", ["/help/crisis", "/help/side-effects", "/help/about"])
def test_help_pages_are_accessible_without_scripts(client, url):
    html = page(client, url, headers={"Accept-Language": "sv"})
    body = main_part(html)
    assert "<script" not in body and "style=" not in body
    levels = [int(level) for level in re.findall(r"<h([1-6])[\s>]", body)]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b - a <= 1 for a, b in itertools.pairwise(levels))
    for table in re.findall(r"<table.*?</table>", body, re.S):
        assert "<caption" in table and 'scope="col"' in table and 'scope="row"' in table
    assert '<html lang="sv"' in html


def test_sponsor_safety_email_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SPONSOR_SAFETY_EMAIL", "pv@example.invalid")
    app = create_app(
        {
            "ENV_NAME": "testing",
            "INSTANCE_PATH": str(tmp_path),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
        }
    )
    assert app.config["SPONSOR_SAFETY_EMAIL"] == "pv@example.invalid"
