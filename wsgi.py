"""The WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`."""

import gc

from backpack import create_app

app = create_app()
# What start-up made (modules, the bundled JSON-LD contexts, the app) lives as long as the
# process: frozen out of the collector's sight, a full collection no longer walks its
# ~150,000 objects, a pause of 50 to 75 ms of one worker's requests each time (issue 17).
gc.freeze()
