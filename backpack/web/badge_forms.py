"""Forms of the badge pages."""

from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import Field, StringField, SubmitField, TextAreaField
from wtforms.validators import Length, Optional, ValidationError

from backpack.web.forms import PageForm

MAX_PASTE = 1024 * 1024


class AddBadgeForm(PageForm):
    """Add a badge by one of three routes: a baked image, a URL, or pasted JSON or JWS."""

    image = FileField("A baked badge image (PNG or SVG)")
    url = StringField(
        "The URL where the issuer hosts the badge", validators=[Optional(), Length(max=2048)]
    )
    text = TextAreaField(
        "The badge's JSON or signed text (JWS or VC-JWT)",
        validators=[Optional(), Length(max=MAX_PASTE)],
    )
    submit = SubmitField("Add badge")

    def validate_url(self, field: StringField) -> None:
        if field.data and not field.data.strip().lower().startswith(("http://", "https://")):
            raise ValidationError("Enter a web address that starts with https:// or http://.")

    def field_of(self, route: str | None) -> Field | None:
        """The field of a route ("upload", "url" or "paste"), where its errors show."""
        return {"upload": self.image, "url": self.url, "paste": self.text}.get(route or "")

    def chosen_input(self, route: str | None) -> tuple[str, str | bytes] | None:
        """The route the earner used (the button pressed) and its data, or None if empty."""
        upload = self.image.data
        if route in (None, "upload") and upload is not None and upload.filename:
            return "upload", upload.read()
        if route in (None, "url") and self.url.data and self.url.data.strip():
            return "url", self.url.data.strip()
        if route in (None, "paste") and self.text.data and self.text.data.strip():
            return "paste", self.text.data.strip()
        return None
