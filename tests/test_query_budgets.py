"""Pages issue a fixed number of queries, however many members there are."""

from __future__ import annotations

import pytest

PAGES = ["/", "/about/guidelines", "/about/privacy", "/auth/register", "/auth/login"]


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_pages_need_no_database(client, queries, path):
    assert client.get(path).status_code == 200
    assert queries.statements == []


@pytest.mark.parametrize("extra_members", [0, 25])
def test_member_pages_cost_one_query_for_the_session(
    client, auth, patient, make_member, queries, extra_members
):
    for number in range(extra_members):
        make_member(f"neighbour{number}")
    auth.login(patient)
    # "/" is a member's feed: its budget is in test_feed.py.
    for path in ["/about/guidelines", "/settings/privacy"]:
        queries.clear()
        assert client.get(path).status_code == 200
        # The member and their open session in one joined select, and the unread count in
        # the header; nothing else.
        assert len(queries) == 2, queries.statements


def test_devices_page_query_budget(client, auth, patient, queries):
    auth.login(patient)
    queries.clear()
    assert client.get("/settings/devices").status_code == 200
    # The session lookup, the unread count in the header and the member's open sessions.
    assert len(queries) == 3, queries.statements
