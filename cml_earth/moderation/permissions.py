"""Who may moderate, read the log and see statements: pure functions of the viewer."""

from __future__ import annotations

from functools import wraps

from flask import abort, current_app
from flask_login import current_user

from ..auth.models import Role


def _member(viewer) -> bool:
    return bool(viewer is not None and viewer.is_authenticated)


def can_moderate(viewer) -> bool:
    """Sponsor staff and admins work the queue."""
    return _member(viewer) and viewer.is_staff


def can_delete(viewer) -> bool:
    return _member(viewer) and viewer.role == Role.ADMIN


def can_read_log(viewer) -> bool:
    """The staff action log is for admins."""
    return _member(viewer) and viewer.role == Role.ADMIN


def can_change_roles(viewer, member) -> bool:
    """Only admins change roles, and never their own (an admin cannot lock the site out)."""
    return can_read_log(viewer) and viewer.id != member.id


def can_read_decision(viewer, decision) -> bool:
    """A statement of reasons: the member it concerns, and staff."""
    return _member(viewer) and (viewer.id == decision.member_id or viewer.is_staff)


def requires(check):
    """A view decorator: visitors go to the login page, members who fail ``check`` get 403."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not _member(current_user):
                return current_app.login_manager.unauthorized()
            if not check(current_user):
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorator
