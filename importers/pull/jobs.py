"""Pulls run as background import jobs: the same queue, claims, progress, report and
failures file as the web imports of a Mozilla ZIP (`backpack/services/import_jobs.py`).

A job's file (IMPORTS_DIR/uploads/job-<id>.pull.json) says what to pull: the credentials
of a wallet backup (only they: the backup's keys never reach the disk), or a remote's
address. It is removed when the job ends; a worker that dies mid-pull leaves the job
"running", and the pull resumes from it, skipping what was stored.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

from backpack.extensions import db
from backpack.models import ImportJob, RemoteGrant, User
from backpack.services import accounts, import_jobs, remote_grants
from backpack.services.app_context import settings
from backpack.services.app_fetcher import app_fetcher
from importers.pipeline import ImporterError, SourceFailure
from importers.pull import discovery, displayer, ob3, wallet
from importers.pull.core import PulledBadge, run_pull
from importers.pull.remote import PullStopped, Remote
from importers.report import ImportReport
from importers.time_limit import TimeLimited

log = logging.getLogger(__name__)
OUT_OF_TIME = (
    "The pull took too long and was stopped. What it brought is kept: pull again for the rest."
)
KIND = "pull"


def start_pull(user: User, spec: dict[str, Any]) -> ImportJob:
    """Keep what to pull and queue the job; ImportNotStarted when it cannot be."""
    text = json.dumps(spec)
    return import_jobs.start_job(
        user, KIND, "pull.json", lambda path: path.write_text(text, encoding="utf-8")
    )


def wallet_spec(data: bytes) -> dict[str, Any]:
    """What a job keeps of an uploaded wallet backup: its credentials, nothing else."""
    credentials, left_out = wallet.credential_texts(data)
    return {"source": "wallet", "credentials": credentials, "left_out": left_out}


def spec_notes(spec: dict[str, Any]) -> list[str]:
    """What the report says of the source beyond its badges."""
    left_out = spec.get("left_out")
    if spec.get("source") == "wallet" and isinstance(left_out, int) and left_out:
        return [
            f"{left_out} entries of the wallet backup are not credentials (its keys and"
            " DIDs, among others): they were left out unread, and nothing of them was kept."
        ]
    return []


def grant_spec(*grants: RemoteGrant) -> dict[str, Any]:
    """What a job keeps of a pull over authorized APIs: the grants to read with (a host
    speaking both the 3.0 API and Badge Connect gives one grant for each)."""
    return {"source": "api", "grant_ids": [grant.id for grant in grants]}


def address_spec(address: str) -> dict[str, Any]:
    """What a job keeps of a remote backpack's address."""
    return {"source": "address", "address": discovery.normalise_address(address)}


def list_spec(
    spec: dict[str, Any], user: User, remote: Remote
) -> tuple[str, list[PulledBadge | SourceFailure]]:
    """The source's name (the pull's scope) and its listing, read whole; PullStopped when
    the remote cannot be read."""
    if spec.get("source") == "wallet":
        texts = [str(text) for text in spec.get("credentials") or []]
        digest = hashlib.sha256("\n".join(sorted(texts)).encode()).hexdigest()[:32]
        return f"wallet:{digest}", [PulledBadge(text, wallet.name_of(text)) for text in texts]
    if spec.get("source") in ("api", "ob3"):  # "ob3": a job queued before "grant_ids"
        return _list_grants(spec.get("grant_ids") or [spec.get("grant_id")], user, remote)
    spoken = discovery.discover(remote, str(spec.get("address")))
    if spoken.kind != "displayer":
        raise PullStopped(
            "That backpack's API needs your consent there:"
            ' start the pull from the page "Bring badges from another backpack".'
        )
    addresses = sorted(e.address for e in user.emails if e.is_verified)
    return f"displayer:{spoken.base}", list(displayer.list_badges(remote, spoken.base, addresses))


def _list_grants(
    grant_ids: list[Any], user: User, remote: Remote
) -> tuple[str, list[PulledBadge | SourceFailure]]:
    """Every badge the grants read, one API after the other, as one listing under one
    scope (the intake keeps a badge listed by both APIs once)."""
    grants = [remote_grants.grant_of(user, int(grant_id or 0)) for grant_id in grant_ids]
    listed: list[PulledBadge | SourceFailure] = []
    for grant in grants:
        if grant is None:
            raise PullStopped("This backpack is no longer connected.")
        listed += ob3.list_credentials(remote, grant)
        if len(listed) > remote.limits.items:
            raise PullStopped(
                f"The other backpack listed more than {remote.limits.items} badges;"
                " the pull stopped."
            )
    bases = " ".join(grant.client.api_base for grant in grants if grant is not None)
    return f"api:{bases}", listed


def run_claimed_pull(job: ImportJob) -> None:
    """Run (or resume) one pull job, its claim held by this worker."""
    job_id, path = job.id, Path(job.upload_path)
    if not path.is_file():
        import_jobs.finish_job(job_id, "failed", error=import_jobs.INTERRUPTED)
        return
    user = accounts.get_user(job.user_id)
    assert user is not None
    try:
        spec = json.loads(path.read_text(encoding="utf-8"))
        source, badges = list_spec(spec, user, Remote(app_fetcher()))
    except ImporterError as exc:
        path.unlink(missing_ok=True)
        import_jobs.finish_job(job_id, "failed", error=exc.message)
        return
    job.status, job.total = "running", len(badges)
    db.session.commit()
    report = ImportReport()
    report.notes.extend(spec_notes(spec))
    report.open_failures(import_jobs.failures_path(job_id))
    counter = import_jobs.JobProgress(job_id)
    units = TimeLimited(badges, settings().import_job_seconds)
    try:
        run_pull(user, source, units, report, progress=counter.advance)
    except Exception:
        log.exception("Pull job %s failed", job_id)
        import_jobs.abandon_job(job_id, "The pull stopped because of an error here.")
        return
    finally:
        path.unlink(missing_ok=True)
    import_jobs.finish_ran_job(
        job_id, report.to_json(), out_of_time=OUT_OF_TIME if units.stopped else None
    )
