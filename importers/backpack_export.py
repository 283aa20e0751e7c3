"""This server's own export (`services/export.py`), restored into an account on any instance."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from backpack.models import User
from backpack.models.badges import UNCHECKED
from backpack.services import accounts, collections, emails
from backpack.services import badges as badge_service
from backpack.services.errors import ServiceError
from backpack.services.export import BADGES, FORMAT, MANIFEST, VERSION
from backpack.services.unchecked_intake import receive_unchecked
from importers.mozilla_zip import Budget, read_entry
from importers.pipeline import (
    Outcome,
    Pipeline,
    RecordRefused,
    SourceFailure,
    SourceUnreadable,
    Unit,
)

MAX_MANIFEST_BYTES = 16 * 1024 * 1024
MAX_LINE_BYTES = 8 * 1024 * 1024
# Who checked a restored badge on the date its export gives, as the badge's page names it.
EXPORTING_BACKPACK = "The backpack it was exported from"
# An export uploaded on the website is the earner's word only: it may list at most this
# many addresses (an account rarely has more), and none of them counts as verified here.
MAX_UPLOADED_ADDRESSES = 20


def read_manifest(archive: zipfile.ZipFile) -> dict[str, Any]:
    """The export's manifest, checked to be one this server wrote."""
    try:
        info = archive.getinfo(MANIFEST)
    except KeyError:
        raise SourceUnreadable(f"This is not a backpack export: it holds no {MANIFEST}.") from None
    if info.file_size > MAX_MANIFEST_BYTES:
        raise SourceUnreadable(f"{MANIFEST} is larger than an export's manifest can be.")
    try:
        with archive.open(info) as stream:
            manifest = json.loads(stream.read(MAX_MANIFEST_BYTES + 1))
    except (ValueError, zipfile.BadZipFile, OSError, RuntimeError):
        raise SourceUnreadable(f"{MANIFEST} is not readable JSON.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise SourceUnreadable("This is not a backpack export (its manifest says otherwise).")
    if manifest.get("version") != VERSION:
        raise SourceUnreadable(
            f"This export is of version {manifest.get('version')}; {VERSION} is read."
        )
    return manifest


def scope_for(manifest: dict[str, Any], user: User) -> str:
    """One export restored into one account."""
    return f"backpack-export:{manifest.get('export_id')}:user:{user.id}"


def export_units(
    archive: zipfile.ZipFile,
    manifest: dict[str, Any],
    user_id: int,
    pipeline: Pipeline,
    *,
    uploaded: bool = False,
) -> Iterator[Unit | SourceFailure]:
    """The units of an export: addresses, then badges, then collections.

    An operator restores with the export's own word on which addresses were verified; an
    `uploaded` export (from the website) adds its addresses unverified, a few at most, and
    the earner verifies each by its mail: anyone can write a manifest."""
    listed = [e for e in manifest.get("emails") or [] if isinstance(e, dict)]
    if uploaded and len(listed) > MAX_UPLOADED_ADDRESSES:
        reason = f"it lists {len(listed)} addresses; at most {MAX_UPLOADED_ADDRESSES} are added"
        yield SourceFailure("emails", "addresses", reason)
        listed = listed[:MAX_UPLOADED_ADDRESSES]
    for email in listed:
        if isinstance(email.get("address"), str):
            address = email["address"]
            verified = bool(email.get("verified")) and not uploaded
            yield Unit(
                "emails", address.casefold(), _email_adder(user_id, address, verified), address
            )
    budget = Budget()
    for number, line in enumerate(_lines(archive), 1):
        try:
            entry = json.loads(line)
            key = f"badge:{int(entry['id'])}"
        except (ValueError, KeyError, TypeError):
            yield SourceFailure("badges", f"line:{number}", "its line is not a badge entry")
            continue
        image = None
        if isinstance(entry.get("image"), str) and entry["image"] in archive.namelist():
            read = read_entry(archive, archive.getinfo(entry["image"]), budget)
            image = read if isinstance(read, bytes) else None
        yield Unit(
            "badges", key, _badge_adder(user_id, entry, image), str(entry.get("source_url") or key)
        )
    for position, collection in enumerate(manifest.get("collections") or [], 1):
        if isinstance(collection, dict):
            apply = _collection_adder(user_id, collection, pipeline, keep_held=uploaded)
            yield Unit("collections", f"collection:{position}", apply, str(collection.get("name")))


def _lines(archive: zipfile.ZipFile) -> Iterator[bytes]:
    try:
        stream = archive.open(BADGES)
    except KeyError:
        return
    with stream:
        while line := stream.readline(MAX_LINE_BYTES + 1):
            if line.strip():
                yield line


def _user(user_id: int) -> User:
    user = accounts.get_user(user_id)
    assert user is not None
    return user


def _email_adder(user_id: int, address: str, verified: bool) -> Callable[[], Outcome]:
    def apply() -> Outcome:
        user = _user(user_id)
        normalised = emails.normalise_address(address)
        held = next((e for e in user.emails if e.normalised == normalised), None)
        try:
            email = held or emails.add_email(user, address, send=False)
            if verified and not email.is_verified:
                emails.mark_verified(email)
        except ServiceError as exc:
            raise RecordRefused(f"{address}: {exc.message}") from exc
        return Outcome(email.id, created=held is None)

    return apply


def _badge_adder(user_id: int, entry: dict[str, Any], image: bytes | None) -> Callable[[], Outcome]:
    def apply() -> Outcome:
        payload = entry.get("payload")
        if not isinstance(payload, str):
            raise RecordRefused("the entry holds no payload")
        source_url = entry.get("source_url") if isinstance(entry.get("source_url"), str) else None
        if payload.strip().startswith(("http://", "https://")):
            # Added by its URL: the stored assertion stands in, since imports fetch nothing.
            payload = json.dumps(entry.get("assertion") or {})
        checked_at = _exported_check(entry)
        received = receive_unchecked(
            _user(user_id),
            payload,
            hosted_url=source_url,
            image=image,
            checked_at=checked_at,
            checked_by=EXPORTING_BACKPACK if checked_at else None,
        )
        if received.created and entry.get("status") == "rejected":
            badge_service.reject_badge(received.badge)
        return Outcome(received.badge.id, created=received.created, pending=received.pending)

    return apply


def _exported_check(entry: dict[str, Any]) -> datetime | None:
    """When the exporting backpack last verified the badge; None if it never did."""
    value = entry.get("last_verified_at")
    if entry.get("verification") in (None, UNCHECKED) or not isinstance(value, str):
        return None
    try:
        checked = datetime.fromisoformat(value)
    except ValueError:
        return None
    return checked if checked.tzinfo else None


def _collection_adder(
    user_id: int, document: dict[str, Any], pipeline: Pipeline, *, keep_held: bool = False
) -> Callable[[], Outcome]:
    def apply() -> Outcome:
        user = _user(user_id)
        name = str(document.get("name") or "Untitled collection")
        # An earner bringing a download back into the account it came from keeps the
        # collections still there as they are, rather than getting each a second time.
        if keep_held:
            held = collections.collection_id_named(user, name)
            if held is not None:
                return Outcome(held, created=False)
        members: list[int] = []
        stories: dict[int, str] = {}
        for item in document.get("items") or []:
            target = (
                pipeline.target("badges", f"badge:{item.get('badge')}")
                if isinstance(item, dict)
                else None
            )
            badge = badge_service.get_badge(user, target) if target is not None else None
            # Every member comes back in its place, pending or not, as it was exported.
            if badge is not None:
                members.append(badge.id)
                if item.get("story"):
                    stories[badge.id] = str(item["story"])
        wanted = collections.ImportedCollection(
            user.id,
            name,
            str(document.get("description") or ""),
            members,
            stories,
            published=bool(document.get("published")),
            show_owner_name=bool(document.get("show_owner_name")),
        )
        [made] = collections.import_collections([wanted])
        if isinstance(made, ServiceError):
            raise RecordRefused(made.message)
        return Outcome(made)

    return apply
