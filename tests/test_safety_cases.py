"""Side-effect cases: opening, day zero, assessment, status, consent, exports, survival.

Every /safety route is in the permission matrix below: a new route without an entry fails.
"""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from cml_earth.database import utcnow
from cml_earth.extensions import db
from cml_earth.moderation import services as moderation_services
from cml_earth.moderation.models import ModerationItem, StaffAction
from cml_earth.notifications.models import Notification
from cml_earth.safety import services
from cml_earth.safety.detection import detect_adverse_event
from cml_earth.safety.export import CSV_COLUMNS
from cml_earth.safety.models import AdverseEventCase, CaseEvent
from cml_earth.stories.models import Comment, Story

from .conftest import PASSWORD, Auth, csrf_token, submit

PERSONAS = ("anonymous", "patient", "relative", "troll", "sponsor", "safety", "admin")
LOGIN = 302
NOT_SAFETY = {"patient": 403, "relative": 403, "troll": 403, "sponsor": 403}
SAFETY_ONLY = {"anonymous": LOGIN, **NOT_SAFETY, "safety": 200, "admin": 200}
NOT_THEIRS = {p: 404 for p in ("relative", "troll", "sponsor", "safety", "admin")}

# (method, rule) → status per persona. The patient wrote the story the case is about and has
# been asked for contact consent already. POSTs send invalid data: nothing changes.
MATRIX: dict[tuple[str, str], dict[str, int]] = {
    ("GET", "/safety/"): SAFETY_ONLY,
    ("GET", "/safety/cases/<int:case_id>"): SAFETY_ONLY,
    ("POST", "/safety/cases/<int:case_id>"): {**SAFETY_ONLY, "safety": 422, "admin": 422},
    ("POST", "/safety/cases/<int:case_id>/status"): {**SAFETY_ONLY, "safety": 422, "admin": 422},
    # Asked already: the team is told so, and nobody is asked twice.
    ("POST", "/safety/cases/<int:case_id>/ask-consent"): {
        **SAFETY_ONLY,
        "safety": 409,
        "admin": 409,
    },
    # No such queue item: the team gets a 404, everyone else no further than before.
    ("POST", "/safety/from-item/<int:item_id>"): {**SAFETY_ONLY, "safety": 404, "admin": 404},
    ("GET", "/safety/export.csv"): SAFETY_ONLY,
    ("GET", "/safety/export.xml"): SAFETY_ONLY,
    ("GET", "/safety/consent/<int:case_id>"): {"anonymous": LOGIN, "patient": 200, **NOT_THEIRS},
    ("POST", "/safety/consent/<int:case_id>"): {"anonymous": LOGIN, "patient": 422, **NOT_THEIRS},
}

SWEDISH = "Jag fick svåra muskelkramper av Sprycel"
ENGLISH = "Since switching to Tasigna I have a rash"


def _story(author_id: int, body: str, title: str = "My week", language: str = "en") -> Story:
    story = Story(author_id=author_id, title=title, body=body, language=language,
                  visibility="members")  # fmt: skip
    db.session.add(story)
    db.session.flush()
    return story


def _detected_story(app, author_id: int, body: str = SWEDISH, language: str = "sv") -> dict:
    """Publish a story and open its case as the lead's publish hook does; their ids."""
    from cml_earth.auth.models import Member

    with app.app_context():
        author = db.session.get(Member, author_id)
        story = _story(author_id, body, language=language)
        case = services.open_case_from_detection(author, "story", story, detect_adverse_event(body))
        db.session.commit()
        return {"story": story.id, "case": case.id if case else None}


def _case(app, case_id: int) -> dict:
    with app.app_context():
        case = db.session.get(AdverseEventCase, case_id)
        return {c.key: getattr(case, c.key) for c in AdverseEventCase.__table__.columns}


def _set(app, case_id: int, **values) -> None:
    with app.app_context():
        case = db.session.get(AdverseEventCase, case_id)
        for name, value in values.items():
            setattr(case, name, value)
        db.session.commit()


def _set_member(app, member_id: int, **values) -> None:
    from cml_earth.auth.models import Member

    with app.app_context():
        member = db.session.get(Member, member_id)
        for name, value in values.items():
            setattr(member, name, value)
        db.session.commit()


