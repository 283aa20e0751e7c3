"""Property-based fuzzing of the library's parsers: whatever the input, each one returns or
raises an OpenBadgesError, never another exception, never a RecursionError, never hangs.

Each test runs a fixed number of examples from a fixed seed, so `make test` stays quick and
repeatable. A longer run with other inputs (a few minutes):

    BACKPACK_FUZZ_EXAMPLES=20000 BACKPACK_FUZZ_SEED=$RANDOM \\
        .venv/bin/python -m pytest tests/openbadges/test_fuzz_parsers.py -q

A failure prints the smallest input found, and the seed reproduces it.
"""

from __future__ import annotations

import contextlib
import json
import os
import struct
import zlib
from base64 import urlsafe_b64encode
from collections.abc import Callable
from datetime import timedelta
from functools import cache
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from joserfc import jws
from joserfc.jwk import ECKey

from backpack.openbadges.baking import bake, unbake
from backpack.openbadges.errors import OpenBadgesError
from backpack.openbadges.issuer_resources import IssuerResources
from backpack.openbadges.json_limits import MAX_JSON_DEPTH, decode_json
from backpack.openbadges.normalise import normalise_assertion
from backpack.openbadges.parse import parse_badge_text
from backpack.openbadges.report import VerificationReport
from backpack.openbadges.safe_fetcher import Fetcher
from backpack.openbadges.signed_verification import verify_signature
from backpack.openbadges.signing import decode_jws, load_public_key, verify_jws
from backpack.openbadges.timestamps import parse_datetime, upgrade_datetime
from backpack.openbadges.upgrades import upgrade_node
from tests.support.issuer import make_png, make_svg
from tests.support.normalising import normalise

EXAMPLES = int(os.environ.get("BACKPACK_FUZZ_EXAMPLES", "150"))
SEED = int(os.environ.get("BACKPACK_FUZZ_SEED", "20261203"))
# A parser that takes seconds over a few kilobytes is a parser an attacker can stall.
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=timedelta(seconds=3),
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

V2 = "https://w3id.org/openbadges/v2"
CONTEXTS = (
    V2,
    "https://w3id.org/openbadges/v1",
    "http://standard.openbadges.org/1.1/context.json",
    "https://www.w3.org/2018/credentials/v1",
    "https://w3id.org/security/v2",
    "https://example.org/unknown-context.json",
)
# The words badges of every version use, so that documents look enough like badges to get
# past the first checks.
VOCABULARY = (
    "@context", "@id", "@type", "@vocab", "@list", "@value", "type", "id", "uid",
    "recipient", "identity", "hashed", "salt", "badge", "issuer", "issuedOn", "issued_on",
    "expires", "verify", "verification", "method", "url", "creator", "publicKey",
    "publicKeyPem", "owner", "name", "description", "image", "criteria", "narrative",
    "evidence", "alignment", "targetName", "targetUrl", "tags", "email", "origin", "org",
    "revoked", "revocationReason", "revocationList", "version", "_originalRecipient",
    "_location", "vc", "credentialSubject", "related", "endorsement",
)  # fmt: skip
BADGE_TEXT = (
    "ann@example.org",
    "sha256$" + "ab" * 32,
    "md5$ABCDEF",
    "hosted",
    "signed",
    "HostedBadge",
    "Assertion",
    "2016-12-31T23:59:59Z",
    "2016-12-31",
    "1483228799",
    "0001-01-01T00:00:00+00:01",
    "9999-12-31T23:59:59-00:01",
    "https://issuer.example/badge.json",
    "/relative/path.png",
    "data:image/png;base64,iVBORw0KGgo=",
    "urn:uuid:0",
    "_:b0",
)

leaves = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(BADGE_TEXT + CONTEXTS)
)
keys = st.sampled_from(VOCABULARY) | st.text(max_size=6)
json_values = st.recursive(
    leaves,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=6),
    max_leaves=30,
)


