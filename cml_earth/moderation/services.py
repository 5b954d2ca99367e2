"""Every change moderation makes: reports, notices, the queue, staff actions and appeals."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from ..auth.models import Member
from ..database import utcnow
from ..errors import DomainError
from ..extensions import db
from . import targets
from .models import (
    Decision,
    ItemStatus,
    ModerationItem,
    Notice,
    Reason,
    Report,
    Target,
    priority_of,
)
from .targets import HiddenReason


class AlreadyHandled(DomainError):
    """Another staff member closed the item first; ``item`` says how."""

    def __init__(self, item: ModerationItem):
        super().__init__({"": _l("Another staff member handled this item a moment ago.")})
        self.item = item


# --- the queue ------------------------------------------------------------------------------


def overdue_before() -> datetime:
    return utcnow() - timedelta(hours=current_app.config["MODERATION_OVERDUE_HOURS"])


def is_overdue(item: ModerationItem) -> bool:
    return item.status == ItemStatus.OPEN and item.opened_at < overdue_before()


def queue(*, reason: str | None = None, target_type: str | None = None, overdue: bool = False):
    """Open items, most urgent first: self-harm, then side effects, then the oldest."""
    statement = (
        select(ModerationItem)
        .options(joinedload(ModerationItem.subject))
        .where(ModerationItem.status == ItemStatus.OPEN)
        .order_by(ModerationItem.priority, ModerationItem.opened_at, ModerationItem.id)
    )
    if target_type:
        statement = statement.where(ModerationItem.target_type == target_type)
    if overdue:
        statement = statement.where(ModerationItem.opened_at < overdue_before())
    if reason:
        # The reasons are a short JSON list; a LIKE over its text works on both databases.
        statement = statement.where(
            func.cast(ModerationItem.reasons, db.String).like(f'%"{reason}"%')
        )
    return statement


def open_count() -> tuple[int, int]:
    """Open items and overdue ones, for the staff's header (one query)."""
    row = db.session.execute(
        select(
            func.count(ModerationItem.id),
            func.count(ModerationItem.id).filter(ModerationItem.opened_at < overdue_before()),
        ).where(ModerationItem.status == ItemStatus.OPEN)
    ).one()
    return row[0], row[1]


def find_item(item_id: int) -> ModerationItem | None:
    return db.session.get(ModerationItem, item_id)


def item_reports(item: ModerationItem) -> list[Report]:
    return db.session.scalars(
        select(Report).where(Report.item_id == item.id).order_by(Report.created_at)
    ).all()


def history(item: ModerationItem) -> dict:
    """What staff should know before acting: earlier items on the same thing, and the member's
    earlier decisions."""
    earlier = db.session.scalars(
        select(ModerationItem)
        .where(
            ModerationItem.target_type == item.target_type,
            ModerationItem.target_id == item.target_id,
            ModerationItem.id != item.id,
        )
        .order_by(ModerationItem.opened_at.desc())
        .limit(20)
    ).all()
    decisions = []
    if item.subject_id is not None:
        decisions = db.session.scalars(
            select(Decision)
            .where(Decision.member_id == item.subject_id)
            .order_by(Decision.created_at.desc())
            .limit(20)
        ).all()
    return {"items": earlier, "decisions": decisions}


def _add_reason(item: ModerationItem, reason: str) -> None:
    if reason not in item.reasons:
        item.reasons = [*item.reasons, reason]
    item.priority = min(item.priority, priority_of(reason.removeprefix("report:")))


def open_item(
    target_type: str,
    target_id: int,
    reason: str,
    *,
    subject_id: int | None = None,
    snapshot: dict | None = None,
) -> ModerationItem:
    """The open item for this thing, made if there is none; ``reason`` joins its reasons.

    Two requests opening the same item at once meet the unique index on open items: the loser
    takes the winner's item.
    """
    for _attempt in range(2):
        item = db.session.scalar(
            select(ModerationItem).where(
                ModerationItem.target_type == target_type,
                ModerationItem.target_id == target_id,
                ModerationItem.status == ItemStatus.OPEN,
            )
        )
        if item is not None:
            _add_reason(item, reason)
            db.session.flush()
            return item
        item = ModerationItem(
            target_type=target_type,
            target_id=target_id,
            subject_id=subject_id,
            reasons=[reason],
            priority=priority_of(reason.removeprefix("report:")),
            snapshot=snapshot or {},
            report_count=0,
        )
        try:
            with db.session.begin_nested():
                db.session.add(item)
                db.session.flush()
        except IntegrityError:
            continue
        return item
    raise RuntimeError("could not open a moderation item")  # pragma: no cover


def open_item_for(target_type: str, target, reason: str) -> ModerationItem:
    return open_item(
        target_type,
        target.id,
        reason,
        subject_id=targets.subject_id(target_type, target),
        snapshot=targets.snapshot(target_type, target),
    )


