"""The background worker's entry point: `huey_consumer backpack.worker.queue`.

It builds the same app as the server, from the same settings (BACKPACK_* variables and the
BACKPACK_CONFIG file), so that it works on the server's database and queue: start it with
the server's environment.
"""

from __future__ import annotations

from backpack import create_app
from backpack.config import ConfigError
from backpack.tasks import queue_of

try:
    app = create_app()
except ConfigError as exc:
    # huey_consumer would print a traceback: say what the worker needs instead.
    raise SystemExit(
        f"The background worker cannot start: {exc} It reads the same settings as the "
        "server (BACKPACK_* variables, BACKPACK_CONFIG): start it with the server's "
        "environment, or use `make run`, which starts both."
    ) from None
queue = queue_of(app)