def _count(app, statement) -> int:
    with app.app_context():
        return db.session.scalar(statement)


def _actions(app, action: str) -> list[StaffAction]:
    with app.app_context():
        rows = db.session.scalars(
            select(StaffAction).where(StaffAction.action == action).order_by(StaffAction.id)
        ).all()
        return [(row.actor.label, row.target_id, dict(row.details)) for row in rows]


def _events(app, case_id: int) -> list[tuple]:
    with app.app_context():
        rows = db.session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
        ).all()
        return [
            (row.kind, row.actor.label if row.actor else None, row.from_status, row.to_status)
            for row in rows
        ]


def _browser(app, member=None) -> Auth:
    browser = Auth(app.test_client())
    if member is not None:
        assert browser.login(member).status_code == 302
    return browser


@pytest.fixture
def people(make_member):
    return {
        "patient": make_member("AnnaPatient"),
        "relative": make_member("ErikRelative", role="relative"),
        "troll": make_member("TrollTrollsson", role="relative"),
        "sponsor": make_member("MariaStaff", role="sponsor"),
        "safety": make_member("SaraSafety", role="sponsor", safety_access=True),
        "admin": make_member("AlexAdmin", role="admin"),
    }


# --- who may open what -----------------------------------------------------------------------


def test_every_safety_route_is_in_the_matrix(app):
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/safety"):
            found |= {(method, rule.rule) for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert found == set(MATRIX)


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_gets_what_the_matrix_says(app, people, persona):
    ids = _detected_story(app, people["patient"].id)
    _set(app, ids["case"], contact_requested_at=utcnow())
    browser = _browser(app, None if persona == "anonymous" else people[persona])
    client = browser.client
    token = csrf_token(client.get("/report/notice").get_data(as_text=True))
    failures = []
    for (method, rule), expected in MATRIX.items():
        url = rule.replace("<int:case_id>", str(ids["case"])).replace("<int:item_id>", "999999")
        if method == "GET":
            response = client.get(url)
        else:
            data = {"csrf_token": token, "seriousness": "bogus", "status": "bogus"}
            response = client.post(url, data=data)
        if response.status_code != expected[persona]:
            failures.append(f"{method} {url}: {response.status_code}, expected {expected[persona]}")
        if expected[persona] == LOGIN:
            assert "/auth/login" in response.location
        body = response.get_data(as_text=True)
        # No address reaches anyone without consent; exports never name the member.
        for other, info in people.items():
            if other != persona:
                assert info.email not in body, f"{method} {url} shows {other}'s email"
        if rule.startswith("/safety/export") and response.status_code == 200:
            assert "AnnaPatient" not in body
    assert not failures, "\n".join(failures)
    case = _case(app, ids["case"])
    assert case["status"] == "new"
    assert case["contact_consent"] is None
    assert _count(app, select(func.count(Notification.id))) == 0


# --- opening ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body, language, generic, reaction",
    [(SWEDISH, "sv", "dasatinib", "Muscle spasms"), (ENGLISH, "en", "nilotinib", "Rash")],
)
def test_the_acceptance_examples_open_a_case(app, people, body, language, generic, reaction):
    ids = _detected_story(app, people["patient"].id, body, language)
    case = _case(app, ids["case"])
    assert case["reference"].startswith(f"AE-{utcnow():%Y}-")
    assert case["status"] == "new"
    assert case["source"] == "detection"
    assert (case["target_type"], case["target_id"], case["story_id"]) == (
        "story", ids["story"], ids["story"],
    )  # fmt: skip
    assert case["content_body"] == body
    assert case["content_language"] == language
    assert case["author_handle"] == "AnnaPatient"
    assert case["author_role"] == "patient"
    assert case["author_country"] == "SE"
    assert case["member_id"] == people["patient"].id
    assert case["medicines"] == [generic]
    assert reaction in case["reactions"]
    assert case["has_medicine"] and case["has_reaction"]
    assert not case["has_reporter"] and not case["has_patient"]
    assert case["day_zero_at"] is None  # nobody working for the company has seen it yet
    with app.app_context():
        item = db.session.scalar(
            select(ModerationItem).where(ModerationItem.target_id == ids["story"])
        )
        assert item.status == "open"
        assert "side_effect" in item.reasons
    assert _events(app, ids["case"]) == [("opened", None, None, "new")]


