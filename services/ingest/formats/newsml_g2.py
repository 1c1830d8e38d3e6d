"""IPTC NewsML-G2 (`http://iptc.org/std/nar/2006-10-01/`) text items to article submissions.

What a document may be:

- a `newsMessage`: one entry per child of its `itemSet`, in order, so entry *n* of the result
  is item *n* of the message;
- a bare `newsItem`: one entry.

Only text items become articles (`itemClass` `ninat:text`, or no itemClass at all). Every other
item (a picture, video, audio or graphic `newsItem`, a `packageItem`, `conceptItem`,
`knowledgeItem`, `planningItem`) becomes a Skipped entry saying what it is: the entry keeps the
result aligned with the message's items, and a feed owner who sends only pictures learns why
nothing was ingested, while a package whose text item was taken is not a failed document.

A canceled or withheld item (`pubStatus` `stat:canceled` / `stat:withheld`) becomes a
Withdrawal; it needs no content. `itemMeta/link` (seeAlso, related items) is ignored: it names
other items by guid, not headlines a sidebar could show.

The body is the first usable rendition in `contentSet`: inline NITF, inline XHTML, then
`inlineData` (HTML or plain text). `remoteContent` is never fetched. Item-level problems come
back as FormatError entries located by an XPath-like path such as
`/newsMessage/itemSet/newsItem[2]/contentMeta/headline`; a document that is not XML or not
NewsML-G2 raises FormatError. The field-by-field mapping is in docs/formats/newsml-g2.md.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from lxml import etree

from schemas.article import ArticleSubmission
from services.ingest.body_text import html_from_paragraphs, paragraphs_from_html, sanitize_html
from services.ingest.formats.charsets import guess_message, undeclared_charset
from services.ingest.formats.errors import FormatError
from services.ingest.formats.items import ParsedItem, Skipped, Withdrawal
from services.ingest.formats.nitf import (
    XML_LANG,
    byline_people,
    language_tag,
    markup_html,
    nitf_body,
    unique_tags,
    validated,
)
from services.ingest.formats.safe_xml import child, children, local_name, parse_xml, path, text_of
from services.ingest.formats.salvage import Repairs, fill_text, take_date
from services.ingest.formats.zones import time_zone
from services.text.dateline import strip_lede_dateline

NAMESPACE = "http://iptc.org/std/nar/2006-10-01/"
DEFAULT_SOURCE = "NewsML-G2"
WITHDRAWN_STATUSES = ("canceled", "cancelled", "withheld")
ITEM_NAMES = ("newsItem", "packageItem", "conceptItem", "knowledgeItem", "planningItem", "catalogItem")
_NITF_TYPES = ("application/nitf+xml", "application/vnd.iptc.nitf+xml", "text/vnd.iptc.nitf+xml")
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n")
# Text that opens or closes an HTML block: "plain text" that is in fact markup.
_MARKUP = re.compile(r"</?(?:p|br|div|h[1-6]|ul|ol|li|blockquote|table)\b[^>]*>", re.IGNORECASE)
_MAX_SUBHEADLINE = 2000
_MAIN_HEADLINE_ROLES = ("", "hld:main", "main")
_SUB_HEADLINE_ROLES = ("hld:subheadline", "hld:subhead", "subheadline")


def _code(qcode: str | None) -> str:
    """`stat:canceled` and `http://cv.iptc.org/newscodes/pubstatusg2/canceled` -> `canceled`."""
    value = (qcode or "").strip()
    return re.split(r"[:/#]", value)[-1].lower() if value else ""


def _named(element: etree._Element) -> str:
    """The human name of a G2 entity: its `name` child, else `@literal`, else the code of `@qcode`."""
    name = next((text_of(n) for n in children(element, "name") if text_of(n)), "")
    if name:
        return name
    literal = " ".join((element.get("literal") or "").split())
    if literal:
        return literal
    qcode = (element.get("qcode") or "").strip()
    return re.split(r"[:/#]", qcode)[-1] if qcode else ""


def _item_class(item: etree._Element) -> str:
    meta = child(item, "itemMeta")
    item_class = child(meta, "itemClass") if meta is not None else None
    return _code(item_class.get("qcode") if item_class is not None else None)


def _inherited_lang(element: etree._Element) -> tuple[str | None, str | None]:
    node: etree._Element | None = element
    while node is not None:
        if lang := node.get(XML_LANG):
            return language_tag(lang), path(node) + "/@xml:lang"
        node = node.getparent()
    return None, None


def _moment(
    meta: etree._Element | None,
    name: str,
    zone: ZoneInfo,
    repairs: Repairs,
    languages: list[str | None],
    field_name: str,
) -> tuple[datetime, str] | None:
    """The readable time of `name` and where it is; an unreadable one is None (said)."""
    element = child(meta, name) if meta is not None else None
    if element is None or not text_of(element):
        return None
    where = path(element)
    moment = take_date(
        text_of(element), zone, repairs, field_name=field_name, element=where, languages=languages
    )
    return (moment, where) if moment is not None else None


def _revision(item: etree._Element, repairs: Repairs) -> int:
    """newsItem@version; one that is not a positive whole number counts as 1 (said)."""
    raw = (item.get("version") or "").strip()
    if not raw:
        return 1
    if not raw.isdigit() or int(raw) < 1:
        where = path(item) + "/@version"
        repairs.note(
            "field-invalid", "revision", f"{where} {raw[:40]!r} is not a positive whole number: 1 used"
        )
        return 1
    return int(raw)


def _source(item: etree._Element, content: etree._Element | None) -> tuple[str, str | None]:
    """Who published it: the first named infoSource, else the provider, else the copyright holder."""
    meta = child(item, "itemMeta")
    rights = child(item, "rightsInfo")
    candidates = [
        *(children(content, "infoSource") if content is not None else []),
        *(children(meta, "provider") if meta is not None else []),
        *(children(rights, "copyrightHolder") if rights is not None else []),
    ]
    for candidate in candidates:
        if name := _named(candidate)[:2000]:
            return name, path(candidate)
    return DEFAULT_SOURCE, None


def _headlines(content: etree._Element | None) -> tuple[etree._Element | None, etree._Element | None]:
    """The main headline (no role or `hld:main` first) and a sub-headline when one is marked."""
    found = [h for h in children(content, "headline") if text_of(h)] if content is not None else []
    main = next((h for h in found if (h.get("role") or "").lower() in _MAIN_HEADLINE_ROLES), None)
    main = main if main is not None else (found[0] if found else None)
    sub = next(
        (h for h in found if h is not main and (h.get("role") or "").lower() in _SUB_HEADLINE_ROLES), None
    )
    return main, sub


def _subheadline(content: etree._Element | None, sub: etree._Element | None) -> tuple[str, str] | None:
    """A marked sub-headline, else a description, else the slugline: the first that fits the field."""
    candidates = [sub] if sub is not None else []
    if content is not None:
        candidates += [*children(content, "description"), *children(content, "slugline")]
    for element in candidates:
        text = text_of(element)
        if text and len(text) <= _MAX_SUBHEADLINE:
            return text, path(element)
    return None


def _bylines(content: etree._Element | None) -> tuple[list[dict[str, str]], str | None]:
    if content is None:
        return [], None
    by = [b for b in children(content, "by") if text_of(b)]
    if by:
        return [p for b in by for p in byline_people(text_of(b))][:50], path(by[0])
    creators = [c for c in children(content, "creator") if _named(c)]
    people = []
    for creator in creators:
        role = _code(creator.get("role")) or "writer"
        people.append({"name": _named(creator)[:2000], "role": role[:200]})
    return people[:50], path(creators[0]) if creators else None


def _dateline(content: etree._Element | None) -> tuple[str, str] | None:
    if content is None:
        return None
    for element in children(content, "dateline"):
        if text := text_of(element):
            return text[:300], path(element)
    for element in children(content, "located"):
        if name := _named(element):
            return name[:300], path(element)
    return None


def _plain_paragraphs(text: str) -> list[str]:
    """Blank lines separate paragraphs when there are any; otherwise each line is one."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    chunks = _BLANK_LINE.split(text) if _BLANK_LINE.search(text) else text.split("\n")
    return [" ".join(chunk.split()) for chunk in chunks if chunk.strip()]


