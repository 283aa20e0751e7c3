"""Bring badges from another backpack: an address to pull from, or a wallet backup to upload.

The pull runs as a background import job (`importers/pull/jobs.py`); its progress, report
and failures file are shown by the import pages.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf.file import FileField
from werkzeug.wrappers import Response
from wtforms import StringField, SubmitField
from wtforms.validators import Length, Optional

from backpack.import_jobs import ImportNotStarted, unfinished_jobs
from backpack.web.forms import PageForm
from importers.pipeline import ImporterError
from importers.pull import jobs, wallet

bp = Blueprint("pulls", __name__, url_prefix="/account/import/backpack")
RETRY_SECONDS = 300


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
def pull_page() -> Response | tuple[str, int] | tuple[str, int, dict[str, str]]:
    """The form; a valid address or backup starts a pull job and leads to its progress."""
    form = PullForm()
    if form.validate_on_submit():
        upload = form.backup.data
        try:
            if upload and getattr(upload, "filename", ""):
                spec = jobs.wallet_spec(upload.stream.read(wallet.MAX_BACKUP_BYTES + 1))
            elif form.address.data:
                spec = jobs.address_spec(form.address.data)
            else:
                form.address.errors = ["Give an address, or choose a wallet backup file."]
                return render_template("imports/pull.html", form=form), 400
        except ImporterError as exc:
            form.address.errors = [exc.message]
            return render_template("imports/pull.html", form=form), 400
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
    status = 400 if form.errors else 200
    return render_template("imports/pull.html", form=form), status
