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

from ..auth.permissions import viewer
from ..errors import DomainError
from ..extensions import db
from ..forms import EmptyForm, apply_errors
from . import avatars, permissions, services
from .forms import AvatarForm, PrivacyForm, ProfileForm
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


@bp.app_template_global()
def avatar_src(member, size: int) -> str:
    """The picture to show for ``member``: a neutral figure when their profile is hidden."""
    who = viewer()
    if not permissions.can_view_profile(who, member):
        return url_for("static", filename="img/member.svg")
    version = avatars.avatar_version(who, member)
    return url_for("profiles.avatar", username=member.username, size=size, v=version)


@bp.app_template_global()
def avatar_version(member) -> str | None:
    """For the avatar macro, which is imported without the template's context."""
    return avatars.avatar_version(viewer(), member)


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
    # ?v=<key> in the address only busts browser caches; it is not read here.
    member = _member_or_404(username)
    if size not in avatars.SIZES or not permissions.can_view_profile(current_user, member):
        abort(404)
    key = member.profile.avatar_key
    picture = None
    if key and permissions.can_view_field(current_user, member, "avatar"):
        picture = avatars.stored_avatar(member.id, key, size)
    if picture is None:
        response = Response(
            avatars.initials_svg(member.username, member.username_key, size),
            mimetype="image/svg+xml",
        )
        response.headers["Cache-Control"] = "private, max-age=300"
    else:
        response = Response(picture, mimetype="image/webp")
        response.headers["Cache-Control"] = "private, max-age=86400"
        response.add_etag()
        response.make_conditional(request)
    response.headers["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'none'"
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


@bp.route("/settings/avatar", methods=["GET", "POST"])
@login_required
def edit_avatar():
    form = AvatarForm()
    if form.validate_on_submit():
        try:
            avatars.save_avatar(current_user, form.avatar.data.read(avatars.MAX_BYTES + 1))
        except DomainError as error:
            apply_errors(form, error.errors)
        else:
            flash(_("Your new picture is saved."), "success")
            return redirect(url_for("profiles.edit_avatar"))
    status = INVALID if form.is_submitted() else 200
    return render_template("profiles/edit_avatar.html", form=form, remove_form=EmptyForm()), status


@bp.post("/settings/avatar/remove")
@login_required
def remove_avatar():
    if EmptyForm().validate_on_submit():  # the CSRF token
        avatars.remove_avatar(current_user)
        flash(_("Your picture is removed. Others now see your initials."), "success")
    return redirect(url_for("profiles.edit_avatar"))
