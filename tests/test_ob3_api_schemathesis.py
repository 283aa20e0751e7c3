"""Schemathesis against the 3.0 API's own discovery document: no generated request gets a
server error, and every answer matches the schema the document gives for it."""

from __future__ import annotations

from typing import Any

import hypothesis
import pytest
import schemathesis
from flask import Flask
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import Accounts
from tests.support.badge_rows import make_credential_badge
from tests.support.ob3_client import ALL_OB3_SCOPES, connect_ob3


@pytest.fixture(autouse=True)
def _http_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")


@pytest.fixture
def access_token(badge_app: Flask, earner: Accounts) -> str:
    """A token with every 3.0 scope, for an earner who holds a 3.0 credential."""
    _platform, token = connect_ob3(badge_app, earner.client, scope=ALL_OB3_SCOPES)
    with badge_app.app_context():
        from backpack.extensions import db
        from backpack.models import EmailAddress

        user_id = db.session.query(EmailAddress.user_id).scalar()
    make_credential_badge(badge_app, user_id)
    return str(token["access_token"])


def test_no_request_causes_a_server_error_or_breaks_the_schema(
    badge_app: Flask, access_token: str
) -> None:
    schema = schemathesis.openapi.from_wsgi("/ims/ob/v3p0/discovery", badge_app)
    headers = {"Authorization": f"Bearer {access_token}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    # Schemathesis leaves out the operation that serves the schema itself (GET /discovery);
    # test_ob3_api checks that one.
    assert {operation.label for operation in operations} >= {
        "GET /credentials", "POST /credentials", "GET /profile", "PUT /profile",
    }  # fmt: skip
    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]

    for operation in operations:

        @hypothesis.given(case=operation.as_strategy())
        @hypothesis.settings(
            max_examples=25,
            deadline=None,
            database=None,
            suppress_health_check=list(hypothesis.HealthCheck),
        )
        def conforms(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=checks)

        conforms()
