"""Every unit of a Mozilla instance in one stream, for tests that run the pipeline themselves.

`flask import mozilla-db` writes the parts of `importers.mozilla_instance.PARTS` one after
another (sharing each out between worker processes when there are several); tests that
need their own `Pipeline` (a batch size, a hook between batches) read them as one stream.
"""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa

from importers import mozilla_instance
from importers.pipeline import Pipeline, Unit


def instance_units(source: sa.Engine, pipeline: Pipeline) -> Iterator[Unit]:
    """Every unit of the instance, in the order their dependencies need (one process)."""
    for part in mozilla_instance.PARTS:
        yield from part(source, pipeline, mozilla_instance.EVERYTHING)
