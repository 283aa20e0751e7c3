"""An Open Badges 3.0 issuer on the local test server, for tests of any layer.

`CredentialIssuer` publishes, on a TLS `LocalHTTPServer`, what a real 3.0 issuer publishes:
its profile (a controller document listing its keys), a did:web DID document, a
1EdTechRevocationList, a BitstringStatusListCredential (signed) and an achievement image;
and it issues OpenBadgeCredentials signed as real issuers sign them::

    with LocalHTTPServer(tls_hostnames=[ISSUER_HOST]) as server:
        issuer = CredentialIssuer(server)
        credential = issuer.credential(status="bitstring")      # unsigned, to alice@example.org
        signed = issuer.sign(credential)                         # eddsa-rdfc-2022, profile key
        by_did = issuer.sign(issuer.credential(identity="did:key"))
        token = issuer.jwt(issuer.credential(), alg="ES256")     # VC-JWT (compact JWS)
        issuer.revoke(signed)                                    # both lists say so now
        report = verify_badge(json.dumps(signed), fetcher=issuer.fetcher(), recipients=[RECIPIENT])
        issuer.use_in(app)      # the app's own verifications (upload, CLI, reverify) reach it

`identity` picks who the issuer is: "url" (its profile URL, keys listed there), "did:web"
(its DID document on the server, port as `%3A`) or "did:key" (its Ed25519 key, nothing to
fetch). The signatures are made here with pyld and `cryptography`, independently of the
library's verifier. Several issuers can share a server under different `prefix`es (their
did:web then has a path), with keys of their own under different `key_name`s.
"""

from __future__ import annotations

import base64
import copy
import gzip
import hashlib
import json
import uuid
import warnings
from datetime import datetime
from typing import Any, Final, Literal

import base58
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from flask import Flask
from joserfc import jws
from joserfc.errors import SecurityWarning
from joserfc.jwk import ECKey, OKPKey, RSAKey
from pyld import jsonld

from backpack.openbadges.addresses import resolve_host
from backpack.openbadges.jsonld import document_loader
from backpack.openbadges.recipient import identity_hash
from backpack.openbadges.safe_fetcher import Fetcher
from backpack.services.app_fetcher import EXTENSION_KEY as FETCHER_EXTENSION
from backpack.services.app_fetcher import OPTIONS_KEY as FETCHER_OPTIONS
from tests.openbadges.issuer_site import ec_key, ed25519_key, rsa_key
from tests.support.http_server import LocalHTTPServer
from tests.support.issuer import make_png

ISSUER_HOST: Final = "issuer.test"
RECIPIENT: Final = "alice@example.org"
SALT: Final = "pepper"
VC_V2: Final = "https://www.w3.org/ns/credentials/v2"
VC_V1: Final = "https://www.w3.org/2018/credentials/v1"
OB_V3: Final = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB_V3_V1: Final = "https://purl.imsglobal.org/spec/ob/v3p0/context.json"
OB_V3_EXTENSIONS: Final = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
DATA_INTEGRITY_V1: Final = "https://w3id.org/security/data-integrity/v1"
ED25519_2020: Final = "https://w3id.org/security/suites/ed25519-2020/v1"
LIST_BITS: Final = 131_072

Identity = Literal["url", "did:web", "did:key"]
Status = Literal["revocation-list", "bitstring"]
JwtAlgorithm = Literal["RS256", "ES256", "EdDSA"]
# DataIntegrityProof with eddsa-rdfc-2022, or the older Ed25519Signature2020 (same bytes).
Suite = Literal["eddsa-rdfc-2022", "Ed25519Signature2020"]


