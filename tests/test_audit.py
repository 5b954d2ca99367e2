"""The audit trail records what happened, also when the request itself fails."""

from __future__ import annotations

from sqlalchemy import func, select

from cml_earth.audit.models import AuditEvent

from .conftest import scalar, submit


def events(app, kind: str, member_id: int | None = None) -> int:
    statement = select(func.count(AuditEvent.id)).where(AuditEvent.kind == kind)
    if member_id is not None:
        statement = statement.where(AuditEvent.member_id == member_id)
    return scalar(app, statement)


def test_a_failed_login_is_recorded_although_the_answer_is_an_error(app, client, auth, patient):
    response = auth.login(patient, password="not the right one at all")
    assert response.status_code == 422
    assert events(app, "member.login_failed", patient.id) == 1
    # Nothing else of the failed request was kept.
    assert events(app, "member.logged_in", patient.id) == 0


def test_an_unknown_login_records_nothing(app, client, auth):
    assert auth.login("nobody-here", password="whatever it may be").status_code == 422
    assert scalar(app, select(func.count(AuditEvent.id))) == 0


def test_a_refused_registration_writes_nothing(app, client, patient):
    response = submit(client, "/auth/register", {"username": patient.username})
    assert response.status_code == 422
    assert scalar(app, select(func.count(AuditEvent.id))) == 0


def test_login_and_logout_are_recorded(app, client, auth, patient):
    assert auth.login(patient, remember=True).status_code == 302
    response = auth.logout()
    assert response.status_code == 302
    assert events(app, "member.logged_in", patient.id) == 1
    assert events(app, "member.logged_out", patient.id) == 1
    # The remember-me cookie is deleted from the browser too.
    cleared = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("remember_token=")]
    assert cleared and ("Max-Age=0" in cleared[0] or "1970" in cleared[0])
