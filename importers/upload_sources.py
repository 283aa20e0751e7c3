"""A file to import into one account, by its kind: the ZIP Mozilla sent (`mozilla-zip`), or
an export of this server (`backpack-export`) that an earner brings back.

The web import job and the `import mozilla-zip` / `import backpack-export` commands open it
here alike; each kind says how many units the progress bar counts and which import scope
remembers what came in (so that importing the same file again adds nothing twice).
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from backpack.models import User
from backpack.services.emails import normalise_address
from backpack.services.import_jobs import MOZILLA_ZIP

if TYPE_CHECKING:
    from importers.pipeline import Pipeline, SourceFailure, Unit
    from importers.report import ImportReport

SHOWN_AS = "The uploaded file"  # the upload's place on the server is nobody's business


@dataclass
class JobSource:
    """An opened upload: close `archive` when done."""

    archive: zipfile.ZipFile
    total: int
    scope: str
    units: Callable[[Pipeline, ImportReport], Iterable[Unit | SourceFailure]]
    # Run once the units are in, to add what the report should say about them.
    after: Callable[[ImportReport], None] | None = None


def open_source(kind: str, path: Path, user: User, *, uploaded: bool = True) -> JobSource:
    """Open a file of that kind for import into `user`'s account; ImporterError says why it
    cannot be read.

    An `uploaded` file came through the website: it is named as such in messages, and an
    export's addresses arrive unverified; the command line's operator is trusted instead."""
    from importers import backpack_export, mozilla_zip

    archive = mozilla_zip.open_archive(path, shown_as=SHOWN_AS if uploaded else None)
    if kind == MOZILLA_ZIP:
        return JobSource(
            archive,
            mozilla_zip.count_entries(archive),
            mozilla_zip.scope_for(user),
            lambda _pipeline, report: mozilla_zip.zip_units(archive, user.id, report),
        )
    try:
        manifest = backpack_export.read_manifest(archive)
    except Exception:
        archive.close()
        raise
    return JobSource(
        archive,
        export_size(archive, manifest),
        backpack_export.scope_for(manifest, user),
        lambda pipeline, _report: backpack_export.export_units(
            archive, manifest, user.id, pipeline, uploaded=uploaded
        ),
        after=_unverified_addresses(manifest, user) if uploaded else None,
    )


def _unverified_addresses(manifest: dict[str, Any], user: User) -> Callable[[ImportReport], None]:
    def note(report: ImportReport) -> None:
        # Said on the job's page, whose link to the settings releases their badges.
        listed = {
            normalise_address(e["address"])
            for e in manifest.get("emails") or []
            if isinstance(e, dict) and isinstance(e.get("address"), str)
        }
        report.unverified_emails.extend(
            email.address
            for email in user.emails
            if email.normalised in listed and not email.is_verified
        )

    return note


def export_size(archive: zipfile.ZipFile, manifest: dict[str, Any]) -> int:
    """How many units an export holds: its addresses, badges (one a line) and collections."""
    from backpack.services.export import BADGES

    lines = 0
    if BADGES in archive.namelist():
        with archive.open(BADGES) as stream:
            lines = sum(1 for line in stream if line.strip())
    return len(manifest.get("emails") or []) + lines + len(manifest.get("collections") or [])


def export_problem(upload: Any) -> str | None:
    """Why an uploaded file is not an export of this server, in the earner's words, or None.

    Checked when it is uploaded, so a wrong file is refused at once rather than by a job;
    the worker reads it again, fully."""
    from importers import backpack_export
    from importers.pipeline import ImporterError

    try:
        with zipfile.ZipFile(upload.stream) as archive:
            backpack_export.read_manifest(archive)
    except (zipfile.BadZipFile, OSError, ValueError):
        return "That file is not a ZIP file."
    except ImporterError as exc:
        return (
            f"{exc.message} Choose the file backpack-export.zip that “Download my backpack”"
            " gave you."
        )
    finally:
        upload.stream.seek(0)
    return None
