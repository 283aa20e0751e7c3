"""Credentials are cut from a page's text exactly as the other backpack sent them."""

from __future__ import annotations

import json

import pytest

from importers.pull.verbatim import array_members

PROOFED = '{\n  "id": "urn:uuid:1",\n  "name": "Caf\\u00e9",  "proof": {"x": [1, 2.50]}\n}'


def test_each_member_keeps_its_spacing_escapes_and_numbers() -> None:
    page = f'{{"compactJwsString": ["a.b.c"], "credential": [ {PROOFED} ,\n{{"id": 2}}]}}'
    assert array_members(page, "credential") == [PROOFED, '{"id": 2}']
    assert json.loads(PROOFED)["name"] == "Café"


def test_the_last_of_a_repeated_key_counts_as_parsing_takes_it() -> None:
    page = '{"credential": [{"id": 1}], "credential": [{"id": 2}, {"id": 3}]}'
    assert array_members(page, "credential") == ['{"id": 2}', '{"id": 3}']
    assert len(json.loads(page)["credential"]) == 2


def test_an_empty_or_missing_array() -> None:
    assert array_members(' { "credential" : [ ] } ', "credential") == []
    assert array_members('{"other": {"credential": [1]}}', "credential") is None


@pytest.mark.parametrize(
    "page",
    ["[]", "", "{", '{"credential": [1,', '{"credential" [1]}', '{"a": 1 "b": 2}', "null"],
)
def test_text_that_is_not_such_an_object_gives_none(page: str) -> None:
    assert array_members(page, "credential") is None