@pytest.mark.parametrize("body", ["I take Sprycel and feel great", "I have a rash from the sun"])
def test_false_positives_open_no_case(app, people, body):
    ids = _detected_story(app, people["patient"].id, body)
    assert ids["case"] is None
    assert _count(app, select(func.count(AdverseEventCase.id))) == 0
    assert _count(app, select(func.count(ModerationItem.id))) == 0


def test_an_edited_post_keeps_one_case(app, people):
    from cml_earth.auth.models import Member

    ids = _detected_story(app, people["patient"].id, ENGLISH)
    edited = "Since switching to Tasigna I have a rash, and Glivec gave me nausea"
    with app.app_context():
        author = db.session.get(Member, people["patient"].id)
        story = db.session.get(Story, ids["story"])
        story.body = edited
        again = services.open_case_from_detection(
            author, "story", story, detect_adverse_event(edited)
        )
        db.session.commit()
        assert again.id == ids["case"]
    case = _case(app, ids["case"])
    assert case["content_body"] == edited
    assert case["medicines"] == ["nilotinib", "imatinib"]
    assert _count(app, select(func.count(AdverseEventCase.id))) == 1
    assert _count(app, select(func.count(ModerationItem.id))) == 1
    # Once assessed, the copy staff assessed stays; the edit is noted.
    _set(app, ids["case"], status="valid_case")
    with app.app_context():
        author = db.session.get(Member, people["patient"].id)
        story = db.session.get(Story, ids["story"])
        story.body = ENGLISH + " and Sprycel made me dizzy"
        services.open_case_from_detection(author, "story", story, detect_adverse_event(story.body))
        db.session.commit()
    assert _case(app, ids["case"])["content_body"] == edited
    assert [event[0] for event in _events(app, ids["case"])] == [
        "opened",
        "updated",
        "edited_later",
    ]


def test_a_word_of_support_opens_its_own_case(app, people):
    from cml_earth.auth.models import Member

    with app.app_context():
        story = _story(people["relative"].id, "Thinking of you all")
        comment = Comment(story_id=story.id, author_id=people["patient"].id, body=ENGLISH)
        db.session.add(comment)
        db.session.flush()
        author = db.session.get(Member, people["patient"].id)
        case = services.open_case_from_detection(
            author, "comment", comment, detect_adverse_event(comment.body)
        )
        db.session.commit()
        ids = (case.id, story.id, comment.id)
    case = _case(app, ids[0])
    assert (case["target_type"], case["story_id"], case["comment_id"]) == ("comment", *ids[1:])
    assert case["content_title"] is None
    assert case["content_language"] == "en"


def test_a_side_effect_report_opens_a_case(app, people):
    from cml_earth.auth.models import Member

    with app.app_context():
        story = _story(people["patient"].id, "Tasigna week three: it gave me a rash")
        reporter = db.session.get(Member, people["relative"].id)
        moderation_services.report(reporter, "story", story, "side_effect", "She said")
        case = services.open_case_for("story", story.id)  # report() opened it
        profile_owner = db.session.get(Member, people["troll"].id)
        profile_owner.profile.story = "Bosulif gives me diarrhoea"
        moderation_services.report(
            db.session.get(Member, people["patient"].id), "profile", profile_owner,
            "side_effect", "",
        )  # fmt: skip
        profile_case = services.open_case_for("profile", profile_owner.id)
        db.session.commit()
        ids = (case.id, profile_case.id, story.id)
    case = _case(app, ids[0])
    assert case["source"] == "report"
    assert (case["report_reason"], case["report_details"]) == ("side_effect", "She said")
    assert case["medicines"] == ["nilotinib"]
    assert case["member_id"] == people["patient"].id
    # The report opened the moderation item; the case did not open a second one.
    on_story = (ModerationItem.target_id == ids[2], ModerationItem.target_type == "story")
    assert _count(app, select(func.count(ModerationItem.id)).where(*on_story)) == 1
    profile = _case(app, ids[1])
    assert (profile["target_type"], profile["content_title"]) == ("profile", "TrollTrollsson")
    assert profile["content_body"] == "Bosulif gives me diarrhoea"
    assert profile["medicines"] == ["bosutinib"]
    assert profile["member_id"] == people["troll"].id
    assert profile["story_id"] is None


