"""The demo community: pseudonymous members in many countries, patients and relatives."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..profiles.models import Visibility

DEMO_PASSWORD = "cml-earth-demo-2026"  # noqa: S105  (printed for the demo; refused in production)  # nosec B105

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


@dataclass(frozen=True)
class DemoProfile:
    """What a demo member has written about themselves and who they let see it."""

    story: str
    languages: tuple[str, ...]
    #: (year of diagnosis, phase at diagnosis, current treatment), for members who consented.
    health: tuple[int, str, str] | None = None
    #: Only the choices that differ from the default, "members" (privacy by default).
    privacy: dict[str, str] = field(default_factory=dict)
    #: Whether the member has a picture rather than their initials.
    avatar: bool = False


PUBLIC, GROUPS, PRIVATE = Visibility.PUBLIC.value, Visibility.GROUPS.value, Visibility.PRIVATE.value

# Stories are invented: no real people, and experience only, never advice (DOMAIN.md).
PROFILES: dict[str, DemoProfile] = {
    # --- Sweden, and a Finland-Swede: stories in Swedish ------------------------------------
    "AnnaFranStockholm": DemoProfile(
        "Jag fick min KML-diagnos hösten 2016, efter ett vanligt blodprov på vårdcentralen som "
        "visade alldeles för många vita blodkroppar. Jag var 41 år och trodde först att det var "
        "ett misstag.\n\n"
        "Jag började med imatinib. Svullnaden runt ögonen och krampen i vaderna tog på krafterna, "
        "så efter ett år bytte vi till nilotinib. Sedan dess har PCR-värdena sjunkit stadigt, och "
        "nu har jag legat på **MR4** i drygt tre år.\n\n"
        "Det som hjälpt mig mest är att prata med andra som vet hur det är. Jag jobbar heltid "
        "igen som lärare, promenerar mycket och har lärt mig att vila utan dåligt samvete. "
        "Är du nydiagnostiserad får du gärna säga hej – jag minns hur rädd jag var.",
        ("sv", "en"),
        health=(2016, "chronic", "nilotinib"),
        privacy={"profile": PUBLIC, "story": PUBLIC, "country": PUBLIC, "avatar": PUBLIC},
        avatar=True,
    ),
    "ErikMedHund": DemoProfile(
        "Min fru fick KML för fyra år sedan. Jag är den som håller koll på provtiderna och lagar "
        "mat när tröttheten slår till. Hunden och jag går långa promenader medan hon vilar.\n\n"
        "Här läser jag mest, men jag vill gärna höra hur andra anhöriga orkar – och hur man "
        "frågar hur det går utan att tjata.",
        ("sv",),
        avatar=True,
    ),
    "Lingonskogen": DemoProfile(
        "Diagnosen kom 2019, mitt i en flytt. Jag tar dasatinib och fick vätska runt lungorna en "
        "gång, så min läkare sänkte dosen. Sedan dess fungerar det bra för mig.\n\n"
        "Skogen är där jag hämtar kraft: jag plockar bär och svamp varje höst och räknar "
        "PCR-svaren som årstider – de har blivit bättre för varje år. Jag jobbar 75 procent som "
        "undersköterska och det passar mig just nu.",
        ("sv", "en"),
        health=(2019, "chronic", "dasatinib"),
        privacy={"health": GROUPS},
    ),
    "MalmoMats": DemoProfile(
        "Jag är här mest för att läsa och lära. Jag har levt med KML i några år och tycker om att "
        "höra hur andra lägger upp vardagen. Fotboll, cykel och barnbarn är det som håller mig "
        "igång.",
        ("sv", "da"),
        privacy={"story": PRIVATE},
        avatar=True,
    ),
    "Kaffekoppen": DemoProfile(
        "Min pappa har haft KML sedan 2012. Han är bättre på att ta sina tabletter än jag är på "
        "att komma ihåg mina vitaminer!\n\n"
        "Jag skriver här för att förstå mer om hur det är att leva med en sjukdom som inte syns "
        "utanpå. Kaffe och långa samtal vid köksbordet har blivit vår grej.",
        ("sv", "en"),
    ),
    "NorrlandsNina": DemoProfile(
        "Jag bor i Norrland och har långt till sjukhuset, så proverna tas oftast på "
        "hälsocentralen här hemma. Jag fick diagnosen 2021 och tar generiskt imatinib.\n\n"
        "Första halvåret var tungt med illamående och trötthet, men det har lagt sig mycket. "
        "Nästa mål är stabil MMR. Vintrarna är långa, men med pannlampa och skidor går det mesta.",
        ("sv",),
        health=(2021, "chronic", "imatinib"),
        avatar=True,
    ),
    "SkargardsSara": DemoProfile(
        "Jag fick KML 2010 och tog imatinib i nästan tio år. Efter lång och djup respons "
        "bestämde jag och min hematolog att försöka med *behandlingsfri remission*.\n\n"
        "Nu har jag varit utan medicin i över tre år, med PCR-prov varje månad i början och "
        "glesare nu. Varje provsvar är fortfarande lite pirrigt. Jag seglar i skärgården varje "
        "sommar och känner mig friskare än på länge – men jag vet att allas resor ser olika ut.",
        ("sv", "en", "de"),
        health=(2010, "chronic", "none"),
        privacy={"story": PUBLIC},
    ),
    "SaunaSisu": DemoProfile(
        "Jag är finlandssvensk och bor vid kusten i Österbotten. Diagnosen kom 2018. Imatinib "
        "gav mig för mycket magbesvär, och nu tar jag bosutinib. Magen behövde några veckor på "
        "sig, sedan blev det bättre.\n\n"
        "Bastun på lördagar är helig, och sisu finns i blodet – även när blodvärdena krånglar. "
        "Skriv gärna på svenska, finska eller engelska.",
        ("sv", "fi", "en"),
        health=(2018, "chronic", "bosutinib"),
        avatar=True,
    ),
    # --- everyone else: stories in English -------------------------------------------------
    "GoteborgsGunnar": DemoProfile(
        "My partner was diagnosed with CML in 2020. I moved to Sweden for work years ago, so the "
        "hospital visits happen in my second language, and this community helps me understand "
        "what the doctors mean.\n\n"
        "I do the cooking on the tired days, and we celebrate every good PCR result with "
        "cinnamon buns.",
        ("en", "sv"),
    ),
    "TeaAndTKIs": DemoProfile(
        "Diagnosed in 2014 at 33, after months of feeling exhausted and a spleen that made "
        "itself known every time I bent over. I started on imatinib, moved to dasatinib when my "
        "12-month result was slower than hoped, and reached **MMR** the year after.\n\n"
        "I work in a library four days a week, run a small book club and keep a spreadsheet of "
        "every PCR result since day one (yes, really). The fatigue still comes in waves; I've "
        "learnt to plan around it rather than fight it.\n\n"
        "Happy to chat about work, travel insurance or just how it feels to wait for results.",
        ("en", "fr"),
        health=(2014, "chronic", "dasatinib"),
        privacy={"profile": PUBLIC, "story": PUBLIC, "avatar": PUBLIC},
        avatar=True,
    ),
    "YorkshireRose": DemoProfile(
        "My mum has CML and lives with us. I'm here to learn how to support her without "
        "fussing. She'd tell you I fuss. Short walks, good tea and honest conversations have "
        "helped us more than anything I've read online.",
        ("en",),
    ),
    "BrightonWalker": DemoProfile(
        "Walking the seafront every morning got me through my first year with CML. I was "
        "diagnosed in 2017 and have been on nilotinib since: a rash and itchy skin early on, and "
        "now my cholesterol gets checked along with everything else.\n\n"
        'Back at work full-time after a phased return. Still learning to say "I\'m tired" '
        "without apologising.",
        ("en",),
        health=(2017, "chronic", "nilotinib"),
        privacy={"health": GROUPS},
        avatar=True,
    ),
    "GlasgowGran": DemoProfile(
        "My grandson was diagnosed at 19. CML is rare at that age and it knocked us all "
        "sideways. He's doing well on his tablets and is back at university. I'm the one who "
        "worries, so I'm here to listen to others, and to knit the odd scarf for hospital days.",
        ("en",),
        privacy={"story": GROUPS},
    ),
    "Schwarzwaldlaeufer": DemoProfile(
        "Trail runner from the Black Forest. Diagnosed in 2012, I took imatinib for eight years "
        "and tried stopping in 2020. After seven months my PCR crept back above MMR, so I "
        "restarted imatinib and was back in deep response within a few months.\n\n"
        "It felt like a failure at first; now I see it as one more thing I learned about my own "
        "body. I still run, just slower, and with more snacks.",
        ("de", "en"),
        health=(2012, "chronic", "imatinib"),
        avatar=True,
    ),
    "HamburgerHafen": DemoProfile(
        "My husband has had CML since 2019. He is the calm one; I'm the one reading everything "
        "at two in the morning. I'm trying to read less and ask better questions at his "
        "appointments instead. English is my second language, so please be patient with me.",
        ("de", "en"),
    ),
    "BerlinerBaer": DemoProfile(
        "Musician, cyclist, coffee enthusiast. I keep the medical side to myself for now, but "
        "I'm glad this place exists.",
        ("de", "en"),
        privacy={"story": PRIVATE, "country": PRIVATE},
        avatar=True,
    ),
    "LyonLumiere": DemoProfile(
        "Diagnosed in spring 2022 after a routine blood test before a small operation. I'm on "
        "imatinib. The first months were a blur of appointments; for me the worst side effects "
        "were cramps at night and puffy eyes in the morning.\n\n"
        "My 6-month PCR was under 1%, and I cried in the car park: happy tears. I teach "
        "photography and take a picture of the hospital garden on every visit.",
        ("fr", "en"),
        health=(2022, "chronic", "imatinib"),
    ),
    "BretagneBleue": DemoProfile(
        "My daughter lives with CML. She's 28 and far more relaxed about it than I am. I joined "
        "to understand her world a little better and to meet other parents. Crêpes on "
        "result day are a family tradition now, good news or not.",
        ("fr", "en"),
        avatar=True,
    ),
    "ProvenceLavande": DemoProfile(
        "Diagnosed in 2008, when I was 52. I was on imatinib for years, then moved to nilotinib "
        "when my response stalled. My results have been stable in deep response for a long "
        "time now.\n\n"
        "Retired, I grow lavender and tomatoes. For me the first year was the hardest, and life "
        "did come back. That is what I wish someone had told me at the start.",
        ("fr",),
        health=(2008, "chronic", "nilotinib"),
    ),
    "SevillaSol": DemoProfile(
        "Diagnosed in 2023 at 29; I had never heard of CML before. Dasatinib has been mostly "
        "kind to me, apart from headaches in the first weeks and some tiredness in the "
        "afternoons. My 3-month result was under 10% and I'm waiting for the next one.\n\n"
        "I'm an architect, and I'm slowly learning to draw my own limits as well as buildings.",
        ("es", "en"),
        health=(2023, "chronic", "dasatinib"),
        avatar=True,
    ),
    "MadridMadre": DemoProfile(
        "My son was diagnosed two years ago. He tells me everything is fine; I'm here to learn "
        'what "fine" means with CML. I\'d love to hear from other parents of young adults.',
        ("es",),
    ),
    "CostaBravaCarlos": DemoProfile(
        "Fisherman's son, cook, grandfather of three. I've lived with CML for a while now. "
        "Mostly here to read and say hello.",
        ("es", "ca", "en"),
        avatar=True,
    ),
    "OhioOptimist": DemoProfile(
        "Diagnosed in 2015 after a nosebleed that wouldn't stop and bruises I couldn't explain. "
        "Generic imatinib has been my daily companion since. Honestly, the insurance paperwork "
        "has been harder than the side effects (mostly fatigue, and an upset stomach if I skip "
        "breakfast).\n\n"
        "I reached MR4 in 2019. I coach my daughter's softball team and believe in small good "
        "days adding up.",
        ("en", "es"),
        health=(2015, "chronic", "imatinib"),
    ),
    "TexasTwoStep": DemoProfile(
        "My wife has CML and I'm her biggest fan. We used to go dancing every Saturday; now "
        "it's every other Saturday, and we're fine with that. Here to learn, and to pass on "
        "what helped us.",
        ("en",),
        avatar=True,
    ),
    "SeattleRain": DemoProfile(
        "I was diagnosed in March 2020, just as the world shut down, so many of my early "
        "appointments were phone calls. I tried imatinib and then dasatinib, but fluid around "
        "my lungs kept coming back, so I now take asciminib, which has been much easier for "
        "me. My latest PCR was in MMR.\n\n"
        "I work remotely in software, walk in the rain (obviously) and help out at blood "
        "donation drives.",
        ("en",),
        health=(2020, "chronic", "asciminib"),
        privacy={"profile": PUBLIC, "story": PUBLIC, "health": PUBLIC},
    ),
    "BostonBookworm": DemoProfile(
        "Librarian, crossword addict, cat person. I'd rather share book recommendations than "
        "lab numbers, so ask me about those!",
        ("en",),
        avatar=True,
    ),
    "CarolinaCaregiver": DemoProfile(
        "I'm a daughter and a caregiver. My dad was diagnosed with CML at 70 and lives with my "
        "family. I look after the pill organiser and the calendar, and I've learned to write my "
        "questions down before every appointment.\n\n"
        "Caring is easier when you don't feel alone, which is why I'm here.",
        ("en",),
        privacy={"profile": PUBLIC, "story": PUBLIC},
    ),
    "TampereTuuli": DemoProfile(
        "My brother has CML. We grew up in Tampere and still go to the lake every summer. I'm "
        "here to understand his treatment better and to find other siblings: we get a bit "
        "forgotten sometimes!",
        ("fi", "en"),
        avatar=True,
    ),
    "HelsinkiHilla": DemoProfile(
        "Newly diagnosed in 2024 and still learning all the words: BCR::ABL1, IS, MMR. I'm on "
        "imatinib, and right now my biggest struggles are tiredness and feeling cold all the "
        "time.\n\n"
        "I'm a student and have just gone back to lectures part-time. Reading other people's "
        "stories here helps more than I expected.",
        ("fi", "en", "sv"),
        health=(2024, "chronic", "imatinib"),
        privacy={"story": GROUPS, "health": GROUPS},
    ),
    "FjordFrida": DemoProfile(
        "Diagnosed in 2011, treated with imatinib and later nilotinib. After years in deep "
        "molecular response I stopped treatment in 2021 to try treatment-free remission, with "
        "a PCR test every month at first. So far my results have stayed low.\n\n"
        "I know it doesn't work out for everyone, and I'm grateful every time the letter comes. "
        "I'm a ferry engineer and spend my free time on the water.",
        ("no", "en"),
        health=(2011, "chronic", "none"),
        privacy={"profile": PUBLIC},
        avatar=True,
    ),
    "BergenBjorn": DemoProfile(
        "My partner has CML. Bergen has more rainy days than anyone should have to count; we've "
        "learnt that good raincoats and good friends are much the same thing. I'm here to learn "
        "and to cheer.",
        ("no", "en"),
    ),
    "TromsoTone": DemoProfile(
        "I live above the Arctic Circle, and I live with CML. Northern lights in winter, "
        "midnight sun in summer, and a lot of reading here in between.",
        ("no", "se", "en"),
        avatar=True,
    ),
    "AarhusAsta": DemoProfile(
        "Diagnosed in 2019 at 45. Nilotinib means planning my meals around my doses, which "
        "took some organising with two teenagers and a busy kitchen. My PCR has been under "
        "0.1% since 2021.\n\n"
        "I'm a nurse, which means I know too much and too little at the same time.",
        ("da", "en"),
        health=(2019, "chronic", "nilotinib"),
        privacy={"country": PRIVATE},
    ),
    "KobenhavnKim": DemoProfile(
        "My mother lives with CML. I cycle over to her every Sunday with fresh bread. I joined "
        "to understand her test results and to meet other grown-up children caring for a "
        "parent.",
        ("da", "en"),
        avatar=True,
    ),
    "ToscanaTeresa": DemoProfile(
        "My CML was found in the accelerated phase in 2016, which was frightening. After two "
        "other medicines did not work well enough for me, my haematologist moved me to "
        "ponatinib, and I have responded well since, with close checks on my blood pressure "
        "and heart.\n\n"
        "I live on a small farm with olive trees, and some days are slower than others. I share "
        'my story because I heard the word "accelerated" with no one to talk to, and I don\'t '
        "want that for anyone else.",
        ("it", "en"),
        health=(2016, "accelerated", "ponatinib"),
        privacy={"avatar": PRIVATE},
    ),
    "NapoliNino": DemoProfile(
        "My father has CML. Espresso, football and long Sunday lunches are how our family "
        "copes. I'm here for him, and a little for myself.",
        ("it",),
        privacy={"profile": GROUPS},
        avatar=True,
    ),
    "MilanoMarta": DemoProfile(
        "Designer in Milan, living with CML. I keep my details to myself for now; happy to talk "
        "about work, fatigue and finding a balance between the two.",
        ("it", "en"),
    ),
    "UtrechtFietser": DemoProfile(
        "Diagnosed in 2018. I cycle 15 km to work every day, except on the days the fatigue "
        "says no. Imatinib has been good to me: my PCR reached MMR after 14 months, a bit later "
        "than my doctors hoped, but it got there. Cramps in my calves after long rides are my "
        "most annoying side effect.",
        ("nl", "en", "de"),
        health=(2018, "chronic", "imatinib"),
        avatar=True,
    ),
    "TulpenTineke": DemoProfile(
        "My husband has lived with CML for twelve years. We grow tulips (of course) and have "
        "learned to plan holidays around PCR tests. I like helping newer partners find their "
        "way.",
        ("nl", "en"),
    ),
    "KrakowKasia": DemoProfile(
        "I was diagnosed in 2022, two months after my wedding. Dasatinib made me tired and gave "
        "me a rash at first; it's calmer now. I'm a translator, so I can read medical "
        "information in English, but I joined to hear real experiences, not just numbers.",
        ("pl", "en", "de"),
        health=(2022, "chronic", "dasatinib"),
        privacy={"health": GROUPS},
        avatar=True,
    ),
    "GdanskGosia": DemoProfile(
        "My sister lives with CML. We talk on the phone every evening, and I'm learning how to "
        "be supportive from far away.",
        ("pl", "en"),
    ),
    "MapleLeafMo": DemoProfile(
        "Diagnosed in 2013. I tried imatinib and dasatinib before bosutinib, which has suited me "
        "best; the stomach trouble in the first weeks settled down. I teach high-school science "
        "and love explaining PCR to my students, without telling them why I know so much about "
        "it.",
        ("en", "fr"),
        health=(2013, "chronic", "bosutinib"),
        avatar=True,
    ),
    "QuebecQuietude": DemoProfile(
        "My partner lives with CML. I read here quietly.",
        ("fr", "en"),
        privacy={"profile": PRIVATE},
    ),
    "SydneySurfer": DemoProfile(
        "Surfer, dad of two, diagnosed in 2021. Nilotinib plus sunscreen every single day: my "
        "skin got very sensitive. My first PCR milestones came on time, and I was back in the "
        "water within a couple of months. Here to share the good days and the flat ones.",
        ("en",),
        health=(2021, "chronic", "nilotinib"),
        avatar=True,
    ),
    "PerthPelican": DemoProfile(
        "My son has CML. He lives on the other side of the country, which makes it hard. Phone "
        "calls on result days are our ritual.",
        ("en",),
    ),
    "PuneParvati": DemoProfile(
        "Diagnosed in 2017. Generic imatinib made treatment possible for my family. I am a "
        "school administrator and a grandmother, and my PCR has been in MMR for four years.\n\n"
        "I would like to meet other women of my age living with CML.",
        ("en", "hi", "mr"),
        health=(2017, "chronic", "imatinib"),
        avatar=True,
    ),
    "RioRenata": DemoProfile(
        "Dancer and teacher. I'm here to meet others living with CML and to practise my English!",
        ("pt", "en", "es"),
    ),
    "NairobiNjeri": DemoProfile(
        "I was diagnosed in 2019 at 34, after months of tiredness and a swollen belly. I get "
        "imatinib through a patient access programme; getting PCR tests regularly has been the "
        "hardest part. My last result showed a big drop, which gave me hope.\n\n"
        "I'm a nurse and run a small support circle at my church.",
        ("en", "sw"),
        health=(2019, "chronic", "imatinib"),
        avatar=True,
    ),
    "OsakaOwl": DemoProfile(
        "Night owl, tea drinker, living with CML in Osaka. I mostly read here, late at night.",
        ("ja", "en"),
        privacy={"story": PRIVATE},
    ),
    "IrishTeaLeaf": DemoProfile(
        "My husband's CML was diagnosed three years ago. We've become experts in hospital "
        "parking and waiting-room crosswords. I'm here for the other partners: we need each "
        "other.",
        ("en",),
        avatar=True,
    ),
    # --- staff: always shown as staff; they chose to be public too ---------------------------
    "SponsorMaria": DemoProfile(
        "I moderate CML Earth for the sponsor and work in its patient-safety team. I'm not a "
        "doctor and can't give medical advice, but I read what is reported to the moderators "
        "and help keep this a safe and kind place.",
        ("sv", "en"),
        privacy={"profile": PUBLIC, "story": PUBLIC},
    ),
    "AdminAlex": DemoProfile(
        "I look after the technical side of CML Earth: updates, backups and settings.",
        ("en", "sv"),
        privacy={"profile": PUBLIC, "story": PUBLIC},
    ),
}
