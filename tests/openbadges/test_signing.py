"""Signed badges: compact JWS checked with joserfc against issuers' public keys."""

from __future__ import annotations

import base64
import datetime
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from backpack.openbadges.errors import ParseError, SignatureError
from backpack.openbadges.signing import decode_jws, load_public_key, verify_jws
from tests.openbadges.issuer_site import (
    PrivateKey,
    ec_key,
    ed25519_key,
    public_pem,
    rsa_key,
    sign,
)

OB20 = "digital-credentials-public-validator/inspector-vc/src/test/resources/ob20"
PAYLOAD = {"@context": "https://w3id.org/openbadges/v2", "type": "Assertion", "id": "urn:uuid:1"}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token_by_hand(header: dict[str, str], payload: bytes, signature: bytes = b"") -> str:
    return ".".join([b64(json.dumps(header).encode()), b64(payload), b64(signature)])


@pytest.mark.parametrize(
    ("key", "alg"),
    [
        (rsa_key(), "RS256"),
        (rsa_key(), "RS512"),
        (rsa_key(), "PS256"),
        (ec_key(), "ES256"),
        (ed25519_key(), "Ed25519"),
    ],
    ids=["RS256", "RS512", "PS256", "ES256", "Ed25519"],
)
def test_signature_verifies_with_the_signers_public_key(key: PrivateKey, alg: str) -> None:
    token = sign(PAYLOAD, key, alg=alg)
    assert json.loads(verify_jws(token, load_public_key(public_pem(key)))) == PAYLOAD


def test_eddsa_signature_verifies_without_a_deprecation_warning() -> None:
    key = ed25519_key()
    header, payload = b64(b'{"alg":"EdDSA"}'), b64(json.dumps(PAYLOAD).encode())
    signature = b64(key.sign(f"{header}.{payload}".encode()))
    assert verify_jws(f"{header}.{payload}.{signature}", load_public_key(public_pem(key)))


def test_tampered_payload_fails_verification() -> None:
    header, _, signature = sign(PAYLOAD, rsa_key()).split(".")
    forged = b64(json.dumps({**PAYLOAD, "id": "urn:uuid:2"}).encode())
    with pytest.raises(SignatureError) as raised:
        verify_jws(f"{header}.{forged}.{signature}", load_public_key(public_pem(rsa_key())))
    assert raised.value.code == "jws_invalid_signature"


def test_signature_by_another_key_fails_verification() -> None:
    token = sign(PAYLOAD, rsa_key(name="impostor"))
    with pytest.raises(SignatureError) as raised:
        verify_jws(token, load_public_key(public_pem(rsa_key())))
    assert raised.value.code == "jws_invalid_signature"


def test_algorithm_of_another_key_kind_fails_verification() -> None:
    token = sign(PAYLOAD, ec_key(), alg="ES256")
    with pytest.raises(SignatureError, match="RSA key") as raised:
        verify_jws(token, load_public_key(public_pem(rsa_key())))
    assert raised.value.code == "jws_invalid_signature"


@pytest.mark.parametrize("alg", ["none", "HS256", "HS512", "XYZ"])
def test_unsigned_hmac_and_unknown_algorithms_are_refused(alg: str) -> None:
    token = token_by_hand(
        {"alg": alg}, json.dumps(PAYLOAD).encode(), b"x" if alg != "none" else b""
    )
    with pytest.raises(SignatureError) as raised:
        verify_jws(token, load_public_key(public_pem(rsa_key())))
    assert raised.value.code == "jws_alg_not_allowed"


@pytest.mark.parametrize("token", ["abc.def.ghi", "a.b", "", "e30.e30.", "bm90IGpzb24.e30.eA"])
def test_malformed_jws_is_reported_as_malformed(token: str) -> None:
    with pytest.raises(ParseError) as raised:
        verify_jws(token, load_public_key(public_pem(rsa_key())))
    assert raised.value.code == "jws_malformed"


