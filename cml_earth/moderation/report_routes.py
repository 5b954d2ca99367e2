"""Reporting: members report what they see; anyone may send a Digital Services Act notice."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from ..auth.permissions import verified_required
from ..errors import DomainError
from ..extensions import limiter
from ..forms import apply_errors
from ..groups import services as group_services
from ..mail import compose, queue
from ..profiles import services as profile_services
from . import services, targets
from .forms import NoticeForm, ReportForm
from .models import REASON_LABELS, Target

bp = Blueprint("reports", __name__)

INVALID = 422
_NOTICE_REFERENCES = "dsa_notice_references"


def _report_limit() -> str:
    return current_app.config["REPORT_LIMIT_PER_MEMBER"]


def _member_key() -> str:
    return f"member:{current_user.get_id()}" if current_user.is_authenticated else "anonymous"


def _reportable_or_404(target_type: str, target_id: int):
    if target_type not in set(Target):
        abort(404)
    target = targets.load(target_type, target_id)
    # Gone, or not visible to the reporter: the same 404, so nothing leaks.
    if target is None or not targets.can_see(current_user, target_type, target):
        abort(404)
    return target


@bp.route("/report/<target_type>/<int:target_id>", methods=["GET", "POST"])
@verified_required
@limiter.limit(_report_limit, key_func=_member_key, methods=["POST"])
def report(target_type: str, target_id: int):
    target = _reportable_or_404(target_type, target_id)
    if not services.can_report(current_user, target_type, target):
        abort(403)  # their own content
    form = ReportForm()
    if form.validate_on_submit():
        try:
            services.report(
                current_user, target_type, target, form.reason.data, form.details.data or ""
            )
        except DomainError as refused:
            apply_errors(form, refused.errors)
        else:
            flash(_("Thank you. Staff will look at it; the author will not learn who reported."),
                  "success")  # fmt: skip
            if form.reason.data == "self_harm":
                return redirect(url_for("help.crisis"))
            return redirect(_back_to(target_type, target))
    status = INVALID if form.is_submitted() else 200
    return render_template(
        "moderation/report.html",
        form=form,
        target_type=target_type,
        target=target,
        excerpt=targets.excerpt(target_type, target),
        back=_back_to(target_type, target),
    ), status


def _back_to(target_type: str, target) -> str:
    if targets.is_hidden_from(current_user, target_type, target):
        return url_for("main.home")
    return targets.url_of(target_type, target)


# --- notices under the Digital Services Act -------------------------------------------------


def _notice_limit() -> str:
    return current_app.config["NOTICE_LIMIT_PER_ADDRESS"]


@bp.route("/report/notice", methods=["GET", "POST"])
@limiter.limit(_notice_limit, methods=["POST"])
def notice():
    form = NoticeForm()
    if not form.is_submitted():
        form.location.data = request.args.get("url", "")[:2000]
        if current_user.is_authenticated:
            form.email.data = current_user.email
    if form.validate_on_submit():
        sent = services.send_notice(
            reason=form.reason.data,
            location=form.location.data,
            explanation=form.explanation.data,
            name=form.name.data,
            email=form.email.data,
            sender=current_user,
            found=find_content(form.location.data),
        )
        queue(
            compose(
                sent.email,
                _("Your notice %(reference)s to CML Earth", reference=sent.reference),
                "moderation/notice_receipt",
                str(get_locale()),
                notice=sent,
                reason=REASON_LABELS[sent.reason],
            )
        )
        session[_NOTICE_REFERENCES] = [*session.get(_NOTICE_REFERENCES, [])[-4:], sent.reference]
        return redirect(url_for("reports.notice_receipt", reference=sent.reference))
    status = INVALID if form.is_submitted() else 200
    return render_template("moderation/notice.html", form=form), status


@bp.get("/report/notice/<reference>")
def notice_receipt(reference: str):
    # Only the browser that sent the notice sees its receipt page (the mail has it too).
    if reference not in session.get(_NOTICE_REFERENCES, []):
        abort(404)
    found = services.find_notice(reference)
    if found is None:
        abort(404)
    return render_template("moderation/notice_receipt.html", notice=found,
                           reason=REASON_LABELS[found.reason])  # fmt: skip


def find_content(location: str) -> tuple[str, object] | None:
    """The story, word of support, profile or group an address of this site points to."""
    try:
        parts = urlsplit(location.strip())
    except ValueError:
        return None
    adapter = current_app.url_map.bind("localhost")
    try:
        endpoint, values = adapter.match(parts.path or "/", method="GET")
    except HTTPException:
        return None
    found = None
    if endpoint == "stories.story":
        found = (Target.STORY, targets.load(Target.STORY, values["story_id"]))
        fragment = parts.fragment.removeprefix("comment-")
        if parts.fragment.startswith("comment-") and fragment.isdigit():
            comment = targets.load(Target.COMMENT, int(fragment))
            if comment is not None and comment.story_id == values["story_id"]:
                found = (Target.COMMENT, comment)
    elif endpoint == "profiles.profile":
        found = (Target.PROFILE, profile_services.find_member(values["username"]))
    elif endpoint == "groups.group":
        found = (Target.GROUP, group_services.find_group(values["slug"]))
    if found is None or found[1] is None:
        return None
    return found
