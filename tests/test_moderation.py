"""Moderation: reports, the review queue, staff actions, statements of reasons and appeals."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text, update

from cml_earth.auth.models import Member
from cml_earth.database import utcnow
from cml_earth.extensions import db
from cml_earth.groups.models import Group
from cml_earth.moderation.models import (
    Action,
    Decision,
    ModerationItem,
    Notice,
    Report,
    StaffAction,
)
from cml_earth.notifications.models import Notification
from cml_earth.stories.models import Comment, Story

from .conftest import Auth, csrf_token, scalar, submit


def make_story(app, author_id: int, *, title="Month three", visibility="members", **fields):
    with app.app_context():
        story = Story(
            author_id=author_id,
            title=title,
            body=fields.pop("body", "The nurse said my numbers look fine."),
            language="en",
            visibility=visibility,
            **fields,
        )
        db.session.add(story)
        db.session.commit()
        return story.id


def make_comment(app, story_id: int, author_id: int, body="Thinking of you.") -> int:
    with app.app_context():
        comment = Comment(story_id=story_id, author_id=author_id, body=body)
        db.session.add(comment)
        db.session.get(Story, story_id).comment_count += 1
        db.session.commit()
        return comment.id


def logged_in(app, member) -> Auth:
    """A fresh browser with ``member`` logged in."""
    helper = Auth(app.test_client())
    response = helper.login(member)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return helper


def report(client, target: str, target_id: int, reason="spam", details=""):
    url = f"/report/{target}/{target_id}"
    return submit(client, url, {"reason": reason, "details": details})


def count(app, model, *conditions) -> int:
    return scalar(app, select(func.count()).select_from(model).where(*conditions))


def open_item_id(app, target_type: str, target_id: int) -> int:
    return scalar(
        app,
        select(ModerationItem.id).where(
            ModerationItem.target_type == target_type,
            ModerationItem.target_id == target_id,
            ModerationItem.status == "open",
        ),
    )


def decide(client, item_id: int, action: str, **fields):
    data = {"action": action, "ground": fields.pop("ground", "spam"), **fields}
    data.setdefault("explanation", "It advertises a product, which our guidelines forbid.")
    return submit(client, f"/moderation/items/{item_id}", data)


# --- reporting ------------------------------------------------------------------------------


def test_a_member_reports_a_story_once_and_it_enters_the_queue(app, patient, relative, auth):
    story_id = make_story(app, patient.id)
    auth.login(relative)
    page = auth.client.get(f"/stories/{story_id}").get_data(as_text=True)
    assert f"/report/story/{story_id}" in page

    response = report(auth.client, "story", story_id, "harassment", "Rude to me.")
    assert response.status_code == 302
    assert response.location == f"/stories/{story_id}"
    again = report(auth.client, "story", story_id, "spam")
    assert again.status_code == 302

    assert count(app, Report) == 1  # the same member reporting twice is one report
    item_id = open_item_id(app, "story", story_id)
    with app.app_context():
        item = db.session.get(ModerationItem, item_id)
        assert item.reasons == ["report:harassment"]
        assert item.report_count == 1
        assert item.subject_id == patient.id
        assert item.snapshot["title"] == "Month three"


def test_reports_need_a_reason_and_words_for_something_else(app, patient, relative, auth):
    story_id = make_story(app, patient.id)
    auth.login(relative)
    url = f"/report/story/{story_id}"
    for data, message in [
        ({"reason": ""}, "Please choose a reason."),
        ({"reason": "made-up"}, "Please choose a reason."),
        ({"reason": "other", "details": "  "}, "Please tell us what is wrong."),
        ({"reason": "spam", "details": "x" * 2001}, "Use at most 2000 characters."),
    ]:
        response = submit(auth.client, url, data)
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
    assert count(app, Report) == 0


def test_nothing_leaks_through_reporting(app, patient, relative, troll, auth, make_member):
    private = make_story(app, patient.id, visibility="private")
    own = make_story(app, relative.id)
    gone = make_story(app, patient.id)
    with app.app_context():
        db.session.delete(db.session.get(Story, gone))
        db.session.commit()
    auth.login(relative)
    for target, target_id in [
        ("story", private),
        ("story", gone),
        ("story", 999_999),
        ("comment", 999_999),
        ("profile", 999_999),
        ("group", 999_999),
        ("planet", 1),
    ]:
        assert auth.client.get(f"/report/{target}/{target_id}").status_code == 404
        assert report(auth.client, target, target_id).status_code in (400, 404)
    assert auth.client.get(f"/report/story/{own}").status_code == 403
    assert count(app, Report) == 0

    # Visitors are sent to log in; unverified members to verify first.
    visitor = app.test_client()
    response = visitor.get(f"/report/story/{own}")
    assert response.status_code == 302 and "/auth/login" in response.location
    unverified = make_member("NotYetVerified", verified=False)
    response = logged_in(app, unverified).client.get(f"/report/story/{own}")
    assert response.status_code == 302 and "/auth/verify" in response.location


def test_reporting_self_harm_shows_the_crisis_contacts(app, patient, relative, auth):
    story_id = make_story(app, patient.id)
    auth.login(relative)
    response = report(auth.client, "story", story_id, "self_harm")
    assert response.location == "/help/crisis"


# --- the queue ------------------------------------------------------------------------------


def test_the_queue_puts_self_harm_first_then_side_effects_then_the_oldest(
    app, patient, relative, sponsor, make_member
):
    oldest = make_story(app, patient.id, title="Oldest spam")
    side_effect = make_story(app, patient.id, title="Cramps story")
    crisis = make_story(app, patient.id, title="A dark night")
    reporter = logged_in(app, relative)
    report(reporter.client, "story", oldest, "spam")
    report(reporter.client, "story", side_effect, "side_effect")
    report(reporter.client, "story", crisis, "self_harm")
    with app.app_context():  # the spam item has waited longest
        db.session.execute(
            update(ModerationItem)
            .where(ModerationItem.target_id == oldest)
            .values(opened_at=utcnow() - timedelta(hours=49))
        )
        db.session.commit()

    staff = logged_in(app, sponsor)
    page = staff.client.get("/moderation/").get_data(as_text=True)
    positions = [page.index(title) for title in ("A dark night", "Cramps story", "Oldest spam")]
    assert positions == sorted(positions)
    assert "Overdue" in page

    overdue = staff.client.get("/moderation/?overdue=1").get_data(as_text=True)
    assert "Oldest spam" in overdue and "A dark night" not in overdue
    filtered = staff.client.get("/moderation/?reason=report:self_harm").get_data(as_text=True)
    assert "A dark night" in filtered and "Oldest spam" not in filtered
    for bad in ("?reason=<script>", "?target=x", "?page=-1", "?page=abc", "?overdue=yes"):
        assert staff.client.get(f"/moderation/{bad}").status_code == 200


def test_staff_header_counts_open_and_overdue_items(app, patient, relative, sponsor):
    story_id = make_story(app, patient.id)
    report(logged_in(app, relative).client, "story", story_id, "spam")
    page = logged_in(app, sponsor).client.get("/").get_data(as_text=True)
    assert "1 item waiting" in page


# --- three reports, a statement of reasons, an appeal: one journey --------------------------


def test_three_reports_hide_then_staff_decide_and_the_author_appeals(
    app, patient, sponsor, admin, make_member, outbox
):
    story_id = make_story(app, patient.id, title="Buy my miracle cure")
    reporters = [make_member(f"Reporter{n}", role="relative") for n in range(3)]
    onlooker = logged_in(app, make_member("Onlooker"))

    for number, reporter in enumerate(reporters, start=1):
        report(logged_in(app, reporter).client, "story", story_id, "spam")
        hidden = scalar(app, select(Story.hidden_at).where(Story.id == story_id))
        assert (hidden is not None) == (number == 3)
    # Hidden for everyone but its author and staff, and out of every list.
    assert onlooker.client.get(f"/stories/{story_id}").status_code == 404
    assert "Buy my miracle cure" not in onlooker.client.get("/").get_data(as_text=True)
    author = logged_in(app, patient)
    own_page = author.client.get(f"/stories/{story_id}").get_data(as_text=True)
    assert "Hidden after several reports" in own_page

    # Staff look and keep it hidden, with reasons.
    staff = logged_in(app, sponsor)
    item_id = open_item_id(app, "story", story_id)
    item_page = staff.client.get(f"/moderation/items/{item_id}").get_data(as_text=True)
    assert "3 reports" in item_page and "Buy my miracle cure" in item_page
    assert "reporter0@example.org" not in item_page  # no email addresses for moderators
    missing = decide(staff.client, item_id, "hide", explanation="")
    assert missing.status_code == 422
    assert "The member must be told why" in missing.get_data(as_text=True)
    assert decide(staff.client, item_id, "hide").status_code == 302

    # The author is told, reads the statement in their language, and appeals once.
    with app.app_context():
        decision = db.session.scalar(select(Decision).where(Decision.member_id == patient.id))
        decision_id = decision.id
        assert decision.action == "hide" and decision.excerpt.startswith("Buy my miracle cure")
        note = db.session.scalar(
            select(Notification).where(Notification.recipient_id == patient.id)
        )
        assert note.kind == "decision" and note.decision_id == decision_id
    notifications = author.client.get("/notifications").get_data(as_text=True)
    assert f"/moderation/decisions/{decision_id}" in notifications
    statement = author.client.get(
        f"/moderation/decisions/{decision_id}", headers={"Accept-Language": "sv"}
    ).get_data(as_text=True)
    assert "It advertises a product" in statement
    assert "no automated means" in statement
    assert "appeal once" in statement
    # Someone else's statement does not exist for them.
    assert onlooker.client.get(f"/moderation/decisions/{decision_id}").status_code == 404
    assert submit(
        onlooker.client, f"/moderation/decisions/{decision_id}/appeal", {"text": "Me too"},
        page="/",
    ).status_code == 404  # fmt: skip

    appeal_url = f"/moderation/decisions/{decision_id}/appeal"
    empty = submit(author.client, appeal_url, {"text": " "}, page=appeal_url.rsplit("/", 1)[0])
    assert empty.status_code == 422
    sent = submit(author.client, appeal_url, {"text": "It is my own experience, not an advert."},
                  page=appeal_url.rsplit("/", 1)[0])  # fmt: skip
    assert sent.status_code == 302
    twice = submit(author.client, appeal_url, {"text": "Again"}, page="/")
    assert twice.status_code in (302, 422)
    assert scalar(app, select(Decision.appeal_text).where(Decision.id == decision_id)).startswith(
        "It is my own"
    )

    # The appeal comes back into the queue; another staff member reverses the decision.
    appeal_item = open_item_id(app, "decision", decision_id)
    queue = logged_in(app, admin).client
    assert "Appeal" in queue.get("/moderation/").get_data(as_text=True)
    assert decide(queue, appeal_item, "reverse", explanation="").status_code == 302
    assert scalar(app, select(Story.hidden_at).where(Story.id == story_id)) is None
    assert onlooker.client.get(f"/stories/{story_id}").status_code == 200
    assert count(app, Notification, Notification.kind == "appeal_decided") == 1
    final = author.client.get(f"/moderation/decisions/{decision_id}").get_data(as_text=True)
    assert "Your appeal succeeded" in final
    assert "Send my appeal" not in final


def test_dismissing_shows_content_hidden_by_reports_again(app, patient, sponsor, make_member):
    story_id = make_story(app, patient.id)
    for n in range(3):
        report(logged_in(app, make_member(f"Flagger{n}")).client, "story", story_id, "spam")
    assert scalar(app, select(Story.hidden_reason).where(Story.id == story_id)) == "reports"
    staff = logged_in(app, sponsor)
    assert decide(staff.client, open_item_id(app, "story", story_id), "dismiss").status_code == 302
    assert scalar(app, select(Story.hidden_at).where(Story.id == story_id)) is None
    assert count(app, Decision) == 0  # nothing was restricted: no statement


# --- two staff members at once --------------------------------------------------------------


def test_a_second_staff_member_sees_what_the_first_did(app, patient, relative, sponsor, admin):
    story_id = make_story(app, patient.id)
    report(logged_in(app, relative).client, "story", story_id, "spam")
    item_id = open_item_id(app, "story", story_id)
    first, second = logged_in(app, sponsor), logged_in(app, admin)
    # Both open the item, then both decide.
    token = csrf_token(second.client.get(f"/moderation/items/{item_id}").get_data(as_text=True))
    assert decide(first.client, item_id, "hide").status_code == 302
    late = second.client.post(
        f"/moderation/items/{item_id}",
        data={"csrf_token": token, "action": "dismiss", "ground": "spam", "explanation": ""},
    )
    assert late.status_code == 302 and late.location == f"/moderation/items/{item_id}"
    page = second.client.get(late.location).get_data(as_text=True)
    assert "Another staff member handled this item" in page
    assert "Handled by MariaStaff" in page
    assert count(app, StaffAction) == 1
    assert scalar(app, select(Story.hidden_reason).where(Story.id == story_id)) == "staff"


# --- sanctions ------------------------------------------------------------------------------


def test_a_silenced_member_cannot_post_until_the_date(app, patient, relative, sponsor):
    story_id = make_story(app, patient.id)
    report(logged_in(app, relative).client, "story", story_id, "harassment")
    staff = logged_in(app, sponsor)
    item_id = open_item_id(app, "story", story_id)
    assert decide(staff.client, item_id, "silence", days="0").status_code == 422
    assert decide(staff.client, item_id, "silence", days="3").status_code == 302
    author = logged_in(app, patient)
    response = author.client.get("/stories/new")
    assert response.status_code == 302
    assert "paused your posting" in author.client.get(response.location).get_data(as_text=True)
    # Reading still works.
    assert author.client.get(f"/stories/{story_id}").status_code == 200


def test_a_suspended_member_is_logged_out_and_cannot_log_in(app, patient, relative, sponsor):
    story_id = make_story(app, patient.id)
    author = logged_in(app, patient)
    report(logged_in(app, relative).client, "story", story_id, "harassment")
    staff = logged_in(app, sponsor)
    item_id = open_item_id(app, "story", story_id)
    past = decide(staff.client, item_id, "suspend", until="2020-01-01")
    assert past.status_code == 422
    assert "a date in the future" in past.get_data(as_text=True)
    garbage = decide(staff.client, item_id, "suspend", until="not a date")
    assert garbage.status_code == 422
    until = (utcnow() + timedelta(days=10)).date().isoformat()
    assert decide(staff.client, item_id, "suspend", until=until).status_code == 302

    # Their sessions ended: the next request finds them logged out.
    response = author.client.get("/notifications")
    assert response.status_code == 302 and response.location.startswith("/auth/login")
    # Logging in again gets them no further than the notice of the suspension.
    browser = Auth(app.test_client())
    again = browser.login(patient)
    while again.status_code == 302:
        again = browser.client.get(again.location)
    page = again.get_data(as_text=True)
    assert "Your account is suspended until" in page
    assert browser.client.get("/notifications").status_code == 302


def test_staff_cannot_be_silenced_or_suspended_and_members_cannot_act(
    app, sponsor, admin, relative, troll
):
    story_id = make_story(app, admin.id)
    report(logged_in(app, relative).client, "story", story_id, "spam")
    item_id = open_item_id(app, "story", story_id)
    staff = logged_in(app, sponsor)
    response = decide(staff.client, item_id, "suspend", until="2099-01-01")
    assert response.status_code == 422
    # Sponsor staff cannot delete: that is for admins.
    assert decide(staff.client, item_id, "delete").status_code == 422
    member = logged_in(app, troll)
    assert decide(member.client, item_id, "hide").status_code in (400, 403)
    token = csrf_token(member.client.get("/").get_data(as_text=True))
    forged = member.client.post(
        f"/moderation/items/{item_id}",
        data={"csrf_token": token, "action": "hide", "ground": "spam", "explanation": "x"},
    )
    assert forged.status_code == 403
    assert count(app, StaffAction) == 0


# --- every action writes one row of the staff log -------------------------------------------


def _item_for(app, action: Action, patient, relative, make_member) -> int:
    """An open item on which ``action`` is possible."""
    from cml_earth.moderation import actions, services

    with app.app_context():
        if action in (Action.APPROVE_GROUP, Action.REFUSE_GROUP):
            group = Group(
                slug=f"g-{action}", name=f"Group {action}", kind="topic", description="",
                languages="en", visibility="public", join_policy="open", status="proposed",
                search_text="", founder_id=patient.id,
            )  # fmt: skip
            db.session.add(group)
            db.session.flush()
            item = services.open_item("group", group.id, "proposal", subject_id=patient.id)
        elif action in (Action.UPHOLD, Action.REVERSE):
            decision = Decision(
                member_id=patient.id, action="warn", ground="spam", explanation="Spam."
            )
            db.session.add(decision)
            db.session.flush()
            item = actions.appeal(
                db.session.get(Member, patient.id), decision, "Please look again."
            )
        else:
            story = Story(author_id=patient.id, title=f"About {action}", body="Text.",
                          language="en", visibility="members")  # fmt: skip
            if action in (Action.RESTORE, Action.APPROVE_POST):
                story.hidden_at = utcnow()
                story.hidden_reason = "held" if action == Action.APPROVE_POST else "staff"
            db.session.add(story)
            db.session.flush()
            item = services.open_item_for("story", story, "report:spam")
        db.session.commit()
        return item.id


@pytest.mark.parametrize("action", list(Action))
def test_every_staff_action_writes_one_log_row(app, action, patient, relative, admin, make_member):
    item_id = _item_for(app, action, patient, relative, make_member)
    staff = logged_in(app, admin)
    extra = {"days": "2"} if action == Action.SILENCE else {}
    if action == Action.SUSPEND:
        extra = {"until": (utcnow() + timedelta(days=3)).date().isoformat()}
    before = count(app, StaffAction)
    response = decide(staff.client, item_id, action.value, **extra)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert count(app, StaffAction) == before + 1
    with app.app_context():
        row = db.session.scalar(select(StaffAction).order_by(StaffAction.id.desc()))
        assert row.action == action.value
        assert row.actor.label == "AlexAdmin"
        assert row.item_id == item_id
        assert row.at is not None
        assert db.session.get(ModerationItem, item_id).status == "closed"


def test_group_pages_decide_through_the_queue_and_archiving_is_logged(app, patient, sponsor):
    with app.app_context():
        group = Group(
            slug="stockholm-cml", name="Stockholm CML", kind="local", description="",
            languages="sv", visibility="public", join_policy="open", status="proposed",
            search_text="", founder_id=patient.id,
        )  # fmt: skip
        db.session.add(group)
        db.session.commit()
    staff = logged_in(app, sponsor)
    response = submit(staff.client, "/groups/stockholm-cml/approve", {}, page="/groups/proposals")
    assert response.status_code == 302
    response = submit(
        staff.client, "/groups/stockholm-cml/archive", {}, page="/groups/stockholm-cml"
    )
    assert response.status_code == 302
    with app.app_context():
        actions = db.session.scalars(select(StaffAction.action).order_by(StaffAction.id)).all()
        assert actions == ["approve_group", "archive_group"]


# --- the log itself -------------------------------------------------------------------------


def test_the_log_is_append_only_in_the_database(app, patient, relative, sponsor):
    story_id = make_story(app, patient.id)
    report(logged_in(app, relative).client, "story", story_id, "spam")
    decide(logged_in(app, sponsor).client, open_item_id(app, "story", story_id), "dismiss")
    with app.app_context():
        for statement in (
            "UPDATE staff_actions SET reason = 'edited'",
            "DELETE FROM staff_actions",
        ):
            with pytest.raises(Exception, match="append-only"):
                db.session.execute(text(statement))
                db.session.flush()
            db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(StaffAction)) == 1


def test_admins_read_and_export_the_log_and_erasure_leaves_a_tombstone(
    app, patient, relative, sponsor, admin
):
    story_id = make_story(app, patient.id)
    report(logged_in(app, relative).client, "story", story_id, "spam")
    decide(logged_in(app, sponsor).client, open_item_id(app, "story", story_id), "warn")
    boss = logged_in(app, admin)
    page = boss.client.get("/moderation/log").get_data(as_text=True)
    assert "MariaStaff" in page and "AnnaPatient" in page and "Warned" in page
    exported = boss.client.get("/moderation/log.csv")
    assert exported.mimetype == "text/csv"
    body = exported.get_data(as_text=True)
    assert body.splitlines()[0].startswith("id,at,actor,actor_role,action")
    assert "MariaStaff,sponsor,warn,story" in body
    assert count(app, StaffAction, StaffAction.action == "export_log") == 1

    gone = submit(
        logged_in(app, patient).client,
        "/settings/delete",
        {"password": patient.password, "confirm": "y"},
    )
    assert gone.status_code == 302
    body = boss.client.get("/moderation/log.csv").get_data(as_text=True)
    assert "AnnaPatient" not in body
    assert "erased-member-" in body
    assert count(app, StaffAction) == 3  # warn, two exports: nothing was deleted


# --- notices under the Digital Services Act -------------------------------------------------


def test_anyone_can_send_a_notice_and_gets_a_receipt(app, patient, sponsor, outbox):
    story_id = make_story(app, patient.id, visibility="public", title="Public story")
    visitor = app.test_client()
    assert visitor.get("/report/notice").status_code == 200
    data = {
        "reason": "misinformation",
        "location": f"http://localhost/stories/{story_id}",
        "explanation": "It tells people to stop their medicine.",
        "name": "Eva Svensson",
        "email": "eva@example.org",
        "good_faith": "y",
    }
    response = submit(visitor, "/report/notice", data)
    assert response.status_code == 302
    receipt = visitor.get(response.location).get_data(as_text=True)
    with app.app_context():
        notice = db.session.scalar(select(Notice))
        assert notice.target_type == "story" and notice.target_id == story_id
        reference = notice.reference
    assert reference in receipt
    assert any(reference in message.subject for message in outbox)
    item_id = open_item_id(app, "story", story_id)
    assert item_id is not None
    # Another browser cannot read the receipt.
    assert app.test_client().get(response.location).status_code == 404

    # Staff decide; the sender hears what they decided.
    staff = logged_in(app, sponsor)
    assert decide(staff.client, item_id, "hide", ground="misinformation").status_code == 302
    decided = [message for message in outbox if "Our decision on your notice" in message.subject]
    assert len(decided) == 1 and decided[0].to == ["eva@example.org"]
    assert "Hidden" in decided[0].body


@pytest.mark.parametrize(
    "missing, message",
    [
        ("location", "Please give the address of the content."),
        ("explanation", "Please explain why you think so."),
        ("name", "Please give your name."),
        ("email", "Please give your email address."),
        ("good_faith", "A notice needs this statement."),
        ("reason", "Please choose a reason."),
    ],
)
def test_a_notice_without_a_required_field_is_refused(app, missing, message):
    data = {
        "reason": "other",
        "location": "https://elsewhere.example/post/1",
        "explanation": "Illegal.",
        "name": "Eva",
        "email": "eva@example.org",
        "good_faith": "y",
    }
    data.pop(missing)
    response = submit(app.test_client(), "/report/notice", data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(app, Notice) == 0


def test_a_notice_about_an_unknown_address_waits_in_the_queue(app):
    data = {
        "reason": "other", "location": "https://elsewhere.example/x", "explanation": "See it.",
        "name": "Eva", "email": "eva@example.org", "good_faith": "y",
    }  # fmt: skip
    assert submit(app.test_client(), "/report/notice", data).status_code == 302
    assert count(app, ModerationItem, ModerationItem.target_type == "notice") == 1


# --- roles: admins only, each change logged -------------------------------------------------


def test_admins_change_roles_and_the_change_is_logged(app, patient, sponsor, admin):
    boss = logged_in(app, admin)
    page = boss.client.get("/moderation/members/AnnaPatient").get_data(as_text=True)
    assert "Change the role" in page
    assert patient.email not in page  # least privilege: no email addresses
    url = "/moderation/members/AnnaPatient/role"
    missing = submit(boss.client, url, {"role": "sponsor", "reason": ""}, page="/moderation/")
    assert missing.status_code == 422
    bad = submit(boss.client, url, {"role": "overlord", "reason": "x"}, page="/moderation/")
    assert bad.status_code == 422
    own = submit(
        boss.client, "/moderation/members/AlexAdmin/role", {"role": "patient", "reason": "x"},
        page="/moderation/",
    )  # fmt: skip
    assert own.status_code == 403

    done = submit(
        boss.client, url, {"role": "sponsor", "safety_access": "y", "reason": "Joins the PV team"},
        page="/moderation/",
    )  # fmt: skip
    assert done.status_code == 302
    with app.app_context():
        member = db.session.get(Member, patient.id)
        assert (member.role, member.safety_access, member.has_safety_access) == (
            "sponsor", True, True,
        )  # fmt: skip
        row = db.session.scalar(select(StaffAction).where(StaffAction.action == "change_role"))
        assert row.details == {"role_from": "patient", "role_to": "sponsor", "safety_access": True}
        assert row.subject.label == "AnnaPatient" and row.reason == "Joins the PV team"

    # Sponsor staff see the page but cannot change roles.
    staff = logged_in(app, sponsor)
    assert "Change the role" not in staff.client.get("/moderation/members/AlexAdmin").get_data(
        as_text=True
    )


# --- query budgets --------------------------------------------------------------------------


def _reported_stories(app, author_id: int, reporter_ids: list[int], how_many: int) -> None:
    from cml_earth.moderation import services

    with app.app_context():
        for number in range(how_many):
            story = Story(author_id=author_id, title=f"Story {number}", body="Text.",
                          language="en", visibility="members")  # fmt: skip
            db.session.add(story)
            db.session.flush()
            item = services.open_item_for("story", story, "report:spam")
            for reporter_id in reporter_ids:
                row = Report(reporter_id=reporter_id, target_type="story", target_id=story.id,
                             reason="spam", item_id=item.id)  # fmt: skip
                db.session.add(row)
        db.session.commit()


def test_the_queue_and_an_item_cost_the_same_queries_whatever_their_size(
    app, patient, relative, troll, sponsor, queries
):
    staff = logged_in(app, sponsor)
    _reported_stories(app, patient.id, [relative.id], 2)
    staff.client.get("/moderation/")
    queries.clear()
    assert staff.client.get("/moderation/").status_code == 200
    small = len(queries)
    first_item = scalar(app, select(func.min(ModerationItem.id)))
    queries.clear()
    staff.client.get(f"/moderation/items/{first_item}")
    small_item = len(queries)

    _reported_stories(app, troll.id, [relative.id, patient.id], 25)
    queries.clear()
    assert staff.client.get("/moderation/").status_code == 200
    assert len(queries) == small, queries.statements
    last_item = scalar(app, select(func.max(ModerationItem.id)))
    queries.clear()
    staff.client.get(f"/moderation/items/{last_item}")
    assert len(queries) == small_item, queries.statements
