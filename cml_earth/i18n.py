"""Locale and time zone choice, country names from CLDR, and locale-aware sorting."""

from __future__ import annotations

from functools import cache

import icu
import pycountry
from babel import Locale
from babel.core import get_global
from flask import Flask, current_app, has_request_context, request
from flask_babel import get_locale
from flask_login import current_user

from .extensions import babel


def shipped_locales() -> list[str]:
    """The locales we ship complete catalogues for, in the configured order."""
    return list(current_app.config["LANGUAGES"])


def select_locale() -> str:
    """Member setting, then the switcher's cookie, then Accept-Language, then the default."""
    if not has_request_context():  # the CLI: messages in the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    shipped = shipped_locales()
    if current_user and current_user.is_authenticated and current_user.locale in shipped:
        return current_user.locale
    chosen = request.cookies.get(current_app.config["LANGUAGE_COOKIE"])
    if chosen in shipped:
        return chosen
    return (
        request.accept_languages.best_match(shipped) or current_app.config["BABEL_DEFAULT_LOCALE"]
    )


def select_timezone() -> str:
    if current_user and current_user.is_authenticated and current_user.timezone:
        return current_user.timezone
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


# Cached per process: it depends only on the shipped packages' data (pycountry, Babel, ICU), never
# on database rows, so every instance holds the same value and nothing needs invalidating.
@cache
def country_codes() -> tuple[str, ...]:
    """Every ISO 3166-1 alpha-2 code, from pycountry's copy of the standard."""
    return tuple(sorted(country.alpha_2 for country in pycountry.countries))


@cache
def _collator(locale: str) -> icu.Collator:
    return icu.Collator.createInstance(icu.Locale(locale))


def collation_key(locale: str):
    """A sort key that orders text as readers of ``locale`` expect (Swedish å, ä, ö after z)."""
    return _collator(str(locale)).getSortKey


@cache
def _country_names(locale: str) -> dict[str, str]:
    territories = Locale.parse(locale).territories
    english = Locale.parse("en").territories
    return {
        code: territories.get(code)
        or english.get(code)
        or pycountry.countries.get(alpha_2=code).name
        for code in country_codes()
    }


def country_name(code: str | None, locale: str | None = None) -> str:
    """The country's name in the given (default: current) locale; '' for no country."""
    if not code:
        return ""
    return _country_names(str(locale or get_locale())).get(code.upper(), code)


def country_choices(locale: str | None = None) -> list[tuple[str, str]]:
    """(code, name) pairs for a select, sorted by the locale's collation."""
    locale = str(locale or get_locale())
    names = _country_names(locale)
    key = collation_key(locale)
    return sorted(names.items(), key=lambda item: key(item[1]))


#: The capital's zone for countries with several zones whose first in CLDR is elsewhere: CLDR
#: orders a country's zones by their short codes, which makes America/Adak the "first" US zone.
CAPITAL_ZONES = {
    "AU": "Australia/Sydney",
    "BR": "America/Sao_Paulo",
    "CA": "America/Toronto",
    "CD": "Africa/Kinshasa",
    "CL": "America/Santiago",
    "CY": "Asia/Nicosia",
    "EC": "America/Guayaquil",
    "ES": "Europe/Madrid",
    "FM": "Pacific/Pohnpei",
    "GL": "America/Nuuk",
    "ID": "Asia/Jakarta",
    "KI": "Pacific/Tarawa",
    "KZ": "Asia/Almaty",
    "MH": "Pacific/Majuro",
    "MN": "Asia/Ulaanbaatar",
    "MX": "America/Mexico_City",
    "MY": "Asia/Kuala_Lumpur",
    "PF": "Pacific/Tahiti",
    "PT": "Europe/Lisbon",
    "RU": "Europe/Moscow",
    "US": "America/New_York",
    "UZ": "Asia/Tashkent",
}


@cache
def _language_names(locale: str) -> dict[str, str]:
    names = Locale.parse(locale).languages
    return {code: name for code, name in names.items() if len(code) == 2 and code.isalpha()}


def language_choices(locale: str | None = None) -> list[tuple[str, str]]:
    """(ISO 639-1 code, name in the current language) pairs, sorted by the locale's collation."""
    locale = str(locale or get_locale())
    key = collation_key(locale)
    return sorted(_language_names(locale).items(), key=lambda item: key(item[1]))


def language_label(code: str, locale: str | None = None) -> str:
    """A language's name in the current language ("svenska" in Swedish, "Swedish" in English)."""
    return _language_names(str(locale or get_locale())).get(code, code)


def default_timezone_for(country_code: str | None) -> str:
    """The main time zone of a country (its capital's); the site default when there is none."""
    code = (country_code or "").upper()
    zones = get_global("territory_zones").get(code)
    if zones:
        return CAPITAL_ZONES.get(code, zones[0])
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


@cache
def all_timezones() -> tuple[str, ...]:
    return tuple(sorted(get_global("zone_territories")))


def language_name(code: str) -> str:
    """A language's name written in that language ("Svenska"), as switchers show it."""
    return Locale.parse(code).get_display_name(code).capitalize()


def text_direction() -> str:
    return Locale.parse(str(get_locale())).text_direction


def init_app(app: Flask) -> None:
    # Flask-Babel adds the dateformat, datetimeformat and numberformat filters itself.
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.jinja_env.filters["country_name"] = country_name
    app.jinja_env.filters["language_label"] = language_label

    @app.context_processor
    def _locale_context() -> dict:
        return {
            "current_locale": str(get_locale()),
            "text_direction": text_direction(),
            "shipped_languages": [(code, language_name(code)) for code in shipped_locales()],
        }
