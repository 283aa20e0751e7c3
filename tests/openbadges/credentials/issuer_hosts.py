"""A local HTTPS server standing in for the hosts that 3.0 fixtures name, and a signer.

The 1EdTech, W3C and DCC fixtures name keys at https://example.com/..., did:web:... and so
on, on port 443. `IssuerHosts` serves them from one local HTTPS server whose certificate
covers those names: `HostsFetcher` resolves the names to 127.0.0.1 and adds the server's
port to the URL (nothing else: the TLS handshake, SNI and certificate check are real), and
reports the URL asked for, as a fetch of the real host would. Nothing reaches the internet.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit, urlunsplit

import base58
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from backpack.openbadges.credentials.canonical import canonical_nquads
from backpack.openbadges.http_exchange import DEFAULT_ACCEPT, FetchResponse
from backpack.openbadges.issuer_resources import IssuerResources
from backpack.openbadges.report import VerificationReport
from backpack.openbadges.safe_fetcher import Fetcher
from tests.support.http_server import LocalHTTPServer

HOSTS: Final = (
    "example.com",
    "example.edu",
    "1edtech.edu",
    "dc.1edtech.org",
    "issuer.test",
    "digitalcredentials.github.io",
    "state.gov",
    "raw.githubusercontent.com",
)
CORPUS: Final = Path(__file__).resolve().parents[2] / "data" / "corpus"
OB30: Final = CORPUS / "digital-credentials-public-validator/inspector-vc/src/test/resources/ob30"
# The key of 1EdTech's examples (ob_v3p0/impl/linked-data-proof-ob.html publishes its
# private half), which signs most of the corpus's 3.0 credentials.
ONE_EDTECH_KEY: Final = "z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"
ONE_EDTECH_SECRET: Final = bytes.fromhex(
    "6241a409e6707bb640a0140a8a32bc3d193c33a661747284d6adfa4ed4180be4"
)


class HostsFetcher(Fetcher):
    """The safe fetcher, reaching the fixture hosts on the local server's port."""

    def __init__(self, server: LocalHTTPServer, **options: Any) -> None:
        options.setdefault("allow_private", True)
        super().__init__(
            resolver=lambda host, port: ["127.0.0.1"] if host in HOSTS else [],
            ca_file=server.ca_file,
            timeout=5.0,
            **options,
        )
        self.port = server.port

    def get(
        self,
        url: str,
        *,
        accept: str = DEFAULT_ACCEPT,
        conditional: Mapping[str, str] | None = None,
    ) -> FetchResponse:
        parts = urlsplit(url)
        if parts.scheme != "https" or parts.port is not None or parts.hostname not in HOSTS:
            return super().get(url, accept=accept, conditional=conditional)
        local = urlunsplit(parts._replace(netloc=f"{parts.hostname}:{self.port}"))
        response = super().get(local, accept=accept, conditional=conditional)
        return dataclasses.replace(response, url=url) if response.url == local else response


class IssuerHosts:
    """Serve documents at https://<fixture host>/<path> and make resources to fetch them."""

    def __init__(self, server: LocalHTTPServer) -> None:
        self.server = server
        self.fetcher = HostsFetcher(server)

    def serve(self, url: str, document: Any) -> None:
        """Serve a JSON document at an https URL of a fixture host (any host: one server)."""
        path = urlsplit(url).path or "/"
        self.server.serve_json(path, document)

    def resources(self, report: VerificationReport | None = None) -> IssuerResources:
        """Issuer resources over this fetcher, recording into `report`."""
        return IssuerResources(self.fetcher, report or VerificationReport())

    def serve_profile(self, issuer_id: str, *keys: str, controller: str | None = None) -> None:
        """Serve an issuer profile listing Multikey keys (`<issuer>#<key>`)."""
        self.serve(issuer_id, profile(issuer_id, *keys, controller=controller))


def profile(issuer_id: str, *keys: str, controller: str | None = None) -> dict[str, Any]:
    """An issuer profile (controller document) listing Multikey verification methods."""
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://w3id.org/security/multikey/v1",
        ],
        "id": issuer_id,
        "type": "Profile",
        "verificationMethod": [
            {
                "id": f"{issuer_id}#{key}",
                "type": "Multikey",
                "controller": controller or issuer_id,
                "publicKeyMultibase": key,
            }
            for key in keys
        ],
    }


def ob30(name: str) -> dict[str, Any]:
    """A 3.0 fixture of the 1EdTech validator's corpus."""
    document: dict[str, Any] = json.loads((OB30 / name).read_text())
    return document


def multikey(key: Ed25519PrivateKey) -> str:
    """The Multikey (z6Mk...) text of an Ed25519 key's public half."""
    raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return "z" + base58.b58encode(b"\xed\x01" + raw).decode()


def one_edtech_key() -> Ed25519PrivateKey:
    """The private key of 1EdTech's examples."""
    return Ed25519PrivateKey.from_private_bytes(ONE_EDTECH_SECRET)


def sign(
    document: Mapping[str, Any],
    key: Ed25519PrivateKey,
    method: str,
    *,
    proof_type: str = "DataIntegrityProof",
    cryptosuite: str | None = "eddsa-rdfc-2022",
    legacy_escapes: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    """Add a Data Integrity proof as an issuer would (vc-di-eddsa, "Add Proof"); with
    `legacy_escapes`, as older libraries did for text with control characters."""
    unsigned = {k: v for k, v in document.items() if k != "proof"}
    proof: dict[str, Any] = {"type": proof_type, "created": "2024-01-01T00:00:00Z"}
    if cryptosuite is not None:
        proof["cryptosuite"] = cryptosuite
    proof |= {"verificationMethod": method, "proofPurpose": "assertionMethod", **extra}
    options = {**proof, "@context": unsigned["@context"]}
    data = _sha256(canonical_nquads(options, legacy_escapes=legacy_escapes)) + _sha256(
        canonical_nquads(unsigned, legacy_escapes=legacy_escapes)
    )
    proof["proofValue"] = "z" + base58.b58encode(key.sign(data)).decode()
    return {**unsigned, "proof": proof}


def _sha256(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()
