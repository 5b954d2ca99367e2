"""The staff's review queue, the action log, and members' statements of reasons."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..errors import DomainError
from ..extensions import db
from ..forms import apply_errors
from . import actions, log, permissions, services, targets
from .forms import ACTION_LABELS, ROLE_LABELS, ActionForm, AppealForm
from .models import REASON_LABELS, Reason, Target

bp = Blueprint("moderation", __name__)

INVALID = 422
PER_PAGE = 30
FILTER_REASONS = [f"report:{reason}" for reason in Reason] + [
    "crisis", "side_effect", "held", "proposal", "appeal", "notice",
]  # fmt: skip


@bp.app_template_filter("personal_detail_label")
def personal_detail_label(kind: str) -> str:
    from .screening import PERSONAL_DETAIL_LABELS

    return str(PERSONAL_DETAIL_LABELS.get(kind, kind))


@bp.app_template_filter("moderation_reason")
def _moderation_reason(code: str) -> str:
    return reason_label(code)


@bp.app_context_processor
def _moderation_helpers() -> dict:
    return {
        "can_moderate": permissions.can_moderate,
        "can_read_log": permissions.can_read_log,
        "moderation_open_count": _open_count,
        "reason_label": reason_label,
        "ground_label": lambda code: REASON_LABELS.get(code, code),
        "can_report": services.can_report,
        "role_label": lambda role: ROLE_LABELS.get(role, role),
        "item_kind_label": item_kind_label,
    }


def item_kind_label(target_type: str) -> str:
    """What a queue item is about, in the words of the queue's "Kind of item" filter."""
    return {
        "story": _("Stories"),
        "comment": _("Words of support"),
        "profile": _("Profiles"),
        "group": _("Groups"),
        "decision": _("Statement of reasons"),
        "notice": _("Legal notices"),
    }.get(target_type, target_type)


def _open_count() -> tuple[int, int]:
    return services.open_count() if permissions.can_moderate(current_user) else (0, 0)


def reason_label(code: str) -> str:
    """ "report:spam" → "Reported: Spam or advertising"; the queue's other sources by name."""
    kind, _sep, reason = code.partition(":")
    if kind == "notice" and not reason:  # the queue's filter: notices whatever their reason
        return _("Legal notices")
    label = REASON_LABELS.get(reason, reason)
    return {
        "report": _("Reported: %(reason)s", reason=label),
        "notice": _("Legal notice: %(reason)s", reason=label),
        "crisis": _("Possible crisis (self-harm language)"),
        "side_effect": _("Possible side effect named"),
        "held": _("New member's post held"),
        "proposal": _("Group proposal"),
        "appeal": _("Appeal"),
    }.get(kind, code)


def _page(statement):
    return db.paginate(statement, per_page=PER_PAGE, max_per_page=PER_PAGE, error_out=False)


@bp.get("/")
@permissions.requires(permissions.can_moderate)
def queue():
    reason = request.args.get("reason", "")
    reason = reason if reason in FILTER_REASONS else ""
    target = request.args.get("target", "")
    target = target if target in set(Target) else ""
    overdue = request.args.get("overdue") == "1"
    page = _page(services.queue(reason=reason, target_type=target, overdue=overdue))
    return render_template(
        "moderation/queue.html",
        page=page,
        reason=reason,
        target=target,
        overdue=overdue,
        filter_reasons=FILTER_REASONS,
        overdue_before=services.overdue_before(),
    )


def _item_or_404(item_id: int):
    item = services.find_item(item_id)
    if item is None:
        abort(404)
    return item


def _render_item(item, form=None, status=200):
    target = actions.load_target(item)
    available = actions.available_actions(current_user, item, target)
    if form is None:
        form = ActionForm(formdata=None, actions=available)
        reported = [r.removeprefix("report:") for r in item.reasons if r.startswith("report:")]
        form.ground.data = reported[0] if reported else Reason.OTHER.value
    return render_template(
        "moderation/item.html",
        item=item,
        target=target,
        is_content=item.target_type in set(Target),
        live_url=targets.url_of(item.target_type, target)
        if target is not None and item.target_type in set(Target)
        else None,
        reports=services.item_reports(item),
        notices=services.item_notices(item),
        history=services.history(item),
        form=form,
        overdue=services.is_overdue(item),
        action_labels=ACTION_LABELS,
        log_labels=log.ACTION_LABELS,
    ), status


