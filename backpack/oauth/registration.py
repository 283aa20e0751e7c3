"""RFC 7591 dynamic client registration, under the Badge Connect or Open Badges 3.0 rules.

No initial access token is asked for (Open Badges 2.1 and 3.0 forbid it); the endpoint is
rate limited instead. Every URI must be https and on the host of `client_uri`, so a
registration cannot name someone else's site as its home. The two APIs differ in what
they require (`RegistrationRules`); both register into the one authorization server.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from authlib.oauth2.rfc7591 import (
    ClientRegistrationEndpoint,
    InvalidClientMetadataError,
    InvalidRedirectURIError,
)
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from backpack.extensions import db
from backpack.models import OAuthClient
from backpack.models.oauth import CLIENT_SECRET_METHODS, token_digest
from backpack.oauth import scopes
from backpack.oauth.metadata import server_metadata
from backpack.oauth.policy import GRANT_TYPES, RESPONSE_TYPES
from backpack.origins import web_origin

URI_FIELDS = ("client_uri", "logo_uri", "tos_uri", "policy_uri")
# RFC 7591 section 2: the metadata whose values are strings, and those that are lists of them.
TEXT_FIELDS = (
    *URI_FIELDS, "client_name", "jwks_uri", "scope", "software_id", "software_version",
    "token_endpoint_auth_method",
)  # fmt: skip
LIST_FIELDS = ("redirect_uris", "grant_types", "response_types", "contacts")
# Marks an anonymous registration: Authlib refuses the request if authenticate_token is falsy.
ANONYMOUS_REGISTRATION = "anonymous"


@dataclass(frozen=True)
class RegistrationRules:
    """What one API requires of a registration, and what it fills in when left out."""

    required: tuple[str, ...]
    auth_methods: tuple[str, ...]
    default_scopes: tuple[str, ...]  # None of them: `scope` is required
    api_scopes: tuple[str, ...]  # the scopes this API's clients may register


# Badge Connect 2.1: lenient about what Moodle and other platforms leave out; the form
# variant of the secret is a secret all the same, and RFC 8414 metadata lists both.
BADGE_CONNECT_RULES = RegistrationRules(
    required=("client_name", "client_uri", "redirect_uris"),
    auth_methods=CLIENT_SECRET_METHODS,
    default_scopes=scopes.BADGE_CONNECT_SCOPES,
    api_scopes=scopes.SUPPORTED,
)
# Open Badges 3.0 (its security section): every descriptive field and `scope` are required,
# and clients authenticate with HTTP Basic only.
OB3_RULES = RegistrationRules(
    required=(
        "client_name", "client_uri", "logo_uri", "tos_uri", "policy_uri", "software_id",
        "software_version", "redirect_uris", "scope",
    ),
    auth_methods=("client_secret_basic",),
    default_scopes=(),
    api_scopes=(*scopes.OB3_SCOPES, scopes.OFFLINE_ACCESS),
)  # fmt: skip


class BadgeConnectRegistrationEndpoint(ClientRegistrationEndpoint):
    """Register a client that follows the Badge Connect rules; store its secret hashed."""

    RULES = BADGE_CONNECT_RULES

    def authenticate_token(self, request: Any) -> str:
        return ANONYMOUS_REGISTRATION

    def get_server_metadata(self) -> dict[str, Any]:
        return server_metadata()

    def extract_client_metadata(self, request: Any) -> dict[str, Any]:
        check_value_types(request.payload.data)
        metadata: dict[str, Any] = super().extract_client_metadata(request)
        return badge_connect_metadata(metadata, self.RULES)

    def save_client(
        self, client_info: dict[str, Any], client_metadata: dict[str, Any], request: Any
    ) -> OAuthClient:
        client = OAuthClient(
            client_id=client_info["client_id"],
            client_secret_hash=token_digest(client_info["client_secret"]),
            client_id_issued_at=client_info["client_id_issued_at"],
            client_secret_expires_at=client_info["client_secret_expires_at"],
            client_metadata=client_metadata,
        )
        db.session.add(client)
        db.session.commit()
        return client


class OpenBadges3RegistrationEndpoint(BadgeConnectRegistrationEndpoint):
    """Register a client of the Open Badges 3.0 API (`x-imssf-registrationUrl`)."""

    ENDPOINT_NAME = "ob3_client_registration"
    RULES = OB3_RULES


def check_value_types(metadata: dict[str, Any]) -> None:
    """Refuse metadata values of the wrong JSON type, which Authlib's checks take for granted."""
    for name in TEXT_FIELDS:
        if name in metadata and not isinstance(metadata[name], str):
            raise InvalidClientMetadataError(f"{name} must be a string.")
    for name in LIST_FIELDS:
        value = metadata.get(name)
        if name in metadata and not (
            isinstance(value, list) and all(isinstance(item, str) for item in value)
        ):
            raise InvalidClientMetadataError(f"{name} must be a list of strings.")
    if "jwks" in metadata:
        try:
            KeySet.import_key_set(metadata["jwks"])
        # joserfc assumes a set of keys of known curves; anything else fails as it may.
        except (JoseError, ValueError, TypeError, KeyError, AttributeError):
            raise InvalidClientMetadataError("jwks must be a JSON Web Key Set.") from None