class CredentialIssuer:
    """An Open Badges 3.0 issuer served from a TLS `LocalHTTPServer`."""

    def __init__(
        self,
        server: LocalHTTPServer,
        *,
        host: str = ISSUER_HOST,
        prefix: str = "",
        key_name: str = "ob3-issuer",
    ) -> None:
        if server.ca_file is None:
            raise ValueError("CredentialIssuer needs LocalHTTPServer(tls_hostnames=[host]).")
        self.server, self.host, self.prefix = server, host, prefix.rstrip("/")
        self.base = server.url(self.prefix, host=host).rstrip("/")
        # Keys are made once per test session for each name: issuers that must not share
        # keys take different `key_name`s.
        self.ed25519: ed25519.Ed25519PrivateKey = ed25519_key(key_name)
        self.rsa: rsa.RSAPrivateKey = rsa_key(2048, key_name)
        self.ec: ec.EllipticCurvePrivateKey = ec_key(key_name)
        self.multikey = multikey(self.ed25519)
        self.profile_id = self.url("/issuer")
        did_path = ":" + self.prefix.strip("/").replace("/", ":") if self.prefix else ""
        self.did_web = f"did:web:{host}%3A{server.port}{did_path}"
        self.did_key = f"did:key:{self.multikey}"
        self.revocation_list_url = self.url("/revocations")
        self.status_list_url = self.url("/status/1")
        self.revoked: set[str] = set()
        self._indexes: dict[str, int] = {}
        self.profile_extra: dict[str, Any] = {}
        self.server.serve(self.prefix + "/images/badge.png", make_png(), content_type="image/png")
        self.publish()

    # Where things are

    def url(self, path: str) -> str:
        """The absolute URL of a path under this issuer."""
        return f"{self.base}{path}"

    def issuer_id(self, identity: Identity = "url") -> str:
        """The issuer's id for an identity: its profile URL, did:web or did:key."""
        return {"url": self.profile_id, "did:web": self.did_web, "did:key": self.did_key}[identity]

    def method(self, identity: Identity = "url", key: str = "ed25519") -> str:
        """The verification method (key id) of one of the issuer's keys for an identity."""
        if identity == "did:key":
            return f"{self.did_key}#{self.multikey}"
        return f"{self.issuer_id(identity)}#key-{key}"

    def fetcher_options(self) -> dict[str, Any]:
        """The Fetcher options that reach this issuer's host on the local server (any other
        host resolves as usual) and trust the server's test certificate authority."""
        host = self.host
        return {
            "resolver": lambda name, port: (
                ["127.0.0.1"] if name == host else resolve_host(name, port)
            ),
            "ca_file": self.server.ca_file,
        }

    def fetcher(self, **options: Any) -> Fetcher:
        """A safe fetcher that reaches this issuer (see `fetcher_options`)."""
        options.setdefault("allow_private", True)
        options.setdefault("timeout", 5.0)
        return Fetcher(**self.fetcher_options(), **options)

    def use_in(self, app: Flask) -> Fetcher:
        """Make an app's verifications reach this issuer: intake, the CLI and the fetchers
        of batches (`badges reverify`, background checks) alike."""
        app.extensions[FETCHER_OPTIONS] = self.fetcher_options()
        fetcher = self.fetcher(timeout=float(app.config["FETCH_TIMEOUT"]))
        app.extensions[FETCHER_EXTENSION] = fetcher
        return fetcher

    # What the issuer publishes

    def publish(self) -> None:
        """Serve the profile, DID document, revocation list and status list as they are now."""
        serve = self.server.serve_json
        serve(self.prefix + "/issuer", self.profile())
        did_document = self.did_document()
        did_path = self.prefix + "/did.json" if self.prefix else "/.well-known/did.json"
        serve(did_path, did_document)
        serve(
            self.prefix + "/revocations",
            {
                "id": self.revocation_list_url,
                "issuer": self.profile_id,
                "revokedCredential": [
                    {"id": revoked, "revoked": True, "revocationReason": "Awarded in error"}
                    for revoked in sorted(self.revoked)
                ],
            },
        )
        serve(self.prefix + "/status/1", self.status_list())

    def profile(self) -> dict[str, Any]:
        """The issuer profile: a controller document listing every key of the issuer."""
        return {
            "@context": [VC_V2, OB_V3],
            "id": self.profile_id,
            "type": "Profile",
            "name": "Local Test Issuer",
            "url": self.url("/"),
            "email": "badges@issuer.test",
            "verificationMethod": self._methods(self.profile_id),
            **self.profile_extra,
        }

    def did_document(self) -> dict[str, Any]:
        """The did:web DID document, its keys listed for assertionMethod."""
        methods = self._methods(self.did_web)
        return {
            "@context": ["https://www.w3.org/ns/did/v1"],
            "id": self.did_web,
            "verificationMethod": methods,
            "assertionMethod": [method["id"] for method in methods],
        }

    def status_list(self, *, bits: int = LIST_BITS) -> dict[str, Any]:
        """The BitstringStatusListCredential (signed with the profile key)."""
        raw = bytearray(bits // 8)
        for credential_id, index in self._indexes.items():
            if credential_id in self.revoked:
                raw[index // 8] |= 0x80 >> (index % 8)
        document = {
            "@context": [VC_V2],
            "id": self.status_list_url,
            "type": ["VerifiableCredential", "BitstringStatusListCredential"],
            "issuer": self.profile_id,
            "validFrom": "2020-01-01T00:00:00Z",
            "credentialSubject": {
                "id": f"{self.status_list_url}#list",
                "type": "BitstringStatusList",
                "statusPurpose": "revocation",
                "encodedList": encode_status_list(bytes(raw)),
            },
        }
        return self.sign(document)

    def revoke(self, credential: dict[str, Any] | str) -> None:
        """Revoke a credential (or credential id) in both lists, and publish them."""
        credential_id = credential if isinstance(credential, str) else credential["id"]
        self.revoked.add(credential_id)
        self.publish()

    # Issuing

    def credential(
        self,
        *,
        identity: Identity = "url",
        recipient: str = RECIPIENT,
        hashed: bool = True,
        subject_id: str | None = None,
        status: Status | None = None,
        data_model: Literal["1.1", "2.0"] = "2.0",
        valid_from: str = "2024-01-01T00:00:00Z",
        valid_until: str | None = None,
        name: str = "Local Teamwork",
        refresh_url: str | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """An unsigned OpenBadgeCredential to `recipient` (an email identifier)."""
        credential_id = f"urn:uuid:{uuid.uuid4()}"
        identifier: dict[str, Any] = {
            "type": "IdentityObject",
            "identityType": "emailAddress",
            "hashed": hashed,
            "identityHash": identity_hash(recipient, SALT) if hashed else recipient,
        }
        if hashed:
            identifier["salt"] = SALT
        subject: dict[str, Any] = {
            "type": ["AchievementSubject"],
            "identifier": [identifier],
            "achievement": {
                "id": self.url("/achievements/teamwork"),
                "type": ["Achievement"],
                "name": name,
                "description": "Works well with others.",
                "criteria": {"narrative": "Be nominated by three peers."},
                "image": {"id": self.url("/images/badge.png"), "type": "Image"},
            },
        }
        if subject_id is not None:
            subject["id"] = subject_id
        v2 = data_model == "2.0"
        document: dict[str, Any] = {
            # VC 1.1's context defines no Data Integrity terms: its proof needs their own.
            "@context": [VC_V2, OB_V3] if v2 else [VC_V1, OB_V3_V1, DATA_INTEGRITY_V1],
            "id": credential_id,
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "issuer": {
                "id": self.issuer_id(identity),
                "type": ["Profile"],
                "name": "Local Test Issuer",
            },
            "validFrom" if v2 else "issuanceDate": valid_from,
            "name": name,
            "credentialSubject": subject,
        }
        if valid_until is not None:
            document["validUntil" if v2 else "expirationDate"] = valid_until
        if status == "revocation-list":
            document["credentialStatus"] = {
                "id": self.revocation_list_url,
                "type": "1EdTechRevocationList",
            }
        elif status == "bitstring":
            index = self._indexes.setdefault(credential_id, len(self._indexes) + 7)
            document["credentialStatus"] = {
                "id": f"{self.status_list_url}#{index}",
                "type": "BitstringStatusListEntry",
                "statusPurpose": "revocation",
                "statusListIndex": str(index),
                "statusListCredential": self.status_list_url,
            }
        if refresh_url is not None:
            document["refreshService"] = {"id": refresh_url, "type": "1EdTechCredentialRefresh"}
        if status == "revocation-list" or refresh_url is not None:
            # The 1EdTech status and refresh types are defined by the extensions context.
            document["@context"] = [*document["@context"], OB_V3_EXTENSIONS]
        document.update(copy.deepcopy(extra))
        return document

    def sign(
        self,
        credential: dict[str, Any],
        *,
        method: str | None = None,
        key: ed25519.Ed25519PrivateKey | None = None,
        suite: Suite = "eddsa-rdfc-2022",
    ) -> dict[str, Any]:
        """The credential with a proof by its issuer's key: a DataIntegrityProof
        (eddsa-rdfc-2022), or an Ed25519Signature2020 (its context then added)."""
        issuer = credential["issuer"]
        issuer_id = issuer["id"] if isinstance(issuer, dict) else issuer
        if method is None:
            identity: Identity = (
                "did:key"
                if issuer_id == self.did_key
                else "did:web"
                if issuer_id == self.did_web
                else "url"
            )
            method = self.method(identity)
        if suite == "Ed25519Signature2020" and ED25519_2020 not in credential["@context"]:
            # VC 2.0's context defines DataIntegrityProof only: the older type needs its own.
            credential = {**credential, "@context": [*credential["@context"], ED25519_2020]}
        return sign_credential(credential, key or self.ed25519, method, suite=suite)

    def jwt(
        self,
        credential: dict[str, Any],
        *,
        alg: JwtAlgorithm = "RS256",
        embed_jwk: bool = False,
        claims: dict[str, Any] | None = None,
    ) -> str:
        """The credential as a VC-JWT: its `kid` names the issuer's key (or `jwk` embeds it)."""
        issuer = credential["issuer"]
        issuer_id = issuer["id"] if isinstance(issuer, dict) else issuer
        identity: Identity = "did:web" if issuer_id == self.did_web else "url"
        private, name = {
            "RS256": (self.rsa, "rs256"),
            "ES256": (self.ec, "es256"),
            "EdDSA": (self.ed25519, "ed25519"),
        }[alg]
        header: dict[str, Any] = {"alg": alg, "typ": "JWT"}
        if embed_jwk:
            header["jwk"] = public_jwk(private)
        else:
            header["kid"] = self.method(identity, name)
        v2 = credential["@context"][0] == VC_V2
        payload: dict[str, Any] = dict(credential) if v2 else {"vc": credential}
        payload |= {
            "iss": issuer_id,
            "jti": credential["id"],
            "nbf": _epoch(credential["validFrom" if v2 else "issuanceDate"]),
        }
        subject_id = credential["credentialSubject"].get("id")
        if subject_id:
            payload["sub"] = subject_id
        payload |= claims or {}
        return sign_jws(header, payload, private)

    def _methods(self, controller: str) -> list[dict[str, Any]]:
        methods: list[dict[str, Any]] = [
            {
                "id": f"{controller}#key-ed25519",
                "type": "Multikey",
                "controller": controller,
                "publicKeyMultibase": self.multikey,
            }
        ]
        for name, private in (("rs256", self.rsa), ("es256", self.ec)):
            methods.append(
                {
                    "id": f"{controller}#key-{name}",
                    "type": "JsonWebKey",
                    "controller": controller,
                    "publicKeyJwk": public_jwk(private),
                }
            )
        return methods


def sign_credential(
    credential: dict[str, Any],
    key: ed25519.Ed25519PrivateKey,
    method: str,
    *,
    created: str = "2024-01-01T00:00:00Z",
    suite: Suite = "eddsa-rdfc-2022",
) -> dict[str, Any]:
    """A Data Integrity proof (eddsa-rdfc-2022, vc-di-eddsa "Add Proof") added to a document;
    an Ed25519Signature2020 signs the same bytes, under its own proof type."""
    unsigned = {name: value for name, value in credential.items() if name != "proof"}
    kind: dict[str, Any] = (
        {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022"}
        if suite == "eddsa-rdfc-2022"
        else {"type": "Ed25519Signature2020"}
    )
    proof: dict[str, Any] = {
        **kind,
        "created": created,
        "verificationMethod": method,
        "proofPurpose": "assertionMethod",
    }
    options = {**proof, "@context": unsigned["@context"]}
    data = _hash_of(options) + _hash_of(unsigned)
    proof["proofValue"] = "z" + base58.b58encode(key.sign(data)).decode()
    return {**unsigned, "proof": proof}


def sign_jws(header: dict[str, Any], payload: dict[str, Any], private: Any) -> str:
    """A compact JWS of a JSON payload."""
    if isinstance(private, rsa.RSAPrivateKey):
        signer: RSAKey | ECKey | OKPKey = RSAKey(private, private)
    elif isinstance(private, ec.EllipticCurvePrivateKey):
        signer = ECKey(private, private)
    else:
        signer = OKPKey(private, private)
    body = json.dumps(payload).encode()
    with warnings.catch_warnings():
        # joserfc warns that RFC 9864 deprecates the name EdDSA; issuers still use it.
        warnings.simplefilter("ignore", SecurityWarning)
        token = jws.serialize_compact(header, body, signer, algorithms=[header["alg"]])
    return token.decode() if isinstance(token, bytes) else token


def public_jwk(private: Any) -> dict[str, Any]:
    """The public JWK of a private key."""
    kind = (
        RSAKey
        if isinstance(private, rsa.RSAPrivateKey)
        else (ECKey if isinstance(private, ec.EllipticCurvePrivateKey) else OKPKey)
    )
    jwk: dict[str, Any] = kind.import_key(private.public_key()).as_dict(private=False)
    return {name: value for name, value in jwk.items() if name != "kid"}


def multikey(key: ed25519.Ed25519PrivateKey) -> str:
    """The Multikey text (z6Mk...) of an Ed25519 key's public half."""
    raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return "z" + base58.b58encode(b"\xed\x01" + raw).decode()


def encode_status_list(bits: bytes) -> str:
    """An `encodedList`: multibase base64url (no padding) of the gzipped bits."""
    compressed = gzip.compress(bits)
    return "u" + base64.urlsafe_b64encode(compressed).decode().rstrip("=")


def _hash_of(document: dict[str, Any]) -> bytes:
    canonical = jsonld.normalize(
        document,
        {
            "algorithm": "URDNA2015",
            "format": "application/n-quads",
            "documentLoader": document_loader,
        },
    )
    return hashlib.sha256(canonical.encode()).digest()


def _epoch(moment: str) -> int:
    return int(datetime.fromisoformat(moment.replace("Z", "+00:00")).timestamp())
