"""The demo community: pseudonymous members in many countries, patients and relatives."""

from __future__ import annotations

DEMO_PASSWORD = "cml-earth-demo-2026"  # noqa: S105  (printed for the demo; refused in production)

# (username, role, country, locale, health consent)
MEMBERS: list[tuple[str, str, str, str, bool]] = [
    # Sweden
    ("AnnaFranStockholm", "patient", "SE", "sv", True),
    ("ErikMedHund", "relative", "SE", "sv", False),
    ("Lingonskogen", "patient", "SE", "sv", True),
    ("MalmoMats", "patient", "SE", "sv", False),
    ("Kaffekoppen", "relative", "SE", "sv", False),
    ("NorrlandsNina", "patient", "SE", "sv", True),
    ("GoteborgsGunnar", "relative", "SE", "en", False),
    ("SkargardsSara", "patient", "SE", "sv", True),
    # United Kingdom
    ("TeaAndTKIs", "patient", "GB", "en", True),
    ("YorkshireRose", "relative", "GB", "en", False),
    ("BrightonWalker", "patient", "GB", "en", True),
    ("GlasgowGran", "relative", "GB", "en", False),
    # Germany
    ("Schwarzwaldlaeufer", "patient", "DE", "en", True),
    ("HamburgerHafen", "relative", "DE", "en", False),
    ("BerlinerBaer", "patient", "DE", "en", False),
    # France
    ("LyonLumiere", "patient", "FR", "en", True),
    ("BretagneBleue", "relative", "FR", "en", False),
    ("ProvenceLavande", "patient", "FR", "en", True),
    # Spain
    ("SevillaSol", "patient", "ES", "en", True),
    ("MadridMadre", "relative", "ES", "en", False),
    ("CostaBravaCarlos", "patient", "ES", "en", False),
    # United States
    ("OhioOptimist", "patient", "US", "en", True),
    ("TexasTwoStep", "relative", "US", "en", False),
    ("SeattleRain", "patient", "US", "en", True),
    ("BostonBookworm", "patient", "US", "en", False),
    ("CarolinaCaregiver", "relative", "US", "en", False),
    # Finland
    ("SaunaSisu", "patient", "FI", "sv", True),
    ("TampereTuuli", "relative", "FI", "en", False),
    ("HelsinkiHilla", "patient", "FI", "en", True),
    # Norway
    ("FjordFrida", "patient", "NO", "en", True),
    ("BergenBjorn", "relative", "NO", "en", False),
    ("TromsoTone", "patient", "NO", "en", False),
    # Denmark
    ("AarhusAsta", "patient", "DK", "en", True),
    ("KobenhavnKim", "relative", "DK", "en", False),
    # Italy
    ("ToscanaTeresa", "patient", "IT", "en", True),
    ("NapoliNino", "relative", "IT", "en", False),
    ("MilanoMarta", "patient", "IT", "en", False),
    # Netherlands
    ("UtrechtFietser", "patient", "NL", "en", True),
    ("TulpenTineke", "relative", "NL", "en", False),
    # Poland
    ("KrakowKasia", "patient", "PL", "en", True),
    ("GdanskGosia", "relative", "PL", "en", False),
    # Canada, Australia, India, Brazil, Kenya, Japan
    ("MapleLeafMo", "patient", "CA", "en", True),
    ("QuebecQuietude", "relative", "CA", "en", False),
    ("SydneySurfer", "patient", "AU", "en", True),
    ("PerthPelican", "relative", "AU", "en", False),
    ("PuneParvati", "patient", "IN", "en", True),
    ("RioRenata", "patient", "BR", "en", False),
    ("NairobiNjeri", "patient", "KE", "en", True),
    ("OsakaOwl", "patient", "JP", "en", False),
    ("IrishTeaLeaf", "relative", "IE", "en", False),
]

# (username, email, role)
STAFF: list[tuple[str, str, str]] = [
    ("SponsorMaria", "maria.moderator@cml-earth.invalid", "sponsor"),
    ("AdminAlex", "alex.admin@cml-earth.invalid", "admin"),
]


def email_for(username: str) -> str:
    return f"{username.lower()}@demo.cml-earth.invalid"