def _body(content_set: etree._Element | None, repairs: Repairs) -> tuple[list[str], str, str] | None:
    """(paragraphs, sanitised HTML, where) of the first rendition that has text."""
    if content_set is None:
        return None
    for rendition in children(content_set):
        name = local_name(rendition)
        if name == "inlineXML":
            found = _inline_xml(rendition)
        elif name == "inlineData":
            found = _inline_data(rendition, repairs)
        else:
            continue  # remoteContent: never fetched
        if found is not None and (found[0] or found[1].strip()):
            return found[0], found[1], path(rendition)
    return None


def _inline_xml(rendition: etree._Element) -> tuple[list[str], str] | None:
    """NITF (namespaced or not), or XHTML: <html><body>..</body></html>, or a bare fragment."""
    kind = (rendition.get("contenttype") or "").split(";")[0].strip().lower()
    inner = next(children(rendition), None)
    if inner is None:
        return None
    if local_name(inner) == "nitf" or kind in _NITF_TYPES:
        return nitf_body(inner)
    body = child(inner, "body") if local_name(inner) == "html" else None
    markup = markup_html(body if body is not None else rendition)
    return paragraphs_from_html(markup), markup


def _inline_data(rendition: etree._Element, repairs: Repairs) -> tuple[list[str], str]:
    """Escaped HTML or plain text; "plain text" that is HTML markup (ANSA's CDATA) is read as HTML."""
    kind = (rendition.get("contenttype") or "").split(";")[0].strip().lower()
    raw = rendition.text or ""
    if kind not in _HTML_TYPES and _MARKUP.search(raw):
        repairs.note(
            "body-as-html",
            "body",
            f"inlineData says {kind or 'no content type'} but holds HTML: read as HTML",
        )
        kind = "text/html"
    if kind in _HTML_TYPES:
        markup = sanitize_html(raw) if raw.strip() else ""
        return paragraphs_from_html(markup), markup
    paragraphs = _plain_paragraphs(raw)
    return paragraphs, html_from_paragraphs(paragraphs)


