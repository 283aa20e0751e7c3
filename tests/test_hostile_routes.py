"""Every route of the URL map answers hostile input with anything but a server error."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.conftest import Accounts, csrf_token

# Each finding of the walk, as a user would meet it.


@pytest.mark.parametrize(
    ("page", "action", "body"),
    [
        ("/account/", "/account/emails", {"email": ["ann@example.org"]}),
        ("/account/", "/account/delete", {"password": {"a": 1}}),
        ("/collections/", "/collections/", {"name": 7, "description": None}),
        ("/badges/add", "/badges/add", {"route": "url", "url": [1]}),
    ],
)
def test_a_page_form_posted_as_json_is_refused_as_a_bad_form(
    accounts: Accounts, page: str, action: str, body: dict[str, Any]
) -> None:
    accounts.create("ann@example.org")
    accounts.login("ann@example.org")
    token = csrf_token(accounts.client, page)
    response = accounts.client.post(action, json=body, headers={"X-CSRFToken": token})
    assert response.status_code == 400
    assert accounts.client.get("/account/").status_code == 200, "nothing was deleted"


@pytest.mark.parametrize(
    "field_value",
    [
        {"scope": 5},
        {"scope": True},
        {"client_uri": {"href": "https://issuer.example"}},
        {"logo_uri": 1},
        {"redirect_uris": "https://issuer.example/backpack/connected"},
        {"redirect_uris": [["https://issuer.example/backpack/connected"]]},
        {"grant_types": [1]},
        {"response_types": [None]},
        {"contacts": {}},
        {"jwks": "keys"},
        {"jwks": {"keys": [{"kty": "OKP", "crv": "no such curve", "x": "AA"}]}},
    ],
)
def test_registration_with_metadata_of_the_wrong_type_is_refused(
    client: FlaskClient, field_value: dict[str, Any]
) -> None:
    from tests.support.oauth import registration

    response = client.post("/oauth/register", json=registration(**field_value))
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "invalid_client_metadata"
    assert next(iter(field_value)) in body["error_description"]


@pytest.mark.parametrize("endpoint", ["/oauth/token", "/oauth/revoke"])
def test_client_credentials_that_are_not_text_are_an_invalid_client(
    client: FlaskClient, endpoint: str
) -> None:
    credentials = base64.b64encode(b"\xff\xfe:\xc3(").decode()
    response = client.post(
        endpoint,
        data={"grant_type": "refresh_token", "refresh_token": "x", "token": "x"},
        headers={"Authorization": f"Basic {credentials}"},
    )
    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_client"
    assert response.headers["WWW-Authenticate"].startswith("Basic ")
