"""Demo groups: national, local and topic groups, who belongs to them and what is posted there.

Sweden deliberately has **no** group with its country code, not even a proposal: the product's
story is that a Swedish member founds "CML Sverige" (issue 6). Meanwhile Swedish members meet
in international topic groups, one of them written in Swedish (the Nordic café, founded by a
Finland-Swede).

Descriptions are in each group's language, kind, and about sharing experience: never advice.
Places and coordinates are written out here (no geocoding while seeding: fast and the same on
every run); place names follow the geocoder's "City, CC" form.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..groups.models import GroupKind, GroupStatus, GroupVisibility, JoinPolicy
from .story_data import MEMBERS as STORY_MEMBERS
from .story_data import PUBLIC as STORY_PUBLIC
from .story_data import DemoComment, DemoStory

NATIONAL, LOCAL, TOPIC = GroupKind.NATIONAL.value, GroupKind.LOCAL.value, GroupKind.TOPIC.value
GROUP, MEMBERS, PUBLIC = (
    GroupVisibility.GROUP.value,
    GroupVisibility.MEMBERS.value,
    GroupVisibility.PUBLIC.value,
)
OPEN, APPROVAL = JoinPolicy.OPEN.value, JoinPolicy.APPROVAL.value
ACTIVE, ARCHIVED = GroupStatus.ACTIVE.value, GroupStatus.ARCHIVED.value

#: Sponsor staff who approved every demo group.
DECIDED_BY = "SponsorMaria"


@dataclass(frozen=True)
class DemoGroup:
    slug: str  # stable: a second seed finds the group by it
    name: str
    kind: str
    country_code: str | None
    #: (place name, latitude, longitude), or None for a group of no particular place.
    place: tuple[str, float, float] | None
    languages: tuple[str, ...]
    founder: str  # becomes the group's first moderator
    days_ago: int  # when it was proposed; approved two days later
    description: str
    #: Who else belongs (active members), in the order they joined.
    members: tuple[str, ...] = ()
    #: Who asked to join and waits for a moderator (approval groups only).
    pending: tuple[str, ...] = ()
    moderators: tuple[str, ...] = ()  # besides the founder
    visibility: str = MEMBERS
    join_policy: str = OPEN
    status: str = ACTIVE


GROUPS: list[DemoGroup] = [
    # --- national groups --------------------------------------------------------------------
    DemoGroup(
        "cml-norge",
        "CML Norge",
        NATIONAL,
        "NO",
        ("Oslo, NO", 59.91273, 10.74609),
        ("nb", "en"),
        "FjordFrida",
        210,
        "Et sted for alle i Norge som lever med kronisk myelogen leukemi (KML/CML), og for dem "
        "som står oss nær.\n\n"
        "Her deler vi hverdagen: kontrollene, de gode periodene og de tunge dagene. Skriv på "
        "norsk, svensk, dansk eller engelsk – vi forstår hverandre.\n\n"
        "Vi gir ikke medisinske råd. Spørsmål om behandling hører hjemme hos legen din, men "
        "erfaringer og oppmuntring deler vi gjerne.",
        members=("BergenBjorn", "TromsoTone"),
    ),
    DemoGroup(
        "cml-deutschland",
        "CML Deutschland",
        NATIONAL,
        "DE",
        ("Berlin, DE", 52.52437, 13.41053),
        ("de", "en"),
        "Schwarzwaldlaeufer",
        200,
        "Willkommen in der Gruppe für Menschen mit chronischer myeloischer Leukämie (CML) in "
        "Deutschland – und für alle, die sie begleiten.\n\n"
        "Wir erzählen einander, wie es uns geht: nach der Diagnose, mit den Tabletten, bei der "
        "Arbeit und im Alltag. Jede Frage ist willkommen, und niemand muss stark sein.\n\n"
        "Bitte keine medizinischen Ratschläge: Was die Behandlung angeht, ist das Ärzteteam die "
        "richtige Adresse. Hier teilen wir Erfahrungen.",
        members=("HamburgerHafen", "BerlinerBaer"),
    ),
    DemoGroup(
        "cml-uk",
        "CML UK",
        NATIONAL,
        "GB",
        ("London, GB", 51.50853, -0.12574),
        ("en",),
        "TeaAndTKIs",
        190,
        "For everyone in England, Scotland, Wales and Northern Ireland living with chronic "
        "myeloid leukaemia, and for the people who love them.\n\n"
        "Pull up a chair and put the kettle on. Share the good news, the clinic days and the "
        "days when everything feels like too much. Nobody here will judge you.\n\n"
        "We share experiences, not medical advice: please talk to your haematology team about "
        "your treatment.",
        members=("YorkshireRose", "BrightonWalker", "GlasgowGran"),
        moderators=("YorkshireRose",),
        visibility=PUBLIC,
    ),
    DemoGroup(
        "lmc-france",
        "LMC France",
        NATIONAL,
        "FR",
        ("Paris, FR", 48.85341, 2.3488),
        ("fr", "en"),
        "LyonLumiere",
        180,
        "Le groupe des personnes qui vivent avec une leucémie myéloïde chronique (LMC) en "
        "France, et de leurs proches.\n\n"
        "Ici, on se raconte la vie avec la LMC : les bilans, le travail, la fatigue et les "
        "belles journées aussi. Chacun avance à son rythme.\n\n"
        "Nous partageons des expériences, pas des conseils médicaux : pour le traitement, votre "
        "hématologue reste la bonne personne.",
        members=("BretagneBleue", "ProvenceLavande"),
    ),
    DemoGroup(
        "lmc-espana",
        "LMC España",
        NATIONAL,
        "ES",
        ("Madrid, ES", 40.4165, -3.70256),
        ("es", "en"),
        "SevillaSol",
        170,
        "Un espacio para quienes viven con leucemia mieloide crónica (LMC) en España y para sus "
        "familias.\n\n"
        "Compartimos el día a día: los análisis, el trabajo, el cansancio y también las buenas "
        "noticias. Aquí nadie está solo.\n\n"
        "No damos consejos médicos: las preguntas sobre el tratamiento, mejor con tu equipo de "
        "hematología. Lo nuestro es escucharnos.",
        members=("MadridMadre", "CostaBravaCarlos"),
    ),
    DemoGroup(
        "kml-suomi",
        "KML Suomi",
        NATIONAL,
        "FI",
        ("Helsinki, FI", 60.16952, 24.93545),
        ("fi", "sv", "en"),
        "HelsinkiHilla",
        160,
        "Ryhmä kaikille Suomessa, jotka elävät kroonisen myelooisen leukemian (KML) kanssa, "
        "sekä heidän läheisilleen.\n\n"
        "Kerromme arjesta, kontrolleista ja jaksamisesta – suomeksi, ruotsiksi tai englanniksi. "
        "Gruppen är också till för oss finlandssvenskar.\n\n"
        "Emme anna lääketieteellisiä neuvoja: hoitoon liittyvät kysymykset kannattaa esittää "
        "omalle lääkärille.",
        members=("TampereTuuli", "SaunaSisu"),
    ),
    DemoGroup(
        "cml-danmark",
        "CML Danmark",
        NATIONAL,
        "DK",
        ("Copenhagen, DK", 55.67594, 12.56553),
        ("da", "en"),
        "AarhusAsta",
        150,
        "Gruppen for alle i Danmark, der lever med kronisk myeloid leukæmi (CML), og for deres "
        "pårørende.\n\n"
        "Her fortæller vi om hverdagen med sygdommen: kontrollerne, arbejdet, trætheden og de "
        "gode dage. Alle er velkomne, også hvis du bare vil læse med.\n\n"
        "Vi giver ikke medicinske råd – spørgsmål om behandlingen hører til hos din læge.",
        members=("KobenhavnKim",),
    ),
    DemoGroup(
        "cml-usa",
        "CML USA",
        NATIONAL,
        "US",
        ("Washington, US", 38.89511, -77.03637),
        ("en", "es"),
        "OhioOptimist",
        140,
        "A home for people across the United States living with chronic myeloid leukemia, and "
        "for their families and caregivers.\n\n"
        "Share your milestones, your worries about the next lab results, your insurance "
        "headaches and your small wins. Every state, every story is welcome.\n\n"
        "This is a place for experience and encouragement, not medical advice: please bring "
        "treatment questions to your oncologist.",
        members=("TexasTwoStep", "SeattleRain", "BostonBookworm", "CarolinaCaregiver"),
        visibility=PUBLIC,
    ),
    DemoGroup(
        "lmc-italia",
        "LMC Italia",
        NATIONAL,
        "IT",
        ("Rome, IT", 41.89193, 12.51133),
        ("it", "en"),
        "ToscanaTeresa",
        130,
        "Il gruppo per chi vive con la leucemia mieloide cronica (LMC) in Italia e per chi gli "
        "sta accanto.\n\n"
        "Raccontiamo la nostra quotidianità: i controlli, il lavoro, la stanchezza e le belle "
        "giornate. Ognuno è il benvenuto, anche solo per leggere.\n\n"
        "Non diamo consigli medici: per le domande sulla terapia, il riferimento è il vostro "
        "ematologo.",
        members=("NapoliNino", "MilanoMarta"),
    ),
    DemoGroup(
        "cml-nederland",
        "CML Nederland",
        NATIONAL,
        "NL",
        ("Amsterdam, NL", 52.37403, 4.88969),
        ("nl", "en"),
        "UtrechtFietser",
        120,
        "Voor iedereen in Nederland die leeft met chronische myeloïde leukemie (CML), en voor "
        "hun naasten.\n\n"
        "We delen ervaringen over controles, werk, vermoeidheid en de mooie momenten. Je hoeft "
        "niets te schrijven: meelezen mag ook.\n\n"
        "We geven geen medisch advies; vragen over je behandeling horen bij je hematoloog.",
        members=("TulpenTineke",),
    ),
    DemoGroup(
        "cml-canada",
        "CML Canada",
        NATIONAL,
        "CA",
        ("Ottawa, CA", 45.41117, -75.69812),
        ("en", "fr"),
        "MapleLeafMo",
        110,
        "For Canadians living with chronic myeloid leukemia and the people who care for them, "
        "from coast to coast. Bienvenue aussi en français!\n\n"
        "Tell us how you are doing, ask how others manage long winters and long clinic waits, "
        "and cheer each other on.\n\n"
        "We share experiences, not medical advice: your care team knows your treatment best.",
        members=("QuebecQuietude",),
    ),
    # --- local groups -----------------------------------------------------------------------
    DemoGroup(
        "cml-oslo",
        "CML Oslo",
        LOCAL,
        "NO",
        ("Oslo, NO", 59.91273, 10.74609),
        ("nb",),
        "FjordFrida",
        90,
        "For oss som bor i og rundt Oslo. Vi møtes på kafé en lørdag i måneden, og av og til "
        "på tur i Marka når været er med oss.\n\n"
        "Alle er velkomne, også pårørende. Du trenger ikke si noe – det holder å komme.",
        members=("BergenBjorn",),
    ),
    DemoGroup(
        "berlin-cml-meet-up",
        "Berlin CML meet-up",
        LOCAL,
        "DE",
        ("Berlin, DE", 52.52437, 13.41053),
        ("de", "en"),
        "BerlinerBaer",
        80,
        "Wir treffen uns ungefähr alle sechs Wochen in einem ruhigen Café in Prenzlauer Berg – "
        "mal zu dritt, mal zu zehnt. Newcomers from abroad are very welcome, we switch to "
        "English whenever it helps.\n\n"
        "Kein Programm, kein Vortrag: einfach reden, zuhören, Kuchen essen.",
        visibility=PUBLIC,
    ),
    DemoGroup(
        "yorkshire-cml-coffee-mornings",
        "Yorkshire and the North: CML coffee mornings",
        LOCAL,
        "GB",
        ("Leeds, GB", 53.79648, -1.54785),
        ("en",),
        "YorkshireRose",
        100,
        "Coffee mornings for anyone in Yorkshire and the North touched by CML: patients, "
        "partners, parents, friends. We meet in Leeds on the first Saturday of the month, and "
        "online for those further away.\n\n"
        "Bring yourself; the biscuits are on us.",
        members=("GlasgowGran",),
    ),
    DemoGroup(
        "seattle-cml-circle",
        "Seattle CML Circle",
        LOCAL,
        "US",
        ("Seattle, US", 47.60621, -122.33207),
        ("en",),
        "SeattleRain",
        60,
        "A small, friendly circle for people with CML in the Seattle area and around Puget "
        "Sound. Walks when it is dry, tea when it is not (so mostly tea).",
    ),
    DemoGroup(
        "cml-stammtisch-hamburg",
        "CML-Stammtisch Hamburg",
        LOCAL,
        "DE",
        ("Hamburg, DE", 53.57532, 10.01534),
        ("de",),
        "HamburgerHafen",
        420,
        "Unser Stammtisch hat sich zwei Jahre lang jeden ersten Donnerstag am Hafen getroffen. "
        "Danke an alle, die dabei waren!\n\n"
        "Die Gruppe ist jetzt archiviert: Wir treffen uns weiter über CML Deutschland.",
        members=("Schwarzwaldlaeufer",),
        status=ARCHIVED,
    ),
    # --- topic groups, open to every country ------------------------------------------------
    DemoGroup(
        "treatment-free-remission",
        "Treatment-free remission",
        TOPIC,
        None,
        None,
        ("en",),
        "BrightonWalker",
        175,
        "For members who are thinking about stopping treatment with their doctor, who are "
        "trying it now, who restarted, or who simply want to understand what it is like.\n\n"
        "Every path is a good path here: stopping, waiting, restarting or never trying. We "
        "share how it felt, not what anyone should do; those decisions belong with your "
        "haematologist.",
        members=(
            "AnnaFranStockholm",
            "Lingonskogen",
            "SydneySurfer",
            "ToscanaTeresa",
            "FjordFrida",
            "UtrechtFietser",
            "SaunaSisu",
            "OhioOptimist",
        ),
    ),
    DemoGroup(
        "newly-diagnosed",
        "Newly diagnosed",
        TOPIC,
        None,
        None,
        ("en",),
        "OhioOptimist",
        165,
        'Just heard the word "leukaemia" and feel the floor has gone? You are in the right '
        "place. Many of us remember that week very well.\n\n"
        "Ask anything, say anything, or just read for a while. Members who were diagnosed "
        "years ago drop by to say hello and to tell you how their life looks now.",
        members=(
            "NorrlandsNina",
            "MalmoMats",
            "CostaBravaCarlos",
            "BerlinerBaer",
            "NairobiNjeri",
            "PuneParvati",
            "RioRenata",
            "OsakaOwl",
            "KrakowKasia",
            "TeaAndTKIs",
        ),
        moderators=("TeaAndTKIs",),
        visibility=PUBLIC,
    ),
    DemoGroup(
        "relatives-and-carers",
        "Relatives and carers",
        TOPIC,
        None,
        None,
        ("en", "sv"),
        "CarolinaCaregiver",
        155,
        "For partners, parents, children and friends of someone with CML. Here it is fine to "
        "say that you are tired too, that you worry, or that you do not know what to say.\n\n"
        "The person you care for may also be a member of CML Earth: what you write here is "
        "read only by logged-in members.",
        members=(
            "ErikMedHund",
            "Kaffekoppen",
            "GoteborgsGunnar",
            "YorkshireRose",
            "MadridMadre",
            "TexasTwoStep",
            "BergenBjorn",
            "KobenhavnKim",
            "TulpenTineke",
            "PerthPelican",
            "IrishTeaLeaf",
            "GdanskGosia",
        ),
    ),
    DemoGroup(
        "pregnancy-and-family-planning",
        "Pregnancy and family planning with CML",
        TOPIC,
        None,
        None,
        ("en",),
        "SevillaSol",
        145,
        "A quiet, private room for members who are thinking about a family, are expecting, or "
        "have been through pregnancy with CML, and for their partners.\n\n"
        "Only members of this group can read what is posted here, and a moderator welcomes "
        "each new member personally. We share our own journeys; plans for treatment around a "
        "pregnancy are made with your haematologist and obstetrician.",
        members=("HelsinkiHilla", "KrakowKasia", "SkargardsSara"),
        pending=("PuneParvati",),
        visibility=GROUP,
        join_policy=APPROVAL,
    ),
    DemoGroup(
        "nordiskt-kml-kafe",
        "Nordiskt KML-kafé",
        TOPIC,
        None,
        None,
        ("sv", "nb", "da"),
        "SaunaSisu",
        135,
        "Ett kafé för oss i Norden som lever med KML, och för våra nära. Skriv på svenska, "
        "norska eller danska – vi förstår varandra, och annars frågar vi.\n\n"
        "Här pratar vi om vardagen: provtider, mörka vintrar, midsommar och allt däremellan. "
        "Vi ger inga medicinska råd, men vi delar gärna hur vi har haft det.",
        members=(
            "AnnaFranStockholm",
            "ErikMedHund",
            "Kaffekoppen",
            "NorrlandsNina",
            "SkargardsSara",
            "TromsoTone",
            "AarhusAsta",
        ),
    ),
]

#: Existing demo stories (story_data keys) posted in a group their author belongs to.
STORIES_IN_GROUPS: dict[str, str] = {
    "fjord-1": "cml-norge",
    "tea-2": "cml-uk",
    "ohio-1": "cml-usa",
}

#: New stories written in groups: (group slug, story), in the group's language.
GROUP_STORIES: list[tuple[str, DemoStory]] = [
    (
        "cml-norge",
        DemoStory(
            "norge-tone-1",
            "TromsoTone",
            25,
            "Mørketid og blodprøver",
            "Nå er sola borte her nord til januar. Jeg merker at trøttheten blir tyngre i "
            "mørketida, og i dag tok jeg bussen til sykehuset for kontroll i full snøstorm.\n\n"
            "Det gikk fint, og på vei hjem kjøpte jeg meg en bolle. Hvordan har dere det med "
            "vinteren?",
            "nb",
        ),
    ),
    (
        "cml-deutschland",
        DemoStory(
            "deutschland-hafen-1",
            "HamburgerHafen",
            6,
            "Zum ersten Mal hier als Angehöriger",
            "Mein Bruder hat seit letztem Jahr CML. Er redet nicht viel darüber, und ich weiß "
            "oft nicht, ob ich fragen soll oder lieber nicht.\n\n"
            "Ich lese hier seit ein paar Wochen still mit und wollte einfach mal Hallo sagen.",
            "de",
        ),
    ),
    (
        "newly-diagnosed",
        DemoStory(
            "newly-kasia-1",
            "KrakowKasia",
            2,
            "Hello from Kraków, three weeks in",
            "Three weeks ago I went to the doctor because I was always tired, and now I have a "
            "word I cannot stop thinking about. I started my tablets last week.\n\n"
            "My English is not perfect, sorry. I just wanted to write it somewhere where people "
            "understand.",
        ),
    ),
    (
        "treatment-free-remission",
        DemoStory(
            "tfr-lingon-1",
            "Lingonskogen",
            12,
            "Just starting to talk about it",
            'At my last appointment my haematologist said the word "remission" and asked '
            "whether I had ever thought about stopping one day. I have not decided anything, "
            "and there is no hurry.\n\n"
            "How did it feel for you, the first time the question came up?",
            visibility=STORY_MEMBERS,
        ),
    ),
    (
        "relatives-and-carers",
        DemoStory(
            "carers-erik-1",
            "ErikMedHund",
            18,
            "The waiting room",
            "I have spent a lot of hours in waiting rooms these four years. Today I realised I "
            "know the receptionist's dog's name and she knows mine.\n\n"
            "Small things, but they make the waiting lighter. What gets you through the "
            "waiting?",
        ),
    ),
    (
        "nordiskt-kml-kafe",
        DemoStory(
            "kafe-sara-1",
            "SkargardsSara",
            9,
            "Fika på distans",
            "Jag satt på bryggan i morse med termos och kanelbulle och tänkte att vi borde ha "
            "en digital fika någon gång. Vem är med?",
            "sv",
        ),
    ),
    (
        "berlin-cml-meet-up",
        DemoStory(
            "berlin-meetup-1",
            "BerlinerBaer",
            4,
            "Nächstes Treffen: Samstag im Mauerpark?",
            "Wenn das Wetter hält, treffen wir uns am Samstag um 15 Uhr am Eingang vom "
            "Mauerpark. Bei Regen gehen wir ins Café gegenüber. Ich freue mich auf euch!",
            "de",
            STORY_PUBLIC,
        ),
    ),
]

#: Words of support on group stories, from members of the group.
GROUP_COMMENTS: list[DemoComment] = [
    DemoComment(
        "c-norge-tone-frida",
        "norge-tone-1",
        "FjordFrida",
        "Bolle etter kontroll er en god tradisjon! Her i sør er det bare grått og vått.",
    ),
    DemoComment(
        "c-tfr-lingon-sydney",
        "tfr-lingon-1",
        "SydneySurfer",
        "I felt the same mix of hope and nerves. Take all the time you need.",
    ),
    DemoComment(
        "c-carers-erik-yorkshire",
        "carers-erik-1",
        "YorkshireRose",
        "A flask of tea and a crossword. And knowing someone else is waiting too.",
    ),
    DemoComment(
        "c-kafe-sara-nina",
        "kafe-sara-1",
        "NorrlandsNina",
        "Jag är med! Jag tar med mig en kopp från Norrland.",
    ),
]

#: Group stories that stay without hugs or words: the group page's "waiting for a welcome".
QUIET_STORIES = ("newly-kasia-1", "deutschland-hafen-1", "berlin-meetup-1")

#: Saved places of a few members, so that "groups near me" answers them at once.
PLACES: dict[str, tuple[str, float, float]] = {
    "AnnaFranStockholm": ("Stockholm, SE", 59.32938, 18.06871),
    "GoteborgsGunnar": ("Gothenburg, SE", 57.70716, 11.96679),
    "FjordFrida": ("Oslo, NO", 59.91273, 10.74609),
    "BerlinerBaer": ("Berlin, DE", 52.52437, 13.41053),
    "YorkshireRose": ("Leeds, GB", 53.79648, -1.54785),
    "SeattleRain": ("Seattle, US", 47.60621, -122.33207),
    "KobenhavnKim": ("Copenhagen, DK", 55.67594, 12.56553),
}
