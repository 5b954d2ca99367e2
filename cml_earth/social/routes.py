"""Pages and actions of the social feature: blocking and muting here, following in
``follow_routes`` (registered on the same blueprint)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..errors import DomainError
from ..extensions import db
from ..forms import EmptyForm
from ..profiles.services import find_member
from . import follow_routes
from . import services as relations
from .blueprint import bp
from .queries import muted_ids

__all__ = ["bp", "follow_routes"]


@bp.app_context_processor
def _relation_helpers() -> dict:
    return {
        "can_block": relations.can_block,
        "can_mute": relations.can_mute,
        "muted_ids": muted_ids,
    }


def _other_member_or_404(username: str):
    # Blocked members cannot see each other, but each must still be able to undo their own
    # block or mute: these look the member up by handle only.
    member = find_member(username)
    if member is None or member.id == current_user.id:
        abort(404)
    return member


@bp.route("/members/<username>/block", methods=["GET", "POST"])
@login_required
def block(username: str):
    member = _other_member_or_404(username)
    if not relations.can_block(current_user, member):
        abort(404)
    form = EmptyForm()
    if form.validate_on_submit():
        relations.block(current_user, member)
        flash(_("You blocked %(name)s.", name=member.username), "success")
        return redirect(url_for("social.blocked"))
    return render_template("social/block.html", member=member, form=form)


@bp.post("/members/<username>/unblock")
@login_required
def unblock(username: str):
    member = _other_member_or_404(username)
    if EmptyForm().validate_on_submit():
        relations.unblock(current_user, member)
        flash(_("You unblocked %(name)s.", name=member.username), "success")
    return redirect(url_for("social.blocked"))


@bp.post("/members/<username>/mute")
@login_required
def mute(username: str):
    member = _other_member_or_404(username)
    if EmptyForm().validate_on_submit():
        try:
            relations.mute(current_user, member)
        except DomainError:
            abort(404)
        flash(_("You muted %(name)s.", name=member.username), "success")
    return redirect(url_for("profiles.profile", username=member.username))


@bp.post("/members/<username>/unmute")
@login_required
def unmute(username: str):
    member = _other_member_or_404(username)
    if EmptyForm().validate_on_submit():
        relations.unmute(current_user, member)
        flash(_("You unmuted %(name)s.", name=member.username), "success")
    if request.form.get("back") == "settings":
        return redirect(url_for("social.blocked"))
    return redirect(url_for("profiles.profile", username=member.username))


@bp.get("/settings/blocked")
@login_required
def blocked():
    rows = db.session.execute(relations.blocked_and_muted(current_user)).all()
    return render_template("social/blocked.html", rows=rows, form=EmptyForm())
