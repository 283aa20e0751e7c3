"""Uploading the ZIP Mozilla sent, or an earner's own export, imported in the background
with its progress live."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    send_file,
    url_for,
)
from flask_login import current_user, login_required
from flask_wtf.file import FileField, FileRequired
from werkzeug.wrappers import Response
from wtforms import SubmitField

from backpack.models import ImportJob
from backpack.services.import_jobs import (
    BACKPACK_EXPORT,
    ImportNotStarted,
    failures_file,
    get_job,
    is_zip,
    start_zip_import,
    unfinished_jobs,
    waits_for_a_worker,
)
from backpack.web.forms import PageForm
from backpack.web.settings_pages import RestoreExportForm, import_export_page
from importers.upload_sources import export_problem

bp = Blueprint("imports", __name__, url_prefix="/account/import")
RETRY_SECONDS = 300  # after an upload the server could not keep or queue
WORKER_NOTICE = (
    "No background worker has taken this import for over a minute, so none seems to be"
    " running. The import starts as soon as one runs. If you run this server, start its"
    " worker (make run starts it with the server; the README says how in production);"
    " otherwise tell whoever runs it."
)


class MozillaZipForm(PageForm):
    archive = FileField(
        "The ZIP file Mozilla sent you", validators=[FileRequired("Choose the ZIP file.")]
    )
    submit = SubmitField("Import my Mozilla badges")


@bp.route("/", methods=["GET", "POST"])
@login_required
def upload() -> Response | tuple[str, int] | tuple[str, int, dict[str, str]]:
    """The upload form; a valid upload starts a job and leads to its progress page."""
    form = MozillaZipForm()
    if form.validate_on_submit():
        if not is_zip(form.archive.data):
            form.archive.errors = ["That file is not a ZIP file."]
        elif unfinished_jobs(current_user) >= current_app.config["IMPORT_JOBS_PER_USER"]:
            form.archive.errors = [
                "Your last import has not finished yet. Wait until it has, then upload this file."
            ]
            return render_template("imports/upload.html", form=form), 429
        else:
            try:
                job = start_zip_import(current_user, form.archive.data)
            except ImportNotStarted as exc:
                form.archive.errors = [exc.message]
                page = render_template("imports/upload.html", form=form)
                return page, 503, {"Retry-After": str(RETRY_SECONDS)}
            flash("Your badges are being imported.", "info")
            return redirect(url_for("imports.job_page", job_id=job.id))
    status = 400 if form.errors else 200
    return render_template("imports/upload.html", form=form), status


@bp.post("/restore")
@login_required
def restore() -> Response | tuple[str, int] | tuple[str, int, dict[str, str]]:
    """Bring back an export of this server (the settings' Import and export section) as a
    job, like the Mozilla ZIP; a file that is not one is refused at once, with why."""
    form = RestoreExportForm()
    if not form.validate_on_submit():
        return import_export_page(400, restore_form=form)
    problem = export_problem(form.archive.data)
    if problem is not None:
        form.archive.errors = [problem]
        return import_export_page(400, restore_form=form)
    if unfinished_jobs(current_user) >= current_app.config["IMPORT_JOBS_PER_USER"]:
        form.archive.errors = [
            "Your last import has not finished yet. Wait until it has, then upload this file."
        ]
        return import_export_page(429, restore_form=form)
    try:
        job = start_zip_import(current_user, form.archive.data, BACKPACK_EXPORT)
    except ImportNotStarted as exc:
        form.archive.errors = [exc.message]
        page, status = import_export_page(503, restore_form=form)
        return page, status, {"Retry-After": str(RETRY_SECONDS)}
    flash("Your badges are coming back.", "info")
    return redirect(url_for("imports.job_page", job_id=job.id))


def _own_job(job_id: int) -> ImportJob:
    job = get_job(current_user, job_id)
    if job is None:
        abort(404)
    return job


def job_state(job: ImportJob) -> dict[str, Any]:
    """What the progress page shows, as JSON for its script."""
    return {
        "status": job.status,
        # Said to the owner, who cannot start a worker: whoever runs the server can.
        "notice": WORKER_NOTICE if waits_for_a_worker(job) else None,
        "done": job.done,
        "total": job.total,
        "error": job.error,
        "report": job.report,
        "failures_url": (
            url_for("imports.failures", job_id=job.id) if failures_file(job) else None
        ),
    }


@bp.get("/<int:job_id>")
@login_required
def job_page(job_id: int) -> str:
    """A job's progress, updated live by static/import_progress.js, then its report."""
    job = _own_job(job_id)
    return render_template("imports/job.html", job=job, state=job_state(job))


@bp.get("/<int:job_id>.json")
@login_required
def job_json(job_id: int) -> Response:
    """A job's state, for the progress page to poll."""
    response = jsonify(job_state(_own_job(job_id)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/<int:job_id>/failures.jsonl")
@login_required
def failures(job_id: int) -> Response:
    """Every failure of a job and its reason, one JSON object a line, to keep.

    The page lists only the first few; an import of thousands of badges needs them all.
    """
    path = failures_file(_own_job(job_id))
    if path is None:
        abort(404)
    response = send_file(
        path,
        mimetype="application/x-ndjson",
        as_attachment=True,
        download_name=f"backpack-import-{job_id}-failures.jsonl",
    )
    response.headers["Cache-Control"] = "no-store"
    return response
