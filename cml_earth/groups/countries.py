"""Countries found by what members type: a name in any CLDR language, an ISO code, a prefix.

The names come from a packaged artefact (``data/country_names.json.gz``) built once from Babel's
CLDR data and pycountry, so a search never walks Babel's locale data. Rebuild it after upgrading
Babel or pycountry, or after changing :func:`normalize`::

    python -m cml_earth.groups.countries

A test compares the artefact with a fresh build for a few locales, so a stale one fails CI.
"""

from __future__ import annotations

import gzip
import json
import re
import unicodedata
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

COUNTRY_NAMES_FILE = Path(__file__).parent / "data" / "country_names.json.gz"

#: Longer queries are cut here: no country name is longer, and it bounds the work per search.
MAX_QUERY_LENGTH = 100


class _SearchKeyTable(dict):
    """A ``str.translate`` table filled on first sight of each character: combining marks go,
    letters and digits stay, anything else becomes a space. Lookups then run at C speed."""

    def __missing__(self, codepoint: int) -> int | str | None:
        char = chr(codepoint)
        if unicodedata.category(char).startswith("M"):
            value = None
        elif char.isalnum():
            value = codepoint
        else:
            value = " "
        self[codepoint] = value
        return value


#: Letters that NFKD leaves whole, written the way people type them without the key.
_SEARCH_KEY = _SearchKeyTable(
    str.maketrans(
        {"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"}
        | {"ħ": "h", "ŧ": "t", "ŀ": "l", "ĸ": "k"}
    )
)

#: Well-known English names that CLDR keeps only as "alt" forms, which Babel does not ship.
EXTRA_NAMES = {
    "CI": ("Ivory Coast",),
    "CV": ("Cape Verde",),
    "CZ": ("Czech Republic",),
    "GB": ("UK", "Great Britain"),
    "MK": ("Macedonia",),
    "SZ": ("Swaziland",),
    "TL": ("East Timor",),
    "TR": ("Turkey",),
}


def normalize(text: str) -> str:
    """A search key: accents, case and punctuation gone ("Côte d’Ivoire" -> "cote d ivoire")."""
    return " ".join(unicodedata.normalize("NFKD", text).casefold().translate(_SEARCH_KEY).split())


# -- building the artefact ---------------------------------------------------------------------


def source_locales() -> list[str]:
    """Every Babel locale, regional ones too.

    Measured with Babel 2.18: the 368 locales without a region give 30,661 names; the 714
    regional ones add 295 more (1 %), real spellings such as "Kapverden" (de_CH), "República
    del Congo" (es_419) or "Bangladeche" (fr_CA), so they are worth their few bytes.
    """
    from babel.localedata import locale_identifiers

    return sorted(identifier for identifier in locale_identifiers() if identifier != "root")


def pycountry_names(code: str) -> list[str]:
    """The ISO 3166-1 names pycountry knows for ``code``: name, official and common names."""
    import pycountry

    country = pycountry.countries.get(alpha_2=code)
    fields = ("name", "official_name", "common_name")
    return [getattr(country, field) for field in fields if getattr(country, field, None)]


def collect_names(locales: Iterable[str]) -> dict[str, list[str]]:
    """Normalised names per alpha-2 code from pycountry, the extras and the given locales."""
    from babel import Locale

    from cml_earth.i18n import country_codes

    codes = country_codes()
    names: dict[str, set[str]] = {
        code: {normalize(name) for name in (*pycountry_names(code), *EXTRA_NAMES.get(code, ()))}
        for code in codes
    }
    for identifier in locales:
        territories = Locale.parse(identifier).territories
        for code in codes:
            if name := territories.get(code):
                names[code].add(normalize(name))
    return {code: sorted(found - {""}) for code, found in names.items()}


def build_index(locales: Iterable[str] | None = None) -> dict:
    """What the artefact holds: per alpha-2 code its alpha-3 code and its normalised names."""
    import babel
    import pycountry

    names = collect_names(source_locales() if locales is None else locales)
    return {
        "format": 1,
        "sources": {"babel": babel.__version__, "pycountry": _version("pycountry")},
        "countries": {
            code: {"alpha_3": pycountry.countries.get(alpha_2=code).alpha_3, "names": found}
            for code, found in names.items()
        },
    }


def _version(distribution: str) -> str:
    from importlib.metadata import version

    return version(distribution)


