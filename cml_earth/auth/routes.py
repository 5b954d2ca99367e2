"""Account pages: thin views that validate a form, call one service and redirect."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required

from ..errors import DomainError
from ..extensions import limiter
from ..forms import EmptyForm, apply_errors
from ..security import safe_next
from . import services
from .forms import LoginForm, NewPasswordForm, RegistrationForm, ResetRequestForm

bp = Blueprint("auth", __name__)

INVALID = 422  # a form sent back with errors


def _config_limit(name: str):
    return lambda: current_app.config[name]


def _login_key() -> str:
    return (request.form.get("login") or "").strip().casefold()[:254]


def _login_and_address() -> str:
    return f"{_login_key()}|{get_remote_address()}"


def _email_key() -> str:
    return (request.form.get("email") or "").strip().casefold()[:254]


def _failed(response) -> bool:
    return response.status_code != 302


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_config_limit("REGISTER_LIMIT_PER_ADDRESS"), methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = RegistrationForm()
    if form.validate_on_submit():
        try:
            services.register(
                username=form.username.data,
                email=form.email.data,
                password=form.password.data,
                role=form.role.data,
                country_code=form.country_code.data,
                locale=form.locale.data,
                health_consent=form.health_consent.data,
            )
        except DomainError as error:
            apply_errors(form, error.errors)
        else:
            return redirect(url_for("auth.check_inbox"))
    status = INVALID if form.is_submitted() else 200
    return render_template(
        "auth/register.html", form=form, consent_text=services.HEALTH_CONSENT_TEXT
    ), status


@bp.get("/register/check-inbox")
def check_inbox():
    return render_template("auth/check_inbox.html")


@bp.route("/verify/<token>", methods=["GET", "POST"])
def verify(token: str):
    # Opening the link only shows a button: mail scanners follow links, members press buttons.
    form = EmptyForm()
    try:
        if form.validate_on_submit():
            member = services.verify_email(token)
            flash(
                _("Thank you, %(name)s. Your email address is confirmed.", name=member.username),
                "success",
            )
            return redirect(url_for("main.home" if current_user.is_authenticated else "auth.login"))
        member = services.member_for_verification(token)
    except DomainError as error:
        return render_template("auth/link_problem.html", messages=error.errors.values()), 400
    return render_template("auth/verify.html", form=form, member=member)


@bp.get("/verify")
@login_required
def unverified():
    if current_user.is_verified:
        return redirect(url_for("main.home"))
    return render_template("auth/unverified.html", form=EmptyForm())


@bp.post("/verify/resend")
@login_required
@limiter.limit(_config_limit("RESEND_LIMIT_PER_ACCOUNT"), key_func=lambda: str(current_user.id))
def resend_verification():
    if not EmptyForm().validate_on_submit():
        abort(400)
    if not current_user.is_verified:
        services.send_verification(current_user)
    flash(_("We have sent the link again. Please look in your inbox."), "success")
    return redirect(url_for("auth.unverified"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_config_limit("LOGIN_LIMIT_PER_ADDRESS"), methods=["POST"])
@limiter.limit(
    _config_limit("LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS"),
    methods=["POST"],
    key_func=_login_and_address,
    deduct_when=_failed,
)
@limiter.limit(
    _config_limit("LOGIN_LIMIT_PER_ACCOUNT"),
    methods=["POST"],
    key_func=_login_key,
    deduct_when=_failed,
)
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(url_for("main.home")))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            member = services.authenticate(form.login.data, form.password.data)
        except DomainError as error:
            apply_errors(form, error.errors)
        else:
            services.log_in(member, remember=form.remember.data)
            return redirect(safe_next(url_for("main.home")))
    return render_template("auth/login.html", form=form), INVALID if form.is_submitted() else 200


@bp.post("/logout")
def logout():
    if not EmptyForm().validate_on_submit():
        abort(400)
    if current_user.is_authenticated:
        services.log_out(current_user, everywhere=request.form.get("everywhere") == "1")
    flash(_("You are logged out."), "success")
    return redirect(url_for("main.home"))


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit(_config_limit("RESET_LIMIT_PER_ADDRESS"), methods=["POST"])
@limiter.limit(_config_limit("RESET_LIMIT_PER_ACCOUNT"), methods=["POST"], key_func=_email_key)
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        # The same answer whether or not the address belongs to a member.
        flash(
            _(
                "If this address belongs to a member, a link to choose a new password is on "
                "its way. Please look in your inbox."
            ),
            "success",
        )
        return redirect(url_for("auth.login"))
    status = INVALID if form.is_submitted() else 200
    return render_template("auth/reset_request.html", form=form), status


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    form = NewPasswordForm()
    try:
        member = services.member_for_reset(token)
        if form.validate_on_submit():
            services.reset_password(token, form.password.data)
            flash(
                _(
                    "Your password is changed, and you are logged out everywhere. Please log in "
                    "with the new password."
                ),
                "success",
            )
            return redirect(url_for("auth.login"))
    except DomainError as error:
        return render_template("auth/link_problem.html", messages=error.errors.values()), 400
    status = INVALID if form.is_submitted() else 200
    return render_template("auth/reset_password.html", form=form, member=member), status
