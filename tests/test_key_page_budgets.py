"""Every key page costs an exact number of queries, the same with ten times the data.

The key pages are the ones `make bench` loads (issue 8). Each figure counts every statement the
request sends (transaction control left out), the page frame included: the member's session
(one joined select) and the header's unread count.
"""

from __future__ import annotations

from .bulk import World
from .conftest import csrf_token

#: A unit of bulk data (tests/bulk.py): 10 units are the small world, 100 the large one.
SMALL = 10


def _story(world: World) -> str:
    return f"/stories/{world.key_story_id}"


#: name: (method, url of the page in ``world``, exact number of queries).
KEY_PAGES = {
    # Frame (2), the page of stories with authors and profiles (one joined select, nothing
    # counted), the viewer's blocks and mutes (cached for the request).
    "home feed": ("GET", lambda world: "/", 4),
    # Frame (2), the member with their profile, blocks and mutes, consents (health field),
    # follow and reaction state (one union), their newest stories.
    "profile": ("GET", lambda world: "/members/AnnaPatient", 7),
    # Frame (2), the story with its author, blocks and mutes, the comments with their authors,
    # the viewer's reactions to the story, then to the comments.
    "story with 50 words of support": ("GET", _story, 7),
    # Frame (2), the page of groups, the pager's total, the national group of the country.
    "group search Sverige": ("GET", lambda world: "/groups/?q=Sverige", 5),
    # Frame (2), the page of groups, the pager's total, the national group.
    "country page": ("GET", lambda world: "/groups/country/SE", 5),
    # Frame (2), the group, the page of its stories (nothing counted), the newest members
    # with their profiles, the stories waiting for support, the viewer's membership, blocks
    # and mutes.
    "group page": ("GET", lambda world: f"/groups/{world.key_group_slug}", 8),
    # Frame (2), the hits (stories and words of support in one union), the words of support
    # on the page, then the stories they belong to. The key story and its words of support
    # are the only texts with the word.
    "search results": ("GET", lambda world: "/search?q=imatinib", 5),
    # The session, the story with its author, the viewer's blocks and mutes, the reaction
    # (INSERT ... ON CONFLICT DO NOTHING), the story's counter (UPDATE ... RETURNING), the
    # author's notification. No header: the answer is a redirect.
    "hug": ("POST", lambda world: f"{_story(world)}/reactions/hug", 6),
}


def _request(client, method: str, url: str, token: str):
    if method == "POST":
        response = client.post(url, data={"csrf_token": token, "action": "add"})
        assert response.status_code == 302, url
    else:
        response = client.get(url)
        assert response.status_code == 200, url
    return response


def _measure(client, queries, world: World, token: str) -> dict[str, tuple[int, list[str]]]:
    counts = {}
    for name, (method, url_of, _expected) in KEY_PAGES.items():
        url = url_of(world)
        queries.clear()
        _request(client, method, url, token)
        counts[name] = (len(queries), list(queries.statements))
        if method == "POST":  # take the hug back, unmeasured, so the next round starts alike
            client.post(url, data={"csrf_token": token, "action": "remove"})
    return counts


def test_key_pages_cost_an_exact_number_of_queries_at_any_size(
    app, client, auth, make_member, queries
):
    viewer = make_member("ViewerSofia", role="relative")
    author = make_member("AnnaPatient")
    world = World(app, viewer.id, author.id).start()
    world.grow(SMALL)
    auth.login(viewer)
    token = csrf_token(client.get(_story(world)).get_data(as_text=True))
    assert "Thinking of you, 0." in client.get(_story(world)).get_data(as_text=True)
    small = _measure(client, queries, world, token)
    world.grow(9 * SMALL)
    large = _measure(client, queries, world, token)

    failures = []
    for name, (_method, _url, expected) in KEY_PAGES.items():
        for size, counts in (("n", small), ("10n", large)):
            count, statements = counts[name]
            if count != expected:
                listing = "\n".join(f"    {s[:200]}" for s in statements)
                failures.append(f"{name} at {size}: {count} queries, budget {expected}\n{listing}")
    assert not failures, "\n".join(failures)
