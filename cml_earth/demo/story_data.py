"""Demo stories and words of support: invented, warm, experience only and never advice."""

from __future__ import annotations

from dataclasses import dataclass

from ..profiles.models import Visibility

PUBLIC, MEMBERS, PRIVATE = (
    Visibility.PUBLIC.value,
    Visibility.MEMBERS.value,
    Visibility.PRIVATE.value,
)


@dataclass(frozen=True)
class DemoStory:
    key: str  # stable, so that a second seed finds the story it wrote before
    author: str
    days_ago: int
    title: str
    body: str
    language: str = "en"
    visibility: str = MEMBERS


@dataclass(frozen=True)
class DemoComment:
    key: str
    story: str  # the DemoStory key
    author: str
    body: str


STORIES: list[DemoStory] = [
    # --- in Swedish ---------------------------------------------------------------------------
    DemoStory(
        "anna-1",
        "AnnaFranStockholm",
        120,
        "Tio år sedan diagnosen",
        "I dag är det precis tio år sedan jag fick beskedet. Jag tände ett ljus, tog en lång "
        "promenad runt Djurgården och tänkte på hur rädd jag var då.\n\n"
        "Det har inte alltid varit lätt, men jag lever ett liv jag tycker om. Tack till alla här "
        "som har läst, skrivit och skickat kramar genom åren.",
        "sv",
        PUBLIC,
    ),
    DemoStory(
        "anna-2",
        "AnnaFranStockholm",
        30,
        "Första dagen på jobbet efter sommaren",
        "Trött men glad efter första skoldagen. Eleverna hade så mycket att berätta. Jag har lärt "
        "mig att planera in en lugn kväll efter en lång dag, och i kväll blir det soffan och en "
        "bok.",
        "sv",
    ),
    DemoStory(
        "anna-3",
        "AnnaFranStockholm",
        5,
        "PCR-dag i morgon",
        "Jag vet att det brukar gå bra, men nervositeten kommer ändå varje gång. Någon mer som "
        "sover dåligt natten före provsvaret?",
        "sv",
    ),
    DemoStory(
        "lingon-1",
        "Lingonskogen",
        90,
        "Hösten i skogen",
        "Kantarellerna kom sent i år, men de kom. Jag gick långsammare än förr och satte mig på "
        "stubbar och vilade, och det var helt okej. Korgen blev full till slut.",
        "sv",
    ),
    DemoStory(
        "lingon-2",
        "Lingonskogen",
        14,
        "Ny dos, nya rutiner",
        "Efter samtalet med min läkare har jag fått en ny dos. Det känns ovant att ändra något "
        "som fungerat länge, så jag skriver ner hur dagarna känns i en liten bok. Det hjälper mig "
        "att ha något konkret att ta med till nästa besök.",
        "sv",
    ),
    DemoStory(
        "mats-1",
        "MalmoMats",
        60,
        "Cykeln är tillbaka",
        "För ett år sedan orkade jag knappt cykla till affären. I dag cyklade jag till Lomma och "
        "tillbaka i motvind. Jag stannade två gånger, men jag kom hem med ett leende.",
        "sv",
        PUBLIC,
    ),
    DemoStory(
        "mats-2",
        "MalmoMats",
        10,
        "Att berätta för kollegorna",
        "Jag har länge undrat om jag skulle berätta på jobbet. I förra veckan gjorde jag det, "
        "kort och enkelt. Det blev mycket lättare efteråt – nu behöver jag inte förklara varför "
        "jag går tidigt på provdagar.",
        "sv",
    ),
    DemoStory(
        "nina-1",
        "NorrlandsNina",
        75,
        "Mörkertiden",
        "Här uppe är det mörkt nästan hela dagen nu. Tröttheten från medicinen och mörkret är en "
        "tuff kombination. Jag tänder ljus överallt och går ut mitt på dagen när det är som "
        "ljusast. Hur gör ni andra?",
        "sv",
    ),
    DemoStory(
        "nina-2",
        "NorrlandsNina",
        3,
        "Norrsken!",
        "I går kväll dansade norrskenet över hela himlen. Jag stod ute i pyjamas och ytterjacka i "
        "tjugo minuter. Vissa kvällar påminner mig om varför jag orkar.",
        "sv",
        PUBLIC,
    ),
    DemoStory(
        "sara-1",
        "SkargardsSara",
        45,
        "Sista turen för säsongen",
        "Vi tog båten ut en sista gång innan den ska upp på land. Havet var blankt och jag kände "
        "mig starkare än på länge. Jag sparar den känslan till vintern.",
        "sv",
    ),
    DemoStory(
        "sara-2",
        "SkargardsSara",
        8,
        "Tankar inför årskontrollen",
        "Mest skriver jag för mig själv i dag. Det är skönt att veta att någon här förstår.",
        "sv",
        PRIVATE,
    ),
    DemoStory(
        "sisu-1",
        "SaunaSisu",
        50,
        "Bastu och tålamod",
        "Min läkare och jag har pratat om hur jag mår i värmen, och jag har hittat en rytm som "
        "fungerar för mig: kortare stunder och mycket vatten. Bastun är fortfarande min bästa "
        "plats att tänka.",
        "sv",
    ),
    DemoStory(
        "sisu-2",
        "SaunaSisu",
        12,
        "Fem år med KML",
        "Fem år i dag. Jag firade med blåbärspaj och min syster. Sisu betyder att inte ge upp, "
        "men jag har också lärt mig att be om hjälp.",
        "sv",
    ),
    # --- in English ---------------------------------------------------------------------------
    DemoStory(
        "tea-1",
        "TeaAndTKIs",
        100,
        "A pot of tea and a plan",
        "I keep my tablets next to the kettle so I never forget them. It sounds silly, but "
        "building the habit around my morning tea made the first months far less stressful.",
        visibility=PUBLIC,
    ),
    DemoStory(
        "tea-2",
        "TeaAndTKIs",
        20,
        "Results day",
        "Good news at clinic today. I cried a bit in the car park, then went for cake. "
        "Thank you all for the hugs while I waited.",
    ),
    DemoStory(
        "brighton-1",
        "BrightonWalker",
        80,
        "Walking the seafront again",
        "Three miles along the front this morning with the gulls shouting at me. Six months ago "
        "I could manage the end of the road. Small steps, literally.",
        visibility=PUBLIC,
    ),
    DemoStory(
        "brighton-2",
        "BrightonWalker",
        9,
        "On the tired days",
        "Some days the tiredness wins, and I have stopped feeling guilty about it. Today was a "
        "sofa-and-radio day, and that is fine.",
    ),
    DemoStory(
        "schwarz-1",
        "Schwarzwaldlaeufer",
        70,
        "My first run since the diagnosis",
        "Five kilometres through the forest, slowly, with walking breaks. My running watch says "
        "it was my slowest run ever. It was also my favourite.",
    ),
    DemoStory(
        "schwarz-2",
        "Schwarzwaldlaeufer",
        15,
        "Learning to ask questions",
        "I used to leave appointments with my questions still in my pocket. Now I write them "
        "down the night before and read them out. My haematologist seems to like it too.",
    ),
    DemoStory(
        "berlin-1",
        "BerlinerBaer",
        40,
        "Telling my teenage kids",
        "We sat at the kitchen table and I explained what CML is and what it means for us. "
        "They asked good questions. My son made me promise to tell him when I have a bad day.",
    ),
    DemoStory(
        "berlin-2",
        "BerlinerBaer",
        6,
        "A good week",
        "Nothing special happened this week, and that is exactly why I wanted to write it down.",
    ),
    DemoStory(
        "lyon-1",
        "LyonLumiere",
        65,
        "The festival of lights",
        "The whole city glowed this weekend. I walked the old town with my partner, stopped "
        "often, and saw everything I wanted to see.",
        visibility=PUBLIC,
    ),
    DemoStory(
        "lyon-2",
        "LyonLumiere",
        18,
        "Finding my words",
        "It took me a long time to say 'leukaemia' out loud. Writing here first made it easier "
        "to say it to my friends.",
    ),
    DemoStory(
        "provence-1",
        "ProvenceLavande",
        55,
        "Lavender harvest",
        "We harvested the lavender in the garden today. I did the easy rows and my neighbours "
        "did the rest. The house smells wonderful.",
    ),
    DemoStory(
        "provence-2",
        "ProvenceLavande",
        4,
        "Patience",
        "Waiting for results never gets easier for me, but having people to talk to while I "
        "wait does.",
    ),
    DemoStory(
        "sevilla-1",
        "SevillaSol",
        85,
        "Summer mornings",
        "In the heat I do everything early: the market at eight, a rest at noon. I have made "
        "peace with the slower pace.",
    ),
    DemoStory(
        "sevilla-2",
        "SevillaSol",
        11,
        "My abuela's advice",
        "My grandmother always said that a problem shared is a problem halved. She would have "
        "liked this place.",
        visibility=PUBLIC,
    ),
    DemoStory(
        "costa-1",
        "CostaBravaCarlos",
        35,
        "Back in the water",
        "I went swimming in the sea for the first time since my diagnosis. Cold, bright and "
        "exactly what I needed.",
    ),
    DemoStory(
        "costa-2",
        "CostaBravaCarlos",
        2,
        "Newly diagnosed and reading everything",
        "It has been two months. I read too much at night. Your stories help more than anything "
        "else I have found.",
    ),
    DemoStory(
        "ohio-1",
        "OhioOptimist",
        95,
        "Ten years, ten things I'm grateful for",
        "My wife, my dog, my care team, coffee, this community, Saturday pancakes, my garden, "
        "long drives, good books and my stubborn streak.",
        visibility=PUBLIC,
    ),
    DemoStory(
        "ohio-2",
        "OhioOptimist",
        22,
        "Thinking about what comes next",
        "My doctor and I have started talking about whether stopping treatment might one day "
        "be possible for me. Nothing decided. Just nice to have the conversation.",
    ),
    DemoStory(
        "seattle-1",
        "SeattleRain",
        58,
        "Rainy day routine",
        "Rain again, so it's soup, a jigsaw puzzle and an early night. I have learned to love "
        "slow days.",
    ),
    DemoStory(
        "seattle-2",
        "SeattleRain",
        7,
        "My first support meeting",
        "I went to an in-person patient meeting for the first time. Meeting people who just "
        "*get it* was worth the nerves.",
    ),
    DemoStory(
        "boston-1",
        "BostonBookworm",
        48,
        "Books for the waiting room",
        "I have read forty-one books in waiting rooms since my diagnosis. Currently a long, "
        "cosy mystery. Tell me what you are reading!",
    ),
    DemoStory(
        "boston-2",
        "BostonBookworm",
        13,
        "A quiet anniversary",
        "Three years today. I marked it with a library visit, naturally.",
    ),
    DemoStory(
        "helsinki-1",
        "HelsinkiHilla",
        42,
        "Sea ice and sunshine",
        "The sea froze near the shore and the sun came out. I walked carefully, took a hundred "
        "photos and felt very alive.",
    ),
    DemoStory(
        "helsinki-2",
        "HelsinkiHilla",
        16,
        "Explaining CML to my friends",
        "I tried explaining it with a kitchen metaphor: a recipe with one wrong line that the "
        "medicine keeps in check. They finally understood.",
    ),
    DemoStory(
        "fjord-1",
        "FjordFrida",
        66,
        "A hike I didn't think I could do",
        "We took the easy path up the hillside above the fjord. I stopped a lot. The view at "
        "the top made every stop worth it.",
        visibility=PUBLIC,
    ),
    DemoStory(
        "fjord-2",
        "FjordFrida",
        1,
        "Grateful today",
        "Nothing dramatic, just grateful: for my care team, for my family, for all of you.",
    ),
    DemoStory(
        "toscana-1",
        "ToscanaTeresa",
        52,
        "Sunday lunch",
        "The whole family came for lunch. For once I let them do the cooking and just sat in "
        "the sun with my grandchildren.",
    ),
    DemoStory(
        "toscana-2",
        "ToscanaTeresa",
        19,
        "Olive season",
        "Picking olives with my brother, like when we were children. Slower now, but still "
        "together.",
    ),
    DemoStory(
        "sydney-1",
        "SydneySurfer",
        33,
        "Back on the board",
        "Only small waves and mostly sitting on the board, but I was out there. The ocean does "
        "something good for my head.",
    ),
    DemoStory(
        "sydney-2",
        "SydneySurfer",
        9,
        "Sun-safe and stubborn",
        "Hat, long sleeves, shade at midday: my new beach uniform. My kids say I look like an "
        "explorer.",
    ),
]

