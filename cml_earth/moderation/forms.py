"""Forms to report, to send a notice, to act on the queue and to appeal."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    AnyOf,
    DataRequired,
    Email,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)

from ..forms import Form, IntegerRange
from .actions import MAX_SILENCE_DAYS, RESTRICTIONS
from .models import REASON_LABELS, Action

DETAILS_MAX = 2_000
EXPLANATION_MAX = 5_000

ACTION_LABELS = {
    Action.DISMISS: _l("Dismiss: nothing to do (shows it again if reports hid it)"),
    Action.HIDE: _l("Hide it"),
    Action.RESTORE: _l("Restore it"),
    Action.DELETE: _l("Delete it for good"),
    Action.WARN: _l("Warn the member"),
    Action.SILENCE: _l("Silence the member for some days"),
    Action.SUSPEND: _l("Suspend the member until a date"),
    Action.APPROVE_POST: _l("Approve the held post"),
    Action.APPROVE_GROUP: _l("Approve and open the group"),
    Action.REFUSE_GROUP: _l("Do not approve the group"),
    Action.UPHOLD: _l("Appeal: the decision stands"),
    Action.REVERSE: _l("Appeal: undo the decision"),
}


def _one_of(values, message) -> list:
    """Required and one of ``values``, with one clear message for both."""
    return [InputRequired(message), AnyOf([str(v) for v in values], message=message)]


def _reason_choices() -> list[SelectChoice]:
    return [SelectChoice(value.value, label) for value, label in REASON_LABELS.items()]


class ReportForm(Form):
    reason = RadioField(
        _l("What is wrong?"),
        choices=_reason_choices(),
        validate_choice=False,
        validators=_one_of(REASON_LABELS, _l("Please choose a reason.")),
    )
    details = TextAreaField(
        _l("Anything staff should know"),
        description=_l(
            "Needed when you choose “Something else”. The author never learns who reported."
        ),
        validators=[
            Optional(),
            Length(max=DETAILS_MAX, message=_l("Use at most %(max)d characters.")),
        ],
    )


class NoticeForm(Form):
    """A notice under the EU Digital Services Act: every field is required by its article 16."""

    reason = SelectField(
        _l("Why the content is illegal or breaks the rules"),
        choices=_reason_choices(),
        validate_choice=False,
        validators=_one_of(REASON_LABELS, _l("Please choose a reason.")),
    )
    location = StringField(
        _l("The exact address (URL) of the content"),
        validators=[
            DataRequired(_l("Please give the address of the content.")),
            Length(max=2_000, message=_l("Use at most %(max)d characters.")),
        ],
    )
    explanation = TextAreaField(
        _l("Your explanation"),
        validators=[
            DataRequired(_l("Please explain why you think so.")),
            Length(max=EXPLANATION_MAX, message=_l("Use at most %(max)d characters.")),
        ],
    )
    name = StringField(
        _l("Your name"),
        validators=[
            DataRequired(_l("Please give your name.")),
            Length(max=200, message=_l("Use at most %(max)d characters.")),
        ],
    )
    email = StringField(
        _l("Your email address"),
        description=_l("We send the receipt and our decision here."),
        validators=[
            DataRequired(_l("Please give your email address.")),
            Length(max=254, message=_l("Use at most %(max)d characters.")),
            Email(_l("Please enter a valid email address."), granular_message=False),
        ],
    )
    good_faith = BooleanField(
        _l(
            "I believe in good faith that the information and allegations in this notice are "
            "accurate and complete."
        ),
        validators=[DataRequired(_l("A notice needs this statement."))],
    )


class ActionForm(Form):
    action = RadioField(_l("Decision"), validators=[InputRequired(_l("Please choose what to do."))])
    ground = SelectField(
        _l("Ground (the guideline it concerns)"),
        choices=_reason_choices(),
        validate_choice=False,
        validators=_one_of(REASON_LABELS, _l("Please choose the ground for the decision.")),
    )
    explanation = TextAreaField(
        _l("Reasons, in words the member understands"),
        description=_l(
            "The member reads this in their statement of reasons; staff read it in the log."
        ),
        validators=[Length(max=EXPLANATION_MAX, message=_l("Use at most %(max)d characters."))],
    )
    days = IntegerField(
        _l("Days of silence"),
        validators=[
            Optional(),
            IntegerRange(1, MAX_SILENCE_DAYS, message=_l("Choose from 1 to %(max)d days.")),
        ],
    )
    until = DateField(_l("Suspended until (date)"), validators=[Optional()])

    def __init__(self, *args, actions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.action.choices = [SelectChoice(a.value, ACTION_LABELS[a]) for a in actions]
        self.action.validators = _one_of(
            [a.value for a in actions], _l("Please choose one of the decisions offered.")
        )

    def validate_explanation(self, field) -> None:
        if self.action.data in RESTRICTIONS and not (field.data or "").strip():
            raise ValidationError(_l("The member must be told why: please write the reasons."))


class AppealForm(Form):
    text = TextAreaField(
        _l("Why should the decision change?"),
        validators=[
            DataRequired(_l("Please tell us why the decision should change.")),
            Length(max=EXPLANATION_MAX, message=_l("Use at most %(max)d characters.")),
        ],
    )


ROLE_LABELS = {
    "patient": _l("Patient"),
    "relative": _l("Relative or friend"),
    "sponsor": _l("Sponsor staff"),
    "admin": _l("Administrator"),
}


class RoleForm(Form):
    role = SelectField(
        _l("Role"),
        choices=[SelectChoice(value, label) for value, label in ROLE_LABELS.items()],
        validate_choice=False,
        validators=_one_of(ROLE_LABELS, _l("Please choose a role.")),
    )
    safety_access = BooleanField(
        _l("Member of the safety (pharmacovigilance) team: may read side-effect cases"),
        description=_l("For sponsor staff only; administrators always may."),
    )
    reason = TextAreaField(
        _l("Why"),
        validators=[
            DataRequired(_l("Please say why, for the log.")),
            Length(max=1_000, message=_l("Use at most %(max)d characters.")),
        ],
    )