def _item(item: etree._Element, zone: ZoneInfo, repairs: Repairs) -> ArticleSubmission | Withdrawal | Skipped:
    where = path(item)
    kind = local_name(item)
    item_class = _item_class(item)
    if kind != "newsItem" or item_class not in ("", "text"):
        what = f"a {item_class} newsItem" if kind == "newsItem" else f"a {kind}"
        return Skipped(f"{what} is not a text item: only text newsItems become articles", where)
    meta = child(item, "itemMeta")
    content = child(item, "contentMeta")
    origins: dict[str, str] = {}
    languages = [_inherited_lang(item)[0]]
    fields = {**_identity(item, origins, repairs), **_times(meta, content, zone, repairs, origins, languages)}
    status_element = child(meta, "pubStatus") if meta is not None else None
    status = _code(status_element.get("qcode") if status_element is not None else None)
    if status in WITHDRAWN_STATUSES:
        return _withdrawal(item, fields, status)
    fields.update(_content(item, origins, repairs))
    if not fill_text(fields, repairs):
        raise FormatError(
            "no headline and no inline text: give contentMeta/headline, or contentSet/inlineXML or inlineData"
            " (remoteContent is not fetched)",
            path(content, below="headline") if content is not None else where,
        )
    return validated(fields, origins, where, repairs)


def _identity(item: etree._Element, origins: dict[str, str], repairs: Repairs) -> dict[str, Any]:
    """What names the item: guid, version, source and main headline."""
    where = path(item)
    content = child(item, "contentMeta")
    guid = " ".join((item.get("guid") or "").split()) or None
    if guid:
        origins["feed_item_id"] = where + "/@guid"
    origins["revision"] = where + "/@version"
    source, source_at = _source(item, content)
    if source_at:
        origins["source"] = source_at
    main, _ = _headlines(content)
    if main is not None:
        origins["headline"] = path(main)
    return {
        "headline": text_of(main) if main is not None else "",
        "source": {"name": source},
        "feed_item_id": guid,
        "revision": _revision(item, repairs),
    }


