"""Form base classes shared by every feature."""

from __future__ import annotations

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.validators import NumberRange, Optional, ValidationError

# C0 controls other than tab, newline and carriage return; U+FFFD is what undecodable bytes became.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")


class Form(FlaskForm):
    """A Flask-WTF form (CSRF included) that refuses control characters and invalid UTF-8."""

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            if isinstance(field.data, str) and _FORBIDDEN.search(field.data):
                field.errors = [*field.errors, _l("This contains characters that are not allowed.")]
                valid = False
        return valid


def optional_choice() -> Optional:
    """Optional() for a select or radio field: only an empty value skips the choice check.

    Plain Optional() takes whitespace (" ", U+0085) for empty and then clears the field's
    "Not a valid choice" error, so the value would reach the database as it was sent.
    """
    return Optional(strip_whitespace=False)


class IntegerRange(NumberRange):
    """NumberRange for whole numbers of any size.

    WTForms's own turns the number into a float first, which raises OverflowError (a server
    error) for a number of more than 308 digits.
    """

    def __call__(self, form, field) -> None:
        data = field.data
        if not isinstance(data, int):
            return super().__call__(form, field)
        if (self.min is None or data >= self.min) and (self.max is None or data <= self.max):
            return None
        if self.message:
            raise ValidationError(self.message % {"min": self.min, "max": self.max})
        raise ValidationError(
            _("Number must be between %(min)s and %(max)s.", min=self.min, max=self.max)
        )


class EmptyForm(Form):
    """For POST buttons: nothing but the CSRF token."""


def apply_errors(form: FlaskForm, errors: dict[str, str]) -> None:
    """Put a service's domain errors onto the form's fields (or the form itself, key '')."""
    for name, message in errors.items():
        field = form._fields.get(name)
        if field is None:
            form.form_errors.append(message)
        else:
            field.errors = [*field.errors, message]
