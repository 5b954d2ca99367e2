"""Account pages: thin views that validate a form, call one service and redirect."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required

from ..errors import DomainError
from ..extensions import limiter
from ..forms import EmptyForm, apply_errors
from ..security import is_safe_redirect, safe_next
from . import known_devices, services, two_factor
from .forms import (
    EnrolForm,
    LoginForm,
    NewPasswordForm,
    RegistrationForm,
    ResetRequestForm,
    TwoFactorForm,
)

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


def _known_device() -> bool:
    return known_devices.is_known(_login_key())


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
    exempt_when=_known_device,  # no lock-out: the member's own browser is spared
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
            return known_devices.remember(_password_was_right(member, form), _login_key())
    return render_template("auth/login.html", form=form), INVALID if form.is_submitted() else 200


def _password_was_right(member, form):
    if two_factor.needed_at_login(member):
        # Not logged in yet: the code (or setting up the app) comes first.
        two_factor.begin_pending(member, remember=form.remember.data, next_url=safe_next(""))
        if member.has_two_factor:
            return redirect(url_for("auth.two_factor_login"))
        return redirect(url_for("auth.two_factor_setup"))
    services.log_in(member, remember=form.remember.data)
    return redirect(safe_next(url_for("main.home")))


# --- two-step sign-in -----------------------------------------------------------------------

#: Guessing a 6-digit code: a few tries a minute per member and per address, as at login.
TWO_FACTOR_LIMIT_PER_MEMBER = "5 per minute;20 per hour;50 per day"
TWO_FACTOR_LIMIT_PER_ADDRESS = "20 per minute;200 per hour"
CODE_FAILED = "_two_factor_failed"


def _two_factor_limit(name: str, default: str):
    return lambda: current_app.config.get(name, default)


def _code_failed(_response) -> bool:
    return g.get(CODE_FAILED, False)


def _two_factor_limits(view):
    view = limiter.limit(
        _two_factor_limit("TWO_FACTOR_LIMIT_PER_ADDRESS", TWO_FACTOR_LIMIT_PER_ADDRESS),
        methods=["POST"],
        deduct_when=_code_failed,
    )(view)
    return limiter.limit(
        _two_factor_limit("TWO_FACTOR_LIMIT_PER_MEMBER", TWO_FACTOR_LIMIT_PER_MEMBER),
        methods=["POST"],
        key_func=lambda: f"two-factor|{two_factor.pending_member_id()}",
        deduct_when=_code_failed,
    )(view)


def _log_in_again():
    flash(_("Please log in again."), "info")
    return redirect(url_for("auth.login"))


def _after_login(next_url: str):
    return redirect(next_url if is_safe_redirect(next_url) else url_for("main.home"))


@bp.route("/two-factor", methods=["GET", "POST"])
@_two_factor_limits
def two_factor_login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    member = two_factor.pending_member()
    if member is None:
        return _log_in_again()
    if not member.has_two_factor:
        return redirect(url_for("auth.two_factor_setup"))
    form = TwoFactorForm()
    if form.validate_on_submit():
        try:
            kind = two_factor.check_code(member, form.code.data)
        except DomainError as error:
            g.setdefault(CODE_FAILED, True)
            if two_factor.count_failure():
                flash(_("Too many wrong codes. Please log in again."), "warning")
                return redirect(url_for("auth.login"))
            apply_errors(form, error.errors)
        else:
            next_url = two_factor.finish_pending(member)
            if kind == "recovery":
                flash(_("You used a recovery code. Each code works only once."), "warning")
            return _after_login(next_url)
    elif form.is_submitted():
        g.setdefault(CODE_FAILED, True)
    status = INVALID if form.is_submitted() else 200
    return render_template("auth/two_factor.html", form=form), status


@bp.route("/two-factor/setup", methods=["GET", "POST"])
@_two_factor_limits
def two_factor_setup():
    """Staff who have no authenticator yet set one up before their first login completes."""
    if current_user.is_authenticated:
        return redirect(url_for("account.two_factor"))
    member = two_factor.pending_member()
    if member is None:
        return _log_in_again()
    if member.has_two_factor:
        return redirect(url_for("auth.two_factor_login"))
    form = EnrolForm()
    if form.validate_on_submit():
        try:
            codes = two_factor.enable(member, form.setup.data, form.code.data)
        except DomainError as error:
            g.setdefault(CODE_FAILED, True)
            apply_errors(form, error.errors)
        else:
            next_url = two_factor.finish_pending(member)
            return recovery_codes_page(codes, next_url or url_for("main.home"))
    elif form.is_submitted():
        g.setdefault(CODE_FAILED, True)
    enrolment, _replaced = two_factor.start_enrolment(member, form.setup.data)
    form.setup.data = enrolment.token
    status = INVALID if form.is_submitted() else 200
    response = current_app.make_response(
        (
            render_template(
                "auth/two_factor_setup.html",
                form=form,
                enrolment=enrolment,
                member=member,
                action=url_for("auth.two_factor_setup"),
            ),
            status,
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def recovery_codes_page(codes: list[str], continue_url: str):
    """The recovery codes, shown once: never cached, never stored readable."""
    if not is_safe_redirect(continue_url):
        continue_url = url_for("main.home")
    response = current_app.make_response(
        render_template("auth/recovery_codes.html", codes=codes, continue_url=continue_url)
    )
    response.headers["Cache-Control"] = "no-store"
    return response


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
