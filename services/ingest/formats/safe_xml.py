"""Parsing untrusted XML feeds (NITF, NewsML-G2, and later RSS/Atom) without letting them reach out.

Feeds arrive from the network, so a document must never make us read a file, fetch a URL or
expand entities into gigabytes. lxml is configured so nothing external is loaded and entities
are not substituted, and on top of that any document whose DOCTYPE *declares* entities is
refused outright (billion laughs, XXE): no news format needs them, and refusing is simpler to
reason about than expanding a few safely. A DOCTYPE without declarations (NITF feeds often name
their DTD) is accepted; references to entities it would have defined (`&mdash;`) stay as entity
nodes, which `text_of` resolves against the HTML entity names.

Which encoding wins, in order:

1. a byte order mark;
2. the XML declaration's `encoding`: the document describes itself, while a Content-Type
   charset is often a server default that knows nothing of the file (RFC 7303 says the
   opposite; the wild says this);
3. the Content-Type charset, when the document has neither of the above;
4. UTF-8. Bytes that claim or default to UTF-8 but are not valid UTF-8 are read as
   Windows-1252 when they decode as such, as feeds that paste in smart quotes need.
"""

from __future__ import annotations

import codecs
import html
import re
from collections.abc import Iterator

from lxml import etree

from services.ingest.formats.errors import FormatError

_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)
_DECLARED = re.compile(rb"^\s*<\?xml[^>]*?\bencoding\s*=\s*[\"']([A-Za-z][A-Za-z0-9._:-]*)[\"']")
_UTF16_STARTS = (b"<\x00?\x00", b"\x00<\x00?")  # BOM-less UTF-16: lxml detects it itself
_UTF8_NAMES = {"utf-8", "utf8"}
_SPACE = re.compile(r"\s+")


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def declares_entities(data: bytes) -> bool:
    """A DOCTYPE followed by an ENTITY declaration, looked for in the ASCII and UTF-16 spellings.

    This runs before lxml sees the bytes, so a hostile document is refused before any parsing
    work; the parsed tree's internal subset is checked again afterwards for other encodings.
    """
    for codec in ("ascii", "utf-16-le", "utf-16-be"):
        doctype = data.find("<!DOCTYPE".encode(codec))
        if doctype >= 0 and data.find("<!ENTITY".encode(codec), doctype) >= 0:
            return True
    return False


def _transcoded(data: bytes, charset: str | None) -> bytes:
    """The bytes lxml should read: as given when they describe their own encoding, else UTF-8."""
    if data.startswith(_BOMS) or data.startswith(_UTF16_STARTS):
        return data
    declared = _DECLARED.match(data[:1024])
    if declared is not None:
        name = declared.group(1).decode("ascii").lower()
        if name.replace("_", "-") not in _UTF8_NAMES:
            return data  # lxml decodes it per the declaration
    elif charset is not None:
        try:
            encoding = codecs.lookup(charset).name
        except LookupError as exc:
            raise FormatError(f"unknown charset {charset!r}", "Content-Type") from exc
        if encoding != "utf-8":
            try:
                return data.decode(encoding).encode("utf-8")
            except UnicodeDecodeError as exc:
                raise FormatError(f"not valid {charset}: {exc.reason}", f"byte {exc.start}") from exc
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252").encode("utf-8")
        except UnicodeDecodeError:
            return data  # lxml will say where it is broken
    return data


def parse_xml(data: bytes, charset: str | None) -> etree._Element:
    """The root element of a feed document, or FormatError with the line where it breaks."""
    if declares_entities(data):
        raise FormatError("entity declarations are not allowed", "document")
    try:
        root = etree.fromstring(_transcoded(data, charset), _parser())
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else (exc.position[0] if exc.position else 1)
        message = (exc.msg or "not well-formed XML").split(", line ")[0]
        raise FormatError(f"not well-formed XML: {message}", f"line {line}") from exc
    except (ValueError, LookupError) as exc:  # e.g. an encoding lxml does not know
        raise FormatError(f"unreadable XML: {exc}", "document") from exc
    if root is None:
        raise FormatError("the document has no root element", "document")
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise FormatError("entity declarations are not allowed", "document")
    return root


# --- helpers the XML format parsers share --------------------------------------------------------


def local_name(element: etree._Element) -> str:
    """The tag without its namespace; "" for comments, entities and processing instructions.

    Feeds namespace the same vocabulary in different ways (NITF with or without its namespace,
    NewsML-G2 with a default or a prefixed one), so parsers match on local names only.
    """
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]


def children(element: etree._Element, *names: str) -> Iterator[etree._Element]:
    """Child elements whose local name is one of `names` (any child element when none are given)."""
    for child in element:
        name = local_name(child)
        if name and (not names or name in names):
            yield child


def child(element: etree._Element, *names: str) -> etree._Element | None:
    """The first child element named one of `names`, in document order."""
    return next(children(element, *names), None)


def path(element: etree._Element, *, below: str = "") -> str:
    """An XPath-like location of `element` with local names, e.g. `/newsMessage/itemSet/newsItem[2]`.

    A position is given only where siblings share the name, so single elements read plainly.
    `below` names something under the element that is missing (e.g. "contentMeta/headline").
    """
    steps = []
    node: etree._Element | None = element
    while node is not None:
        name = local_name(node) or "node()"
        parent = node.getparent()
        if parent is not None:
            same = [c for c in parent if local_name(c) == name]
            if len(same) > 1:
                name = f"{name}[{same.index(node) + 1}]"
        steps.append(name)
        node = parent
    location = "/" + "/".join(reversed(steps))
    return f"{location}/{below}" if below else location


def text_of(element: etree._Element) -> str:
    """All text inside an element, entity references resolved where HTML knows them, spaces collapsed."""
    if not local_name(element):
        return ""
    inner = [element.text or "", *(text for node in element for text in _texts(node))]
    return _SPACE.sub(" ", "".join(inner)).strip()


def _texts(node: etree._Element) -> Iterator[str]:
    """A node's text, its descendants' and its tail: the tail belongs to the text around it."""
    if isinstance(node, etree._Entity):
        yield entity_text(node)
    elif local_name(node):
        yield node.text or ""
        for sub in node:
            yield from _texts(sub)
    if node.tail:
        yield node.tail


def entity_text(entity: etree._Element) -> str:
    """`&mdash;` left by a DTD we did not load, as its character; unknown names become nothing."""
    name = str(entity.name) if isinstance(entity, etree._Entity) else ""
    resolved = html.unescape(f"&{name};")
    return "" if resolved == f"&{name};" else resolved
