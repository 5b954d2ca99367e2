"""The settings pages about the account itself."""

from __future__ import annotations

import io

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..auth import two_factor as two_factor_auth
from ..auth.models import open_sessions_of, token_digest
from ..auth.permissions import must_use_two_factor
from ..auth.routes import recovery_codes_page
from ..auth.services import HEALTH_CONSENT_TEXT
from ..errors import DomainError
from ..extensions import db, limiter
from ..forms import EmptyForm, apply_errors
from ..notifications import services as notification_services
from ..notifications.forms import NotificationEmailForm
from . import erasure, services
from . import export as data_export
from .forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    DeleteAccountForm,
    DisableTwoFactorForm,
    EnableTwoFactorForm,
    HealthConsentForm,
    PreferencesForm,
    RecoveryCodesForm,
    WithdrawConsentForm,
)

bp = Blueprint("account", __name__)

INVALID = 422

#: Guessing the password through the delete form (a stolen session) is as slow as at login.
DELETE_ATTEMPTS_LIMIT = "5 per minute;30 per hour"


@bp.before_request
@login_required
def _members_only():
    """Every settings page is the member's own."""


def _config_limit(name: str):
    return lambda: current_app.config[name]


def _per_member(scope: str):
    # The limiter runs before the login check: a visitor has no id and is sent to log in.
    return lambda: f"{scope}|{getattr(current_user, 'id', None)}"


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


# --- Mail about activity (the notifications feature) ----------------------------------------


@bp.route("/notifications", methods=["GET", "POST"])
def notifications():
    form = NotificationEmailForm(notification_email=current_user.notification_email)
    if form.validate_on_submit():
        notification_services.set_email_frequency(current_user, form.notification_email.data)
        flash(_("Your choice of mail is saved."), "success")
        return redirect(url_for("account.notifications"))
    status = INVALID if form.is_submitted() else 200
    return render_template("notifications/settings.html", form=form), status


# --- Email address, password and health-data consent ----------------------------------------


@bp.route("/email", methods=["GET", "POST"])
@limiter.limit(
    _config_limit("EMAIL_CHANGE_LIMIT_PER_ACCOUNT"),
    methods=["POST"],
    key_func=_per_member("change-email"),
)
def email():
    form = ChangeEmailForm()
    if form.validate_on_submit():
        try:
            services.request_email_change(current_user, form.password.data, form.email.data)
        except DomainError as error:
            apply_errors(form, error.errors)
        else:
            # The same answer whether or not the new address belongs to another member.
            flash(
                _(
                    "We have sent a link to %(email)s. Your address changes once you open it; "
                    "until then it stays as it is.",
                    email=form.email.data,
                ),
                "success",
            )
            return redirect(url_for("account.email"))
    status = INVALID if form.is_submitted() else 200
    return render_template("account/email.html", form=form), status


@bp.route("/email/confirm/<token>", methods=["GET", "POST"])
def confirm_email(token: str):
    # Opening the link only shows a button: mail scanners follow links, members press buttons.
    form = EmptyForm()
    try:
        if form.validate_on_submit():
            new_email = services.confirm_email_change(current_user, token)
            flash(_("Your email address is now %(email)s.", email=new_email), "success")
            return redirect(url_for("account.email"))
        new_email = services.pending_email_change(current_user, token)
    except DomainError as error:
        return render_template("account/link_problem.html", messages=error.errors.values()), 400
    return render_template("account/confirm_email.html", form=form, new_email=new_email)


@bp.route("/password", methods=["GET", "POST"])
@limiter.limit(
    _config_limit("PASSWORD_CHANGE_LIMIT_PER_ACCOUNT"),
    methods=["POST"],
    key_func=_per_member("change-password"),
)
def password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current_password.data, form.password.data)
        except DomainError as error:
            apply_errors(form, error.errors)
        else:
            flash(
                _(
                    "Your password is changed. You are still logged in here, and logged out on "
                    "every other device."
                ),
                "success",
            )
            return redirect(url_for("account.password"))
    status = INVALID if form.is_submitted() else 200
    return render_template("account/password.html", form=form), status


# --- Two-step sign-in -----------------------------------------------------------------------

#: Guessing the password or a code through these forms is as slow as at login.
TWO_FACTOR_ATTEMPTS_LIMIT = "5 per minute;30 per hour"


def _two_factor_limit(scope: str):
    return limiter.limit(
        TWO_FACTOR_ATTEMPTS_LIMIT,
        methods=["POST"],
        key_func=_per_member(scope),
        deduct_when=lambda response: response.status_code >= 400,
    )


@bp.get("/two-factor")
def two_factor():
    on = current_user.has_two_factor
    return render_template(
        "account/two_factor.html",
        must_keep=must_use_two_factor(current_user),
        codes_left=two_factor_auth.unused_recovery_codes(current_user) if on else 0,
    )


