"""Badge images: recognise the type by content and check that an image is safe to keep.

Raster images are measured from their header before any pixel is decoded, so a small file
that claims billions of pixels is refused cheaply. SVG is parsed with defusedxml: no
entities, no internal DTD subset, no external references, and no scripts of any kind.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import unquote_to_bytes
from xml.parsers.expat import errors as expat_errors

from defusedxml.common import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser
from PIL import Image

from backpack.openbadges.errors import ImageError
from backpack.openbadges.png_baking import (
    PNG_SIGNATURE,
    check_compressed_chunks,
    png_size,
    read_chunks,
)
from backpack.openbadges.png_pixels import check_png_pixels
from backpack.openbadges.sizes import size_in_words

ImageKind = Literal["png", "svg", "jpeg", "gif"]

MIME_TYPES: dict[ImageKind, str] = {
    "png": "image/png",
    "svg": "image/svg+xml",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
}
PILLOW_FORMATS: dict[ImageKind, str] = {"png": "PNG", "jpeg": "JPEG", "gif": "GIF"}
# How far into a file the <svg> root may start, after declarations, comments and doctype.
SVG_SNIFF_BYTES = 4096

_SVG_PROLOG_ITEM = re.compile(
    rb"\s+|<\?.*?\?>|<!--.*?-->|<!DOCTYPE(?:[^\[>]*\[.*?\])?[^>]*>", re.DOTALL | re.IGNORECASE
)
_SVG_ROOT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?svg[\s/>]")
_PIXEL_LENGTH = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*(?:px)?\s*")
_SCRIPT_ELEMENTS = frozenset({"script", "foreignobject", "handler", "iframe", "embed", "object"})
# Expat's errors for a document that stops before its root element is closed.
_INPUT_ENDED_EARLY = frozenset(
    expat_errors.codes[message]
    for message in (
        expat_errors.XML_ERROR_NO_ELEMENTS,
        expat_errors.XML_ERROR_UNCLOSED_TOKEN,
        expat_errors.XML_ERROR_PARTIAL_CHAR,
    )
)
# Characters a browser ignores inside a URL scheme, used to hide "javascript:".
_IGNORED_IN_SCHEME = re.compile(r"[\s\x00-\x1f]+")


@dataclass(frozen=True)
class ImageInfo:
    """What an image is: its kind ("png", "svg", "jpeg", "gif"), media type and size."""

    kind: ImageKind
    mime_type: str
    width: int | None
    height: int | None


@dataclass(frozen=True)
class SvgDocument:
    """A parsed SVG: its root element and the byte offsets where each element's tags begin."""

    root: ET.Element
    start_offsets: Mapping[ET.Element, int]
    end_offsets: Mapping[ET.Element, int]


def sniff_image_type(data: bytes) -> ImageKind | None:
    """The image type by content ("png", "svg", "jpeg", "gif"), or None."""
    if data.startswith(PNG_SIGNATURE):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    return "svg" if svg_root_offset(data, limit=SVG_SNIFF_BYTES) is not None else None


def decode_data_uri(uri: str) -> bytes | None:
    """The bytes of a `data:` URI, or None when it is not one or is malformed."""
    if not uri.startswith("data:") or "," not in uri:
        return None
    header, _, payload = uri[5:].partition(",")
    try:
        if header.endswith(";base64"):
            return base64.b64decode(payload, validate=True)
        return unquote_to_bytes(payload)
    except (binascii.Error, ValueError):
        return None


def svg_root_offset(data: bytes, *, limit: int | None = None) -> int | None:
    """Where the <svg> start tag begins, after the XML prolog; None if the root is not svg."""
    window = data[:limit] if limit is not None else data
    position = 3 if window.startswith(b"\xef\xbb\xbf") else 0
    while item := _SVG_PROLOG_ITEM.match(window, position):
        position = item.end()
    return position if _SVG_ROOT.match(window, position) else None


def inspect_image(
    data: bytes, *, max_bytes: int = 2 * 1024 * 1024, max_pixels: int = 16_000_000
) -> ImageInfo:
    """Check that bytes are a safe PNG, SVG, JPEG or GIF within limits, and describe them."""
    if len(data) > max_bytes:
        raise ImageError(
            f"The image is {size_in_words(len(data))}; the limit is {size_in_words(max_bytes)}.",
            code="image_too_large",
        )
    if not data:
        # Said apart from bytes of the wrong kind: an empty file is a failed copy or save.
        raise ImageError("The image is empty (0 bytes).", code="not_an_image")
    kind = sniff_image_type(data)
    if kind is None:
        raise ImageError("The file is not a PNG, SVG, JPEG or GIF image.", code="not_an_image")
    if kind == "svg":
        document = parse_svg(data)
        check_svg_has_no_scripts(document.root)
        width = _svg_pixels(document.root.get("width"))
        height = _svg_pixels(document.root.get("height"))
        return ImageInfo(kind, MIME_TYPES[kind], width, height)
    width, height = _raster_size(data, kind, max_pixels)
    return ImageInfo(kind, MIME_TYPES[kind], width, height)


