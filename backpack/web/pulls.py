"""Bring badges from another backpack: an address to pull from, or a wallet backup to upload.

The pull runs as a background import job (`importers/pull/jobs.py`); its progress, report
and failures file are shown by the import pages.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required
from flask_wtf.file import FileField
from werkzeug.wrappers import Response
from wtforms import StringField, SubmitField
from wtforms.validators import Length, Optional

from backpack.extensions import db
from backpack.models import RemoteGrant
from backpack.security_headers import content_security_policy
from backpack.services import remote_grants
from backpack.services.app_fetcher import app_fetcher
from backpack.services.import_jobs import ImportNotStarted, unfinished_jobs
from backpack.web.forms import PageForm
from importers.pipeline import ImporterError
from importers.pull import both_apis, discovery, jobs, ob3, reconnect, wallet
from importers.pull.remote import Remote

bp = Blueprint("pulls", __name__, url_prefix="/account/import/backpack")
RETRY_SECONDS = 300
# The 3.0 grant a pull from a host speaking both APIs waits with for the second consent.
FIRST_LEG = "pull_first_grant"
Page = Response | tuple[str, int] | tuple[str, int, dict[str, str]]
# The form's answer may be a redirect to the consent page of the backpack the earner named,
# and browsers apply form-action to that redirect too: with 'self' alone the browser stops
# on the form. The address is not known before the form is sent, so any the pull accepts
# (http or https, as `discovery.normalise_address`) must be allowed.
PULL_FORM_POLICY = content_security_policy(form_action="https: http:")


class PullForm(PageForm):
    address = StringField(
        "The address of your other backpack",
        validators=[Optional(), Length(max=2000)],
        description="For example https://backpack.example.org",
    )
    backup = FileField("Or a Learner Credential Wallet backup (Wallet Backup.json)")
    submit = SubmitField("Bring my badges")


@bp.after_request
def let_the_form_lead_to_the_other_backpack(response: Response) -> Response:
    """Every page of this blueprint shows the pull form (the callback's too, on a failure)."""
    response.headers["Content-Security-Policy"] = PULL_FORM_POLICY
    return response


@bp.route("/", methods=["GET", "POST"])
@login_required
def pull_page() -> Page:
    """The form; a valid address or backup starts a pull job and leads to its progress."""
    form = PullForm()
    if form.validate_on_submit():
        # Refused before the other backpack is asked anything (a token renewed, a consent
        # asked for) that the pull could not then use.
        if (busy := _busy(form)) is not None:
            return busy
        upload = form.backup.data
        try:
            if upload and getattr(upload, "filename", ""):
                spec = jobs.wallet_spec(upload.stream.read(wallet.MAX_BACKUP_BYTES + 1))
            elif form.address.data:
                spoken = discovery.discover(Remote(app_fetcher()), form.address.data)
                if spoken.kind in ("ob3", "badge-connect"):
                    return _pull_over_api(form, spoken)
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


def _pull_over_api(form: PullForm, spoken: discovery.Spoken) -> Page:
    """Pull with the grants kept for that backpack (a second pull asks no consent), else
    send the earner to consent there."""
    try:
        connection = reconnect.connect(Remote(app_fetcher()), current_user, spoken)
    except ImporterError as exc:
        # Tokens renewed (or forgotten) before the failure are kept so: the other side
        # already ended the ones they replace.
        db.session.commit()
        form.address.errors = [exc.message]
        return render_template("imports/pull.html", form=form), 400
    db.session.commit()
    for note in connection.notes:
        flash(note, "info")
    if connection.consent is not None:
        if connection.waiting is not None:
            session[FIRST_LEG] = connection.waiting.id
        return redirect(connection.consent)
    return _start(form, jobs.grant_spec(*connection.grants))


def _busy(form: PullForm) -> Page | None:
    """The page that says the earner's last import has not finished, if it has not."""
    if unfinished_jobs(current_user) < current_app.config["IMPORT_JOBS_PER_USER"]:
        return None
    form.address.errors = ["Your last import has not finished yet. Wait until it has."]
    return render_template("imports/pull.html", form=form), 429


def _start(form: PullForm, spec: dict[str, Any]) -> Page:
    """Queue the pull and lead to its progress page (or say why it cannot start)."""
    if (busy := _busy(form)) is not None:
        return busy
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
    """The other backpack sends the earner back here: trade the code, then either ask the
    same host's Badge Connect consent too (it speaks both APIs) or start the pull."""
    form = PullForm()
    grant = ob3.pending_grant(current_user, request.args.get("state", ""))
    if grant is None:
        form.address.errors = ["This answer from the other backpack matches no pull you started."]
        return render_template("imports/pull.html", form=form), 400
    first = both_apis.first_leg(current_user, session.pop(FIRST_LEG, None), grant)
    code = request.args.get("code")
    if not code:
        remote_grants.forget_asked_grant(grant)
        db.session.commit()
        refusal = request.args.get("error") or "no code"
        return _stopped(form, first, f"The other backpack did not give access ({refusal[:100]}).")
    try:
        ob3.finish_authorization(Remote(app_fetcher()), grant, code)
    except ImporterError as exc:
        db.session.rollback()
        stale = ob3.pending_grant(current_user, request.args.get("state", ""))
        if stale is not None:
            remote_grants.forget_asked_grant(stale)
        db.session.commit()
        return _stopped(form, first, exc.message)
    db.session.commit()
    if first is None:
        try:
            follow = both_apis.badge_connect_after(Remote(app_fetcher()), current_user, grant)
        except ImporterError as exc:
            db.session.rollback()
            flash(f"Your 2.0 badges there cannot be asked for: {exc.message}", "error")
            follow = None
        if follow is not None:
            db.session.commit()
            session[FIRST_LEG] = grant.id
            return redirect(follow)
    return _start(form, jobs.grant_spec(*[g for g in (first, grant) if g is not None]))


def _stopped(form: PullForm, first: RemoteGrant | None, reason: str) -> Page:
    """The second consent failed: pull what the first allowed, saying so; else the reason."""
    if first is not None:
        flash(f"{reason} Only your Open Badges 3.0 credentials are brought over.", "error")
        return _start(form, jobs.grant_spec(first))
    form.address.errors = [reason]
    return render_template("imports/pull.html", form=form), 400
