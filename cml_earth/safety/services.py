"""Every change to side-effect cases: opening, day zero, assessment, status, contact consent.

Cases open by themselves (a medicine and a side effect named in a post, or a member's report
"possible side effect"); the safety team assesses them. Every staff change writes a case event
and a row of the staff action log; status changes are conditional UPDATEs, so two staff members
acting at once cannot both move a case.

Erasure: the case stays (a legal record, GDPR art. 17(3)(b)), the database sets its member_id
to NULL, and the history notes that the account is gone. The member's answer to the contact
request stays too: it says what the team was allowed to do, and without the account it no
longer points to anyone. The member's address is never copied into the case.
"""

from __future__ import annotations

import secrets
import string

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..account.erasure import eraser
from ..auth.models import Member
from ..database import utcnow
from ..errors import DomainError
from ..extensions import db
from ..moderation import targets
from ..moderation.log import identity, log_action
from ..moderation.models import Target
from . import deadlines
from .detection import AdverseEventSignal, detect_adverse_event
from .models import (
    OPEN_STATUSES,
    REPORTABLE_STATUSES,
    TRANSITIONS,
    AdverseEventCase,
    CaseEvent,
    CaseSource,
    CaseStatus,
    Seriousness,
)

#: How staff_actions rows name a case.
LOG_TARGET = "safety_case"
REFERENCE_ALPHABET = string.ascii_uppercase.replace("O", "").replace("I", "") + "23456789"
NOTE_MAX = 5_000


class CaseChanged(DomainError):
    """Another staff member changed the case's status first."""

    def __init__(self):
        super().__init__(
            {
                "": _l(
                    "Another staff member changed this case a moment ago. Here it is as it is now."
                )
            }
        )


def safety_zone() -> str:
    return current_app.config["SAFETY_TIMEZONE"]


def clock(case: AdverseEventCase, now=None) -> deadlines.Clock:
    """Day zero, deadline and days left of ``case``, in the safety team's time zone."""
    return deadlines.clock(case.day_zero_at, case.seriousness, safety_zone(), now)


def _reference() -> str:
    code = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"AE-{utcnow():%Y}-{code}"


# --- reading ---------------------------------------------------------------------------------


def find_case(case_id: int) -> AdverseEventCase | None:
    return db.session.get(AdverseEventCase, case_id)


def open_case_for(target_type: str, target_id: int) -> AdverseEventCase | None:
    """The case still being worked on this piece of content, if any."""
    return db.session.scalar(
        select(AdverseEventCase).where(
            AdverseEventCase.target_type == target_type,
            AdverseEventCase.target_id == target_id,
            AdverseEventCase.status.in_(OPEN_STATUSES),
        )
    )


#: The list's filters: open cases (the default), each status, or all.
LIST_FILTERS = ("open", *CaseStatus, "all")


def case_list(status: str = "open"):
    """Cases, those nobody has opened yet first, then by deadline (a select to paginate)."""
    statement = select(AdverseEventCase).order_by(
        AdverseEventCase.due_on.is_(None).desc(),
        AdverseEventCase.due_on,
        AdverseEventCase.created_at,
        AdverseEventCase.id,
    )
    if status == "open":
        statement = statement.where(AdverseEventCase.status.in_(OPEN_STATUSES))
    elif status in set(CaseStatus):
        statement = statement.where(AdverseEventCase.status == status)
    return statement


def reportable_cases() -> list[AdverseEventCase]:
    """Valid and forwarded cases, oldest first: what the exports contain."""
    return db.session.scalars(
        select(AdverseEventCase)
        .where(AdverseEventCase.status.in_(REPORTABLE_STATUSES))
        .order_by(AdverseEventCase.id)
    ).all()


def history(case: AdverseEventCase) -> list[CaseEvent]:
    return db.session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
    ).all()


# --- opening ---------------------------------------------------------------------------------


def _text(target_type: str, target) -> tuple[str | None, str]:
    if target_type == Target.STORY:
        return target.title, target.body
    if target_type == Target.COMMENT:
        return None, target.body
    if target_type == Target.GROUP:
        return target.name, target.description or ""
    return target.username, target.profile.story or ""


def _language(target_type: str, target) -> str | None:
    if target_type == Target.STORY:
        return target.language
    if target_type == Target.COMMENT and target.story is not None:
        return target.story.language  # words of support have no language of their own
    return None


def _story_id(target_type: str, target) -> int | None:
    if target_type == Target.STORY:
        return target.id
    return target.story_id if target_type == Target.COMMENT else None


def _snapshot(target_type: str, target) -> dict:
    """The columns that copy the content and its author as they are now."""
    title, body = _text(target_type, target)
    author_id = targets.subject_id(target_type, target)
    author = db.session.get(Member, author_id) if author_id else None
    return {
        "target_type": target_type,
        "target_id": target.id,
        "story_id": _story_id(target_type, target),
        "comment_id": target.id if target_type == Target.COMMENT else None,
        "content_title": title,
        "content_body": body,
        "content_language": _language(target_type, target),
        "written_at": getattr(target, "edited_at", None) or getattr(target, "created_at", None),
        "author_handle": author.username if author else None,
        "author_role": author.role if author else None,
        "author_country": author.country_code if author else None,
        "member_id": author.id if author else None,
    }