@bp.route("/two-factor/enable", methods=["GET", "POST"])
@_two_factor_limit("two-factor-enable")
def enable_two_factor():
    if current_user.has_two_factor:
        return redirect(url_for("account.two_factor"))
    form = EnableTwoFactorForm()
    if form.validate_on_submit():
        try:
            codes = services.enable_two_factor(
                current_user, form.password.data, form.setup.data, form.code.data
            )
        except DomainError as error:
            apply_errors(form, error.errors)
        else:
            return recovery_codes_page(codes, url_for("account.two_factor"))
    enrolment, _replaced = two_factor_auth.start_enrolment(current_user, form.setup.data)
    form.setup.data = enrolment.token
    status = INVALID if form.is_submitted() else 200
    page = render_template(
        "account/two_factor_enable.html",
        form=form,
        enrolment=enrolment,
        member=current_user,
        action=url_for("account.enable_two_factor"),
    )
    return page, status, {"Cache-Control": "no-store"}


@bp.route("/two-factor/disable", methods=["GET", "POST"])
@_two_factor_limit("two-factor-disable")
def disable_two_factor():
    if not current_user.has_two_factor or must_use_two_factor(current_user):
        return redirect(url_for("account.two_factor"))
    form = DisableTwoFactorForm()
    if form.validate_on_submit():
        try:
            services.disable_two_factor(current_user, form.password.data, form.code.data)
        except DomainError as error:
            apply_errors(form, error.errors)
        else:
            flash(_("Two-step sign-in is off."), "success")
            return redirect(url_for("account.two_factor"))
    status = INVALID if form.is_submitted() else 200
    return render_template("account/two_factor_disable.html", form=form), status


@bp.route("/two-factor/recovery-codes", methods=["GET", "POST"])
@_two_factor_limit("two-factor-codes")
def new_recovery_codes():
    if not current_user.has_two_factor:
        return redirect(url_for("account.two_factor"))
    form = RecoveryCodesForm()
    if form.validate_on_submit():
        try:
            codes = services.regenerate_recovery_codes(current_user, form.password.data)
        except DomainError as error:
            apply_errors(form, error.errors)
        else:
            return recovery_codes_page(codes, url_for("account.two_factor"))
    status = INVALID if form.is_submitted() else 200
    return render_template("account/recovery_codes_new.html", form=form), status


@bp.route("/health-consent", methods=["GET", "POST"])
def consent():
    form = HealthConsentForm()
    if form.validate_on_submit():
        services.give_health_consent(current_user)
        flash(
            _("Thank you. You can now add your diagnosis and treatment to your profile."),
            "success",
        )
        return redirect(url_for("account.consent"))
    active, withdrawn = services.health_consents(current_user)
    status = INVALID if form.is_submitted() else 200
    return render_template(
        "account/consent.html",
        form=form,
        consent_text=HEALTH_CONSENT_TEXT,
        active=active,
        withdrawn=withdrawn,
    ), status


@bp.route("/health-consent/withdraw", methods=["GET", "POST"])
def withdraw_consent():
    if not current_user.has_health_consent:
        return redirect(url_for("account.consent"))
    form = WithdrawConsentForm()
    if form.validate_on_submit():
        services.withdraw_health_consent(current_user)
        flash(
            _("Your consent is withdrawn, and your diagnosis and treatment details are deleted."),
            "success",
        )
        return redirect(url_for("account.consent"))
    status = INVALID if form.is_submitted() else 200
    return render_template("account/withdraw_consent.html", form=form), status


# --- Download my data and delete my account (GDPR Art. 15, 17 and 20) -----------------------


@bp.route("/export", methods=["GET", "POST"])
def export():
    form = EmptyForm()
    if request.method == "GET":
        return render_template("account/export.html", form=form)
    if not form.validate_on_submit():
        abort(400)
    archive = data_export.export_member(current_user)
    response = send_file(
        io.BytesIO(archive.content),
        mimetype="application/zip",
        as_attachment=True,
        download_name=archive.filename,
        etag=False,
        conditional=False,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/delete", methods=["GET", "POST"])
@limiter.limit(
    DELETE_ATTEMPTS_LIMIT,
    methods=["POST"],
    key_func=_per_member("delete-account"),
    deduct_when=lambda response: response.status_code != 302,
)
def delete():
    form = DeleteAccountForm()
    if form.validate_on_submit():
        locale = current_user.locale
        try:
            erasure.erase_own_account(current_user._get_current_object(), form.password.data)
        except DomainError as error:
            apply_errors(form, error.errors)
        else:
            with force_locale(locale):
                flash(
                    _("Your account and your data are deleted. Thank you for being here."),
                    "success",
                )
            return _redirect_home_in(locale)
    status = INVALID if form.is_submitted() else 200
    return render_template("account/delete.html", form=form), status


def _redirect_home_in(locale: str):
    """Home, in the language the member used: the flash is in it, so the page is too."""
    response = redirect(url_for("main.home"))
    if locale in current_app.config["LANGUAGES"]:
        response.set_cookie(
            current_app.config["LANGUAGE_COOKIE"],
            locale,
            max_age=365 * 24 * 3600,
            secure=current_app.config["SESSION_COOKIE_SECURE"],
            httponly=True,
            samesite="Lax",
        )
    return response
