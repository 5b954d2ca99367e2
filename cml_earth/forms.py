"""Form base classes shared by every feature."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

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
