"""What happens to a post as it is written: new-member limits, crisis language, side effects.

Stories and words of support pass through here after they are saved (in the same
transaction): a new member's post with links is held for staff, self-harm language puts the
post at the top of the queue and shows its author the crisis contacts at once, and a medicine
named with a side effect opens a pharmacovigilance case.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, union_all

from ..auth.models import Member
from ..database import utcnow
from ..errors import DomainError
from ..extensions import db
from ..safety.detection import detect_adverse_event, detect_self_harm, find_personal_details
from ..stories.models import Comment, Story
from . import targets
from .models import Source, Target
from .services import open_item_for
from .targets import HiddenReason

#: A link in Markdown or plain text: a scheme, "www.", or a [text](target) pair.
LINK = re.compile(r"(?i)\b(?:https?://|ftp://|www\.)|\]\([^)]*\)|<[a-z][a-z0-9+.-]*:")

PERSONAL_DETAIL_LABELS = {
    "email": _l("an email address"),
    "phone": _l("a phone number"),
    "personal_identity_number": _l("a Swedish personal identity number"),
}


@dataclass
class Screening:
    held: bool = False
    crisis: bool = False
    side_effect: bool = False


def _posts(member_id: int, *conditions_story, since=None):
    stories = select(Story.id).where(Story.author_id == member_id)
    comments = select(Comment.id).where(Comment.author_id == member_id)
    if since is not None:
        stories = stories.where(Story.created_at >= since)
        comments = comments.where(Comment.created_at >= since)
    return stories, comments


def _count(stories, comments) -> int:
    both = union_all(stories, comments).subquery()
    return db.session.scalar(select(func.count()).select_from(both))


def is_new_member(member: Member) -> bool:
    """New until both the first days have passed and some posts were published (trust level 0
    in Discourse's words); staff never are. The limits lift by themselves."""
    if member.is_staff:
        return False
    config = current_app.config
    if utcnow() - member.created_at < timedelta(days=config["NEW_MEMBER_DAYS"]):
        return True
    stories, comments = _posts(member.id)
    published = _count(
        stories.where(Story.hidden_at.is_(None)), comments.where(Comment.hidden_at.is_(None))
    )
    return published < config["NEW_MEMBER_PUBLISHED_POSTS"]


def check_daily_limit(member: Member) -> None:
    """New members write at most so many stories and words of support a day."""
    if not is_new_member(member):
        return
    limit = current_app.config["NEW_MEMBER_POSTS_PER_DAY"]
    if _count(*_posts(member.id, since=utcnow() - timedelta(days=1))) >= limit:
        raise DomainError(
            {
                "": _l(
                    "New members can post %(limit)d times a day; the limit lifts after your "
                    "first days. Please come back tomorrow.",
                    limit=limit,
                )
            }
        )


def has_link(text: str) -> bool:
    return bool(LINK.search(text))


def personal_details(*texts: str) -> list[str]:
    """The kinds of personal details found ("email", "phone", ...), each once, in order."""
    kinds: list[str] = []
    for text in texts:
        for found in find_personal_details(text or ""):
            if found.kind not in kinds:
                kinds.append(found.kind)
    return kinds


def screen(author: Member, target_type: str, post) -> Screening:
    """Check a story or word of support just written or edited; returns what was done."""
    result = Screening()
    text = targets.text_of(target_type, post)
    if has_link(text) and is_new_member(author) and post.hidden_at is None:
        targets.hide(target_type, post, HiddenReason.HELD)
        db.session.flush()
        open_item_for(target_type, post, Source.HELD)
        result.held = True
    if detect_self_harm(text) is not None:
        open_item_for(target_type, post, Source.CRISIS)
        result.crisis = True
    signal = detect_adverse_event(text)
    if signal is not None and target_type in (Target.STORY, Target.COMMENT):
        from ..safety.services import open_case_from_detection

        open_case_from_detection(author, target_type, post, signal)
        result.side_effect = True
    return result
