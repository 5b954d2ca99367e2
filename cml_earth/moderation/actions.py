"""Staff actions on queue items, statements of reasons and appeals."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from ..auth.models import Member, Role
from ..auth.services import end_sessions
from ..database import utcnow
from ..errors import DomainError
from ..extensions import db
from ..groups.models import GroupStatus
from ..notifications.models import NotificationKind
from ..notifications.services import notify_comment, notify_decision
from . import targets
from .log import log_action
from .models import Action, Decision, ItemStatus, ModerationItem, Notice, Reason, Source, Target
from .services import (
    OTHER_TARGET_DECISION,
    OTHER_TARGET_NOTICE,
    AlreadyHandled,
    open_item,
    tell_notice_senders,
)
from .targets import HiddenReason

#: Actions that restrict a member: each gives them a statement of reasons they can appeal.
RESTRICTIONS = frozenset({Action.HIDE, Action.DELETE, Action.WARN, Action.SILENCE, Action.SUSPEND})
MAX_SILENCE_DAYS = 365
MAX_SUSPENSION = timedelta(days=5 * 365)


def load_target(item: ModerationItem):
    """What the item is about: content, a group, a decision (appeals) or a notice; None if gone."""
    if item.target_type == OTHER_TARGET_DECISION:
        return db.session.get(Decision, item.target_id)
    if item.target_type == OTHER_TARGET_NOTICE:
        return db.session.get(Notice, item.target_id)
    return targets.load(item.target_type, item.target_id)


def available_actions(staff, item: ModerationItem, target) -> list[Action]:
    """What ``staff`` may do with the item as it stands now."""
    if item.status != ItemStatus.OPEN:
        return []
    if item.target_type == OTHER_TARGET_DECISION:
        return [Action.UPHOLD, Action.REVERSE] if target is not None else [Action.DISMISS]
    if target is None or item.target_type == OTHER_TARGET_NOTICE:
        return [Action.DISMISS]
    member_actions = [Action.WARN]
    subject = db.session.get(Member, item.subject_id) if item.subject_id else None
    if subject is not None and not subject.is_staff:
        member_actions += [Action.SILENCE, Action.SUSPEND]
    if item.target_type == Target.GROUP:
        if target.status == GroupStatus.PROPOSED:
            return [Action.APPROVE_GROUP, Action.REFUSE_GROUP]
        hidden = target.status == GroupStatus.ARCHIVED
        return [Action.DISMISS, Action.RESTORE if hidden else Action.HIDE, *member_actions]
    actions = [Action.DISMISS]
    hidden = targets.is_hidden(item.target_type, target)
    reason = _hidden_reason(item.target_type, target) if hidden else None
    if reason == HiddenReason.HELD:
        actions = [Action.APPROVE_POST, Action.HIDE]
    elif reason == HiddenReason.REPORTS:
        actions.append(Action.HIDE)  # keep it hidden, now as staff's decision
    else:
        actions.append(Action.RESTORE if hidden else Action.HIDE)
    if staff.role == Role.ADMIN and item.target_type != Target.PROFILE:
        actions.append(Action.DELETE)
    return actions + member_actions


def _hidden_reason(target_type: str, target) -> str | None:
    thing = target.profile if target_type == Target.PROFILE else target
    return thing.hidden_reason


def _hidden_by_reports(target_type: str, target) -> bool:
    if target is None or target_type not in set(Target) or target_type == Target.GROUP:
        return False
    return _hidden_reason(target_type, target) == HiddenReason.REPORTS


def _claim(item: ModerationItem, staff: Member, action: Action) -> None:
    """Close the item for this action, unless another staff member closed it first."""
    claimed = db.session.execute(
        update(ModerationItem)
        .where(ModerationItem.id == item.id, ModerationItem.status == ItemStatus.OPEN)
        .values(
            status=ItemStatus.CLOSED, closed_at=utcnow(), closed_by_id=staff.id, resolution=action
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.expire(item)
    if claimed != 1:
        raise AlreadyHandled(item)


def act(
    item: ModerationItem,
    staff: Member,
    action: str,
    *,
    ground: str,
    explanation: str,
    days: int | None = None,
    until: datetime | None = None,
) -> Decision | None:
    """Do ``action`` on the item, close it, log it, and give the member their statement."""
    target = load_target(item)
    if item.status != ItemStatus.OPEN:
        raise AlreadyHandled(item)
    if action not in available_actions(staff, item, target):
        raise DomainError({"action": _l("This action is not possible for this item.")})
    action = Action(action)
    if ground not in set(Reason):
        raise DomainError({"ground": _l("Please choose the ground for the decision.")})
    subject = db.session.get(Member, item.subject_id) if item.subject_id else None
    end = _sanction_end(action, days, until)
    target_type, target_id, item_id = item.target_type, item.target_id, item.id
    excerpt = (
        targets.excerpt(target_type, target)
        if target is not None and target_type in set(Target)
        else None
    )
    _claim(item, staff, action)
    decision = None
    if action in RESTRICTIONS and subject is not None:
        decision = Decision(
            member_id=subject.id,
            item_id=item_id,
            action=action,
            ground=ground,
            explanation=explanation.strip(),
            target_type=target_type if target_type in set(Target) else None,
            target_id=target_id if target_type in set(Target) else None,
            excerpt=excerpt,
            until=end,
        )
        db.session.add(decision)
        db.session.flush()
    _apply(action, target_type, target, subject, end, staff, explanation)
    log_action(
        staff,
        action,
        target_type=target_type,
        target_id=target_id,
        subject=subject,
        item_id=item_id,
        reason=explanation.strip() or None,
        ground=ground,
        until=end.isoformat() if end else None,
        decision_id=decision.id if decision else None,
    )
    if decision is not None:
        notify_decision(decision)
    tell_notice_senders(item_id, action)
    return decision


def _sanction_end(action: Action, days: int | None, until: datetime | None) -> datetime | None:
    now = utcnow()
    if action == Action.SILENCE:
        if days is None or not 1 <= days <= MAX_SILENCE_DAYS:
            raise DomainError({"days": _l("Choose from 1 to %(max)d days.", max=MAX_SILENCE_DAYS)})
        return now + timedelta(days=days)
    if action == Action.SUSPEND:
        if until is None or until <= now or until > now + MAX_SUSPENSION:
            raise DomainError({"until": _l("Choose a date in the future, within five years.")})
        return until
    return None


def _apply(action, target_type, target, subject, end, staff, explanation) -> None:
    from ..groups import services as group_services

    if action == Action.DISMISS:
        if _hidden_by_reports(target_type, target):
            targets.restore(target_type, target)
    elif action in (Action.RESTORE, Action.APPROVE_POST):
        held = _hidden_reason(target_type, target) == HiddenReason.HELD
        targets.restore(target_type, target)
        if held and target_type == Target.COMMENT:
            notify_comment(target)  # the story's author hears of it now, not while it was held
    elif action == Action.HIDE:
        if not targets.hide(target_type, target, HiddenReason.STAFF) and target_type != "group":
            target_thing = target.profile if target_type == Target.PROFILE else target
            target_thing.hidden_reason = HiddenReason.STAFF
    elif action == Action.DELETE:
        targets.delete(target_type, target)
    elif action == Action.SILENCE:
        subject.silenced_until = end
    elif action == Action.SUSPEND:
        subject.suspended_until = end
        end_sessions(subject, "suspended")
    elif action == Action.APPROVE_GROUP:
        group_services.approve_group(target, staff)
    elif action == Action.REFUSE_GROUP:
        group_services.refuse_group(target, staff, explanation)
    elif action in (Action.UPHOLD, Action.REVERSE):
        _decide_appeal(target, action)
    db.session.flush()


# --- statements of reasons and appeals ------------------------------------------------------


def find_decision(decision_id: int) -> Decision | None:
    return db.session.get(Decision, decision_id)


def decisions_of(member: Member):
    return (
        select(Decision)
        .where(Decision.member_id == member.id)
        .order_by(Decision.created_at.desc(), Decision.id.desc())
    )


def can_appeal(member, decision: Decision) -> bool:
    return bool(
        member is not None
        and member.is_authenticated
        and decision.member_id == member.id
        and decision.appealed_at is None
    )


def appeal(member: Member, decision: Decision, text: str) -> ModerationItem:
    """The member's one appeal: it comes back into the queue for another look."""
    if not text.strip():
        raise DomainError({"text": _l("Please tell us why the decision should change.")})
    appealed = db.session.execute(
        update(Decision)
        .where(
            Decision.id == decision.id,
            Decision.member_id == member.id,
            Decision.appealed_at.is_(None),
        )
        .values(appeal_text=text.strip(), appealed_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.expire(decision)
    if appealed != 1:
        raise DomainError({"text": _l("You have already appealed this decision.")})
    return open_item(
        OTHER_TARGET_DECISION,
        decision.id,
        Source.APPEAL,
        subject_id=member.id,
        snapshot={
            "action": decision.action,
            "ground": decision.ground,
            "excerpt": decision.excerpt,
            "explanation": decision.explanation,
            "appeal": text.strip(),
        },
    )


def _decide_appeal(decision: Decision, action: Action) -> None:
    decision.appeal_outcome = action.value
    decision.appeal_decided_at = utcnow()
    if action == Action.REVERSE:
        _undo(decision)
    db.session.flush()
    notify_decision(decision, NotificationKind.APPEAL_DECIDED)


def _undo(decision: Decision) -> None:
    """Undo what can be undone: content shown again, sanctions lifted (deleted stays deleted)."""
    member = db.session.get(Member, decision.member_id)
    if decision.action == Action.SILENCE and member is not None:
        member.silenced_until = None
    elif decision.action == Action.SUSPEND and member is not None:
        member.suspended_until = None
    elif decision.action == Action.HIDE and decision.target_type:
        target = targets.load(decision.target_type, decision.target_id)
        if target is not None:
            targets.restore(decision.target_type, target)


def decide_proposal(group, staff: Member, action: Action, note: str = "") -> None:
    """Approve or refuse a proposed group through its queue item (the groups pages call this)."""
    if group.status != GroupStatus.PROPOSED:
        raise DomainError({"": _l("Another staff member decided on this proposal already.")})
    item = open_item(
        Target.GROUP,
        group.id,
        Source.PROPOSAL,
        subject_id=group.founder_id,
        snapshot=targets.snapshot(Target.GROUP, group),
    )
    act(item, staff, action, ground=Reason.OTHER, explanation=note)
