"""Forms of the collection, sharing and Displayer settings pages."""

from __future__ import annotations

from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from backpack.models.collections import DESCRIPTION_MAX, NAME_MAX, STORY_MAX
from backpack.web.forms import PageForm

NAME_FIELD = [
    DataRequired(message="Give the collection a name."),
    Length(max=NAME_MAX, message=f"A collection name is at most {NAME_MAX} characters."),
]
DESCRIPTION_FIELD = [
    Length(max=DESCRIPTION_MAX, message=f"A description is at most {DESCRIPTION_MAX} characters.")
]


class NewCollectionForm(PageForm):
    name = StringField("Name", validators=NAME_FIELD)
    description = TextAreaField("Description (optional)", validators=DESCRIPTION_FIELD)
    submit = SubmitField("Create collection")


class CollectionDetailsForm(PageForm):
    name = StringField("Name", validators=NAME_FIELD)
    description = TextAreaField("Description", validators=DESCRIPTION_FIELD)
    show_owner_name = BooleanField("Show my name on the public page")
    submit = SubmitField("Save")


class AddBadgesForm(PageForm):
    """Badges to add; the choices are the owner's own badges, so no other id passes."""

    badge_ids = SelectMultipleField(
        "Badges to add",
        coerce=int,
        invalid_choice_message=(
            "Only your own accepted badges that are not in this collection yet can be added."
        ),
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
        validators=[DataRequired(message="Choose at least one badge to add.")],
    )
    submit = SubmitField("Add to collection")


class StoryForm(PageForm):
    story = TextAreaField(
        "Your story of this badge",
        validators=[Length(max=STORY_MAX, message=f"A story is at most {STORY_MAX} characters.")],
    )
    submit = SubmitField("Save story")


class MoveForm(PageForm):
    """One step up or down; anything else is refused."""

    direction = RadioField(
        "Direction",
        choices=[SelectChoice("up", "Up"), SelectChoice("down", "Down")],
        invalid_choice_message="Choose up or down.",
        validators=[DataRequired(message="Say whether to move up or down.")],
    )


class OrderForm(PageForm):
    """A whole new order, as badge ids separated by commas (sent by collections.js)."""

    order = HiddenField(
        "Order",
        validators=[
            DataRequired(message="The new order is missing."),
            Length(max=20_000, message="The new order is too long."),
            Regexp(r"^\d{1,12}(,\d{1,12})*$", message="The new order is not a list of badges."),
        ],
    )


class ShareBadgeForm(PageForm):
    """Pick one of the owner's accepted badges to share on its own."""

    badge_id = SelectField(
        "Badge", coerce=int, invalid_choice_message="Choose one of your accepted badges."
    )
    submit = SubmitField("Share this badge")


class OwnerNameForm(PageForm):
    show_owner_name = BooleanField("Show my name on the public page")
    submit = SubmitField("Save")


class FindableForm(PageForm):
    findable = BooleanField("Let badge widgets find me by my verified email addresses")
    submit = SubmitField("Save")
