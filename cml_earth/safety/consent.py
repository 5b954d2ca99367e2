"""The member's consent to be contacted by the safety team about a case.

Reporter contact details go to the safety team only with the member's consent (DOMAIN.md).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from ..auth.models import Member
from ..database import utcnow
from ..errors import DomainError
from ..extensions import db
from ..moderation.log import log_action
from .models import AdverseEventCase
from .services import LOG_TARGET, _event


def request_contact(case: AdverseEventCase, staff: Member) -> None:
    """Ask the member, once, whether the safety team may contact them about the case."""
    from ..notifications.services import notify_contact_request

    if case.member_id is None:
        raise DomainError(
            {"": _l("The member's account no longer exists: there is nobody to ask.")}
        )
    if case.contact_requested_at is not None:
        raise DomainError({"": _l("The member has been asked already.")})
    asked = db.session.execute(
        update(AdverseEventCase)
        .where(
            AdverseEventCase.id == case.id,
            AdverseEventCase.contact_requested_at.is_(None),
            AdverseEventCase.member_id.is_not(None),
        )
        .values(contact_requested_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(case, ["contact_requested_at", "member_id"])
    if not asked:
        raise DomainError({"": _l("The member has been asked already.")})
    notify_contact_request(case.member_id, case.id)
    _event(case, "contact_request", staff)
    log_action(staff, "case_contact_request", target_type=LOG_TARGET, target_id=case.id,
               reference=case.reference)  # fmt: skip


def answer_contact_request(case: AdverseEventCase, member: Member, consent: bool) -> None:
    """The member says whether the safety team may contact them; they may change their mind."""
    if case.member_id != member.id or case.contact_requested_at is None:
        raise DomainError({"": _l("There is no question for you here.")})
    case.contact_consent = consent
    case.contact_answered_at = utcnow()
    db.session.flush()
    _event(case, "consent", member, note="yes" if consent else "no")


def contact_email(case: AdverseEventCase) -> str | None:
    """The member's address for the safety team: only with their consent, while they exist."""
    if case.contact_consent is not True or case.member is None:
        return None
    return case.member.email