def _raster_size(data: bytes, kind: ImageKind, max_pixels: int) -> tuple[int, int]:
    if kind == "png":
        # The chunk walk finds truncation, bad CRCs, ballooning text and the size; the pixel
        # data is then checked without Pillow, which costs more than the rest of an import.
        chunks = read_chunks(data)
        check_compressed_chunks(chunks)
        _check_pixels(*png_size(chunks), max_pixels)
        return check_png_pixels(chunks)
    try:
        with Image.open(io.BytesIO(data), formats=[PILLOW_FORMATS[kind]]) as image:
            width, height = image.size
            _check_pixels(width, height, max_pixels)
            image.load()
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's own limit; the warning is an exception when warnings are errors.
        raise _bomb() from None
    except Exception:
        # Pillow raises many kinds of exceptions on hostile input (OSError, SyntaxError,
        # ValueError, struct.error...); to the caller they all mean the file is broken.
        raise ImageError(
            f"The {kind.upper()} image is truncated or corrupt.", code="truncated_image"
        ) from None
    return width, height


def _check_pixels(width: int, height: int, max_pixels: int) -> None:
    if width * height > max_pixels:
        raise _bomb()


def _bomb() -> ImageError:
    return ImageError(
        "The image claims more pixels than a badge may have.", code="decompression_bomb"
    )


class _SvgParser(DefusedXMLParser):
    """defusedxml's parser that also accepts a DOCTYPE naming an external DTD it never loads."""

    def defused_start_doctype_decl(
        self, name: str, sysid: str | None, pubid: str | None, has_internal_subset: bool
    ) -> None:
        # Editors write <!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" ...>, which expat does
        # not fetch; entities and attribute defaults can only come from an internal subset.
        if has_internal_subset:
            super().defused_start_doctype_decl(name, sysid, pubid, has_internal_subset)


class _LocatingTreeBuilder(ET.TreeBuilder):
    """Builds the tree while noting where each element's start and end tags begin."""

    def __init__(self) -> None:
        super().__init__()
        self.parser: _SvgParser | None = None
        self.start_offsets: dict[ET.Element, int] = {}
        self.end_offsets: dict[ET.Element, int] = {}

    def start(self, tag: str, attrs: dict[str, str]) -> ET.Element:
        element = super().start(tag, attrs)
        self.start_offsets[element] = self._offset()
        return element

    def end(self, tag: str) -> ET.Element:
        element = super().end(tag)
        self.end_offsets[element] = self._offset()
        return element

    def _offset(self) -> int:
        assert self.parser is not None
        return int(self.parser.parser.CurrentByteIndex)


def parse_svg(data: bytes) -> SvgDocument:
    """Parse SVG bytes safely (no entities, DTD subsets or external references)."""
    builder = _LocatingTreeBuilder()
    parser = _SvgParser(target=builder, forbid_dtd=True, forbid_entities=True)
    builder.parser = parser
    try:
        parser.feed(data)
        root = parser.close()
    except DefusedXmlException:
        raise ImageError(
            "The SVG declares a DTD, entities or external references, which are refused.",
            code="unsafe_svg",
        ) from None
    except ET.ParseError as error:
        line, column = error.position
        ended_early = error.code in _INPUT_ENDED_EARLY
        raise ImageError(
            f"The SVG is not well-formed XML (line {line}, column {column}).",
            code="truncated_image" if ended_early else "not_an_image",
        ) from None
    if _local_name(root.tag) != "svg":
        raise ImageError("The XML document is not an SVG image.", code="not_an_image")
    return SvgDocument(root, builder.start_offsets, builder.end_offsets)


def check_svg_has_no_scripts(root: ET.Element) -> None:
    """Refuse an SVG with script elements, event attributes or javascript: links."""
    for element in root.iter():
        if _local_name(element.tag).lower() in _SCRIPT_ELEMENTS:
            raise _scripted(f"a <{_local_name(element.tag)}> element")
        for name, value in element.attrib.items():
            if _local_name(name).lower().startswith("on"):
                raise _scripted(f"an event attribute ({_local_name(name)})")
            if "javascript:" in _IGNORED_IN_SCHEME.sub("", value).lower():
                raise _scripted("a javascript: link")


def _scripted(what: str) -> ImageError:
    return ImageError(f"The SVG contains {what}; scripts are refused.", code="svg_has_scripts")


def _local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _svg_pixels(length: str | None) -> int | None:
    match = _PIXEL_LENGTH.fullmatch(length or "")
    return round(float(match.group(1))) if match else None
