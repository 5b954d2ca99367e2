"""Recording audit events."""

from __future__ import annotations

from flask import has_request_context, request

from ..database import KEEP_ON_ERROR, WROTE_OTHER
from ..extensions import db
from .models import AuditEvent


def record(kind: str, member=None, actor=None, keep_on_error: bool = False, **data) -> AuditEvent:
    """Add an audit event to the current transaction.

    ``keep_on_error`` is for events about a request that fails (a wrong password): it must come
    before any other change in the request, and the transaction is then committed despite the
    error status (see database.init_app).
    """
    session = db.session()
    if keep_on_error:
        if session.new or session.dirty or session.deleted or session.info.get(WROTE_OTHER):
            raise RuntimeError("an audit event kept on error must be the request's only change")
        session.info[KEEP_ON_ERROR] = True
    event = AuditEvent(
        kind=kind,
        member_id=getattr(member, "id", None),
        actor_id=getattr(actor, "id", None),
        ip_address=request.remote_addr if has_request_context() else None,
        data=data,
    )
    db.session.add(event)
    return event
