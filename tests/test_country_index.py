"""The country-name index: normalisation, ranking, junk input, and a fresh artefact."""

from __future__ import annotations

import pytest

from cml_earth.groups.countries import (
    COUNTRY_NAMES_FILE,
    collect_names,
    country_index,
    find_countries,
    find_country,
    is_country_code,
    normalize,
    read_index,
)
from cml_earth.i18n import country_codes


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Sverige", "sverige"),
        ("Suède", "suede"),
        ("Švédsko", "svedsko"),
        ("Côte d’Ivoire", "cote d ivoire"),
        ("Bosnia-Herzegovina", "bosnia herzegovina"),
        ("Færøerne", "faeroerne"),
        ("Œuvre Łódź Đakovo Ðe Þórshöfn", "oeuvre lodz dakovo de thorshofn"),
        ("Straße", "strasse"),
        ("Iıİ", "iii"),
        ("ﬁve  %_.* tabs\tand\nlines", "five tabs and lines"),
        ("  ... ", ""),
        ("Leukämie-Gruppe Göteborg 2024", "leukamie gruppe goteborg 2024"),
    ],
)
def test_normalize(text, key):
    assert normalize(text) == key


QUERIES_FOR_SWEDEN = [
    "Sverige",
    "sweden",
    "SWE",
    "swe",
    "SE",
    "se",
    "Suède",
    "suede",
    "Schweden",
    "Suecia",
    "Ruotsi",
    "sver",
    "Švédsko",
    "スウェーデン",
    "  SVERIGE!  ",
]


@pytest.mark.parametrize("query", QUERIES_FOR_SWEDEN)
def test_sweden_in_any_language(query):
    assert find_countries(query)[0] == "SE"
    assert find_country(query) == "SE"


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("Deutschland", "DE"),
        ("Allemagne", "DE"),
        ("deu", "DE"),
        ("Norge", "NO"),
        ("Noreg", "NO"),
        ("united k", "GB"),
        ("UK", "GB"),
        ("Turkey", "TR"),
        ("Türkiye", "TR"),
        ("usa", "US"),
        ("España", "ES"),
        ("espana", "ES"),
        ("Österreich", "AT"),
        ("Island", "IS"),  # Iceland in the Scandinavian languages, not "an island"
        ("Россия", "RU"),
        ("Færøerne", "FO"),
        ("ivory", "CI"),
        ("Côte d'Ivoire", "CI"),
    ],
)
def test_names_codes_and_prefixes(query, code):
    assert find_countries(query)[0] == code
    assert find_country(query) == code


def test_exact_code_ranks_before_names_it_prefixes():
    found = find_countries("se")
    assert found[0] == "SE"
    assert {"SN", "RS", "SC"} <= set(found)  # Senegal, Serbia, Seychelles follow


def test_word_starts_inside_names():
    assert set(find_countries("korea")[:2]) == {"KR", "KP"}
    assert find_country("korea") is None  # two Koreas: the member has to say which
    assert "GB" in find_countries("kingdom", limit=50)


def test_whole_name_ranks_before_prefix_and_word():
    # "Niger" is a whole name of NE and a prefix of "Nigeria": NE first.
    assert find_countries("niger")[:2] == ["NE", "NG"]


def test_ranking_is_deterministic_and_limited():
    first = find_countries("s", limit=25)
    assert first == find_countries("S", limit=25)
    assert len(first) == 25
    assert len(set(first)) == 25
    assert find_countries("s", limit=3) == first[:3]
    assert find_countries("s", limit=0) == []


def test_ambiguous_prefix_is_not_one_country():
    assert find_country("s") is None
    assert find_country("united") is None
    assert find_country("nowhere-land") is None
    assert find_countries("nowhere-land") == []


@pytest.mark.parametrize(
    "query",
    ["", "   ", "%", "_", "%%", ".*", "[a-z]+", "(", "\\", "\x00", "a" * 200, "s" * 9999, "';"],
)
def test_junk_never_raises(query):
    assert isinstance(find_countries(query), list)
    find_country(query)


@pytest.mark.parametrize("query", ["", "   ", "%", "_", ".*", "\x00", "!?"])
def test_nothing_to_search_for(query):
    assert find_countries(query) == []
    assert find_country(query) is None


def test_is_country_code():
    assert is_country_code("SE")
    assert is_country_code("se")
    assert not is_country_code("SWE")
    assert not is_country_code("XX")
    assert not is_country_code("")
    assert not is_country_code(None)


def test_index_covers_every_country_code():
    index = country_index()
    assert set(index.alpha_2.values()) == set(country_codes())
    assert index.alpha_3["swe"] == "SE"
    assert index.name_keys == sorted(index.name_keys)
    assert index.word_keys == sorted(index.word_keys)


def test_artefact_matches_a_fresh_build():
    """Fails when Babel, pycountry or normalize() changed and the artefact was not rebuilt:
    run ``python -m cml_earth.groups.countries``."""
    shipped = read_index(COUNTRY_NAMES_FILE)["countries"]
    fresh = collect_names(["en", "sv", "de", "fr", "es", "fi"])
    assert set(shipped) == set(fresh)
    stale = {
        code: sorted(set(names) - set(shipped[code]["names"]))
        for code, names in fresh.items()
        if not set(names) <= set(shipped[code]["names"])
    }
    assert stale == {}
