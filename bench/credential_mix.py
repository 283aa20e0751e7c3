"""The credentials bench/verify_credentials.py verifies, issued by the local 3.0 test issuer.

A Data Integrity mix (eddsa-rdfc-2022 by a did:key issuer) for both verifiers, in cycles of
DI_CYCLE, and a VC-JWT mix for ours alone, in cycles of JWT_CYCLE. Each kind ends with the
verdict it calls for.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from tests.openbadges.credential_issuer import CredentialIssuer, sign_jws
from tests.support.issuer import make_png

# One cycle of the Data Integrity mix, taken in turn; a kind ends with the verdict expected.
DI_CYCLE: tuple[str, ...] = (
    *["VC 2.0 valid"] * 9,
    "in a status list valid",
    "revoked in its status list revoked",
    *["VC 1.1 valid"] * 2,
    *["name changed after signing invalid"] * 2,
    "signed by another key invalid",
    *["past validUntil expired"] * 2,
    "future validFrom invalid",
    "expired and tampered invalid",
)
JWT_CYCLE: tuple[str, ...] = (
    *["EdDSA did:key valid"] * 4,
    "ES256 profile key valid",
    "RS256 profile key valid",
    "payload changed after signing invalid",
    "past validUntil expired",
)
DATA_INTEGRITY_V2 = "https://w3id.org/security/data-integrity/v2"
PAST, FUTURE = "2025-01-01T00:00:00Z", "2099-01-01T00:00:00Z"
IMAGE = "data:image/png;base64," + base64.b64encode(make_png()).decode()


@dataclass(frozen=True)
class Item:
    """One credential as handed in (JSON text or a compact VC-JWT), and what it is."""

    kind: str
    text: str

    @property
    def expected(self) -> str:
        """The verdict its kind calls for."""
        return self.kind.rsplit(" ", 1)[1]


def issue(issuer: CredentialIssuer, count: int, jwt_count: int) -> tuple[list[Item], list[Item]]:
    """The Data Integrity mix for both verifiers, and the VC-JWT mix for ours alone."""
    other = CredentialIssuer(issuer.server, prefix="/other", key_name="bench-other")
    linked = [
        _data_integrity(issuer, other, DI_CYCLE[number % len(DI_CYCLE)], number)
        for number in range(count)
    ]
    tokens = [_jwt(issuer, JWT_CYCLE[number % len(JWT_CYCLE)]) for number in range(jwt_count)]
    return linked, tokens


def _credential(issuer: CredentialIssuer, number: int, **options: Any) -> dict[str, Any]:
    credential = issuer.credential(identity="did:key", name=f"Teamwork {number}", **options)
    credential["credentialSubject"]["achievement"]["image"] = {"id": IMAGE, "type": "Image"}
    return credential


def _data_integrity(
    issuer: CredentialIssuer, other: CredentialIssuer, kind: str, number: int
) -> Item:
    options: dict[str, Any] = {"data_model": "1.1"} if kind.startswith("VC 1.1") else {}
    if "status list" in kind:
        options["status"] = "bitstring"
    if "validUntil" in kind or kind.startswith("expired"):
        options["valid_until"] = PAST
    if "validFrom" in kind:
        options["valid_from"] = FUTURE
    credential = _credential(issuer, number, **options)
    if kind.startswith("VC 1.1"):
        # DCC's verifier adds data-integrity/v2 to a VC 1.1 proof's context, which clashes
        # with v1 (a protected term redefined): 1.1 credentials name v2 here (bench/README.md).
        credential["@context"] = [*credential["@context"][:2], DATA_INTEGRITY_V2]
    if kind.startswith("signed by another key"):
        signed = other.sign(credential, method=issuer.method("did:key"))
    else:
        signed = issuer.sign(credential)
    if "changed" in kind or "tampered" in kind:
        signed["credentialSubject"]["achievement"]["name"] += " (edited)"
    if kind.startswith("revoked"):
        issuer.revoke(signed)
    return Item(kind, json.dumps(signed))


def publish_status_list(issuer: CredentialIssuer) -> dict[str, Any]:
    """Serve the issuer's status list signed by its did:key (the credentials' issuer, as DCC's
    verifier requires of a list); return it by URL, for DCC's verifier to be handed."""
    unsigned = {key: value for key, value in issuer.status_list().items() if key != "proof"}
    signed = issuer.sign({**unsigned, "issuer": issuer.did_key})
    issuer.server.serve_json(issuer.prefix + "/status/1", signed)
    return {issuer.status_list_url: signed}


def _jwt(issuer: CredentialIssuer, kind: str) -> Item:
    if kind.startswith("EdDSA") or "changed" in kind or "validUntil" in kind:
        options = {"valid_until": PAST} if "validUntil" in kind else {}
        credential = _credential(issuer, 0, **options)
        payload = {**credential, "iss": issuer.did_key, "jti": credential["id"], "nbf": 1704067200}
        header = {"alg": "EdDSA", "typ": "JWT", "kid": issuer.method("did:key")}
        token = sign_jws(header, payload, issuer.ed25519)
        if "changed" in kind:
            head, _, signature = token.split(".")
            edited = json.dumps({**payload, "name": "Edited"}).encode()
            token = f"{head}.{base64.urlsafe_b64encode(edited).decode().rstrip('=')}.{signature}"
        return Item(kind, token)
    credential = issuer.credential(identity="url")
    credential["credentialSubject"]["achievement"]["image"] = {"id": IMAGE, "type": "Image"}
    return Item(kind, issuer.jwt(credential, alg="ES256" if kind.startswith("ES") else "RS256"))
