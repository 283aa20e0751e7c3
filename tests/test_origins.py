"""Origins named in our headers are rebuilt from checked parts, so nothing can be smuggled in."""

from __future__ import annotations

import pytest

from backpack.origins import web_origin


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://issuer.example/callback?x=1", "https://issuer.example"),
        ("http://Issuer.Example:8080/a", "http://issuer.example:8080"),
        ("https://[2001:db8::1]:8443/cb", "https://[2001:db8::1]:8443"),
    ],
)
def test_an_origin_is_scheme_host_and_port(url: str, origin: str) -> None:
    assert web_origin(url) == origin


@pytest.mark.parametrize(
    "url",
    [
        "https://a.example;frame-ancestors *;x/",
        "https://a.example frame-ancestors/",
        "https://user:pw@a.example/",
        "javascript:alert(1)",
        "https://a.example:99999/",
        "https:///nohost",
        None,
    ],
)
def test_anything_odd_has_no_origin(url: object) -> None:
    assert web_origin(url) is None


def test_the_consent_page_policy_cannot_be_extended_by_a_callback(client: object) -> None:
    from flask.testing import FlaskClient

    assert isinstance(client, FlaskClient)
    response = client.get(
        "/access",
        query_string={
            "callback": "https://a.example;frame-ancestors *;report-uri https://x.example",
            "scope": "issue",
        },
    )
    policy = response.headers.get("Content-Security-Policy", "")
    assert "frame-ancestors *" not in policy
    assert response.status_code in (302, 400)
