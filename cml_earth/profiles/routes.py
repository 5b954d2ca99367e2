"""Profile pages, the member list, avatars and the profile settings."""

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

from ..errors import DomainError
from ..extensions import db
from ..forms import apply_errors
from . import permissions, services
from .avatars import SIZES, initials_svg
from .forms import PrivacyForm, ProfileForm
from .models import OTHER_TREATMENTS, PHASE_LABELS, TREATMENTS

bp = Blueprint("profiles", __name__)

INVALID = 422
PER_PAGE = 30


@bp.app_context_processor
def _profile_helpers() -> dict:
    return {
        "visible_fields": permissions.visible_fields,
        "phase_labels": PHASE_LABELS,
        "treatment_labels": {**TREATMENTS, **OTHER_TREATMENTS},
    }


def _member_or_404(username: str):
    member = services.find_member(username)
    if member is None:
        abort(404)
    return member


@bp.get("/members/")
def directory():
    query = (request.args.get("q") or "").strip()[:30]
    page = db.paginate(
        services.member_directory(current_user, query),
        per_page=PER_PAGE,
        max_per_page=PER_PAGE,
        error_out=False,
    )
    return render_template("profiles/directory.html", page=page, query=query)


@bp.get("/members/<username>")
def profile(username: str):
    member = _member_or_404(username)
    if not permissions.can_view_profile(current_user, member):
        if not current_user.is_authenticated and permissions.would_see_after_login(member):
            return current_app.login_manager.unauthorized()
        abort(404)  # a profile its owner keeps to themselves does not exist for others
    return render_template(
        "profiles/profile.html",
        member=member,
        fields=permissions.visible_fields(current_user, member),
    )


@bp.get("/members/<username>/avatar/<int:size>")
def avatar(username: str, size: int):
    member = _member_or_404(username)
    if size not in SIZES or not permissions.can_view_profile(current_user, member):
        abort(404)
    response = Response(
        initials_svg(member.username, member.username_key, size), mimetype="image/svg+xml"
    )
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


@bp.route("/settings/profile", methods=["GET", "POST"])
@login_required
def edit_profile():
    member = current_user
    consent = member.has_health_consent
    form = ProfileForm(obj=member.profile, health_consent=consent)
    if request.method == "GET":
        form.username.data = member.username
        form.languages.data = member.profile.language_codes
    if form.validate_on_submit():
        health = None
        if consent:
            health = {name: getattr(form, name).data for name in services.HEALTH_FIELDS}
        try:
            services.update_profile(
                member,
                username=form.username.data,
                story=form.story.data,
                languages=form.languages.data or [],
                health=health,
            )
        except DomainError as error:
            apply_errors(form, error.errors)
        else:
            flash(_("Your profile is saved."), "success")
            return redirect(url_for("profiles.profile", username=member.username))
    status = INVALID if form.is_submitted() else 200
    return render_template("profiles/edit_profile.html", form=form, consent=consent), status


@bp.route("/settings/privacy", methods=["GET", "POST"])
@login_required
def privacy():
    form = PrivacyForm(obj=current_user.profile)
    if form.validate_on_submit():
        services.update_privacy(
            current_user,
            {field.name: field.data for field in form if field.name.endswith("_visibility")},
        )
        flash(_("Your privacy choices are saved."), "success")
        return redirect(url_for("profiles.privacy"))
    status = INVALID if form.is_submitted() else 200
    return render_template("profiles/privacy.html", form=form), status
