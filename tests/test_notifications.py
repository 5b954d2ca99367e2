"""Notifications: who is told what, the list and unread count, marking read, mail preferences,
unsubscribe links and the digest command."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from cml_earth.auth.models import Member
from cml_earth.database import utcnow
from cml_earth.extensions import db
from cml_earth.notifications import services
from cml_earth.notifications.models import Notification
from cml_earth.reactions.models import Reaction
from cml_earth.social.models import Block
from cml_earth.stories.models import Comment, Story

from .conftest import csrf_token, scalar, submit

UNSUBSCRIBE = re.compile(r"https?://[^/\s]+(/notifications/unsubscribe/[^\s\"<]+)")


# --- rows made straight in the database -----------------------------------------------------


def make_story(app, author_id: int, title: str = "Three years on imatinib") -> int:
    with app.app_context():
        story = Story(author_id=author_id, title=title, body="Still here.", language="en")
        db.session.add(story)
        db.session.commit()
        return story.id


def make_comment(app, author_id: int, story_id: int) -> int:
    with app.app_context():
        comment = Comment(author_id=author_id, story_id=story_id, body="Sending strength.")
        db.session.add(comment)
        db.session.commit()
        return comment.id


def react(app, sender_id: int, kind: str, **target) -> int | None:
    """Add a reaction row and notify as the reactions feature does; the notification's id."""
    with app.app_context():
        reaction = Reaction(sender_id=sender_id, kind=kind, **target)
        db.session.add(reaction)
        db.session.flush()
        notification = services.notify_reaction(reaction)
        db.session.commit()
        return notification.id if notification else None


def comment_on(app, author_id: int, story_id: int) -> int | None:
    comment_id = make_comment(app, author_id, story_id)
    with app.app_context():
        notification = services.notify_comment(db.session.get(Comment, comment_id))
        db.session.commit()
        return notification.id if notification else None


def follow(app, follower_id: int, followed_id: int) -> int | None:
    with app.app_context():
        notification = services.notify_follow(
            db.session.get(Member, follower_id), db.session.get(Member, followed_id)
        )
        db.session.commit()
        return notification.id if notification else None


def block(app, blocker_id: int, blocked_id: int) -> None:
    with app.app_context():
        db.session.add(Block(blocker_id=blocker_id, blocked_id=blocked_id))
        db.session.commit()


def set_frequency(app, member_id: int, frequency: str) -> None:
    with app.app_context():
        db.session.execute(
            update(Member).where(Member.id == member_id).values(notification_email=frequency)
        )
        db.session.commit()


def count_for(app, member_id: int, *where) -> int:
    return scalar(
        app,
        select(func.count(Notification.id)).where(Notification.recipient_id == member_id, *where),
    )


def page_text(client, path: str = "/notifications") -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


# --- who is told what -----------------------------------------------------------------------


def test_every_kind_is_told_to_the_owner_in_words(app, client, auth, patient, relative):
    story = make_story(app, patient.id, title="Three years on imatinib")
    other_story = make_story(app, relative.id, title="Erik's notes")
    own_comment = make_comment(app, patient.id, other_story)
    assert react(app, relative.id, "hug", member_id=patient.id)
    assert react(app, relative.id, "high_five", story_id=story)
    assert react(app, relative.id, "hug", comment_id=own_comment)
    assert comment_on(app, relative.id, story)
    assert follow(app, relative.id, patient.id)

    auth.login(patient)
    text = page_text(client)
    assert "ErikRelative</a> sent you a hug" in text
    assert "ErikRelative</a> high-fived your story “Three years on imatinib”" in text
    assert "ErikRelative</a> sent a hug for your word of support" in text
    assert (
        "ErikRelative</a> wrote a word of support on your story “Three years on imatinib”" in text
    )
    assert "ErikRelative</a> started following you" in text
    assert text.index("started following you") < text.index("sent you a hug")  # newest first
    assert 'href="/members/ErikRelative"' in text
    assert count_for(app, relative.id) == 0


