"""With BACKPACK_REDIS_URL set, rate limits live in Redis and hold across server processes."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import redis
from flask import Flask

from tests import services
from tests.conftest import post_form


@pytest.mark.redis
def test_rate_limits_are_shared_through_redis(app_factory: Callable[..., Flask]) -> None:
    url = services.require_redis()
    redis.Redis.from_url(url).flushdb()
    settings = {"RATELIMIT_ENABLED": True, "RATELIMIT_LOGIN": "2 per minute", "REDIS_URL": url}
    # Two apps stand for two gunicorn workers: the limit is counted once, in Redis.
    first, second = app_factory(**settings), app_factory(**settings)
    assert first.config["RATELIMIT_STORAGE_URI"] == url
    form = {"email": "ann@example.org", "password": "wrong password!"}
    assert post_form(first.test_client(), "/login", form).status_code == 401
    assert post_form(second.test_client(), "/login", form).status_code == 401
    assert post_form(first.test_client(), "/login", form).status_code == 429
    redis.Redis.from_url(url).flushdb()
