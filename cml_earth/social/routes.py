"""Pages and actions of the social feature."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("social", __name__)


# --- follow (social.follows: follow, unfollow, following, followers) ------------------------
# Module-qualified imports, so that this block and the block and mute views below never
# import the same names twice.

import flask  # noqa: E402
import flask_babel  # noqa: E402
import flask_login  # noqa: E402

from .. import forms as _forms  # noqa: E402
from .. import security as _security  # noqa: E402
from ..extensions import db as _db  # noqa: E402
from ..extensions import limiter as _limiter  # noqa: E402
from ..profiles import services as _profiles  # noqa: E402
from . import follows  # noqa: E402

FOLLOWS_PER_PAGE = 30


def _follow_limit() -> str:
    return flask.current_app.config["FOLLOW_LIMIT_PER_MEMBER"]


def _per_follower() -> str:
    return f"follows|{getattr(flask_login.current_user, 'id', None)}"


def _visible_member_or_404(username: str):
    member = _profiles.find_member(username)
    if member is None or not follows.can_see_member(flask_login.current_user, member):
        flask.abort(404)
    return member


@bp.app_template_global()
def can_follow(member) -> bool:
    """For the profile page: whether the viewer may follow ``member``."""
    return follows.can_follow(flask_login.current_user, member)


@bp.post("/members/<username>/follow")
@flask_login.login_required
@_limiter.limit(_follow_limit, key_func=_per_follower)
def follow(username: str):
    _ = flask_babel.gettext
    member = _visible_member_or_404(username)
    if not _forms.EmptyForm().validate_on_submit():
        flask.abort(400)
    try:
        follows.follow(flask_login.current_user, member)
    except follows.FollowNotFound:
        flask.abort(404)
    except follows.FollowRefused as refusal:
        return flask.render_template(
            "errors/error.html", status=403, title=_("Not allowed"), text=refusal.message
        ), 403
    flask.flash(_("You now follow %(name)s.", name=member.username), "success")
    return flask.redirect(_security.safe_next(_profile_url(member)))


@bp.post("/members/<username>/unfollow")
@flask_login.login_required
@_limiter.limit(_follow_limit, key_func=_per_follower)
def unfollow(username: str):
    # By handle only: a member one no longer sees can still be unfollowed.
    member = _profiles.find_member(username)
    if member is None:
        flask.abort(404)
    if not _forms.EmptyForm().validate_on_submit():
        flask.abort(400)
    follows.unfollow(flask_login.current_user, member)
    flask.flash(
        flask_babel.gettext("You no longer follow %(name)s.", name=member.username), "success"
    )
    return flask.redirect(_security.safe_next(_profile_url(member)))


def _profile_url(member) -> str:
    return flask.url_for("profiles.profile", username=member.username)


def _follow_list(member, members, title: str):
    page = _db.paginate(
        members, per_page=FOLLOWS_PER_PAGE, max_per_page=FOLLOWS_PER_PAGE, error_out=False
    )
    return flask.render_template("social/follow_list.html", member=member, page=page, title=title)


@bp.get("/members/<username>/following")
def following(username: str):
    member = _visible_member_or_404(username)
    title = flask_babel.gettext("Members %(name)s follows", name=member.username)
    return _follow_list(member, follows.following(flask_login.current_user, member), title)


@bp.get("/members/<username>/followers")
def followers(username: str):
    member = _visible_member_or_404(username)
    title = flask_babel.gettext("Members following %(name)s", name=member.username)
    return _follow_list(member, follows.followers(flask_login.current_user, member), title)


# --- block and mute (social.services: block, unblock, mute, unmute) -------------------------
# Imports kept with this block so that it stays apart from the follow views above.

from flask import abort, flash, redirect, render_template, request, url_for  # noqa: E402
from flask_babel import gettext as _  # noqa: E402
from flask_login import current_user, login_required  # noqa: E402

from ..errors import DomainError  # noqa: E402
from ..extensions import db  # noqa: E402
from ..forms import EmptyForm  # noqa: E402
from ..profiles.services import find_member  # noqa: E402
from . import services as relations  # noqa: E402
from .queries import muted_ids  # noqa: E402


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
