"""One stored shape for badges of every version: a self-contained Open Badges 2.0 assertion.

```
{"@context": "https://w3id.org/openbadges/v2", "type": "Assertion", "id", "uid"?,
 "recipient": {"type", "identity", "hashed", "salt"?},
 "badge": {"id", "type", "name", "description", "image", "criteria": {"id"?, "narrative"?},
           "issuer": {"id", "type", "name", "url", "email"?, "description"?, "image"?,
                      "telephone"?, "publicKey"?, "revocationList"?, "verification"?},
           "alignment": [{"targetName", "targetUrl", "targetDescription"?, ...}], "tags": []},
 "verification": {"type": "HostedBadge" | "SignedBadge", "creator"?},
 "issuedOn", "expires"?, "evidence"?: [{"id"?, "narrative"?, ...}], "narrative"?, "image"?,
 "revoked"?, "revocationReason"?}
```

The badge and issuer are always objects; when they could not be fetched they hold only
their `id`. Values that cannot be read are kept as they came, for validation to report.
Nothing here changes its input: the caller keeps the original bytes or text verbatim.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from backpack.openbadges.jsonld import V2_CONTEXT

_VERIFICATION_TYPES: Final = {"hosted": "HostedBadge", "signed": "SignedBadge"}
_ISSUER_KEYS: Final = ("email", "description", "image", "telephone", "revocationList")
_ASSERTION_KEYS: Final = ("expires", "narrative", "image", "revoked", "revocationReason", "uid")
_ALIGNMENT_KEYS: Final = (
    "targetName", "targetUrl", "targetDescription", "targetFramework", "targetCode",
)  # fmt: skip
_EVIDENCE_KEYS: Final = ("id", "narrative", "name", "description", "genre", "audience")


def normalise_assertion(
    assertion: Mapping[str, Any],
    *,
    badge_class: Mapping[str, Any] | None = None,
    issuer: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Assemble the stored shape from an upgraded assertion, its BadgeClass and its issuer."""
    badge = badge_class if badge_class is not None else _as_node(assertion.get("badge"))
    profile = issuer if issuer is not None else _as_node(badge.get("issuer"))
    result: dict[str, Any] = {
        "@context": V2_CONTEXT,
        "type": assertion.get("type", "Assertion"),
        "id": assertion.get("id"),
        "recipient": _recipient(assertion.get("recipient")),
        "badge": _badge_class(badge, profile),
        "verification": _verification(assertion.get("verification")),
        "issuedOn": assertion.get("issuedOn"),
    }
    for key in _ASSERTION_KEYS:
        if assertion.get(key) is not None:
            result[key] = _iri(assertion[key]) if key == "image" else assertion[key]
    if assertion.get("evidence") is not None:
        result["evidence"] = [_evidence(item) for item in _as_list(assertion["evidence"])]
    return result


def _as_node(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    return {"id": value} if value is not None else {}


def _is_reference(node: Mapping[str, Any]) -> bool:
    return set(node) <= {"id", "@context"}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _iri(value: Any) -> Any:
    # An Image or other node object given where a URL is expected stands for its id.
    return value.get("id") if isinstance(value, dict) else value


def _recipient(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    recipient = {key: value[key] for key in ("type", "identity", "hashed", "salt") if key in value}
    hashed = recipient.get("hashed")
    # 1.0 badges wrote booleans as strings.
    if isinstance(hashed, str) and hashed.strip().lower() in ("true", "false"):
        recipient["hashed"] = hashed.strip().lower() == "true"
    if isinstance(recipient.get("type"), str) and recipient["type"].lower() == "email":
        recipient["type"] = "email"
    return recipient


def _verification(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    verification = dict(value)
    kind = verification.get("type")
    if isinstance(kind, str):
        verification["type"] = _VERIFICATION_TYPES.get(kind.lower(), kind)
    return verification


def _badge_class(badge: Mapping[str, Any], issuer: Mapping[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {
        "id": badge.get("id"),
        "type": badge.get("type", "BadgeClass"),
        "name": badge.get("name"),
        "description": badge.get("description"),
        "image": _iri(badge.get("image")),
        "criteria": _criteria(badge.get("criteria")),
        "issuer": _profile(issuer),
        "alignment": [_alignment(item) for item in _as_list(badge.get("alignment") or [])],
        "tags": [tag for tag in _as_list(badge.get("tags") or []) if tag is not None],
    }
    if _is_reference(badge):
        # Only a reference: the BadgeClass itself was not available.
        return {"id": badge.get("id"), "issuer": result["issuer"]}
    return result


def _criteria(value: Any) -> Any:
    if isinstance(value, str):
        return {"id": value}
    if isinstance(value, dict):
        return {key: value[key] for key in ("id", "narrative") if value.get(key) is not None}
    return value


def _alignment(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    return {key: value[key] for key in _ALIGNMENT_KEYS if value.get(key) is not None}


def _evidence(value: Any) -> Any:
    if isinstance(value, str):
        return {"id": value}
    if isinstance(value, dict):
        return {key: value[key] for key in _EVIDENCE_KEYS if value.get(key) is not None}
    return value


def _profile(issuer: Mapping[str, Any]) -> dict[str, Any]:
    if _is_reference(issuer):
        return {"id": issuer.get("id")}
    result: dict[str, Any] = {
        "id": issuer.get("id"),
        "type": issuer.get("type", "Issuer"),
        "name": issuer.get("name"),
        "url": issuer.get("url"),
    }
    for key in _ISSUER_KEYS:
        if issuer.get(key) is not None:
            result[key] = _iri(issuer[key]) if key == "image" else issuer[key]
    if issuer.get("publicKey") is not None:
        result["publicKey"] = _as_list(issuer["publicKey"])
    if isinstance(issuer.get("verification"), dict):
        result["verification"] = dict(issuer["verification"])
    return result


def verification_kind(node: Mapping[str, Any]) -> str | None:
    """Return "hosted" or "signed" for an assertion of any version, or None if it says neither."""
    verification = node.get("verification")
    kind = str(verification.get("type")).lower() if isinstance(verification, dict) else ""
    return {
        "hostedbadge": "hosted",
        "hosted": "hosted",
        "signedbadge": "signed",
        "signed": "signed",
    }.get(kind)


def same_award(first: Mapping[str, Any], second: Mapping[str, Any]) -> bool:
    """Return True if two upgraded assertions award the same badge to the same recipient."""
    return _award(first) == _award(second)


def _award(node: Mapping[str, Any]) -> tuple[Any, ...]:
    recipient = node.get("recipient")
    recipient = recipient if isinstance(recipient, dict) else {"identity": recipient}
    identity = recipient.get("identity")
    badge = node.get("badge")
    # A 0.5 badge has no id of its own; its name stands for it.
    badge_id = badge.get("id") or badge.get("name") if isinstance(badge, dict) else badge
    return (
        str(recipient.get("type")).lower(),
        identity.lower() if isinstance(identity, str) else identity,
        recipient.get("salt"),
        badge_id,
    )