def _times(
    meta: etree._Element | None,
    content: etree._Element | None,
    zone: ZoneInfo,
    repairs: Repairs,
    origins: dict[str, str],
    languages: list[str | None],
) -> dict[str, datetime | None]:
    """Published: firstCreated, else versionCreated, else contentCreated; updated: versionCreated."""
    updated = _moment(meta, "versionCreated", zone, repairs, languages, "updated_at")
    published = (
        _moment(meta, "firstCreated", zone, repairs, languages, "published_at")
        or updated
        or _moment(content, "contentCreated", zone, repairs, languages, "published_at")
    )
    if published is not None:
        origins["published_at"] = published[1]
    if updated is not None:
        origins["updated_at"] = updated[1]
    return {
        "published_at": published[0] if published else None,
        "updated_at": updated[0] if updated else None,
    }


def _withdrawal(item: etree._Element, fields: Mapping[str, Any], status: str) -> Withdrawal:
    """A canceled or withheld item needs no content: its guid is enough."""
    try:
        return Withdrawal(
            source=fields["source"]["name"],
            reason=f"pubstatus {status}",
            headline=fields["headline"],
            published_at=fields["published_at"],
            feed_item_id=fields["feed_item_id"],
            revision=fields["revision"],
        )
    except ValueError as exc:
        raise FormatError(
            "a withdrawal must name its item: give newsItem@guid", path(item) + "/@guid"
        ) from exc


def _content(item: etree._Element, origins: dict[str, str], repairs: Repairs) -> dict[str, Any]:
    """The article's text and what describes it."""
    content = child(item, "contentMeta")
    _, sub = _headlines(content)
    body = _body(child(item, "contentSet"), repairs)
    paragraphs, markup = (body[0], body[1]) if body else ([], "")
    if body:
        origins["body"] = origins["body_html"] = body[2]
    lede_dateline, paragraphs = strip_lede_dateline(paragraphs)
    dateline = _dateline(content)
    if dateline:
        origins["dateline"] = dateline[1]
    bylines, byline_at = _bylines(content)
    if byline_at:
        origins["bylines"] = byline_at
    subheadline = _subheadline(content, sub)
    if subheadline:
        origins["subheadline"] = subheadline[1]
    language, language_at = _language(item, content)
    if language_at:
        origins["language"] = language_at
    return {
        "subheadline": subheadline[0] if subheadline else None,
        "bylines": bylines,
        "dateline": dateline[0] if dateline else lede_dateline,
        "language": language,
        "body": paragraphs,
        "body_html": markup or None,
        "tags": _tags(content),
    }


def _language(item: etree._Element, content: etree._Element | None) -> tuple[str | None, str | None]:
    """contentMeta/language@tag, else the xml:lang the item is written in."""
    element = child(content, "language") if content is not None else None
    if element is not None and (element.get("tag") or "").strip():
        return language_tag(element.get("tag")), path(element)
    return _inherited_lang(item)


def _tags(content: etree._Element | None) -> list[str]:
    if content is None:
        return []
    names = [_named(s) for s in children(content, "subject")] + [
        text_of(k) for k in children(content, "keyword")
    ]
    return unique_tags(names)


def _entry(item: etree._Element, zone: ZoneInfo, guessed: str | None) -> ParsedItem:
    repairs = Repairs()
    if guessed:
        repairs.note("charset-guessed", None, guess_message(guessed))
    try:
        return _item(item, zone, repairs)
    except FormatError as error:
        return error


def parse_newsml_g2(
    data: bytes, *, charset: str | None = None, source_timezone: str = "UTC"
) -> list[ParsedItem]:
    """One entry per item of a newsMessage's itemSet, or one for a bare item."""
    zone = time_zone(source_timezone)
    guessed = undeclared_charset(data, charset)  # declared charsets win; see charsets.py
    root = parse_xml(data, charset or guessed)
    name = local_name(root)
    if name in ITEM_NAMES:
        return [_entry(root, zone, guessed)]
    if name != "newsMessage":
        raise FormatError(f"not a NewsML-G2 document: the root element is <{name or '?'}>", "document")
    item_set = child(root, "itemSet")
    if item_set is None:
        raise FormatError("a newsMessage needs an itemSet", path(root, below="itemSet"))
    return [_entry(item, zone, guessed) for item in children(item_set)]