@pytest.mark.parametrize("alg", ["rs256", "Rs384", "rs512"])
def test_legacy_badges_may_name_the_rs_family_in_lower_case(alg: str) -> None:
    canonical = alg.upper()
    key = rsa_key()
    token = sign(PAYLOAD, key, alg=canonical)
    _, payload, _ = token.split(".")
    # The header as Mozilla's tools wrote it: the signature covers these very bytes.
    header = b64(json.dumps({"alg": alg}).encode())
    resigned = sign_input(key, canonical, f"{header}.{payload}")
    lower_case = f"{header}.{payload}.{resigned}"
    assert decode_jws(lower_case).algorithm == alg
    assert verify_jws(lower_case, load_public_key(public_pem(key)), legacy=True)
    # A 2.0 badge must name its algorithm exactly, however well it is signed.
    with pytest.raises(SignatureError) as raised:
        verify_jws(lower_case, load_public_key(public_pem(key)))
    assert raised.value.code == "jws_alg_not_allowed"


def sign_input(key: PrivateKey, alg: str, signing_input: str) -> str:
    assert isinstance(key, rsa.RSAPrivateKey)
    digest = {"RS256": hashes.SHA256(), "RS384": hashes.SHA384(), "RS512": hashes.SHA512()}[alg]
    return b64(key.sign(signing_input.encode(), padding.PKCS1v15(), digest))


def test_unverified_read_gives_header_and_payload() -> None:
    read = decode_jws(sign(PAYLOAD, rsa_key()))
    assert read.algorithm == "RS256"
    assert json.loads(read.payload) == PAYLOAD


def test_payload_larger_than_joserfcs_token_limit_verifies() -> None:
    payload = {**PAYLOAD, "image": "data:image/png;base64," + "A" * 300_000}
    token = sign(payload, rsa_key())
    assert json.loads(verify_jws(token, load_public_key(public_pem(rsa_key())))) == payload


@pytest.mark.parametrize(
    "mangle",
    [
        lambda pem: pem.replace("\n", ""),
        lambda pem: pem.replace("\n", "\\n"),
        lambda pem: pem.replace("\n", "\r\n"),
        lambda pem: "  " + pem + "\n\n",
    ],
    ids=["one line", "escaped newlines", "crlf", "padded"],
)
def test_public_keys_published_with_broken_line_breaks_load(mangle: Callable[[str], str]) -> None:
    pem = mangle(public_pem(rsa_key()))
    token = sign(PAYLOAD, rsa_key())
    assert verify_jws(token, load_public_key(pem))


def test_certificate_pem_gives_its_public_key() -> None:
    key = rsa_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "issuer.example")])
    now = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    pem = certificate.public_bytes(serialization.Encoding.PEM).decode()
    assert verify_jws(sign(PAYLOAD, key), load_public_key(pem))


@pytest.mark.parametrize(
    "pem", ["", "garbage", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"]
)
def test_unreadable_public_key_is_reported(pem: str) -> None:
    with pytest.raises(SignatureError) as raised:
        load_public_key(pem)
    assert raised.value.code == "public_key_invalid"


def test_short_rsa_key_works_and_is_flagged_weak() -> None:
    key = rsa_key(1024, name="old")
    loaded = load_public_key(public_pem(key))
    assert loaded.weak
    assert loaded.bits == 1024
    assert verify_jws(sign(PAYLOAD, key), loaded)
    assert not load_public_key(public_pem(rsa_key())).weak


def test_reference_validators_signed_badge_verifies_with_its_key_only(corpus: Path) -> None:
    token = (corpus / OB20 / "simple.jwt").read_text()
    key1, key2 = (
        json.loads((corpus / OB20 / "assets" / name).read_text())["publicKeyPem"]
        for name in ("key1.json", "key2.json")
    )
    assert json.loads(verify_jws(token, load_public_key(key1)))["type"] == "Assertion"
    with pytest.raises(SignatureError):
        verify_jws(token, load_public_key(key2))
