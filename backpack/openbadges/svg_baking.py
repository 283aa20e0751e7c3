"""Badges baked into SVG files: an <openbadges:assertion> (or 3.0 <openbadges:credential>).

Baking edits the text of the file rather than re-serialising a parsed tree, so everything
else (the XML declaration, DOCTYPE, comments, namespace prefixes, formatting) stays exactly
as the designer saved it. The offsets of the edits come from the safe parse in images.py.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from xml.sax.saxutils import escape

from backpack.openbadges.errors import BakingError, OpenBadgesError
from backpack.openbadges.images import SvgDocument, parse_svg
from backpack.openbadges.json_limits import decode_json

OB2_NAMESPACE = "http://openbadges.org"
OB3_NAMESPACE = "https://purl.imsglobal.org/ob/v3p0"
# Which element holds a badge, by PNG-style keyword: the namespace and the local name.
BADGE_ELEMENTS = {
    "openbadges": (OB2_NAMESPACE, "assertion"),
    "openbadgecredential": (OB3_NAMESPACE, "credential"),
}
# Some issuers baked under https://openbadges.org; Mozilla's and 1EdTech's bakeries find
# the element by its prefix and name whatever the namespace says, so it is read (and
# replaced on re-baking) as the same element. Baking always writes the spec's namespace.
_KEYWORD_OF_TAG = {
    f"{{{namespace}}}{name}": keyword for keyword, (namespace, name) in BADGE_ELEMENTS.items()
} | {"{https://openbadges.org}assertion": "openbadges"}

# A well-formed start tag; quoted attribute values may contain ">" and "/".
_HTTP_URL = re.compile(r"https?://\S+", re.IGNORECASE)
_START_TAG = re.compile(rb"""<([^\s/>]+)(?:\s+[^\s=]+\s*=\s*(?:"[^"]*"|'[^']*'))*\s*(/?)>""")
_PREFIX_DECLARATION = re.compile(rb"""\sxmlns:openbadges\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_DECLARED_ENCODING = re.compile(
    rb"""(?:\xef\xbb\xbf)?<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._-]+)["']"""
)


@dataclass(frozen=True)
class SvgBadge:
    """What an SVG's badge element holds: its body, else its verify attribute."""

    text: str
    keyword: str
    verify: str | None
    unreadable_body: str | None = None  # a malformed JSON body passed over for `verify`


def find_baked_badge(svg: bytes) -> SvgBadge | None:
    """The first badge element's JSON body, or its verify attribute if it has no body.

    A JSON body that cannot be parsed gives way to a verify attribute that is a hosted
    URL, as in Mozilla's and 1EdTech's bakeries: the issuer's copy is what is checked.
    """
    for element in parse_svg(svg).root.iter():
        keyword = _KEYWORD_OF_TAG.get(element.tag)
        if keyword is None:
            continue
        body = (element.text or "").strip()
        verify = (element.get("verify") or "").strip() or None
        if body and verify and _HTTP_URL.fullmatch(verify) and not _readable_json(body):
            return SvgBadge(verify, keyword, verify, unreadable_body=body)
        text = body or verify
        return SvgBadge(text, keyword, verify) if text else None
    return None


def _readable_json(body: str) -> bool:
    if not body.startswith(("{", "[")):
        return True  # a JWS or a URL, read as such
    try:
        decode_json(body, source="The baked badge")
    except OpenBadgesError:
        return False
    return True


def bake_svg(svg: bytes, *, keyword: str, verify: str | None, body: str | None) -> bytes:
    """The SVG with one badge element first in its root, replacing any other badge element."""
    namespace, name = BADGE_ELEMENTS[keyword]
    _check_encoding(svg, (verify or "") + (body or ""))
    document = parse_svg(svg)
    root_start = document.start_offsets[document.root]
    root_tag = _START_TAG.match(svg, root_start)
    assert root_tag is not None  # the parser accepted this very start tag
    root_tag_end = root_tag.end()

    text = bytearray(svg)
    for start, end in reversed(_badge_element_spans(svg, document)):
        del text[start:end]

    declared = _PREFIX_DECLARATION.search(svg, root_start, root_tag_end)
    declared_namespace = (declared.group(1) or declared.group(2)).decode() if declared else None
    # A root that binds the prefix elsewhere (say, to the other version's namespace) keeps
    # its binding, and the element declares its own.
    local_declaration = declared_namespace not in (None, namespace)
    element = _badge_element(name, namespace if local_declaration else None, verify, body)
    self_closing_root = bool(root_tag.group(2))
    if self_closing_root:
        closing = b"</" + root_tag.group(1) + b">"
        text[root_tag_end - 2 : root_tag_end] = b">" + element + closing
    else:
        text[root_tag_end:root_tag_end] = element
    if declared_namespace is None:
        attribute_at = root_tag_end - (2 if self_closing_root else 1)
        text[attribute_at:attribute_at] = f' xmlns:openbadges="{escape(namespace)}"'.encode()
    return bytes(text)


def unbake_svg(svg: bytes) -> bytes:
    """The SVG without any badge element; the rest of the file stays exactly as it was."""
    document = parse_svg(svg)
    text = bytearray(svg)
    for start, end in reversed(_badge_element_spans(svg, document)):
        del text[start:end]
    return bytes(text)


def _badge_element(name: str, namespace: str | None, verify: str | None, body: str | None) -> bytes:
    attributes = f' xmlns:openbadges="{escape(namespace)}"' if namespace else ""
    if verify:
        attributes += f' verify="{escape(verify, {chr(34): "&quot;"})}"'
    if not body:
        return f"<openbadges:{name}{attributes}/>".encode()
    # "]]>" cannot appear inside CDATA; it is split across two sections instead.
    cdata = body.replace("]]>", "]]]]><![CDATA[>")
    return f"<openbadges:{name}{attributes}><![CDATA[{cdata}]]></openbadges:{name}>".encode()


def _badge_element_spans(svg: bytes, document: SvgDocument) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for element in document.root.iter():
        if element.tag not in _KEYWORD_OF_TAG:
            continue
        start, end = _element_span(svg, document, element)
        if spans and start < spans[-1][1]:
            continue  # nested inside a badge element already being removed
        spans.append((start, end))
    return spans


def _element_span(svg: bytes, document: SvgDocument, element: ET.Element) -> tuple[int, int]:
    start = document.start_offsets[element]
    start_tag = _START_TAG.match(svg, start)
    assert start_tag is not None  # the parser accepted this very start tag
    if start_tag.group(2):
        end = start_tag.end()
    else:
        end = svg.index(b">", document.end_offsets[element]) + 1
    # The indentation before the element goes with it, so re-baking leaves no blank lines.
    return len(svg[:start].rstrip()), end


def _check_encoding(svg: bytes, inserted: str) -> None:
    declared = _DECLARED_ENCODING.match(svg)
    encoding = declared.group(1).decode().lower() if declared else "utf-8"
    if encoding in ("utf-8", "utf8") or inserted.isascii():
        return
    raise BakingError(
        f"This SVG is saved as {encoding}; save it as UTF-8 to bake this badge into it.",
        code="unbakeable_image_type",
    )
