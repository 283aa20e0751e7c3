"""The outcome of verifying one badge: a verdict, machine codes and human messages."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from backpack.openbadges.codes import TRANSIENT_CODES

VerificationKind = Literal["hosted", "signed"]


@dataclass(frozen=True)
class Message:
    """One problem or remark: a stable `code` (see `codes.py`) and a sentence for people."""

    code: str
    message: str

    def to_json(self) -> dict[str, str]:
        """Return the message as the `{"code", "message"}` object of the CLI contract."""
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True)
class BadgeSummary:
    """What a person wants to see of a badge at a glance."""

    name: str | None
    issuer_name: str | None
    issued_on: str | None
    expires: str | None

    def to_json(self) -> dict[str, str | None]:
        """Return the summary as the `badge` object of the CLI contract."""
        return {
            "name": self.name,
            "issuer_name": self.issuer_name,
            "issued_on": self.issued_on,
            "expires": self.expires,
        }


@dataclass(frozen=True)
class ProofSummary:
    """Which proof of an Open Badges 3.0 credential verified it, and with which key."""

    type: str  # DataIntegrityProof, Ed25519Signature2020 or VC-JWT
    cryptosuite: str | None  # eddsa-rdfc-2022, eddsa-2022; the JWS `alg` for a VC-JWT
    verification_method: str | None  # the key's id (a DID URL or https URL), when it has one

    def to_json(self) -> dict[str, str | None]:
        """Return the summary as the `proof` object of a 3.0 report."""
        return {
            "type": self.type,
            "cryptosuite": self.cryptosuite,
            "verification_method": self.verification_method,
        }


@dataclass
class VerificationReport:
    """Everything verification learned about a badge; `valid` only when there is no error."""

    version: str | None = None
    recipient_matched: bool | None = None
    matched_identity: str | None = None
    revoked: bool = False
    expired: bool = False
    unverifiable: bool = False
    errors: list[Message] = field(default_factory=list)
    warnings: list[Message] = field(default_factory=list)
    badge: BadgeSummary | None = None
    assertion: dict[str, Any] | None = None
    verification_kind: VerificationKind | None = None
    source_url: str | None = None
    # The BadgeClass image's bytes once checked, so the backpack keeps a copy without a refetch.
    badge_image: bytes | None = None
    # The text baked into an image handed in (JSON, JWS or URL), as read: what the backpack
    # keeps as the badge's original payload, without unbaking the image a second time.
    baked_text: str | None = None
    # Open Badges 3.0 only: the proof that verified the credential, and what its status
    # entry said: "active", "revoked", "unknown" (a status type not understood) or
    # "unreachable" (the list could not be fetched); None when it has no status entry.
    proof: ProofSummary | None = None
    credential_status: str | None = None
    # Open Badges 3.0: the text of the newer copy a refresh service returned, verified and
    # kept instead of the one handed in (whose `assertion` the report then describes).
    refreshed_original: str | None = None
    # Open Badges 3.0: the credential exactly as read (JSON or compact JWS), whether handed
    # in, unbaked from an image or fetched from a URL: the bytes a backpack keeps.
    credential_text: str | None = None

    @property
    def valid(self) -> bool:
        """True when verification found no error at all."""
        return not self.errors

    @property
    def status(self) -> str:
        """The verdict: unverifiable when an issuer out of reach is all that stands in the way
        (DESIGN section 4), else valid or invalid.

        A badge found expired, revoked or awarded to someone else is decided, not valid,
        whatever else could not be fetched.
        """
        if self.unverifiable and all(m.code in TRANSIENT_CODES for m in self.errors):
            return "unverifiable"
        return "valid" if self.valid else "invalid"

    def error(self, code: str, message: str) -> None:
        """Record a problem that makes the badge invalid."""
        self.errors.append(Message(code, message))

    def warn(self, code: str, message: str) -> None:
        """Record a remark that leaves the verdict unchanged."""
        if Message(code, message) not in self.warnings:
            self.warnings.append(Message(code, message))

    def to_json(self) -> dict[str, Any]:
        """Return exactly the object `badges verify --json` prints (DESIGN section 4)."""
        return {
            "valid": self.valid,
            "status": self.status,
            "version": self.version,
            "recipient_matched": self.recipient_matched,
            "revoked": self.revoked,
            "expired": self.expired,
            "errors": [m.to_json() for m in self.errors],
            "warnings": [m.to_json() for m in self.warnings],
            "badge": self.badge.to_json() if self.badge else None,
        } | (self._v3_json() if self.version == "3.0" else {})

    def _v3_json(self) -> dict[str, Any]:
        """What a 3.0 report adds to the CLI contract; a 2.0 report's keys stay as they were."""
        return {
            "proof": self.proof.to_json() if self.proof else None,
            "credential_status": self.credential_status,
        }


def summarise(assertion: Mapping[str, Any]) -> BadgeSummary:
    """Return the at-a-glance summary of a normalised assertion."""
    badge = assertion.get("badge") or {}
    issuer = badge.get("issuer") or {}

    def text(value: Any) -> str | None:
        return value if isinstance(value, str) else None

    return BadgeSummary(
        name=text(badge.get("name")),
        issuer_name=text(issuer.get("name")),
        issued_on=text(assertion.get("issuedOn")),
        expires=text(assertion.get("expires")),
    )
