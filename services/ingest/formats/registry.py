"""Pick the parser for a raw document by its Content-Type.

A document may hold several articles (a feed, a NewsML-G2 message), so parsing
yields one entry per item: the article, or the FormatError that item raised.
A problem with the document as a whole (undecodable bytes, no recognisable
structure) raises FormatError instead.
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import ValidationError

from schemas.article import ArticleSubmission
from services.ingest.formats.decoding import decode_text
from services.ingest.formats.errors import FormatError
from services.ingest.formats.html_page import parse_html_page
from services.ingest.formats.items import ParsedItem
from services.ingest.formats.text_page import parse_text_page

# data, the declared charset (None when the Content-Type gives none), the source time zone
Parser = Callable[[bytes, str | None, str], list[ParsedItem]]


def _page(parse: Callable[..., ArticleSubmission]) -> Parser:
    """A one-article page parser that reads text: decode first (BOM, charset, cp1252)."""

    def parser(data: bytes, charset: str | None, source_timezone: str) -> list[ParsedItem]:
        return [parse(decode_text(data, charset), source_timezone=source_timezone)]

    return parser


PARSERS: dict[str, Parser] = {
    "text/plain": _page(parse_text_page),
    "text/html": _page(parse_html_page),
    "application/xhtml+xml": _page(parse_html_page),
}


def supported_types() -> list[str]:
    return sorted(PARSERS)


def media_type_and_charset(content_type: str) -> tuple[str, str | None]:
    media, *params = (part.strip() for part in content_type.split(";"))
    charset = None
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"') or None
    return media.lower(), charset


def parse_raw(data: bytes, content_type: str, *, source_timezone: str = "UTC") -> list[ParsedItem]:
    media, charset = media_type_and_charset(content_type)
    parser = PARSERS.get(media)
    if parser is None:
        raise FormatError(f"no parser for {media or 'an empty Content-Type'}", None)
    try:
        return parser(data, charset, source_timezone)
    except ValidationError as exc:  # a parser built an article the contract refuses
        first = exc.errors(include_url=False)[0]
        location = "/" + "/".join(str(part) for part in first["loc"])
        raise FormatError(f"the page gives an invalid article: {first['msg']}", location) from exc
