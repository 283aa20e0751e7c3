"""The ZIP Mozilla sent its users in 2019: `manifest.txt` (email -> files) plus baked images.

Reference: mozilla-backpack.md sections 3.2 and 3.5. Files are matched by exact name, then
by base name; a missing or broken manifest falls back to scanning every image. Entries are
read one at a time with hard limits, never extracted to disk, so a hostile archive (a zip
bomb, `../` names, huge or non-image entries) costs little and each refusal is reported.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
import zipfile
from collections.abc import Callable, Iterator, Set
from dataclasses import dataclass
from pathlib import Path

from backpack.models import User
from backpack.openbadges import OpenBadgesError, sniff_image_type, unbake
from backpack.services import accounts, emails
from backpack.services.errors import ServiceError
from backpack.services.unchecked_intake import receive_unchecked
from importers.pipeline import Outcome, RecordRefused, SourceFailure, SourceUnreadable, Unit
from importers.report import ImportReport

MANIFEST = "manifest.txt"
MAX_ENTRIES = 20_000
MAX_ENTRY_BYTES = 2 * 1024 * 1024  # the largest badge image the backpack accepts
MAX_MANIFEST_BYTES = 4 * 1024 * 1024
# A Mozilla account had a primary and two additional addresses, so its export listed at
# most three. More is not an export of one person: it would add strangers' addresses to
# the uploader's account (each a verification mail) and cost time for every one.
MAX_MANIFEST_ADDRESSES = 3
MAX_TOTAL_BYTES = 512 * 1024 * 1024
MAX_RATIO = 100  # images barely compress; far more than this is a bomb
_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True)
class _Entry:
    info: zipfile.ZipInfo
    email: str | None  # the manifest address that lists it, if any


def scope_for(user: User) -> str:
    """The import scope of one user's Mozilla ZIPs (badges are keyed by their bytes)."""
    return f"mozilla-zip:user:{user.id}"


def open_archive(path: Path, *, shown_as: str | None = None) -> zipfile.ZipFile:
    """Open the ZIP or explain why it cannot be read.

    The messages name the file as `shown_as` when given: a web upload's place on the
    server is nobody's business but the operator's."""
    name = shown_as or str(path)
    try:
        archive = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise SourceUnreadable(f"{name}: no such file.") from None
    except IsADirectoryError:
        raise SourceUnreadable(f"{name} is a directory, not a ZIP file.") from None
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise SourceUnreadable(f"{name} is not a readable ZIP file ({exc}).") from None
    if len(archive.infolist()) > MAX_ENTRIES:
        archive.close()
        raise SourceUnreadable(f"{name} holds more than {MAX_ENTRIES} entries; refused.")
    return archive


def count_entries(archive: zipfile.ZipFile) -> int:
    """How many entries the import will go through (for the progress bar)."""
    return sum(1 for info in archive.infolist() if not info.is_dir() and info.filename != MANIFEST)


def zip_units(
    archive: zipfile.ZipFile, user_id: int, report: ImportReport
) -> Iterator[Unit | SourceFailure]:
    """The units of a Mozilla ZIP: the manifest's addresses, then each badge image."""
    manifest = _read_manifest(archive, report)
    user = accounts.get_user(user_id)
    assert user is not None
    already = {e.normalised for e in user.emails}
    addresses = _addresses_to_add(list(manifest or ()), already, report)
    for address in addresses:
        yield Unit("emails", address.casefold(), _email_adder(user_id, address), address)
    held = {e.normalised: e for e in user.emails}
    report.unverified_emails.extend(
        a for a in addresses if a.casefold() in held and not held[a.casefold()].is_verified
    )
    budget = Budget()
    for entry in _entries(archive, manifest, report):
        item = read_entry(archive, entry.info, budget)
        if isinstance(item, SourceFailure):
            yield item
            continue
        key = "sha256:" + hashlib.sha256(item).hexdigest()
        yield Unit("badges", key, _badge_receiver(user_id, item), entry.info.filename)


def _addresses_to_add(listed: list[str], held: Set[str], report: ImportReport) -> list[str]:
    """The manifest's addresses this import adds: those the account has first, then new ones
    up to three in all; the rest are named in a note (their badges are still read)."""
    mine = [a for a in listed if emails.normalise_address(a) in held]
    others = [a for a in listed if emails.normalise_address(a) not in held]
    kept = (mine + others)[: max(MAX_MANIFEST_ADDRESSES, len(mine))]
    if len(kept) < len(listed):
        report.notes.append(
            f"manifest.txt lists {len(listed)} addresses; a Mozilla export lists at most"
            f" {MAX_MANIFEST_ADDRESSES}, so only {len(kept)} were added to your account."
        )
    return kept


