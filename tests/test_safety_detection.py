"""The safety checks on member text, and the crisis and regulator data: pure functions, no app.

The matrices are the contract with the safety team: every "opens a case" line must keep opening
one and every "stays quiet" line must stay quiet, in English, Swedish and a mix of both.
"""

from __future__ import annotations

import configparser
import unicodedata

import pytest
from flask import Flask
from flask_babel import Babel

from cml_earth import PROJECT_ROOT
from cml_earth.safety import contacts
from cml_earth.safety.detection import (
    AdverseEventSignal,
    detect_adverse_event,
    detect_self_harm,
    find_medicines,
    find_personal_details,
    find_side_effects,
    load_data,
    luhn_check_digit,
    scan_text,
)

# -- adverse events ---------------------------------------------------------------------------

OPENS_A_CASE = [
    # (text, generic names, reaction labels)
    ("Jag fick svåra muskelkramper av Sprycel", {"dasatinib"}, {"Muscle spasms"}),
    ("Since switching to Tasigna I have a rash", {"nilotinib"}, {"Rash"}),
    ("Glivec gives me terrible cramps in my calves", {"imatinib"}, {"Muscle spasms"}),
    (
        "Two weeks on dasatinib and I was short of breath; they found fluid on my lungs",
        {"dasatinib"},
        {"Dyspnoea", "Pleural effusion"},
    ),
    ("Tasignan ger mig huvudvärk varje morgon", {"nilotinib"}, {"Headache"}),
    ("imatinibet gör mig så trött", {"imatinib"}, {"Fatigue"}),
    ("Vätska i lungsäcken sedan jag började med Sprycelen", {"dasatinib"}, {"Pleural effusion"}),
    ("Bosulif: diarrhea every day for the first month", {"bosutinib"}, {"Diarrhoea"}),
    ("High blood pressure ever since Iclusig", {"ponatinib"}, {"Hypertension"}),
    ("Scemblix made my skin so itchy", {"asciminib"}, {"Pruritus"}),
    ("Gleevec = puffy eyes every morning", {"imatinib"}, {"Oedema"}),
    ("Jag mår illa av glivek", {"imatinib"}, {"Nausea"}),
    ("Hair loss on SPRYCEL 100 mg, anyone else?", {"dasatinib"}, {"Alopecia"}),
    ("Sprycel gav mig a terrible rash", {"dasatinib"}, {"Rash"}),
    ("Danziten: kräkningar och diarré hela veckan", {"nilotinib"}, {"Vomiting", "Diarrhoea"}),
    ("Since the switch to Tasigna I have had palpitations", {"nilotinib"}, {"Palpitations"}),
    (unicodedata.normalize("NFD", "Illamående av Sprycel"), {"dasatinib"}, {"Nausea"}),
    ("Ont i lederna sen jag bytte till bosutinib", {"bosutinib"}, {"Arthralgia"}),
    (
        "Started asciminib in March. Headaches and nausea since.",
        {"asciminib"},
        {"Headache", "Nausea"},
    ),
    ("Imatinib-behandlingen ger mig svullnad runt ögonen", {"imatinib"}, {"Oedema"}),
    ("Sprycell has given me nosebleeds", {"dasatinib"}, {"Haemorrhage"}),
    ("Jag har fått blåmärken överallt av Iclusig", {"ponatinib"}, {"Haemorrhage"}),
    ("I never had cramps before Glivec", {"imatinib"}, {"Muscle spasms"}),
    ("Tasigna\n\nand   muscle\tcramps", {"nilotinib"}, {"Muscle spasms"}),
]

STAYS_QUIET = [
    "I take Sprycel and feel great",
    "Rash decisions about my holiday",
    "My mother had cramps last week",  # no medicine
    "Tasigna day 100, PCR down to 0.1%",
    "Tasigna, dag 100. PCR-värdet är 0,1 %",
    "Ibuprofen gave me a rash",  # not a CML medicine: outside the sponsor's duty here
    "Our group is called SuperGlivecFans and I have a rash",  # Glivec inside another word
    "No rash on Tasigna so far",
    "Inga kramper alls på Sprycel",
    "Jag har just bytt till Scemblix, inget illamående alls",
    "Jag tar Glivec och mår bra",
    "Jag är trött på att vänta på PCR-svaret om Tasigna",
    "I'm tired of waiting for my dasatinib results",
    "Imatinib, MR4.5 after three years, BCR::ABL1 0.0032%",
    "Cramps and rash are listed in the leaflet",  # no medicine
    "Har haft huvudvärk hela veckan",  # no medicine
    "Glivec, Sprycel and Tasigna are all TKIs",  # no reaction
    "Bosulif arrived at the pharmacy today",
    "Does anyone know the side effects of Iclusig?",  # a question names no reaction
    "",
]


