"""RSS 2.0, RSS 1.0 (RDF) and Atom feeds to article submissions, one entry per feed item.

feedparser does the reading because feeds in the wild are rarely valid XML and it has a
loose parser for the ones its strict one refuses. It is kept on a short lead:

- it is given the bytes wrapped in a stream, never the bytes themselves: `feedparser.parse`
  treats a `bytes` or `str` argument as a file name (and a `str` as a URL) when it can
  open one, so a body of `/etc/passwd` would be read from disk;
- we decode the bytes ourselves (BOM, the XML declaration, the declared charset, UTF-8
  with the Windows-1252 fallback of services.ingest.formats.decoding) and hand feedparser
  UTF-8 that says so, so that its character-set guessing never decides what a feed says;
- `sanitize_html=False`: the body is sanitised once, by the same allow-list as every other
  format (services.ingest.body_text.sanitize_html), not twice by two different rules;
- `resolve_relative_uris=False`: with no document URL the base would be empty and the
  links garbled; relative links stay relative (feedparser never fetches either way);
- a DOCTYPE that declares entities is refused before parsing, as safe_xml does for the
  other XML formats (no news feed needs them; billion-laughs documents do).

One broken entry does not spoil the others: it becomes a FormatError entry whose location
names the entry and the feed element, e.g. `entries[3].title`. A document that is not a
feed at all, or breaks before any entry, raises FormatError. The field mapping for feed
owners is in docs/formats/rss-atom.md; keep the two in step.
"""

from __future__ import annotations

import html
import io
import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from xml.sax import SAXParseException
from zoneinfo import ZoneInfo

import feedparser
from pydantic import ValidationError

from schemas.article import ArticleSubmission
from services.ingest.body_text import paragraphs_from_html, sanitize_html
from services.ingest.formats.charsets import guess_message, undeclared_charset
from services.ingest.formats.dates import strict_date
from services.ingest.formats.errors import FormatError
from services.ingest.formats.items import ParsedItem
from services.ingest.formats.safe_xml import xml_as_utf8
from services.ingest.formats.salvage import Repairs, fill_text, salvaged, take_date
from services.ingest.formats.zones import time_zone
from services.text.dateline import strip_lede_dateline

