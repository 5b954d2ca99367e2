"""The staff action log: every staff action, appended and never changed.

Rows name people through ``staff_log_identities``; erasing a member replaces the label there with
a tombstone, so the log keeps what happened without keeping who it happened to.
"""

from __future__ import annotations

import csv
import io

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from ..account.erasure import eraser
from ..auth.models import Member
from ..extensions import db
from .models import LogIdentity, StaffAction

#: The order of the columns in the admins' CSV export.
CSV_COLUMNS = ("id", "at", "actor", "actor_role", "action", "target_type", "target_id",
               "subject", "item_id", "reason", "details")  # fmt: skip

ACTION_LABELS = {
    "dismiss": _l("Dismissed"),
    "hide": _l("Hidden"),
    "restore": _l("Restored"),
    "delete": _l("Deleted"),
    "warn": _l("Warned"),
    "silence": _l("Silenced"),
    "suspend": _l("Suspended"),
    "approve_post": _l("Post approved"),
    "approve_group": _l("Group approved"),
    "refuse_group": _l("Group refused"),
    "uphold": _l("Appeal: decision upheld"),
    "reverse": _l("Appeal: decision reversed"),
    "archive_group": _l("Group archived"),
    "change_role": _l("Role changed"),
    "open_item": _l("Item opened"),
    "export_log": _l("Log exported"),
    "case_open": _l("Side-effect case: opened by staff"),
    "case_seen": _l("Side-effect case: first seen (day zero)"),
    "case_status": _l("Side-effect case: status changed"),
    "case_edit": _l("Side-effect case: assessment edited"),
    "case_contact_request": _l("Side-effect case: member asked for contact consent"),
    "case_export": _l("Side-effect cases exported"),
}


def identity(member: Member | None) -> LogIdentity | None:
    """The log's name for ``member``, made the first time they appear."""
    if member is None:
        return None
    found = db.session.scalar(select(LogIdentity).where(LogIdentity.member_id == member.id))
    if found is None:
        found = LogIdentity(member_id=member.id, label=member.username, role=member.role)
        db.session.add(found)
        db.session.flush()
    return found


def log_action(
    actor: Member,
    action: str,
    *,
    target_type: str | None = None,
    target_id: int | None = None,
    subject: Member | None = None,
    item_id: int | None = None,
    reason: str | None = None,
    **details,
) -> StaffAction:
    """Append one row: who did what, to which item, why, and when."""
    row = StaffAction(
        actor=identity(actor),
        action=action,
        target_type=target_type,
        target_id=target_id,
        subject=identity(subject),
        item_id=item_id,
        reason=reason,
        details={key: value for key, value in details.items() if value is not None},
    )
    db.session.add(row)
    db.session.flush()
    return row


def entries(action: str | None = None):
    """The log, newest first (a select for the admins' page to paginate)."""
    statement = select(StaffAction).order_by(StaffAction.at.desc(), StaffAction.id.desc())
    if action:
        statement = statement.where(StaffAction.action == action)
    return statement


def as_csv() -> str:
    """The whole log as CSV, oldest first."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    rows = db.session.scalars(select(StaffAction).order_by(StaffAction.id)).yield_per(500)
    for row in rows:
        writer.writerow(
            [
                row.id,
                row.at.isoformat(),
                row.actor.label,
                row.actor.role,
                row.action,
                row.target_type or "",
                row.target_id or "",
                row.subject.label if row.subject else "",
                row.item_id or "",
                row.reason or "",
                row.details or "",
            ]
        )
    return out.getvalue()


def tombstone(identity_id: int) -> str:
    return f"erased-member-{identity_id}"


@eraser
def _tombstone_log_identity(member: Member) -> None:
    """The log keeps the rows; the member's name in them becomes a tombstone."""
    found = db.session.scalar(select(LogIdentity.id).where(LogIdentity.member_id == member.id))
    if found is not None:
        db.session.execute(
            update(LogIdentity)
            .where(LogIdentity.id == found)
            .values(label=tombstone(found), member_id=None)
            .execution_options(synchronize_session=False)
        )
