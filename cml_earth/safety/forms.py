"""Forms of the safety team (assessment, status) and of the member (contact consent)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, RadioField, SelectChoice, TextAreaField
from wtforms.validators import AnyOf, InputRequired, Length, Optional

from ..forms import Form
from .models import CRITERIA, SERIOUSNESS_LABELS, STATUS_LABELS, CaseStatus

NARRATIVE_MAX = 20_000
NOTE_MAX = 5_000


class CaseForm(Form):
    """The assessment: seriousness, the four minimum criteria, the narrative."""

    seriousness = RadioField(
        _l("Seriousness"),
        choices=[SelectChoice("", _l("Not decided yet (counts as serious: 15 days)"))]
        + [SelectChoice(value.value, label) for value, label in SERIOUSNESS_LABELS.items()],
        default="",
        validators=[Optional()],
    )
    has_reporter = BooleanField(CRITERIA[0][1])
    has_patient = BooleanField(CRITERIA[1][1])
    has_medicine = BooleanField(CRITERIA[2][1])
    has_reaction = BooleanField(CRITERIA[3][1])
    narrative = TextAreaField(
        _l("Narrative"),
        description=_l("What happened, in your words, for the safety database."),
        validators=[Optional(), Length(max=NARRATIVE_MAX)],
    )

    def criteria(self) -> dict[str, bool]:
        return {name: bool(self[name].data) for name, _label in CRITERIA}


class StatusForm(Form):
    """Move the case on; ``expected`` is the status the staff member saw."""

    status = RadioField(
        _l("New status"),
        choices=[SelectChoice(value.value, label) for value, label in STATUS_LABELS.items()],
        validators=[InputRequired(_l("Please choose a status."))],
    )
    expected = HiddenField(
        validators=[InputRequired(), AnyOf([status.value for status in CaseStatus])]
    )
    note = TextAreaField(
        _l("Note"),
        description=_l("Required when it is not a case: say why."),
        validators=[Optional(), Length(max=NOTE_MAX)],
    )

    def limit_to(self, statuses) -> None:
        self.status.choices = [choice for choice in self.status.choices if choice.value in statuses]


class ConsentForm(Form):
    answer = RadioField(
        _l("May the safety team contact you by email about this?"),
        choices=[
            SelectChoice("yes", _l("Yes, they may write to me")),
            SelectChoice("no", _l("No, please do not contact me")),
        ],
        validators=[InputRequired(_l("Please choose yes or no."))],
    )
