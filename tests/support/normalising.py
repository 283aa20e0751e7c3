"""A whole assertion document normalised in one call, for tests of the normalised shape.

The app never needs this in one step: verification and offline reading parse, upgrade and
normalise in stages (`backpack.openbadges.verify`, `.offline`), so tests compose the same
library steps here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from backpack.openbadges.normalise import normalise_assertion
from backpack.openbadges.parse import detect_version, require_assertion
from backpack.openbadges.upgrades import upgrade_node


def normalise(document: Mapping[str, Any], *, source_url: str | None = None) -> dict[str, Any]:
    """Return any version's assertion in the one stored shape, fetching nothing."""
    assertion = require_assertion(document)
    node = upgrade_node(assertion, detect_version(assertion), kind="Assertion", url=source_url)
    return normalise_assertion(node)
