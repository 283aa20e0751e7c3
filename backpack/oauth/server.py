"""The one Authlib authorization server: grants, PKCE, tokens, revocation and protection.

Every client, confidential or not, must use PKCE with S256; codes live 10 minutes and are
used once; refresh tokens (scope `offline_access`) rotate on every use; every secret and
token is stored as a digest (`backpack.models.oauth`).

Revoking ends the whole grant, codes included (`services.connected_apps.end_grant`), and so
does presenting a refresh token that was rotated away (RFC 9700 section 4.14.2): either the
client or a thief holds a copy, and the server cannot tell which.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any, ClassVar

import sqlalchemy as sa
from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2.rfc6749 import InvalidGrantError, InvalidRequestError, grants
from authlib.oauth2.rfc6750 import BearerTokenGenerator, BearerTokenValidator
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from flask import Flask, current_app, g

from backpack.extensions import db
from backpack.models import OAuthAuthorizationCode, OAuthClient, OAuthToken, User
from backpack.models.base import utcnow
from backpack.models.oauth import ACCESS_TOKEN_LIFETIME, CODE_LIFETIME, new_token, token_digest
from backpack.oauth import scopes
from backpack.oauth.policy import CLIENT_AUTH_METHODS, CODE_CHALLENGE_METHOD
from backpack.oauth.registration import (
    BadgeConnectRegistrationEndpoint,
    OpenBadges3RegistrationEndpoint,
)
from backpack.services.connected_apps import end_grant

logger = logging.getLogger(__name__)

# One resource protector for every API family; each app gets its own AuthorizationServer
# (init_oauth), kept in app.extensions, so that test apps do not share registered grants.
require_oauth = ResourceProtector()
EXTENSION_KEY = "backpack.oauth"
# Where the consent view leaves the collections the earner chose, for the code it makes.
CONSENTED_COLLECTIONS = "oauth_consented_collections"


class S256CodeChallenge(CodeChallenge):
    """PKCE for every client, S256 only: `plain` and a missing challenge are refused.

    Authlib's `required=True` only covers public clients and defaults to `plain`.
    """

    SUPPORTED_CODE_CHALLENGE_METHOD: ClassVar[list[str]] = [CODE_CHALLENGE_METHOD]
    DEFAULT_CODE_CHALLENGE_METHOD = CODE_CHALLENGE_METHOD

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("Missing 'code_challenge': PKCE is required.")
        if data.get("code_challenge_method") != CODE_CHALLENGE_METHOD:
            raise InvalidRequestError("'code_challenge_method' must be 'S256'.")
        super().validate_code_challenge(grant, redirect_uri)

    def validate_code_verifier(self, grant: Any, result: Any) -> None:
        if not grant.request.form.get("code_verifier"):
            raise InvalidRequestError("Missing 'code_verifier'.")
        super().validate_code_verifier(grant, result)


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    """The authorization code grant, with codes stored as digests."""

    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH_METHODS

    def save_authorization_code(self, code: str, request: Any) -> OAuthAuthorizationCode:
        data = request.payload.data
        now = utcnow()
        # Codes never exchanged would pile up; each new one clears the expired ones.
        db.session.execute(
            sa.delete(OAuthAuthorizationCode).where(OAuthAuthorizationCode.expires_at < now)
        )
        authorization_code = OAuthAuthorizationCode(
            code_hash=token_digest(code),
            client_id=request.client.id,
            user_id=request.user.id,
            redirect_uri=request.payload.redirect_uri or "",
            scope=request.scope or "",
            code_challenge=data["code_challenge"],
            code_challenge_method=data["code_challenge_method"],
            collection_ids=g.get(CONSENTED_COLLECTIONS),
            created_at=now,
            expires_at=now + CODE_LIFETIME,
        )
        db.session.add(authorization_code)
        db.session.commit()
        return authorization_code

    def validate_authorization_request(self) -> Any:
        # Open Badges 3.0 makes `state` mandatory (CSRF protection for the client); Badge
        # Connect clients send it too.
        redirect_uri = super().validate_authorization_request()
        if not self.request.payload.state:
            raise InvalidRequestError("Missing 'state'.", redirect_uri=redirect_uri)
        return redirect_uri

    def query_authorization_code(
        self, code: str, client: OAuthClient
    ) -> OAuthAuthorizationCode | None:
        # Marking the row used as it is read makes the code single-use even under
        # concurrency; the row stays until it expires, so a second use is recognised.
        digest = token_digest(code)
        found: OAuthAuthorizationCode | None = db.session.scalar(
            sa.update(OAuthAuthorizationCode)
            .where(
                OAuthAuthorizationCode.code_hash == digest,
                OAuthAuthorizationCode.client_id == client.id,
                OAuthAuthorizationCode.used_at.is_(None),
            )
            .values(used_at=utcnow())
            .returning(OAuthAuthorizationCode)
            .execution_options(synchronize_session=False)
        )
        if found is None:
            self._end_grant_on_reuse(digest, client)
        db.session.commit()
        if found is None or found.is_expired():
            return None
        return found

    def _end_grant_on_reuse(self, digest: str, client: OAuthClient) -> None:
        """A used code presented again was copied: end what it (and its grant) issued."""
        used = db.session.scalar(
            sa.select(OAuthAuthorizationCode).where(
                OAuthAuthorizationCode.code_hash == digest,
                OAuthAuthorizationCode.client_id == client.id,
                OAuthAuthorizationCode.used_at.is_not(None),
            )
        )
        if used is not None:
            end_grant(used.user_id, used.client_id)
            logger.warning(
                "A used authorization code of client %s was presented again; its grant for "
                "user %s is revoked",
                client.client_id,
                used.user_id,
            )

    def delete_authorization_code(self, authorization_code: OAuthAuthorizationCode) -> None:
        """Nothing left to do: the code was marked used when it was read."""

    def authenticate_user(self, authorization_code: OAuthAuthorizationCode) -> User | None:
        return db.session.get(User, authorization_code.user_id)


# A refresh token presented again this soon after it was rotated away is taken for the
# client's own second request racing the first (two workers, a retry), not for theft: it is
# refused without ending the grant. Later than this, a reuse ends the whole grant.
REFRESH_REUSE_GRACE = timedelta(seconds=10)


class RefreshTokenGrant(grants.RefreshTokenGrant):
    """Refresh with rotation: the old access and refresh tokens die with each use."""

    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> OAuthToken | None:
        token = db.session.scalar(
            sa.select(OAuthToken).where(
                OAuthToken.refresh_token_hash == token_digest(refresh_token)
            )
        )
        if token is None:
            return None
        if token.refresh_token_revoked_at is not None:
            self._end_grant_on_reuse(token)
            return None
        return token

    def _end_grant_on_reuse(self, token: OAuthToken) -> None:
        # Only the client the token was issued to can signal a replay: any other client
        # is refused by `check_client` anyway, and must not be able to end someone's grant.
        revoked_at = token.refresh_token_revoked_at
        if token.client_id != self.request.client.id or revoked_at is None:
            return
        if utcnow() - revoked_at <= REFRESH_REUSE_GRACE:
            return
        ended = end_grant(token.user_id, token.client_id)
        db.session.commit()
        if ended:
            logger.warning(
                "A used refresh token of client %s was presented again; its grant for user %s "
                "is revoked",
                self.request.client.client_id,
                token.user_id,
            )

    def issue_token(self, user: User, refresh_token: OAuthToken) -> dict[str, Any]:
        # Claim the old pair with one conditional UPDATE, committed with the new pair by
        # `save_token`: of two refreshes racing with one token, only one gets new tokens;
        # the other is refused without ending the grant (see REFRESH_REUSE_GRACE).
        now = utcnow()
        claimed = db.session.execute(
            sa.update(OAuthToken)
            .where(OAuthToken.id == refresh_token.id, OAuthToken.refresh_token_revoked_at.is_(None))
            .values(
                refresh_token_revoked_at=now,
                access_token_revoked_at=sa.func.coalesce(OAuthToken.access_token_revoked_at, now),
            )
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]  # DML returns a CursorResult
            db.session.rollback()
            raise InvalidGrantError("The refresh token has already been used.")
        token: dict[str, Any] = super().issue_token(user, refresh_token)
        return token

    def authenticate_user(self, refresh_token: OAuthToken) -> User | None:
        return db.session.get(User, refresh_token.user_id)

    def revoke_old_credential(self, refresh_token: OAuthToken) -> None:
        """Nothing left to do: `issue_token` revoked the old pair as it claimed it."""


class TokenRevocationEndpoint(RevocationEndpoint):
    """RFC 7009: revoking either token ends the whole grant it belongs to, codes included."""

    CLIENT_AUTH_METHODS = CLIENT_AUTH_METHODS

    def query_token(self, token_string: str, token_type_hint: str | None) -> OAuthToken | None:
        digest = token_digest(token_string)
        # The hint is only a hint (RFC 7009 section 2.1): look in both columns.
        return db.session.scalar(
            sa.select(OAuthToken).where(
                sa.or_(
                    OAuthToken.access_token_hash == digest, OAuthToken.refresh_token_hash == digest
                )
            )
        )

    def revoke_token(self, token: OAuthToken, request: Any) -> None:
        end_grant(token.user_id, token.client_id)
        db.session.commit()


class HashedBearerTokenValidator(BearerTokenValidator):
    """Find a bearer token by its digest and note when it was last used."""

    def authenticate_token(self, token_string: str) -> OAuthToken | None:
        token = db.session.scalar(
            sa.select(OAuthToken).where(OAuthToken.access_token_hash == token_digest(token_string))
        )
        if token is not None:
            now = utcnow()
            # Write at most once a minute per token: last use is for people, not auditing.
            if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
                token.last_used_at = now
                db.session.commit()
        return token


class RefreshOnlyWhenOffline(BearerTokenGenerator):
    """Issue a refresh token only when the earner granted `offline_access`."""

    def generate(self, grant_type: str, client: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        token: dict[str, Any] = super().generate(grant_type, client, *args, **kwargs)
        if scopes.OFFLINE_ACCESS not in str(token.get("scope", "")).split():
            token.pop("refresh_token", None)
        return token


def _access_token(**kwargs: Any) -> str:
    return new_token()


def _refresh_token(**kwargs: Any) -> str:
    return new_token()


def _expires_in(client: Any, grant_type: str) -> int:
    return int(ACCESS_TOKEN_LIFETIME.total_seconds())


def query_client(client_id: str) -> OAuthClient | None:
    """The registered client with this id."""
    return db.session.scalar(sa.select(OAuthClient).where(OAuthClient.client_id == client_id))


def save_token(token: dict[str, Any], request: Any) -> None:
    """Store a newly issued token pair as digests."""
    refresh = token.get("refresh_token")
    # The grant's limits travel from the code to its tokens, and on to each refreshed pair.
    origin = getattr(request, "authorization_code", None) or getattr(request, "refresh_token", None)
    db.session.add(
        OAuthToken(
            client_id=request.client.id,
            user_id=request.user.id,
            token_type=token.get("token_type", "Bearer"),
            access_token_hash=token_digest(token["access_token"]),
            refresh_token_hash=token_digest(refresh) if refresh else None,
            scope=token.get("scope", ""),
            expires_in=int(token["expires_in"]),
            collection_ids=getattr(origin, "collection_ids", None),
        )
    )
    db.session.commit()


def authorization_server() -> AuthorizationServer:
    """The app's authorization server."""
    server: AuthorizationServer = current_app.extensions[EXTENSION_KEY]
    return server


def init_oauth(app: Flask) -> None:
    """Create the app's authorization server with its grants and endpoints."""
    authorization = AuthorizationServer()
    authorization.init_app(app, query_client=query_client, save_token=save_token)
    authorization.scopes_supported = list(scopes.SUPPORTED)
    authorization.register_token_generator(
        "default", RefreshOnlyWhenOffline(_access_token, _refresh_token, _expires_in)
    )
    authorization.register_grant(AuthorizationCodeGrant, [S256CodeChallenge(required=True)])
    authorization.register_grant(RefreshTokenGrant)
    authorization.register_endpoint(TokenRevocationEndpoint)
    authorization.register_endpoint(BadgeConnectRegistrationEndpoint)
    authorization.register_endpoint(OpenBadges3RegistrationEndpoint)
    app.extensions[EXTENSION_KEY] = authorization


require_oauth.register_token_validator(HashedBearerTokenValidator())
