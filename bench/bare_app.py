"""The baseline of bench/share.py: a bare Flask route, served by the same gunicorn setup."""

from __future__ import annotations

from flask import Flask

app = Flask(__name__)
PAGE = "<!doctype html><title>Hello</title><p>Hello, world.</p>"


@app.get("/")
def hello() -> str:
    """The least a Flask route can do."""
    return PAGE
