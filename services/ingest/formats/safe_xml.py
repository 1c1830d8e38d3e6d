"""Parsing untrusted XML feeds (NITF, NewsML-G2, RSS/Atom) without letting them reach out.

Feeds arrive from the network, so a document must never make us read a file, fetch a URL or
expand entities into gigabytes. lxml is configured so nothing external is loaded and entities
are not substituted, and on top of that any document that *declares* entities is refused
outright (billion laughs, XXE): no news format needs them, and refusing is simpler to reason
about than expanding a few safely. A DOCTYPE without declarations (NITF feeds often name
their DTD) is accepted; references to entities it would have defined (`&mdash;`) stay as entity
nodes, which `text_of` resolves against the HTML entity names.

The refusal holds in every encoding because it is made on text, not bytes: the document is
decoded here, checked, and handed to lxml or feedparser as UTF-8 that says so. A parser never
decodes on its own, so it reads exactly the text that was checked, whatever the bytes were.

Which encoding wins, in order (XML 1.0 section 4.3.3 and Appendix F for the first two):

1. a byte order mark, or the way the first four bytes spell `<` or `<?xm`: UTF-32 (either
   byte order), UTF-16 (either byte order), or EBCDIC, whose code page the declaration names;
2. the XML declaration's `encoding`: the document describes itself, while a Content-Type
   charset is often a server default that knows nothing of the file (RFC 7303 says the
   opposite; the wild says this). A declaration that its own encoding would spell
   differently is not believed when the bytes are ASCII-like: .NET writes documents that say
   UTF-16 in UTF-8, and libxml2 reads them as UTF-8 too;
3. the Content-Type charset, when the document has neither of the above;
4. UTF-8. Bytes that claim or default to UTF-8 but are not valid UTF-8 are read as
   Windows-1252 when they decode as such, as feeds that paste in smart quotes need.

UCS-4 in the byte orders 2143 and 3412 is recognised but refused: neither Python nor libxml2
has a codec for it, and no feed has been seen to send it.
"""

from __future__ import annotations

import codecs
import html
import re
from collections.abc import Iterator

from lxml import etree

from services.ingest.formats.decoding import codec_name, decode_text
from services.ingest.formats.errors import FormatError

# The four-byte patterns first: the UTF-32 little-endian BOM starts with the UTF-16 one, and
# FE FF 00 00 is UCS-4 3412 rather than a UTF-16 BOM before a NUL, which XML does not allow.
_IN_BAND = (
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xff\xfe", "UCS-4 2143"),
    (b"\xfe\xff\x00\x00", "UCS-4 3412"),
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00\x00<\x00", "UCS-4 2143"),
    (b"\x00<\x00\x00", "UCS-4 3412"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (b"\x00<\x00?", "utf-16-be"),
    (b"<\x00?\x00", "utf-16-le"),
)
_UNSUPPORTED = ("UCS-4 2143", "UCS-4 3412")
_EBCDIC = b"\x4c\x6f\xa7\x94"  # "<?xm" in every EBCDIC code page
_DECLARED = re.compile(r"\s*<\?xml\s[^>]*?\bencoding\s*=\s*[\"']([A-Za-z][A-Za-z0-9._:-]*)[\"']")
_DECLARATION = re.compile(r"(\s*)(<\?xml\s[^>]*?\?>)")
_ENCODING = re.compile(r"(\bencoding\s*=\s*)([\"'])[^\"']*\2")
_UTF8_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>'
_DOCTYPE = re.compile(r"<!DOCTYPE", re.IGNORECASE)
_ENTITY = re.compile(r"<!ENTITY", re.IGNORECASE)
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


def xml_encoding(data: bytes, charset: str | None) -> str:
    """The codec the document is written in, or FormatError when it cannot be read at all.

    Public so that sniffing a generic Content-Type reads the root element in the same
    encoding the parser will.
    """
    for start, encoding in _IN_BAND:
        if data.startswith(start):
            if encoding in _UNSUPPORTED:
                raise FormatError(f"{encoding} is not supported: send UTF-8, UTF-16 or UTF-32", "byte 0")
            return encoding
    declared = _declared_encoding(data)
    if declared is not None:
        return declared
    return codec_name(charset) if charset else "utf-8"


def _declared_encoding(data: bytes) -> str | None:
    """The codec the XML declaration names, when the bytes are really written in it.

    An EBCDIC document has no other way to say which code page it uses, so there a missing
    or wrong name is an error; in single bytes a name that cannot be right is ignored.
    """
    ebcdic = data.startswith(_EBCDIC)
    declared = _DECLARED.match(data[:1024].decode("cp037" if ebcdic else "latin-1"))
    if declared is None:
        if ebcdic:
            raise FormatError("an EBCDIC document must name its code page", "XML declaration")
        return None
    encoding = codec_name(declared.group(1), "XML declaration")
    if _spells_declaration(data, encoding):
        return encoding
    if ebcdic:
        raise FormatError(f"the document is EBCDIC, not {declared.group(1)}", "XML declaration")
    return None


def _spells_declaration(data: bytes, encoding: str) -> bool:
    """Whether `encoding` writes "<?xml" the way the document's first bytes do."""
    try:
        return data.lstrip(b" \t\r\n").startswith("<?xml".encode(encoding))
    except UnicodeError:  # e.g. idna, which cannot encode "<"
        return False


def declares_entities(text: str) -> bool:
    """A DOCTYPE and an ENTITY declaration anywhere in the text, in either order, any case.

    Broader than "an internal subset that declares an entity" on purpose: feedparser lifts
    `<!ENTITY` lines from anywhere before the root element, comments included, into the
    DOCTYPE it rebuilds, so a precise reading of the internal subset would miss what it
    expands. A body that quotes both markup strings unescaped (in CDATA) is refused too.
    """
    return _DOCTYPE.search(text) is not None and _ENTITY.search(text) is not None


def xml_text(data: bytes, charset: str | None) -> str:
    """The document's text, or FormatError: undecodable bytes (with the byte) or entity declarations."""
    text = decode_text(data, xml_encoding(data, charset))
    if declares_entities(text):
        raise FormatError("entity declarations are not allowed", "document")
    return text


def xml_as_utf8(data: bytes, charset: str | None) -> bytes:
    """`xml_text` as UTF-8 under a declaration that says so, for lxml and feedparser.

    Spaces before the declaration move after it, so that line numbers in parse errors still
    point at the sender's lines.
    """
    text = xml_text(data, charset)
    found = _DECLARATION.match(text)
    if found is None:
        return (_UTF8_DECLARATION + text).encode("utf-8", "replace")
    declaration = _ENCODING.sub(r'\1"utf-8"', found.group(2), count=1)
    return (declaration + found.group(1) + text[found.end() :]).encode("utf-8", "replace")


def parse_xml(data: bytes, charset: str | None) -> etree._Element:
    """The root element of a feed document, or FormatError with the line where it breaks."""
    utf8 = xml_as_utf8(data, charset)
    try:
        root = etree.fromstring(utf8, _parser())
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else (exc.position[0] if exc.position else 1)
        message = (exc.msg or "not well-formed XML").split(", line ")[0]
        raise FormatError(f"not well-formed XML: {message}", f"line {line}") from exc
    except (ValueError, LookupError) as exc:
        raise FormatError(f"unreadable XML: {exc}", "document") from exc
    if root is None:
        raise FormatError("the document has no root element", "document")
    # Belt and braces: lxml's own reading of the internal subset, should the text check miss one.
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
