"""The home feed of a logged-in member: follows first, blocks and mutes left out, paged."""

from __future__ import annotations

import re
from datetime import timedelta

from cml_earth.database import utcnow
from cml_earth.extensions import db
from cml_earth.social.models import Block, Follow, Mute
from cml_earth.stories.models import Story


def add(app, *rows) -> None:
    with app.app_context():
        db.session.add_all(rows)
        db.session.commit()


def add_stories(app, author_id: int, count: int, *, prefix="Story", hours_ago=0, **fields):
    """``count`` stories, the first the newest, an hour apart, starting ``hours_ago``."""
    now = utcnow()
    add(
        app,
        *(
            Story(
                author_id=author_id,
                title=f"{prefix} {number:03}",
                body="Some words.",
                language="en",
                visibility=fields.get("visibility", "members"),
                created_at=now - timedelta(hours=hours_ago + number),
            )
            for number in range(count)
        ),
    )


def titles(html: str) -> list[str]:
    return re.findall(r'<h3><a href="/stories/\d+">([^<]+)</a></h3>', html)


def test_visitors_still_see_the_welcome_page(app, client, patient):
    add_stories(app, patient.id, 1, visibility="public")
    page = client.get("/").get_data(as_text=True)
    assert "Join the community" in page
    assert "Story 000" not in page


def test_members_home_is_the_feed_newest_first(app, client, auth, patient, relative):
    add_stories(app, patient.id, 3, prefix="Anna")
    add_stories(app, relative.id, 1, prefix="Erik", hours_ago=1)  # between Anna 000 and 001
    auth.login(relative)
    assert titles(client.get("/").get_data(as_text=True)) == [
        "Anna 000",
        "Erik 000",
        "Anna 001",
        "Anna 002",
    ]
    assert titles(client.get("/feed").get_data(as_text=True))[0] == "Anna 000"
    assert "Write a story" in client.get("/").get_data(as_text=True)


def test_private_stories_stay_out_of_others_feeds(app, client, auth, patient, relative):
    add_stories(app, patient.id, 1, prefix="Private", visibility="private")
    add_stories(app, patient.id, 1, prefix="Shared", hours_ago=1)
    auth.login(relative)
    assert titles(client.get("/").get_data(as_text=True)) == ["Shared 000"]
    auth.logout()
    auth.login(patient)
    assert titles(client.get("/").get_data(as_text=True)) == ["Private 000", "Shared 000"]


def test_stories_of_followed_members_come_first(app, client, auth, patient, relative, make_member):
    followed = make_member("Followed")
    add_stories(app, followed.id, 2, prefix="Followed", hours_ago=48)
    add_stories(app, patient.id, 2, prefix="Newer")
    add(app, Follow(follower_id=relative.id, followed_id=followed.id))
    auth.login(relative)
    assert titles(client.get("/").get_data(as_text=True)) == [
        "Followed 000",
        "Followed 001",
        "Newer 000",
        "Newer 001",
    ]


def test_muted_members_are_left_out_but_their_stories_stay_reachable(
    app, client, auth, patient, relative
):
    add_stories(app, patient.id, 1, prefix="Muted")
    add(app, Mute(muter_id=relative.id, muted_id=patient.id))
    auth.login(relative)
    assert titles(client.get("/").get_data(as_text=True)) == []
    with app.app_context():
        story_id = db.session.scalar(db.select(Story.id))
    assert client.get(f"/stories/{story_id}").status_code == 200
    assert "Muted 000" in client.get("/members/AnnaPatient").get_data(as_text=True)


def test_blocked_members_are_left_out_either_way(app, client, auth, patient, relative, troll):
    add_stories(app, troll.id, 1, prefix="Troll", visibility="public")
    add_stories(app, patient.id, 1, prefix="Anna")
    add(app, Block(blocker_id=patient.id, blocked_id=troll.id))
    auth.login(patient)
    assert titles(client.get("/").get_data(as_text=True)) == ["Anna 000"]
    auth.logout()
    auth.login(troll)
    assert titles(client.get("/").get_data(as_text=True)) == ["Troll 000"]


def test_feed_is_paged_by_twenty(app, client, auth, patient, relative):
    add_stories(app, patient.id, 45)
    auth.login(relative)
    pages = [titles(client.get(f"/?page={n}").get_data(as_text=True)) for n in (1, 2, 3)]
    assert [len(page) for page in pages] == [20, 20, 5]
    assert pages[0][0] == "Story 000"
    assert pages[2][-1] == "Story 044"
    assert [title for page in pages for title in page] == [f"Story {n:03}" for n in range(45)]
    first, last = (client.get(f"/?page={n}").get_data(as_text=True) for n in (1, 3))
    assert 'rel="next"' in first and 'rel="prev"' not in first
    assert 'rel="prev"' in last and 'rel="next"' not in last
    assert "Page 3" in last
    assert titles(client.get("/?page=9").get_data(as_text=True)) == []


def test_pages_run_on_from_followed_members_to_everyone_else(
    app, client, auth, patient, relative, make_member
):
    """27 followed stories and 18 others: page 2 ends the followed ones and starts the rest."""
    followed = make_member("Followed")
    add_stories(app, followed.id, 27, prefix="Followed", hours_ago=100)
    add_stories(app, patient.id, 18, prefix="Newer")
    add(app, Follow(follower_id=relative.id, followed_id=followed.id))
    auth.login(relative)
    pages = [titles(client.get(f"/?page={n}").get_data(as_text=True)) for n in (1, 2, 3)]
    assert [len(page) for page in pages] == [20, 20, 5]
    assert [title for page in pages for title in page] == [
        *(f"Followed {n:03}" for n in range(27)),
        *(f"Newer {n:03}" for n in range(18)),
    ]


def test_a_page_out_of_range_is_not_found(app, client, auth, relative):
    """Past the deepest page, or before the first: 404, never a 500; a word is page 1."""
    auth.login(relative)
    for page in ("0", "-1", "501", "99999999999999999999"):
        assert client.get(f"/?page={page}").status_code == 404, page
    assert client.get("/?page=two").status_code == 200
    assert client.get("/feed?page=500").status_code == 200


def test_feed_costs_the_same_with_ten_times_the_data(
    app, client, auth, relative, make_member, queries
):
    """The page frame (session, header) and two: the page of stories with their authors and
    profiles (one joined select; nothing counts them), and the viewer's blocks and mutes (one
    cached look-up: each author's picture checks whether their profile is visible). The small
    world map is a picture with its own address (tests/test_groups.py counts it)."""
    authors = [make_member(f"author{n}") for n in range(5)]
    add(app, Follow(follower_id=relative.id, followed_id=authors[0].id))

    def grow(times: int) -> None:
        for author in authors:
            add_stories(app, author.id, 5 * times)

    def measure(path: str) -> int:
        queries.clear()
        assert client.get(path).status_code == 200
        return len(queries)

    grow(1)
    auth.login(relative)
    queries.clear()
    assert client.get("/about/guidelines").status_code == 200
    frame = len(queries)
    small = [measure("/"), measure("/?page=2")]
    grow(9)
    large = [measure("/"), measure("/?page=2")]
    assert small == large == [frame + 2, frame + 2], "\n".join(s[:160] for s in queries.statements)
