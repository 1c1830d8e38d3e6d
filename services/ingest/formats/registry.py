"""Pick the parser for a raw document by its Content-Type, sniffing when the type is generic.

A document may hold several articles (a feed, a NewsML-G2 message), so parsing
yields one entry per item: the article, a withdrawal, or the FormatError that
item raised. A problem with the document as a whole (undecodable bytes, no
recognisable structure) raises FormatError instead.

Specific types name their format. Generic ones (`application/json`,
`application/xml`, `text/xml`, `application/octet-stream`) are sniffed: JSON is
ninjs; for XML the root element decides (`nitf`, `newsMessage`/`newsItem`,
`rss`/`RDF`/`feed`, `html`). HTML is read as a page in the seed's layout only when
it shows that layout's own anchor (html_page.py); every other page goes to the generic
article extractor.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from pydantic import ValidationError

from services.ingest.formats.decoding import decode_text
from services.ingest.formats.errors import FormatError
from services.ingest.formats.feed import parse_feed
from services.ingest.formats.generic_html import parse_generic_html
from services.ingest.formats.html_page import parse_seed_layout
from services.ingest.formats.items import ParsedItem
from services.ingest.formats.newsml_g2 import parse_newsml_g2
from services.ingest.formats.ninjs import parse_ninjs
from services.ingest.formats.nitf import parse_nitf
from services.ingest.formats.safe_xml import xml_encoding
from services.ingest.formats.text_page import parse_text_page

# data, the declared charset (None when the Content-Type gives none), the source time zone
Parser = Callable[[bytes, str | None, str], list[ParsedItem]]


def _wire(parse: Callable[..., list[ParsedItem]]) -> Parser:
    def parser(data: bytes, charset: str | None, source_timezone: str) -> list[ParsedItem]:
        return parse(data, charset=charset, source_timezone=source_timezone)

    return parser


def _text_page(data: bytes, charset: str | None, source_timezone: str) -> list[ParsedItem]:
    return [parse_text_page(decode_text(data, charset), source_timezone=source_timezone)]


def _html(data: bytes, charset: str | None, source_timezone: str) -> list[ParsedItem]:
    """A page in the seed's layout when it shows that layout's markers, else any article page."""
    try:
        text: str | None = decode_text(data, charset)
    except FormatError:  # the generic parser also reads a `<meta charset>`
        text = None
    seed = parse_seed_layout(text, source_timezone=source_timezone) if text is not None else None
    if seed is not None:
        return [seed]
    return parse_generic_html(data, charset=charset, source_timezone=source_timezone)


FORMATS: dict[str, Parser] = {
    "text-page": _text_page,
    "html": _html,
    "ninjs": _wire(parse_ninjs),
    "nitf": _wire(parse_nitf),
    "newsml-g2": _wire(parse_newsml_g2),
    "feed": _wire(parse_feed),
}

BY_TYPE: dict[str, str] = {
    "text/plain": "text-page",
    "text/html": "html",
    "application/xhtml+xml": "html",
    "application/ninjs+json": "ninjs",
    "application/vnd.iptc.ninjs+json": "ninjs",
    "application/nitf+xml": "nitf",
    "application/vnd.iptc.nitf+xml": "nitf",
    "application/vnd.iptc.g2.newsitem+xml": "newsml-g2",
    "application/vnd.iptc.g2.newsmessage+xml": "newsml-g2",
    "application/rss+xml": "feed",
    "application/atom+xml": "feed",
    "application/rdf+xml": "feed",
}
GENERIC_TYPES = ("application/json", "application/xml", "text/xml", "application/octet-stream")

_ROOT = re.compile(r"<(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)[\s/>]")
_ROOTS = {
    "nitf": "nitf",
    "newsMessage": "newsml-g2",
    "newsItem": "newsml-g2",
    "rss": "feed",
    "RDF": "feed",
    "feed": "feed",
    "html": "html",
}


def supported_types() -> list[str]:
    return sorted([*BY_TYPE, *GENERIC_TYPES])


def media_type_and_charset(content_type: str) -> tuple[str, str | None]:
    media, *params = (part.strip() for part in content_type.split(";"))
    charset = None
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"') or None
    return media.lower(), charset


def sniff(data: bytes, charset: str | None = None) -> str:
    """The format of a document sent with a generic type, from its first characters.

    They are read in the encoding the XML parsers will use, so that a UTF-16, UTF-32 or
    EBCDIC document is told by its root element like any other.
    """
    head = data[:4096].decode(xml_encoding(data, charset), "replace").lstrip("\ufeff \t\r\n")
    if head[:1] in ("{", "["):
        return "ninjs"
    # Skip the XML declaration, comments, processing instructions and the doctype.
    body = re.sub(r"<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>", "", head, flags=re.S)
    match = _ROOT.search(body)
    if head[:1] == "<" and match and match.group(1) in _ROOTS:
        return _ROOTS[match.group(1)]
    if head[:1] == "<" and match and match.group(1).lower() == "html":
        return "html"
    raise FormatError("cannot tell the format: send a specific Content-Type", "document")


def parse_raw(data: bytes, content_type: str, *, source_timezone: str = "UTC") -> list[ParsedItem]:
    media, charset = media_type_and_charset(content_type)
    if media in BY_TYPE:
        name = BY_TYPE[media]
    elif media in GENERIC_TYPES:
        name = sniff(data, charset)
    else:
        raise FormatError(f"no parser for {media or 'an empty Content-Type'}", None)
    try:
        return FORMATS[name](data, charset, source_timezone)
    except ValidationError as exc:  # a parser built an article the contract refuses
        first = exc.errors(include_url=False)[0]
        location = "/" + "/".join(str(part) for part in first["loc"])
        raise FormatError(f"the document gives an invalid article: {first['msg']}", location) from exc