def test_a_report_joins_the_case_detection_opened(app, people):
    from cml_earth.auth.models import Member

    ids = _detected_story(app, people["patient"].id, ENGLISH)
    with app.app_context():
        story = db.session.get(Story, ids["story"])
        reporter = db.session.get(Member, people["relative"].id)
        moderation_services.report(reporter, "story", story, "side_effect", "")
        case = services.open_case_for("story", story.id)  # report() opened it
        db.session.commit()
        assert case.id == ids["case"]
    assert _case(app, ids["case"])["report_reason"] == "side_effect"
    assert [event[0] for event in _events(app, ids["case"])] == ["opened", "reported"]


# --- day zero --------------------------------------------------------------------------------


def test_day_zero_is_the_first_staff_look_and_never_moves(app, people):
    ids = _detected_story(app, people["patient"].id)
    url = f"/safety/cases/{ids['case']}"
    before = utcnow()
    assert _browser(app, people["safety"]).client.get(url).status_code == 200
    first = _case(app, ids["case"])
    assert before <= first["day_zero_at"] <= utcnow()
    assert first["due_on"] == services.deadlines.deadline(
        services.deadlines.day_zero(first["day_zero_at"], "Europe/Stockholm"), None
    )
    page = _browser(app, people["admin"]).client.get(url).get_data(as_text=True)
    assert _case(app, ids["case"])["day_zero_at"] == first["day_zero_at"]
    assert "15 calendar days" in page  # not decided yet: counts as serious, and says so
    assert [label for label, *_rest in _actions(app, "case_seen")] == ["SaraSafety"]
    assert [event[:2] for event in _events(app, ids["case"])] == [
        ("opened", None), ("seen", "SaraSafety"),
    ]  # fmt: skip


def test_the_moderation_item_sets_day_zero_too(app, people):
    from cml_earth.auth.models import Member

    ids = _detected_story(app, people["patient"].id)
    with app.app_context():
        patient = db.session.get(Member, people["patient"].id)
        assert services.mark_content_seen("story", ids["story"], patient) == 0  # not staff
        moderator = db.session.get(Member, people["sponsor"].id)  # no safety access: still staff
        assert services.mark_content_seen("story", ids["story"], moderator) == 1
        assert services.mark_content_seen("story", ids["story"], moderator) == 0
        db.session.commit()
    assert _case(app, ids["case"])["day_zero_at"] is not None


# --- assessing and moving a case -------------------------------------------------------------


def _post(client, url: str, data: dict, page: str):
    return submit(client, url, data, page=page)


