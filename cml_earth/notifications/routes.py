"""Pages and actions of the notifications feature."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..extensions import db
from ..forms import EmptyForm
from ..security import safe_next
from . import services

bp = Blueprint("notifications", __name__)

PER_PAGE = 20
_UNREAD = "_cml_unread_notifications"


@bp.app_context_processor
def _notification_helpers() -> dict:
    # A function, not a number: the COUNT runs only when a page's header asks for it, never
    # for mails or pages of visitors.
    return {"unread_notifications": _unread_notifications}


def _unread_notifications() -> int:
    if not current_user or not current_user.is_authenticated:
        return 0
    if _UNREAD not in g:
        setattr(g, _UNREAD, services.unread_count(current_user))
    return g.get(_UNREAD)


@bp.get("/notifications")
@login_required
def index():
    page = db.paginate(
        services.notifications_for(current_user),
        per_page=PER_PAGE,
        max_per_page=PER_PAGE,
        error_out=False,
    )
    return render_template(
        "notifications/index.html",
        page=page,
        form=EmptyForm(),
        describe=services.describe,
        link_of=services.link_of,
    )


def _back() -> str:
    return safe_next(url_for("notifications.index", page=request.args.get("page", type=int)))


@bp.post("/notifications/<int:notification_id>/read")
@login_required
def mark_read(notification_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    notification = services.find_own(current_user, notification_id)
    if notification is None:
        abort(404)
    services.mark_read(notification)
    return redirect(_back())


@bp.post("/notifications/read-all")
@login_required
def mark_all_read():
    if not EmptyForm().validate_on_submit():
        abort(400)
    services.mark_all_read(current_user)
    flash(_("All your notifications are marked as read."), "success")
    return redirect(_back())


@bp.route("/notifications/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token: str):
    # Opening the link only shows a button: mail scanners follow links, members press buttons.
    member = services.member_from_unsubscribe_token(token)
    if member is None:
        return render_template("notifications/unsubscribe.html", problem=True), 400
    form = EmptyForm()
    if form.validate_on_submit():
        services.unsubscribe(member)
        return render_template("notifications/unsubscribe.html", done=True)
    return render_template("notifications/unsubscribe.html", form=form, member=member)
