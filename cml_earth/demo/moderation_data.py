"""Demo moderation: posts that need staff, reports of every reason, decisions and an appeal.

The posts go through the real publishing path, so the crisis language and the side effect are
found as they would be on the live site (a crisis item at the top of the queue, a
pharmacovigilance case); the reports and decisions go through the real services too.
"""

from __future__ import annotations

from dataclasses import dataclass

from .story_data import DemoComment, DemoStory

#: A member who breaks the guidelines, so the queue has someone to decide about.
SELLER = ("CureSellerBob", "relative", "US", "en")
SELLER_STORY = "I joined to tell my family's story. My aunt and I now sell herbal remedies."

STORIES: list[DemoStory] = [
    DemoStory(
        "mod-spam",
        "CureSellerBob",
        3,
        "Stop your TKI: this tea cures CML",
        "My aunt stopped her medicine and drank our herbal tea instead. Order ten packs today "
        "at a special price, send me a message!",
    ),
    DemoStory(
        "mod-crisis",
        "NorrlandsNina",
        1,
        "En tung natt",
        "Ibland orkar jag inte leva längre. Det känns som att ingen ser hur trött jag är, och "
        "jag vet inte vem jag ska prata med.",
        language="sv",
    ),
    DemoStory(
        "mod-side-effect",
        "MalmoMats",
        2,
        "Kramper på nätterna",
        "Sedan jag bytte till Sprycel i våras har jag fått svåra muskelkramper på nätterna. "
        "Någon mer som känner igen det? Jag ska ta upp det med min läkare på torsdag.",
        language="sv",
    ),
    DemoStory(
        "mod-misinformation",
        "CureSellerBob",
        5,
        "PCR tests are a scam",
        "Nobody needs PCR tests: if you feel fine, your leukaemia is gone. Doctors only want "
        "the money.",
    ),
]

COMMENTS: list[DemoComment] = [
    DemoComment(
        "mod-harassment",
        "anna-1",
        "CureSellerBob",
        "Nobody wants to read your whining, just stop posting.",
    ),
]


@dataclass(frozen=True)
class DemoReport:
    reporter: str
    target: str  # "story:<demo key>", "comment:<demo key>" or "profile:<username>"
    reason: str
    details: str = ""


REPORTS: list[DemoReport] = [
    # Three members report the advert: it is hidden until staff look.
    DemoReport("AnnaFranStockholm", "story:mod-spam", "spam", "Selling tea as a cure."),
    DemoReport("TeaAndTKIs", "story:mod-spam", "spam"),
    DemoReport("ErikMedHund", "story:mod-spam", "misinformation", "Tells people to stop TKIs."),
    DemoReport("AnnaFranStockholm", "comment:mod-harassment", "harassment", "Rude to me."),
    DemoReport("TeaAndTKIs", "story:mod-misinformation", "misinformation"),
    DemoReport("Lingonskogen", "story:mod-crisis", "self_harm", "Jag är orolig för Nina."),
    DemoReport("Kaffekoppen", "story:mod-side-effect", "side_effect"),
    DemoReport(
        "SkargardsSara",
        "profile:CureSellerBob",
        "personal_details",
        "Asks people to message him privately to buy.",
    ),
    DemoReport(
        "GoteborgsGunnar",
        "profile:CureSellerBob",
        "other",
        "This account only advertises products.",
    ),
]

#: Sweden's national group, proposed and waiting for staff (the story of issue 5 and 6).
SWEDEN_PROPOSAL = {
    "founder": "Lingonskogen",
    "name": "CML Sverige",
    "description": (
        "Riksgruppen för oss som lever med KML i Sverige, och för våra närstående. Här delar "
        "vi erfarenheter av behandling, vardag och arbete. Vi ger inga medicinska råd."
    ),
    "languages": ["sv", "en"],
}

#: What staff already did, for the action log: (staff, target, action, ground, explanation).
DECISIONS = [
    ("SponsorMaria", "comment:mod-harassment", "hide", "harassment",
     "Your comment attacked another member. Our guidelines ask everyone to be kind."),
    ("AdminAlex", "story:mod-misinformation", "warn", "misinformation",
     "Telling members that PCR tests are unnecessary can harm them. Please share only your own "
     "experience."),
]  # fmt: skip

#: The member appeals the hidden comment.
APPEAL = ("comment:mod-harassment", "I was only being honest, I did not mean to hurt anyone.")