DEFAULT_SOURCE = "unknown"
HTML_TYPES = ("text/html", "application/xhtml+xml")
_URL = re.compile(r"^https?://[^\s/]+", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
_BLANK_LINE = re.compile(r"\n\s*\n")
_BY_PREFIX = re.compile(r"^\s*by\s+", re.IGNORECASE)
_BY_SPLIT = re.compile(r"\s+(?:and|&)\s+|\s*;\s*|\s*,\s*and\s+", re.IGNORECASE)
_EMAIL_FIRST = re.compile(r"^\S+@\S+\s+\((?P<name>[^)]+)\)$")  # RSS <author>: "mail@x (Name)"
_LANGUAGE = re.compile(r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$")
_MAX_TAGS = 200
_MAX_TAG = 200
_MAX_SUBHEADLINE = 2000

# The feed element each article field comes from, for error locations.
_ORIGINS = {
    "headline": "title",
    "subheadline": "summary",
    "canonical_url": "link",
    "feed_item_id": "id",
    "published_at": "published",
    "updated_at": "updated",
    "body": "content",
    "body_html": "content",
    "bylines": "author",
    "dateline": "content",
    "tags": "category",
    "language": "language",
}


def parse_feed(data: bytes, *, charset: str | None = None, source_timezone: str = "UTC") -> list[ParsedItem]:
    """One entry per feed item, in feed order: the article, or the FormatError that item raised."""
    zone = time_zone(source_timezone)
    guessed = undeclared_charset(data, charset)  # declared charsets win; see charsets.py
    utf8 = xml_as_utf8(data, charset or guessed)  # refuses entity declarations in any encoding
    try:
        parsed = feedparser.parse(
            io.BytesIO(utf8),
            response_headers={"content-type": "application/xml; charset=utf-8"},
            resolve_relative_uris=False,
            sanitize_html=False,
        )
    except Exception as exc:  # feedparser's own parsers can fail on malformed markup (e.g. ValueError)
        raise FormatError(f"not a readable feed: {type(exc).__name__}: {exc}", "document") from exc
    entries: list[Any] = list(parsed.get("entries") or [])
    problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
    if problem is not None and not any(entries):  # broken before any entry had a field
        raise FormatError(f"not a readable feed: {_problem_text(problem)}", _problem_line(problem))
    if not entries:
        if not parsed.get("version"):
            raise FormatError("not an RSS or Atom feed: no channel, feed or item found", "document")
        return []
    feed: Mapping[str, Any] = parsed.get("feed") or {}
    source = _source(feed)
    feed_language = _language(feed.get("language"))
    items: list[ParsedItem] = []
    for index, entry in enumerate(entries):
        try:
            items.append(_article(entry, index, source, feed_language, zone, guessed))
        except FormatError as exc:
            items.append(exc)
    return items


def _problem_text(problem: object) -> str:
    if isinstance(problem, SAXParseException):
        return str(problem.getMessage())
    return str(problem) or type(problem).__name__


def _problem_line(problem: object) -> str:
    if isinstance(problem, SAXParseException) and problem.getLineNumber():
        return f"line {problem.getLineNumber()}"
    return "document"


def _source(feed: Mapping[str, Any]) -> dict[str, Any]:
    """The channel's title and home page; a feed without a title is named by its site's host."""
    link = _http_url(feed.get("link"))
    name = _plain(str(feed.get("title") or ""))[:2000]
    if not name and link:
        name = re.sub(r"^https?://", "", link, flags=re.IGNORECASE).split("/")[0]
    return {"name": name or DEFAULT_SOURCE, "url": link}


def _article(
    entry: Mapping[str, Any],
    index: int,
    source: dict[str, Any],
    feed_language: str | None,
    zone: ZoneInfo,
    guessed: str | None = None,
) -> ArticleSubmission:
    """The entry's article; only an entry with neither a title nor any text is refused."""
    where = f"entries[{index}]"
    repairs = Repairs()
    if guessed:
        repairs.note("charset-guessed", None, guess_message(guessed))
    body, body_html, text_language = _body(entry)
    languages = (text_language, feed_language)
    published = _moment(entry, "published", zone, where, repairs, languages)
    updated = _moment(entry, "updated", zone, where, repairs, languages)
    subheadline = _subheadline(entry, body)
    dateline, body = strip_lede_dateline(body)
    fields: dict[str, Any] = {
        "headline": _text_of(entry, "title"),
        "subheadline": subheadline,
        "source": source,
        "canonical_url": _http_url(entry.get("link")),
        "feed_item_id": str(entry.get("id") or "").strip() or None,
        "published_at": published or updated,
        "updated_at": updated if published is not None else None,
        "bylines": _bylines(entry),
        "dateline": dateline,
        "language": text_language or feed_language,
        "body": body,
        "body_html": body_html,
        "tags": _tags(entry),
    }
    if not fill_text(fields, repairs):
        raise FormatError("the entry has neither a title nor any text (content, summary)", f"{where}.title")
    try:
        return salvaged(fields, repairs)
    except ValidationError as exc:
        raise _invalid(exc, where) from exc


def _text_of(entry: Mapping[str, Any], key: str) -> str:
    """A text construct as plain text: HTML titles (Atom type="html") lose their markup."""
    value = str(entry.get(key) or "")
    detail = entry.get(f"{key}_detail") or {}
    if detail.get("type") in HTML_TYPES:
        return _plain(value)
    return " ".join(value.split())


def _plain(text: str) -> str:
    return " ".join(html.unescape(_TAG.sub(" ", text)).split())


def _moment(
    entry: Mapping[str, Any],
    key: str,
    zone: ZoneInfo,
    where: str,
    repairs: Repairs,
    languages: tuple[str | None, ...],
) -> datetime | None:
    """A date with the offset the feed wrote, read from the raw string; None when unreadable (said).

    feedparser's `*_parsed` is a UTC struct_time: right instant, lost zone. So the raw text is
    read first (RFC 822 for RSS, ISO 8601 for Atom and dc:date); the struct_time comes next, for
    the odd layouts feedparser knows, read as UTC; the natural-language reader last, in the
    entry's and the feed's language first (`Seg, 24 Set 2018`). A time without an offset is in
    the source's configured zone.
    """
    # dict.get: feedparser's mapping answers "updated" with the published date when there is none.
    raw = str(dict.get(entry, key) or "") if isinstance(entry, dict) else str(entry.get(key) or "")
    raw = " ".join(raw.split())
    if not raw:
        return None
    field_name = f"{key}_at"
    moment = strict_date(raw)
    if moment is not None:
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)
    known = _feedparser_time(entry, key)
    if known is not None:
        repairs.note(
            "date-nonstandard", field_name, f"{where}.{key} {raw[:80]!r} read as {known.isoformat()}"
        )
        return known
    return take_date(raw, zone, repairs, field_name=field_name, element=f"{where}.{key}", languages=languages)


def _feedparser_time(entry: Mapping[str, Any], key: str) -> datetime | None:
    parsed = dict.get(entry, f"{key}_parsed") if isinstance(entry, dict) else None
    if not isinstance(parsed, time.struct_time):
        return None
    try:
        return datetime(*parsed[:6], tzinfo=UTC)
    except ValueError:
        return None


def _body(entry: Mapping[str, Any]) -> tuple[list[str], str | None, str | None]:
    """Paragraphs, sanitised HTML and the text's language from the fullest text the entry has.

    `content` (Atom content, RSS content:encoded) before `summary` (RSS description, Atom
    summary): the summary is often a teaser. HTML is preferred over plain text within content.
    """
    contents = [c for c in entry.get("content") or [] if str(c.get("value") or "").strip()]
    chosen = next((c for c in contents if c.get("type") in HTML_TYPES), contents[0] if contents else None)
    if chosen is None and str(entry.get("summary") or "").strip():
        chosen = entry.get("summary_detail") or {"type": "text/html", "value": entry.get("summary")}
    if chosen is None:
        return [], None, None
    value = str(chosen.get("value") or "")
    language = _language(chosen.get("language"))
    if chosen.get("type") in HTML_TYPES:
        cleaned = sanitize_html(value).strip()
        return paragraphs_from_html(cleaned), cleaned or None, language
    return _paragraphs(value), None, language


def _paragraphs(text: str) -> list[str]:
    """Plain text: blank lines separate paragraphs when there are any, else every line is one."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    chunks = _BLANK_LINE.split(text) if _BLANK_LINE.search(text) else text.split("\n")
    return [joined for joined in (" ".join(chunk.split()) for chunk in chunks) if joined]


def _subheadline(entry: Mapping[str, Any], body: list[str]) -> str | None:
    """The summary, when the body came from the full content and the summary is a different text."""
    if not entry.get("content") or not entry.get("summary"):
        return None
    summary = _text_of(entry, "summary")
    if not summary or len(summary) > _MAX_SUBHEADLINE or summary in " ".join(body):
        return None
    return summary


def _bylines(entry: Mapping[str, Any]) -> list[dict[str, str]]:
    """Names from Atom <author>s, RSS <author> ("mail (Name)") or dc:creator, "By A and B" split."""
    author = " ".join(str(entry.get("author") or "").split())
    raw = [str(a.get("name") or "") for a in entry.get("authors") or [] if isinstance(a, Mapping)]
    if _EMAIL_FIRST.match(author) or not any(raw):
        raw = [author]  # feedparser's own split of "mail (Name)" cuts some addresses wrongly
    names: list[str] = []
    for text in raw:
        text = " ".join(text.split())
        if found := _EMAIL_FIRST.match(text):
            text = found.group("name")
        for name in _BY_SPLIT.split(_BY_PREFIX.sub("", text)):
            name = name.strip(" ,")
            if name and "@" not in name and name.casefold() not in {n.casefold() for n in names}:
                names.append(name[:2000])
    return [{"name": name, "role": "writer"} for name in names[:50]]


def _tags(entry: Mapping[str, Any]) -> list[str]:
    """Category labels (terms when there is no label), in order, duplicates dropped."""
    tags: list[str] = []
    seen: set[str] = set()
    for tag in entry.get("tags") or []:
        if not isinstance(tag, Mapping):
            continue
        text = " ".join(str(tag.get("label") or tag.get("term") or "").split())[:_MAX_TAG]
        if text and text.casefold() not in seen and len(tags) < _MAX_TAGS:
            seen.add(text.casefold())
            tags.append(text)
    return tags


def _http_url(value: object) -> str | None:
    text = str(value or "").strip()
    return text if _URL.match(text) and not any(c.isspace() for c in text) else None


def _language(value: object) -> str | None:
    """`en`, `en-US`; `en_US` is spelled the BCP 47 way, anything else is dropped, not an error."""
    text = str(value or "").strip().replace("_", "-")
    return text if _LANGUAGE.match(text) else None


def _invalid(exc: ValidationError, where: str) -> FormatError:
    """The first thing the contract refuses, named by the feed element it came from."""
    error = exc.errors(include_url=False)[0]
    loc = [str(part) for part in error["loc"]]
    if not loc:  # a rule across fields, e.g. updated before published
        element = "updated" if "updated_at" in error["msg"] else ""
    elif loc[0] == "source":
        return FormatError(f"the feed gives an invalid source: {error['msg']}", "feed.title")
    else:
        element = ".".join([_ORIGINS.get(loc[0], loc[0]), *loc[1:]])
    location = f"{where}.{element}" if element else where
    return FormatError(f"the entry gives an invalid article: {error['msg']}", location)
