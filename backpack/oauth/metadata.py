"""RFC 8414 server metadata, built from the same settings the grants use."""

from __future__ import annotations

from typing import Any

from backpack.links import external_url
from backpack.oauth import scopes
from backpack.oauth.policy import (
    CLIENT_AUTH_METHODS,
    CODE_CHALLENGE_METHOD,
    GRANT_TYPES,
    RESPONSE_TYPES,
)


def server_metadata() -> dict[str, Any]:
    """This server's OAuth 2 metadata document (RFC 8414)."""
    issuer = external_url("main.index").rstrip("/")
    return {
        "issuer": issuer,
        "authorization_endpoint": external_url("oauth.authorize"),
        "token_endpoint": external_url("oauth.issue_token"),
        "revocation_endpoint": external_url("oauth.revoke_token"),
        "registration_endpoint": external_url("oauth.register_client"),
        "scopes_supported": list(scopes.SUPPORTED),
        "response_types_supported": list(RESPONSE_TYPES),
        "response_modes_supported": ["query"],
        "grant_types_supported": list(GRANT_TYPES),
        "token_endpoint_auth_methods_supported": list(CLIENT_AUTH_METHODS),
        "revocation_endpoint_auth_methods_supported": list(CLIENT_AUTH_METHODS),
        "code_challenge_methods_supported": [CODE_CHALLENGE_METHOD],
        "service_documentation": external_url("badge_connect.manifest"),
    }
