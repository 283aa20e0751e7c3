"""VC-JWT: algorithms, keys from kid or jwk, never jku/x5u, and the claims."""

from __future__ import annotations

import base64
import json
import re
import warnings
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from joserfc import jws
from joserfc.jwk import ECKey, OKPKey, RSAKey

from backpack.openbadges.codes import ERROR_CODES, WARNING_CODES
from backpack.openbadges.credentials.vc_jwt import verify_vc_jwt
from backpack.openbadges.report import ProofSummary, VerificationReport
from tests.openbadges.credentials.issuer_hosts import OB30, IssuerHosts

ISSUER = "https://example.com/issuers/876543"
KID = "https://example.com/keys/1"


def credential(**changes: Any) -> dict[str, Any]:
    """A VC 2.0 OpenBadgeCredential, the whole payload of its VC-JWT."""
    document = {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "urn:uuid:8d0e5a52-3c6c-4a2f-b2a3-0c9f5e7d8a11",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": ISSUER, "type": ["Profile"], "name": "Example Corp"},
        "validFrom": "2024-01-01T00:00:00Z",
        "validUntil": "2034-01-01T00:00:00.500Z",
        "name": "Teamwork Badge",
        "credentialSubject": {"id": "did:example:ebfeb1f712ebc6f1c276e12ec21"},
    }
    document.update(changes)
    return document


def claims_for(document: dict[str, Any]) -> dict[str, Any]:
    return {
        "iss": document["issuer"]["id"],
        "jti": document["id"],
        "nbf": 1704067200,
        "exp": 2019686400,
        "sub": document["credentialSubject"]["id"],
    }


