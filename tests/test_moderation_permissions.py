"""Who may open each moderation and reporting route: every route against every kind of visitor.

A new route under /moderation or /report without an entry here fails the test, so nobody adds
a staff page without saying who may open it.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from cml_earth.extensions import db
from cml_earth.moderation import services
from cml_earth.moderation.models import Decision, ModerationItem
from cml_earth.stories.models import Story

from .conftest import Auth, csrf_token

PERSONAS = ("anonymous", "patient", "relative", "troll", "sponsor", "safety", "admin")
LOGIN = 302  # sent to the login page
STAFF = {"sponsor": 200, "safety": 200, "admin": 200}
MEMBERS_FORBIDDEN = {"patient": 403, "relative": 403, "troll": 403}

# (method, rule) → expected status per persona. The patient owns the story and the decision.
MATRIX: dict[tuple[str, str], dict[str, int]] = {
    ("GET", "/moderation/"): {"anonymous": LOGIN, **MEMBERS_FORBIDDEN, **STAFF},
    ("GET", "/moderation/items/<int:item_id>"): {"anonymous": LOGIN, **MEMBERS_FORBIDDEN, **STAFF},
    # An invalid decision: staff get the form back (422), nobody else gets that far.
    ("POST", "/moderation/items/<int:item_id>"): {
        "anonymous": LOGIN,
        **MEMBERS_FORBIDDEN,
        "sponsor": 422,
        "safety": 422,
        "admin": 422,
    },
    ("GET", "/moderation/log"): {
        "anonymous": LOGIN,
        **MEMBERS_FORBIDDEN,
        "sponsor": 403,
        "safety": 403,
        "admin": 200,
    },
    ("GET", "/moderation/log.csv"): {
        "anonymous": LOGIN,
        **MEMBERS_FORBIDDEN,
        "sponsor": 403,
        "safety": 403,
        "admin": 200,
    },
    ("GET", "/moderation/decisions"): {"anonymous": LOGIN, **{p: 200 for p in PERSONAS[1:]}},
    ("GET", "/moderation/decisions/<int:decision_id>"): {
        "anonymous": LOGIN,
        "patient": 200,
        "relative": 404,
        "troll": 404,
        **STAFF,
    },
    # An empty appeal: the member gets the form back; staff read statements but never appeal.
    ("POST", "/moderation/decisions/<int:decision_id>/appeal"): {
        "anonymous": LOGIN,
        "patient": 422,
        "relative": 404,
        "troll": 404,
        "sponsor": 403,
        "safety": 403,
        "admin": 403,
    },
    ("GET", "/report/<target_type>/<int:target_id>"): {
        "anonymous": LOGIN,
        "patient": 403,
        "relative": 200,
        "troll": 200,
        **STAFF,
    },
    ("POST", "/report/<target_type>/<int:target_id>"): {
        "anonymous": LOGIN,
        "patient": 403,
        "relative": 422,
        "troll": 422,
        "sponsor": 422,
        "safety": 422,
        "admin": 422,
    },
    ("GET", "/moderation/members/<username>"): {
        "anonymous": LOGIN,
        **MEMBERS_FORBIDDEN,
        **STAFF,
    },
    # An empty form: admins get it back; nobody else may change roles.
    ("POST", "/moderation/members/<username>/role"): {
        "anonymous": LOGIN,
        **MEMBERS_FORBIDDEN,
        "sponsor": 403,
        "safety": 403,
        "admin": 422,
    },
    ("GET", "/report/notice"): {p: 200 for p in PERSONAS},
    ("POST", "/report/notice"): {p: 422 for p in PERSONAS},  # empty: every field is missing
    ("GET", "/report/notice/<reference>"): {p: 404 for p in PERSONAS},  # not their receipt
}


def _routes(app) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(("/moderation", "/report")):
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                found.add((method, rule.rule))
    return found


def test_every_moderation_route_is_in_the_matrix(app):
    assert _routes(app) == set(MATRIX)


@pytest.fixture
def world(app, make_member):
    """A story and a decision owned by the patient, an open item, and every persona."""
    members = {
        "patient": make_member("AnnaPatient"),
        "relative": make_member("ErikRelative", role="relative"),
        "troll": make_member("TrollTrollsson", role="relative"),
        "sponsor": make_member("MariaStaff", role="sponsor"),
        "safety": make_member("SaraSafety", role="sponsor", safety_access=True),
        "admin": make_member("AlexAdmin", role="admin"),
    }
    with app.app_context():
        story = Story(
            author_id=members["patient"].id, title="Week one", body="Tired.", language="en",
            visibility="members",
        )  # fmt: skip
        db.session.add(story)
        db.session.flush()
        item = services.open_item_for("story", story, "report:spam")
        decision = Decision(
            member_id=members["patient"].id, item_id=item.id, action="warn", ground="spam",
            explanation="Please keep to your own experience.",
        )  # fmt: skip
        db.session.add(decision)
        db.session.commit()
        ids = {"story": story.id, "item": item.id, "decision": decision.id}
    return members, ids


def _url(rule: str, ids: dict) -> str:
    return (
        rule.replace("<int:item_id>", str(ids["item"]))
        .replace("<int:decision_id>", str(ids["decision"]))
        .replace("<target_type>", "story")
        .replace("<int:target_id>", str(ids["story"]))
        .replace("<reference>", "DSA-0000000000")
        .replace("<username>", "AnnaPatient")
    )


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_gets_what_the_matrix_says(app, world, persona):
    members, ids = world
    browser = Auth(app.test_client())
    if persona != "anonymous":
        assert browser.login(members[persona]).status_code == 302
    client = browser.client
    token = csrf_token(client.get("/report/notice").get_data(as_text=True))
    failures = []
    for (method, rule), expected in MATRIX.items():
        url = _url(rule, ids)
        if method == "GET":
            response = client.get(url)
        else:
            data = {
                "csrf_token": token,
                "action": "no-such-action",
                "text": "",
                "reason": "",
                "role": "",
            }
            response = client.post(url, data=data)
        status = response.status_code
        if status != expected[persona]:
            failures.append(f"{method} {url}: {status}, expected {expected[persona]}")
        if expected[persona] == LOGIN:
            assert "/auth/login" in response.location
        body = response.get_data(as_text=True)
        # Moderators never see members' email addresses (the notice form prefills one's own).
        for other, info in members.items():
            if other != persona and rule != "/moderation/log.csv":
                assert info.email not in body, f"{method} {url} shows {other}'s email"
    assert not failures, "\n".join(failures)
    # Nothing was decided by any of this.
    with app.app_context():
        item = db.session.scalar(select(ModerationItem).where(ModerationItem.id == ids["item"]))
        assert item.status == "open"
        decision = db.session.get(Decision, ids["decision"])
        assert decision.appealed_at is None