def test_nobody_is_told_about_their_own_doings(app, patient):
    story = make_story(app, patient.id)
    comment = make_comment(app, patient.id, story)
    assert comment_on(app, patient.id, story) is None
    assert react(app, patient.id, "hug", story_id=story) is None
    assert react(app, patient.id, "high_five", comment_id=comment) is None
    assert count_for(app, patient.id) == 0


@pytest.mark.parametrize("who_blocks", ["recipient", "actor"])
def test_no_notification_between_blocked_members(app, patient, troll, who_blocks):
    if who_blocks == "recipient":
        block(app, patient.id, troll.id)
    else:
        block(app, troll.id, patient.id)
    story = make_story(app, patient.id)
    assert react(app, troll.id, "hug", member_id=patient.id) is None
    assert react(app, troll.id, "hug", story_id=story) is None
    assert comment_on(app, troll.id, story) is None
    assert follow(app, troll.id, patient.id) is None
    assert count_for(app, patient.id) == 0


def test_notifications_from_a_member_blocked_later_are_hidden(
    app, client, auth, patient, relative, troll
):
    react(app, troll.id, "hug", member_id=patient.id)
    react(app, relative.id, "hug", member_id=patient.id)
    block(app, patient.id, troll.id)
    auth.login(patient)
    text = page_text(client)
    assert "TrollTrollsson" not in text
    assert "ErikRelative</a> sent you a hug" in text
    assert "Notifications, 1 unread" in text


def test_a_reaction_taken_back_takes_its_unread_notification(app, patient, relative):
    story = make_story(app, patient.id)
    read_one = react(app, relative.id, "hug", member_id=patient.id)
    react(app, relative.id, "high_five", story_id=story)
    with app.app_context():
        db.session.get(Notification, read_one).read_at = utcnow()
        db.session.commit()
        for kind, target in [
            ("high_five", {"story_id": story}),
            ("hug", {"member_id": patient.id}),
        ]:
            services.withdraw_reaction_notification(
                Reaction(sender_id=relative.id, kind=kind, **target)
            )
        db.session.commit()
    # The high-five's went; the hug's had been read, so it stays as what happened.
    assert count_for(app, patient.id) == 1
    assert count_for(app, patient.id, Notification.id == read_one) == 1


# --- the list, the count, marking read ------------------------------------------------------


def test_list_needs_login(client):
    response = client.get("/notifications")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_unread_count_in_header_and_marking_read(app, client, auth, patient, relative):
    first = react(app, relative.id, "hug", member_id=patient.id)
    follow(app, relative.id, patient.id)
    auth.login(patient)
    text = page_text(client, "/about/guidelines")
    assert "Notifications, 2 unread" in text

    response = submit(client, f"/notifications/{first}/read", {}, page="/notifications")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/notifications")
    assert "Notifications, 1 unread" in page_text(client)
    assert count_for(app, patient.id, Notification.read_at.is_(None)) == 1

    response = submit(client, "/notifications/read-all", {}, page="/notifications")
    assert response.status_code == 302
    assert count_for(app, patient.id, Notification.read_at.is_(None)) == 0
    text = page_text(client)
    assert "unread" not in text
    assert "Mark all as read" not in text


def test_others_notifications_do_not_exist_for_you(app, client, auth, patient, troll, relative):
    theirs = react(app, relative.id, "hug", member_id=patient.id)
    auth.login(troll)
    response = submit(client, f"/notifications/{theirs}/read", {}, page="/notifications")
    assert response.status_code == 404
    response = submit(client, "/notifications/99999/read", {}, page="/notifications")
    assert response.status_code == 404
    submit(client, "/notifications/read-all", {}, page="/notifications")
    assert count_for(app, patient.id, Notification.read_at.is_(None)) == 1
    assert "sent you a hug" not in page_text(client)


def test_marking_read_needs_the_csrf_token(app, client, auth, patient, relative):
    mine = react(app, relative.id, "hug", member_id=patient.id)
    auth.login(patient)
    assert client.post(f"/notifications/{mine}/read").status_code == 400
    assert client.post("/notifications/read-all", data={"csrf_token": "forged"}).status_code == 400
    assert count_for(app, patient.id, Notification.read_at.is_(None)) == 1


