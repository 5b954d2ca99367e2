"""Crisis contacts and medicines regulators by country, from ``data/*.json``.

The data holds names, numbers and addresses; the words around them (what a line is for) are
message keys, mapped here to translatable text so every shipped language can show them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from flask_babel import lazy_gettext as _l

from .detection import load_data

#: What each kind of crisis line is for; keys are the ``description_key`` values in the data.
CONTACT_DESCRIPTIONS = {
    "emergency": _l(
        "Emergency number for police, ambulance and fire. Call it if a life is in danger."
    ),
    "emergency_fallback": _l(
        "The emergency number across the EU; from a mobile phone it also reaches emergency "
        "services in many other countries. If it does not connect, call your local emergency "
        "number."
    ),
    "suicide_line_chat": _l(
        "For anyone with thoughts of suicide, and for people worried about someone. "
        "Phone and chat, day and night."
    ),
    "suicide_line_call_text": _l(
        "Call or text, day and night, if you are thinking about suicide or are worried about "
        "someone."
    ),
    "health_advice": _l("Health advice by phone, day and night, and where to get care."),
    "samaritans": _l(
        "Someone to talk to, day and night, free of charge, whatever you are going through."
    ),
}

#: Names that are descriptions rather than proper names; keys are ``name_key`` in the data.
CONTACT_NAMES = {
    "emergency_number": _l("Emergency number"),
    "ema_national_authorities": _l(
        "Your country's medicines regulator (the European Medicines Agency's list)"
    ),
}


@dataclass(frozen=True)
class CrisisContact:
    """A line to call in a crisis: its name, number, website and what it is for."""

    country_code: str | None  # None for the contacts shown for every other country
    name: str  # a proper name as written, or a translated name (lazy string)
    number: str  # as people write it: "116 123"
    url: str | None
    description_key: str

    @property
    def description(self):
        """What the line is for, in the current language."""
        return CONTACT_DESCRIPTIONS[self.description_key]

    @property
    def tel(self) -> str:
        """A ``tel:`` link for the number."""
        return "tel:" + "".join(char for char in self.number if char.isdigit() or char == "+")


@dataclass(frozen=True)
class Regulator:
    """A national medicines regulator that takes side-effect reports from the public."""

    country_code: str | None  # None for the fallback (the EMA's list of national authorities)
    name: str
    url: str

    @property
    def is_fallback(self) -> bool:
        return self.country_code is None


def _name(entry: dict):
    return CONTACT_NAMES[entry["name_key"]] if "name_key" in entry else entry["name"]


def _contact(code: str | None, entry: dict) -> CrisisContact:
    if entry["description_key"] not in CONTACT_DESCRIPTIONS:
        raise KeyError(f"crisis_contacts.json: unknown description_key {entry['description_key']}")
    return CrisisContact(
        code, _name(entry), entry["number"], entry.get("url"), entry["description_key"]
    )


# Cached per process: it depends only on the shipped data files, never on database rows, so every
# instance holds the same value and nothing needs invalidating.
@cache
def _crisis_contacts() -> tuple[dict[str, tuple[CrisisContact, ...]], tuple[CrisisContact, ...]]:
    data = load_data("crisis_contacts.json")
    by_country = {
        code: tuple(_contact(code, entry) for entry in entries)
        for code, entries in data["countries"].items()
    }
    return by_country, tuple(_contact(None, entry) for entry in data["fallback"])


def _code(country_code: str | None) -> str:
    return (country_code or "").strip().upper()


def crisis_contacts(country_code: str | None) -> list[CrisisContact]:
    """The crisis lines for a country; the fallback (112) for a country we have none for."""
    by_country, fallback = _crisis_contacts()
    return list(by_country.get(_code(country_code), fallback))


def has_own_crisis_contacts(country_code: str | None) -> bool:
    """Whether the data lists lines for this very country (not only the fallback)."""
    return _code(country_code) in _crisis_contacts()[0]


def country_for_language(language: str | None) -> str | None:
    """The country to assume when a browser names only a language ("sv" -> "SE"); else None."""
    language = (language or "").strip().lower()
    if language.startswith("_"):  # "_comment" and the like are notes, not languages
        return None
    return load_data("crisis_contacts.json").get("language_countries", {}).get(language)


def all_crisis_contacts() -> dict[str | None, list[CrisisContact]]:
    """Every country's lines by country code, and the fallback's under ``None``, last."""
    by_country, fallback = _crisis_contacts()
    return {code: list(contacts) for code, contacts in by_country.items()} | {None: list(fallback)}


@cache
def _regulators() -> tuple[dict[str, Regulator], Regulator]:
    data = load_data("regulators.json")
    by_country = {
        code: Regulator(code, _name(entry), entry["url"])
        for code, entry in data["countries"].items()
    }
    return by_country, Regulator(None, _name(data["fallback"]), data["fallback"]["url"])


def regulator_for(country_code: str | None) -> Regulator:
    """Where people in a country report side effects; the EMA's list of authorities otherwise."""
    by_country, fallback = _regulators()
    return by_country.get(_code(country_code), fallback)


def all_regulators() -> dict[str, Regulator]:
    """Every country's regulator by country code (the fallback left out)."""
    return dict(_regulators()[0])


def fallback_regulator() -> Regulator:
    """The EMA's list of national competent authorities, for countries not in the data."""
    return _regulators()[1]