COMMENTS: list[DemoComment] = [
    DemoComment("c-anna-1-erik", "anna-1", "ErikMedHund", "Grattis till tio år! Du ger mig hopp."),
    DemoComment(
        "c-anna-1-lingon", "anna-1", "Lingonskogen", "Vilken fin dag att fira. Kram från skogen!"
    ),
    DemoComment(
        "c-anna-1-tea", "anna-1", "TeaAndTKIs", "Ten years! Sending a big hug from the UK."
    ),
    DemoComment(
        "c-anna-3-kaffe",
        "anna-3",
        "Kaffekoppen",
        "Min man sover också dåligt före provsvar. Vi tänker på dig i morgon.",
    ),
    DemoComment("c-anna-3-nina", "anna-3", "NorrlandsNina", "Samma här, varje gång. Lycka till!"),
    DemoComment(
        "c-lingon-1-sara", "lingon-1", "SkargardsSara", "Att vila på stubbar låter som klok taktik."
    ),
    DemoComment(
        "c-mats-1-gunnar",
        "mats-1",
        "GoteborgsGunnar",
        "Well done! Lomma and back is no small ride.",
    ),
    DemoComment(
        "c-mats-2-anna",
        "mats-2",
        "AnnaFranStockholm",
        "Modigt gjort. Jag kände samma lättnad när jag berättade.",
    ),
    DemoComment(
        "c-nina-1-sisu",
        "nina-1",
        "SaunaSisu",
        "Bastu och dagsljuslampa här. Och mycket te. Kram!",
    ),
    DemoComment("c-nina-2-erik", "nina-2", "ErikMedHund", "Vi såg det också här! Vilken kväll."),
    DemoComment(
        "c-sisu-2-hilla",
        "sisu-2",
        "HelsinkiHilla",
        "Congratulations on five years! Blueberry pie is the right way to celebrate.",
    ),
    DemoComment(
        "c-tea-2-yorkshire",
        "tea-2",
        "YorkshireRose",
        "Cake was absolutely the right call. So pleased for you.",
    ),
    DemoComment(
        "c-tea-2-glasgow",
        "tea-2",
        "GlasgowGran",
        "Wonderful news, pet. My grandson says well done too.",
    ),
    DemoComment(
        "c-brighton-2-tea", "brighton-2", "TeaAndTKIs", "Sofa-and-radio days are allowed. Hugs."
    ),
    DemoComment(
        "c-schwarz-1-hamburg",
        "schwarz-1",
        "HamburgerHafen",
        "Slowest and favourite: that is the best kind of run.",
    ),
    DemoComment(
        "c-berlin-1-carolina",
        "berlin-1",
        "CarolinaCaregiver",
        "Your son sounds lovely. Kids often understand more than we expect.",
    ),
    DemoComment(
        "c-lyon-2-bretagne",
        "lyon-2",
        "BretagneBleue",
        "Writing it down first is such a gentle way to start.",
    ),
    DemoComment(
        "c-costa-2-sevilla",
        "costa-2",
        "SevillaSol",
        "The first months are the hardest. We are here whenever you want to talk.",
    ),
    DemoComment("c-costa-2-madrid", "costa-2", "MadridMadre", "Sending you strength from Madrid."),
    DemoComment(
        "c-costa-2-ohio",
        "costa-2",
        "OhioOptimist",
        "Ten years in and still here, still gardening. Take it a day at a time.",
    ),
    DemoComment(
        "c-ohio-1-texas", "ohio-1", "TexasTwoStep", "Stubborn streak made the list, love it."
    ),
    DemoComment(
        "c-seattle-2-boston",
        "seattle-2",
        "BostonBookworm",
        "So glad you went. The first meeting is the hardest one.",
    ),
    DemoComment(
        "c-boston-1-seattle",
        "boston-1",
        "SeattleRain",
        "A big fantasy series, slowly. Forty-one is impressive!",
    ),
    DemoComment(
        "c-fjord-1-bergen", "fjord-1", "BergenBjorn", "What a view. Proud of you for every stop."
    ),
    DemoComment(
        "c-toscana-1-napoli",
        "toscana-1",
        "NapoliNino",
        "Letting the family cook is a gift to them too.",
    ),
    DemoComment(
        "c-sydney-2-perth", "sydney-2", "PerthPelican", "The explorer look suits you, mate."
    ),
    DemoComment(
        "c-helsinki-2-tampere",
        "helsinki-2",
        "TampereTuuli",
        "I am borrowing that kitchen metaphor for my own family.",
    ),
]
