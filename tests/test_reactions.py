"""Hugs and high-fives: sending and taking back through the real forms, rules, counts, lists."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from cml_earth.extensions import db
from cml_earth.profiles.models import Profile
from cml_earth.reactions.models import Reaction
from cml_earth.social.models import Block
from cml_earth.stories.models import Comment, Story

from .conftest import Auth, csrf_token, scalar, submit


def make_story(
    app, author_id: int, visibility: str = "members", title: str = "My first year"
) -> int:
    with app.app_context():
        story = Story(
            author_id=author_id,
            title=title,
            body="Three months in, the numbers are going the right way.",
            language="en",
            visibility=visibility,
        )
        db.session.add(story)
        db.session.commit()
        return story.id


def make_comment(app, story_id: int, author_id: int) -> int:
    with app.app_context():
        comment = Comment(story_id=story_id, author_id=author_id, body="Thinking of you.")
        db.session.add(comment)
        db.session.commit()
        return comment.id


def set_profile_visibility(app, member_id: int, level: str) -> None:
    with app.app_context():
        db.session.get(Profile, member_id).profile_visibility = level
        db.session.commit()


def block(app, blocker_id: int, blocked_id: int) -> None:
    with app.app_context():
        db.session.add(Block(blocker_id=blocker_id, blocked_id=blocked_id))
        db.session.commit()


def rows(app, **where) -> int:
    statement = select(func.count()).select_from(Reaction).filter_by(**where)
    return scalar(app, statement)


def story_counts(app, story_id: int) -> tuple[int, int]:
    with app.app_context():
        story = db.session.get(Story, story_id)
        return story.hug_count, story.high_five_count


def button(html: str, kind: str) -> re.Match:
    """The form of one reaction button: its action value and aria-pressed."""
    match = re.search(
        r'<form method="post" action="[^"]*/reactions/' + kind + r'"[^>]*>.*?'
        r'name="action" value="(add|remove)".*?aria-pressed="(true|false)"',
        html,
        re.S,
    )
    assert match, f"no {kind} button in the page"
    return match


def react(client, target_url: str, kind: str, action: str, page: str, **kwargs):
    return submit(client, f"{target_url}/reactions/{kind}", {"action": action}, page=page, **kwargs)


JSON = {"Accept": "application/json"}


class TestSendAndTakeBack:
    def test_a_hug_through_the_form_and_back(self, app, client, patient, relative):
        story_id = make_story(app, patient.id)
        Auth(client).login(relative)
        page = f"/stories/{story_id}"
        html = client.get(page).get_data(as_text=True)
        assert button(html, "hug").groups() == ("add", "false")
        assert "0 hugs" in html

        answer = react(client, f"/stories/{story_id}", "hug", "add", page)
        assert answer.status_code == 302
        assert answer.headers["Location"] == page
        assert story_counts(app, story_id) == (1, 0)
        assert rows(app, story_id=story_id, sender_id=relative.id, kind="hug") == 1
        html = client.get(page).get_data(as_text=True)
        assert "You sent a hug." in html
        assert button(html, "hug").groups() == ("remove", "true")
        assert "1 hug<" in html

        answer = react(client, f"/stories/{story_id}", "hug", "remove", page)
        assert answer.status_code == 302
        assert story_counts(app, story_id) == (0, 0)
        assert rows(app, story_id=story_id) == 0
        assert "You took back your hug." in client.get(page).get_data(as_text=True)

    def test_sending_twice_from_two_tabs_counts_once(self, app, client, patient, relative):
        story_id = make_story(app, patient.id)
        Auth(client).login(relative)
        page = f"/stories/{story_id}"
        for _ in range(2):  # both tabs showed "not sent yet"
            assert react(client, page, "hug", "add", page).status_code == 302
        assert story_counts(app, story_id) == (1, 0)
        assert rows(app, story_id=story_id) == 1
        for _ in range(2):
            assert react(client, page, "hug", "remove", page).status_code == 302
        assert story_counts(app, story_id) == (0, 0)
        assert rows(app, story_id=story_id) == 0

    def test_json_answer_for_the_script(self, app, client, patient, relative):
        story_id = make_story(app, patient.id)
        Auth(client).login(relative)
        page = f"/stories/{story_id}"
        answer = react(client, page, "high_five", "add", page, headers=JSON)
        assert answer.status_code == 200
        assert answer.json == {"count": 1, "active": True, "label": "1 high-five"}
        answer = react(client, page, "high_five", "add", page, headers=JSON)
        assert answer.json == {"count": 1, "active": True, "label": "1 high-five"}
        answer = react(client, page, "high_five", "remove", page, headers=JSON)
        assert answer.json == {"count": 0, "active": False, "label": "0 high-fives"}
        assert story_counts(app, story_id) == (0, 0)

    def test_one_of_each_kind_per_sender_and_target(self, app, client, make_member, patient):
        story_id = make_story(app, patient.id)
        page = f"/stories/{story_id}"
        for sender in (make_member(), make_member(), make_member()):
            auth = Auth(client)
            auth.login(sender)
            react(client, page, "hug", "add", page)
            react(client, page, "high_five", "add", page)
            react(client, page, "hug", "add", page)
            auth.logout()
        assert story_counts(app, story_id) == (3, 3)
        assert rows(app, story_id=story_id, kind="hug") == 3
        assert rows(app, story_id=story_id, kind="high_five") == 3
        Auth(client).login(patient)
        assert "3 hugs" in client.get(page).get_data(as_text=True)

    def test_a_profile_and_a_word_of_support(self, app, client, patient, relative, make_member):
        story_id = make_story(app, patient.id)
        commenter = make_member()
        comment_id = make_comment(app, story_id, commenter.id)
        Auth(client).login(relative)
        profile = f"/members/{patient.username}"
        html = client.get(profile).get_data(as_text=True)
        assert button(html, "hug").groups() == ("add", "false")
        assert react(client, profile, "hug", "add", profile).status_code == 302
        story = f"/stories/{story_id}"
        answer = react(client, f"/comments/{comment_id}", "high_five", "add", story)
        assert answer.status_code == 302
        with app.app_context():
            assert db.session.get(Profile, patient.id).hug_count == 1
            assert db.session.get(Comment, comment_id).high_five_count == 1
        assert rows(app, member_id=patient.id, kind="hug") == 1
        assert rows(app, comment_id=comment_id, kind="high_five") == 1
        assert button(client.get(profile).get_data(as_text=True), "hug").group(2) == "true"

    def test_next_must_stay_on_the_site(self, app, client, patient, relative):
        story_id = make_story(app, patient.id)
        Auth(client).login(relative)
        page = f"/stories/{story_id}"
        answer = submit(
            client,
            f"{page}/reactions/hug",
            {"action": "add", "next": "https://evil.example/"},
            page=page,
        )
        assert answer.headers["Location"] == page


class TestWhoMayReact:
    def test_nobody_reacts_to_themselves(self, app, client, patient):
        story_id = make_story(app, patient.id)
        Auth(client).login(patient)
        page = f"/stories/{story_id}"
        assert "data-reaction" not in client.get(page).get_data(as_text=True)
        answer = react(client, page, "hug", "add", page)
        assert answer.status_code == 403
        assert "yourself" in answer.get_data(as_text=True)
        profile = f"/members/{patient.username}"
        assert react(client, profile, "hug", "add", profile).status_code == 403
        assert rows(app) == 0
        assert story_counts(app, story_id) == (0, 0)

    @pytest.mark.parametrize("role", ["sponsor", "admin"])
    def test_staff_send_no_reactions(self, app, client, patient, make_member, role):
        staff = make_member(role=role)
        story_id = make_story(app, patient.id)
        Auth(client).login(staff)
        page = f"/stories/{story_id}"
        html = client.get(page).get_data(as_text=True)
        assert "data-reaction" not in html
        assert "0 hugs" in html  # staff still see the counts
        answer = react(client, page, "hug", "add", page)
        assert answer.status_code == 403
        assert "endorsement" in answer.get_data(as_text=True)
        answer = react(client, page, "hug", "add", page, headers=JSON)
        assert answer.status_code == 403
        assert "endorsement" in answer.json["error"]
        assert rows(app) == 0

    def test_unverified_members_cannot_react(self, app, client, patient, make_member):
        newcomer = make_member(verified=False)
        story_id = make_story(app, patient.id)
        Auth(client).login(newcomer)
        page = f"/stories/{story_id}"
        assert "data-reaction" not in client.get(page).get_data(as_text=True)
        answer = react(client, page, "hug", "add", page)
        assert answer.status_code == 403
        assert "confirm your email" in answer.get_data(as_text=True)
        assert rows(app) == 0

    def test_visitors_see_counts_and_a_way_to_log_in(self, app, client, patient):
        story_id = make_story(app, patient.id, visibility="public")
        page = f"/stories/{story_id}"
        html = client.get(page).get_data(as_text=True)
        assert "data-reaction" not in html
        assert "Log in to send a hug or high-five" in html
        token = csrf_token(html)
        answer = client.post(f"{page}/reactions/hug", data={"csrf_token": token, "action": "add"})
        assert answer.status_code == 302
        assert "/auth/login" in answer.headers["Location"]
        assert rows(app) == 0

    def test_missing_csrf_token_is_refused(self, app, client, patient, relative):
        story_id = make_story(app, patient.id)
        Auth(client).login(relative)
        answer = client.post(f"/stories/{story_id}/reactions/hug", data={"action": "add"})
        assert answer.status_code == 400
        assert rows(app) == 0

    def test_an_unknown_action_is_refused(self, app, client, patient, relative):
        story_id = make_story(app, patient.id)
        Auth(client).login(relative)
        page = f"/stories/{story_id}"
        assert react(client, page, "hug", "flip", page).status_code == 400
        assert client.get(f"{page}/reactions/wave").status_code in (404, 405)
        assert rows(app) == 0


class TestWhatCannotBeSeen:
    def test_a_private_story_and_its_comments_are_not_found(
        self, app, client, patient, relative, make_member
    ):
        story_id = make_story(app, patient.id, visibility="private")
        comment_id = make_comment(app, story_id, patient.id)
        Auth(client).login(relative)
        for url in (f"/stories/{story_id}", f"/comments/{comment_id}"):
            assert react(client, url, "hug", "add", "/").status_code == 404
            assert client.get(f"{url}/reactions").status_code == 404
        assert rows(app) == 0

    def test_a_deleted_story_is_not_found(self, app, client, patient, relative):
        story_id = make_story(app, patient.id)
        with app.app_context():
            db.session.delete(db.session.get(Story, story_id))
            db.session.commit()
        Auth(client).login(relative)
        page = f"/stories/{story_id}"
        assert react(client, page, "hug", "add", "/").status_code == 404
        assert react(client, "/comments/999999", "hug", "add", "/").status_code == 404
        assert react(client, "/members/nobody-here", "hug", "add", "/").status_code == 404

    def test_a_private_profile_is_not_found(self, app, client, patient, relative):
        set_profile_visibility(app, patient.id, "private")
        Auth(client).login(relative)
        profile = f"/members/{patient.username}"
        assert react(client, profile, "hug", "add", "/").status_code == 404
        assert client.get(f"{profile}/reactions").status_code == 404

    @pytest.mark.parametrize("direction", ["blocked_by_author", "blocked_the_author"])
    def test_a_block_either_way_hides_everything(
        self, app, client, patient, relative, make_member, direction
    ):
        story_id = make_story(app, patient.id, visibility="public")
        comment_id = make_comment(app, story_id, patient.id)
        if direction == "blocked_by_author":
            block(app, patient.id, relative.id)
        else:
            block(app, relative.id, patient.id)
        Auth(client).login(relative)
        targets = (
            f"/stories/{story_id}",
            f"/comments/{comment_id}",
            f"/members/{patient.username}",
        )
        for url in targets:
            assert react(client, url, "hug", "add", "/").status_code == 404, url
            assert react(client, url, "hug", "add", "/", headers=JSON).status_code == 404, url
        assert rows(app) == 0


class TestRateLimit:
    @pytest.fixture
    def app_config(self, app_config):
        app_config["RATELIMIT_ENABLED"] = True
        app_config["REACTION_LIMIT_PER_MEMBER"] = "4 per minute"
        return app_config

    def test_a_flood_of_reactions_is_stopped(self, app, client, patient, relative, make_member):
        story_id = make_story(app, patient.id)
        Auth(client).login(relative)
        page = f"/stories/{story_id}"
        token = csrf_token(client.get(page).get_data(as_text=True))
        url = f"{page}/reactions/hug"
        statuses = [
            client.post(url, data={"csrf_token": token, "action": action}).status_code
            for action in ("add", "remove", "add", "remove", "add")
        ]
        assert statuses == [302, 302, 302, 302, 429]
        assert story_counts(app, story_id) == (0, 0)
        # The limit is the member's, not everyone's.
        Auth(client).logout()
        other = make_member()
        Auth(client).login(other)
        assert react(client, page, "hug", "add", page).status_code == 302


class TestWhoSentThem:
    def test_senders_respect_visibility_and_blocks(self, app, client, patient, make_member):
        story_id = make_story(app, patient.id)
        page = f"/stories/{story_id}"
        shown, hidden, blocked_one = make_member("Shown"), make_member("Hidden"), make_member("Bl")
        for sender in (shown, hidden, blocked_one):
            Auth(client).login(sender)
            react(client, page, "hug", "add", page)
            Auth(client).logout()
        set_profile_visibility(app, hidden.id, "private")
        viewer = make_member("Viewer")
        block(app, blocked_one.id, viewer.id)
        Auth(client).login(viewer)
        html = client.get(f"{page}/reactions").get_data(as_text=True)
        assert ">Shown<" in html
        assert ">Hidden<" not in html
        assert ">Bl<" not in html
        Auth(client).logout()
        Auth(client).login(patient)  # the author sees all but the private profile
        html = client.get(f"{page}/reactions").get_data(as_text=True)
        assert ">Shown<" in html and ">Bl<" in html and ">Hidden<" not in html

    def test_the_list_costs_the_same_however_many_sent(
        self, app, client, patient, make_member, queries
    ):
        story_id = make_story(app, patient.id, visibility="public")
        page = f"/stories/{story_id}"

        def add_senders(number):
            with app.app_context():
                for _ in range(number):
                    sender = make_member()
                    db.session.add(Reaction(sender_id=sender.id, kind="hug", story_id=story_id))
                db.session.commit()

        Auth(client).login(patient)
        add_senders(2)
        client.get(f"{page}/reactions")
        queries.clear()
        assert client.get(f"{page}/reactions").status_code == 200
        few = len(queries)
        add_senders(20)
        queries.clear()
        html = client.get(f"{page}/reactions").get_data(as_text=True)
        assert html.count('class="avatar"') == 22
        assert len(queries) == few


class TestExportAndErasure:
    def test_export_lists_given_and_received(self, app, client, patient, relative):
        story_id = make_story(app, patient.id)
        page = f"/stories/{story_id}"
        Auth(client).login(relative)
        react(client, page, "hug", "add", page)
        react(client, f"/members/{patient.username}", "high_five", "add", page)
        from cml_earth.account.export import collect
        from cml_earth.auth.models import Member

        with app.test_request_context():
            given = collect(db.session.get(Member, relative.id))["reactions_given"]
            received = collect(db.session.get(Member, patient.id))["reactions_received"]
        assert [(r["kind"], r["on"], r["story_id"], r["to_member"]) for r in given] == [
            ("hug", "story", story_id, None),
            ("high_five", "profile", None, patient.username),
        ]
        assert [(r["kind"], r["on"]) for r in received] == [
            ("hug", "story"),
            ("high_five", "profile"),
        ]
        assert "sender" not in str(received) and relative.username not in str(received)

    def test_erasing_a_sender_counts_their_reactions_out(
        self, app, client, patient, relative, make_member
    ):
        story_id = make_story(app, patient.id)
        other_story = make_story(app, relative.id)
        comment_id = make_comment(app, other_story, patient.id)
        leaving, staying = make_member("Leaving"), make_member("Staying")
        for sender in (leaving, staying):
            Auth(client).login(sender)
            for url, page in (
                (f"/stories/{story_id}", f"/stories/{story_id}"),
                (f"/members/{patient.username}", f"/stories/{story_id}"),
                (f"/comments/{comment_id}", f"/stories/{other_story}"),
            ):
                react(client, url, "hug", "add", page)
                react(client, url, "high_five", "add", page)
            Auth(client).logout()
        Auth(client).login(leaving)
        answer = submit(client, "/settings/delete", {"password": leaving.password, "confirm": "y"})
        assert answer.status_code == 302
        with app.app_context():
            story = db.session.get(Story, story_id)
            profile = db.session.get(Profile, patient.id)
            comment = db.session.get(Comment, comment_id)
            for thing in (story, profile, comment):
                assert (thing.hug_count, thing.high_five_count) == (1, 1)
        assert rows(app, sender_id=leaving.id) == 0
        assert rows(app, sender_id=staying.id) == 6