def _read_manifest(archive: zipfile.ZipFile, report: ImportReport) -> dict[str, list[str]] | None:
    names = [i for i in archive.infolist() if posixpath.basename(i.filename) == MANIFEST]
    exact = [i for i in names if i.filename == MANIFEST]
    if not names:
        report.notes.append("No manifest.txt in the archive: every image was scanned.")
        return None
    info = (exact or names)[0]
    problem = None
    manifest: object = None
    if info.file_size > MAX_MANIFEST_BYTES:
        problem = "it is too large"
    else:
        try:
            with archive.open(info) as stream:
                manifest = json.loads(stream.read(MAX_MANIFEST_BYTES + 1).decode("utf-8-sig"))
        except (ValueError, UnicodeDecodeError, zipfile.BadZipFile, OSError):
            problem = "it is not JSON"
        except RecursionError:  # before RuntimeError, which it is a kind of
            problem = "it is nested too deeply"
        except RuntimeError:
            problem = "it is encrypted"
    if problem is None and not (
        isinstance(manifest, dict)
        and all(
            isinstance(k, str) and isinstance(v, list) and all(isinstance(f, str) for f in v)
            for k, v in manifest.items()
        )
    ):
        problem = "it does not map email addresses to lists of files"
    if problem is not None or not isinstance(manifest, dict):
        report.notes.append(f"manifest.txt was ignored ({problem}): every image was scanned.")
        return None
    return {str(k).strip(): list(v) for k, v in manifest.items() if str(k).strip()}


def _entries(
    archive: zipfile.ZipFile, manifest: dict[str, list[str]] | None, report: ImportReport
) -> Iterator[_Entry]:
    infos = [i for i in archive.infolist() if not i.is_dir()]
    by_name = {i.filename: i for i in infos}
    by_base: dict[str, list[zipfile.ZipInfo]] = {}
    for info in infos:
        by_base.setdefault(posixpath.basename(info.filename.replace("\\", "/")), []).append(info)
    seen: set[str] = set()
    for address, files in (manifest or {}).items():
        for name in files:
            found = by_name.get(name)
            if found is None:
                candidates = by_base.get(posixpath.basename(name.replace("\\", "/")), [])
                found = candidates[0] if len(candidates) == 1 else None
            if found is None:
                report.fail("badges", name, f"listed for {address} but not in the archive", name)
            elif found.filename not in seen:
                seen.add(found.filename)
                yield _Entry(found, address)
    # Images the manifest does not list are badges too (or there was no manifest).
    for info in infos:
        if info.filename not in seen and posixpath.basename(info.filename) != MANIFEST:
            seen.add(info.filename)
            yield _Entry(info, None)


class Budget:
    def __init__(self) -> None:
        self.left = MAX_TOTAL_BYTES


def _unsafe_name(name: str) -> str | None:
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or _DRIVE.match(name) or ".." in parts:
        return "its name points outside the archive (path traversal); refused"
    if "\x00" in name:
        return "its name holds a NUL byte; refused"
    return None


def read_entry(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: Budget
) -> bytes | SourceFailure:
    name = info.filename
    reason = _unsafe_name(name)
    if reason is None and info.flag_bits & 0x1:
        reason = "it is encrypted; skipped"
    if reason is None and info.file_size > MAX_ENTRY_BYTES:
        reason = f"it is {info.file_size} bytes, over the {MAX_ENTRY_BYTES}-byte limit; skipped"
    if (
        reason is None
        and info.file_size > 1024 * 1024
        and (info.file_size > MAX_RATIO * max(info.compress_size, 1))
    ):
        reason = "it expands more than a hundredfold (a zip bomb); refused"
    if reason is None and info.file_size > budget.left:
        reason = "the archive's entries add up to more than the import accepts; skipped"
    if reason is not None:
        return SourceFailure("badges", name, reason, name)
    try:
        with archive.open(info) as stream:
            data = stream.read(MAX_ENTRY_BYTES + 1)
    except (zipfile.BadZipFile, OSError, RuntimeError, ValueError) as exc:
        return SourceFailure("badges", name, f"it cannot be read ({exc})", name)
    if len(data) > MAX_ENTRY_BYTES:
        return SourceFailure("badges", name, "it is larger than its header says; refused", name)
    budget.left -= len(data)
    if sniff_image_type(data) not in ("png", "svg"):
        return SourceFailure("badges", name, "it is not a PNG or SVG image; skipped", name)
    return data


def _email_adder(user_id: int, address: str) -> Callable[[], Outcome]:
    def apply() -> Outcome:
        user = accounts.get_user(user_id)
        assert user is not None
        normalised = emails.normalise_address(address)
        if any(e.normalised == normalised for e in user.emails):
            return Outcome(None, created=False)
        try:
            email = emails.add_email(user, address, send=False)
        except ServiceError as exc:
            raise RecordRefused(f"{address}: {exc.message}") from exc
        return Outcome(email.id)

    return apply


def _badge_receiver(user_id: int, data: bytes) -> Callable[[], Outcome]:
    def apply() -> Outcome:
        user = accounts.get_user(user_id)
        assert user is not None
        try:
            baked = unbake(data)
        except OpenBadgesError as exc:
            raise RecordRefused(f"no badge could be read from it: {exc.message}") from exc
        verify = baked.verify_attribute
        hosted = verify if verify and verify.startswith(("http://", "https://")) else None
        received = receive_unchecked(user, baked.text, hosted_url=hosted, image=data)
        return Outcome(received.badge.id, created=received.created, pending=received.pending)

    return apply
