"""Forms of the notifications feature."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectChoice
from wtforms.validators import InputRequired

from ..forms import Form
from .models import EmailFrequency

FREQUENCY_CHOICES = [
    SelectChoice(
        EmailFrequency.EACH.value,
        _l("Each time: a mail for every hug, high-five, word of support and new follower"),
    ),
    SelectChoice(
        EmailFrequency.DAILY.value, _l("Daily: at most one mail a day, listing what happened")
    ),
    SelectChoice(
        EmailFrequency.WEEKLY.value, _l("Weekly: at most one mail a week, listing what happened")
    ),
    SelectChoice(
        EmailFrequency.NEVER.value, _l("Never: no mail about activity; you see it on the site")
    ),
]


class NotificationEmailForm(Form):
    notification_email = RadioField(
        _l("Mail me about activity"),
        choices=FREQUENCY_CHOICES,
        validators=[InputRequired(_l("Please choose one."))],
    )
