"""An OpenBadgeCredential out of the text it came as: JSON, or a compact JWS (VC-JWT).

Which data model a credential follows decides its date properties (ob3-host.md A.2):
`@context[0]` `https://www.w3.org/2018/credentials/v1` is VC 1.1 (`issuanceDate`,
`expirationDate`), `https://www.w3.org/ns/credentials/v2` is VC 2.0 (`validFrom`,
`validUntil`). A VC-JWT carries a 1.1 credential in its `vc` claim and a 2.0 credential as
its whole payload. Nothing is verified here: the JWS is only decoded, so its signature,
header and claims are `vc_jwt`'s to judge.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from backpack.openbadges.errors import ParseError
from backpack.openbadges.parse import MAX_INPUT_BYTES, load_json

VC_1_1_CONTEXT: Final = "https://www.w3.org/2018/credentials/v1"
VC_2_0_CONTEXT: Final = "https://www.w3.org/ns/credentials/v2"
DataModel = Literal["1.1", "2.0"]

_COMPACT_JWS: Final = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")
_WHITESPACE: Final = re.compile(r"\s+")
# Text without any of these cannot be a credential (see `looks_like_credential`).
_JSON_MARKERS: Final = ('"vc"', "credentials", "VerifiableCredential")


@dataclass(frozen=True)
class Credential:
    """A credential as read: its JSON, the text received, and how it is secured."""

    document: dict[str, Any]  # the credential JSON (for a JWT: its `vc` claim or payload)
    original: str  # exactly the text received (JSON or compact JWS)
    jwt: str | None  # the compact JWS when it came as a VC-JWT
    data_model: DataModel

    @property
    def issued(self) -> Any:
        """`validFrom` (VC 2.0) or `issuanceDate` (VC 1.1), as written."""
        return self.document.get("validFrom" if self.data_model == "2.0" else "issuanceDate")

    @property
    def expires(self) -> Any:
        """`validUntil` (VC 2.0) or `expirationDate` (VC 1.1), as written, or None."""
        return self.document.get("validUntil" if self.data_model == "2.0" else "expirationDate")


def read_credential(text: str) -> Credential:
    """Read a credential from JSON or a compact JWS; ParseError with a reason otherwise."""
    if len(text) > MAX_INPUT_BYTES:
        raise ParseError(
            "The credential is larger than the library accepts.", code="input_too_large"
        )
    stripped = text.strip().lstrip("\ufeff")
    if stripped.startswith("{"):
        document = load_json(stripped)
        if not isinstance(document, dict):
            raise _not_a_credential("The JSON is not an object.")
        return Credential(document, text, None, _data_model(document, jwt=None))
    compact = _WHITESPACE.sub("", stripped)
    if not _COMPACT_JWS.match(compact):
        raise _not_a_credential("It is neither credential JSON nor a compact JWS (VC-JWT).")
    claims = _jws_payload(compact)
    carried = claims.get("vc")
    if carried is not None:
        if not isinstance(carried, dict):
            raise _not_a_credential("The VC-JWT's `vc` claim is not a JSON object.")
        return Credential(carried, text, compact, _data_model(carried, jwt="vc"))
    return Credential(claims, text, compact, _data_model(claims, jwt="payload"))


def is_credential_text(text: str) -> bool:
    """True for text that reads as a Verifiable Credential (JSON or VC-JWT), valid or not.

    Decides which verifier gets badge text: a credential goes to the 3.0 one, which
    explains what is wrong with it, rather than being called "not a badge".
    """
    try:
        stripped = text.strip().lstrip("\ufeff")
        if stripped.startswith("{"):
            if not any(marker in stripped for marker in _JSON_MARKERS):
                return False  # spares every 2.0 badge a second parse
            document = load_json(stripped)
        else:
            compact = _WHITESPACE.sub("", stripped)
            if not _COMPACT_JWS.match(compact):
                return False
            document = _jws_payload(compact)
    except ParseError:
        return False
    return isinstance(document, dict) and looks_like_credential(document)


def looks_like_credential(document: Mapping[str, Any]) -> bool:
    """True for a VC document or VC-JWT claims: a VC context first, a `vc` claim, or a VC type."""
    if isinstance(document.get("vc"), dict):
        return True
    if first_context(document) in (VC_1_1_CONTEXT, VC_2_0_CONTEXT):
        return True
    return "VerifiableCredential" in as_list(document.get("type"))


def first_context(document: Mapping[str, Any]) -> Any:
    """`@context[0]` (or the single context), or None."""
    context = document.get("@context")
    if isinstance(context, list):
        return context[0] if context else None
    return context


def as_list(value: Any) -> list[Any]:
    """A JSON value that may be one item or a list, as a list (None as an empty one)."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _data_model(document: Mapping[str, Any], *, jwt: Literal["vc", "payload"] | None) -> DataModel:
    first = first_context(document)
    if first == VC_1_1_CONTEXT:
        model: DataModel = "1.1"
    elif first == VC_2_0_CONTEXT:
        model = "2.0"
    else:
        raise ParseError(
            f"This is not an Open Badges 3.0 credential: its first @context must be "
            f"{VC_2_0_CONTEXT} (VC 2.0) or {VC_1_1_CONTEXT} (VC 1.1), not {_shown(first)}.",
            code="credential_context",
        )
    if jwt == "vc" and model != "1.1":
        raise _not_a_credential("A VC-JWT with a `vc` claim carries a VC 1.1 credential.")
    if jwt == "payload" and model != "2.0":
        raise _not_a_credential("A VC-JWT whose payload is the credential must be VC 2.0.")
    return model


def _jws_payload(compact: str) -> dict[str, Any]:
    # Decoded by hand rather than by joserfc, whose header size limit refuses real VC-JWTs
    # with an embedded RSA `jwk`; the header is vc_jwt's to read and judge.
    header_part, payload_part, _ = compact.split(".")
    document: dict[str, Any] = {}
    for part, what in ((header_part, "header"), (payload_part, "payload")):
        try:
            decoded = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        except (binascii.Error, ValueError):
            raise ParseError(
                f"The VC-JWT's {what} is not base64url.", code="jws_malformed"
            ) from None
        decoded_json = load_json(decoded)
        if not isinstance(decoded_json, dict):
            raise ParseError(f"The VC-JWT's {what} is not a JSON object.", code="jws_malformed")
        document = decoded_json
    return document


def _not_a_credential(reason: str) -> ParseError:
    return ParseError(
        f"This is not an Open Badges 3.0 credential: {reason}", code="not_a_credential"
    )


def _shown(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= 80 else text[:77] + "..."
