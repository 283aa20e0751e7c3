"""What this authorization server offers its clients: the grant types, the response type,
PKCE's method and the ways a client authenticates.

The grants (`server`), the RFC 8414 metadata and registration all read them here, so what
the server does and what it says it does come from one list; this module imports none of
them back.
"""

from __future__ import annotations

from backpack.models.oauth import CLIENT_SECRET_METHODS

# Badge Connect clients authenticate with HTTP Basic; the form variant is accepted as RFC 6749
# allows, from any client that registered either (`OAuthClient.check_endpoint_auth_method`).
CLIENT_AUTH_METHODS = list(CLIENT_SECRET_METHODS)
GRANT_TYPES = ("authorization_code", "refresh_token")
RESPONSE_TYPES = ("code",)
# Every client, confidential or not, must use PKCE, and only with S256 (`S256CodeChallenge`).
CODE_CHALLENGE_METHOD = "S256"