# --- reports and notices --------------------------------------------------------------------


def can_report(viewer, target_type: str, target) -> bool:
    """Members may report what they can see, except their own content."""
    if viewer is None or not viewer.is_authenticated or not viewer.is_verified:
        return False
    if not targets.can_see(viewer, target_type, target):
        return False
    return targets.subject_id(target_type, target) != viewer.id


def report(reporter: Member, target_type: str, target, reason: str, details: str) -> Report:
    """File a report; a second report by the same member on the same thing is the first one.

    Reports from several different members hide the thing until staff look at it.
    """
    if reason not in set(Reason):
        raise DomainError({"reason": _l("Please choose a reason.")})
    if reason == Reason.OTHER and not details.strip():
        raise DomainError({"details": _l("Please tell us what is wrong.")})
    existing = _existing_report(reporter, target_type, target.id)
    if existing is not None:
        return existing
    item = open_item_for(target_type, target, f"report:{reason}")
    row = Report(
        reporter_id=reporter.id,
        target_type=target_type,
        target_id=target.id,
        reason=reason,
        details=details.strip() or None,
        item_id=item.id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()
    except IntegrityError:  # the same member's other request won the race
        return _existing_report(reporter, target_type, target.id)
    db.session.execute(
        update(ModerationItem)
        .where(ModerationItem.id == item.id)
        .values(report_count=ModerationItem.report_count + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(item, ["report_count"])
    if item.report_count >= current_app.config["MODERATION_AUTO_HIDE_REPORTS"]:
        _auto_hide(item, target_type, target)
    _after_report(row, target_type, target)
    return row


def _existing_report(reporter: Member, target_type: str, target_id: int) -> Report | None:
    return db.session.scalar(
        select(Report).where(
            Report.reporter_id == reporter.id,
            Report.target_type == target_type,
            Report.target_id == target_id,
        )
    )


def _auto_hide(item: ModerationItem, target_type: str, target) -> None:
    # Groups are not hidden by reports: archiving a community is for staff to decide.
    if target_type == Target.GROUP or targets.is_hidden(target_type, target):
        return
    targets.hide(target_type, target, HiddenReason.REPORTS)
    item.auto_hidden = True
    db.session.flush()


def _after_report(row: Report, target_type: str, target) -> None:
    """A report of a possible side effect opens a pharmacovigilance case as well."""
    if row.reason == Reason.SIDE_EFFECT:
        from ..safety.services import open_case_from_report

        open_case_from_report(row, target_type, target)


def new_reference() -> str:
    return "DSA-" + secrets.token_hex(5).upper()


def send_notice(
    *,
    reason: str,
    location: str,
    explanation: str,
    name: str,
    email: str,
    sender: Member | None,
    found: tuple[str, object] | None,
) -> Notice:
    """Record a Digital Services Act notice; when its address is content of this site, the
    content enters the queue."""
    notice = Notice(
        reference=new_reference(),
        reason=reason,
        location=location.strip(),
        explanation=explanation.strip(),
        name=name.strip(),
        email=email.strip(),
        good_faith=True,
        locale=str(get_locale() or "en"),
        sender_id=sender.id if sender is not None and sender.is_authenticated else None,
    )
    db.session.add(notice)
    db.session.flush()
    if found is not None:
        target_type, target = found
        item = open_item_for(target_type, target, f"notice:{reason}")
        notice.target_type, notice.target_id = target_type, target.id
    else:  # an address staff must look up by hand: the notice itself waits in the queue
        item = open_item(OTHER_TARGET_NOTICE, notice.id, f"notice:{reason}")
    notice.item_id = item.id
    db.session.flush()
    return notice


OTHER_TARGET_NOTICE = "notice"
OTHER_TARGET_DECISION = "decision"


def item_notices(item: ModerationItem) -> list[Notice]:
    return db.session.scalars(
        select(Notice).where(Notice.item_id == item.id).order_by(Notice.created_at)
    ).all()


def find_notice(reference: str) -> Notice | None:
    return db.session.scalar(select(Notice).where(Notice.reference == reference))


def tell_notice_senders(item_id: int, action: str) -> None:
    """Mail everyone who sent a notice about the item what staff decided (DSA art. 16(5))."""
    from ..mail import compose, queue
    from .log import ACTION_LABELS
    from .models import REASON_LABELS

    for notice in db.session.scalars(select(Notice).where(Notice.item_id == item_id)):
        queue(
            compose(
                notice.email,
                _l("Our decision on your notice %(reference)s", reference=notice.reference),
                "moderation/notice_decided",
                notice.locale,
                notice=notice,
                reason=REASON_LABELS.get(notice.reason, notice.reason),
                action=ACTION_LABELS.get(action, action),
            )
        )
