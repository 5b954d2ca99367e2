"""Pure text checks: CML medicines, side effects, self-harm and personal details in a post.

No database and no request: give them text, get back what was found and where. The word lists
live in ``data/*.json``; every text is checked against every locale's lists, because members mix
languages ("Sprycel gav mig a terrible rash"). Offsets index the text after Unicode NFC
normalisation, which is the text itself for anything a browser sends.

These functions flag; people decide. The lists lean towards flagging: a side effect missed is
a legal failure, a false alarm costs a safety officer a minute.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

DATA = Path(__file__).parent / "data"


# Cached per process: it depends only on the shipped data files (and the lexicons built from them),
# never on database rows, so every instance holds the same value and nothing needs invalidating.
@cache
def load_data(name: str) -> dict:
    """One of the JSON files in ``data/``, read once per process."""
    with (DATA / name).open(encoding="utf-8") as handle:
        return json.load(handle)


# -- what the checks return -------------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    """A stretch of the text: what was written there and where."""

    matched: str
    start: int
    end: int

    @property
    def span(self) -> tuple[int, int]:
        return (self.start, self.end)


@dataclass(frozen=True)
class Medicine(Match):
    """A CML medicine named in the text, by any of its names ("Tasignan" -> nilotinib)."""

    generic: str


@dataclass(frozen=True)
class Reaction(Match):
    """A side-effect term, with its canonical English label ("kramper" -> "Muscle spasms")."""

    label: str
    locale: str


@dataclass(frozen=True)
class AdverseEventSignal:
    """A CML medicine and a side effect in the same text: a possible adverse event."""

    medicines: tuple[Medicine, ...]
    reactions: tuple[Reaction, ...]

    @property
    def generics(self) -> tuple[str, ...]:
        """The medicines' generic names, each once, in order of first mention."""
        return tuple(dict.fromkeys(medicine.generic for medicine in self.medicines))

    @property
    def reaction_labels(self) -> tuple[str, ...]:
        """The reactions' canonical labels, each once, in order of first mention."""
        return tuple(dict.fromkeys(reaction.label for reaction in self.reactions))

    @property
    def spans(self) -> tuple[tuple[int, int], ...]:
        """Every matched stretch, medicines and reactions, in text order (for highlighting)."""
        return tuple(sorted(match.span for match in (*self.medicines, *self.reactions)))


@dataclass(frozen=True)
class SelfHarmPhrase(Match):
    """A phrase from the self-harm list, as the list has it and as it was written."""

    phrase: str
    locale: str


@dataclass(frozen=True)
class SelfHarmSignal:
    """Words suggesting the writer may be at risk of harming themselves."""

    phrases: tuple[SelfHarmPhrase, ...]

    @property
    def spans(self) -> tuple[tuple[int, int], ...]:
        return tuple(phrase.span for phrase in self.phrases)


#: The kinds of personal detail :func:`find_personal_details` reports.
PERSONAL_DETAIL_KINDS = ("email", "phone", "personal_identity_number")


@dataclass(frozen=True)
class PersonalDetail(Match):
    """Contact details or an identity number that should not be in a post."""

    kind: str  # one of PERSONAL_DETAIL_KINDS


# -- building patterns from the lists ---------------------------------------------------------

_APOSTROPHE = "['’ʼ]?"
_HYPHEN = "[-‐‑\\s]?"


def _normalise(text: str) -> str:
    text = text or ""
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def _phrase_regex(phrase: str, suffixes: Iterable[str] = ()) -> str:
    """A whole-word pattern: any whitespace between words, optional apostrophes and hyphens;
    a trailing ``*`` takes any word ending, else the last word may take one of ``suffixes``."""
    prefix = phrase.endswith("*")
    words = phrase.rstrip("*").replace("’", "'").split()
    parts = [re.escape(word).replace("'", _APOSTROPHE).replace("\\-", _HYPHEN) for word in words]
    pattern = r"\s+".join(parts)
    if prefix:
        pattern += r"\w*"
    elif suffixes:
        pattern += "(?:" + "|".join(sorted(map(re.escape, suffixes), key=len, reverse=True)) + ")?"
    return pattern


def _alternation(phrases: Iterable[str], suffixes: Iterable[str] = ()) -> re.Pattern[str]:
    """One pattern for many phrases; longer phrases first, so "muscle cramp" beats "cramp"."""
    suffixes = tuple(suffixes)
    ordered = sorted(set(phrases), key=lambda phrase: (-len(phrase), phrase))
    body = "|".join(_phrase_regex(phrase, suffixes) for phrase in ordered)
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)", re.IGNORECASE)


