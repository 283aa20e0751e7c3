"""Checking a PNG's pixel data without decoding it into an image.

Pillow's open and load cost about 0.2 ms for even the smallest badge, most of it Python
around the decoder, and a Mozilla instance brings hundreds of thousands of them. What the
load proves can be checked directly: the header describes a real PNG layout, a palette
image has its palette, the image data inflates to exactly the rows the header promises
(every pass of an interlaced one), and each row starts with one of the five filter types.
Inflating stops at the size the header promises, so a stream that would balloon never does;
what follows the last row (extra data, the stream's checksum) is not needed to show the
image and, as browsers do, is not asked for.
"""

from __future__ import annotations

import struct
import zlib

from backpack.openbadges.errors import ImageError
from backpack.openbadges.png_baking import PngChunk

# Allowed bit depths for each colour type, and how many samples a pixel holds.
_BIT_DEPTHS = {0: (1, 2, 4, 8, 16), 2: (8, 16), 3: (1, 2, 4, 8), 4: (8, 16), 6: (8, 16)}
_SAMPLES = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
# Adam7's seven passes: first column, first row, column step, row step.
_ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
          (0, 1, 1, 2))  # fmt: skip
_LAST_FILTER_TYPE = 4
_BLOCK_BYTES = 1024 * 1024


def check_png_pixels(chunks: list[PngChunk]) -> tuple[int, int]:
    """Width and height of a PNG whose chunks passed `read_chunks`, once its header and
    image data are checked; ImageError ("truncated_image") when they do not hold up."""
    width, height, depth, colour, compression, filtering, interlace = struct.unpack(
        ">IIBBBBB", chunks[0].data
    )
    if (
        not width
        or not height
        or depth not in _BIT_DEPTHS.get(colour, ())
        or compression != 0
        or filtering != 0
        or interlace not in (0, 1)
    ):
        raise _corrupt()
    if colour == 3 and not any(chunk.type == b"PLTE" for chunk in chunks):
        raise _corrupt()
    passes = _ADAM7 if interlace else ((0, 0, 1, 1),)
    inflate = _Inflater(b"".join(chunk.data for chunk in chunks if chunk.type == b"IDAT"))
    for x0, y0, dx, dy in passes:
        columns = (width - x0 + dx - 1) // dx if width > x0 else 0
        lines = (height - y0 + dy - 1) // dy if height > y0 else 0
        if not columns:
            continue  # an empty pass has no rows, not even their filter bytes
        length = 1 + (columns * _SAMPLES[colour] * depth + 7) // 8  # a row and its filter byte
        step = max(1, _BLOCK_BYTES // length)
        for first in range(0, lines, step):
            block = inflate.take(min(step, lines - first) * length)
            if max(block[::length]) > _LAST_FILTER_TYPE:
                raise _corrupt()
    return width, height


class _Inflater:
    """The image data inflated a block at a time, so memory stays small for large images."""

    def __init__(self, compressed: bytes) -> None:
        self._decompressor = zlib.decompressobj()
        self._input = compressed

    def take(self, size: int) -> bytes:
        """The next `size` bytes; ImageError when the stream is broken or ends before."""
        try:
            block = self._decompressor.decompress(self._input, size)
        except zlib.error:
            raise _corrupt() from None
        self._input = self._decompressor.unconsumed_tail
        if len(block) < size:
            raise _corrupt()
        return block


def _corrupt() -> ImageError:
    return ImageError("The PNG image is truncated or corrupt.", code="truncated_image")
