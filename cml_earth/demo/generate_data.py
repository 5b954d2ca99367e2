"""Word lists and proportions for ``flask demo generate`` (its texts come from the demo)."""

from __future__ import annotations

#: Where generated members live, as relative weights; the rest of the world shares OTHER_WEIGHT.
COUNTRY_WEIGHTS = {
    "SE": 22, "GB": 12, "US": 14, "DE": 9, "FR": 4, "ES": 3.5, "IT": 3.5, "NL": 2.5, "NO": 3,
    "DK": 2.5, "FI": 3, "PL": 2.5, "CA": 3, "AU": 2, "IE": 1, "IN": 1.5, "BR": 1.5, "KE": 0.5,
    "JP": 0.5, "AT": 1, "CH": 1, "BE": 1, "PT": 0.8, "MX": 0.8, "NZ": 0.5, "ZA": 0.5,
}  # fmt: skip
OTHER_WEIGHT = 4

#: Languages members of a country read and write (ISO 639-1), the first the most common.
COUNTRY_LANGUAGES = {
    "SE": ("sv", "en"), "FI": ("fi", "sv", "en"), "NO": ("nb", "en"), "DK": ("da", "en"),
    "DE": ("de", "en"), "AT": ("de", "en"), "CH": ("de", "fr", "it"), "FR": ("fr", "en"),
    "BE": ("nl", "fr"), "ES": ("es", "en"), "MX": ("es",), "IT": ("it", "en"), "NL": ("nl", "en"),
    "PL": ("pl", "en"), "PT": ("pt", "en"), "BR": ("pt", "es"), "JP": ("ja", "en"),
    "IN": ("en", "hi"), "KE": ("en", "sw"), "CA": ("en", "fr"),
}  # fmt: skip

#: A national group's name in its country's language (others: "CML <English name>").
NATIONAL_NAMES = {
    "NO": "CML Norge", "DK": "CML Danmark", "FI": "KML Suomi", "DE": "CML Deutschland",
    "AT": "CML Österreich", "CH": "CML Schweiz", "FR": "LMC France", "BE": "CML België",
    "ES": "LMC España", "MX": "LMC México", "IT": "LMC Italia", "NL": "CML Nederland",
    "PL": "PBS Polska", "PT": "LMC Portugal", "BR": "LMC Brasil", "JP": "CML 日本",
}  # fmt: skip

NATIONAL_TEXT = {
    "en": "A place for everyone in {country} living with chronic myeloid leukaemia, and for "
    "those close to us. We share everyday life: check-ups, good spells and heavy days. "
    "Experience only, never medical advice.",
    "de": "Ein Ort für alle in {country}, die mit chronischer myeloischer Leukämie leben, und "
    "für ihre Angehörigen. Wir teilen Erfahrungen, keine medizinischen Ratschläge.",
    "fr": "Un lieu pour toutes les personnes en {country} qui vivent avec une leucémie myéloïde "
    "chronique, et pour leurs proches. Nous partageons nos expériences, jamais de conseils "
    "médicaux.",
    "es": "Un lugar para todas las personas de {country} que viven con leucemia mieloide "
    "crónica y para quienes las acompañan. Compartimos experiencias, nunca consejos médicos.",
    "nb": "Et sted for alle i {country} som lever med kronisk myelogen leukemi, og for dem som "
    "står oss nær. Vi deler erfaringer, aldri medisinske råd.",
    "sv": "En plats för alla i {country} som lever med kronisk myeloisk leukemi och för dem som "
    "står oss nära. Vi delar erfarenheter, aldrig medicinska råd.",
}

#: Local groups: a name pattern and a description per language; "{city}" is filled in.
LOCAL_PATTERNS = {
    "sv": (
        "KML-träffen {city}",
        "Vi som lever med KML i {city} med omnejd, här i Sverige, ses på fika varannan månad "
        "och skriver här emellan. Anhöriga är lika välkomna.",
    ),
    "en": (
        "{city} CML Circle",
        "People living with CML in and around {city}, and those close to them. We meet for "
        "coffee now and then and keep in touch here in between.",
    ),
    "de": (
        "CML-Treff {city}",
        "Für alle mit CML in und um {city} und ihre Angehörigen. Wir treffen uns regelmäßig "
        "und tauschen uns hier aus.",
    ),
    "fr": (
        "LMC {city}",
        "Pour les personnes vivant avec une LMC à {city} et aux alentours, et leurs proches. "
        "Un café de temps en temps, et des nouvelles ici.",
    ),
    "es": (
        "LMC {city}",
        "Para quienes viven con LMC en {city} y alrededores, y sus familias. Nos vemos de vez "
        "en cuando para tomar un café.",
    ),
}