@dataclass(frozen=True)
class _Lexicon:
    """A compiled list: one scanning pattern plus one full-match pattern per term."""

    scanner: re.Pattern[str]
    terms: tuple[tuple[re.Pattern[str], str, str], ...]  # (pattern, term, value)

    @classmethod
    def build(cls, terms: dict[str, str], suffixes: Iterable[str] = ()) -> _Lexicon:
        suffixes = tuple(suffixes)
        ordered = sorted(terms, key=lambda term: (-len(term), term))
        compiled = tuple(
            (re.compile(_phrase_regex(term, suffixes), re.IGNORECASE), term, terms[term])
            for term in ordered
        )
        return cls(_alternation(terms, suffixes), compiled)

    def finditer(self, text: str) -> Iterable[tuple[re.Match[str], str, str]]:
        """(match, term, value) for each hit, in text order."""
        for match in self.scanner.finditer(text):
            for pattern, term, value in self.terms:
                if pattern.fullmatch(match.group()):
                    yield match, term, value
                    break


def _inside(span: tuple[int, int], others: Iterable[tuple[int, int]]) -> bool:
    return any(start <= span[0] and span[1] <= end for start, end in others)


def _spans(pattern: re.Pattern[str] | None, text: str) -> list[tuple[int, int]]:
    return [match.span() for match in pattern.finditer(text)] if pattern else []


# -- medicines --------------------------------------------------------------------------------


@cache
def _medicine_lexicon() -> _Lexicon:
    data = load_data("medicines.json")
    names: dict[str, str] = {}
    for medicine in data["medicines"]:
        for name in (medicine["generic"], *medicine["brands"], *medicine["variants"]):
            names[name.casefold()] = medicine["generic"]
    return _Lexicon.build(names, data["suffixes"])


def find_medicines(text: str) -> list[Medicine]:
    """Every mention of a CML medicine by generic name, brand or common misspelling."""
    text = _normalise(text)
    return [
        Medicine(match.group(), match.start(), match.end(), generic)
        for match, _term, generic in _medicine_lexicon().finditer(text)
    ]


# -- side effects -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _SideEffectLocale:
    lexicon: _Lexicon
    exclusions: re.Pattern[str] | None
    negation: re.Pattern[str] | None


@cache
def _side_effect_locales() -> dict[str, _SideEffectLocale]:
    compiled = {}
    for locale, data in load_data("side_effects.json")["locales"].items():
        terms = {term: label for label, words in data["reactions"].items() for term in words}
        negations = data.get("negations") or []
        compiled[locale] = _SideEffectLocale(
            _Lexicon.build(terms, data.get("suffixes", ())),
            _alternation(data["exclusions"]) if data.get("exclusions") else None,
            # A negation word right before the term, only spaces between: "no rash", "inga kramper".
            re.compile(rf"(?<!\w)(?:{'|'.join(map(re.escape, negations))})\s+$", re.IGNORECASE)
            if negations
            else None,
        )
    return compiled


def side_effect_locales() -> tuple[str, ...]:
    """The locales the side-effect lexicon has lists for."""
    return tuple(_side_effect_locales())


def find_side_effects(text: str, locales: Iterable[str] | None = None) -> list[Reaction]:
    """Side-effect terms in the text, from every locale's list (or only ``locales``).

    Idioms ("rash decisions", "tired of") and terms straight after a negation ("no rash")
    are left out. A stretch found by two locales' lists is reported once.
    """
    text = _normalise(text)
    found: dict[tuple[int, int], Reaction] = {}
    for locale, lists in _side_effect_locales().items():
        if locales is not None and locale not in locales:
            continue
        excluded = _spans(lists.exclusions, text)
        for match, _term, label in lists.lexicon.finditer(text):
            if match.span() in found or _inside(match.span(), excluded):
                continue
            start = match.start()
            if lists.negation and lists.negation.search(text, max(0, start - 40), start):
                continue
            found[match.span()] = Reaction(match.group(), match.start(), match.end(), label, locale)
    return sorted(found.values(), key=lambda reaction: reaction.span)


def detect_adverse_event(text: str) -> AdverseEventSignal | None:
    """A signal when the text names a CML medicine and a side effect; else None."""
    medicines = find_medicines(text)
    if not medicines:
        return None
    reactions = find_side_effects(text)
    if not reactions:
        return None
    return AdverseEventSignal(tuple(medicines), tuple(reactions))


# -- self-harm --------------------------------------------------------------------------------


@cache
def _self_harm_locales() -> dict[str, tuple[_Lexicon, re.Pattern[str] | None]]:
    compiled = {}
    for locale, data in load_data("self_harm.json")["locales"].items():
        safe = data.get("safe_contexts") or []
        compiled[locale] = (
            _Lexicon.build({phrase: phrase for phrase in data["phrases"]}),
            _alternation(safe) if safe else None,
        )
    return compiled


def detect_self_harm(text: str) -> SelfHarmSignal | None:
    """A signal when the text has words of suicide or self-harm, in any locale; else None.

    No negation handling, on purpose: "I don't want to live like this" must reach a person.
    Only helpline names ("Självmordslinjen") and "I don't want to die" are safe contexts.
    """
    text = _normalise(text)
    found: dict[tuple[int, int], SelfHarmPhrase] = {}
    safe: list[tuple[int, int]] = []
    for _lexicon, safe_pattern in _self_harm_locales().values():
        safe.extend(_spans(safe_pattern, text))
    for locale, (lexicon, _safe) in _self_harm_locales().items():
        for match, phrase, _value in lexicon.finditer(text):
            if match.span() not in found and not _inside(match.span(), safe):
                found[match.span()] = SelfHarmPhrase(
                    match.group(), match.start(), match.end(), phrase, locale
                )
    if not found:
        return None
    return SelfHarmSignal(tuple(sorted(found.values(), key=lambda phrase: phrase.span)))


