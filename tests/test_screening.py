"""What happens as a post is written: the privacy check, new-member limits, crisis language,
side-effect cases, and staff who may not react."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from cml_earth.database import utcnow
from cml_earth.extensions import db
from cml_earth.moderation.models import ModerationItem
from cml_earth.stories.models import Comment, Story

from .conftest import Auth, csrf_token, scalar, submit


def logged_in(app, member) -> Auth:
    helper = Auth(app.test_client())
    assert helper.login(member).status_code == 302
    return helper


def write_story(client, body: str, title="Today", **extra):
    data = {"title": title, "body": body, "language": "en", "visibility": "members", **extra}
    return submit(client, "/stories/new", data)


def stories(app) -> int:
    return scalar(app, select(func.count()).select_from(Story))


def make_story(app, author_id: int, title="Week two") -> int:
    with app.app_context():
        story = Story(author_id=author_id, title=title, body="Some news.", language="en",
                      visibility="members")  # fmt: skip
        db.session.add(story)
        db.session.commit()
        return story.id


# --- the privacy check ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "body, found",
    [
        ("Write to me at anna.l@example.se any time", "an email address"),
        ("Ring mig på 070-123 45 67 efter sex", "a phone number"),
        ("Mitt personnummer är 19811218-9876, för apoteket", "a Swedish personal identity number"),
    ],
)
def test_personal_details_are_confirmed_before_a_story_is_published(app, patient, body, found):
    author = logged_in(app, patient)
    warned = write_story(author.client, body)
    assert warned.status_code == 422
    page = warned.get_data(as_text=True)
    assert f"your text seems to contain {found}" in page
    assert "I have checked: publish it with these details" in page
    assert stories(app) == 0

    confirmed = write_story(author.client, body, personal_details_ok="y")
    assert confirmed.status_code == 302
    assert stories(app) == 1


def test_a_clean_story_is_published_without_questions(app, patient):
    author = logged_in(app, patient)
    response = write_story(author.client, "PCR 0.1% in March, MR4.5 by 2024-03-15.")
    assert response.status_code == 302
    assert stories(app) == 1


def test_words_of_support_and_edits_get_the_same_check(app, patient, relative):
    story_id = make_story(app, patient.id)
    helper = logged_in(app, relative)
    url = f"/stories/{story_id}/comments"
    page = f"/stories/{story_id}"
    warned = submit(helper.client, url, {"body": "Call me: +46 70 123 45 67"}, page=page)
    assert warned.status_code == 422
    assert "a phone number" in warned.get_data(as_text=True)
    assert scalar(app, select(func.count()).select_from(Comment)) == 0
    sent = submit(helper.client, url, {"body": "Call me: +46 70 123 45 67",
                                       "personal_details_ok": "y"}, page=page)  # fmt: skip
    assert sent.status_code == 302

    author = logged_in(app, patient)
    edit = f"/stories/{story_id}/edit"
    data = {"title": "Week two", "body": "Mail me: a@example.org", "language": "en",
            "visibility": "members"}  # fmt: skip
    assert submit(author.client, edit, data).status_code == 422
    assert scalar(app, select(Story.body).where(Story.id == story_id)) == "Some news."


# --- new members ----------------------------------------------------------------------------


@pytest.fixture
def limits(app):
    app.config.update(NEW_MEMBER_DAYS=3, NEW_MEMBER_PUBLISHED_POSTS=2, NEW_MEMBER_POSTS_PER_DAY=3)


def test_a_new_members_link_waits_for_staff_then_is_approved(
    app, limits, make_member, relative, sponsor
):
    newcomer = make_member("Newcomer")
    author = logged_in(app, newcomer)
    response = write_story(author.client, "Read [this](https://example.org/cml) article")
    assert response.status_code == 302
    story_id = scalar(app, select(Story.id))
    assert scalar(app, select(Story.hidden_reason).where(Story.id == story_id)) == "held"
    assert "waits for a quick look by staff" in author.client.get(response.location).get_data(
        as_text=True
    )
    reader = logged_in(app, relative)
    assert reader.client.get(f"/stories/{story_id}").status_code == 404

    item_id = scalar(app, select(ModerationItem.id).where(ModerationItem.target_id == story_id))
    staff = logged_in(app, sponsor)
    assert "New member" in staff.client.get("/moderation/").get_data(as_text=True)
    approved = submit(staff.client, f"/moderation/items/{item_id}",
                      {"action": "approve_post", "ground": "other", "explanation": ""})  # fmt: skip
    assert approved.status_code == 302
    assert reader.client.get(f"/stories/{story_id}").status_code == 200

    # Without links nothing is held.
    write_story(author.client, "No links today, only a good walk.", title="Walk")
    assert scalar(app, select(Story.hidden_at).where(Story.title == "Walk")) is None


def test_new_members_post_a_few_times_a_day_and_the_limits_lift(app, limits, make_member):
    newcomer = make_member("Eager")
    author = logged_in(app, newcomer)
    for number in range(3):
        assert (
            write_story(author.client, f"Post {number}", title=f"Post {number}").status_code == 302
        )
    fourth = write_story(author.client, "One more", title="Post 3")
    assert fourth.status_code == 422
    assert "New members can post 3 times a day" in fourth.get_data(as_text=True)
    assert stories(app) == 3

    # Days later, with posts published, the same member is trusted: no limit, no holding.
    with app.app_context():
        from cml_earth.auth.models import Member

        member = db.session.get(Member, newcomer.id)
        member.created_at = utcnow() - timedelta(days=10)
        for story in db.session.scalars(select(Story)):
            story.created_at = utcnow() - timedelta(days=2)
        db.session.commit()
    assert write_story(author.client, "See https://example.org", title="Link").status_code == 302
    assert scalar(app, select(Story.hidden_at).where(Story.title == "Link")) is None


# --- crisis language ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "country, locale, body, contact",
    [
        ("SE", "sv", "Jag orkar inte längre, jag vill dö.", "90101"),
        ("US", "en", "Some nights I just want to end my life.", "988"),
        ("GB", "en", "I keep thinking about killing myself", "116 123"),
    ],
)
def test_self_harm_language_shows_the_crisis_contacts_and_tops_the_queue(
    app, make_member, sponsor, country, locale, body, contact
):
    member = make_member("NightOwl", country_code=country, locale=locale)
    author = logged_in(app, member)
    response = write_story(author.client, body)
    assert response.status_code == 302 and response.location == "/help/crisis"
    assert contact in author.client.get("/help/crisis").get_data(as_text=True)
    with app.app_context():
        item = db.session.scalar(select(ModerationItem))
        assert item.priority == 0 and "crisis" in item.reasons
    # The story itself is published: reaching out is not punished.
    assert scalar(app, select(Story.hidden_at)) is None


def test_every_page_footer_links_the_crisis_contacts(app, client):
    for path in ("/", "/auth/login", "/groups/"):
        assert 'href="/help/crisis"' in client.get(path).get_data(as_text=True)


# --- side effects ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body, opens",
    [
        ("Jag fick svåra muskelkramper av Sprycel", True),
        ("Since switching to Tasigna I have a rash", True),
        ("I take Sprycel and feel great", False),
        ("Rash decisions about my holiday", False),
    ],
)
def test_a_medicine_named_with_a_side_effect_opens_a_case(app, patient, body, opens):
    from cml_earth.safety.models import AdverseEventCase

    author = logged_in(app, patient)
    assert write_story(author.client, body).status_code == 302
    cases = scalar(app, select(func.count()).select_from(AdverseEventCase))
    assert cases == (1 if opens else 0)
    side_effect_items = scalar(
        app, select(func.count()).select_from(ModerationItem).where(ModerationItem.priority == 1)
    )
    assert side_effect_items == (1 if opens else 0)


# --- staff and reactions --------------------------------------------------------------------


def test_staff_send_no_reactions_unless_the_setting_allows(app, patient, sponsor):
    story_id = make_story(app, patient.id)
    staff = logged_in(app, sponsor)
    url = f"/stories/{story_id}/reactions/hug"
    page = staff.client.get(f"/stories/{story_id}").get_data(as_text=True)
    assert url not in page
    token = csrf_token(page)
    refused = staff.client.post(url, data={"csrf_token": token, "action": "add"})
    assert refused.status_code == 403
    assert "could read as endorsement" in refused.get_data(as_text=True)
    app.config.update(STAFF_REACTIONS_BLOCKED=False)
    sent = staff.client.post(url, data={"csrf_token": token, "action": "add"})
    assert sent.status_code == 302