def test_assessment_and_status_changes_are_audited(app, people):
    ids = _detected_story(app, people["patient"].id)
    case_url = f"/safety/cases/{ids['case']}"
    client = _browser(app, people["safety"]).client
    # A valid case needs the four criteria.
    response = _post(client, f"{case_url}/status", {"status": "valid_case", "expected": "new"},
                     case_url)  # fmt: skip
    assert response.status_code == 422
    assert "four minimum criteria" in response.get_data(as_text=True)
    # Forwarded only from a valid case.
    response = _post(client, f"{case_url}/status", {"status": "forwarded", "expected": "new"},
                     case_url)  # fmt: skip
    assert response.status_code == 422
    assessment = {
        "has_reporter": "y", "has_patient": "y", "has_medicine": "y", "has_reaction": "y",
        "seriousness": "non_serious", "narrative": "Severe muscle cramps on dasatinib.",
    }  # fmt: skip
    response = _post(client, case_url, assessment, case_url)
    assert response.status_code == 302
    case = _case(app, ids["case"])
    assert case["seriousness"] == "non_serious"
    first_day = services.deadlines.day_zero(case["day_zero_at"], "Europe/Stockholm")
    assert case["due_on"] - first_day == timedelta(days=90)
    for step in ("valid_case", "forwarded"):
        data = {"status": step, "expected": _case(app, ids["case"])["status"], "note": step}
        response = _post(client, f"{case_url}/status", data, case_url)
        assert response.status_code == 302, response.get_data(as_text=True)
    case = _case(app, ids["case"])
    assert case["status"] == "forwarded"
    assert case["forwarded_at"] is not None
    assert [e for e in _events(app, ids["case"]) if e[0] == "status"] == [
        ("status", "SaraSafety", "new", "valid_case"),
        ("status", "SaraSafety", "valid_case", "forwarded"),
    ]
    statuses = _actions(app, "case_status")
    assert [(d["from_status"], d["to_status"]) for _l, _t, d in statuses] == [
        ("new", "valid_case"), ("valid_case", "forwarded"),
    ]  # fmt: skip
    assert all(target == ids["case"] for _l, target, _d in statuses)
    assert len(_actions(app, "case_edit")) == 1
    # Forwarded is final here.
    data = {"status": "not_a_case", "expected": "forwarded", "note": "x"}
    response = _post(client, f"{case_url}/status", data, case_url)
    assert response.status_code == 422


def test_not_a_case_needs_a_reason(app, people):
    ids = _detected_story(app, people["patient"].id)
    case_url = f"/safety/cases/{ids['case']}"
    client = _browser(app, people["admin"]).client
    data = {"status": "not_a_case", "expected": "new"}
    assert _post(client, f"{case_url}/status", data, case_url).status_code == 422
    data["note"] = "A sunburn, and the medicine is named only in passing."
    assert _post(client, f"{case_url}/status", data, case_url).status_code == 302
    assert _case(app, ids["case"])["status"] == "not_a_case"
    [(_label, _target, details)] = _actions(app, "case_status")
    assert details["to_status"] == "not_a_case"


def test_two_staff_members_changing_the_status_at_once(app, people):
    ids = _detected_story(app, people["patient"].id)
    _set(app, ids["case"], has_reporter=True, has_patient=True)
    case_url = f"/safety/cases/{ids['case']}"
    first = _browser(app, people["safety"]).client
    second = _browser(app, people["admin"]).client
    # Both open the page while the case is new.
    first_token = csrf_token(first.get(case_url).get_data(as_text=True))
    second_token = csrf_token(second.get(case_url).get_data(as_text=True))
    response = first.post(f"{case_url}/status", data={
        "csrf_token": first_token, "status": "valid_case", "expected": "new"})  # fmt: skip
    assert response.status_code == 302
    response = second.post(f"{case_url}/status", data={
        "csrf_token": second_token, "status": "not_a_case", "expected": "new",
        "note": "Not a side effect"}, follow_redirects=True)  # fmt: skip
    assert response.status_code == 200
    assert "Another staff member changed this case a moment ago" in response.get_data(as_text=True)
    assert _case(app, ids["case"])["status"] == "valid_case"
    assert len(_actions(app, "case_status")) == 1
    assert [e for e in _events(app, ids["case"]) if e[0] == "status"] == [
        ("status", "SaraSafety", "new", "valid_case")
    ]


def test_the_status_update_is_conditional(app, people):
    """Even past the Python check, the UPDATE only moves a case still in the expected status."""
    from cml_earth.auth.models import Member

    ids = _detected_story(app, people["patient"].id)
    _set(app, ids["case"], has_reporter=True, has_patient=True)
    with app.app_context():
        case = db.session.get(AdverseEventCase, ids["case"])
        staff = db.session.get(Member, people["safety"].id)
        # Another worker moved it after this one loaded the case.
        db.session.execute(
            AdverseEventCase.__table__.update()
            .where(AdverseEventCase.id == case.id)
            .values(status="valid_case")
        )
        with pytest.raises(services.CaseChanged):
            services.change_status(case, staff, "not_a_case", expected="new", note="No")
        db.session.rollback()


# --- the list --------------------------------------------------------------------------------


