"""Account settings forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, SelectChoice, SelectField, SubmitField
from wtforms.validators import DataRequired, Length

from ..auth.forms import (
    EMAIL_FIELD,
    EnrolForm,
    NewPasswordForm,
    TwoFactorForm,
    language_choices_shipped,
)
from ..auth.services import HEALTH_CONSENT_LABEL
from ..forms import Form
from ..i18n import all_timezones


class PreferencesForm(Form):
    locale = SelectField(_l("Language"), validators=[DataRequired()])
    timezone = SelectField(_l("Time zone"), validators=[DataRequired()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.locale.choices = language_choices_shipped()
        self.timezone.choices = [
            SelectChoice(zone, zone.replace("_", " ")) for zone in all_timezones()
        ]


# --- Email address, password and health-data consent -----------------------------------------

CURRENT_PASSWORD = [
    DataRequired(_l("Please enter your password.")),
    Length(max=1024, message=_l("Use at most %(max)d characters.")),
]


class ChangeEmailForm(Form):
    email = EmailField(
        _l("New email address"),
        description=_l("We send a link to this address. Your address changes once you open it."),
        **EMAIL_FIELD,
    )
    password = PasswordField(
        _l("Your password"), description=_l("To make sure it is you."), validators=CURRENT_PASSWORD
    )


class ChangePasswordForm(NewPasswordForm):
    """The reset form's new-password fields, with the current password first."""

    current_password = PasswordField(_l("Your current password"), validators=CURRENT_PASSWORD)


class HealthConsentForm(Form):
    # The label is part of the consent text whose hash is recorded: it must stay these words.
    health_consent = BooleanField(
        HEALTH_CONSENT_LABEL,
        validators=[DataRequired(_l("Please tick the box to give your consent."))],
    )


class WithdrawConsentForm(Form):
    # The button itself is the confirmation: withdrawing takes no more steps than giving.
    confirm = SubmitField(
        _l("Withdraw my consent and delete my health details"),
        validators=[DataRequired(_l("Please press the button to confirm."))],
    )


# --- Two-step sign-in ------------------------------------------------------------------------


class EnableTwoFactorForm(EnrolForm):
    password = PasswordField(
        _l("Your password"), description=_l("To make sure it is you."), validators=CURRENT_PASSWORD
    )


class DisableTwoFactorForm(TwoFactorForm):
    password = PasswordField(
        _l("Your password"), description=_l("To make sure it is you."), validators=CURRENT_PASSWORD
    )


class RecoveryCodesForm(Form):
    password = PasswordField(
        _l("Your password"), description=_l("To make sure it is you."), validators=CURRENT_PASSWORD
    )


# --- Delete my account (GDPR Art. 17) -------------------------------------------------------


class DeleteAccountForm(Form):
    password = PasswordField(
        _l("Your password"),
        description=_l("To make sure it is you."),
        validators=[
            DataRequired(_l("Please enter your password.")),
            Length(max=1024, message=_l("Use at most %(max)d characters.")),
        ],
    )
    confirm = BooleanField(
        _l(
            "I understand that my account and my data will be deleted, and that this cannot be "
            "undone."
        ),
        validators=[DataRequired(_l("Please tick the box to confirm."))],
    )
