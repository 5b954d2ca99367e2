"""Block and mute: the acceptance matrix (after A blocks B, neither sees nor reaches the other)."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from sqlalchemy import func, select, text

from cml_earth.account.erasure import erase_account
from cml_earth.auth.models import Member
from cml_earth.extensions import db
from cml_earth.notifications.models import Notification
from cml_earth.reactions.models import Reaction
from cml_earth.social.models import Block, Follow, Mute
from cml_earth.stories.models import Comment, Story

from .conftest import csrf_token, scalar, submit

SETTINGS = "/settings/blocked"
FTS_TRACES = (
    "SELECT count(*) FROM stories_fts WHERE stories_fts MATCH :w",
    "SELECT count(*) FROM comments_fts WHERE comments_fts MATCH :w",
    "SELECT count(*) FROM stories_fts_data WHERE instr(lower(CAST(block AS TEXT)), :w)",
    "SELECT count(*) FROM comments_fts_data WHERE instr(lower(CAST(block AS TEXT)), :w)",
)


def make_story(app, author_id: int, title: str, visibility: str = "members") -> int:
    with app.app_context():
        story = Story(
            author_id=author_id,
            title=title,
            body=f"The body of {title}.",
            language="en",
            visibility=visibility,
        )
        db.session.add(story)
        db.session.commit()
        return story.id


def make_comment(app, story_id: int, author_id: int, body: str) -> int:
    with app.app_context():
        comment = Comment(story_id=story_id, author_id=author_id, body=body)
        db.session.add(comment)
        db.session.get(Story, story_id).comment_count += 1
        db.session.commit()
        return comment.id


def add(app, *rows) -> None:
    with app.app_context():
        db.session.add_all(rows)
        db.session.commit()


def count(app, model, *where) -> int:
    return scalar(app, select(func.count()).select_from(model).where(*where))


def block(client, username: str):
    page = f"/members/{username}/block"
    return submit(client, page, {}, page=page)


def post(client, url: str, **data):
    return submit(client, url, data, page=SETTINGS)


class World:
    """A (patient) and B (troll), each with a story, words on C's story and a hug for the other."""

    def __init__(self, app, a, b, c):
        self.a, self.b, self.c = a, b, c
        self.a_story = make_story(app, a.id, "Alpha story of Anna")
        self.b_story = make_story(app, b.id, "Bravo story of the troll")
        self.c_story = make_story(app, c.id, "Charlie story of Erik", visibility="public")
        self.a_words = make_comment(app, self.c_story, a.id, "Alpha words for Erik")
        self.b_words = make_comment(app, self.c_story, b.id, "Bravo words for Erik")
        self.a_on_b = make_comment(app, self.b_story, a.id, "Alpha words on Bravo")
        add(
            app,
            Follow(follower_id=a.id, followed_id=b.id),
            Follow(follower_id=b.id, followed_id=a.id),
            Reaction(sender_id=b.id, kind="hug", story_id=self.a_story),
            Reaction(sender_id=a.id, kind="high_five", story_id=self.b_story),
            Notification(recipient_id=a.id, actor_id=b.id, kind="hug", story_id=self.a_story),
            Notification(recipient_id=b.id, actor_id=a.id, kind="high_five", story_id=self.b_story),
        )
        with app.app_context():  # counted as the reactions service counts them
            db.session.get(Story, self.a_story).hug_count += 1
            db.session.get(Story, self.b_story).high_five_count += 1
            db.session.commit()

    def sides(self):
        """(viewer, other, other's story, other's words on C's story, viewer's own story)."""
        yield self.a, self.b, self.b_story, "Bravo words", self.a_story
        yield self.b, self.a, self.a_story, "Alpha words for Erik", self.b_story


@pytest.fixture
def world(app, patient, troll, relative):
    return World(app, patient, troll, relative)


def visible_things(client, world, viewer, other, other_story, other_words, own_story) -> dict:
    """What ``viewer`` sees of ``other``: True where something of theirs shows or answers."""
    page = lambda url: client.get(url).get_data(as_text=True)  # noqa: E731
    seen = {
        "profile": client.get(f"/members/{other.username}").status_code == 200,
        "their stories page": client.get(f"/members/{other.username}/stories").status_code == 200,
        "their followers": client.get(f"/members/{other.username}/followers").status_code == 200,
        "their following": client.get(f"/members/{other.username}/following").status_code == 200,
        "member list": other.username in page("/members/"),
        "their story": client.get(f"/stories/{other_story}").status_code == 200,
        "feed": other.username in page("/feed"),
        "their words on a third story": other_words in page(f"/stories/{world.c_story}"),
        "search: their story": f'href="/stories/{other_story}"'
        in page("/search?q=story+" + ("bravo" if other is world.b else "alpha")),
        "search: their words": other_words.split()[0] in page("/search?q=words+for+erik"),
        "senders of my story's reactions": other.username
        in page(f"/stories/{own_story}/reactions"),
        "notifications": other.username in page("/notifications"),
        "my profile's followers": other.username in page(f"/members/{viewer.username}/followers"),
    }
    return seen


