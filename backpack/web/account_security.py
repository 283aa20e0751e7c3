"""Settings, Security and devices: the password, and the devices logged in to the account."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from backpack.extensions import db
from backpack.services import accounts, login_sessions
from backpack.services.errors import ServiceError
from backpack.web.device_names import device_name
from backpack.web.forms import ChangePasswordForm, show_at_field
from backpack.web.login import log_in

bp = Blueprint("security", __name__, url_prefix="/account")
# The field each refusal of the password form is about, by its code (see forms.show_at_field).
PASSWORD_FIELDS = {"wrong_password": "current", "weak_password": "password"}


def _security_page(status: int = 200, **forms: Any) -> tuple[str, int]:
    context: dict[str, Any] = {
        "password_form": ChangePasswordForm(),
        "login_sessions": login_sessions.open_sessions(current_user),
        "this_session": login_sessions.current_row_id(current_user.login_session_id),
        "device_name": device_name,
        **forms,
    }
    return render_template("account/security.html", **context), status


@bp.get("/security")
@login_required
def page() -> tuple[str, int]:
    """The password form and every device logged in."""
    return _security_page()


@bp.post("/password")
@login_required
def change_password() -> Response | tuple[str, int]:
    """Change the password; other sessions are logged out."""
    form = ChangePasswordForm()
    user = current_user._get_current_object()
    status = 200 if form.validate_on_submit() else 400
    # Every problem at once, each at its field (the form's own checks first).
    current, new = form.current.data or "", form.password.data or ""
    for problem in accounts.password_change_problems(user, current, new) if current else []:
        field = getattr(form, PASSWORD_FIELDS[problem.code])
        if not field.errors:
            show_at_field(form, problem, PASSWORD_FIELDS)
            status = problem.status if status == 200 else 400
    if status != 200:
        return _security_page(status, password_form=form)
    remember = login_sessions.remembered(user.login_session_id)
    try:
        accounts.change_password(user, form.current.data or "", form.password.data or "")
    except ServiceError as exc:
        db.session.rollback()
        show_at_field(form, exc, PASSWORD_FIELDS)
        return _security_page(exc.status, password_form=form)
    db.session.commit()
    # Every session ended, this one too; this browser goes on under a new one.
    log_in(user, remember=remember)
    flash("Your password is changed. Other devices are logged out.", "success")
    return redirect(url_for("security.page"))


@bp.post("/sessions/<int:session_id>/end")
@login_required
def end_session(session_id: int) -> Response:
    """Log out one of the account's other devices (this one logs out with the log-out button)."""
    if session_id == login_sessions.current_row_id(current_user.login_session_id):
        abort(400, "That is this browser's session: use Log out instead.")
    if not login_sessions.end_one(current_user, session_id):
        abort(404)
    db.session.commit()
    flash("That device is logged out.", "success")
    return redirect(url_for("security.page") + "#sessions")


@bp.post("/sessions/end-others")
@login_required
def end_other_sessions() -> Response:
    """Log out every device but this one."""
    ended = login_sessions.end_all(current_user, but=current_user.login_session_id)
    db.session.commit()
    devices = "device is" if ended == 1 else "devices are"
    flash(f"{ended} other {devices} logged out.", "success")
    return redirect(url_for("security.page") + "#sessions")
