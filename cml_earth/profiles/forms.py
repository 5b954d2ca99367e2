"""Profile and privacy forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..auth.forms import normalise_username, validate_username
from ..database import utcnow
from ..forms import Form, IntegerRange, optional_choice
from ..i18n import language_choices
from .avatars import ACCEPT, MAX_MEGABYTES
from .models import (
    EARLIEST_DIAGNOSIS_YEAR,
    OTHER_TREATMENTS,
    PHASE_LABELS,
    STORY_MAX_LENGTH,
    TREATMENTS,
    VISIBILITY_LABELS,
)

MAX_LANGUAGES = 6


def _at_most_languages(form, field) -> None:
    if field.data and len(field.data) > MAX_LANGUAGES:
        raise ValidationError(_l("Choose at most %(count)s languages.", count=MAX_LANGUAGES))


def _not_in_future(form, field) -> None:
    if field.data is not None and field.data > utcnow().year:
        raise ValidationError(_l("The year cannot be in the future."))


class ProfileForm(Form):
    username = StringField(
        _l("Username"),
        description=_l(
            "The name others see. Please do not use your real name. 3 to 30 characters."
        ),
        validators=[
            DataRequired(_l("Please choose a username.")),
            Length(min=3, max=30, message=_l("Use 3 to 30 characters.")),
            validate_username,
        ],
        filters=[normalise_username],
    )
    story = TextAreaField(
        _l("My story so far"),
        description=_l(
            "Tell as much or as little as you like. You can use Markdown: **bold**, *italics*, "
            "lists and links."
        ),
        validators=[
            Optional(),
            Length(max=STORY_MAX_LENGTH, message=_l("Use at most %(max)d characters.")),
        ],
    )
    languages = SelectMultipleField(
        _l("Languages I read and write"),
        description=_l("Hold Ctrl (or Cmd) to choose more than one."),
        validators=[_at_most_languages],
    )
    diagnosis_year = IntegerField(
        _l("Year of diagnosis"),
        validators=[
            Optional(),
            IntegerRange(
                min=EARLIEST_DIAGNOSIS_YEAR,
                message=_l("Please give a year from %(min)s on.", min=EARLIEST_DIAGNOSIS_YEAR),
            ),
            _not_in_future,
        ],
    )
    diagnosis_phase = SelectField(_l("Phase at diagnosis"), validators=[optional_choice()])
    treatment = SelectField(_l("Current treatment"), validators=[optional_choice()])

    def __init__(self, *args, health_consent: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.languages.choices = [SelectChoice(code, name) for code, name in language_choices()]
        if not health_consent:
            # Without consent the health fields do not exist: nothing can be sent for them.
            for name in ("diagnosis_year", "diagnosis_phase", "treatment"):
                delattr(self, name)
            return
        self.diagnosis_phase.choices = [
            SelectChoice("", _l("I would rather not say")),
            *(SelectChoice(value, label) for value, label in PHASE_LABELS.items()),
        ]
        self.treatment.choices = [
            SelectChoice("", _l("I would rather not say")),
            *(SelectChoice(value, label) for value, label in TREATMENTS.items()),
            *(SelectChoice(value, label) for value, label in OTHER_TREATMENTS.items()),
        ]


def _visibility_field(label, description=None) -> RadioField:
    return RadioField(
        label,
        description=description,
        choices=[SelectChoice(value.value, text) for value, text in VISIBILITY_LABELS.items()],
        validators=[DataRequired(_l("Please choose who may see this."))],
    )


class PrivacyForm(Form):
    profile_visibility = _visibility_field(
        _l("My profile"),
        _l("Who can open your profile and find you in the member list at all."),
    )
    story_visibility = _visibility_field(_l("My story"))
    country_visibility = _visibility_field(_l("My country"))
    health_visibility = _visibility_field(
        _l("My diagnosis and treatment"),
        _l("Shown only while you consent to us processing your health data."),
    )
    avatar_visibility = _visibility_field(_l("My picture"), _l("Others see your initials instead."))


class AvatarForm(Form):
    avatar = FileField(
        _l("Picture"),
        description=_l(
            "A JPEG, PNG or WebP image of at most %(size)d MB. We show a square from its middle. "
            "Location data and everything else stored in the file, such as the camera and the "
            "date, is removed.",
            size=MAX_MEGABYTES,
        ),
        validators=[FileRequired(_l("Please choose a picture."))],
        render_kw={"accept": ACCEPT},
    )
