"""Bring badges from another backpack: an address to pull from, or a wallet backup to upload.

The pull runs as a background import job (`importers/pull/jobs.py`); its progress, report
and failures file are shown by the import pages.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf.file import FileField
from werkzeug.wrappers import Response
from wtforms import StringField, SubmitField
from wtforms.validators import Length, Optional

from backpack.extensions import db
from backpack.import_jobs import ImportNotStarted, unfinished_jobs
from backpack.services.fetching import app_fetcher
from backpack.web.forms import PageForm
from importers.pipeline import ImporterError
from importers.pull import discovery, jobs, ob3, wallet
from importers.pull.remote import Remote

bp = Blueprint("pulls", __name__, url_prefix="/account/import/backpack")
RETRY_SECONDS = 300
Page = Response | tuple[str, int] | tuple[str, int, dict[str, str]]


class PullForm(PageForm):
    address = StringField(
        "The address of your other backpack",
        validators=[Optional(), Length(max=2000)],
        description="For example https://backpack.example.org",
    )
    backup = FileField("Or a Learner Credential Wallet backup (Wallet Backup.json)")
    submit = SubmitField("Bring my badges")


@bp.route("/", methods=["GET", "POST"])
@login_required
def pull_page() -> Page:
    """The form; a valid address or backup starts a pull job and leads to its progress."""
    form = PullForm()
    if form.validate_on_submit():
        upload = form.backup.data
        try:
            if upload and getattr(upload, "filename", ""):
                spec = jobs.wallet_spec(upload.stream.read(wallet.MAX_BACKUP_BYTES + 1))
            elif form.address.data:
                spoken = discovery.discover(Remote(app_fetcher()), form.address.data)
                if spoken.kind in ("ob3", "badge-connect"):
                    address = ob3.consent_address(
                        Remote(app_fetcher()), current_user, spoken.base, spoken.kind
                    )
                    db.session.commit()
                    return redirect(address)
                spec = jobs.address_spec(spoken.base)
            else:
                form.address.errors = ["Give an address, or choose a wallet backup file."]
                return render_template("imports/pull.html", form=form), 400
        except ImporterError as exc:
            db.session.rollback()
            form.address.errors = [exc.message]
            return render_template("imports/pull.html", form=form), 400
        return _start(form, spec)
    status = 400 if form.errors else 200
    return render_template("imports/pull.html", form=form), status


def _start(form: PullForm, spec: dict[str, Any]) -> Page:
    """Queue the pull and lead to its progress page (or say why it cannot start)."""
    if unfinished_jobs(current_user) >= current_app.config["IMPORT_JOBS_PER_USER"]:
        form.address.errors = ["Your last import has not finished yet. Wait until it has."]
        return render_template("imports/pull.html", form=form), 429
    try:
        job = jobs.start_pull(current_user, spec)
    except ImportNotStarted as exc:
        form.address.errors = [exc.message]
        page = render_template("imports/pull.html", form=form)
        return page, 503, {"Retry-After": str(RETRY_SECONDS)}
    flash("Your badges are being brought over.", "info")
    return redirect(url_for("imports.job_page", job_id=job.id))


@bp.get("/callback")
@login_required
def callback() -> Page:
    """The other backpack sends the earner back here: trade the code, start the pull."""
    form = PullForm()
    grant = ob3.pending_grant(current_user, request.args.get("state", ""))
    if grant is None:
        form.address.errors = ["This answer from the other backpack matches no pull you started."]
        return render_template("imports/pull.html", form=form), 400
    code = request.args.get("code")
    if not code:
        db.session.delete(grant)
        db.session.commit()
        refusal = request.args.get("error") or "no code"
        form.address.errors = [f"The other backpack did not give access ({refusal[:100]})."]
        return render_template("imports/pull.html", form=form), 400
    try:
        ob3.finish_authorization(Remote(app_fetcher()), grant, code)
    except ImporterError as exc:
        db.session.rollback()
        stale = ob3.pending_grant(current_user, request.args.get("state", ""))
        if stale is not None:
            db.session.delete(stale)
        db.session.commit()
        form.address.errors = [exc.message]
        return render_template("imports/pull.html", form=form), 400
    db.session.commit()
    return _start(form, jobs.grant_spec(grant))