def test_the_list_orders_by_deadline_and_marks_overdue_cases(app, people):
    now = utcnow()
    late = _detected_story(app, people["patient"].id, ENGLISH)
    soon = _detected_story(app, people["relative"].id, SWEDISH)
    unseen = _detected_story(app, people["troll"].id, "Glivec gav mig illamående")
    closed = _detected_story(app, people["admin"].id, "Bosulif gave me diarrhoea")
    from cml_earth.safety import deadlines

    for ids, days_ago in ((late, 20), (soon, 3)):
        seen = now - timedelta(days=days_ago)
        due = deadlines.deadline(deadlines.day_zero(seen, "Europe/Stockholm"), None)
        _set(app, ids["case"], day_zero_at=seen, due_on=due)
    _set(app, closed["case"], status="not_a_case")
    client = _browser(app, people["safety"]).client
    page = client.get("/safety/").get_data(as_text=True)
    cases = {"late": late, "soon": soon, "unseen": unseen, "closed": closed}
    references = {name: _case(app, ids["case"])["reference"] for name, ids in cases.items()}
    positions = [page.index(references[name]) for name in ("unseen", "late", "soon")]
    assert positions == sorted(positions)
    assert references["closed"] not in page
    assert 'class="badge badge-alert">Overdue by 5 days' in page
    assert "12 days left" in page
    page = client.get("/safety/?status=not_a_case").get_data(as_text=True)
    assert references["closed"] in page and references["late"] not in page


# --- exports ---------------------------------------------------------------------------------


def _reportable(app, people) -> tuple[dict, dict, dict]:
    valid = _detected_story(app, people["patient"].id, SWEDISH, "sv")
    forwarded = _detected_story(app, people["relative"].id, ENGLISH)
    new = _detected_story(app, people["troll"].id, "Glivec gav mig illamående")
    seen = utcnow() - timedelta(days=2)
    _set(app, valid["case"], status="valid_case", day_zero_at=seen, seriousness="serious",
         narrative="=cramps after dasatinib")  # fmt: skip
    _set(app, forwarded["case"], status="forwarded", forwarded_at=utcnow(), day_zero_at=seen,
         seriousness="non_serious")  # fmt: skip
    return valid, forwarded, new


def test_the_csv_export(app, people):
    valid, forwarded, new = _reportable(app, people)
    client = _browser(app, people["safety"]).client
    response = client.get("/safety/export.csv")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert tuple(rows[0]) == CSV_COLUMNS
    records = [dict(zip(CSV_COLUMNS, row, strict=True)) for row in rows[1:]]
    references = {_case(app, ids["case"])["reference"]: ids for ids in (valid, forwarded, new)}
    assert [r["safety_report_id"] for r in records] == list(references)[:2]
    first, second = records
    assert first["suspect_medicines"] == "dasatinib"
    assert first["reactions"] == "Muscle spasms"
    assert (first["serious"], second["serious"]) == ("1", "2")
    assert first["reporter_qualification"] == "5"
    assert first["reporter_country"] == "SE"
    assert first["patient"] == "MSK"
    assert first["narrative"] == "'=cramps after dasatinib"  # no formula in a spreadsheet
    assert second["forwarded_date"]
    body = response.get_data(as_text=True)
    for name in ("AnnaPatient", "ErikRelative", "TrollTrollsson"):
        assert name not in body
    [(label, _target, details)] = _actions(app, "case_export")
    assert label == "SaraSafety"
    assert details["format"] == "csv"
    assert details["references"] == list(references)[:2]


