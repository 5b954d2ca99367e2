"""Who may do what with accounts: pure functions, used by views and templates alike."""

from __future__ import annotations

from functools import wraps

from flask import flash, redirect, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user


def viewer():
    """The member (or anonymous user) of this request, not the ``current_user`` proxy.

    For helpers that templates call once per item of a list: each attribute read through the
    proxy looks the user up again, which on a page of 50 words of support was a tenth of its
    time.
    """
    return current_user._get_current_object()


def can_post(member) -> bool:
    """Members may write once they have confirmed their email address, unless silenced."""
    return bool(
        member and member.is_authenticated and member.is_verified and not member.is_silenced
    )


def must_use_two_factor(member) -> bool:
    """Staff (sponsor, safety, admin) log in with a code from an authenticator app, always."""
    return bool(member and member.is_staff)


def verified_required(view):
    """For views that publish: logged in and verified, else a clear way forward."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        if current_user.is_verified and current_user.is_silenced:
            until = format_datetime(current_user.silenced_until, "long")
            flash(_("Moderators have paused your posting until %(date)s.", date=until), "warning")
            return redirect(url_for("moderation.decisions"))
        if not can_post(current_user):
            flash(
                _("Please confirm your email address before you post. We can send the link again."),
                "warning",
            )
            return redirect(url_for("auth.unverified"))
        return view(*args, **kwargs)

    return wrapper