# -- personal details -------------------------------------------------------------------------

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}(?![\w-])")

# Swedish personal identity number (personnummer) or coordination number (samordningsnummer):
# YYMMDD-NNNN, YYMMDD+NNNN (100 or older), YYYYMMDDNNNN or YYYYMMDD-NNNN.
_PERSONAL_NUMBER = re.compile(
    r"(?<![\w+-])(?P<century>19|20)?(?P<date>\d{6})(?P<sep>[-+]?)(?P<serial>\d{3})(?P<check>\d)"
    r"(?![\w]|[-+]\d)"
)

_PHONE = re.compile(
    r"""(?<![\w+.,/-])
    (?:
        (?:\+|00)\d{1,3}(?:[\ .-]?\(0\))?(?:[\ .-]?\(?\d{1,4}\)?){2,6}   # +46 70 123 45 67
      | \(\d{2,4}\)[\ .-]?\d{2,4}(?:[\ .-]?\d{2,4}){1,3}                  # (555) 123-4567
      | 0\d{1,3}(?:[\ ./-]?\d{2,4}){2,4}                                  # 070-123 45 67
      | \d{3}[.-]\d{3}[.-]\d{4}                                           # 555-123-4567
    )
    (?!\w|[.,/:-]\d)""",
    re.VERBOSE,
)

_DATE_SHAPED = re.compile(r"\d{1,4}([-./ ])\d{1,2}\1\d{1,4}")
_NUMBER_SHAPED = re.compile(r"\d{6}[-+]\d{4}|\d{8}-?\d{4}")


def luhn_check_digit(digits: str) -> int:
    """The Luhn check digit of a string of digits (Swedish personal numbers use it)."""
    total = 0
    for position, digit in enumerate(int(char) for char in reversed(digits)):
        product = digit * 2 if position % 2 == 0 else digit
        total += product - 9 if product > 9 else product
    return (10 - total % 10) % 10


def _is_valid_date(years: Iterable[int], month: int, day: int) -> bool:
    for year in years:
        try:
            date(year, month, day)
        except ValueError:
            continue
        return True
    return False


def is_personal_identity_number(match: re.Match[str]) -> bool:
    """Whether a match of the personal-number pattern is a real date with a valid check digit."""
    century, sep = match["century"], match["sep"]
    if (century is None and not sep) or (century is not None and sep == "+"):
        return False  # ten digits need a separator; twelve carry the century instead of "+"
    ymd = match["date"]
    year, month, day = int(ymd[:2]), int(ymd[2:4]), int(ymd[4:])
    if day > 60:
        day -= 60  # a coordination number: the day of birth plus 60
    years = [int(century) * 100 + year] if century else [1800 + year, 1900 + year, 2000 + year]
    if not _is_valid_date(years, month, day):
        return False
    return luhn_check_digit(ymd + match["serial"]) == int(match["check"])


def find_personal_details(text: str) -> list[PersonalDetail]:
    """Email addresses, phone numbers and Swedish personal identity numbers, in text order.

    A phone number has 8 to 15 digits; dates, years, lab values (0.1 %, MR4.5) and numbers
    shaped like a personal number but failing its checks are not reported.
    """
    text = _normalise(text)
    found = [
        PersonalDetail(match.group(), match.start(), match.end(), "email")
        for match in _EMAIL.finditer(text)
    ]
    found += [
        PersonalDetail(match.group(), match.start(), match.end(), "personal_identity_number")
        for match in _PERSONAL_NUMBER.finditer(text)
        if is_personal_identity_number(match)
    ]
    taken = [detail.span for detail in found]
    for match in _PHONE.finditer(text):
        candidate = match.group()
        digits = sum(char.isdigit() for char in candidate)
        if not 8 <= digits <= 15 or _DATE_SHAPED.fullmatch(candidate):
            continue
        if _NUMBER_SHAPED.fullmatch(candidate) or _overlaps(match.span(), taken):
            continue
        found.append(PersonalDetail(candidate, match.start(), match.end(), "phone"))
    return sorted(found, key=lambda detail: detail.span)


def _overlaps(span: tuple[int, int], others: Iterable[tuple[int, int]]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in others)


# -- everything at once -----------------------------------------------------------------------


@dataclass(frozen=True)
class TextScan:
    """Everything the safety checks found in one text."""

    adverse_event: AdverseEventSignal | None
    self_harm: SelfHarmSignal | None
    personal_details: tuple[PersonalDetail, ...]

    def __bool__(self) -> bool:
        return bool(self.adverse_event or self.self_harm or self.personal_details)


def scan_text(text: str) -> TextScan:
    """Run every check on a text (a story, a comment, a message) at once."""
    return TextScan(
        detect_adverse_event(text), detect_self_harm(text), tuple(find_personal_details(text))
    )
