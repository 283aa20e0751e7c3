"""The PNG pixel check that stands in for Pillow's decode: it must accept what Pillow loads
and refuse what is truncated or corrupt, interlaced images included."""

from __future__ import annotations

import io
import random
import struct
import zlib

import pytest
from PIL import Image

from backpack.openbadges.errors import ImageError
from backpack.openbadges.images import inspect_image
from backpack.openbadges.png_baking import PNG_SIGNATURE, PngChunk, read_chunks
from backpack.openbadges.png_pixels import check_png_pixels


def _png(header: bytes, idat: bytes, *, extra: tuple[PngChunk, ...] = ()) -> bytes:
    chunks = (PngChunk(b"IHDR", header), *extra, PngChunk(b"IDAT", idat), PngChunk(b"IEND", b""))
    return PNG_SIGNATURE + b"".join(chunk.encode() for chunk in chunks)


def _header(width: int, height: int, depth: int = 8, colour: int = 2, interlace: int = 0) -> bytes:
    return struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, interlace)


def _pillow_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data), formats=["PNG"]) as image:
        image.load()
        return image.size


@pytest.mark.parametrize("mode", ["1", "L", "P", "RGB", "RGBA", "LA", "I;16"])
@pytest.mark.parametrize("size", [(1, 1), (3, 5), (17, 9), (64, 40)])
def test_every_kind_of_png_pillow_writes_is_accepted_with_its_size(
    mode: str, size: tuple[int, int]
) -> None:
    buffer = io.BytesIO()
    Image.effect_noise(size, 64).convert(mode).save(buffer, "PNG")
    data = buffer.getvalue()
    assert check_png_pixels(read_chunks(data)) == size == _pillow_size(data)


def _interlaced_rgb(width: int, height: int) -> tuple[bytes, bytes]:
    """A header and image data for an Adam7-interlaced RGB image, built by hand."""
    rng = random.Random(width * height)
    raw = bytearray()
    for x0, y0, dx, dy in ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4),
                           (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)):  # fmt: skip
        columns = len(range(x0, width, dx))
        if columns:
            for _ in range(y0, height, dy):
                raw += bytes([rng.randrange(5)]) + rng.randbytes(columns * 3)
    return _header(width, height, interlace=1), bytes(raw)


@pytest.mark.parametrize("size", [(1, 1), (5, 3), (9, 9), (33, 20)])
def test_an_interlaced_png_is_accepted_and_one_missing_row_byte_refuses_it(
    size: tuple[int, int],
) -> None:
    header, raw = _interlaced_rgb(*size)
    whole = _png(header, zlib.compress(raw))
    assert check_png_pixels(read_chunks(whole)) == size == _pillow_size(whole)
    short = _png(header, zlib.compress(raw[:-1]))
    with pytest.raises(ImageError) as refused:
        check_png_pixels(read_chunks(short))
    assert refused.value.code == "truncated_image"


def test_missing_rows_a_bad_filter_type_or_a_broken_stream_are_refused() -> None:
    rows = b"".join(b"\x00" + bytes(12) for _ in range(4))  # 4x4 RGB, filter type None
    assert check_png_pixels(read_chunks(_png(_header(4, 4), zlib.compress(rows)))) == (4, 4)
    broken = [
        zlib.compress(rows[:-13]),  # the last row is missing
        zlib.compress(rows[:13] + b"\x05" + rows[14:]),  # filter type 5 does not exist
        zlib.compress(rows)[:-8],  # the stream stops inside the pixels
        b"\x78\x9c\xff\xff" + zlib.compress(rows)[2:],  # not a deflate stream
        b"",
    ]
    for idat in broken:
        with pytest.raises(ImageError, match="truncated or corrupt"):
            inspect_image(_png(_header(4, 4), idat))


def test_data_after_the_last_row_is_ignored_as_pillow_ignores_it() -> None:
    rows = b"".join(b"\x01" + bytes(12) for _ in range(4)) + b"trailing"
    data = _png(_header(4, 4), zlib.compress(rows))
    assert check_png_pixels(read_chunks(data)) == (4, 4) == _pillow_size(data)


@pytest.mark.parametrize(
    ("header", "extra"),
    [
        (_header(4, 4, depth=3), ()),  # no such bit depth
        (_header(4, 4, depth=4, colour=2), ()),  # RGB needs 8 or 16 bits
        (_header(4, 4, colour=5), ()),  # no such colour type
        (_header(0, 4), ()),  # no width
        (_header(4, 4, interlace=2), ()),  # no such interlace method
        (_header(4, 4, colour=3), ()),  # a palette image without its palette
    ],
)
def test_a_header_no_png_can_have_is_refused(header: bytes, extra: tuple[PngChunk, ...]) -> None:
    data = _png(header, zlib.compress(bytes(4 * 13)), extra=extra)
    with pytest.raises(ImageError) as refused:
        check_png_pixels(read_chunks(data))
    assert refused.value.code == "truncated_image"


def test_a_palette_image_with_its_palette_is_accepted() -> None:
    palette = PngChunk(b"PLTE", bytes(range(6)))
    data = _png(_header(4, 4, colour=3), zlib.compress(bytes(4 * 5)), extra=(palette,))
    assert check_png_pixels(read_chunks(data)) == (4, 4) == _pillow_size(data)