def nested(depth: int) -> Any:
    """A value as deep as decode_json lets a document be (MAX_JSON_DEPTH)."""
    value: Any = "https://issuer.example/deep"
    for level in range(depth):
        value = [value] if level % 2 else {"badge": value}
    return value


deep_values = st.integers(1, MAX_JSON_DEPTH - 1).map(nested)
documents = st.dictionaries(keys, json_values | deep_values, max_size=10)
badge_documents = st.fixed_dictionaries(
    {},
    optional={
        "@context": st.sampled_from(CONTEXTS) | st.lists(st.sampled_from(CONTEXTS)) | json_values,
        "recipient": st.sampled_from(BADGE_TEXT) | documents,
        "badge": st.sampled_from(BADGE_TEXT) | documents,
        "verify": documents,
        "verification": documents,
        "issuedOn": leaves,
        "expires": leaves,
        "type": leaves,
        "id": leaves,
        "evidence": json_values,
    },
).flatmap(lambda core: documents.map(lambda extra: {**extra, **core}))


def only_library_errors(parse: Callable[[], object]) -> None:
    """Run a parser: returning or an OpenBadgesError is fine, anything else fails the test."""
    with contextlib.suppress(OpenBadgesError):
        parse()


def b64(data: bytes) -> str:
    return urlsafe_b64encode(data).rstrip(b"=").decode()


