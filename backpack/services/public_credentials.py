"""Open Badges 3.0 credentials as visitors get them: as issued, or not at all.

A 2.0 assertion can be changed before it is shown (public_pages.public_assertion hashes a
recipient given in plain text), but a 3.0 credential is signed: changing one byte breaks it.
So the original is published only when it names its recipient in no plain-text form; one
that does (an unhashed identifier, a subject id that is not a DID) is withheld from visitors,
who then see what the page shows and nothing more. The earner still downloads it in full.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from backpack.models import Badge
from backpack.openbadges import OpenBadgesError, bake
from backpack.services.errors import ServiceError

CREDENTIAL_VERSION = "3.0"
BAKEABLE = {"image/png": "png", "image/svg+xml": "svg"}
WITHHELD_REASON = (
    "The credential names its recipient in plain text; it is signed, so that cannot be "
    "hidden without breaking it, and it is not published."
)


def is_credential(badge: Badge) -> bool:
    """Whether the badge is an Open Badges 3.0 credential (kept verbatim in original_payload)."""
    return badge.version == CREDENTIAL_VERSION


def _subject(credential: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    subject = credential.get("credentialSubject")
    subjects = subject if isinstance(subject, list) else [subject]
    return [s for s in subjects if isinstance(s, Mapping)]


def names_recipient_in_plain_text(credential: Mapping[str, Any]) -> bool:
    """Whether the credential shows who it was awarded to in a readable form.

    A DID is the holder's own public identifier, made to be presented; anything else given
    as the subject's id (an email, a URL, an account) and any identifier not hashed is plain.
    """
    for subject in _subject(credential):
        subject_id = subject.get("id")
        if subject_id is not None and not (
            isinstance(subject_id, str) and subject_id.strip().startswith("did:")
        ):
            return True
        identifiers = subject.get("identifier")
        entries = identifiers if isinstance(identifiers, list) else [identifiers]
        for entry in entries:
            if isinstance(entry, Mapping) and entry.get("hashed") is not True:
                return True
    return False


def _document(badge: Badge) -> Mapping[str, Any]:
    credential = (badge.assertion or {}).get("credential")
    return credential if isinstance(credential, Mapping) else {}


def is_publishable(badge: Badge) -> bool:
    """Whether visitors may have the credential as issued."""
    return is_credential(badge) and not names_recipient_in_plain_text(_document(badge))


def is_jwt(badge: Badge) -> bool:
    """Whether the credential came as a compact JWS (VC-JWT) rather than JSON."""
    return not (badge.original_payload or "").lstrip().startswith("{")


def public_entry(badge: Badge) -> dict[str, Any] | str:
    """A 3.0 badge in a public JSON-LD document: the credential as issued (its JSON object,
    or the compact JWS string), or a note saying why it is withheld."""
    if is_publishable(badge):
        if is_jwt(badge):
            return badge.original_payload.strip()
        try:
            document = json.loads(badge.original_payload)
        except ValueError:
            document = None  # intake keeps only readable credentials; never a 500 for one
        if isinstance(document, dict):
            return document
    credential = _document(badge)
    return {
        "type": "OpenBadgeCredential",
        "id": credential.get("id") if isinstance(credential.get("id"), str) else None,
        "withheld": WITHHELD_REASON,
    }


@dataclass(frozen=True)
class Download:
    """A file for the visitor: its bytes, media type and file name."""

    data: bytes
    mime_type: str
    filename: str
    sha256: str


def _filename(badge: Badge, extension: str) -> str:
    stem = "".join(c if c.isascii() and c.isalnum() else "-" for c in badge.name)[:60]
    return f"{stem.strip('-') or 'credential'}.{extension}"


def _download(badge: Badge, data: bytes, mime_type: str, extension: str) -> Download:
    return Download(data, mime_type, _filename(badge, extension), hashlib.sha256(data).hexdigest())


def download_formats(badge: Badge) -> list[str]:
    """The files a visitor may download for this badge: the credential itself (json or jws)
    and, when its picture can carry one, the picture with the credential baked in."""
    if not is_publishable(badge):
        return []
    formats = ["jws" if is_jwt(badge) else "json"]
    image = badge.badge_class.image
    if image is not None and image.mime_type in BAKEABLE:
        formats.append(BAKEABLE[image.mime_type])
    return formats


def _plain(badge: Badge, fmt: str) -> Download:
    text = badge.original_payload.strip()
    if fmt == "jws":
        return _download(badge, text.encode(), "application/vc+jwt", "jws")
    return _download(badge, text.encode(), "application/vc+ld+json", "json")


def earner_download(badge: Badge) -> Download:
    """The credential exactly as received, for its earner (whatever it names); ServiceError
    for a badge older than 3.0."""
    if not is_credential(badge):
        raise ServiceError("Only Open Badges 3.0 credentials have this file.")
    return _plain(badge, "jws" if is_jwt(badge) else "json")


def public_download(badge: Badge, fmt: str) -> Download:
    """The credential as issued, plain or baked into the badge's picture as the spec says
    (PNG iTXt `openbadgecredential`, SVG `<openbadges:credential>`); ServiceError when this
    badge offers no such file.

    The picture is the badge class's, as public pages show it, never the earner's own copy.
    """
    if fmt not in download_formats(badge):
        raise ServiceError("This credential is not offered in that form.")
    if fmt in ("json", "jws"):
        return _plain(badge, fmt)
    image = badge.badge_class.image
    assert image is not None  # download_formats offers pictures only when there is one
    try:
        baked = bake(image.data, badge.original_payload.strip(), keyword="openbadgecredential")
    except OpenBadgesError as exc:
        raise ServiceError(exc.message) from exc
    return _download(badge, baked, image.mime_type, fmt)
