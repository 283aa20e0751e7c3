"""Verification methods: from a proof's `verificationMethod` (or a JWT's `kid`) to a public key.

Three kinds of method are understood, as the Open Badges 3.0 specification asks
("Dereferencing the Public Key"):

    did:key:z6Mk...        an Ed25519 Multikey written in the identifier itself (no fetch)
    did:web:host[:path]    the DID document at https://host/path/did.json (or
                           https://host/.well-known/did.json), `%3A` standing for a port colon
    https://...            a controller document (often the issuer profile) listing the key in
                           `verificationMethod`, or a key document of its own

A key is always read from a fetched document, never from the fragment of its URL: anyone can
write `https://issuer.example/#z6Mk<their own key>`. The method's `controller` must be the
credential's issuer, and a key document that lives apart from its controller must also be
listed by the controller's document. Every fetch goes through `IssuerResources`, hence the
SSRF-safe fetcher: a DID document at a private address is refused like any other URL.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal
from urllib.parse import unquote, urlsplit

from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from backpack.openbadges.credentials.jwk import key_from_jwk, native_key
from backpack.openbadges.credentials.multibase import ed25519_from_multikey
from backpack.openbadges.errors import FetchError, SignatureError
from backpack.openbadges.issuer_resources import IssuerResources

__all__ = ["VerificationKey", "did_web_url", "key_from_jwk", "resolve_key"]

NativePublicKey = Ed25519PublicKey | RSAPublicKey | EllipticCurvePublicKey
Where = Literal["listed", "apart", "origin"]

MULTIBASE_TYPES: Final = frozenset({"Multikey", "Ed25519VerificationKey2020"})
JWK_TYPES: Final = frozenset({"JsonWebKey", "JsonWebKey2020"})
_WHAT: Final = "the issuer's key document"


@dataclass(frozen=True)
class VerificationKey:
    """A public key its issuer vouches for: the method's id, its controller and the key."""

    id: str
    controller: str
    public_key: NativePublicKey


def resolve_key(method: Any, *, issuer_id: str, resources: IssuerResources) -> VerificationKey:
    """Dereference a verification method (a DID URL or https URL) to its issuer's public key.

    Raises SignatureError with a stable code when the method is malformed, unsupported, not
    found, not the issuer's or not a usable key; FetchError when a document cannot be fetched
    (transient codes leave the credential unverifiable, not invalid).
    """
    if not isinstance(method, str) or not method.strip():
        raise _refused("The proof names no verification method.", "verification_method_invalid")
    scheme = method.split(":", 1)[0].lower() if ":" in method else ""
    where: Where = "listed"
    if method.startswith("did:key:"):
        key = _did_key(method)
    elif method.startswith("did:web:") or scheme in ("http", "https"):
        key, where = _from_documents(method, resources)
    elif scheme == "did":
        raise _refused(
            f"The verification method {_short(method)} uses a DID method this backpack does not "
            "resolve (only did:key and did:web).",
            "did_method_unsupported",
        )
    else:
        raise _refused(
            f"The verification method {_short(method)} is not a DID URL or an https URL.",
            "verification_method_invalid",
        )
    if where == "origin":
        vouched = _origin(issuer_id) == key.controller
    else:
        vouched = key.controller == issuer_id or _self_certified_for(key, issuer_id)
    if not vouched:
        raise _refused(
            f"The key {_short(key.id)} is controlled by {_short(key.controller)}, not by the "
            f"credential's issuer {_short(issuer_id)}.",
            "key_not_authorised",
        )
    if where == "apart":
        _check_claimed_by_controller(key, resources)
    return key


def bound_to_issuer(key: VerificationKey, issuer_id: str) -> bool:
    """Whether the issuer id itself names the key's controller (see `_self_certified_for`)."""
    return key.controller == issuer_id


def _self_certified_for(key: VerificationKey, issuer_id: str) -> bool:
    # A did:key controls itself. When the issuer's id is a name nothing can be fetched for
    # (urn:uuid:...), no document could ever vouch for any key, and 1EdTech's own
    # conformance credential does this; callers warn (see `bound_to_issuer`). An issuer with
    # an https or DID identifier must control the key.
    resolvable = issuer_id.startswith(("did:", "http://", "https://"))
    named = ":" in issuer_id  # an absolute IRI (urn:uuid:...), not a missing issuer
    return key.id.startswith("did:key:") and named and not resolvable


def did_web_url(did: str) -> str:
    """The https URL of a did:web identifier's DID document (W3C CCG did:web, "Read")."""
    specific = did.removeprefix("did:web:")
    parts = specific.split(":")
    if not specific or any(not part for part in parts) or any(c in specific for c in "/?#@"):
        raise _refused(f"{_short(did)} is not a well-formed did:web identifier.", "did_invalid")
    host = unquote(parts[0])  # only the host part may hold a percent-encoded port colon
    if any(c in host for c in "/?#@\\"):
        raise _refused(f"{_short(did)} names a malformed host.", "did_invalid")
    path = "/".join(unquote(part) for part in parts[1:])
    url = f"https://{host}/{path}/did.json" if path else f"https://{host}/.well-known/did.json"
    try:
        parsed = urlsplit(url)
        parsed.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        raise _refused(f"{_short(did)} names a malformed host.", "did_invalid") from None
    if parsed.netloc != host or not parsed.hostname:
        raise _refused(f"{_short(did)} names a malformed host.", "did_invalid")
    return url


def _did_key(method: str) -> VerificationKey:
    did, _, fragment = method.partition("#")
    value = did.removeprefix("did:key:")
    if fragment and fragment != value:
        raise _refused(
            f"The did:key method {_short(method)} names a fragment other than its own key.",
            "verification_method_invalid",
        )
    if not value.startswith("z6Mk"):
        raise _refused(
            f"{_short(did)} is not an Ed25519 did:key (z6Mk...), the only kind accepted.",
            "public_key_invalid",
        )
    return VerificationKey(f"{did}#{value}", did, ed25519_from_multikey(value))