def reachable(app, client, world, viewer, other, other_story) -> dict:
    """Which actions on ``other`` and their content succeed (2xx/3xx and a row written)."""
    before = count(app, Reaction) + count(app, Follow) + count(app, Comment)
    answers = {
        "hug their story": post(client, f"/stories/{other_story}/reactions/hug", action="add"),
        "hug them": post(client, f"/members/{other.username}/reactions/hug", action="add"),
        "hug their words": post(
            client,
            f"/comments/{world.b_words if other is world.b else world.a_words}/reactions/hug",
            action="add",
        ),
        "follow them": post(client, f"/members/{other.username}/follow"),
        "answer their story": post(
            client, f"/stories/{other_story}/comments", body="Hello there", submission_key="k1"
        ),
    }
    after = count(app, Reaction) + count(app, Follow) + count(app, Comment)
    refused = {name: response.status_code in (403, 404) for name, response in answers.items()}
    return {"all refused": all(refused.values()), "nothing written": before == after, **refused}


def test_before_a_block_everything_is_visible(app, client, auth, world):
    """The control for the matrix: without a block, each check does see the other member."""
    for viewer, other, other_story, other_words, own_story in world.sides():
        auth.login(viewer)
        seen = visible_things(client, world, viewer, other, other_story, other_words, own_story)
        assert all(seen.values()), seen
        auth.logout()


def test_block_matrix_nothing_of_either_is_visible_or_reachable(app, client, auth, world):
    auth.login(world.a)
    page = client.get(f"/members/{world.b.username}/block").get_data(as_text=True)
    assert "You no longer see each other" in page
    response = block(client, world.b.username)
    assert response.status_code == 302
    assert response.headers["Location"] == SETTINGS
    assert count(app, Block) == 1
    # The follows between them end; past reactions stay (hidden), counted as before.
    assert count(app, Follow) == 0
    assert count(app, Reaction) == 2
    auth.logout()

    for viewer, other, other_story, other_words, own_story in world.sides():
        auth.login(viewer)
        seen = visible_things(client, world, viewer, other, other_story, other_words, own_story)
        assert not any(seen.values()), seen
        actions = reachable(app, client, world, viewer, other, other_story)
        assert all(actions.values()), actions
        # What others wrote stays visible to both.
        assert "Charlie story of Erik" in client.get(f"/stories/{world.c_story}").get_data(
            as_text=True
        )
        auth.logout()


def test_unblock_restores_visibility_but_not_the_follows(app, client, auth, world):
    auth.login(world.a)
    block(client, world.b.username)
    assert world.b.username in client.get(SETTINGS).get_data(as_text=True)
    response = post(client, f"/members/{world.b.username}/unblock")
    assert response.status_code == 302
    assert count(app, Block) == 0
    assert client.get(f"/members/{world.b.username}").status_code == 200
    assert count(app, Follow) == 0
    assert "You have not blocked or muted anyone" in client.get(SETTINGS).get_data(as_text=True)


def test_the_blocked_member_cannot_unblock(app, client, auth, world):
    auth.login(world.a)
    block(client, world.b.username)
    auth.logout()
    auth.login(world.b)
    post(client, f"/members/{world.a.username}/unblock")
    assert count(app, Block) == 1
    # Nor block back to learn anything: blocking works, and both blocks must go to undo.
    assert block(client, world.a.username).status_code == 302
    assert count(app, Block) == 2


def test_blocking_twice_keeps_one_block(app, client, auth, world):
    auth.login(world.a)
    block(client, world.b.username)
    page = f"/members/{world.b.username}/block"
    token_page = client.get(SETTINGS).get_data(as_text=True)
    response = client.post(page, data={"csrf_token": csrf_token(token_page)})
    assert response.status_code == 302
    assert count(app, Block) == 1


def test_block_needs_csrf(app, client, auth, world):
    auth.login(world.a)
    assert client.post(f"/members/{world.b.username}/block").status_code == 400
    assert client.post(f"/members/{world.b.username}/mute").status_code == 400
    assert count(app, Block) + count(app, Mute) == 0


