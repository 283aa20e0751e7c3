"""Generated Mozilla Backpack data: badge bodies in the shapes Mozilla stored, and its ZIPs.

Shapes follow mozilla-backpack.md section 5: 0.5 bodies (a bare or hashed recipient,
relative URLs under `issuer.origin`) and 1.0 bodies flattened by `normalize-assertion.js`
(`_originalRecipient`, `issued_on`, embedded `badge` with `_location`); hosted badges are
baked the way the backpack baked them lazily (the body plus `verify.url` = endpoint),
signed ones with their JWS.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc import jws
from joserfc.jwk import RSAKey

from backpack.openbadges.baking import bake
from tests.support.issuer import make_png, make_svg

ORIGIN = "https://gone-issuer.invalid"  # issuers of 2013 are gone; nothing may fetch them


def hashed(email: str, salt: str) -> str:
    """A recipient hash as 1.0 issuers wrote it."""
    return "sha256$" + hashlib.sha256((email + salt).encode()).hexdigest()


@dataclass(frozen=True)
class MozillaBadge:
    """One `badge` row: the stored body, and the hosted endpoint or the JWS."""

    number: int
    email: str
    body: str
    endpoint: str | None = None
    signature: str | None = None
    svg: bool = False

    @property
    def body_hash(self) -> str:
        return hashlib.sha256(self.body.encode()).hexdigest()

    def baked_payload(self) -> str:
        """What the backpack baked into the image it served (section 1.3)."""
        if self.signature is not None:
            return self.signature
        document = json.loads(self.body)
        document["verify"] = {"type": "hosted", "url": self.endpoint}
        return json.dumps(document)

    def baked_image(self) -> bytes:
        picture = make_svg() if self.svg else make_png((self.number * 37 % 256, 90, 160), 16)
        return bake(picture, self.baked_payload())


def body_0_5(number: int, email: str, *, salt: str | None = None) -> MozillaBadge:
    """A 0.5 assertion, stored unchanged; its hosted URL lives only in `endpoint`."""
    document: dict[str, Any] = {
        "recipient": hashed(email, salt) if salt else email,
        "evidence": f"/badges/html5-basic/{number}",
        "issued_on": "2011-06-01",
        "badge": {
            "version": "0.5.0",
            "name": f"HTML5 Fundamental {number}",
            "image": "/img/html5-basic.png",
            "description": "Knows the difference between a <section> and an <article>",
            "criteria": "/badges/html5-basic",
            "issuer": {
                "name": "P2PU",
                "org": "School of Webcraft",
                "contact": "admin@p2pu.example",
                "origin": ORIGIN,
            },
        },
    }
    if salt:
        document["salt"] = salt
    return MozillaBadge(
        number, email, json.dumps(document), endpoint=f"{ORIGIN}/assertions/{number}.json"
    )


def original_1_0(number: int, email: str, verify: dict[str, str]) -> dict[str, Any]:
    """A 1.0 assertion as its issuer hosted or signed it."""
    salt = f"salt{number}"
    return {
        "uid": f"uid-{number}",
        "recipient": {
            "type": "email",
            "hashed": True,
            "salt": salt,
            "identity": hashed(email, salt),
        },
        "badge": f"{ORIGIN}/badges/{number % 7}.json",
        "verify": verify,
        "issuedOn": 1403784577 + number,
    }


def mozilla_normalised(original: dict[str, Any]) -> dict[str, Any]:
    """The flattening `lib/normalize-assertion.js` stored for a 1.0 assertion."""
    body = dict(original)
    body["_originalRecipient"] = original["recipient"]
    body["recipient"] = original["recipient"]["identity"]
    body["salt"] = original["recipient"]["salt"]
    body["issued_on"] = original["issuedOn"]
    kind = int(original["badge"].rsplit("/", 1)[1].split(".")[0])
    body["badge"] = {
        "name": f"Community Contributor {kind}",
        "description": "Contributed to the community.",
        "image": f"{ORIGIN}/images/{kind}.png",
        "criteria": f"{ORIGIN}/criteria/{kind}",
        "issuer": {
            "name": "Gone Institute",
            "url": ORIGIN,
            "_location": f"{ORIGIN}/issuer.json",
            "origin": ORIGIN,
        },
        "_location": original["badge"],
    }
    return body


def body_1_0_hosted(number: int, email: str) -> MozillaBadge:
    endpoint = f"{ORIGIN}/assertions/{number}.json"
    original = original_1_0(number, email, {"type": "hosted", "url": endpoint})
    return MozillaBadge(number, email, json.dumps(mozilla_normalised(original)), endpoint=endpoint)


@functools.cache
def _key() -> RSAKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return RSAKey.import_key(pem)


def body_1_0_signed(number: int, email: str, *, svg: bool = False) -> MozillaBadge:
    original = original_1_0(number, email, {"type": "signed", "url": f"{ORIGIN}/key.pem"})
    token = jws.serialize_compact({"alg": "RS256"}, json.dumps(original).encode(), _key())
    body = json.dumps(mozilla_normalised(original))
    return MozillaBadge(number, email, body, signature=token, svg=svg)


def sample_badges(primary: str, other: str) -> list[MozillaBadge]:
    """One user's badges in every stored shape: 0.5 plain and hashed, 1.0 hosted and signed,
    PNG and SVG; the last one was awarded to the user's `other` address."""
    return [
        body_0_5(1, primary),
        body_0_5(2, primary, salt="pepper"),
        body_1_0_hosted(3, primary),
        body_1_0_signed(4, primary),
        body_1_0_signed(5, primary, svg=True),
        body_1_0_hosted(6, other),
    ]


def mozilla_zip(
    files: dict[str, bytes], manifest: dict[str, list[str]] | str | None = None
) -> bytes:
    """A ZIP with `manifest.txt` (JSON, or raw text, or none) and the given entries."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        if manifest is not None:
            text = manifest if isinstance(manifest, str) else json.dumps(manifest)
            archive.writestr("manifest.txt", text)
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def export_zip(badges: list[MozillaBadge], *, prefix: str = "") -> bytes:
    """The ZIP Mozilla sent in 2019 for these badges: email -> `<body_hash>.png|svg`."""
    files: dict[str, bytes] = {}
    manifest: dict[str, list[str]] = {}
    for badge in badges:
        name = f"{badge.body_hash}.{'svg' if badge.svg else 'png'}"
        files[prefix + name] = badge.baked_image()
        manifest.setdefault(badge.email, []).append(name)  # by base name when prefixed
    return mozilla_zip(files, manifest)
