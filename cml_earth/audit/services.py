"""Recording audit events."""

from __future__ import annotations

from flask import has_request_context, request

from ..extensions import db
from .models import AuditEvent


def record(kind: str, member=None, actor=None, **data) -> AuditEvent:
    """Add an audit event to the current transaction."""
    event = AuditEvent(
        kind=kind,
        member_id=getattr(member, "id", None),
        actor_id=getattr(actor, "id", None),
        ip_address=request.remote_addr if has_request_context() else None,
        data=data,
    )
    db.session.add(event)
    return event