def _detected(signal: AdverseEventSignal | None) -> dict:
    if signal is None:
        return {"medicines": [], "reactions": []}
    return {"medicines": list(signal.generics), "reactions": list(signal.reaction_labels)}


def _prefill(case: AdverseEventCase) -> None:
    # What detection found prefills the checklist; it never unticks what staff ticked.
    case.has_medicine = bool(case.has_medicine or case.medicines)
    case.has_reaction = bool(case.has_reaction or case.reactions)


def _event(case: AdverseEventCase, kind: str, actor: Member | None = None, **fields) -> CaseEvent:
    row = CaseEvent(case_id=case.id, kind=kind, actor=identity(actor), **fields)
    db.session.add(row)
    db.session.flush()
    return row


def _open(target_type: str, target, source: str, fields: dict) -> tuple[AdverseEventCase, bool]:
    """The case being worked on this content, or a new one: (case, whether it is new).

    Two requests opening a case on the same content at once meet the unique index on open
    cases: the loser takes the winner's case.
    """
    for _attempt in range(3):
        found = open_case_for(target_type, target.id)
        if found is not None:
            return found, False
        case = AdverseEventCase(
            reference=_reference(),
            status=CaseStatus.NEW,
            source=source,
            **_snapshot(target_type, target),
            **fields,
        )
        _prefill(case)
        try:
            with db.session.begin_nested():
                db.session.add(case)
                db.session.flush()
        except IntegrityError:
            continue  # the same content opened elsewhere, or (rarely) a reference taken
        _event(case, "opened", to_status=CaseStatus.NEW)
        return case, True
    raise RuntimeError("could not open a side-effect case")  # pragma: no cover


def open_case_from_detection(
    author: Member, target_type: str, target, signal: AdverseEventSignal | None
) -> AdverseEventCase | None:
    """Open (or update) the case of a story or word of support in which detection found a
    medicine and a side effect, and put the content in the moderation queue.

    One case per content item: publishing and then editing joins the same case. A case still
    ``new`` takes the edited text and what was detected in it; an assessed one keeps the copy
    staff assessed and notes the edit.
    """
    if signal is None:
        return None
    from ..moderation import services as moderation_services

    detected = _detected(signal)
    case, created = _open(target_type, target, CaseSource.DETECTION, detected)
    if not created:
        if case.status == CaseStatus.NEW:
            for name, value in {**_snapshot(target_type, target), **detected}.items():
                setattr(case, name, value)
            _prefill(case)
            _event(case, "updated")
        else:
            _event(case, "edited_later")
    # The author's own handle at this moment, whatever the snapshot helper found.
    if case.status == CaseStatus.NEW and author is not None:
        case.author_handle, case.author_role = author.username, author.role
        case.author_country = author.country_code
    db.session.flush()
    moderation_services.open_item_for(target_type, target, "side_effect")
    return case


def open_case_from_report(report, target_type: str, target) -> AdverseEventCase:
    """Open the case of content a member reported as a possible side effect (a report joins
    the case already open on it). The report has put the content in the queue already."""
    title, body = _text(target_type, target)
    detected = _detected(detect_adverse_event(f"{title or ''}\n\n{body}"))
    fields = {
        **detected,
        "report_id": report.id,
        "report_reason": report.reason,
        "report_details": report.details,
    }
    case, created = _open(target_type, target, CaseSource.REPORT, fields)
    if not created:
        if case.report_id is None:
            case.report_id = report.id
            case.report_reason, case.report_details = report.reason, report.details
        _event(case, "reported", note=report.details)
    db.session.flush()
    return case


def open_case_by_staff(staff: Member, target_type: str, target, note: str = "") -> AdverseEventCase:
    """A staff member opens a case on content they judge may describe a side effect."""
    title, body = _text(target_type, target)
    detected = _detected(detect_adverse_event(f"{title or ''}\n\n{body}"))
    case, created = _open(target_type, target, CaseSource.STAFF, detected)
    if created and note.strip():
        case.narrative = note.strip()
    if created:
        log_action(staff, "case_open", target_type=LOG_TARGET, target_id=case.id,
                   content_type=target_type, content_id=target.id)  # fmt: skip
    mark_seen(case, staff)
    return case


# --- day zero --------------------------------------------------------------------------------


