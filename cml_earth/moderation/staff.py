"""Changes to who is staff: only admins make them, each one logged."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..auth.models import Member, Role
from ..auth.services import end_sessions
from ..errors import DomainError
from ..extensions import db
from .log import log_action


def change_role(admin: Member, member: Member, *, role: str, safety_access: bool, reason: str):
    """Give ``member`` a new role (and the safety designation, for sponsor staff).

    Their sessions end: a new role starts in a new session, and new staff enrol their
    authenticator at their next login.
    """
    if role not in set(Role):
        raise DomainError({"role": _l("Please choose a role.")})
    if member.id == admin.id:
        raise DomainError({"role": _l("Admins cannot change their own role.")})
    safety_access = bool(safety_access) and role == Role.SPONSOR
    before = (member.role, member.safety_access)
    if before == (role, safety_access):
        raise DomainError({"role": _l("Nothing to change.")})
    member.role = role
    member.safety_access = safety_access
    db.session.flush()
    end_sessions(member, "role_changed")
    log_action(
        admin,
        "change_role",
        target_type="profile",
        target_id=member.id,
        subject=member,
        reason=reason.strip() or None,
        role_from=before[0],
        role_to=role,
        safety_access=safety_access,
    )
