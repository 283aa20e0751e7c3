"""Embedded proofs (W3C Data Integrity) of an Open Badges 3.0 credential.

Accepted, as the specification's integrity section and 1EdTech's displayer certification ask:

    DataIntegrityProof, cryptosuite eddsa-rdfc-2022    the current suite (must)
    DataIntegrityProof, cryptosuite eddsa-2022         its draft name: a warning
    Ed25519Signature2020                                the older suite: a warning

All three sign the same bytes (vc-di-eddsa, "Verify Proof"): the proof options (the proof
without `proofValue`, under the credential's `@context`) and the credential without its
proof are each canonicalised (URDNA2015, in safe mode) and hashed with SHA-256; Ed25519 signs
the proof options' hash followed by the credential's. With several proofs, one valid proof
whose key the issuer controls is enough, as the specification allows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from backpack.openbadges.codes import TRANSIENT_CODES
from backpack.openbadges.credentials.canonical import canonical_nquads, has_control_characters
from backpack.openbadges.credentials.keys import VerificationKey, bound_to_issuer, resolve_key
from backpack.openbadges.credentials.multibase import decode_multibase
from backpack.openbadges.errors import FetchError, OpenBadgesError, SignatureError
from backpack.openbadges.issuer_resources import IssuerResources, record_unavailable
from backpack.openbadges.report import ProofSummary, VerificationReport

CURRENT_SUITE: Final = "eddsa-rdfc-2022"
LEGACY_SUITE: Final = "eddsa-2022"
LEGACY_PROOF_TYPE: Final = "Ed25519Signature2020"
SIGNATURE_BYTES: Final = 64
# A credential with more proofs than this is refused rather than checked proof by proof.
MAX_PROOFS: Final = 8


@dataclass(frozen=True)
class _Verified:
    summary: ProofSummary
    key: VerificationKey
    legacy: str | None  # the older suite's name, when one was used


def verify_embedded_proofs(
    credential: Mapping[str, Any],
    *,
    issuer_id: str,
    resources: IssuerResources,
    report: VerificationReport,
) -> ProofSummary | None:
    """Verify a credential's embedded proofs; return the first one that verifies.

    Nothing is recorded when a proof verifies (but a warning for an older suite or a key no
    document ties to the issuer). When none does, every distinct reason is recorded as an
    error, or, when keys could only not be fetched, the fetch failure (transient codes make
    the report unverifiable); None is then returned.
    """
    proofs = _proofs(credential.get("proof"))
    if not proofs:
        report.error("proof_missing", "The credential carries no proof (no `proof`).")
        return None
    if len(proofs) > MAX_PROOFS:
        report.error("proof_malformed", f"The credential carries more than {MAX_PROOFS} proofs.")
        return None
    unsigned = {key: value for key, value in credential.items() if key != "proof"}
    # The credential's hash is computed once, by the first proof that needs it (keyed by
    # the escaping used: see `_signs`).
    document_hash: dict[bool, bytes] = {}
    failures: list[OpenBadgesError] = []
    for proof in proofs:
        try:
            verified = _verify_one(proof, unsigned, document_hash, issuer_id, resources)
        except OpenBadgesError as error:
            failures.append(error)
            continue
        _warn_about(verified, issuer_id, report)
        return verified.summary
    _record_failures(failures, report)
    return None


def _proofs(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _verify_one(
    proof: Any,
    unsigned: Mapping[str, Any],
    document_hash: dict[bool, bytes],
    issuer_id: str,
    resources: IssuerResources,
) -> _Verified:
    if not isinstance(proof, dict):
        raise SignatureError("A proof is not a JSON object.", code="proof_malformed")
    kind, suite = proof.get("type"), proof.get("cryptosuite")
    legacy = _suite(kind, suite)
    if proof.get("proofPurpose") != "assertionMethod":
        raise SignatureError(
            f"The proof's purpose is {_short(proof.get('proofPurpose'))}, not "
            "assertionMethod (a proof an issuer makes when it states something).",
            code="proof_purpose_invalid",
        )
    signature = _signature(proof.get("proofValue"))
    key = resolve_key(proof.get("verificationMethod"), issuer_id=issuer_id, resources=resources)
    if not isinstance(key.public_key, Ed25519PublicKey):
        raise SignatureError(
            f"The key {_short(key.id)} is not an Ed25519 key, which {kind} needs.",
            code="public_key_invalid",
        )
    options = _proof_options(proof, unsigned.get("@context"))
    if not _signs(key.public_key, signature, options, unsigned, document_hash):
        raise SignatureError(
            f"The {kind} signature does not match the credential: it was changed after "
            "signing, or signed with another key.",
            code="proof_invalid_signature",
        )
    summary = ProofSummary(type=str(kind), cryptosuite=_text(suite), verification_method=key.id)
    return _Verified(summary, key, legacy)


def _signs(
    key: Ed25519PublicKey,
    signature: bytes,
    options: Mapping[str, Any],
    unsigned: Mapping[str, Any],
    document_hash: dict[bool, bytes],
) -> bool:
    """Whether the signature covers the hashes of the proof options and the credential.

    Text holding control characters is canonicalised two ways, since signers escape them
    as RDFC-1.0 does or, with older libraries, not at all; other text has one form only.
    """
    both = has_control_characters(unsigned) or has_control_characters(options)
    for legacy in (False, True) if both else (False,):
        if legacy not in document_hash:
            document_hash[legacy] = _sha256(canonical_nquads(unsigned, legacy_escapes=legacy))
        options_hash = _sha256(canonical_nquads(options, legacy_escapes=legacy))
        try:
            key.verify(signature, options_hash + document_hash[legacy])
        except InvalidSignature:
            continue
        return True
    return False


def _suite(kind: Any, suite: Any) -> str | None:
    """Refuse a proof type or cryptosuite that is not accepted; name an older one."""
    if kind == LEGACY_PROOF_TYPE:
        return LEGACY_PROOF_TYPE
    if kind != "DataIntegrityProof":
        raise SignatureError(
            f"The proof type {_short(kind)} is not one this backpack verifies "
            "(DataIntegrityProof or Ed25519Signature2020).",
            code="proof_type_unsupported",
        )
    if suite == CURRENT_SUITE:
        return None
    if suite == LEGACY_SUITE:
        return LEGACY_SUITE
    raise SignatureError(
        f"The cryptosuite {_short(suite)} is not one this backpack verifies "
        f"({CURRENT_SUITE}, or the older {LEGACY_SUITE}).",
        code="proof_cryptosuite_unsupported",
    )


def _signature(value: Any) -> bytes:
    if not isinstance(value, str) or not value.startswith("z"):
        raise SignatureError(
            "The proof's proofValue is not a base58btc multibase value (z...).",
            code="proof_value_invalid",
        )
    try:
        signature = decode_multibase(value)
    except SignatureError as error:
        raise SignatureError(
            f"The proof's proofValue {error.message.removeprefix('The value ')}",
            code="proof_value_invalid",
        ) from None
    if len(signature) != SIGNATURE_BYTES:
        raise SignatureError(
            f"The proof's proofValue holds {len(signature)} bytes; an Ed25519 signature has 64.",
            code="proof_value_invalid",
        )
    return signature


def _proof_options(proof: Mapping[str, Any], context: Any) -> dict[str, Any]:
    """The proof without its value, under the credential's context (vc-data-integrity).

    A proof that names contexts of its own must name the credential's first ones, in order.
    """
    own = proof.get("@context")
    if own is not None:
        mine = own if isinstance(own, list) else [own]
        theirs = context if isinstance(context, list) else [context]
        if theirs[: len(mine)] != mine:
            raise SignatureError(
                "The proof's @context is not the start of the credential's @context.",
                code="proof_malformed",
            )
    options = {key: value for key, value in proof.items() if key != "proofValue"}
    options["@context"] = context
    return options


def _sha256(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


def _warn_about(verified: _Verified, issuer_id: str, report: VerificationReport) -> None:
    if verified.legacy is not None:
        report.warn(
            "proof_suite_legacy",
            f"The credential is signed with {verified.legacy}, an older suite; issuers now "
            f"use DataIntegrityProof with {CURRENT_SUITE}.",
        )
    if not bound_to_issuer(verified.key, issuer_id):
        report.warn(
            "key_not_bound_to_issuer",
            f"The credential is signed with {_short(verified.key.id)}, but its issuer "
            f"{_short(issuer_id)} is not an identifier any document can tie a key to.",
        )


def _record_failures(failures: list[OpenBadgesError], report: VerificationReport) -> None:
    # A proof whose key could not be fetched for now might still verify: the credential is
    # then unverifiable (checked again later), whatever the other proofs' failures were.
    transient = [f for f in failures if isinstance(f, FetchError) and f.code in TRANSIENT_CODES]
    if transient:
        record_unavailable(transient[0], report)
        return
    seen: set[tuple[str, str]] = set()
    for failure in failures:
        if (failure.code, failure.message) not in seen:
            seen.add((failure.code, failure.message))
            report.error(failure.code, failure.message)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _short(value: object) -> str:
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."