def test_the_list_is_paginated(app, client, auth, patient, make_member):
    for number in range(25):
        follow(app, make_member(f"follower{number:02d}").id, patient.id)
    auth.login(patient)
    first = page_text(client)
    assert first.count("started following you") == 20
    assert "follower24" in first and "follower00" not in first
    second = page_text(client, "/notifications?page=2")
    assert second.count("started following you") == 5


def test_list_and_header_queries_do_not_grow(app, client, auth, patient, make_member, queries):
    story = make_story(app, patient.id)
    auth.login(patient)
    counts = []
    for batch in range(2):
        for number in range(5 * (batch + 1)):
            other = make_member(f"b{batch}m{number}")
            react(app, other.id, "hug", story_id=story)
            follow(app, other.id, patient.id)
        queries.clear()
        page_text(client)
        counts.append(len(queries))
    assert counts[0] == counts[1]


# --- the mail preference --------------------------------------------------------------------


def test_preference_page_defaults_to_never_and_saves(app, client, auth, patient):
    auth.login(patient)
    text = page_text(client, "/settings/notifications")
    assert re.search(r"<input checked[^>]*value=\"never\"", text)
    assert "always sent" in text
    assert 'href="/settings/notifications"' in text  # listed in the settings navigation
    response = submit(client, "/settings/notifications", {"notification_email": "daily"})
    assert response.status_code == 302
    assert scalar(app, select(Member.notification_email).where(Member.id == patient.id)) == "daily"
    response = submit(client, "/settings/notifications", {"notification_email": "hourly"})
    assert response.status_code == 422
    assert scalar(app, select(Member.notification_email).where(Member.id == patient.id)) == "daily"


def test_each_event_mail_is_queued_in_the_recipients_language(app, outbox, make_member, relative):
    swede = make_member("SigridSvensk", locale="sv", notification_email="each")
    nid = react(app, relative.id, "hug", member_id=swede.id)
    assert len(outbox) == 1
    message = outbox[0]
    assert message.to == [swede.email]
    assert "ErikRelative skickade en kram till dig" in message.subject  # Swedish, as she chose
    assert "Svar läses inte" in message.body  # the shared footer, in Swedish
    assert UNSUBSCRIBE.search(message.body)
    assert scalar(app, select(Notification.emailed_at).where(Notification.id == nid)) is not None


def test_no_mail_for_never_or_digest_members_right_away(app, outbox, patient, relative):
    story = make_story(app, patient.id)
    for frequency, kind, target in [
        ("never", "hug", {"member_id": patient.id}),
        ("daily", "high_five", {"member_id": patient.id}),
        ("weekly", "hug", {"story_id": story}),
    ]:
        set_frequency(app, patient.id, frequency)
        assert react(app, relative.id, kind, **target)
    assert outbox == []


# --- unsubscribe without login --------------------------------------------------------------


def unsubscribe_path(app, member_id: int) -> str:
    with app.app_context():
        token = services.unsubscribe_token(db.session.get(Member, member_id))
    return f"/notifications/unsubscribe/{token}"


def frequency_of(app, member_id: int) -> str:
    return scalar(app, select(Member.notification_email).where(Member.id == member_id))


