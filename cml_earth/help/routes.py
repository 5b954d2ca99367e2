"""Help pages: crisis contacts, how to report a side effect, and what the sponsor may do."""

from __future__ import annotations

from babel import Locale, UnknownLocaleError
from flask import Blueprint, render_template, request
from flask_babel import get_locale
from flask_login import current_user

from ..i18n import collation_key, country_choices, country_codes, country_name
from ..safety import contacts

bp = Blueprint("help", __name__, url_prefix="/help")


def _request_country() -> str | None:
    """A visitor's likely country: a region in Accept-Language ("sv-SE"), else the country the
    page's language points to ("sv"); None (the fallback) for English, spoken everywhere."""
    codes = set(country_codes())
    for language, _quality in request.accept_languages:
        try:
            territory = Locale.parse(language, sep="-").territory
        except (ValueError, TypeError, UnknownLocaleError):
            continue
        if territory in codes:
            return territory
    return contacts.country_for_language(get_locale().language)


def viewer_country() -> tuple[str | None, bool]:
    """The country to show first, and whether ``?country=`` was given but is not a country.

    A valid ``?country=`` wins (anyone can look up another country), then the member's
    country, then what the browser says.
    """
    asked = request.args.get("country", "").strip().upper()
    if asked in country_codes():
        return asked, False
    if current_user.is_authenticated and current_user.country_code:
        return current_user.country_code.upper(), bool(asked)
    return _request_country(), bool(asked)


def _by_country_name(codes) -> list[str]:
    key = collation_key(str(get_locale()))
    return sorted(codes, key=lambda code: key(country_name(code)))


@bp.get("/crisis")
def crisis():
    country, unknown = viewer_country()
    everywhere = contacts.all_crisis_contacts()
    fallback = everywhere.pop(None)
    return render_template(
        "help/crisis.html",
        country=country,
        unknown_country=unknown,
        contacts=contacts.crisis_contacts(country),
        has_own=contacts.has_own_crisis_contacts(country),
        table=[(code, everywhere[code]) for code in _by_country_name(everywhere)],
        fallback=fallback,
        countries=country_choices(),
    )


@bp.get("/side-effects")
def side_effects():
    country, unknown = viewer_country()
    regulators = contacts.all_regulators()
    return render_template(
        "help/side_effects.html",
        country=country,
        unknown_country=unknown,
        regulator=contacts.regulator_for(country),
        regulators=[regulators[code] for code in _by_country_name(regulators)],
        fallback=contacts.fallback_regulator(),
        countries=country_choices(),
    )


@bp.get("/about")
def about():
    return render_template("help/about.html")