def _from_documents(method: str, resources: IssuerResources) -> tuple[VerificationKey, Where]:
    """The key, and where it was found: in its controller's document, apart from it, or
    as a JWK whose web origin stands for its controller."""
    base, _, fragment = method.partition("#")
    document = _fetch(base, resources)
    declared = document.get("id")
    if declared is not None and declared != base:
        # Else a document anywhere could speak for the id it claims (the issuer's).
        raise _refused(
            f"The document at {_short(base)} declares the id {_short(declared)}.",
            "did_document_invalid" if base.startswith("did:") else "id_mismatch",
        )
    if "kty" in document or isinstance(document.get("keys"), list):
        return _from_jwk_document(document, method, base, fragment), "origin"
    if not fragment and _is_key_node(document):
        entry: Mapping[str, Any] = document  # a key document of its own
    else:
        entry = _listed_method(document, method, base)
    controller = entry.get("controller", base if entry is not document else None)
    if not isinstance(controller, str):
        raise _refused(f"The key {_short(method)} names no controller.", "public_key_invalid")
    key = VerificationKey(method, controller, _public_key(entry, method))
    return key, "listed" if controller == base else "apart"


def _from_jwk_document(
    document: Mapping[str, Any], method: str, base: str, fragment: str
) -> VerificationKey:
    """A bare JWK, or a JWK Set, at an https URL (what a VC-JWT `kid` may name).

    Nothing in a JWK names its owner, so its controller is the web origin serving it: the
    key is the issuer's only when the issuer's id is on that origin.
    """
    if "kty" in document:
        jwk: Any = document
    else:
        keys = [k for k in document["keys"] if isinstance(k, dict)]
        chosen = [k for k in keys if k.get("kid") == fragment] if fragment else keys
        if len(chosen) != 1:
            raise _refused(
                f"The key set at {_short(base)} holds no single key {_short(fragment)}.",
                "verification_method_not_found",
            )
        jwk = chosen[0]
    return VerificationKey(method, _origin(base), native_key(key_from_jwk(jwk)))


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _check_claimed_by_controller(key: VerificationKey, resources: IssuerResources) -> None:
    # A key document can name anyone as its controller; only the controller can confirm.
    controller_document = _fetch(key.controller.partition("#")[0], resources)
    if key.id not in _method_ids(controller_document, key.controller):
        raise _refused(
            f"The key {_short(key.id)} names {_short(key.controller)} as its controller, but "
            "that document does not list it.",
            "key_not_authorised",
        )


def _fetch(url: str, resources: IssuerResources) -> Mapping[str, Any]:
    location = did_web_url(url) if url.startswith("did:web:") else url
    if url.startswith("did:") and not url.startswith("did:web:"):
        raise _refused(f"{_short(url)} cannot be resolved here.", "did_method_unsupported")
    document, _ = resources.json_document(location, _WHAT, lasting=True)
    if not isinstance(document, dict):
        raise FetchError(f"The key document at {location} is not a JSON object.", code="not_json")
    return document


def _listed_method(document: Mapping[str, Any], method: str, holder: str) -> Mapping[str, Any]:
    is_did = holder.startswith("did:")
    for entry in _method_entries(document):
        if isinstance(entry, dict) and _absolute(entry.get("id"), holder) == method:
            if is_did and method not in _method_ids(document, holder, relation="assertionMethod"):
                raise _refused(
                    f"The DID document lists {_short(method)} but not for signing "
                    "credentials (assertionMethod).",
                    "key_not_authorised",
                )
            return entry
    raise _refused(
        f"The document at {_short(holder)} lists no key {_short(method)}.",
        "verification_method_not_found",
    )


def _method_entries(document: Mapping[str, Any]) -> list[Any]:
    entries: list[Any] = []
    for relation in ("verificationMethod", "assertionMethod"):
        value = document.get(relation)
        entries.extend(value if isinstance(value, list) else [value] if value else [])
    return entries


def _method_ids(
    document: Mapping[str, Any], holder: str, *, relation: str | None = None
) -> set[str]:
    if relation is None:
        entries = _method_entries(document)
    else:
        value = document.get(relation)
        entries = value if isinstance(value, list) else [value]
    ids = {_absolute(e.get("id") if isinstance(e, dict) else e, holder) for e in entries}
    return {i for i in ids if i}


def _absolute(value: Any, holder: str) -> str | None:
    if not isinstance(value, str):
        return None
    return holder + value if value.startswith("#") else value


def _is_key_node(node: Mapping[str, Any]) -> bool:
    return any(k in node for k in ("publicKeyMultibase", "publicKeyJwk"))


def _public_key(entry: Mapping[str, Any], method: str) -> NativePublicKey:
    kinds = entry.get("type")
    types = set(kinds) if isinstance(kinds, list) else {kinds}
    multibase, jwk = entry.get("publicKeyMultibase"), entry.get("publicKeyJwk")
    if types & MULTIBASE_TYPES and isinstance(multibase, str):
        return ed25519_from_multikey(multibase)
    if types & JWK_TYPES and isinstance(jwk, dict):
        return native_key(key_from_jwk(jwk))
    raise _refused(
        f"The key {_short(method)} is of type {_short(kinds)}; accepted are Multikey and "
        "Ed25519VerificationKey2020 (publicKeyMultibase) and JsonWebKey (publicKeyJwk).",
        "public_key_invalid",
    )


def _refused(message: str, code: str) -> SignatureError:
    return SignatureError(message, code=code)


def _short(value: object) -> str:
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."
