"""Following: follow, unfollow, and the lists of who follows whom (social.follows)."""

from __future__ import annotations

import flask
import flask_babel
import flask_login

from .. import forms as _forms
from .. import security as _security
from ..extensions import db as _db
from ..extensions import limiter as _limiter
from ..profiles import services as _profiles
from . import follows
from .blueprint import bp

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
