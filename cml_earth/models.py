"""Every feature's tables, imported in one place so metadata (and Alembic) sees them all."""

from .audit.models import AuditEvent
from .auth.models import Consent, Member, MemberSession
from .groups.models import Group, GroupMembership
from .notifications.models import Notification
from .profiles.models import Profile
from .reactions.models import Reaction
from .social.models import Block, Follow, Mute
from .stories.models import Comment, Story

__all__ = [
    "AuditEvent",
    "Block",
    "Comment",
    "Consent",
    "Follow",
    "Group",
    "GroupMembership",
    "Member",
    "MemberSession",
    "Mute",
    "Notification",
    "Profile",
    "Reaction",
    "Story",
]
