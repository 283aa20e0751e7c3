"""Upgrading one badge document of any version into the Open Badges 2.0 vocabulary.

The steps are the reference verifier's (openbadges-specs.md section 3.2 item 8): 0.5 and
1.0 documents are rewritten as 1.1 ones, 1.1 and 2.0 documents are compacted into the 2.0
context, and 1.1 dates and alignments are then brought up to 2.0. Beyond the reference,
relative 0.5 URLs are resolved against the issuer's origin, as the Mozilla Backpack did,
and Mozilla Backpack stored bodies (flattened 1.0 assertions) are read too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Literal
from urllib.parse import urljoin, urlsplit

from backpack.openbadges.jsonld import V2_CONTEXT, compact_to_v2
from backpack.openbadges.parse import Version, is_mozilla_normalised
from backpack.openbadges.timestamps import parse_datetime, upgrade_datetime

NodeKind = Literal["Assertion", "BadgeClass", "Issuer", "Other"]

_ASSERTION_1_0: Final = ("uid", "recipient", "badge", "issuedOn", "expires", "image", "evidence")
_BADGE_CLASS_1_0: Final = (
    "name", "description", "image", "criteria", "issuer", "alignment", "tags",
)  # fmt: skip
_ISSUER_1_0: Final = ("name", "url", "email", "description", "image", "revocationList")
_ALIGNMENT_RENAMES: Final = (
    ("url", "targetUrl"), ("name", "targetName"), ("description", "targetDescription"),
)  # fmt: skip


def upgrade_node(
    document: Mapping[str, Any], version: Version, *, kind: NodeKind, url: str | None = None
) -> dict[str, Any]:
    """Return a document of any version as a 2.0 node; `url` is where it was fetched from."""
    if version == "2.0":
        return compact_to_v2(document)
    if version == "1.1":
        return _upgrade_1_1(compact_to_v2(document), kind)
    if version == "1.0":
        if kind == "Assertion" and is_mozilla_normalised(document):
            return _upgrade_mozilla_body(document, url)
        return _upgrade_1_1(_upgrade_1_0(document, kind, url), kind)
    return _upgrade_1_1(_upgrade_0_5(document, url), "Assertion")


def _upgrade_1_1(node: dict[str, Any], kind: NodeKind) -> dict[str, Any]:
    if kind == "Assertion":
        for key in ("issuedOn", "expires"):
            value = node.get(key)
            if value is not None and parse_datetime(value) is None:
                upgraded = upgrade_datetime(value)
                if upgraded is not None:
                    node[key] = upgraded
        verification = node.get("verification")
        # 1.x hosted badges did not always say so; an http(s) id is where they are hosted.
        if verification is None and _is_http_url(node.get("id")):
            node["verification"] = {"type": "hosted"}
        # In 1.x the signed verify.url is the issuer's public key: 2.0 calls it the creator.
        elif (
            isinstance(verification, dict)
            and str(verification.get("type")).lower() == "signed"
            and verification.get("creator") is None
            and isinstance(verification.get("url"), str)
        ):
            node["verification"] = {**verification, "creator": verification["url"]}
    elif kind == "BadgeClass" and node.get("alignment") is not None:
        alignment = node["alignment"]
        items = alignment if isinstance(alignment, list) else [alignment]
        node["alignment"] = [_upgrade_alignment(item) for item in items]
    return node


def _upgrade_alignment(item: Any) -> Any:
    if not isinstance(item, dict):
        return item
    upgraded = dict(item)
    for old, new in _ALIGNMENT_RENAMES:
        if upgraded.get(old) is not None and upgraded.get(new) is None:
            upgraded[new] = upgraded.pop(old)
    return upgraded


def _upgrade_1_0(document: Mapping[str, Any], kind: NodeKind, url: str | None) -> dict[str, Any]:
    node: dict[str, Any] = {"@context": V2_CONTEXT}
    if kind == "Assertion":
        verify = document.get("verify")
        verify = verify if isinstance(verify, dict) else {}
        method = str(verify.get("type", "")).lower()
        node["type"] = "Assertion"
        node["id"] = url or _assertion_id_1_0(method, verify.get("url"), document.get("uid"))
        node.update(_pick(document, _ASSERTION_1_0))
        if method in ("hosted", "signed"):
            node["verification"] = {"type": method, **_pick(verify, ("url",))}
        recipient = document.get("recipient")
        if isinstance(recipient, dict):
            node["recipient"] = {"type": "email", **recipient}
    elif kind == "BadgeClass":
        node.update({"type": "BadgeClass", "id": url, **_pick(document, _BADGE_CLASS_1_0)})
    elif kind == "Issuer":
        node.update({"type": "Issuer", "id": url, **_pick(document, _ISSUER_1_0)})
    else:
        node.update({k: v for k, v in document.items() if v is not None})
    return node


def _assertion_id_1_0(method: str, verify_url: Any, uid: Any) -> str | None:
    if method == "hosted" and isinstance(verify_url, str):
        return verify_url
    if uid is not None:
        return f"uid:{uid}"
    return None


def _identity_object(recipient: Any, salt: Any) -> Any:
    # 0.5 named the earner by a bare email address or hash, with the salt beside it.
    if isinstance(recipient, str):
        identity: dict[str, Any] = {"type": "email", "identity": recipient}
        identity["hashed"] = "@" not in recipient
        if isinstance(salt, str):
            identity["salt"] = salt
        return identity
    return recipient


def _upgrade_0_5(document: Mapping[str, Any], url: str | None) -> dict[str, Any]:
    badge = document.get("badge")
    badge = badge if isinstance(badge, dict) else {}
    issuer = badge.get("issuer")
    issuer = issuer if isinstance(issuer, dict) else {}
    origin = issuer.get("origin") if isinstance(issuer.get("origin"), str) else None
    verify = document.get("verify")
    hosted_url = url or (verify.get("url") if isinstance(verify, dict) else None)
    node: dict[str, Any] = {
        "@context": V2_CONTEXT,
        "type": "Assertion",
        "id": _absolute(hosted_url, origin),
        "recipient": _identity_object(document.get("recipient"), document.get("salt")),
        "verification": {"type": "hosted"},
        "issuedOn": document.get("issued_on", document.get("issuedOn")),
        "expires": document.get("expires"),
        "evidence": _absolute(document.get("evidence"), origin),
        "badge": {
            "type": "BadgeClass",
            "id": None,
            "name": badge.get("name"),
            "description": badge.get("description"),
            "image": _absolute(badge.get("image"), origin),
            "criteria": _absolute(badge.get("criteria"), origin),
            "issuer": _issuer_0_5(issuer, origin),
        },
    }
    return {key: value for key, value in node.items() if value is not None or key == "id"}


def _issuer_0_5(issuer: Mapping[str, Any], origin: str | None) -> dict[str, Any]:
    name = issuer.get("name")
    organisation = issuer.get("org")
    if isinstance(name, str) and isinstance(organisation, str) and organisation:
        name = f"{name}: {organisation}"
    upgraded = {
        "type": "Profile",
        # A 0.5 issuer is known only by its origin, which is also where its badges live.
        "id": origin,
        "name": name,
        "url": origin,
        "email": issuer.get("contact", issuer.get("email")),
    }
    return {key: value for key, value in upgraded.items() if value is not None}


def _upgrade_mozilla_body(document: Mapping[str, Any], url: str | None) -> dict[str, Any]:
    # The Mozilla Backpack flattened a 1.0 assertion: recipient became the identity string
    # (the object moved to _originalRecipient), issued_on was added, and badge and
    # badge.issuer became the fetched documents, their URLs kept in `_location`.
    original = dict(document)
    if isinstance(document.get("_originalRecipient"), dict):
        original["recipient"] = document["_originalRecipient"]
    else:
        original["recipient"] = _identity_object(document.get("recipient"), document.get("salt"))
    if original.get("issuedOn") is None:
        original["issuedOn"] = document.get("issued_on")
    badge = document.get("badge")
    node = _upgrade_1_1(_upgrade_1_0(original, "Assertion", url), "Assertion")
    if isinstance(badge, dict):
        issuer = badge.get("issuer")
        badge_url = badge.get("_location") if isinstance(badge.get("_location"), str) else None
        upgraded_badge = _upgrade_1_1(_upgrade_1_0(badge, "BadgeClass", badge_url), "BadgeClass")
        if isinstance(issuer, dict):
            issuer_url = issuer.get("_location")
            issuer_url = issuer_url if isinstance(issuer_url, str) else issuer.get("origin")
            upgraded_badge["issuer"] = _upgrade_1_0(issuer, "Issuer", issuer_url)
        node["badge"] = upgraded_badge
    return node


def _pick(document: Mapping[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {key: document[key] for key in keys if document.get(key) is not None}


def _absolute(value: Any, origin: str | None) -> Any:
    if isinstance(value, str) and origin and not urlsplit(value).scheme:
        return urljoin(origin if origin.endswith("/") else origin + "/", value)
    return value


def _is_http_url(value: Any) -> bool:
    return isinstance(value, str) and value.lower().startswith(("http://", "https://"))
