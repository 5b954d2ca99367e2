"""The database away for a moment (a restart, a failover): 503 with Retry-After, never a 500.

A lost connection surfaces as SQLAlchemy's OperationalError (or a DBAPIError whose connection
was invalidated), in a view or while the request commits. The pool reconnects by itself
(pool_pre_ping); the page tells the visitor to try again shortly. The live run against a real
PostgreSQL restart is ``make faults`` (bench/faults.py).
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from cml_earth.errors import RETRY_AFTER_SECONDS
from cml_earth.reactions import services as reaction_services

from .conftest import Auth, submit
from .test_attack_corpus import assert_security_headers
from .test_reactions import make_story, rows


def lost_connection(*_args, **_kwargs):
    raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))


def assert_unavailable(response) -> str:
    assert response.status_code == 503
    assert response.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    html = response.get_data(as_text=True)
    assert "Briefly unavailable" in html
    assert "Traceback" not in html and "OperationalError" not in html
    assert_security_headers(response, "503")
    return html


def test_a_lost_connection_in_a_view_is_a_503(app, client, patient, relative, monkeypatch):
    story_id = make_story(app, patient.id)
    Auth(client).login(relative)
    monkeypatch.setattr(reaction_services, "toggle_reaction", lost_connection)
    page = f"/stories/{story_id}"
    response = submit(client, f"{page}/reactions/hug", {"action": "add"}, page=page)
    html = assert_unavailable(response)
    # The error page in the site's layout, for the member who was logged in.
    assert relative.username in html
    assert rows(app, story_id=story_id) == 0


def test_a_lost_connection_while_committing_is_a_503_and_nothing_is_kept(
    app, client, patient, relative
):
    # As in production: an exception past the view goes to the error handlers, not the test.
    app.config["PROPAGATE_EXCEPTIONS"] = False
    story_id = make_story(app, patient.id)
    Auth(client).login(relative)
    page = f"/stories/{story_id}"
    form = client.get(page)
    assert form.status_code == 200

    def fail_commit(session):
        raise OperationalError("COMMIT", {}, Exception("terminating connection"))

    event.listen(Session, "before_commit", fail_commit)
    try:
        response = submit(client, f"{page}/reactions/hug", {"action": "add"}, page=page)
    finally:
        event.remove(Session, "before_commit", fail_commit)
    assert_unavailable(response)
    assert rows(app, story_id=story_id) == 0


def test_the_page_goes_out_when_even_the_member_cannot_be_read(app, client, patient, monkeypatch):
    Auth(client).login(patient)
    # Loading the logged-in member (every page's layout does) fails too: a bare page, still 503.
    monkeypatch.setattr(app.login_manager, "_user_callback", lost_connection)
    html = assert_unavailable(client.get("/"))
    assert "<h1>Briefly unavailable</h1>" in html


def test_visitors_see_the_page_in_their_language(app, client, monkeypatch):
    from cml_earth.main import routes

    monkeypatch.setattr(routes, "render_template", lost_connection)
    response = client.get("/", headers={"Accept-Language": "sv"})
    assert response.status_code == 503
    assert "Tillfälligt otillgänglig" in response.get_data(as_text=True)


def test_readiness_still_says_why_in_plain_text(app, client, monkeypatch):
    from cml_earth.extensions import db

    monkeypatch.setattr(db.session, "execute", lost_connection)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_data(as_text=True) == "database unavailable"
