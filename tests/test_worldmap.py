"""The world map of members and groups: shapes, shading, titles, escaping, the table's order."""

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import flask
import flask_babel
import pytest
from markupsafe import Markup

from cml_earth.groups.worldmap import (
    GROUP_WEIGHT,
    SHADE_THRESHOLDS,
    CountryCount,
    _compact,
    _subpaths,
    country_shapes,
    map_rows,
    render_map,
    shade,
)

ROOT = Path(__file__).resolve().parent.parent
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def babel_app():
    """A bare app with Flask-Babel and the real templates: no database, no blueprints of ours."""
    app = flask.Flask(__name__, template_folder=str(ROOT / "templates"))
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(ROOT / "translations")
    flask_babel.Babel(app)
    groups = flask.Blueprint("groups", __name__)
    groups.add_url_rule("/groups/map", "world_map", lambda: "")
    groups.add_url_rule("/groups/country/<code>", "country", lambda code: code)
    app.register_blueprint(groups)
    with app.test_request_context("/"):
        yield app


def link(code: str) -> str:
    return f"/groups/country/{code}"


def parse(svg: Markup) -> ET.Element:
    return ET.fromstring(str(svg))  # noqa: S314 -- our own output


def country_element(root: ET.Element, code: str) -> ET.Element:
    found = root.find(f".//{SVG}g[@data-code='{code}']")
    assert found is not None, code
    return found


def parents(root: ET.Element) -> dict[ET.Element, ET.Element]:
    return {child: parent for parent in root.iter() for child in parent}


def test_shapes_load_once_with_the_countries_we_need():
    shapes = country_shapes()
    assert len(shapes) >= 170
    assert {"SE", "NO", "DE", "US"} <= shapes.keys()
    assert all(code == code.upper() and len(code) == 2 for code in shapes)
    assert all(paths and all(d.startswith("m") for d in paths) for paths in shapes.values())
    assert country_shapes() is shapes


@pytest.mark.parametrize(
    ("members", "groups", "expected"),
    [
        (0, 0, 0),
        (1, 0, 1),
        (4, 0, 1),
        (0, 1, 2),  # a group alone weighs GROUP_WEIGHT
        (5, 0, 2),
        (19, 0, 2),
        (15, 1, 3),
        (20, 0, 3),
        (99, 0, 3),
        (100, 0, 4),
        (0, 20, 4),
        (10_000, 50, 4),
    ],
)
def test_shade_buckets(members, groups, expected):
    assert shade(CountryCount(members, groups)) == expected


def test_legend_ranges_follow_the_thresholds(babel_app):
    assert (GROUP_WEIGHT, SHADE_THRESHOLDS) == (5, (1, 5, 20, 100))
    html = flask.render_template_string(
        '{% from "groups/_map.html" import map_legend %}{{ map_legend() }}'
    )
    labels = re.findall(r"</span> ([^<]+)</li>", html)
    assert labels == ["No members yet", "1 to 4", "5 to 19", "20 to 99", "100 or more"]
    assert "counting each group as 5" in html


def test_countries_with_counts_are_titled_links_and_the_rest_are_not(babel_app):
    counts = {"SE": CountryCount(3, 1), "NO": CountryCount(1, 0), "DE": CountryCount(0, 0)}
    svg = render_map(counts, link_for=link, locale="en")
    root = parse(svg)
    assert root.get("viewBox") == "0 0 2475 1388"
    assert root.get("class") == "world-map"
    assert (root.get("aria-hidden"), root.get("focusable")) == ("true", "false")

    up = parents(root)
    sweden = country_element(root, "SE")
    assert sweden.get("class") == "country shade-2"
    assert sweden.find(f"{SVG}title").text == "Sweden: 3 members, 1 group"
    assert len(sweden.findall(f"{SVG}path")) >= 1
    anchor = up[sweden]
    assert anchor.tag == f"{SVG}a"
    assert (anchor.get("href"), anchor.get("tabindex")) == ("/groups/country/SE", "-1")

    assert country_element(root, "NO").find(f"{SVG}title").text == "Norway: 1 member, 0 groups"
    for code in ("DE", "FR"):
        nobody = country_element(root, code)
        assert nobody.get("class") == "country shade-0"
        assert up[nobody] is root
    assert len(root.findall(f"{SVG}a")) == 2


def test_titles_follow_the_locale(babel_app):
    counts = {"SE": CountryCount(1200, 2)}
    swedish = parse(render_map(counts, link_for=link, locale="sv"))
    title = country_element(swedish, "SE").find(f"{SVG}title").text
    assert title.startswith("Sverige: ")
    assert "1\N{NO-BREAK SPACE}200" in title  # numbers formatted the Swedish way
    assert country_element(swedish, "AT").find(f"{SVG}title").text == "Österrike"

    english = parse(render_map(counts, link_for=link, locale="en"))
    assert country_element(english, "SE").find(f"{SVG}title").text == (
        "Sweden: 1,200 members, 2 groups"
    )


def test_titles_follow_the_current_locale_without_one(babel_app):
    with flask_babel.force_locale("sv"):
        root = parse(render_map({"DE": CountryCount(2, 0)}, link_for=link))
    assert country_element(root, "DE").find(f"{SVG}title").text.startswith("Tyskland: ")


def test_hrefs_and_ids_are_escaped(babel_app):
    svg = str(
        render_map(
            {"SE": CountryCount(1, 0)},
            link_for=lambda code: '"><script>alert(1)</script>',
            title_id='x"><script>',
        )
    )
    assert "<script>" not in svg
    assert 'href="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in svg
    root = parse(svg)  # still well-formed
    assert root.find(f"{SVG}title").get("id") == 'x"><script>'


