"""CSRF, security headers, cookies, open redirects and rate limits."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import TEST_PASSWORD, Accounts, post_form


def test_a_form_without_its_csrf_token_is_refused(app: Flask, client: FlaskClient) -> None:
    response = client.post(
        "/signup",
        data={"email": "ann@example.org", "password": TEST_PASSWORD, "confirm": TEST_PASSWORD},
    )
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)
    assert (
        post_form(client, "/login", {"email": "x@example.org", "password": "y" * 12}).status_code
        == 401
    )


def test_every_state_changing_form_needs_csrf(accounts: Accounts) -> None:
    accounts.create("ann@example.org")
    accounts.login("ann@example.org")
    for path in (
        "/account/emails",
        "/account/password",
        "/account/delete",
        "/logout",
        "/account/emails/1/remove",
        "/account/emails/1/primary",
    ):
        response = accounts.client.post(
            path, data={"password": TEST_PASSWORD, "email": "x@example.org"}
        )
        assert response.status_code == 400, path
    assert accounts.client.get("/account/").status_code == 200, "still logged in, nothing changed"


def test_pages_carry_security_headers(client: FlaskClient) -> None:
    headers = client.get("/").headers
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_session_cookie_is_http_only_and_same_site(accounts: Accounts) -> None:
    accounts.create("ann@example.org")
    response = accounts.login("ann@example.org")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_cookies_are_secure_outside_development(app_factory: Callable[..., Flask]) -> None:
    app = app_factory(TESTING=False, ENVIRONMENT="production", BASE_URL="https://backpack.test")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    response = app.test_client().get("/")
    assert "max-age=" in response.headers["Strict-Transport-Security"]


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "http:/evil.example",
        "javascript:alert(1)",
        "/\r\nLocation: https://evil.example",
    ],
)
def test_login_does_not_redirect_off_site(accounts: Accounts, target: str) -> None:
    accounts.create("ann@example.org")
    response = post_form(
        accounts.client,
        "/login",
        {"email": "ann@example.org", "password": TEST_PASSWORD},
        query_string={"next": target},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_login_returns_to_a_local_next_page(accounts: Accounts) -> None:
    accounts.create("ann@example.org")
    response = post_form(
        accounts.client,
        "/login",
        {"email": "ann@example.org", "password": TEST_PASSWORD},
        action="/login?next=/account/",
    )
    assert response.headers["Location"] == "/account/"


def test_unknown_pages_get_a_clear_404(client: FlaskClient) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Not Found" in response.get_data(as_text=True)


@pytest.fixture
def limited_app(app_factory: Callable[..., Flask]) -> Flask:
    return app_factory(
        RATELIMIT_ENABLED=True,
        RATELIMIT_LOGIN="3 per minute",
        RATELIMIT_SIGNUP="2 per minute",
        RATELIMIT_PASSWORD_RESET="2 per minute",
        RATELIMIT_EMAIL_SEND="2 per minute",
    )


def test_login_attempts_are_rate_limited(limited_app: Flask) -> None:
    client = limited_app.test_client()
    statuses = [
        post_form(
            client, "/login", {"email": "ann@example.org", "password": "wrong password!"}
        ).status_code
        for _ in range(4)
    ]
    assert statuses == [401, 401, 401, 429]
    page = post_form(client, "/login", {"email": "a@example.org", "password": "x" * 12})
    assert "Too many attempts" in page.get_data(as_text=True)


def test_signup_and_password_reset_are_rate_limited(limited_app: Flask) -> None:
    # A new browser each time (a sign-up logs in): the limit is per client address.
    signups = [
        post_form(
            limited_app.test_client(),
            "/signup",
            {"email": f"u{i}@example.org", "password": TEST_PASSWORD, "confirm": TEST_PASSWORD},
        ).status_code
        for i in range(3)
    ]
    assert signups == [302, 302, 429]
    client = limited_app.test_client()
    resets = [
        post_form(client, "/password/forgot", {"email": "u0@example.org"}).status_code
        for _ in range(3)
    ]
    assert resets == [302, 302, 429]


def test_verification_mail_is_rate_limited_per_account(limited_app: Flask) -> None:
    client = limited_app.test_client()
    from tests.conftest import Accounts, Outbox

    helper = Accounts(limited_app, client, Outbox(limited_app.config["MAIL_OUTBOX_DIR"]))
    helper.create("ann@example.org")
    helper.login("ann@example.org")
    statuses = [helper.add_email(f"ann{i}@example.org").status_code for i in range(3)]
    assert statuses == [302, 302, 429]


def test_pages_for_a_logged_in_user_are_not_cached(accounts: Accounts) -> None:
    assert "Cache-Control" not in accounts.client.get("/").headers
    accounts.create("ann@example.org")
    accounts.login("ann@example.org")
    assert accounts.client.get("/account/").headers["Cache-Control"] == "no-store"


def test_an_id_too_large_for_any_row_is_not_found(accounts: Accounts) -> None:
    accounts.create("ann@example.org")
    accounts.login("ann@example.org")
    assert accounts.client.get(f"/badges/{2**63}").status_code == 404
    response = post_form(
        accounts.client, "/account/", {}, action=f"/account/emails/{10**30}/resend"
    )
    assert response.status_code == 404


def test_behind_a_trusted_proxy_each_client_has_its_own_rate_limit(
    app_factory: Callable[..., Flask],
) -> None:
    form = {"email": "ann@example.org", "password": "wrong password!"}
    direct = app_factory(RATELIMIT_ENABLED=True, RATELIMIT_LOGIN="1 per minute").test_client()
    statuses = [
        post_form(direct, "/login", form, headers={"X-Forwarded-For": ip}).status_code
        for ip in ("203.0.113.1", "203.0.113.2")
    ]
    assert statuses == [401, 429], "without TRUSTED_PROXIES the header is ignored"
    proxied = app_factory(
        RATELIMIT_ENABLED=True, RATELIMIT_LOGIN="1 per minute", TRUSTED_PROXIES=1
    ).test_client()
    statuses = [
        post_form(proxied, "/login", form, headers={"X-Forwarded-For": ip}).status_code
        for ip in ("198.51.100.1", "198.51.100.2")
    ]
    assert statuses == [401, 401]