def test_the_xml_export_is_shaped_on_e2b(app, people):
    valid, _forwarded, _new = _reportable(app, people)
    response = _browser(app, people["admin"]).client.get("/safety/export.xml")
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    root = ET.fromstring(response.data)  # noqa: S314 (our own export)
    assert root.tag == "ichicsr"
    reports = root.findall("safetyreport")
    assert len(reports) == 2
    first = reports[0]
    case = _case(app, valid["case"])
    assert first.findtext("safetyreportid") == case["reference"]
    assert first.find("safetyreportid").get("e2b") == "C.1.1"
    assert first.findtext("receiptdate") == services.deadlines.day_zero(
        case["day_zero_at"], "Europe/Stockholm"
    ).strftime("%Y%m%d")
    assert first.findtext("creationdate")
    assert first.findtext("serious") == "1"
    assert first.findtext("primarysource/qualification") == "5"
    assert first.findtext("primarysource/reportercountry") == "SE"
    patient = first.find("patient")
    assert patient.find("patientinitial").get("nullFlavor") == "MSK"
    assert patient.find("patientsex").get("nullFlavor") == "UNK"
    assert patient.findtext("reaction/primarysourcereaction") == "Muscle spasms"
    assert patient.findtext("drug/drugcharacterization") == "1"
    assert patient.findtext("drug/activesubstance/activesubstancename") == "dasatinib"
    assert patient.findtext("summary/narrativeincludeclinical") == "=cramps after dasatinib"
    assert reports[1].findtext("serious") == "2"
    assert reports[1].findtext("patient/drug/medicinalproduct") == "nilotinib"
    assert b"AnnaPatient" not in response.data and b"ErikRelative" not in response.data
    assert _actions(app, "case_export")[0][2]["format"] == "xml"


# --- contact consent -------------------------------------------------------------------------


def test_contact_consent_from_request_to_answer(app, people, outbox):
    _set_member(app, people["patient"].id, notification_email="each")
    ids = _detected_story(app, people["patient"].id)
    case_url = f"/safety/cases/{ids['case']}"
    staff = _browser(app, people["safety"]).client
    assert people["patient"].email not in staff.get(case_url).get_data(as_text=True)
    assert _post(staff, f"{case_url}/ask-consent", {}, case_url).status_code == 302
    # Asked once only.
    response = _post(staff, f"{case_url}/ask-consent", {}, case_url)
    assert response.status_code == 409
    assert "asked already" in response.get_data(as_text=True)
    with app.app_context():
        [notification] = db.session.scalars(select(Notification)).all()
        assert (notification.recipient_id, notification.kind, notification.case_id) == (
            people["patient"].id, "contact_request", ids["case"],
        )  # fmt: skip
    assert len(_actions(app, "case_contact_request")) == 1

    member = _browser(app, people["patient"]).client
    consent_url = f"/safety/consent/{ids['case']}"
    # The member wants a mail for each event: it leads to the consent page.
    [mail] = [m for m in outbox if m.to == [people["patient"].email]]
    assert consent_url in mail.body
    assert "safety team asks whether they may contact you" in member.get("/notifications").get_data(
        as_text=True
    )
    page = member.get(consent_url).get_data(as_text=True)
    assert "May the safety team contact you?" in page
    # Not yet answered: the team does not see the address.
    assert people["patient"].email not in staff.get(case_url).get_data(as_text=True)
    assert _post(member, consent_url, {"answer": "yes"}, consent_url).status_code == 302
    case = _case(app, ids["case"])
    assert case["contact_consent"] is True and case["contact_answered_at"] is not None
    assert people["patient"].email in staff.get(case_url).get_data(as_text=True)
    # The moderator without safety access sees no case at all.
    moderator = _browser(app, people["sponsor"]).client
    assert moderator.get(case_url).status_code == 403
    # The member changes their mind: the address is gone from the page again.
    assert _post(member, consent_url, {"answer": "no"}, consent_url).status_code == 302
    assert people["patient"].email not in staff.get(case_url).get_data(as_text=True)
    consents = [e for e in _events(app, ids["case"]) if e[0] == "consent"]
    assert [e[1] for e in consents] == ["AnnaPatient", "AnnaPatient"]


def test_the_consent_page_is_in_the_members_language(app, make_member, people):
    swede = make_member("LinneaSwede", locale="sv")
    ids = _detected_story(app, swede.id)
    _set(app, ids["case"], contact_requested_at=utcnow())
    page = _browser(app, swede).client.get(f"/safety/consent/{ids['case']}")
    assert page.status_code == 200
    assert 'lang="sv"' in page.get_data(as_text=True)


# --- survival --------------------------------------------------------------------------------


