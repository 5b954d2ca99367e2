"""Every feature's tables, imported in one place so metadata (and Alembic) sees them all."""

from .audit.models import AuditEvent
from .auth.models import Consent, Member, MemberSession
from .profiles.models import Profile

__all__ = ["AuditEvent", "Consent", "Member", "MemberSession", "Profile"]
