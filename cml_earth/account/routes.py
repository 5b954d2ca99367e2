"""The settings pages about the account itself."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..auth.models import open_sessions_of, token_digest
from ..extensions import db
from . import services
from .forms import PreferencesForm

bp = Blueprint("account", __name__)

INVALID = 422


@bp.before_request
@login_required
def _members_only():
    """Every settings page is the member's own."""


@bp.get("/")
def index():
    return redirect(url_for("profiles.edit_profile"))


@bp.route("/preferences", methods=["GET", "POST"])
def preferences():
    form = PreferencesForm(obj=current_user)
    if form.validate_on_submit():
        services.update_preferences(current_user, form.locale.data, form.timezone.data)
        flash(_("Your preferences are saved."), "success")
        return redirect(url_for("account.preferences"))
    status = INVALID if form.is_submitted() else 200
    return render_template("account/preferences.html", form=form), status


@bp.get("/devices")
def devices():
    sessions = db.session.scalars(open_sessions_of(current_user.id)).all()
    current = token_digest(current_user.session_token)
    return render_template("account/devices.html", devices=sessions, current=current)
