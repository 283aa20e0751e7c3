"""A Learner Credential Wallet backup ("Wallet Backup.json"): the credentials in it.

The backup is a JSON array of UniversalWallet2020 items, each `{contents: [...]}`, holding
the earner's credentials and also their DIDs and PRIVATE KEYS. Only the items whose
`@context` names a Verifiable Credentials context are taken; every other item is dropped
unread, never stored, logged or listed as a failure: not even its type is repeated.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from backpack.openbadges import size_in_words
from importers.pipeline import SourceUnreadable
from importers.pull.core import PulledBadge

VC_CONTEXTS = frozenset(
    {"https://www.w3.org/2018/credentials/v1", "https://www.w3.org/ns/credentials/v2"}
)
MAX_BACKUP_BYTES = 16 * 1024 * 1024
MAX_CREDENTIALS = 2000


def read_backup(data: bytes) -> tuple[list[PulledBadge], int]:
    """The credentials of a wallet backup, each as its JSON text, and how many other entries
    (keys, DIDs) were left out; SourceUnreadable when the file is not a backup (its reason
    never quotes the file, which holds keys)."""
    if len(data) > MAX_BACKUP_BYTES:
        raise SourceUnreadable(
            f"The wallet backup is larger than {size_in_words(MAX_BACKUP_BYTES)}."
        )
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError):
        raise SourceUnreadable("The file is not a wallet backup: it is not JSON.") from None
    if isinstance(document, dict):
        document = [document]  # one wallet rather than a list of them
    if not isinstance(document, list):
        raise SourceUnreadable("The file is not a wallet backup: it holds no list of items.")
    items = list(_items(document))
    credentials = [
        PulledBadge(json.dumps(item, ensure_ascii=False), _name(item))
        for item in items
        if _is_credential(item)
    ]
    if len(credentials) > MAX_CREDENTIALS:
        raise SourceUnreadable(
            f"The wallet backup holds more than {MAX_CREDENTIALS} credentials; none was taken."
        )
    return credentials, len(items) - len(credentials)


def credential_texts(data: bytes) -> tuple[list[str], int]:
    """Only the credentials of a backup, as text (what the server may keep of the file),
    and how many other entries were left out."""
    credentials, left_out = read_backup(data)
    return [str(badge.data) for badge in credentials], left_out


def name_of(text: str) -> str:
    """What the report calls a credential kept as text by `credential_texts`."""
    try:
        credential = json.loads(text)
    except ValueError:
        return "a credential"
    return _name(credential) if isinstance(credential, dict) else "a credential"


def _items(document: list[Any]) -> Iterator[Any]:
    for entry in document:
        if isinstance(entry, dict) and isinstance(entry.get("contents"), list):
            yield from entry["contents"]
        else:
            yield entry


def _is_credential(item: Any) -> bool:
    if not isinstance(item, dict):
        return False
    context = item.get("@context")
    contexts = context if isinstance(context, list) else [context]
    return any(isinstance(c, str) and c in VC_CONTEXTS for c in contexts)


def _name(credential: dict[str, Any]) -> str:
    subject = credential.get("credentialSubject")
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    for holder in (credential, achievement if isinstance(achievement, dict) else {}):
        if isinstance(holder.get("name"), str):
            return str(holder["name"])[:200]
    return str(credential.get("id") or "a credential")[:200]
