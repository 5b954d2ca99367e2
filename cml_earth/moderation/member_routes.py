"""Staff's view of one member: what moderation needs to judge, and admins' role changes.

Least privilege: moderators see the handle, role, sanctions and moderation history; never the
email address, private profile fields or consent records.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..errors import DomainError
from ..extensions import db
from ..forms import apply_errors
from ..profiles import services as profile_services
from . import actions, permissions, staff
from .forms import RoleForm
from .models import ModerationItem, Report

bp = Blueprint("staff_members", __name__)

INVALID = 422


def _member_or_404(username: str):
    member = profile_services.find_member(username)
    if member is None:
        abort(404)
    return member


def _render(member, form=None, status=200):
    if form is None and permissions.can_change_roles(current_user, member):
        form = RoleForm(formdata=None, role=member.role, safety_access=member.safety_access)
    items = db.session.scalars(
        select(ModerationItem)
        .where(ModerationItem.subject_id == member.id)
        .order_by(ModerationItem.opened_at.desc())
        .limit(50)
    ).all()
    reports_sent = db.session.scalar(
        select(db.func.count(Report.id)).where(Report.reporter_id == member.id)
    )
    decisions = db.session.scalars(actions.decisions_of(member).limit(50)).all()
    return render_template(
        "moderation/member.html",
        member=member,
        items=items,
        decisions=decisions,
        reports_sent=reports_sent,
        form=form,
    ), status


@bp.get("/<username>")
@permissions.requires(permissions.can_moderate)
def member(username: str):
    return _render(_member_or_404(username))


@bp.post("/<username>/role")
@permissions.requires(permissions.can_moderate)
def change_role(username: str):
    member = _member_or_404(username)
    if not permissions.can_change_roles(current_user, member):
        abort(403)  # only admins change roles, and never their own
    form = RoleForm()
    if not form.validate_on_submit():
        return _render(member, form, INVALID)
    try:
        staff.change_role(
            current_user,
            member,
            role=form.role.data,
            safety_access=form.safety_access.data,
            reason=form.reason.data,
        )
    except DomainError as refused:
        apply_errors(form, refused.errors)
        return _render(member, form, INVALID)
    flash(_("The role of %(name)s is changed.", name=member.username), "success")
    return redirect(url_for("staff_members.member", username=member.username))