def mark_seen(case: AdverseEventCase, staff: Member) -> bool:
    """Day zero: the first time anyone working for the company looks at the case (or at the
    moderation item of its content). Later looks do not move it; True when this look set it."""
    if staff is None or not staff.is_staff or case.day_zero_at is not None:
        return False
    now = utcnow()
    due = deadlines.deadline(deadlines.day_zero(now, safety_zone()), case.seriousness)
    changed = db.session.execute(
        update(AdverseEventCase)
        .where(AdverseEventCase.id == case.id, AdverseEventCase.day_zero_at.is_(None))
        .values(day_zero_at=now, due_on=due)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(case, ["day_zero_at", "due_on"])
    if not changed:
        return False  # another staff member's look came first
    _event(case, "seen", staff)
    log_action(staff, "case_seen", target_type=LOG_TARGET, target_id=case.id,
               reference=case.reference)  # fmt: skip
    return True


def mark_content_seen(target_type: str, target_id: int, staff: Member) -> int:
    """Set day zero on the open cases of a piece of content a staff member has just looked at
    (the moderation item's page calls this); returns how many it set."""
    cases = db.session.scalars(
        select(AdverseEventCase).where(
            AdverseEventCase.target_type == target_type,
            AdverseEventCase.target_id == target_id,
            AdverseEventCase.day_zero_at.is_(None),
        )
    ).all()
    return sum(mark_seen(case, staff) for case in cases)


# --- assessing -------------------------------------------------------------------------------


def edit_case(
    case: AdverseEventCase,
    staff: Member,
    *,
    seriousness: str | None,
    criteria: dict[str, bool],
    narrative: str,
) -> list[str]:
    """Record the assessment: seriousness, the four criteria, the narrative. Returns what
    changed (nothing changed writes nothing)."""
    if case.status == CaseStatus.FORWARDED:
        raise DomainError({"": _l("A forwarded case is closed here; follow-ups go to the "
                                  "safety database.")})  # fmt: skip
    if seriousness is not None and seriousness not in set(Seriousness):
        raise DomainError({"seriousness": _l("Please choose the seriousness.")})
    values = {"seriousness": seriousness, **criteria, "narrative": narrative.strip() or None}
    changed = [name for name, value in values.items() if getattr(case, name) != value]
    if not changed:
        return []
    for name in changed:
        setattr(case, name, values[name])
    if "seriousness" in changed and case.day_zero_at is not None:
        first_day = deadlines.day_zero(case.day_zero_at, safety_zone())
        case.due_on = deadlines.deadline(first_day, case.seriousness)
    db.session.flush()
    _event(case, "edit", staff, note=", ".join(changed))
    log_action(staff, "case_edit", target_type=LOG_TARGET, target_id=case.id,
               reference=case.reference, changed=changed, seriousness=case.seriousness)  # fmt: skip
    return changed


def change_status(
    case: AdverseEventCase, staff: Member, to_status: str, *, expected: str, note: str = ""
) -> None:
    """Move the case from ``expected`` (what the staff member saw) to ``to_status``.

    One UPDATE ... WHERE status = expected: when another staff member moved it first, nothing
    changes and CaseChanged says so.
    """
    note = (note or "").strip()
    if to_status not in TRANSITIONS.get(expected, ()):
        raise DomainError({"status": _l("This case cannot move to that status.")})
    if case.status != expected:
        raise CaseChanged()
    if to_status == CaseStatus.VALID_CASE and not case.criteria_met:
        raise DomainError({"status": _l("A valid case needs all four minimum criteria. Tick them "
                                        "in the assessment first.")})  # fmt: skip
    if to_status == CaseStatus.NOT_A_CASE and not note:
        raise DomainError({"note": _l("Please say why this is not a case.")})
    now = utcnow()
    values = {"status": to_status, "updated_at": now}
    if to_status == CaseStatus.FORWARDED:
        values["forwarded_at"] = now
    try:
        with db.session.begin_nested():
            changed = db.session.execute(
                update(AdverseEventCase)
                .where(AdverseEventCase.id == case.id, AdverseEventCase.status == expected)
                .values(**values)
                .execution_options(synchronize_session=False)
            ).rowcount
    except IntegrityError as error:  # another case on the same content is open already
        raise DomainError(
            {"status": _l("Another case on the same content is open; work on that one.")}
        ) from error
    if not changed:
        raise CaseChanged()
    db.session.refresh(case)
    _event(case, "status", staff, from_status=expected, to_status=to_status, note=note or None)
    log_action(staff, "case_status", target_type=LOG_TARGET, target_id=case.id, reason=note or None,
               reference=case.reference, from_status=expected, to_status=to_status)  # fmt: skip


def record_export(staff: Member, kind: str, cases: list[AdverseEventCase]) -> None:
    log_action(staff, "case_export", target_type=LOG_TARGET, format=kind,
               references=[case.reference for case in cases])  # fmt: skip


@eraser
def _note_erasure(member: Member) -> None:
    """The cases stay (the database empties their member_id); their history says why."""
    cases = db.session.scalars(
        select(AdverseEventCase).where(AdverseEventCase.member_id == member.id)
    ).all()
    for case in cases:
        _event(case, "account_erased")
