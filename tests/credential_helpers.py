"""Helpers for the Open Badges 3.0 page tests: the text a reader sees, and the facts of the
1EdTech `complete.json` credential every full page must show."""

from __future__ import annotations

import html as html_module
import re

# complete.json names its recipient by these, unhashed: never on a public page.
PLAIN_ADDRESSES = ("student@1edtech.edu", "somebody@gmail.com")


def page_text(html: str) -> str:
    """The page as read: tags gone, entities decoded, white space folded."""
    return html_module.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def shows_complete_credential(html: str) -> None:
    """Assert that the page shows every part of complete.json a reader should see."""
    text = page_text(html)
    for expected in (
        "1EdTech University Degree",
        "1EdTech University Degree Description",
        "# Degree Requirements",
        "1EdTech University",
        "https://1edtech.edu/issuers/565049",
        "Degree",  # the achievement type
        "Final Project Grade: A (required: C)",
        "Final Project Grade: Mastery",
        "Final Project Grade: Completed",
        "Example Accrediting Agency endorses this badge",
        "Example Accrediting Agency endorses the issuer",
        "Example Accrediting Agency endorses the achievement",
        "1EdTech University is in good standing",
        "Final Project Report",
        "Valid from 2010-01-01 00:00 UTC",
        "Valid until 2030-01-01 00:00 UTC",
        "Not revoked",
        "DataIntegrityProof eddsa-rdfc-2022",
        "https://1edtech.edu/issuers/565049#key-1",
    ):
        assert expected in text, expected
    assert 'href="https://1edtech.edu/achievements/degree"' in html  # criteria by its id
    assert 'href="https://1edtech.edu/catalog/degree"' in html  # an alignment
    assert 'href="https://1edtech.edu/issuers/565049"' in html  # the issuer by its id
    assert "Mastery (required" not in text  # a level is not a value measured against one