def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def token(payload: dict[str, Any], key: Any, *, alg: str = "RS256", **header: Any) -> str:
    """Sign as an issuer would (joserfc warns of EdDSA's name and short keys: tests want them)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return jws.serialize_compact(
            {"alg": alg, **header}, json.dumps(payload).encode(), jose_key(key),
            algorithms=[alg],
        )  # fmt: skip


def jose_key(key: Any) -> RSAKey | ECKey | OKPKey:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if isinstance(key, rsa.RSAPrivateKey):
            return RSAKey.import_key(key)
        if isinstance(key, ec.EllipticCurvePrivateKey):
            return ECKey.import_key(key)
        return OKPKey.import_key(key)


def public_jwk(key: Any) -> dict[str, Any]:
    jwk: dict[str, Any] = jose_key(key).as_dict(private=False)
    return jwk


def unsigned_token(header: dict[str, Any], payload: dict[str, Any], signature: bytes) -> str:
    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    return ".".join(
        [part(json.dumps(header).encode()), part(json.dumps(payload).encode()), part(signature)]
    )


def check(
    jwt: str, document: dict[str, Any], hosts: IssuerHosts
) -> tuple[ProofSummary | None, VerificationReport]:
    report = VerificationReport(version="3.0")
    summary = verify_vc_jwt(jwt, document, resources=hosts.resources(report), report=report)
    assert all(m.code in ERROR_CODES for m in report.errors), report.errors
    assert all(m.code in WARNING_CODES for m in report.warnings), report.warnings
    return summary, report


def codes(report: VerificationReport) -> list[str]:
    return [m.code for m in report.errors]


def warning_codes(report: VerificationReport) -> set[str]:
    return {m.code for m in report.warnings}


def svg_token(name: str) -> str:
    match = re.search(r'verify="([^"]+)"', (OB30 / name).read_text())
    assert match is not None
    return match.group(1)


def payload_of(jwt: str) -> dict[str, Any]:
    part = jwt.split(".")[1]
    payload: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return payload


@pytest.mark.parametrize(
    ("name", "vc_claim"), [("simple-jwt.svg", False), ("simple-jwt_v1.svg", True)]
)
def test_1edtech_vc_jwts_with_an_embedded_rsa_jwk_verify(
    hosts: IssuerHosts, name: str, vc_claim: bool
) -> None:
    jwt = svg_token(name)
    assert len(jwt.split(".")[0]) > 512  # beyond joserfc's default header limit
    payload = payload_of(jwt)

    summary, report = check(jwt, payload["vc"] if vc_claim else payload, hosts)

    assert summary == ProofSummary("VC-JWT", "RS256", None)
    assert report.errors == []
    # 1EdTech's examples have no `sub`, and their key travels in the token.
    assert warning_codes(report) == {"jwt_sub_missing", "key_not_bound_to_issuer"}


def test_1edtech_simple_jwt_names_no_key(hosts: IssuerHosts) -> None:
    jwt = (OB30 / "simple.jwt").read_text().strip()

    summary, report = check(jwt, payload_of(jwt)["vc"], hosts)

    assert summary is None
    assert codes(report) == ["jwt_no_key"]


@pytest.mark.parametrize("alg", ["RS256", "ES256", "EdDSA"])
def test_each_algorithm_with_a_kid_the_issuer_serves(hosts: IssuerHosts, alg: str) -> None:
    key: Any
    if alg == "RS256":
        key = rsa_key()
    elif alg == "ES256":
        key = ec.generate_private_key(ec.SECP256R1())
    else:
        key = ed25519.Ed25519PrivateKey.generate()
    hosts.serve(KID, {"id": KID, **public_jwk(key)})
    document = credential()

    summary, report = check(token(claims_for(document) | document, key, alg=alg, kid=KID),
                            document, hosts)  # fmt: skip

    assert summary == ProofSummary("VC-JWT", alg, KID)
    assert report.errors == report.warnings == []


def test_a_kid_into_the_issuers_did_web_document(hosts: IssuerHosts) -> None:
    key = rsa_key()
    did = "did:web:example.com:issuers:876543"
    hosts.serve("https://example.com/issuers/876543/did.json", {
        "id": did,
        "verificationMethod": [{
            "id": "#key-1", "type": "JsonWebKey", "controller": did,
            "publicKeyJwk": public_jwk(key),
        }],
        "assertionMethod": ["#key-1"],
    })  # fmt: skip
    document = credential(issuer={"id": did, "type": ["Profile"]})

    summary, report = check(token(claims_for(document) | document, key, kid="#key-1"),
                            document, hosts)  # fmt: skip

    assert summary == ProofSummary("VC-JWT", "RS256", f"{did}#key-1")
    assert report.errors == []


def test_a_jwk_set_on_another_origin_is_not_the_issuers(hosts: IssuerHosts) -> None:
    key = rsa_key()
    kid = "https://dc.1edtech.org/jwks.json#k1"
    hosts.serve("https://dc.1edtech.org/jwks.json", {"keys": [{"kid": "k1", **public_jwk(key)}]})
    document = credential()

    summary, report = check(token(claims_for(document) | document, key, kid=kid), document, hosts)

    assert summary is None
    assert codes(report) == ["key_not_authorised"]


@pytest.mark.parametrize("alg", ["none", "HS256", "RS512", "PS256"])
def test_algorithms_outside_the_list_are_refused(hosts: IssuerHosts, alg: str) -> None:
    document = credential()
    jwt = unsigned_token({"alg": alg, "jwk": public_jwk(rsa_key())}, document, b"x" * 32)

    summary, report = check(jwt, document, hosts)

    assert summary is None
    assert codes(report) == ["jws_alg_not_allowed"]


def test_a_jwk_with_its_private_part_is_refused(hosts: IssuerHosts) -> None:
    key = rsa_key()
    private = RSAKey.import_key(key).as_dict(private=True)
    document = credential()

    summary, report = check(token(document, key, jwk=private), document, hosts)

    assert summary is None
    assert codes(report) == ["jwk_private"]


@pytest.mark.parametrize("name", ["jku", "x5u"])
def test_jku_and_x5u_are_never_followed(hosts: IssuerHosts, name: str) -> None:
    key = rsa_key()
    hosts.serve("https://example.com/jwks.json", {"keys": [public_jwk(key)]})
    document = credential()

    alone, refused = check(token(document, key, **{name: "https://example.com/jwks.json"}),
                           document, hosts)  # fmt: skip
    beside, report = check(
        token(claims_for(document) | document, key, jwk=public_jwk(key),
              **{name: "https://example.com/jwks.json"}),
        document, hosts,
    )  # fmt: skip

    assert alone is None
    assert codes(refused) == ["jwt_no_key"]
    assert beside is not None
    assert "jwt_header_ignored" in warning_codes(report)
    assert hosts.server.requests == []


def test_a_short_rsa_key_is_refused(hosts: IssuerHosts) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 - on purpose
    document = credential()

    summary, report = check(token(document, key, jwk=public_jwk(key)), document, hosts)

    assert summary is None
    assert codes(report) == ["key_too_small"]


def test_a_key_of_another_kind_than_the_algorithm_is_refused(hosts: IssuerHosts) -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    document = credential()
    jwt = unsigned_token({"alg": "RS256", "jwk": public_jwk(key)}, document, b"x" * 256)

    summary, report = check(jwt, document, hosts)

    assert summary is None
    assert codes(report) == ["jws_invalid_signature"]


def test_a_signature_from_another_key_fails(hosts: IssuerHosts) -> None:
    key = rsa_key()
    hosts.serve(KID, {"id": KID, **public_jwk(rsa_key())})
    document = credential()

    summary, report = check(token(claims_for(document) | document, key, kid=KID), document, hosts)

    assert summary is None
    assert codes(report) == ["jws_invalid_signature"]


@pytest.mark.parametrize(
    ("claim", "value", "code"),
    [
        ("iss", "https://example.com/issuers/other", "jwt_claim_mismatch"),
        ("jti", "urn:uuid:another", "jwt_claim_mismatch"),
        ("nbf", 1704067201, "jwt_claim_mismatch"),
        ("exp", 2019686401, "jwt_claim_mismatch"),
        ("sub", "did:example:someone-else", "jwt_claim_mismatch"),
        ("nbf", None, "jwt_claim_missing"),
        ("iss", None, "jwt_claim_missing"),
    ],
)
def test_claims_must_agree_with_the_credential(
    hosts: IssuerHosts, claim: str, value: Any, code: str
) -> None:
    key = rsa_key()
    hosts.serve(KID, {"id": KID, **public_jwk(key)})
    document = credential()
    claims = claims_for(document) | {claim: value}
    claims = {k: v for k, v in claims.items() if v is not None}

    summary, report = check(token(claims | document, key, kid=KID), document, hosts)

    assert summary is not None  # the signature itself is fine
    assert codes(report) == [code]


def test_a_fragment_kid_names_a_key_of_the_issuers_profile(hosts: IssuerHosts) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    hosts.serve(ISSUER, {
        "id": ISSUER, "type": "Profile",
        "verificationMethod": [{
            "id": f"{ISSUER}#jwt", "type": "JsonWebKey", "controller": ISSUER,
            "publicKeyJwk": public_jwk(key),
        }],
    })  # fmt: skip
    document = credential()

    summary, report = check(token(claims_for(document) | document, key, alg="ES256", kid="#jwt"),
                            document, hosts)  # fmt: skip

    assert summary == ProofSummary("VC-JWT", "ES256", f"{ISSUER}#jwt")
    assert report.errors == report.warnings == []