@cache
def signing_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def public_pem() -> str:
    return (
        signing_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def signed(payload: bytes, header: dict[str, Any] | None = None) -> str:
    key = ECKey(signing_key(), signing_key())
    return jws.serialize_compact(header or {"alg": "ES256"}, payload, key)


# --- JSON and badge text -------------------------------------------------------------------


@seed(SEED)
@FUZZ
@given(
    st.binary(max_size=300)
    | st.text(max_size=300)
    | json_values.map(json.dumps)
    | st.integers(1, 3000).map(lambda depth: "[" * depth + "]" * (depth % 7))
    | st.sampled_from(['"\\ud800"', '{"a": "\\u0000"}', "1" * 5000, "1e999999", "-0"])
)
def test_decode_json_returns_or_refuses(data: str | bytes) -> None:
    only_library_errors(lambda: decode_json(data))


jws_parts = st.one_of(
    st.text("ABCDEFabcdef0123456789-_=", max_size=40),
    st.dictionaries(keys | st.sampled_from(["alg", "crit", "b64", "jwk", "kid"]), json_values).map(
        lambda header: b64(json.dumps(header).encode())
    ),
    json_values.map(lambda value: b64(json.dumps(value).encode())),
    st.binary(max_size=40).map(b64),
)


@seed(SEED)
@FUZZ
@given(
    st.text(max_size=200)
    | json_values.map(json.dumps)
    | badge_documents.map(json.dumps)
    | st.tuples(jws_parts, jws_parts, jws_parts).map(".".join)
    | st.text(max_size=60).map(lambda rest: "https://" + rest)
)
def test_parse_badge_text_returns_or_refuses(text: str) -> None:
    only_library_errors(lambda: parse_badge_text(text))


# --- JWS -----------------------------------------------------------------------------------

headers = st.fixed_dictionaries(
    {"alg": st.sampled_from(["ES256", "RS256", "EdDSA", "none", "HS256", "ES512"]) | leaves},
    optional={
        "crit": json_values,
        "b64": leaves,
        "kid": leaves,
        "jwk": json_values,
        "typ": leaves,
    },
)


@st.composite
def mutated_tokens(draw: st.DrawFn) -> str:
    """A real signed badge, or one with a part swapped, a character changed or cut short."""
    payload = draw(badge_documents.map(json.dumps) | st.binary(max_size=50).map(b64))
    token = signed(payload.encode())
    parts = token.split(".")
    match draw(st.sampled_from(["none", "header", "cut", "char"])):
        case "header":
            parts[0] = b64(json.dumps(draw(headers)).encode())
        case "cut":
            return token[: draw(st.integers(0, len(token)))]
        case "char":
            at = draw(st.integers(0, len(token) - 1))
            return token[:at] + draw(st.characters()) + token[at + 1 :]
    return ".".join(parts)


@seed(SEED)
@FUZZ
@given(mutated_tokens() | st.tuples(jws_parts, jws_parts, jws_parts).map(".".join))
def test_reading_and_verifying_a_jws_returns_or_refuses(token: str) -> None:
    key = load_public_key(public_pem())
    only_library_errors(lambda: decode_jws(token))
    only_library_errors(lambda: verify_jws(token, key))


@st.composite
def issuer_keys(draw: st.DrawFn) -> Any:
    pem = public_pem()
    at = draw(st.integers(0, len(pem)))
    return draw(
        st.just(pem)
        | st.just(pem[:at] + draw(st.text(max_size=5)) + pem[at:])
        | st.text(max_size=80).map(lambda body: f"-----BEGIN PUBLIC KEY-----{body}-----END")
        | json_values
    )


@seed(SEED)
@FUZZ
@given(
    token=mutated_tokens(),
    key_node=st.fixed_dictionaries({"publicKeyPem": issuer_keys()}, optional={"id": leaves}),
    creator=leaves,
    listed=json_values,
    version=st.sampled_from(["1.0", "1.1", "2.0"]),
)
def test_checking_a_signature_against_the_issuers_keys_returns_or_refuses(
    token: str, key_node: dict[str, Any], creator: Any, listed: Any, version: Any
) -> None:
    # Every address is refused, so a key named by URL fails to fetch without any network.
    resources = IssuerResources(Fetcher(address_policy=lambda _: False), VerificationReport())
    issuer = {"id": "https://issuer.example/", "publicKey": [key_node, listed]}
    assertion = {"badge": {"issuer": issuer}, "verification": {"creator": creator}}
    only_library_errors(
        lambda: verify_signature(token, assertion, version, resources, VerificationReport())
    )


# --- dates ---------------------------------------------------------------------------------

date_texts = st.builds(
    "{:04d}-{:02d}-{:02d}{}{:02d}:{:02d}:{:02d}{}{}".format,
    st.integers(0, 10000),
    st.integers(0, 13),
    st.integers(0, 32),
    st.sampled_from(["T", "t", " ", ""]),
    st.integers(0, 25),
    st.integers(0, 61),
    st.integers(0, 61),
    st.sampled_from(["", ".5", ".123456789", ",1"]),
    st.sampled_from(["Z", "z", "", "+00:01", "-00:01", "+23:59", "-24:00", "+99:99", "+0530"]),
)


@seed(SEED)
@FUZZ
@given(date_texts | st.text(max_size=40) | leaves | st.floats() | st.integers())
def test_dates_are_read_or_refused(value: Any) -> None:
    only_library_errors(lambda: parse_datetime(value))
    only_library_errors(lambda: upgrade_datetime(value))


# --- normalising ---------------------------------------------------------------------------


@seed(SEED)
@FUZZ
@given(badge_documents, st.none() | st.sampled_from(BADGE_TEXT) | st.text(max_size=30))
def test_normalising_any_document_returns_or_refuses(document: Any, url: Any) -> None:
    only_library_errors(lambda: normalise(document, source_url=url))


@seed(SEED)
@FUZZ
@given(
    badge_documents,
    documents,
    documents,
    st.sampled_from(["0.5", "1.0", "1.1", "2.0"]),
    st.none() | st.sampled_from(BADGE_TEXT),
)
def test_upgrading_and_assembling_documents_returns_or_refuses(
    assertion: Any, badge_class: Any, issuer: Any, version: Any, url: Any
) -> None:
    def assemble() -> object:
        return normalise_assertion(
            upgrade_node(assertion, version, kind="Assertion", url=url),
            badge_class=upgrade_node(badge_class, version, kind="BadgeClass", url=url),
            issuer=upgrade_node(issuer, version, kind="Issuer", url=url),
        )

    only_library_errors(assemble)


# --- unbaking ------------------------------------------------------------------------------

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# What a baker accepts: badge JSON, a signed badge, or a hosted URL.
bakeable_payloads = (
    badge_documents.map(json.dumps)
    | st.just("https://issuer.example/assertions/1.json")
    | st.builds(lambda: signed(b'{"recipient": "ann@example.org"}'))
)


def png_chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    chunks, position = [], len(PNG_SIGNATURE)
    while position < len(png):
        (length,) = struct.unpack_from(">I", png, position)
        chunks.append((png[position + 4 : position + 8], png[position + 8 : position + 8 + length]))
        position += 12 + length
    return chunks


def png_from(chunks: list[tuple[bytes, bytes]]) -> bytes:
    return PNG_SIGNATURE + b"".join(
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        for kind, data in chunks
    )


def baked(image: bytes, payload: str) -> bytes:
    """The image with the payload baked in, or a hosted URL where the baker refuses it."""
    try:
        return bake(image, payload)
    except OpenBadgesError:
        return bake(image, "https://issuer.example/assertions/1.json")


@st.composite
def mutated_pngs(draw: st.DrawFn) -> bytes:
    """A baked PNG with chunks changed, added, dropped or reordered, CRCs kept right."""
    chunks = png_chunks(baked(make_png(size=4), draw(bakeable_payloads)))
    text = draw(st.binary(max_size=60))
    extra = draw(
        st.sampled_from(
            [
                (b"iTXt", b"openbadges\x00\x01\x00\x00\x00" + zlib.compress(text)),
                (b"iTXt", b"openbadges\x00\x01\x00\x00\x00" + text),
                (b"iTXt", b"openbadges\x00" + text),
                (b"iTXt", b"openbadgecredential\x00\x00\x00en\x00\x00" + text),
                (b"zTXt", b"openbadges\x00\x00" + zlib.compress(text * 50)),
                (b"tEXt", b"openbadges\x00" + text),
                (b"IHDR", text[:13]),
                (b"IEND", text),
            ]
        )
    )
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(chunks) - 1))
        kind, data = chunks[at]
        match draw(st.sampled_from(["insert", "drop", "flip", "cut", "swap"])):
            case "insert":
                chunks.insert(at, extra)
            case "drop":
                del chunks[at]
            case "flip" if data:
                spot = draw(st.integers(0, len(data) - 1))
                chunks[at] = (kind, data[:spot] + bytes([data[spot] ^ 0xFF]) + data[spot + 1 :])
            case "cut":
                chunks[at] = (kind, data[: draw(st.integers(0, len(data)))])
            case "swap":
                chunks[at], chunks[-1] = chunks[-1], chunks[at]
        if not chunks:
            chunks.append(extra)
    image = png_from(chunks)
    # Now and then a raw cut, as a broken download would leave it.
    return image[: draw(st.integers(0, len(image)))] if draw(st.booleans()) else image


