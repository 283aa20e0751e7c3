"""The other backpacks this server reads for an earner (their grants there), and revoking.

Revoking forgets the tokens here and, when the other side has a revocation endpoint
(RFC 7009), asks it to end them too; an answer that does not come does not stop the
revocation here.
"""

from __future__ import annotations

import base64
import logging
from urllib.parse import quote, urlencode, urlsplit

import sqlalchemy as sa

from backpack.extensions import db
from backpack.models import RemoteGrant, User
from backpack.openbadges import OpenBadgesError
from backpack.services.app_fetcher import app_fetcher
from backpack.services.sealing import unseal

log = logging.getLogger(__name__)


def active_grants(user: User) -> list[RemoteGrant]:
    """The user's authorized pulls from other backpacks, newest first."""
    return list(
        db.session.scalars(
            sa.select(RemoteGrant)
            .where(RemoteGrant.user_id == user.id, RemoteGrant.status == "active")
            .order_by(RemoteGrant.authorized_at.desc())
        )
    )


def remote_host(grant: RemoteGrant) -> str:
    """The other backpack's host, as the page names it."""
    return urlsplit(grant.client.api_base).netloc


def revoke_remote_grant(user: User, grant_id: int) -> bool:
    """End one of the user's grants at another backpack; False when there is none."""
    grant = db.session.get(RemoteGrant, grant_id)
    if grant is None or grant.user_id != user.id or grant.status != "active":
        return False
    endpoint = grant.client.endpoints.get("revocation")
    tokens = [
        (unseal(sealed), hint)
        for sealed, hint in (
            (grant.refresh_token_sealed, "refresh_token"),
            (grant.access_token_sealed, "access_token"),
        )
        if sealed
    ]
    if isinstance(endpoint, str):
        for token, hint in tokens:
            if token is not None:
                _ask_revocation(grant, endpoint, token, hint)
    grant.status = "revoked"
    grant.access_token_sealed = grant.refresh_token_sealed = None
    db.session.flush()
    return True


def _ask_revocation(grant: RemoteGrant, endpoint: str, token: str, hint: str) -> None:
    client = grant.client
    secret = unseal(client.client_secret_sealed) or ""
    pair = f"{quote(client.client_id, safe='')}:{quote(secret, safe='')}"
    body = urlencode({"token": token, "token_type_hint": hint}).encode()
    headers = {
        "Authorization": "Basic " + base64.b64encode(pair.encode()).decode(),
        "Content-Type": "application/x-www-form-urlencoded",
    }
    try:
        app_fetcher().request("POST", endpoint, body=body, headers=headers)
    except OpenBadgesError as exc:
        # The token is not logged: only where the revocation could not be asked.
        log.info("Revocation at %s could not be asked: %s", urlsplit(endpoint).netloc, exc.code)
