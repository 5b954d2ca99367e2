"""Stories and words of support: the real forms, permissions, visibility, blocks and budgets."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from sqlalchemy import func, select

from cml_earth.extensions import db
from cml_earth.social.models import Block
from cml_earth.stories.models import BODY_MAX_LENGTH, COMMENT_MAX_LENGTH, Comment, Story

from .conftest import scalar, submit


def make_story(app, author_id: int, *, title="A day at a time", visibility="members", **fields):
    """A story straight in the database; returns its id."""
    with app.app_context():
        story = Story(
            author_id=author_id,
            title=title,
            body=fields.pop("body", "Today was a **good** day."),
            language=fields.pop("language", "en"),
            visibility=visibility,
            **fields,
        )
        db.session.add(story)
        db.session.commit()
        return story.id


def make_comment(app, story_id: int, author_id: int, body="Thinking of you.") -> int:
    """A word of support straight in the database, counted on its story as the service does."""
    with app.app_context():
        comment = Comment(story_id=story_id, author_id=author_id, body=body)
        db.session.add(comment)
        db.session.get(Story, story_id).comment_count += 1
        db.session.commit()
        return comment.id


def block(app, blocker_id: int, blocked_id: int) -> None:
    with app.app_context():
        db.session.add(Block(blocker_id=blocker_id, blocked_id=blocked_id))
        db.session.commit()


def story_row(app, story_id: int) -> Story | None:
    with app.app_context():
        story = db.session.get(Story, story_id)
        if story is not None:
            db.session.expunge(story)
        return story


def count(app, model) -> int:
    return scalar(app, select(func.count()).select_from(model))


def story_form(**values) -> dict:
    return {
        "title": "Three years on nilotinib",
        "body": "I want to tell you how it went.",
        "language": "en",
        "visibility": "members",
        **values,
    }


def submission_key(html: str) -> str:
    match = re.search(r'name="submission_key" type="hidden" value="([^"]+)"', html) or re.search(
        r'type="hidden" name="submission_key" value="([^"]+)"', html
    )
    assert match, "no submission key in the form"
    return match.group(1)


# --- writing, editing and deleting through the forms ----------------------------------------


def test_write_edit_and_delete_a_story(app, client, auth, patient):
    auth.login(patient)
    page = client.get("/stories/new").get_data(as_text=True)
    assert 'value="members" checked' in page or 'checked id="visibility-1"' in page
    response = submit(client, "/stories/new", story_form(submission_key=submission_key(page)))
    assert response.status_code == 302
    story_id = scalar(app, select(Story.id))
    assert response.headers["Location"] == f"/stories/{story_id}"

    page = client.get(f"/stories/{story_id}").get_data(as_text=True)
    assert "Three years on nilotinib" in page
    assert "AnnaPatient" in page
    assert "edited" not in page

    response = submit(
        client,
        f"/stories/{story_id}/edit",
        story_form(title="Four years on nilotinib", body="*Still* here.", visibility="public"),
    )
    assert response.status_code == 302
    story = story_row(app, story_id)
    assert (story.title, story.body, story.visibility) == (
        "Four years on nilotinib",
        "*Still* here.",
        "public",
    )
    assert story.edited_at is not None
    page = client.get(f"/stories/{story_id}").get_data(as_text=True)
    assert "<em>Still</em> here." in page
    assert "edited" in page

    assert "Delete the story" in client.get(f"/stories/{story_id}/delete").get_data(as_text=True)
    response = submit(client, f"/stories/{story_id}/delete", {})
    assert response.status_code == 302
    assert response.headers["Location"] == "/members/AnnaPatient"
    assert story_row(app, story_id) is None


def test_story_language_defaults_to_the_members_locale(app, client, auth, make_member):
    swede = make_member("Svensson", locale="sv")
    auth.login(swede)
    page = client.get("/stories/new").get_data(as_text=True)
    assert re.search(r'<option selected value="sv">|<option value="sv" selected>', page)


def test_double_submit_makes_one_story(app, client, auth, patient):
    auth.login(patient)
    page = client.get("/stories/new").get_data(as_text=True)
    data = story_form(submission_key=submission_key(page))
    first = submit(client, "/stories/new", data)
    second = submit(client, "/stories/new", data)
    assert count(app, Story) == 1
    assert first.headers["Location"] == second.headers["Location"]


def test_a_new_form_makes_a_new_story(app, client, auth, patient):
    auth.login(patient)
    for _ in range(2):
        page = client.get("/stories/new").get_data(as_text=True)
        submit(client, "/stories/new", story_form(submission_key=submission_key(page)))
    assert count(app, Story) == 2


@pytest.mark.parametrize(
    "values",
    [
        {"title": ""},
        {"title": "x" * 201},
        {"body": ""},
        {"body": "x" * (BODY_MAX_LENGTH + 1)},
        {"visibility": "everyone"},
        {"language": "xx"},
        {"submission_key": "not-a-key"},
        {"title": "bad\x00byte"},
    ],
)
def test_invalid_story_is_refused(app, client, auth, patient, values):
    auth.login(patient)
    response = submit(client, "/stories/new", story_form(**values))
    assert response.status_code == 422
    assert count(app, Story) == 0


def test_story_at_the_limit_is_accepted(app, client, auth, patient):
    auth.login(patient)
    response = submit(client, "/stories/new", story_form(body="x" * BODY_MAX_LENGTH))
    assert response.status_code == 302


def test_script_in_title_and_body_is_harmless(app, client, auth, patient):
    auth.login(patient)
    submit(
        client,
        "/stories/new",
        story_form(
            title='<script>alert("t")</script>',
            body="<img src=x onerror=alert(1)> [x](javascript:alert(2)) <script>alert(3)</script>",
            visibility="public",
        ),
    )
    story_id = scalar(app, select(Story.id))
    for path in (f"/stories/{story_id}", "/members/AnnaPatient", "/"):
        page = client.get(path).get_data(as_text=True)
        assert "<script>alert" not in page
        assert "&lt;script&gt;alert(&#34;t&#34;)&lt;/script&gt;" in page
        assert "<img src=x" not in page
        assert "onerror=alert" not in page or "&lt;img" in page
        assert 'href="javascript:' not in page


# --- who may write ------------------------------------------------------------------------


def test_unverified_members_cannot_post(app, client, auth, make_member):
    auth.login(make_member("Newcomer", verified=False))
    response = client.get("/stories/new")
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/verify"
    response = submit(client, "/stories/new", story_form(), page="/")
    assert response.status_code == 302
    assert count(app, Story) == 0


def test_visitors_are_sent_to_log_in(app, client, patient):
    response = client.get("/stories/new")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=/stories/new")


def test_staff_may_write(app, client, auth, sponsor):
    auth.login(sponsor)
    assert submit(client, "/stories/new", story_form()).status_code == 302


def test_only_the_author_edits_and_deletes(app, client, auth, patient, troll):
    story_id = make_story(app, patient.id)
    auth.login(troll)
    assert client.get(f"/stories/{story_id}/edit").status_code == 403
    assert client.get(f"/stories/{story_id}/delete").status_code == 403
    page = client.get(f"/stories/{story_id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert (
        client.post(f"/stories/{story_id}/edit", data={"csrf_token": token, **story_form()})
    ).status_code == 403
    assert (
        client.post(f"/stories/{story_id}/delete", data={"csrf_token": token})
    ).status_code == 403
    assert story_row(app, story_id).title == "A day at a time"
    # A story he may not see does not exist for him at all.
    private_id = make_story(app, patient.id, visibility="private")
    assert client.get(f"/stories/{private_id}/edit").status_code == 404
    assert (
        client.post(f"/stories/{private_id}/delete", data={"csrf_token": token}).status_code == 404
    )


def test_missing_story_is_404(app, client, auth, patient):
    auth.login(patient)
    assert client.get("/stories/999").status_code == 404
    assert client.get("/stories/999/edit").status_code == 404


# --- who may see --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("visibility", "anonymous", "member", "author"),
    [
        ("public", 200, 200, 200),
        ("members", 302, 200, 200),
        ("groups", 302, 404, 200),  # they share no group: tests/test_groups.py
        ("private", 404, 404, 200),
    ],
)
def test_story_visibility(
    app, client, auth, patient, relative, visibility, anonymous, member, author
):
    story_id = make_story(app, patient.id, visibility=visibility, title="Visible title")
    response = client.get(f"/stories/{story_id}")
    assert response.status_code == anonymous
    if anonymous == 302:
        assert response.headers["Location"].startswith("/auth/login")
    shown_on_profile = client.get("/members/AnnaPatient")
    if visibility == "public" and shown_on_profile.status_code == 200:
        assert "Visible title" in shown_on_profile.get_data(as_text=True)
    auth.login(relative)
    assert client.get(f"/stories/{story_id}").status_code == member
    profile = client.get("/members/AnnaPatient").get_data(as_text=True)
    assert ("Visible title" in profile) == (member == 200)
    auth.logout()
    auth.login(patient)
    assert client.get(f"/stories/{story_id}").status_code == author
    assert "Visible title" in client.get("/members/AnnaPatient").get_data(as_text=True)


def test_profile_lists_twenty_stories_and_links_to_the_rest(app, client, auth, patient, relative):
    for number in range(21):
        make_story(app, patient.id, title=f"Chapter {number:02}")
    auth.login(relative)
    page = client.get("/members/AnnaPatient").get_data(as_text=True)
    titles = re.findall(r"Chapter (\d\d)", page)
    assert titles == [f"{n:02}" for n in range(20, 0, -1)]
    assert "/members/AnnaPatient/stories" in page
    first = client.get("/members/AnnaPatient/stories").get_data(as_text=True)
    second = client.get("/members/AnnaPatient/stories?page=2").get_data(as_text=True)
    assert len(re.findall(r"Chapter \d\d", first)) == 20
    assert re.findall(r"Chapter (\d\d)", second) == ["00"]


# --- words of support ---------------------------------------------------------------------


def test_write_edit_and_delete_words_of_support(app, client, auth, patient, relative):
    story_id = make_story(app, patient.id)
    auth.login(relative)
    response = submit(
        client,
        f"/stories/{story_id}/comments",
        {"body": "You are **brave**."},
        page=f"/stories/{story_id}",
    )
    assert response.status_code == 302
    comment_id = scalar(app, select(Comment.id))
    assert response.headers["Location"] == f"/stories/{story_id}#comment-{comment_id}"
    assert story_row(app, story_id).comment_count == 1
    assert "You are <strong>brave</strong>." in client.get(f"/stories/{story_id}").get_data(
        as_text=True
    )

    response = submit(client, f"/comments/{comment_id}/edit", {"body": "You are strong."})
    assert response.status_code == 302
    with app.app_context():
        comment = db.session.get(Comment, comment_id)
        assert (comment.body, comment.edited_at is not None) == ("You are strong.", True)

    response = submit(client, f"/comments/{comment_id}/delete", {}, page=f"/stories/{story_id}")
    assert response.status_code == 302
    assert count(app, Comment) == 0
    assert story_row(app, story_id).comment_count == 0


def test_double_submitted_words_of_support_count_once(app, client, auth, patient, relative):
    story_id = make_story(app, patient.id)
    auth.login(relative)
    page = client.get(f"/stories/{story_id}").get_data(as_text=True)
    data = {"body": "Hugs!", "submission_key": submission_key(page)}
    submit(client, f"/stories/{story_id}/comments", data, page=f"/stories/{story_id}")
    submit(client, f"/stories/{story_id}/comments", data, page=f"/stories/{story_id}")
    assert count(app, Comment) == 1
    assert story_row(app, story_id).comment_count == 1


@pytest.mark.parametrize("body", ["", "x" * (COMMENT_MAX_LENGTH + 1)])
def test_invalid_words_of_support_are_refused(app, client, auth, patient, relative, body):
    story_id = make_story(app, patient.id)
    auth.login(relative)
    response = submit(
        client, f"/stories/{story_id}/comments", {"body": body}, page=f"/stories/{story_id}"
    )
    assert response.status_code == 422
    assert count(app, Comment) == 0
    assert story_row(app, story_id).comment_count == 0


def test_story_author_removes_anothers_words_but_cannot_edit_them(
    app, client, auth, patient, relative, troll
):
    story_id = make_story(app, patient.id)
    kind = make_comment(app, story_id, relative.id, "Lovely.")
    rude = make_comment(app, story_id, troll.id, "Rude words.")
    auth.login(patient)
    assert client.get(f"/comments/{rude}/edit").status_code == 403
    response = submit(client, f"/comments/{rude}/delete", {}, page=f"/stories/{story_id}")
    assert response.status_code == 302
    assert story_row(app, story_id).comment_count == 1
    assert scalar(app, select(Comment.id)) == kind


def test_others_cannot_edit_or_remove_words_of_support(app, client, auth, patient, relative, troll):
    story_id = make_story(app, patient.id)
    comment_id = make_comment(app, story_id, relative.id, "Lovely.")
    auth.login(troll)
    assert client.get(f"/comments/{comment_id}/edit").status_code == 403
    response = submit(client, f"/comments/{comment_id}/delete", {}, page=f"/stories/{story_id}")
    assert response.status_code == 403
    assert count(app, Comment) == 1
    assert story_row(app, story_id).comment_count == 1


def test_words_of_support_need_a_verified_member_who_sees_the_story(
    app, client, auth, patient, make_member
):
    story_id = make_story(app, patient.id)
    private_id = make_story(app, patient.id, visibility="private")
    newcomer = make_member("Newcomer", verified=False)
    auth.login(newcomer)
    page = client.get(f"/stories/{story_id}").get_data(as_text=True)
    assert "Send my words of support" not in page
    response = submit(
        client, f"/stories/{story_id}/comments", {"body": "Hi"}, page=f"/stories/{story_id}"
    )
    assert response.status_code == 403
    auth.logout()
    auth.login(make_member("Verified"))
    response = submit(
        client, f"/stories/{private_id}/comments", {"body": "Hi"}, page=f"/stories/{story_id}"
    )
    assert response.status_code == 404
    assert count(app, Comment) == 0


# --- blocks -------------------------------------------------------------------------------


@pytest.mark.parametrize("direction", ["author blocked reader", "reader blocked author"])
def test_blocked_members_stories_and_words_are_hidden(
    app, client, auth, patient, relative, troll, direction
):
    story_id = make_story(app, troll.id, title="Troll story", visibility="public")
    patients_story = make_story(app, patient.id, title="Anna story")
    make_comment(app, patients_story, troll.id, "Troll words")
    make_comment(app, patients_story, relative.id, "Kind words")
    if direction == "author blocked reader":
        block(app, troll.id, patient.id)
    else:
        block(app, patient.id, troll.id)
    auth.login(patient)
    assert client.get(f"/stories/{story_id}").status_code == 404
    assert "Troll story" not in client.get("/").get_data(as_text=True)
    page = client.get(f"/stories/{patients_story}").get_data(as_text=True)
    assert "Kind words" in page
    assert "Troll words" not in page
    response = submit(
        client, f"/stories/{story_id}/comments", {"body": "Hi"}, page=f"/stories/{patients_story}"
    )
    assert response.status_code == 404
    auth.logout()
    auth.login(troll)
    assert client.get(f"/stories/{patients_story}").status_code == 404
    response = submit(
        client, f"/stories/{patients_story}/comments", {"body": "Hi"}, page=f"/stories/{story_id}"
    )
    assert response.status_code == 404


# --- export and erasure -------------------------------------------------------------------


def test_export_holds_the_members_stories_and_words(app, patient, relative):
    from cml_earth.account.export import collect, export_member
    from cml_earth.auth.models import Member

    story_id = make_story(app, patient.id, title="Mine")
    others = make_story(app, relative.id, title="Theirs")
    make_comment(app, others, patient.id, "My words")
    make_comment(app, story_id, relative.id, "Their words")
    with app.test_request_context():
        data = collect(db.session.get(Member, patient.id))
    assert [story["title"] for story in data["stories"]] == ["Mine"]
    assert [comment["body"] for comment in data["comments"]] == ["My words"]
    assert data["comments"][0]["story_id"] == others
    with app.test_request_context():
        archive = export_member(db.session.get(Member, patient.id))
    with zipfile.ZipFile(io.BytesIO(archive.content)) as files:
        readable = files.read("index.html").decode()
    assert "Your stories" in readable
    assert "My words" in readable
    assert "Members who are logged in" in readable  # the story's audience, in words


def test_erasure_keeps_other_members_counts_right(app, patient, relative, troll):
    from cml_earth.account.erasure import erase_account
    from cml_earth.auth.models import Member

    theirs = make_story(app, relative.id)
    mine = make_story(app, patient.id)
    make_comment(app, theirs, patient.id)
    make_comment(app, theirs, patient.id)
    make_comment(app, theirs, troll.id)
    make_comment(app, mine, relative.id)
    with app.test_request_context():
        erase_account(db.session.get(Member, patient.id))
        db.session.commit()
    assert story_row(app, theirs).comment_count == 1
    assert story_row(app, mine) is None
    assert count(app, Comment) == 1


# --- query budgets ------------------------------------------------------------------------


def page_frame(client, queries) -> int:
    """What every page costs a logged-in member (the session, the header's unread count)."""
    queries.clear()
    assert client.get("/about/guidelines").status_code == 200
    return len(queries)


def test_story_page_with_comments_costs_the_same_with_ten_times_the_data(
    app, client, auth, patient, make_member, queries
):
    """The page frame (session, header) and five: the story with its author; the viewer's
    blocks and mutes; the comments with their authors; the viewer's reactions to the story,
    then to the comments. Seven in all when this was written."""
    story_id = make_story(app, patient.id, visibility="public")
    writers = [make_member(f"writer{n}") for n in range(5)]

    def add_comments(number):
        with app.app_context():
            for n in range(number):
                db.session.add(
                    Comment(story_id=story_id, author_id=writers[n % 5].id, body=f"Word {n}")
                )
            db.session.commit()

    def measure() -> int:
        queries.clear()
        response = client.get(f"/stories/{story_id}")
        assert response.status_code == 200
        return len(queries)

    add_comments(50)
    auth.login(writers[0])
    frame = page_frame(client, queries)
    small = measure()
    add_comments(450)
    large = measure()
    assert small == large == frame + 5, "\n".join(s[:160] for s in queries.statements)


def test_profile_with_stories_costs_the_same_with_ten_times_the_data(
    app, client, auth, patient, relative, queries
):
    """The page frame (session, header's unread count) and five: the member; the viewer's blocks
    and mutes; the member's consents (the health field); the follow and reaction state (one
    union); their stories (one select, limit 21). Seven in all when this was written."""
    for number in range(5):
        make_story(app, patient.id, title=f"Chapter {number}")

    def measure() -> int:
        queries.clear()
        assert client.get("/members/AnnaPatient").status_code == 200
        return len(queries)

    auth.login(relative)
    frame = page_frame(client, queries)
    small = measure()
    for number in range(45):
        make_story(app, patient.id, title=f"More {number}")
    large = measure()
    assert small == large == frame + 5, "\n".join(s[:160] for s in queries.statements)
    assert sum("FROM stories" in statement for statement in queries.statements) == 1


def test_a_racing_double_submit_meets_the_unique_constraint(app, patient, monkeypatch):
    """The second request checked before the first committed: the savepoint catches it."""
    from cml_earth.auth.models import Member
    from cml_earth.stories import services

    key = "0b7e5f3c-1d2a-4c3b-9e8f-7a6b5c4d3e2f"
    first = make_story(app, patient.id, submission_key=key)
    lookups = iter([None])
    real = services._story_with_key
    monkeypatch.setattr(
        services, "_story_with_key", lambda author, k: next(lookups, None) or real(author, k)
    )
    with app.test_request_context(method="POST"):
        story = services.publish_story(
            db.session.get(Member, patient.id),
            title="Again",
            body="Twice",
            language="en",
            visibility="members",
            submission_key=key,
        )
        assert story.id == first
        db.session.commit()
    assert count(app, Story) == 1


def test_hidden_profiles_show_a_neutral_picture_next_to_their_words(
    app, client, auth, patient, relative
):
    # A public story, answered by a member whose profile is for members only.
    story_id = make_story(app, patient.id, visibility="public")
    make_comment(app, story_id, relative.id, body="Sending strength.")
    hidden_src = f'src="/members/{relative.username}/avatar/64'
    page = client.get(f"/stories/{story_id}").get_data(as_text=True)
    assert "Sending strength." in page
    assert hidden_src not in page  # a visitor would get a 404 there, so no broken image
    assert 'src="/static/img/member.svg"' in page
    auth.login(patient)
    page = client.get(f"/stories/{story_id}").get_data(as_text=True)
    assert hidden_src in page
