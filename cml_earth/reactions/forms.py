"""The small form behind every hug and high-five button."""

from __future__ import annotations

from wtforms import HiddenField
from wtforms.validators import AnyOf, DataRequired

from ..forms import Form
from .services import ADD, REMOVE


class ReactionForm(Form):
    """``action`` is the state the member wants, worked out from the page they saw."""

    action = HiddenField(validators=[DataRequired(), AnyOf([ADD, REMOVE])])
    next = HiddenField()