def test_the_case_outlives_the_story(app, people):
    ids = _detected_story(app, people["patient"].id)
    member = _browser(app, people["patient"]).client
    url = f"/stories/{ids['story']}/delete"
    assert submit(member, url, {}).status_code == 302
    assert _count(app, select(func.count(Story.id))) == 0
    case = _case(app, ids["case"])
    assert case["content_body"] == SWEDISH
    assert case["story_id"] == ids["story"]
    page = _browser(app, people["safety"]).client.get(f"/safety/cases/{ids['case']}")
    assert page.status_code == 200
    assert "muskelkramper" in page.get_data(as_text=True)


def test_the_case_outlives_the_account_and_names_no_one(app, people):
    ids = _detected_story(app, people["patient"].id)
    case_url = f"/safety/cases/{ids['case']}"
    staff = _browser(app, people["safety"]).client
    assert _post(staff, f"{case_url}/ask-consent", {}, case_url).status_code == 302
    member = _browser(app, people["patient"]).client
    consent_url = f"/safety/consent/{ids['case']}"
    assert _post(member, consent_url, {"answer": "yes"}, consent_url).status_code == 302
    response = submit(member, "/settings/delete", {"password": PASSWORD, "confirm": "y"})
    assert response.status_code == 302
    case = _case(app, ids["case"])
    assert case["member_id"] is None
    assert case["content_body"] == SWEDISH  # the legal record stays
    assert case["contact_consent"] is True
    events = _events(app, ids["case"])
    assert events[-1] == ("account_erased", None, None, None)
    [(_kind, label, *_rest)] = [e for e in events if e[0] == "consent"]
    assert label.startswith("erased-member-")
    page = staff.get(case_url).get_data(as_text=True)
    assert people["patient"].email not in page  # the address went with the account
    assert "erased their account" in page
    # Nobody left to ask: a second case of theirs cannot be sent a request.
    _set(app, ids["case"], contact_requested_at=None)
    response = _post(staff, f"{case_url}/ask-consent", {}, case_url)
    assert response.status_code == 409
    assert "no longer exists" in response.get_data(as_text=True)
    assert _count(app, select(func.count(Notification.id))) == 0


def test_erased_staff_become_tombstones_in_the_history(app, people):
    ids = _detected_story(app, people["patient"].id)
    staff = _browser(app, people["safety"]).client
    assert staff.get(f"/safety/cases/{ids['case']}").status_code == 200
    response = submit(staff, "/settings/delete", {"password": PASSWORD, "confirm": "y"})
    assert response.status_code == 302
    [seen] = [e for e in _events(app, ids["case"]) if e[0] == "seen"]
    assert seen[1].startswith("erased-member-")
    assert _case(app, ids["case"])["day_zero_at"] is not None


def test_safety_staff_open_a_case_from_a_queue_item(app, people):
    """Content the detector missed: the team opens its case from the item, day zero at once."""
    from cml_earth.moderation import services as queue
    from cml_earth.moderation.models import StaffAction

    with app.app_context():
        story = _story(people["patient"].id, "The new tablets make my legs feel like lead")
        item = queue.open_item_for("story", story, "report:other")
        db.session.commit()
        item_id, story_id = item.id, story.id
    moderator = _browser(app, people["sponsor"])
    page = moderator.client.get(f"/moderation/items/{item_id}").get_data(as_text=True)
    assert "Open a side-effect case for it" not in page  # moderators without the designation
    team = _browser(app, people["safety"])
    page = team.client.get(f"/moderation/items/{item_id}").get_data(as_text=True)
    assert "Open a side-effect case for it" in page
    opened = team.client.post(f"/safety/from-item/{item_id}", data={"csrf_token": csrf_token(page)})
    assert opened.status_code == 302 and opened.location.startswith("/safety/cases/")
    with app.app_context():
        case = services.open_case_for("story", story_id)
        assert case.source == "staff" and case.day_zero_at is not None
        logged = db.session.scalars(select(StaffAction.action)).all()
        assert "case_open" in logged
    again = team.client.post(f"/safety/from-item/{item_id}", data={"csrf_token": csrf_token(page)})
    assert again.status_code == 302
    assert _count(app, select(func.count()).select_from(type(case))) == 1
