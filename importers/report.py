"""The import report: counts per kind of record, failures streamed to a file as they happen."""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from backpack.plurals import counted, were

# The kinds of record an import counts, in the order the report shows them.
KINDS = ("users", "emails", "badges", "collections", "connect_grants")
FIRST_FAILURES = 50

# Special cases an import counts by name (each a count in `--json`), and the note each adds.
UNCONFIRMED_PRIMARY = "unconfirmed_primaries_trusted"
ADDRESS_ELSEWHERE = "badges_address_on_another_account"
MARKS = {
    UNCONFIRMED_PRIMARY: (
        "{count} came with a primary address Mozilla never confirmed (it never asked "
        "accounts made before November 2017 to): each is trusted as Mozilla trusted it, for "
        "log-in, password reset and the badges Mozilla showed."
    ),
    ADDRESS_ELSEWHERE: (
        "Badges Mozilla showed that are kept, accepted, in their Mozilla owner's backpack "
        "although their address now belongs to another account here (verified there): {number}."
    ),
}


@dataclass
class ImportReport:
    """What an import did (or, in a dry run, would do)."""

    dry_run: bool = False
    imported: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)
    pending_badges: int = 0
    marked: Counter[str] = field(default_factory=Counter)  # special cases, see MARKS
    unverified_emails: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Badges that collections listed but that were deleted or not imported (a note says so).
    missing_from_collections: int = 0
    failures_path: Path | None = None
    # The first failures, kept for pages that show the report (the file has them all).
    first_failures: list[dict[str, str]] = field(default_factory=list)
    _failures: IO[str] | None = None

    def open_failures(self, path: Path) -> None:
        """Write each failure to `path` (one JSON object a line) as it happens."""
        self.failures_path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._failures = path.open("w", encoding="utf-8")
        except OSError as exc:
            self._drop_failures_file(exc)

    def fail(self, kind: str, key: str, reason: str, label: str = "") -> None:
        """Count a record that could not be imported, and write down why."""
        self.failed[kind] += 1
        line = {"kind": kind, "key": key, "label": label or key, "reason": reason}
        if len(self.first_failures) < FIRST_FAILURES:
            self.first_failures.append(line)
        if self._failures is not None:
            try:
                self._failures.write(json.dumps(line, ensure_ascii=False) + "\n")
                self._failures.flush()
            except OSError as exc:
                self._drop_failures_file(exc)

    def _drop_failures_file(self, error: OSError) -> None:
        """The failures file cannot be written (a full disk): remove what it has, since a
        partial list would pass for the whole one, and say so; the import goes on."""
        if self._failures is not None:
            # Its last line cannot be written either: the file goes anyway.
            with contextlib.suppress(OSError):
                self._failures.close()
            self._failures = None
        if self.failures_path is not None:
            self.failures_path.unlink(missing_ok=True)
            self.failures_path = None
        self.notes.append(
            f"The list of every failure could not be written ({error.strerror or error}):"
            f" only the first {FIRST_FAILURES} failures are listed."
        )

    def close(self) -> None:
        """Close the failures file; remove it when nothing failed."""
        if self._failures is not None:
            self._failures.close()
            self._failures = None
            if not sum(self.failed.values()) and self.failures_path is not None:
                self.failures_path.unlink(missing_ok=True)
                self.failures_path = None

    def absorb(self, other: ImportReport) -> None:
        """Add the counts, notes and failures of a closed report of part of this import (a
        worker's) to this one; its failures file is appended to this one's and removed."""
        for mine, theirs in (
            (self.imported, other.imported),
            (self.skipped, other.skipped),
            (self.failed, other.failed),
        ):
            mine.update(theirs)
        self.pending_badges += other.pending_badges
        self.marked.update(other.marked)
        self.missing_from_collections += other.missing_from_collections
        self.unverified_emails.extend(other.unverified_emails)
        self.notes.extend(note for note in other.notes if note not in self.notes)
        room = FIRST_FAILURES - len(self.first_failures)
        self.first_failures.extend(other.first_failures[: max(room, 0)])
        if other.failures_path is not None:
            self.absorb_failures(other.failures_path)

    def absorb_failures(self, path: Path, *, count: bool = False) -> None:
        """Append the failures another part of this import listed in `path`, then remove it.

        With `count`, they are counted too: the part died before it could report them (a
        line it was cut off in the middle of is left out)."""
        if not path.exists():
            return
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                if count:
                    try:
                        failure = json.loads(line)
                    except ValueError:
                        continue
                    self.failed[failure["kind"]] += 1
                    if len(self.first_failures) < FIRST_FAILURES:
                        self.first_failures.append(failure)
                if self._failures is not None:
                    self._failures.write(line)
        if self._failures is not None:
            self._failures.flush()
        path.unlink(missing_ok=True)

    def all_notes(self) -> list[str]:
        """The notes, with the special cases counted and the count of badges collections
        listed but could not hold."""
        notes = list(self.notes)
        notes += [
            note.format(number=self.marked[mark], count=counted(self.marked[mark], "account"))
            for mark, note in MARKS.items()
            if self.marked[mark]
        ]
        if self.missing_from_collections:
            notes.append(
                f"{counted(self.missing_from_collections, 'badge')} listed in groups"
                f" {were(self.missing_from_collections)} deleted or not imported; their"
                " collections hold the others."
            )
        return notes

    def to_json(self) -> dict[str, Any]:
        """The report as one JSON object: counts of what was imported, and of failures."""
        document: dict[str, Any] = {kind: self.imported[kind] for kind in KINDS}
        document |= {
            "failed": sum(self.failed.values()),
            "dry_run": self.dry_run,
            "already_imported": {k: self.skipped[k] for k in KINDS if self.skipped[k]},
            "failed_by_kind": {k: v for k, v in self.failed.items() if v},
            "pending_badges": self.pending_badges,
            **{mark: self.marked[mark] for mark in MARKS},
            "unverified_emails": self.unverified_emails,
            "notes": self.all_notes(),
            "first_failures": self.first_failures,
            "failures_file": str(self.failures_path) if self.failures_path else None,
        }
        return document

    def to_table(self) -> str:
        """The report as a table a person reads at the end of a run."""
        verb = "Would import" if self.dry_run else "Imported"
        rows = [f"{'':<14} {verb:>12} {'Already in':>11} {'Failed':>8}"]
        for kind in KINDS:
            rows.append(
                f"{kind:<14} {self.imported[kind]:>12} {self.skipped[kind]:>11}"
                f" {self.failed[kind]:>8}"
            )
        if self.pending_badges:
            rows.append(
                f"Waiting as pending until their address is verified: {self.pending_badges}."
            )
        for address in self.unverified_emails:
            rows.append(f"Unverified address added: {address} (verify it to release its badges)")
        rows.extend(self.all_notes())
        if self.failures_path is not None:
            rows.append(f"Each failure and its reason: {self.failures_path}")
        if self.dry_run:
            rows.append("Dry run: nothing was written.")
        return "\n".join(rows)