def test_the_matrices_are_big_enough():
    assert len(OPENS_A_CASE) >= 15 and len(STAYS_QUIET) >= 15


@pytest.mark.parametrize(("text", "generics", "labels"), OPENS_A_CASE)
def test_opens_a_case(text, generics, labels):
    signal = detect_adverse_event(text)
    assert isinstance(signal, AdverseEventSignal), text
    assert set(signal.generics) == generics
    assert set(signal.reaction_labels) == labels


@pytest.mark.parametrize("text", STAYS_QUIET)
def test_stays_quiet(text):
    assert detect_adverse_event(text) is None


def test_signal_spans_point_at_the_words():
    text = "Jag fick svåra muskelkramper av Sprycel"
    signal = detect_adverse_event(text)
    assert [text[start:end] for start, end in signal.spans] == ["muskelkramper", "Sprycel"]
    assert signal.medicines[0].matched == "Sprycel"
    assert signal.reactions[0].locale == "sv"


@pytest.mark.parametrize(
    ("text", "generic"),
    [
        ("glivec", "imatinib"),
        ("GLEEVEC", "imatinib"),
        ("Imkeldi", "imatinib"),
        ("Sprycels biverkningar", "dasatinib"),
        ("Tasignan", "nilotinib"),
        ("Danziten", "nilotinib"),
        ("Bosulif", "bosutinib"),
        ("Iclusig", "ponatinib"),
        ("Scemblixet", "asciminib"),
        ("imatinibet", "imatinib"),
        ("(Sprycel)", "dasatinib"),
        ("Glivec-behandling", "imatinib"),
    ],
)
def test_every_name_and_swedish_form_finds_its_medicine(text, generic):
    assert [medicine.generic for medicine in find_medicines(text)] == [generic]


@pytest.mark.parametrize(
    "text", ["Glivecfonden", "xSprycel", "Tasignaland", "imatinibs2", "Glive c"]
)
def test_medicine_names_inside_other_words_do_not_count(text):
    assert find_medicines(text) == []


def test_every_domain_medicine_is_listed():
    listed = {m["generic"]: set(m["brands"]) for m in load_data("medicines.json")["medicines"]}
    assert listed == {
        "imatinib": {"Glivec", "Gleevec", "Imkeldi"},
        "dasatinib": {"Sprycel"},
        "nilotinib": {"Tasigna", "Danziten"},
        "bosutinib": {"Bosulif"},
        "ponatinib": {"Iclusig"},
        "asciminib": {"Scemblix"},
    }


def test_side_effects_from_both_locales_are_found_in_one_text():
    labels = {reaction.label for reaction in find_side_effects("utslag and nausea")}
    assert labels == {"Rash", "Nausea"}
    assert [r.label for r in find_side_effects("utslag and nausea", locales=["en"])] == ["Nausea"]


def test_every_locale_lists_the_same_reactions():
    locales = load_data("side_effects.json")["locales"]
    assert set(locales) >= {"en", "sv"}
    assert set(locales["en"]["reactions"]) == set(locales["sv"]["reactions"])


# -- self-harm --------------------------------------------------------------------------------

SELF_HARM = [
    "I want to die",
    "Sometimes I think about suicide",
    "I feel suicidal tonight",
    "I don't want to live like this anymore",
    "I don’t want to live",  # a typographic apostrophe
    "I'm going to   kill\nmyself",
    "I have been cutting myself again",
    "There is no reason to live",
    "Jag vill inte leva längre",
    "Jag har självmordstankar",
    "Jag orkar inte leva",
    "Jag vill ta livet av mig",
    "Ibland vill jag bara dö",
    "JAG VILL DÖ",
    "Jag skadar mig själv",
    "I called the suicide hotline because I wanted to die",  # a safe phrase does not hide the rest
    "Jag ringde Självmordslinjen för att jag vill dö",
]

