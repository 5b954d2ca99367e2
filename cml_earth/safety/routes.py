"""The safety team's side-effect cases, their exports, and the member's contact consent page."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..database import utcnow
from ..errors import DomainError
from ..extensions import db
from ..forms import EmptyForm, apply_errors
from ..moderation.permissions import requires
from . import consent as contact_consent
from . import export, permissions, services
from .contacts import regulator_for
from .forms import CaseForm, ConsentForm, StatusForm
from .models import (
    CRITERIA,
    EVENT_LABELS,
    SERIOUSNESS_LABELS,
    SOURCE_LABELS,
    STATUS_LABELS,
    TRANSITIONS,
)

bp = Blueprint("safety", __name__)

INVALID = 422
PER_PAGE = 50


@bp.app_context_processor
def _safety_helpers() -> dict:
    return {"can_handle_cases": permissions.can_handle_cases}


@bp.get("/")
@requires(permissions.can_handle_cases)
def cases():
    status = request.args.get("status", "open")
    status = status if status in services.LIST_FILTERS else "open"
    page = db.paginate(
        services.case_list(status), per_page=PER_PAGE, max_per_page=PER_PAGE, error_out=False
    )
    return render_template(
        "safety/cases.html",
        page=page,
        status=status,
        filters=services.LIST_FILTERS,
        clocks={case.id: services.clock(case) for case in page.items},
        status_labels=STATUS_LABELS,
        seriousness_labels=SERIOUSNESS_LABELS,
    )


def _case_or_404(case_id: int):
    case = services.find_case(case_id)
    if case is None:
        abort(404)
    return case


def _render_case(case, case_form=None, status_form=None, code=200):
    if case_form is None:
        case_form = CaseForm(formdata=None, obj=case)
        case_form.seriousness.data = case.seriousness or ""
    if status_form is None:
        status_form = StatusForm(formdata=None, expected=case.status)
    status_form.limit_to(TRANSITIONS.get(case.status, ()))
    return render_template(
        "safety/case.html",
        case=case,
        clock=services.clock(case),
        case_form=case_form,
        status_form=status_form,
        consent_form=EmptyForm(formdata=None),
        events=services.history(case),
        regulator=regulator_for(case.author_country),
        contact_email=contact_consent.contact_email(case),
        criteria=CRITERIA,
        status_labels=STATUS_LABELS,
        source_labels=SOURCE_LABELS,
        seriousness_labels=SERIOUSNESS_LABELS,
        event_labels=EVENT_LABELS,
        zone=services.safety_zone(),
    ), code


@bp.get("/cases/<int:case_id>")
@requires(permissions.can_handle_cases)
def case(case_id: int):
    case = _case_or_404(case_id)
    services.mark_seen(case, current_user)
    return _render_case(case)


@bp.post("/cases/<int:case_id>")
@requires(permissions.can_handle_cases)
def edit(case_id: int):
    case = _case_or_404(case_id)
    form = CaseForm()
    if not form.validate_on_submit():
        return _render_case(case, case_form=form, code=INVALID)
    try:
        services.edit_case(
            case,
            current_user,
            seriousness=form.seriousness.data or None,
            criteria=form.criteria(),
            narrative=form.narrative.data or "",
        )
    except DomainError as refused:
        db.session.rollback()
        apply_errors(form, refused.errors)
        return _render_case(_case_or_404(case_id), case_form=form, code=INVALID)
    flash(_("The assessment is saved."), "success")
    return redirect(url_for("safety.case", case_id=case_id))


@bp.post("/cases/<int:case_id>/status")
@requires(permissions.can_handle_cases)
def change_status(case_id: int):
    case = _case_or_404(case_id)
    form = StatusForm()
    if not form.validate_on_submit():
        return _render_case(case, status_form=form, code=INVALID)
    try:
        services.change_status(
            case, current_user, form.status.data, expected=form.expected.data, note=form.note.data
        )
    except services.CaseChanged as changed:
        db.session.rollback()
        flash(changed.errors[""], "warning")
        return redirect(url_for("safety.case", case_id=case_id))
    except DomainError as refused:
        db.session.rollback()
        apply_errors(form, refused.errors)
        return _render_case(_case_or_404(case_id), status_form=form, code=INVALID)
    flash(_("The case is now: %(status)s.", status=STATUS_LABELS[form.status.data]), "success")
    return redirect(url_for("safety.case", case_id=case_id))


@bp.post("/cases/<int:case_id>/ask-consent")
@requires(permissions.can_handle_cases)
def ask_consent(case_id: int):
    case = _case_or_404(case_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        contact_consent.request_contact(case, current_user)
    except DomainError as refused:
        db.session.rollback()
        flash(refused.errors[""], "warning")
        return _render_case(_case_or_404(case_id), code=409)
    flash(_("The member is asked. Their answer will show here."), "success")
    return redirect(url_for("safety.case", case_id=case_id))


@bp.post("/from-item/<int:item_id>")
@requires(permissions.can_handle_cases)
def open_from_item(item_id: int):
    """Staff judge that reported or queued content may describe a side effect: open its case."""
    from ..moderation import targets
    from ..moderation.services import find_item

    item = find_item(item_id)
    target = targets.load(item.target_type, item.target_id) if item is not None else None
    if target is None:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    case = services.open_case_by_staff(current_user, item.target_type, target)
    flash(_("The side-effect case %(reference)s is open.", reference=case.reference), "success")
    return redirect(url_for("safety.case", case_id=case.id))


def _export_response(body, mimetype: str, extension: str) -> Response:
    return Response(
        body,
        mimetype=mimetype,
        headers={
            "Content-Disposition": f"attachment; filename=cml-earth-side-effect-cases.{extension}",
            "Cache-Control": "no-store",
        },
    )


@bp.get("/export.csv")
@requires(permissions.can_handle_cases)
def export_csv():
    rows = services.reportable_cases()
    services.record_export(current_user, "csv", rows)
    return _export_response(export.as_csv(rows, services.safety_zone()), "text/csv", "csv")


@bp.get("/export.xml")
@requires(permissions.can_handle_cases)
def export_xml():
    rows = services.reportable_cases()
    services.record_export(current_user, "xml", rows)
    sender = current_app.config.get("SITE_URL") or "cml-earth"
    body = export.as_xml(rows, services.safety_zone(), sender, utcnow())
    return _export_response(body, "application/xml", "xml")


# --- the member's answer -----------------------------------------------------------------------


def _asked_case_or_404(case_id: int):
    case = services.find_case(case_id)
    if not permissions.can_answer_contact_request(current_user, case):
        abort(404)  # someone else's case does not exist for them
    return case


def _render_consent(case, form=None, code=200):
    form = form or ConsentForm(formdata=None)
    if form.answer.data is None and case.contact_consent is not None:
        form.answer.data = "yes" if case.contact_consent else "no"
    return render_template(
        "safety/consent.html", case=case, form=form, regulator=regulator_for(case.author_country)
    ), code


@bp.get("/consent/<int:case_id>")
@login_required
def consent(case_id: int):
    return _render_consent(_asked_case_or_404(case_id))


@bp.post("/consent/<int:case_id>")
@login_required
def answer_consent(case_id: int):
    case = _asked_case_or_404(case_id)
    form = ConsentForm()
    if not form.validate_on_submit():
        return _render_consent(case, form, INVALID)
    contact_consent.answer_contact_request(case, current_user, form.answer.data == "yes")
    if form.answer.data == "yes":
        flash(_("Thank you. The safety team may write to you by email."), "success")
    else:
        flash(_("Thank you. The safety team will not contact you."), "success")
    return redirect(url_for("safety.consent", case_id=case_id))
