"""Downloading one's whole backpack as a ZIP, from the settings page."""

from __future__ import annotations

import contextlib
import tempfile

from flask import Blueprint, send_file
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from backpack.services.export import write_export
from backpack.web.errors import is_out_of_room, out_of_room_page

bp = Blueprint("export", __name__, url_prefix="/account")
SPOOLED_IN_MEMORY = 8 * 1024 * 1024  # bytes of an export held in memory before a file


@bp.get("/export")
@login_required
def download() -> Response | tuple[str, int, dict[str, str]]:
    """The signed-in user's export ZIP (badges, baked images, collections, addresses)."""
    # Spooled to disk past a few megabytes, so a large backpack is not held in memory. It
    # outlives this function: the response sends it, then closes it.
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOLED_IN_MEMORY)  # noqa: SIM115 (the response closes it)
    try:
        write_export(current_user, spool)
    except OSError as exc:
        # An unnamed file: closing it frees what it took (what it still held is lost).
        with contextlib.suppress(OSError):
            spool.close()
        if not is_out_of_room(exc):
            raise
        return out_of_room_page("Your export could not be made")
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
