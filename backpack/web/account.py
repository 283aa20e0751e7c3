"""Settings, Addresses (the section /account/ opens on), the badge-widget choice, and
deleting the account; the other sections are in settings_pages and account_security."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required, logout_user
from werkzeug.wrappers import Response

from backpack.extensions import db, limiter
from backpack.models import EmailAddress
from backpack.services import accounts, emails, sharing
from backpack.services.errors import ServiceError
from backpack.services.import_jobs import job_files, remove_files
from backpack.web.collection_forms import FindableForm
from backpack.web.forms import (
    ActionForm,
    AddEmailForm,
    DeleteAccountForm,
    VerifyEmailForm,
    show_at_field,
)
from backpack.web.login import log_in
from backpack.web.settings_pages import apps_page

bp = Blueprint("account", __name__, url_prefix="/account")
# The field each refusal of a form here is about, by its code (see forms.show_at_field).
ADDRESS_FIELDS = {"invalid_address": "email", "address_taken": "email", "send_too_soon": "email"}


def _settings_page(status: int = 200, **forms: object) -> tuple[str, int]:
    context = {"add_form": AddEmailForm(), **forms}
    return render_template("account/settings.html", **context), status


def _delete_page(status: int = 200, **forms: object) -> tuple[str, int]:
    context = {"delete_form": DeleteAccountForm(), **forms}
    return render_template("account/delete.html", **context), status


def _own_email(email_id: int) -> EmailAddress:
    email = emails.get_address(current_user, email_id)
    if email is None:
        abort(404)
    return email


@bp.get("/")
@login_required
def settings() -> tuple[str, int]:
    """The account's addresses: add, verify, make primary, remove."""
    return _settings_page()


@bp.post("/emails")
@login_required
def add_email() -> Response | tuple[str, int]:
    """Add an address and mail it a verification link."""
    form = AddEmailForm()
    if not form.validate_on_submit():
        return _settings_page(400, add_form=form)
    try:
        email = emails.add_email(current_user, form.email.data or "")
    except ServiceError as exc:
        db.session.rollback()
        show_at_field(form, exc, ADDRESS_FIELDS)
        return _settings_page(exc.status, add_form=form)
    db.session.commit()
    flash(f"We sent a verification link to {email.address}.", "success")
    return redirect(url_for("account.settings"))


def _email_action(email_id: int, action: str) -> Response | tuple[str, int]:
    if not ActionForm().validate_on_submit():
        abort(400, "The form expired. Reload the page and try again.")
    email = _own_email(email_id)
    try:
        if action == "resend":
            emails.send_verification(email)
            message = f"We sent a new verification link to {email.address}."
        elif action == "primary":
            emails.set_primary(email)
            message = f"{email.address} is now your primary address."
        else:
            address = email.address
            emails.remove_email(email)
            message = f"{address} is removed from your account."
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _settings_page(exc.status)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("account.settings"))


@bp.post("/emails/<int:email_id>/resend")
@login_required
def resend_verification(email_id: int) -> Response | tuple[str, int]:
    """Mail a fresh verification link for an unverified address."""
    return _email_action(email_id, "resend")


@bp.post("/emails/<int:email_id>/primary")
@login_required
def make_primary(email_id: int) -> Response | tuple[str, int]:
    """Make a verified address the primary one."""
    return _email_action(email_id, "primary")


@bp.post("/emails/<int:email_id>/remove")
@login_required
def remove_email(email_id: int) -> Response | tuple[str, int]:
    """Remove an address from the account."""
    return _email_action(email_id, "remove")


@bp.route("/verify/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: str(current_app.config["RATELIMIT_LOGIN"]), methods=["POST"])
def verify_email(token: str) -> Response | tuple[str, int]:
    """Verify an address from its mailed link: a page whose button the owner presses.

    A GET changes nothing (mail scanners follow links). Logged out, the owner confirms with
    the account's password and is logged in on the way."""
    try:
        email = emails.address_for_link(token)
    except ServiceError as exc:
        return render_template("auth/bad_link.html", message=exc.message), exc.status
    owner = email.user
    if current_user.is_authenticated and current_user.id != owner.id:
        message = "This link verifies an address for another account. Log out, then open it again."
        return render_template("auth/bad_link.html", message=message), 403
    form = VerifyEmailForm()
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("account/verify_email.html", form=form, email=email), status
    logged_out = not current_user.is_authenticated
    if logged_out and not accounts.password_matches(owner, form.password.data or ""):
        form.password.errors = ["That is not the password of the account this address is on."]
        return render_template("account/verify_email.html", form=form, email=email), 401
    try:
        emails.verify_email(token, owner)
    except ServiceError as exc:
        db.session.rollback()
        return render_template("auth/bad_link.html", message=exc.message), exc.status
    db.session.commit()
    if logged_out:
        log_in(owner)
    flash(f"{email.address} is verified.", "success")
    return redirect(url_for("account.settings"))


@bp.post("/displayer")
@login_required
def set_findable() -> Response | tuple[str, int]:
    """Opt in to, or out of, the Mozilla Displayer API (being found by email)."""
    form = FindableForm()
    if not form.validate_on_submit():
        return apps_page(400, findable_form=form)
    sharing.set_findable(current_user, bool(form.findable.data))
    db.session.commit()
    state = "can now find" if current_user.findable_by_email else "can no longer find"
    flash(f"Badge widgets {state} you by your email addresses.", "success")
    return redirect(url_for("settings.apps") + "#widgets")


@bp.get("/delete")
@login_required
def delete_page() -> tuple[str, int]:
    """What deleting the account removes, and the password to confirm it."""
    return _delete_page()


@bp.post("/delete")
@login_required
def delete_account() -> Response | tuple[str, int]:
    """Delete the account and everything in it, after checking the password."""
    form = DeleteAccountForm()
    if not form.validate_on_submit():
        return _delete_page(400, delete_form=form)
    leftovers = job_files(current_user)  # named by the job rows the deletion removes
    try:
        accounts.delete_account(current_user, form.password.data or "")
    except ServiceError as exc:
        db.session.rollback()
        show_at_field(form, exc, {"wrong_password": "password"})
        return _delete_page(exc.status, delete_form=form)
    db.session.commit()
    remove_files(leftovers)
    logout_user()  # the account's login sessions went with it
    flash("Your account and everything in it are deleted.", "info")
    return redirect(url_for("main.index"))
