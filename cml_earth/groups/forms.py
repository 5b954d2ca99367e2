"""Forms to find, found and run groups."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..forms import Form, optional_choice
from ..i18n import country_choices, language_choices
from .models import (
    DESCRIPTION_MAX_LENGTH,
    JOIN_POLICY_LABELS,
    KIND_LABELS,
    NAME_MAX_LENGTH,
    PLACE_MAX_LENGTH,
    VISIBILITY_LABELS,
    GroupKind,
    GroupVisibility,
    JoinPolicy,
)
from .services import MAX_QUERY_LENGTH

MAX_LANGUAGES = 4
_TOO_LONG = _l("Use at most %(max)d characters.")


def _kind_choices() -> list[SelectChoice]:
    return [
        SelectChoice("", _l("All kinds")),
        *(SelectChoice(value.value, label) for value, label in KIND_LABELS.items()),
    ]


class _LookUpForm(Form):
    """Sent with GET (a search changes nothing), so no CSRF token; filter by kind."""

    class Meta:
        csrf = False

    kind = SelectField(_l("Kind of group"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = _kind_choices()


class SearchForm(_LookUpForm):
    q = StringField(
        _l("Country, group name or topic"),
        description=_l("For example “Sverige”, “Sweden”, “SE” or “newly diagnosed”."),
        validators=[Optional(), Length(max=MAX_QUERY_LENGTH, message=_TOO_LONG)],
    )


class NearForm(_LookUpForm):
    place = StringField(
        _l("Your city or town"),
        description=_l("For example “Göteborg”, “Lund, Sweden” or coordinates “59.33, 18.07”."),
        validators=[Optional(), Length(max=PLACE_MAX_LENGTH, message=_TOO_LONG)],
    )


def _languages_field() -> SelectMultipleField:
    return SelectMultipleField(
        _l("Main languages of the group"),
        description=_l("Hold Ctrl (or Cmd) to choose more than one."),
        validators=[DataRequired(_l("Please choose at least one language.")), _at_most_languages],
    )


def _at_most_languages(form, field) -> None:
    if field.data and len(field.data) > MAX_LANGUAGES:
        raise ValidationError(_l("Choose at most %(count)s languages.", count=MAX_LANGUAGES))


def _description_field() -> TextAreaField:
    return TextAreaField(
        _l("About the group"),
        description=_l(
            "Who the group is for and what members can expect. You can use Markdown: **bold**, "
            "*italics*, lists and links."
        ),
        validators=[
            DataRequired(_l("Please say in a few words what the group is for.")),
            Length(max=DESCRIPTION_MAX_LENGTH, message=_TOO_LONG),
        ],
    )


def _visibility_field() -> RadioField:
    return RadioField(
        _l("Who may read the group's stories and see its members"),
        choices=[SelectChoice(value.value, text) for value, text in VISIBILITY_LABELS.items()],
        default=GroupVisibility.MEMBERS.value,
        validators=[DataRequired(_l("Please choose who may read the group."))],
    )


def _policy_field() -> RadioField:
    return RadioField(
        _l("Who may join"),
        choices=[SelectChoice(value.value, text) for value, text in JOIN_POLICY_LABELS.items()],
        default=JoinPolicy.OPEN.value,
        validators=[DataRequired(_l("Please choose who may join."))],
    )


class ProposeForm(Form):
    name = StringField(
        _l("Name of the group"),
        validators=[
            DataRequired(_l("Please give the group a name.")),
            Length(min=3, max=NAME_MAX_LENGTH, message=_l("Use 3 to 100 characters.")),
        ],
    )
    kind = RadioField(
        _l("Kind of group"),
        choices=[SelectChoice(value.value, label) for value, label in KIND_LABELS.items()],
        default=GroupKind.NATIONAL.value,
        validators=[DataRequired(_l("Please choose the kind of group."))],
    )
    country_code = SelectField(
        _l("Country"),
        description=_l("National and local groups need one; a topic group may be international."),
        validators=[optional_choice()],
    )
    place = StringField(
        _l("City or region"),
        description=_l("For a local group: where it meets. We place it on the map from this."),
        validators=[Optional(), Length(max=PLACE_MAX_LENGTH, message=_TOO_LONG)],
    )
    description = _description_field()
    languages = _languages_field()
    visibility = _visibility_field()
    join_policy = _policy_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country_code.choices = [
            SelectChoice("", _l("No country: an international group")),
            *(SelectChoice(code, name) for code, name in country_choices()),
        ]
        self.languages.choices = [SelectChoice(code, name) for code, name in language_choices()]

    def validate(self, extra_validators=None) -> bool:
        # Here, not in validate_<field>: Optional() stops a field's own checks when it is empty.
        valid = super().validate(extra_validators)
        needs_place = self.kind.data in (GroupKind.NATIONAL, GroupKind.LOCAL)
        if needs_place and not self.country_code.data:
            self.country_code.errors = [
                *self.country_code.errors,
                _l("Please choose the group's country."),
            ]
            valid = False
        if self.kind.data == GroupKind.LOCAL and not (self.place.data or "").strip():
            self.place.errors = [*self.place.errors, _l("Please say where the local group is.")]
            valid = False
        return valid


class EditForm(Form):
    description = _description_field()
    languages = _languages_field()
    visibility = _visibility_field()
    join_policy = _policy_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.languages.choices = [SelectChoice(code, name) for code, name in language_choices()]


class RefuseForm(Form):
    note = TextAreaField(
        _l("Why the proposal is not approved"),
        description=_l("The founder reads this. Say what would make it acceptable."),
        validators=[
            DataRequired(_l("Please give the founder a reason.")),
            Length(max=2000, message=_TOO_LONG),
        ],
    )