def test_nobody_blocks_oneself_or_staff_and_staff_block_nobody(
    app, client, auth, patient, sponsor, admin
):
    auth.login(patient)
    for username in (patient.username, sponsor.username, admin.username, "NoSuchMember"):
        assert client.get(f"/members/{username}/block").status_code == 404
        assert block_post_status(client, username) == 404
    profile = client.get(f"/members/{sponsor.username}").get_data(as_text=True)
    assert f"/members/{sponsor.username}/block" not in profile
    auth.logout()
    auth.login(sponsor)
    assert client.get(f"/members/{patient.username}/block").status_code == 404
    assert count(app, Block) == 0


def block_post_status(client, username: str) -> int:
    return post(client, f"/members/{username}/block").status_code


def test_visitors_are_sent_to_log_in(app, client, patient):
    for url in (f"/members/{patient.username}/block", SETTINGS):
        response = client.get(url)
        assert response.status_code == 302
        assert "/auth/login" in response.headers["Location"]


def test_profile_shows_block_and_mute_buttons(app, client, auth, patient, relative):
    auth.login(relative)
    page = client.get(f"/members/{patient.username}").get_data(as_text=True)
    assert f'href="/members/{patient.username}/block"' in page
    assert f'action="/members/{patient.username}/mute"' in page
    own = client.get(f"/members/{relative.username}").get_data(as_text=True)
    assert "/block" not in own and "/mute" not in own


# --- mute -----------------------------------------------------------------------------------


def test_mute_hides_from_the_feed_only(app, client, auth, world):
    auth.login(world.c)
    assert "Alpha story of Anna" in client.get("/feed").get_data(as_text=True)
    response = post(client, f"/members/{world.a.username}/mute")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/members/{world.a.username}"
    assert "Alpha story of Anna" not in client.get("/feed").get_data(as_text=True)
    # Everything else stays: the profile, the story, their words, search.
    assert client.get(f"/members/{world.a.username}").status_code == 200
    assert client.get(f"/stories/{world.a_story}").status_code == 200
    assert "Alpha words for Erik" in client.get(f"/stories/{world.c_story}").get_data(as_text=True)
    assert "<mark>Alpha</mark> story" in client.get("/search?q=alpha").get_data(as_text=True)
    profile = client.get(f"/members/{world.a.username}").get_data(as_text=True)
    assert f'action="/members/{world.a.username}/unmute"' in profile
    assert world.a.username in client.get(SETTINGS).get_data(as_text=True)
    response = submit(
        client, f"/members/{world.a.username}/unmute", {"back": "settings"}, page=SETTINGS
    )
    assert response.headers["Location"] == SETTINGS
    assert count(app, Mute) == 0
    assert "Alpha story of Anna" in client.get("/feed").get_data(as_text=True)


def test_nobody_mutes_themselves(app, client, auth, patient):
    auth.login(patient)
    assert post(client, f"/members/{patient.username}/mute").status_code == 404


# --- export and erasure ---------------------------------------------------------------------


def test_export_lists_my_blocks_and_mutes_but_not_who_blocked_me(app, client, auth, world):
    add(
        app,
        Block(blocker_id=world.a.id, blocked_id=world.b.id),
        Mute(muter_id=world.a.id, muted_id=world.c.id),
        Block(blocker_id=world.c.id, blocked_id=world.a.id),
    )
    auth.login(world.a)
    response = submit(client, "/settings/export", {})
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    data = json.loads(archive.read("data.json"))
    relations = data["blocks_and_mutes"]
    # Only what the member chose: C's block of A is C's to know, not A's.
    assert sorted((r["member"], r["relation"]) for r in relations) == sorted(
        [(world.b.username, "block"), (world.c.username, "mute")]
    )
    readable = archive.read("index.html").decode()
    assert "Members you blocked or muted" in readable


def test_erasure_removes_blocks_mutes_and_the_search_index(app, backend, world):
    add(
        app,
        Block(blocker_id=world.a.id, blocked_id=world.b.id),
        Mute(muter_id=world.c.id, muted_id=world.a.id),
    )
    secret = "Quetzalcoatlus"
    with app.app_context():
        db.session.get(Story, world.a_story).body = f"{secret} flew over the lake."
        db.session.get(Comment, world.a_words).body = f"{secret} says hello."
        db.session.commit()

    def traces() -> int:
        if backend != "sqlite":  # the tsvector is a column of the row: it goes with it
            return count(app, Story, Story.body.contains(secret)) + count(
                app, Comment, Comment.body.contains(secret)
            )
        # Matches, and the word anywhere in the index's stored segments.
        return sum(scalar(app, text(sql).bindparams(w=secret.lower())) for sql in FTS_TRACES)

    assert traces() > 0  # the check can fail
    with app.test_request_context("/settings/delete", method="POST"):
        erase_account(db.session.get(Member, world.a.id))
        db.session.commit()
    assert count(app, Block) == 0
    assert count(app, Mute) == 0
    assert traces() == 0
