"""The HTML forms (Flask-WTF: every form carries a CSRF token)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import flash, request
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, EqualTo, Length

from backpack.services.errors import ServiceError


class PageForm(FlaskForm):
    """A form of the HTML pages: it reads the form body a browser sends, never JSON."""

    class Meta(FlaskForm.Meta):
        def wrap_formdata(self, form: Any, formdata: Any) -> Any:
            # Flask-WTF would read a JSON body as the form, and its numbers, lists and
            # objects reach fields and services that only ever get text from a browser.
            # Such a post is a form with nothing filled in (an explicit formdata aside).
            if request.is_json and not hasattr(formdata, "getlist"):
                return None
            return super().wrap_formdata(form, formdata)


EMAIL_FIELD = [DataRequired(message="Enter your email address."), Length(max=254)]
# Log-in and reset take an address as text, not `type="email"`: accounts imported from
# Mozilla keep addresses a browser's check refuses (its own check was looser), and their
# owners log in with them. The service finds the account; it does not judge the syntax.
KNOWN_ADDRESS_FIELD = [DataRequired(message="Enter your email address."), Length(max=320)]
KNOWN_ADDRESS_INPUT = {"inputmode": "email", "spellcheck": "false", "autocapitalize": "off"}
PASSWORD_FIELD = [DataRequired(message="Enter a password."), Length(max=1024)]


class SignupForm(PageForm):
    name = StringField("Your name (optional)", validators=[Length(max=200)])
    email = EmailField("Email address", validators=EMAIL_FIELD)
    password = PasswordField("Password", validators=PASSWORD_FIELD)
    confirm = PasswordField(
        "Password again",
        validators=[DataRequired(), EqualTo("password", message="The passwords differ.")],
    )
    submit = SubmitField("Create account")


class LoginForm(PageForm):
    email = StringField(
        "Email address", validators=KNOWN_ADDRESS_FIELD, render_kw=KNOWN_ADDRESS_INPUT
    )
    password = PasswordField("Password", validators=PASSWORD_FIELD)
    remember = BooleanField("Keep me logged in on this device")
    submit = SubmitField("Log in")


class ResendVerificationForm(PageForm):
    # Signed when the log-in showed that the address is its owner's: no address is typed.
    token = HiddenField(validators=[DataRequired()])
    submit = SubmitField("Send the verification link again")


class PasswordResetRequestForm(PageForm):
    email = StringField(
        "Email address", validators=KNOWN_ADDRESS_FIELD, render_kw=KNOWN_ADDRESS_INPUT
    )
    submit = SubmitField("Send reset link")


class PasswordResetForm(PageForm):
    password = PasswordField("New password", validators=PASSWORD_FIELD)
    confirm = PasswordField(
        "New password again",
        validators=[DataRequired(), EqualTo("password", message="The passwords differ.")],
    )
    submit = SubmitField("Set password")


class ChangePasswordForm(PageForm):
    current = PasswordField("Current password", validators=PASSWORD_FIELD)
    password = PasswordField("New password", validators=PASSWORD_FIELD)
    confirm = PasswordField(
        "New password again",
        validators=[DataRequired(), EqualTo("password", message="The passwords differ.")],
    )
    submit = SubmitField("Change password")


class VerifyEmailForm(PageForm):
    # Asked only when nobody is logged in: confirming logs the account's owner in.
    password = PasswordField("Your password")
    submit = SubmitField("Verify this address")


class AddEmailForm(PageForm):
    email = EmailField("Add an email address", validators=EMAIL_FIELD)
    submit = SubmitField("Add address")


class DeleteAccountForm(PageForm):
    # Its own id: the settings page shows the change-password form's "password" too.
    password = PasswordField("Your password", validators=PASSWORD_FIELD, id="delete-password")
    submit = SubmitField("Delete my account and everything in it")


class ActionForm(PageForm):
    """A form with no fields: a button whose only input is the CSRF token."""


def show_at_field(form: FlaskForm, error: ServiceError, fields: Mapping[str, str]) -> None:
    """Show a service's refusal at the field it is about (`fields`: error code to field
    name), after any error the field has already; one about no field is flashed."""
    name = fields.get(error.code)
    field = getattr(form, name, None) if name else None
    if field is None:
        flash(error.message, "error")
        return
    field.errors = [*field.errors, error.message]
