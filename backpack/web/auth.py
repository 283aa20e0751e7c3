"""Sign-up, log-in, log-out and password reset."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from backpack.extensions import db, limiter
from backpack.models import EmailAddress
from backpack.services import accounts, emails, link_tokens
from backpack.services.errors import BadToken, ServiceError
from backpack.web.forms import (
    LoginForm,
    PasswordResetForm,
    PasswordResetRequestForm,
    ResendVerificationForm,
    SignupForm,
    show_at_field,
)
from backpack.web.login import log_in, log_out
from backpack.web.redirects import safe_next

bp = Blueprint("auth", __name__)
RESEND_FORM_SECONDS = 15 * 60  # how long the "send the link again" button works
# The field each refusal of a form here is about, by its code (see forms.show_at_field).
SIGNUP_FIELDS = {"invalid_address": "email", "address_taken": "email", "weak_password": "password"}
RESET_FIELDS = {"weak_password": "password"}


def _limit(setting: str) -> str:
    return str(current_app.config[setting])


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(lambda: _limit("RATELIMIT_SIGNUP"), methods=["POST"])
def signup() -> Response | tuple[str, int] | str:
    """Create an account and log in; the address waits for its verification link."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = SignupForm()
    if not form.is_submitted():
        return render_template("auth/signup.html", form=form), 200
    status = 200 if form.validate() else 400
    # Every problem at once, each at its field: the address and the password are judged
    # even when, say, the two passwords differ.
    for problem in accounts.new_account_problems(form.email.data or "", form.password.data or ""):
        field = getattr(form, SIGNUP_FIELDS.get(problem.code, ""), None)
        if field is not None and field.errors:
            continue  # the form's own check said it first (an empty field)
        show_at_field(form, problem, SIGNUP_FIELDS)
        status = problem.status if status == 200 else 400
    if status != 200:
        return render_template("auth/signup.html", form=form), status
    try:
        user = accounts.create_account(
            form.email.data or "", form.password.data or "", name=form.name.data or ""
        )
    except ServiceError as exc:
        db.session.rollback()
        show_at_field(form, exc, SIGNUP_FIELDS)
        return render_template("auth/signup.html", form=form), exc.status
    db.session.commit()
    log_in(user)
    flash(
        f"Welcome! We sent a link to {user.emails[0].address}: open it to verify the address.",
        "success",
    )
    return redirect(url_for("account.settings"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: _limit("RATELIMIT_LOGIN"), methods=["POST"])
def login() -> Response | tuple[str, int] | str:
    """Log in with any verified address and the password."""
    next_page = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_page or url_for("main.index"))
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form), 400 if form.is_submitted() else 200
    attempt = accounts.attempt_login(form.email.data or "", form.password.data or "")
    if attempt.user is None:
        db.session.rollback()
        if attempt.unverified is not None:
            return _verify_first(form, attempt.unverified)
        flash("That address and password do not match a verified address on any account.", "error")
        return render_template("auth/login.html", form=form), 401
    db.session.commit()
    log_in(attempt.user, remember=bool(form.remember.data))
    return redirect(next_page or url_for("main.index"))


def _verify_first(form: LoginForm, email: EmailAddress) -> tuple[str, int]:
    """The log-in page again, saying the address waits for its link and offering a new one
    (shown only after the account's own password was given)."""
    form.email.errors = [
        f"{email.address} is not verified yet, so it cannot be used to log in. Open the link "
        "we mailed to it, or have a new one sent."
    ]
    resend = ResendVerificationForm(
        formdata=None, token=link_tokens.make_token(link_tokens.LOGIN_RESEND, {"email": email.id})
    )
    return render_template("auth/login.html", form=form, resend_form=resend), 401


@bp.post("/login/resend-verification")
@limiter.limit(lambda: _limit("RATELIMIT_EMAIL_SEND"))
def resend_verification() -> Response:
    """Mail a new verification link to the address a log-in was refused for."""
    form = ResendVerificationForm()
    if not form.validate_on_submit():
        flash("The form expired. Log in again to have the link sent.", "error")
        return redirect(url_for("auth.login"))
    try:
        email = emails.address_for_resend(form.token.data or "", max_age=RESEND_FORM_SECONDS)
        emails.send_verification(email)
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("auth.login"))
    db.session.commit()
    flash(f"We sent a new link to {email.address}. Open it, then log in.", "success")
    return redirect(url_for("auth.login"))


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    """End the session."""
    log_out()
    flash("You are logged out.", "info")
    return redirect(url_for("main.index"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(lambda: _limit("RATELIMIT_PASSWORD_RESET"), methods=["POST"])
def forgot_password() -> Response | tuple[str, int] | str:
    """Ask for a password-reset link by mail."""
    form = PasswordResetRequestForm()
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("auth/forgot_password.html", form=form), status
    accounts.request_password_reset(form.email.data or "")
    db.session.commit()
    # The same answer whether or not the address has an account, so nobody can probe.
    flash(
        "If that address is verified on an account, a reset link is on its way. Check your mail.",
        "info",
    )
    return redirect(url_for("auth.login"))


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: _limit("RATELIMIT_PASSWORD_RESET"), methods=["POST"])
def reset_password(token: str) -> Response | tuple[str, int] | str:
    """Choose a new password through a mailed link."""
    try:
        accounts.user_for_reset_token(token)
    except BadToken as exc:
        return render_template("auth/bad_link.html", message=exc.message, kind="reset"), 400
    form = PasswordResetForm()
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("auth/reset_password.html", form=form), status
    try:
        accounts.reset_password(token, form.password.data or "")
    except ServiceError as exc:
        db.session.rollback()
        show_at_field(form, exc, RESET_FIELDS)
        return render_template("auth/reset_password.html", form=form), exc.status
    db.session.commit()
    log_out()
    flash("Your password is changed. Log in with the new one.", "success")
    return redirect(url_for("auth.login"))
