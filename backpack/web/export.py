"""Downloading one's whole backpack as a ZIP, from the settings page."""

from __future__ import annotations

import tempfile

from flask import Blueprint, send_file
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from backpack.services.export import write_export

bp = Blueprint("export", __name__, url_prefix="/account")


@bp.get("/export")
@login_required
def download() -> Response:
    """The signed-in user's export ZIP (badges, baked images, collections, addresses)."""
    # Spooled to disk past a few megabytes, so a large backpack is not held in memory. It
    # outlives this function: the response sends it, then closes it.
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    write_export(current_user, spool)
    spool.seek(0)
    response = send_file(
        spool,
        mimetype="application/zip",
        as_attachment=True,
        download_name="backpack-export.zip",
    )
    response.headers["Cache-Control"] = "no-store"
    response.call_on_close(spool.close)
    return response