def test_unsubscribe_link_asks_then_stops_mail(app, client, make_member):
    member = make_member("WeeklyWilma", notification_email="weekly")
    path = unsubscribe_path(app, member.id)
    page = client.get(path)
    assert page.status_code == 200
    assert 'method="post"' in page.get_data(as_text=True)
    assert frequency_of(app, member.id) == "weekly"  # opening the link changes nothing
    response = client.post(path, data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    assert response.status_code == 200
    assert frequency_of(app, member.id) == "never"


def test_unsubscribe_refuses_forged_links_and_posts_without_token(app, client, make_member):
    member = make_member("DailyDan", notification_email="daily")
    path = unsubscribe_path(app, member.id)
    assert client.get(path[:-3] + "abc").status_code == 400
    assert client.get("/notifications/unsubscribe/not-a-token").status_code == 400
    assert client.post(path).status_code == 400  # no CSRF token
    with app.app_context():
        db.session.get(Member, member.id).email = "new.address@example.org"
        db.session.commit()
    assert client.get(path).status_code == 400  # the link was for the old address
    assert frequency_of(app, member.id) == "daily"


# --- digests --------------------------------------------------------------------------------


def send_digests(runner) -> str:
    result = runner.invoke(args=["notifications", "send-digests"])
    assert result.exit_code == 0, result.output
    return result.output


def test_digest_goes_once_to_members_who_asked(app, runner, outbox, make_member, relative):
    daily = make_member("DailyDora", locale="sv", notification_email="daily")
    weekly = make_member("WeeklyWalt", notification_email="weekly")
    never = make_member("NeverNina")
    story = make_story(app, daily.id, title="Min berättelse")
    react(app, relative.id, "hug", member_id=daily.id)
    react(app, relative.id, "high_five", story_id=story)
    follow(app, relative.id, weekly.id)
    follow(app, relative.id, never.id)

    assert "Sent 2 digest mail(s)." in send_digests(runner)
    assert sorted(m.to[0] for m in outbox) == [daily.email, weekly.email]
    dora = next(m for m in outbox if m.to == [daily.email])
    # Dora reads Swedish.
    assert "ErikRelative skickade en kram till dig" in dora.body
    assert "ErikRelative gav din berättelse ”Min berättelse” en high five" in dora.body
    assert "Svar läses inte" in dora.body
    assert UNSUBSCRIBE.search(dora.body)
    assert count_for(app, daily.id, Notification.emailed_at.is_(None)) == 0
    assert count_for(app, never.id, Notification.emailed_at.is_(None)) == 1

    outbox.clear()
    react(app, relative.id, "hug", story_id=story)  # new, but the last digest is too recent
    assert "Sent 0 digest mail(s)." in send_digests(runner)
    assert outbox == []

    with app.app_context():  # a day later
        db.session.execute(
            update(Notification)
            .where(Notification.emailed_at.is_not(None))
            .values(emailed_at=utcnow() - timedelta(hours=24))
        )
        db.session.commit()
    assert "Sent 1 digest mail(s)." in send_digests(runner)
    assert [m.to for m in outbox] == [[daily.email]]
    assert "skickade en kram för din berättelse" in outbox[0].body
    assert "skickade en kram till dig" not in outbox[0].body  # sent yesterday already


def test_digest_takes_over_only_stale_claims(app, runner, outbox, make_member, relative):
    daily = make_member("DailyDora", notification_email="daily")
    react(app, relative.id, "hug", member_id=daily.id)

    def claimed(ago: timedelta) -> None:
        with app.app_context():
            db.session.execute(
                update(Notification).values(email_batch="x" * 32, email_claimed_at=utcnow() - ago)
            )
            db.session.commit()

    claimed(timedelta(minutes=1))  # another run is sending it right now
    assert "Sent 0 digest mail(s)." in send_digests(runner)
    claimed(timedelta(minutes=20))  # that run died
    assert "Sent 1 digest mail(s)." in send_digests(runner)
    assert len(outbox) == 1


def test_digest_leaves_out_members_blocked_since(app, runner, outbox, make_member, relative, troll):
    daily = make_member("DailyDora", notification_email="daily")
    react(app, troll.id, "hug", member_id=daily.id)
    react(app, relative.id, "hug", member_id=daily.id)
    block(app, daily.id, troll.id)
    send_digests(runner)
    assert len(outbox) == 1
    assert "TrollTrollsson" not in outbox[0].body
    assert count_for(app, daily.id, Notification.emailed_at.is_(None)) == 0


# --- export ---------------------------------------------------------------------------------


def test_export_lists_notifications_received(app, client, auth, patient, relative):
    react(app, relative.id, "hug", member_id=patient.id)
    auth.login(patient)
    response = submit(client, "/settings/export", {})
    assert response.status_code == 200
    data = json.loads(zipfile.ZipFile(io.BytesIO(response.data)).read("data.json"))
    assert [(n["kind"], n["from_member"]) for n in data["notifications"]] == [
        ("hug", "ErikRelative")
    ]