#: Topic groups: (name, language, description); a number is added once the list runs out.
TOPICS = (
    ("Treatment-free remission", "en", "For members trying to stop treatment, or thinking about "
     "it: the waiting, the monthly tests, and how life feels in between."),
    ("Newly diagnosed", "en", "The first months after the diagnosis. Ask how others coped, share "
     "what helped you; experience only, never medical advice."),
    ("Relatives and carers", "en", "For partners, parents, children and friends of someone with "
     "CML."),
    ("Nydiagnostiserad i Sverige", "sv", "För dig som nyss fått beskedet, här i Sverige. Vi "
     "berättar hur de första månaderna var för oss."),
    ("Anhöriga i Sverige", "sv", "För oss som står någon med KML nära, i hela Sverige. Här får "
     "oron plats, och glädjen också."),
    ("Nordiskt KML-kafé", "sv", "Ett kafé för oss i Norden: skriv på svenska, norska eller "
     "danska, vi förstår varandra."),
    ("Working with CML", "en", "Jobs, colleagues, telling or not telling, and tiredness at work."),
    ("Running and walking with CML", "en", "Parkruns, long walks and slow jogs: we cheer each "
     "other on."),
    ("Parents with CML", "en", "Raising children while living with CML."),
    ("Young adults with CML", "en", "Diagnosed in your twenties or thirties: study, work, love."),
    ("Leben mit CML", "de", "Alltag mit CML: Arbeit, Familie, Müdigkeit und gute Tage."),
    ("Vivre avec la LMC", "fr", "Le quotidien avec une LMC : travail, famille, fatigue et "
     "beaux jours."),
    ("Vivir con LMC", "es", "El día a día con LMC: trabajo, familia, cansancio y días buenos."),
    ("Travelling with CML", "en", "Holidays, travel insurance, time zones and packing tablets."),
    ("Over seventy with CML", "en", "Grandparents, retirees and late starters."),
)  # fmt: skip

#: Parts of generated handles (ASCII, as members mostly choose them).
FIRST_NAMES = {
    "sv": ("Anna", "Erik", "Lars", "Karin", "Maria", "Sara", "Johan", "Eva", "Nils", "Ingrid",
           "Astrid", "Mats", "Lena", "Olle", "Elsa", "Gunnar", "Maja", "Linnea", "Bengt", "Stina"),
    "en": ("Emma", "James", "Olivia", "Jack", "Sophie", "Harry", "Grace", "Tom", "Lucy", "Sam",
           "Maggie", "Ben", "Chloe", "Dan", "Ruth", "Mike", "Jen", "Alex", "Kate", "Chris"),
    "de": ("Lukas", "Anna", "Jonas", "Lea", "Felix", "Hanna", "Paul", "Mia", "Max", "Greta"),
    "fr": ("Camille", "Louis", "Chloe", "Hugo", "Manon", "Jules", "Lea", "Arthur", "Ines"),
    "es": ("Lucia", "Pablo", "Carmen", "Diego", "Sofia", "Javier", "Elena", "Marta"),
    "nb": ("Ingrid", "Ola", "Kari", "Bjorn", "Frida", "Sindre", "Tone"),
    "da": ("Freja", "Mads", "Ida", "Rasmus", "Asta", "Kim"),
    "fi": ("Aino", "Eero", "Hilla", "Juha", "Tuuli", "Ville"),
    "it": ("Giulia", "Marco", "Chiara", "Luca", "Teresa", "Nino"),
    "nl": ("Sanne", "Daan", "Tineke", "Bram", "Femke"),
    "pl": ("Kasia", "Piotr", "Gosia", "Tomek", "Ola"),
    "pt": ("Ana", "Joao", "Renata", "Tiago"),
    "ja": ("Yuki", "Haruto", "Aoi", "Ren"),
}  # fmt: skip
HANDLE_WORDS = (
    "Hopp", "Kaffe", "Skogen", "Sjon", "Tea", "Walker", "Rose", "Sun", "Owl", "Fika", "Lakeside",
    "Hope", "Calm", "River", "Garden", "Books", "Runner", "Hiker", "Baker", "Sea", "Birch",
)  # fmt: skip

#: Short words of support in languages the demo texts do not cover.
EXTRA_COMMENTS = {
    "en": ("Sending a hug.", "Thank you for sharing this.", "So good to read, well done!",
           "Thinking of you today.", "I recognise this so well."),
    "sv": ("Kram!", "Tack för att du delar med dig.", "Så fint att läsa.", "Jag känner igen mig."),
    "de": ("Eine Umarmung aus Hamburg.", "Danke fürs Teilen!", "Schön zu lesen."),
    "fr": ("Merci pour ce partage.", "Bon courage !"),
    "es": ("¡Un abrazo!", "Gracias por compartir."),
    "nb": ("Klem fra Bergen!", "Takk for at du deler."),
    "da": ("Knus herfra!", "Tak fordi du deler."),
}  # fmt: skip
