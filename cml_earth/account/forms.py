"""Account settings forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice, SelectField
from wtforms.validators import DataRequired

from ..auth.forms import language_choices_shipped
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