@bp.get("/items/<int:item_id>")
@permissions.requires(permissions.can_moderate)
def item(item_id: int):
    found = _item_or_404(item_id)
    if found.target_type in set(Target):
        # Day zero of a side-effect case starts when anyone at the company first sees it.
        from ..safety.services import mark_content_seen

        mark_content_seen(found.target_type, found.target_id, current_user)
    return _render_item(found)


@bp.post("/items/<int:item_id>")
@permissions.requires(permissions.can_moderate)
def act(item_id: int):
    item = _item_or_404(item_id)
    target = actions.load_target(item)
    form = ActionForm(actions=actions.available_actions(current_user, item, target))
    if not form.validate_on_submit():
        if item.status != "open":
            return _already_handled(item)
        return _render_item(item, form, INVALID)
    try:
        actions.act(
            item,
            current_user,
            form.action.data,
            ground=form.ground.data,
            explanation=form.explanation.data or "",
            days=form.days.data,
            until=_end_of(form.until.data),
        )
    except services.AlreadyHandled:
        return _already_handled(item)
    except DomainError as refused:
        db.session.rollback()
        apply_errors(form, refused.errors)
        return _render_item(services.find_item(item_id), form, INVALID)
    flash(_("Done: %(action)s.", action=ACTION_LABELS[form.action.data]), "success")
    return redirect(url_for("moderation.queue"))


def _already_handled(item):
    db.session.rollback()
    item = services.find_item(item.id)
    flash(_("Another staff member handled this item a moment ago; here is what they did."),
          "warning")  # fmt: skip
    return redirect(url_for("moderation.item", item_id=item.id))


def _end_of(day) -> datetime | None:
    """A suspension "until" a date ends at the start of that day in the staff member's zone."""
    if day is None:
        return None
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(current_user.timezone))


# --- the action log (admins) ----------------------------------------------------------------


@bp.get("/log")
@permissions.requires(permissions.can_read_log)
def action_log():
    action = request.args.get("action", "")
    action = action if action in log.ACTION_LABELS else ""
    page = _page(log.entries(action or None))
    return render_template(
        "moderation/log.html", page=page, action=action, labels=log.ACTION_LABELS
    )


@bp.get("/log.csv")
@permissions.requires(permissions.can_read_log)
def action_log_csv():
    log.log_action(current_user, "export_log")
    body = log.as_csv()
    return Response(
        body,
        mimetype="text/csv",
        headers={
            "Content-Disposition": "attachment; filename=cml-earth-staff-log.csv",
            "Cache-Control": "no-store",
        },
    )


# --- statements of reasons and appeals (the member they concern) ----------------------------


def _decision_or_404(decision_id: int):
    decision = actions.find_decision(decision_id)
    if decision is None or not permissions.can_read_decision(current_user, decision):
        abort(404)  # someone else's decision does not exist for them
    return decision


@bp.get("/decisions")
@login_required
def decisions():
    rows = db.session.scalars(actions.decisions_of(current_user).limit(200)).all()
    return render_template("moderation/decisions.html", decisions=rows)


def _render_decision(decision, form=None, status=200):
    if form is None and actions.can_appeal(current_user, decision):
        form = AppealForm(formdata=None)
    return render_template(
        "moderation/decision.html",
        decision=decision,
        form=form,
        action_labels=log.ACTION_LABELS,
    ), status


@bp.get("/decisions/<int:decision_id>")
@login_required
def decision(decision_id: int):
    return _render_decision(_decision_or_404(decision_id))


@bp.post("/decisions/<int:decision_id>/appeal")
@login_required
def appeal(decision_id: int):
    decision = _decision_or_404(decision_id)
    if decision.member_id != current_user.id:
        abort(403)  # staff read statements; only their member appeals
    form = AppealForm()
    if not form.validate_on_submit():
        return _render_decision(decision, form, INVALID)
    try:
        actions.appeal(current_user, decision, form.text.data)
    except DomainError as refused:
        db.session.rollback()
        flash(next(iter(refused.errors.values())), "warning")
        return redirect(url_for("moderation.decision", decision_id=decision_id))
    flash(_("Your appeal is sent. Staff will look at the decision again."), "success")
    return redirect(url_for("moderation.decision", decision_id=decision_id))