def test_country_names_are_escaped(babel_app, monkeypatch):
    monkeypatch.setattr(
        "cml_earth.groups.worldmap.country_name", lambda code, locale=None: "<b>Fake</b> & co"
    )
    svg = str(render_map({"SE": CountryCount(1, 0)}, link_for=link, locale="en"))
    assert "<b>" not in svg
    assert "&lt;b&gt;Fake&lt;/b&gt; &amp; co: 1 member, 0 groups" in svg


def test_small_map_is_lighter_and_marked(babel_app):
    counts = {"SE": CountryCount(3, 1)}
    full = render_map(counts, link_for=link, locale="en")
    small = render_map(counts, link_for=link, locale="en", small=True)
    assert parse(small).get("class") == "world-map world-map-small"
    assert len(small) < len(full) / 2
    assert len(small) < 150_000


def test_simplified_paths_stay_on_the_original_coastline():
    """Rounding is done on absolute points, so relative steps never drift away."""
    for code in ("SE", "NO", "US", "ID"):
        for d in country_shapes()[code]:
            original = _subpaths(d)
            for options in ({"decimals": 0}, {"decimals": 1}):
                compact = _subpaths(_compact(d, **options))
                assert len(compact) == len(original)
                for (start, segments, _), (new_start, new_segments, _) in zip(
                    original, compact, strict=True
                ):
                    assert new_start == pytest.approx(start, abs=0.51)
                    end = segments[-1][1][-1] if segments else start
                    new_end = new_segments[-1][1][-1] if new_segments else new_start
                    assert new_end == pytest.approx(end, abs=0.51)


def test_compact_writes_valid_terse_path_data():
    assert _compact("m10.04 20.06l0.02 0.01l1.5-1.5c1 1 2 2 3 3z", 0) == "m10 20l2-1c1 1 2 2 3 3z"
    assert _compact("m0 0h5v-5l-5 0.04", 0) == "m0 0h5v-5h-5"
    assert _compact("m1 1 0.5 0.5 0.5 0.5", 1) == "m1 1l.5.5.5.5"
    with pytest.raises(ValueError, match="unsupported"):
        _compact("m0 0a1 1 0 0 1 2 2", 0)


def test_map_rows_follow_swedish_collation(babel_app):
    counts = {
        "AT": CountryCount(2, 0),  # Österrike
        "ZW": CountryCount(1, 0),  # Zimbabwe
        "AX": CountryCount(1, 1),  # Åland, too small for the map but listed
        "AE": CountryCount(1, 0),  # Förenade Arabemiraten
        "SE": CountryCount(5, 1),
        "DE": CountryCount(0, 0),  # nobody: not listed
    }
    rows = map_rows(counts, locale="sv")
    assert [code for code, _, _ in rows] == ["AE", "SE", "ZW", "AX", "AT"]
    assert rows[-1] == ("AT", "Österrike", CountryCount(2, 0))
    assert [name for _, name, _ in map_rows(counts, locale="en")] == [
        "Åland Islands",  # in English, Å is an A
        "Austria",
        "Sweden",
        "United Arab Emirates",
        "Zimbabwe",
    ]


def test_map_rows_use_the_current_locale(babel_app):
    with flask_babel.force_locale("sv"):
        assert map_rows({"SE": CountryCount(1, 0)}) == [("SE", "Sverige", CountryCount(1, 0))]


def test_full_section_has_the_map_legend_and_table(babel_app):
    counts = {"SE": CountryCount(3, 1), "AT": CountryCount(1200, 0)}
    html = flask.render_template_string(
        '{% from "groups/_map.html" import map_section %}{{ map_section(svg, rows) }}',
        svg=render_map(counts, link_for=link),
        rows=map_rows(counts),
    )
    assert '<figure class="map">' in html
    assert '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 2475 1388"' in html
    assert html.count('class="map-swatch shade-') == 5
    assert "<caption>Members and groups by country</caption>" in html
    assert re.findall(r'<th scope="col"[^>]*>([^<]+)</th>', html) == [
        "Country",
        "Members",
        "Groups",
    ]
    names = re.findall(r'<th scope="row"><a href="([^"]+)">([^<]+)</a>', html)
    assert names == [("/groups/country/AT", "Austria"), ("/groups/country/SE", "Sweden")]
    assert '<td class="numeric">1,200</td>' in html
    assert "See the map as a list" not in html
    assert "hidden" not in html.split("<table", 1)[1].split(">", 1)[0]


def test_small_section_links_to_the_list_instead_of_a_table(babel_app):
    counts = {"SE": CountryCount(3, 1)}
    html = flask.render_template_string(
        '{% from "groups/_map.html" import map_section %}{{ map_section(svg, rows, small=True) }}',
        svg=render_map(counts, link_for=link, small=True),
        rows=map_rows(counts),
    )
    assert '<figure class="map map-small">' in html
    assert "<table" not in html
    assert re.search(r'<a href="/groups/map#map-table">See the map as a list</a>', html)


def test_section_without_members_says_so(babel_app):
    html = flask.render_template_string(
        '{% from "groups/_map.html" import map_section %}{{ map_section(svg, rows) }}',
        svg=render_map({}, link_for=link),
        rows=[],
    )
    assert "<table" not in html
    assert "No member has shared their country yet." in html