SVG_PIECES = (
    "<!DOCTYPE svg [<!ENTITY x 'y'>]>",
    "&x;",
    "<![CDATA[",
    "]]>",
    '<openbadges:assertion xmlns:openbadges="http://openbadges.org" verify="',
    "</openbadges:assertion>",
    '<?xml version="1.0" encoding="utf-16"?>',
    "<svg>",
    "</svg>",
    '"',
    "\x00",
)


@st.composite
def mutated_svgs(draw: st.DrawFn) -> bytes:
    """A baked SVG with markup put in, taken out or cut short."""
    text = baked(make_svg(), draw(bakeable_payloads)).decode()
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        match draw(st.sampled_from(["insert", "delete", "cut"])):
            case "insert":
                piece = draw(st.sampled_from(SVG_PIECES) | st.text(max_size=8))
                text = text[:at] + piece + text[at:]
            case "delete":
                text = text[:at] + text[at + draw(st.integers(1, 20)) :]
            case "cut":
                text = text[:at]
    return text.encode("utf-8", "surrogatepass")


@seed(SEED)
@FUZZ
@given(mutated_pngs() | mutated_svgs() | st.binary(max_size=200))
def test_unbaking_any_image_returns_or_refuses(image: bytes) -> None:
    only_library_errors(lambda: unbake(image))
