"""Badges baked into PNG files: an iTXt (or legacy tEXt) chunk keyed `openbadges`.

The chunks are walked over the bytes, never decoding pixels. Open Badges 3.0 uses the same
layout with the keyword `openbadgecredential` (reference section 2).
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from backpack.openbadges.errors import BakingError, ImageError

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
BADGE_KEYWORDS = ("openbadges", "openbadgecredential")
# Far above any real assertion, yet small enough that a compressed chunk cannot balloon
# (the same cap Pillow puts on each compressed text chunk).
MAX_BAKED_TEXT_BYTES = 1024 * 1024
# The PNG specification caps a chunk's length at 2**31 - 1.
MAX_CHUNK_LENGTH = 2**31 - 1
TEXT_CHUNK_TYPES = (b"iTXt", b"tEXt", b"zTXt")


@dataclass(frozen=True)
class PngChunk:
    """One chunk of a PNG: its four-letter type and its data."""

    type: bytes
    data: bytes

    def encode(self) -> bytes:
        """The chunk as it sits in a file: length, type, data and CRC."""
        crc = zlib.crc32(self.type + self.data)
        return struct.pack(">I", len(self.data)) + self.type + self.data + struct.pack(">I", crc)


@dataclass(frozen=True)
class PngBadge:
    """The text baked into a PNG and the keyword of the chunk that held it."""

    text: str
    keyword: str


def read_chunks(png: bytes) -> list[PngChunk]:
    """The chunks of a PNG from IHDR to IEND, each checked for bounds and CRC."""
    if not png.startswith(PNG_SIGNATURE):
        raise ImageError("The file is not a PNG image.", code="not_an_image")
    chunks: list[PngChunk] = []
    position = len(PNG_SIGNATURE)
    while position + 8 <= len(png):
        length, chunk_type = struct.unpack_from(">I4s", png, position)
        data_start = position + 8
        data_end = data_start + length
        if length > MAX_CHUNK_LENGTH or data_end + 4 > len(png) or not chunk_type.isalpha():
            raise _truncated()
        data = png[data_start:data_end]
        (crc,) = struct.unpack_from(">I", png, data_end)
        if zlib.crc32(chunk_type + data) != crc:
            raise _truncated()
        if not chunks and (chunk_type != b"IHDR" or length != 13):
            raise _truncated()
        chunks.append(PngChunk(chunk_type, data))
        if chunk_type == b"IEND":
            return chunks
        position = data_end + 4
    raise _truncated()


def png_size(chunks: list[PngChunk]) -> tuple[int, int]:
    """The width and height that a PNG's IHDR chunk declares."""
    width, height = struct.unpack_from(">II", chunks[0].data)
    return int(width), int(height)


def check_compressed_chunks(chunks: list[PngChunk]) -> None:
    """Refuse compressed text or ICC chunks that inflate beyond MAX_BAKED_TEXT_BYTES."""
    for chunk in chunks:
        _, _, rest = chunk.data.partition(b"\x00")
        if chunk.type in (b"zTXt", b"iCCP"):
            _inflate(rest[1:])
        elif chunk.type == b"iTXt" and rest[:1] == b"\x01":
            _inflate(rest[2:].split(b"\x00", 2)[-1])


def find_baked_badge(png: bytes) -> PngBadge | None:
    """The first badge iTXt chunk's text, else a legacy tEXt chunk's, else None."""
    legacy: PngBadge | None = None
    for chunk in read_chunks(png):
        if chunk.type == b"iTXt":
            badge = _read_itxt(chunk.data)
            if badge is not None and badge.text:
                return badge
        elif chunk.type == b"tEXt" and legacy is None:
            legacy = _read_text(chunk.data)
    return legacy if legacy is not None and legacy.text else None


def bake_png(png: bytes, text: str, *, keyword: str) -> bytes:
    """The PNG with one uncompressed badge iTXt chunk right after IHDR, replacing any other."""
    if keyword not in BADGE_KEYWORDS:
        raise ValueError(f"not a badge keyword: {keyword!r}")
    chunks = [chunk for chunk in read_chunks(png) if not _holds_badge(chunk)]
    # Keyword, NUL, compression flag 0, method 0, empty language tag and translated keyword.
    badge = PngChunk(b"iTXt", keyword.encode("ascii") + b"\x00\x00\x00\x00\x00" + text.encode())
    chunks.insert(1, badge)
    return PNG_SIGNATURE + b"".join(chunk.encode() for chunk in chunks)


def unbake_png(png: bytes) -> bytes:
    """The PNG without any chunk that holds a badge; the others stay as they are."""
    chunks = [chunk for chunk in read_chunks(png) if not _holds_badge(chunk)]
    return PNG_SIGNATURE + b"".join(chunk.encode() for chunk in chunks)


def _holds_badge(chunk: PngChunk) -> bool:
    keyword = chunk.data.split(b"\x00", 1)[0]
    return chunk.type in TEXT_CHUNK_TYPES and keyword.decode("latin-1") in BADGE_KEYWORDS


def _read_itxt(data: bytes) -> PngBadge | None:
    keyword_bytes, _, rest = data.partition(b"\x00")
    keyword = keyword_bytes.decode("latin-1")
    if keyword not in BADGE_KEYWORDS:
        return None
    compressed, method = (rest[0], rest[1]) if len(rest) >= 2 else (None, None)
    _language, found_language, after_language = rest[2:].partition(b"\x00")
    _translated, found_translated, text = after_language.partition(b"\x00")
    if compressed in (0, 1) and method == 0 and found_language and found_translated:
        if compressed:
            text = _inflate(text)
    else:
        # Some early bakers wrote the text straight after the keyword's NULs; the reference
        # bakery reads those too, so they are accepted rather than reported as no badge.
        text = rest.lstrip(b"\x00")
    try:
        return PngBadge(text.decode("utf-8").strip(), keyword)
    except UnicodeDecodeError:
        raise BakingError(
            "The badge baked into this PNG is not valid UTF-8 text.", code="invalid_baked_text"
        ) from None


def _read_text(data: bytes) -> PngBadge | None:
    keyword, _, text = data.partition(b"\x00")
    if keyword != b"openbadges":
        return None
    # tEXt is Latin-1 by definition; legacy badges baked only a hosted URL there.
    return PngBadge(text.decode("latin-1").strip(), "openbadges")


def _inflate(compressed: bytes) -> bytes:
    inflater = zlib.decompressobj()
    try:
        text = inflater.decompress(compressed, MAX_BAKED_TEXT_BYTES)
    except zlib.error:
        raise ImageError(
            "Compressed text in this PNG is corrupt.", code="truncated_image"
        ) from None
    if inflater.unconsumed_tail:
        raise ImageError(
            f"Compressed text in this PNG expands beyond {MAX_BAKED_TEXT_BYTES} bytes.",
            code="decompression_bomb",
        )
    if not inflater.eof:
        raise ImageError("Compressed text in this PNG ends early.", code="truncated_image")
    return text


def _truncated() -> ImageError:
    return ImageError("The PNG file is truncated or corrupt.", code="truncated_image")
