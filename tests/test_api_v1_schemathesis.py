"""Schemathesis against /api/v1/openapi.json: no generated request gets a server error."""

from __future__ import annotations

from typing import Any

import hypothesis
import pytest
import schemathesis
from flask import Flask
from schemathesis.checks import not_a_server_error

from tests.conftest import Accounts
from tests.test_api_v1 import ALL, make_token


@pytest.fixture
def api_token(badge_app: Flask, earner: Accounts) -> str:
    """A token with every scope, for an earner who has a badge and a collection."""
    from tests.support.badge_rows import make_badge

    token = make_token(earner.client, ALL)
    with badge_app.app_context():
        from backpack.extensions import db
        from backpack.models import EmailAddress

        user_id = db.session.query(EmailAddress.user_id).scalar()
    make_badge(badge_app, user_id)
    badge_app.test_client().post(
        "/api/v1/collections", json={"name": "Robots"}, headers={"Authorization": f"Bearer {token}"}
    )
    return token


def test_no_request_causes_a_server_error(badge_app: Flask, api_token: str) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", badge_app)
    headers = {"Authorization": f"Bearer {api_token}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 15

    for operation in operations:

        @hypothesis.given(case=operation.as_strategy())
        @hypothesis.settings(
            max_examples=25,
            deadline=None,
            database=None,
            suppress_health_check=list(hypothesis.HealthCheck),
        )
        def no_server_error(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=[not_a_server_error])

        no_server_error()