NOT_SELF_HARM = [
    "The suicide prevention line in Sweden is 90101",
    "Ring Självmordslinjen på 90101 om du behöver prata",
    "Självmordslinjens chatt är öppen dygnet runt",
    "Call the 988 Suicide & Crisis Lifeline",
    "I don't want to die, I want to see my kids grow up",
    "Jag vill inte dö ifrån mina barn",
    "Tasigna gave me my life back, I can take my life back now",
    "The Samaritans number is 116 123",
    "I would die for a good coffee",
    "",
]


@pytest.mark.parametrize("text", SELF_HARM)
def test_self_harm_is_flagged(text):
    signal = detect_self_harm(text)
    assert signal is not None and signal.phrases, text


@pytest.mark.parametrize("text", NOT_SELF_HARM)
def test_helplines_and_ordinary_words_are_not_flagged(text):
    assert detect_self_harm(text) is None


def test_self_harm_signal_says_which_phrase_and_language():
    (phrase,) = detect_self_harm("Jag har självmordstankar").phrases
    assert (phrase.matched, phrase.phrase, phrase.locale) == (
        "självmordstankar",
        "självmord*",
        "sv",
    )


# -- personal details -------------------------------------------------------------------------

PERSONAL_DETAILS = [
    ("Ring mig på 070-123 45 67", "phone", "070-123 45 67"),
    ("Ring +46 70 123 45 67 i kväll", "phone", "+46 70 123 45 67"),
    ("or +46 (0)70 123 45 67", "phone", "+46 (0)70 123 45 67"),
    ("Call (555) 123-4567 after six", "phone", "(555) 123-4567"),
    ("Call 555-123-4567.", "phone", "555-123-4567"),
    ("Text 0701234567", "phone", "0701234567"),
    ("Tel: +1 555 123 4567", "phone", "+1 555 123 4567"),
    ("Mejla anna.svensson+cml@example.se!", "email", "anna.svensson+cml@example.se"),
    ("Mitt personnummer är 121212-1212", "personal_identity_number", "121212-1212"),
    ("19121212-1212", "personal_identity_number", "19121212-1212"),
    ("pnr 191212121212.", "personal_identity_number", "191212121212"),
    ("född 2000: 20000101-2384", "personal_identity_number", "20000101-2384"),
    ("samordningsnummer 701063-2391", "personal_identity_number", "701063-2391"),
    ("farfar (över 100): 121212+1212", "personal_identity_number", "121212+1212"),
]

NOT_PERSONAL_DETAILS = [
    "Diagnosed 2024-03-15, PCR again 2024-06-15",
    "Next test 15/03/2024 or 03-15-2024",
    "PCR down to 0.1%",
    "MR4.5 reached, BCR::ABL1 0.0032 %",
    "PCR 0,012 % i mars",
    "Diagnosed 2019, TFR since 2023, 2024 2025",
    "121212-1213",  # the check digit is wrong
    "991332-1234",  # no 13th month
    "19121212-1213",
    "Dose 400 mg, 2 x 50 mg, 100 000 kr",
    "Sprycel 100 mg since 2021-01-01",
    "Stories 12345678 views",  # eight digits without a phone number's shape
]


@pytest.mark.parametrize(("text", "kind", "matched"), PERSONAL_DETAILS)
def test_personal_details_are_found(text, kind, matched):
    assert [(d.kind, d.matched) for d in find_personal_details(text)] == [(kind, matched)]


@pytest.mark.parametrize("text", NOT_PERSONAL_DETAILS)
def test_dates_lab_values_and_bad_numbers_are_not_personal_details(text):
    assert find_personal_details(text) == []


def test_luhn_check_digit():
    assert luhn_check_digit("121212121") == 2
    assert luhn_check_digit("701063239") == 1
    assert luhn_check_digit("7992739871") == 3  # the textbook example


def test_long_runs_of_digits_and_symbols_are_fast_to_reject():
    # Would hang on a pattern with catastrophic backtracking; here it returns at once.
    for text in ("0" * 5000, "+" + "1 " * 3000, "a@" * 3000, "-" * 5000, "kill " * 2000):
        scan_text(text)