def badge_connect_metadata(
    metadata: dict[str, Any], rules: RegistrationRules = BADGE_CONNECT_RULES
) -> dict[str, Any]:
    """Check registered metadata against one API's rules and fill in the defaults."""
    missing = [name for name in rules.required if not metadata.get(name)]
    if missing:
        raise InvalidClientMetadataError(f"Missing {', '.join(missing)}.")
    host = _https_host(metadata["client_uri"], "client_uri", InvalidClientMetadataError)
    for name in URI_FIELDS:
        if (
            metadata.get(name)
            and _https_host(metadata[name], name, InvalidClientMetadataError) != host
        ):
            raise InvalidClientMetadataError(f"{name} must be on the host of client_uri ({host}).")
    redirect_uris = metadata["redirect_uris"]
    if not isinstance(redirect_uris, list):
        raise InvalidRedirectURIError("redirect_uris must be a list.")
    for uri in redirect_uris:
        if _https_host(uri, "redirect_uris", InvalidRedirectURIError) != host:
            raise InvalidRedirectURIError(f"Every redirect URI must be on {host}.")
        if urlsplit(uri).fragment:
            raise InvalidRedirectURIError("A redirect URI may not have a fragment.")

    grant_types = metadata.setdefault("grant_types", ["authorization_code"])
    if "authorization_code" not in grant_types or not set(grant_types) <= set(GRANT_TYPES):
        raise InvalidClientMetadataError(
            "grant_types must include authorization_code, and may add only refresh_token."
        )
    if metadata.setdefault("response_types", list(RESPONSE_TYPES)) != list(RESPONSE_TYPES):
        raise InvalidClientMetadataError('response_types must be ["code"].')
    method = metadata.setdefault("token_endpoint_auth_method", "client_secret_basic")
    if method not in rules.auth_methods:
        raise InvalidClientMetadataError(
            f"token_endpoint_auth_method must be {' or '.join(rules.auth_methods)}."
        )
    if not metadata.get("scope"):
        default = list(rules.default_scopes)
        if "refresh_token" in grant_types:
            default.append(scopes.OFFLINE_ACCESS)
        metadata["scope"] = " ".join(default)
    unknown = sorted(set(metadata["scope"].split()) - set(rules.api_scopes))
    if unknown:
        raise InvalidClientMetadataError(f"This API does not offer the scope {unknown[0]}.")
    return metadata


def _https_host(uri: object, name: str, error: type[Exception]) -> str:
    parts = urlsplit(uri) if isinstance(uri, str) else None
    if parts is None or web_origin(uri, schemes=("https",)) is None or not parts.hostname:
        raise error(f"{name} must be an https URL with a plain host name.")
    return parts.hostname