def write_index(path: Path | str = COUNTRY_NAMES_FILE) -> dict:
    """Build the index and write it as gzipped JSON, byte-for-byte reproducible."""
    index = build_index()
    payload = json.dumps(index, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as handle:
        handle.write(payload.encode("utf-8"))
    return index


def read_index(path: Path | str = COUNTRY_NAMES_FILE) -> dict:
    """The artefact as :func:`build_index` made it."""
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return json.load(handle)


# -- searching ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CountryIndex:
    """Sorted keys for prefix search by bisect, and exact look-ups for codes and names."""

    name_keys: list[str]  # whole names, sorted
    name_codes: list[str]  # the alpha-2 code of each whole name
    word_keys: list[str]  # names from their second, third... word on ("korea" in "south korea")
    word_codes: list[str]
    exact_names: dict[str, tuple[str, ...]]
    alpha_2: dict[str, str]  # "se" -> "SE"
    alpha_3: dict[str, str]  # "swe" -> "SE"


# Cached per process: it depends only on the shipped country-name artefact, never on database rows,
# so every instance holds the same value and nothing needs invalidating.
@cache
def country_index() -> CountryIndex:
    """The artefact loaded into search structures, once per process."""
    countries = read_index()["countries"]
    names: set[tuple[str, str]] = set()
    words: set[tuple[str, str]] = set()
    for code, entry in countries.items():
        for name in entry["names"]:
            names.add((name, code))
            starts = [match.start() for match in re.finditer(" ", name)]
            words.update((name[start + 1 :], code) for start in starts)
    words -= names
    exact: dict[str, list[str]] = {}
    for name, code in sorted(names):
        exact.setdefault(name, []).append(code)
    sorted_names, sorted_words = sorted(names), sorted(words)
    return CountryIndex(
        name_keys=[name for name, _ in sorted_names],
        name_codes=[code for _, code in sorted_names],
        word_keys=[name for name, _ in sorted_words],
        word_codes=[code for _, code in sorted_words],
        exact_names={name: tuple(codes) for name, codes in exact.items()},
        alpha_2={code.lower(): code for code in countries},
        alpha_3={entry["alpha_3"].lower(): code for code, entry in countries.items()},
    )


def _query_key(query: str | None) -> str:
    return normalize((query or "")[:MAX_QUERY_LENGTH])


def _prefixed(keys: list[str], codes: list[str], prefix: str):
    """Codes of the keys that start with ``prefix``, in key order (repeats included)."""
    position = bisect_left(keys, prefix)
    while position < len(keys) and keys[position].startswith(prefix):
        yield codes[position]
        position += 1


def _exact_code(index: CountryIndex, key: str) -> str | None:
    return index.alpha_2.get(key) or index.alpha_3.get(key)


def find_countries(query: str, limit: int = 10) -> list[str]:
    """Alpha-2 codes matching ``query``, best first: code, whole name, name prefix, word prefix.

    Among countries matched by prefix, the one with more names starting so comes first (in
    many languages "se" starts Senegal and Serbia, in one Saint-Barthélemy), then by code.
    """
    key = _query_key(query)
    if not key or limit <= 0:
        return []
    index = country_index()
    found: dict[str, None] = {}  # an ordered set
    if code := _exact_code(index, key):
        found[code] = None
    for code in index.exact_names.get(key, ()):
        found.setdefault(code)
    for keys, codes in ((index.name_keys, index.name_codes), (index.word_keys, index.word_codes)):
        if len(found) >= limit:
            break
        hits = Counter(code for code in _prefixed(keys, codes, key) if code not in found)
        for code, _ in sorted(hits.items(), key=lambda item: (-item[1], item[0])):
            found[code] = None
    return list(found)[:limit]


def find_country(query: str) -> str | None:
    """The one country ``query`` means: a code, a name only it has, or a prefix only it matches."""
    key = _query_key(query)
    if not key:
        return None
    index = country_index()
    if code := _exact_code(index, key):
        return code
    if exact := index.exact_names.get(key):
        return exact[0] if len(exact) == 1 else None
    matched: set[str] = set()
    for keys, codes in ((index.name_keys, index.name_codes), (index.word_keys, index.word_codes)):
        for code in _prefixed(keys, codes, key):
            matched.add(code)
            if len(matched) > 1:
                return None
    return matched.pop() if matched else None


def is_country_code(code: str | None) -> bool:
    """Whether ``code`` is an ISO 3166-1 alpha-2 code, in any case."""
    return isinstance(code, str) and code.lower() in country_index().alpha_2


if __name__ == "__main__":
    written = write_index()
    total = sum(len(entry["names"]) for entry in written["countries"].values())
    size = COUNTRY_NAMES_FILE.stat().st_size
    print(f"{COUNTRY_NAMES_FILE}: {len(written['countries'])} countries, {total} names, {size} B")
