"""Account forms; labels are lazy so they follow the member's language."""

from __future__ import annotations

import re
import unicodedata

from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length, ValidationError

from ..forms import Form
from ..i18n import country_choices, language_name
from . import passwords
from .models import Role

USERNAME_RE = re.compile(r"^[^\W_](?:[\w.-]*[^\W_])?$")
USERNAME_HINT = _l("The name others see. Please do not use your real name. 3 to 30 characters.")
RESERVED_USERNAMES = frozenset(
    (
        "admin administrator moderator mod staff sponsor support help cml cmlearth cml-earth "
        "system root official team security privacy safety null none anonymous"
    ).split()
)


def normalise_username(value: str | None) -> str | None:
    return unicodedata.normalize("NFKC", value).strip() if value else value


def strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def validate_username(form, field) -> None:
    if not USERNAME_RE.match(field.data or ""):
        raise ValidationError(
            _l(
                "Use letters, digits, dots, dashes or underscores, starting and ending with a "
                "letter or digit."
            )
        )
    if field.data.casefold() in RESERVED_USERNAMES:
        raise ValidationError(_l("This name is reserved. Please choose another."))


def validate_new_password(form, field) -> None:
    """ASVS level 2: length only (8 to 128), no composition rules, common passwords refused."""
    value = field.data or ""
    low, high = (
        current_app.config["PASSWORD_MIN_LENGTH"],
        current_app.config["PASSWORD_MAX_LENGTH"],
    )
    if len(value) < low:
        raise ValidationError(_l("Use at least %(count)s characters.", count=low))
    if len(value) > high:
        raise ValidationError(_l("Use at most %(count)s characters.", count=high))
    if passwords.is_common(value):
        raise ValidationError(
            _l(
                "This password is one of the most common ones and easy to guess. Please choose "
                "another; a few unrelated words make a strong one."
            )
        )
    for other in ("username", "email"):
        if other in form and form[other].data and value.casefold() == form[other].data.casefold():
            raise ValidationError(_l("Your password must not be your username or email address."))


def language_choices_shipped() -> list[SelectChoice]:
    return [
        SelectChoice(code, language_name(code), render_kw={"lang": code})
        for code in current_app.config["LANGUAGES"]
    ]


EMAIL_FIELD = dict(
    validators=[
        DataRequired(_l("Please enter your email address.")),
        Length(max=254, message=_l("Use at most %(max)d characters.")),
        Email(_l("Please enter a valid email address."), granular_message=False),
    ],
    filters=[strip],
)


class RegistrationForm(Form):
    username = StringField(
        _l("Username"),
        description=USERNAME_HINT,
        validators=[
            DataRequired(_l("Please choose a username.")),
            Length(min=3, max=30, message=_l("Use 3 to 30 characters.")),
            validate_username,
        ],
        filters=[normalise_username],
    )
    email = EmailField(
        _l("Email address"),
        description=_l("Never shown to other members."),
        **EMAIL_FIELD,
    )
    password = PasswordField(
        _l("Password"),
        description=_l("At least 8 characters. A few unrelated words make a strong password."),
        validators=[DataRequired(_l("Please choose a password.")), validate_new_password],
    )
    password_confirm = PasswordField(
        _l("Repeat the password"),
        validators=[
            DataRequired(_l("Please repeat the password.")),
            EqualTo("password", _l("The two passwords are not the same.")),
        ],
    )
    role = RadioField(
        _l("I am joining as"),
        choices=[
            SelectChoice(Role.PATIENT.value, _l("A person living with CML")),
            SelectChoice(Role.RELATIVE.value, _l("A relative or friend of someone with CML")),
        ],
        validators=[InputRequired(_l("Please choose one."))],
    )
    country_code = SelectField(
        _l("Country"),
        validators=[DataRequired(_l("Please choose your country."))],
        validate_choice=True,
    )
    locale = SelectField(_l("Language"), validators=[DataRequired()])
    age_confirmed = BooleanField(
        _l("I am 16 years or older."),
        validators=[DataRequired(_l("You must be 16 or older to join CML Earth."))],
    )
    accept_guidelines = BooleanField(
        _l("I have read and accept the community guidelines."),
        validators=[DataRequired(_l("Please accept the community guidelines to join."))],
    )
    health_consent = BooleanField(_l("I consent to CML Earth processing my health data."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country_code.choices = [
            SelectChoice("", _l("Choose your country")),
            *(SelectChoice(code, name) for code, name in country_choices()),
        ]
        self.locale.choices = language_choices_shipped()
        if not self.is_submitted():
            self.locale.data = str(get_locale())


class LoginForm(Form):
    login = StringField(
        _l("Email address or username"),
        validators=[
            DataRequired(_l("Please enter your email address or username.")),
            Length(max=254, message=_l("Use at most %(max)d characters.")),
        ],
        filters=[strip],
    )
    password = PasswordField(
        _l("Password"),
        validators=[
            DataRequired(_l("Please enter your password.")),
            Length(max=1024, message=_l("Use at most %(max)d characters.")),
        ],
    )
    remember = BooleanField(_l("Keep me logged in on this device for 30 days"))


class ResetRequestForm(Form):
    email = EmailField(_l("Email address"), **EMAIL_FIELD)


class NewPasswordForm(Form):
    password = PasswordField(
        _l("New password"),
        description=_l("At least 8 characters. A few unrelated words make a strong password."),
        validators=[DataRequired(_l("Please choose a password.")), validate_new_password],
    )
    password_confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[
            DataRequired(_l("Please repeat the password.")),
            EqualTo("password", _l("The two passwords are not the same.")),
        ],
    )


# --- two-step sign-in -----------------------------------------------------------------------

CODE_VALIDATORS = [
    DataRequired(_l("Please enter the code.")),
    Length(max=64, message=_l("Use at most %(max)d characters.")),
]


class TwoFactorForm(Form):
    code = StringField(
        _l("Code"),
        description=_l("The 6-digit code your authenticator app shows, or a recovery code."),
        validators=CODE_VALIDATORS,
        filters=[strip],
        render_kw={"autocomplete": "one-time-code", "spellcheck": "false"},
    )


class EnrolForm(Form):
    """Confirm the new authenticator with a code it shows; the secret rides signed in ``setup``."""

    setup = HiddenField(validators=[Length(max=1024)])
    code = StringField(
        _l("Code from your app"),
        description=_l("Type the 6-digit code the app shows for CML Earth."),
        validators=CODE_VALIDATORS,
        filters=[strip],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"},
    )
