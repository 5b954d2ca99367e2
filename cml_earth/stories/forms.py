"""Forms to write stories and words of support."""

from __future__ import annotations

import uuid

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, Regexp

from ..forms import Form, optional_choice
from ..i18n import language_choices
from ..profiles.models import VISIBILITY_LABELS, Visibility
from .models import BODY_MAX_LENGTH, COMMENT_MAX_LENGTH, TITLE_MAX_LENGTH

UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"


def _submission_key() -> HiddenField:
    # A new random key per form shown: the database refuses a second row with the same key.
    return HiddenField(validators=[Optional(), Regexp(UUID_PATTERN)])


def _personal_details_ok() -> BooleanField:
    # Shown only after the privacy check found contact details: the author confirms or edits.
    return BooleanField(_l("I have checked: publish it with these details"))


def new_submission_key() -> str:
    return str(uuid.uuid4())


class StoryForm(Form):
    title = StringField(
        _l("Title"),
        validators=[
            DataRequired(_l("Please give your story a title.")),
            Length(max=TITLE_MAX_LENGTH, message=_l("Use at most %(max)d characters.")),
        ],
    )
    body = TextAreaField(
        _l("Your story"),
        description=_l(
            "Share your own experience, not medical advice. You can use Markdown: **bold**, "
            "*italics*, lists and links."
        ),
        validators=[
            DataRequired(_l("Please write your story.")),
            Length(max=BODY_MAX_LENGTH, message=_l("Use at most %(max)d characters.")),
        ],
    )
    language = SelectField(
        _l("Language of the story"), validators=[DataRequired(_l("Please choose a language."))]
    )
    visibility = RadioField(
        _l("Who may see this story"),
        choices=[SelectChoice(value.value, text) for value, text in VISIBILITY_LABELS.items()],
        default=Visibility.MEMBERS.value,
        validators=[DataRequired(_l("Please choose who may see this."))],
    )
    group = SelectField(
        _l("Post it in a group"),
        description=_l(
            "Only members who may read the group see a story posted in it, whoever else you "
            "chose above."
        ),
        validators=[optional_choice()],
    )
    submission_key = _submission_key()
    personal_details_ok = _personal_details_ok()

    def __init__(self, *args, member, groups=None, **kwargs):
        super().__init__(*args, **kwargs)
        if groups is None:  # editing: a story stays where it was posted
            del self.group
        else:
            self.group.choices = [
                SelectChoice("", _l("No group: on my profile and in the feed")),
                *(SelectChoice(str(group.id), group.name) for group in groups),
            ]
        # The member's own languages first, then every ISO 639-1 language.
        choices = language_choices()
        own = [member.locale, *member.profile.language_codes]
        names = dict(choices)
        first = [code for code in dict.fromkeys(own) if code in names]
        self.language.choices = [
            *(SelectChoice(code, names[code]) for code in first),
            *(SelectChoice(code, name) for code, name in choices if code not in first),
        ]
        if self.language.data is None:
            self.language.data = first[0] if first else "en"


class CommentForm(Form):
    body = TextAreaField(
        _l("Your words of support"),
        validators=[
            DataRequired(_l("Please write something.")),
            Length(max=COMMENT_MAX_LENGTH, message=_l("Use at most %(max)d characters.")),
        ],
    )
    submission_key = _submission_key()
    personal_details_ok = _personal_details_ok()
