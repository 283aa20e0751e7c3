"""The backpack app with one empty route added, to show what its own middleware costs.

bench/share.py serves it beside the bare route: the gap between the two is the price of
the app's extensions (rate limiter, session, login, security headers) on every request.
"""

from __future__ import annotations

from backpack import create_app

app = create_app()


@app.get("/bench-empty")
def empty() -> str:
    """Nothing but the app's own request handling."""
    return "<!doctype html><title>Hello</title><p>Hello, world.</p>"
