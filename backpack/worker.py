"""The background worker's entry point: `huey_consumer backpack.worker.queue`."""

from __future__ import annotations

from backpack import create_app
from backpack.tasks import queue_of

app = create_app()
queue = queue_of(app)