def test_scan_text_runs_every_check():
    scan = scan_text("Sprycel gives me cramps and I want to die. Ring 070-123 45 67")
    assert scan and scan.adverse_event and scan.self_harm
    assert [detail.kind for detail in scan.personal_details] == ["phone"]
    assert not scan_text("A lovely walk by the lake")


# -- crisis contacts and regulators -----------------------------------------------------------


@pytest.fixture
def babel_app():
    """Just enough Flask for lazy_gettext to turn into English text."""
    app = Flask(__name__)
    Babel(app)
    with app.app_context():
        yield app


@pytest.mark.parametrize(
    ("code", "number"),
    [
        ("SE", "90101"),
        ("se", "112"),
        ("SE", "1177"),
        ("US", "988"),
        ("GB", "116 123"),
        ("IE", "116 123"),
    ],
)
def test_countries_have_their_own_crisis_lines(code, number):
    assert number in [contact.number for contact in contacts.crisis_contacts(code)]
    assert contacts.has_own_crisis_contacts(code)


@pytest.mark.parametrize("code", ["BR", "DE", "JP", "XX", "", None, " se "])
def test_other_countries_get_the_emergency_number(code):
    found = contacts.crisis_contacts(code)
    if code and code.strip().upper() == "SE":
        assert "90101" in [contact.number for contact in found]
    else:
        assert [contact.number for contact in found] == ["112"]
        assert found[0].country_code is None


def test_crisis_contacts_have_names_descriptions_and_dialable_numbers(babel_app):
    everywhere = contacts.all_crisis_contacts()
    assert list(everywhere)[-1] is None  # the fallback comes last
    for lines in everywhere.values():
        for contact in lines:
            assert str(contact.name) and str(contact.description)
            assert contact.tel.startswith("tel:") and contact.tel[4:].isdigit()
            assert contact.url is None or contact.url.startswith("https://")
    samaritans = contacts.crisis_contacts("GB")[0]
    assert samaritans.tel == "tel:116123"
    assert str(contacts.crisis_contacts("BR")[0].name) == "Emergency number"


@pytest.mark.parametrize(
    ("language", "code"),
    [("sv", "SE"), ("SV", "SE"), ("en", None), ("", None), (None, None), ("_comment", None)],
)
def test_a_language_points_to_a_country_only_when_it_is_spoken_mainly_in_one(language, code):
    assert contacts.country_for_language(language) == code


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("SE", "Läkemedelsverket"),
        ("GB", "MHRA Yellow Card"),
        ("US", "FDA MedWatch"),
        ("IE", "HPRA"),
        ("DE", "BfArM"),
        ("DK", "Lægemiddelstyrelsen"),
        ("NO", "DMP"),
        ("FI", "Fimea"),
        ("FR", "ANSM"),
        ("NL", "Lareb"),
        ("ES", "AEMPS"),
        ("IT", "AIFA"),
        ("CA", "MedEffect"),
        ("AU", "TGA"),
        ("se", "Läkemedelsverket"),
    ],
)
def test_regulators_by_country(code, name):
    regulator = contacts.regulator_for(code)
    assert name in regulator.name and not regulator.is_fallback
    assert regulator.url.startswith("https://")


@pytest.mark.parametrize("code", ["BR", "JP", "", None, "??"])
def test_other_countries_get_the_ema_list(code, babel_app):
    regulator = contacts.regulator_for(code)
    assert regulator.is_fallback and regulator is contacts.fallback_regulator()
    assert regulator.url.startswith("https://www.ema.europa.eu/")
    assert "European Medicines Agency" in str(regulator.name)


def test_the_data_files_are_shipped_with_the_package():
    parser = configparser.ConfigParser()
    parser.read(PROJECT_ROOT / "setup.cfg")
    patterns = parser["options.package_data"]["cml_earth"].split()
    assert "safety/data/*.json" in patterns
    assert {path.name for path in (PROJECT_ROOT / "cml_earth/safety/data").glob("*.json")} == {
        "medicines.json",
        "side_effects.json",
        "self_harm.json",
        "crisis_contacts.json",
        "regulators.json",
    }
