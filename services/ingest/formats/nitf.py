"""NITF 3.x (News Industry Text Format) documents to article submissions: one item per document.

NITF comes with and without its namespace (`http://iptc.org/std/NITF/2006-10-18/`), so every
element is matched on its local name. The mapping, field by field, is in docs/formats/nitf.md;
keep the two in step. In short:

- headline: `body.head/hedline/hl1`, else `head/title`; subheadline: `hl2`, else `abstract`;
- bylines: `byline/person` (with `byttl` as the role), else the byline's own text ("By A and B");
- dateline: `body.head/dateline` as written; a dateline opening the first paragraph is cut off
  it (and used when the head gives none);
- times: `docdata/date.issue@norm` (else `date.release`, `story.date`, `pubdata@date.publication`);
- identity: `doc-id@id-string` is the feed item id, `du-key@version` the revision;
- withdrawals: `docdata@management-status` (or a `management-status` element) "withheld" or
  "canceled", or an `ed-msg` whose `msg-type` is "kill", makes a Withdrawal.

A document that is not XML or not NITF raises FormatError; a NITF document that cannot become
an article (no headline, an unreadable date, a body the contract refuses) comes back as a
FormatError entry whose location is an XPath-like path such as `/nitf/body/body.head/hedline`.

The body conversion (`nitf_body`) is shared with NewsML-G2, which carries NITF inline, and
with its XHTML bodies: both are reduced to the tags `services.ingest.body_text` allows.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from lxml import etree
from pydantic import ValidationError

from schemas.article import ArticleSubmission
from services.ingest.body_text import BLOCK_TAGS, paragraphs_from_html, sanitize_html
from services.ingest.formats.charsets import guess_message, undeclared_charset
from services.ingest.formats.dates import iso8601
from services.ingest.formats.errors import FormatError
from services.ingest.formats.items import ParsedItem, Withdrawal
from services.ingest.formats.safe_xml import (
    child,
    children,
    entity_text,
    local_name,
    parse_xml,
    path,
    text_of,
)
from services.ingest.formats.salvage import Repairs, fill_text, salvaged, take_date
from services.ingest.formats.zones import time_zone
from services.text.dateline import strip_lede_dateline

DEFAULT_SOURCE = "NITF"
WITHDRAWN_STATUSES = ("withheld", "canceled", "cancelled")
KILL_MESSAGES = ("kill", "withdraw", "withdrawal")
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

# NITF and XHTML element names to the HTML the body keeps; anything else is unwrapped (its text
# stays) unless it is in _DROPPED, whose content is not body text at all.
_HTML_TAGS = {
    "p": "p",
    "hl2": "h2",
    "credit": "p",
    "h2": "h2",
    "h3": "h3",
    "h4": "h4",
    "h5": "h5",
    "h6": "h6",
    "bq": "blockquote",
    "blockquote": "blockquote",
    "pre": "p",
    "dt": "p",
    "dd": "p",
    "ul": "ul",
    "ol": "ol",
    "li": "li",
    "strong": "strong",
    "em": "em",
    "b": "b",
    "i": "i",
    "a": "a",
    "br": "br",
    "hr": "hr",
    "sub": "sub",
    "sup": "sup",
    "table": "table",
    "thead": "thead",
    "tbody": "tbody",
    "tr": "tr",
    "th": "th",
    "td": "td",
    "figure": "figure",
    "figcaption": "figcaption",
}
_VOID = {"br", "hr"}
_DROPPED = {"media", "script", "style", "head", "title", "object", "iframe", "noscript", "template", "img"}
_DROPPED |= {"video", "audio", "svg", "math", "form", "button"}
_DROPPED |= {"h1"}  # an XHTML body's h1 repeats the headline the item already gives
# An XHTML body's header, nav and footer are the item's furniture (dpa's header: subject list,
# date, genre and the h1), not its text. NITF has no elements of these names.
_DROPPED |= {"header", "nav", "footer"}
_BY_PREFIX = re.compile(r"^\s*(?:by|von|par|por)\s+", re.IGNORECASE)
_BY_SPLIT = re.compile(r"\s*(?:;|\s&\s|,?\s+and\s+)\s*")
_SPACE = re.compile(r"\s+")
_LANGUAGE_META = ("language", "lang", "dc.language", "content-language")
# The most specific wording of a subject first: "Heritage" says more than "Arts, Culture ...".
_SUBJECT_ATTRIBUTES = ("tobject.subject.detail", "tobject.subject.matter", "tobject.subject.type")
_MAX_TAGS = 200
_MAX_TAG = 200
_MAX_SUBHEADLINE = 2000


# --- shared with NewsML-G2 ------------------------------------------------------------------------


def feed_datetime(value: str, zone: ZoneInfo, location: str) -> datetime:
    """ISO 8601 in its extended (`2025-04-27T12:18:27+02:00`) or basic form (`20250427T121827Z`,
    `20250427T121827+0000`, `20250427`), as NITF's `norm` attributes and NewsML-G2 write them.

    A time without a zone is read in the source's zone; a date alone is its midnight there.
    The parsers read dates leniently (services.ingest.formats.dates); this strict reading is
    for callers that want the standard form or an error.
    """
    moment = iso8601(value.strip())
    if moment is None:
        raise FormatError(f"not an ISO 8601 date-time: {value.strip()[:60]!r}", location)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def byline_people(text: str) -> list[dict[str, str]]:
    """`By A and B`, `A, B & C`, `A; B` -> one writer each.

    Commas separate names only in a list that also has a conjunction ("A, B and C"); otherwise
    the first comma starts the writer's title ("Jane Doe, Harbour Correspondent"), kept as role.
    """
    text = " ".join(_BY_PREFIX.sub("", text).split())
    if not text:
        return []
    parts = [part for part in _BY_SPLIT.split(text) if part.strip(" ,")]
    if len(parts) > 1:
        names = [name.strip() for part in parts for name in part.split(",") if name.strip()]
        return [{"name": name[:2000], "role": "writer"} for name in names[:50]]
    name, _, title = text.partition(",")
    return [{"name": name.strip()[:2000], "role": title.strip()[:200] or "writer"}] if name.strip() else []


def unique_tags(names: list[str]) -> list[str]:
    """Tags once each (case-insensitively), first spelling kept, within the contract's limits."""
    seen: set[str] = set()
    tags = []
    for name in names:
        tag = " ".join(name.split())[:_MAX_TAG]
        if tag and tag.casefold() not in seen:
            seen.add(tag.casefold())
            tags.append(tag)
    return tags[:_MAX_TAGS]


def language_tag(value: str | None) -> str | None:
    """`en_GB` -> `en-GB`: feeds write locales with underscores more often than not."""
    if value is None:
        return None
    return value.strip().replace("_", "-") or None


def validated(
    fields: dict[str, Any], origins: Mapping[str, str], item_path: str, repairs: Repairs
) -> ArticleSubmission:
    """The submission with refused secondary fields dropped (said), or FormatError naming the
    field and the XML element it came from when what is refused is the article itself."""
    try:
        return salvaged(fields, repairs)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        loc = first["loc"]
        if loc:
            target = str(loc[0])
        else:  # an article-wide rule: the field its message names first
            named = [(first["msg"].find(name), name) for name in fields if name in first["msg"]]
            target = min(named)[1] if named else "body"
        raise FormatError(f"invalid {target}: {first['msg']}", origins.get(target, item_path)) from exc


def markup_html(element: etree._Element) -> str:
    """The inner markup of a NITF or XHTML container as sanitised HTML of the allowed tags."""
    raw = (_escaped(element.text) if local_name(element) else "") + "".join(_html(node) for node in element)
    return sanitize_html(raw).strip() if raw.strip() else ""


def nitf_body(element: etree._Element) -> tuple[list[str], str]:
    """(paragraphs, sanitised HTML) of a `<nitf>`, its `<body>` or its `<body.content>`.

    Several `body.content` blocks (NITF allows them) are read in order. Media, scripts and the
    like are left out; unknown NITF inline elements (`person`, `location`, `chron`, ...) keep
    their text and lose their markup.
    """
    name = local_name(element)
    if name == "nitf":
        body = child(element, "body")
        blocks = list(children(body, "body.content")) if body is not None else []
    elif name == "body":
        blocks = list(children(element, "body.content"))
    else:
        blocks = [element]
    markup = "".join(markup_html(block) for block in blocks)
    return paragraphs_from_html(markup), markup


def _escaped(text: str | None) -> str:
    """Text for HTML, its whitespace runs collapsed as a browser would (source indentation goes)."""
    return html.escape(_SPACE.sub(" ", text), quote=False) if text else ""


def _html(node: etree._Element) -> str:
    tail = _escaped(node.tail)
    if isinstance(node, etree._Entity):
        return _escaped(entity_text(node)) + tail
    name = local_name(node).lower()
    if not name or name in _DROPPED:
        return tail if tail.strip() else ""
    inner = _escaped(node.text) + "".join(_html(sub) for sub in node)
    tag = _HTML_TAGS.get(name)
    if tag is None:
        return inner + tail
    if tag in _VOID:
        return f"<{tag}>" + tail
    attributes = ""
    if tag == "a" and (href := (node.get("href") or "").strip()):
        attributes = f' href="{html.escape(href)}"'
    # A line break after a block keeps the text of neighbouring blocks apart when a parent
    # block (a quote holding paragraphs) is read as one paragraph.
    if tag in BLOCK_TAGS or tag in ("ul", "ol", "table", "tr"):
        return f"<{tag}{attributes}>{inner.strip()}</{tag}>\n" + tail.lstrip(" ")
    return f"<{tag}{attributes}>{inner}</{tag}>" + tail


# --- NITF -------------------------------------------------------------------------------------------


def _descend(element: etree._Element | None, *steps: str) -> etree._Element | None:
    for step in steps:
        if element is None:
            return None
        element = child(element, step)
    return element


def _all(element: etree._Element | None, *steps: str) -> Iterator[etree._Element]:
    """Every element at the end of `steps` (each step may match several children)."""
    if element is None:
        return
    if not steps:
        yield element
        return
    for found in children(element, steps[0]):
        yield from _all(found, *steps[1:])


def _language(root: etree._Element, head: etree._Element | None) -> tuple[str | None, str | None]:
    """xml:lang (or lang) on the root, head or body, else the root's `baselang`, else a <meta>."""
    for element in (root, head, _descend(root, "body"), _descend(root, "body", "body.content")):
        if element is not None and (lang := element.get(XML_LANG) or element.get("lang")):
            return language_tag(lang), path(element) + "/@xml:lang"
    if lang := root.get("baselang"):
        return language_tag(lang), path(root) + "/@baselang"
    for meta in _all(head, "meta"):
        if (meta.get("name") or "").strip().lower() in _LANGUAGE_META:
            return language_tag(meta.get("content")), path(meta) + "/@content"
    return None, None


def _source(head: etree._Element | None) -> tuple[str, str | None]:
    """The publication's name, else the copyright holder's, else "NITF".

    The name is part of the article id when there is no doc-id, so it is taken from the most
    stable place first: the publication, which does not change across revisions.
    """
    for pubdata in _all(head, "pubdata"):
        if (name := " ".join((pubdata.get("name") or "").split())[:2000]) != "":
            return name, path(pubdata) + "/@name"
    for holder in _all(head, "docdata", "doc.copyright"):
        if (name := " ".join((holder.get("holder") or "").split())[:2000]) != "":
            return name, path(holder) + "/@holder"
    return DEFAULT_SOURCE, None


def _published(
    head: etree._Element | None,
    body_head: etree._Element | None,
    zone: ZoneInfo,
    repairs: Repairs,
    origins: dict[str, str],
) -> dict[str, datetime | None]:
    """The first readable of date.issue, date.release, story.date and pubdata; None when none is."""
    candidates = [
        *((e, "norm") for e in _all(head, "docdata", "date.issue")),
        *((e, "norm") for e in _all(head, "docdata", "date.release")),
        *((e, "norm") for e in _all(body_head, "dateline", "story.date")),
        *((e, "date.publication") for e in _all(head, "pubdata")),
    ]
    for element, attribute in candidates:
        where = f"{path(element)}/@{attribute}"
        moment = take_date(element.get(attribute), zone, repairs, field_name="published_at", element=where)
        if moment is not None:
            origins["published_at"] = where
            return {"published_at": moment}
    return {"published_at": None}


def _bylines(body_head: etree._Element | None) -> tuple[list[dict[str, str]], str | None]:
    people: list[dict[str, str]] = []
    where = None
    for byline in _all(body_head, "byline"):
        where = where or path(byline)
        persons = list(children(byline, "person"))
        title = next((text_of(t) for t in children(byline, "byttl") if text_of(t)), None)
        place = next((text_of(p) for p in children(byline, "location") if text_of(p)), None)
        if persons:
            for person in persons:
                if name := text_of(person):
                    entry = {"name": name[:2000], "role": (title or "writer")[:200]}
                    if place:
                        entry["place"] = place[:200]
                    people.append(entry)
        else:
            people.extend(_titled(byline_people(_own_text(byline)), title))
    return people[:50], where


def _own_text(byline: etree._Element) -> str:
    """The byline's text without its title and place (`By BERNARD CONDON<byttl>AP ...</byttl>`)."""
    parts = [byline.text or ""]
    for node in byline:
        if local_name(node) not in ("byttl", "location"):
            parts.append(text_of(node))
        parts.append(node.tail or "")
    return " ".join(" ".join(parts).split())


def _titled(people: list[dict[str, str]], title: str | None) -> list[dict[str, str]]:
    """The byline's `byttl` as the role of writers the text gave no role of their own."""
    if title:
        for person in people:
            if person["role"] == "writer":
                person["role"] = title[:200]
    return people


def _withdrawn(docdata: etree._Element | None) -> str | None:
    if docdata is None:
        return None
    status = (docdata.get("management-status") or "").strip().lower()
    element = child(docdata, "management-status")
    if not status and element is not None:
        status = (element.get("value") or text_of(element)).strip().lower()
    if status in WITHDRAWN_STATUSES:
        return f"management-status {status}"
    for message in children(docdata, "ed-msg"):
        kind = (message.get("msg-type") or "").strip().lower()
        if kind in KILL_MESSAGES:
            return f"ed-msg {kind}"
    return None


def _revision(docdata: etree._Element | None, repairs: Repairs) -> tuple[int, str | None]:
    """du-key@version; one that is not a positive whole number counts as 1 (said)."""
    key = _descend(docdata, "du-key")
    raw = (key.get("version") or "").strip() if key is not None else ""
    if key is None or not raw:
        return 1, None
    where = path(key) + "/@version"
    if not raw.isdigit() or int(raw) < 1:
        repairs.note(
            "field-invalid", "revision", f"{where} {raw[:40]!r} is not a positive whole number: 1 used"
        )
        return 1, None
    return int(raw), where


def _subheadline(hedline: etree._Element | None, body_head: etree._Element | None) -> tuple[str, str] | None:
    """`hl2`, else the abstract when it fits the field: an over-long abstract is a summary, not a deck.

    An hl2 that repeats hl1 (AP keeps the original headline there) says nothing more.
    """
    headline = next((text_of(h) for h in _all(hedline, "hl1") if text_of(h)), "")
    for element in [*_all(hedline, "hl2"), *_all(body_head, "abstract")]:
        text = text_of(element)
        if text and text != headline and len(text) <= _MAX_SUBHEADLINE:
            return text, path(element)
    return None


def _article(root: etree._Element, zone: ZoneInfo, repairs: Repairs) -> ArticleSubmission | Withdrawal:
    head = child(root, "head")
    body_head = _descend(root, "body", "body.head")
    docdata = _descend(head, "docdata")
    origins: dict[str, str] = {}
    fields = {**_identity(root, origins, repairs), **_published(head, body_head, zone, repairs, origins)}
    reason = _withdrawn(docdata)
    if reason is not None:
        return _withdrawal(root, fields, reason)
    fields.update(_content(root, origins))
    if not fill_text(fields, repairs):
        where = path(body_head, below="hedline/hl1") if body_head is not None else path(root, below="body")
        raise FormatError("no headline and no body text: the document holds no article", where)
    return validated(fields, origins, path(root), repairs)


def _identity(root: etree._Element, origins: dict[str, str], repairs: Repairs) -> dict[str, Any]:
    """What names the article: the headline (hl1, else the title), doc-id, source and revision."""
    head = child(root, "head")
    docdata = _descend(head, "docdata")
    hedline = _descend(root, "body", "body.head", "hedline")
    headline_element = next((e for e in [*_all(hedline, "hl1"), *_all(head, "title")] if text_of(e)), None)
    if headline_element is not None:
        origins["headline"] = path(headline_element)
    doc_id = _descend(docdata, "doc-id")
    feed_item_id = None
    if doc_id is not None:
        feed_item_id = " ".join((doc_id.get("id-string") or "").split()) or None
        origins["feed_item_id"] = path(doc_id) + "/@id-string"
    source, source_at = _source(head)
    if source_at:
        origins["source"] = source_at
    revision, revision_at = _revision(docdata, repairs)
    if revision_at:
        origins["revision"] = revision_at
    return {
        "headline": text_of(headline_element) if headline_element is not None else "",
        "source": {"name": source},
        "revision": revision,
        "feed_item_id": feed_item_id,
    }


def _withdrawal(root: etree._Element, fields: Mapping[str, Any], reason: str) -> Withdrawal:
    try:
        return Withdrawal(
            source=fields["source"]["name"],
            reason=reason,
            headline=fields["headline"],
            published_at=fields["published_at"],
            feed_item_id=fields["feed_item_id"],
            revision=fields["revision"],
        )
    except ValueError as exc:
        raise FormatError(
            "a withdrawal must name its item: give doc-id@id-string, or a headline and a date",
            path(root, below="head"),
        ) from exc


def _content(root: etree._Element, origins: dict[str, str]) -> dict[str, Any]:
    """The article's text and what describes it."""
    head = child(root, "head")
    body_head = _descend(root, "body", "body.head")
    hedline = _descend(body_head, "hedline")
    body, body_html = nitf_body(root)
    content = _descend(root, "body", "body.content")
    origins["body"] = origins["body_html"] = (
        path(content) if content is not None else path(root, below="body")
    )
    lede_dateline, body = strip_lede_dateline(body)
    dateline_element = _descend(body_head, "dateline")
    dateline = text_of(dateline_element) if dateline_element is not None else ""
    if dateline and dateline_element is not None:
        origins["dateline"] = path(dateline_element)
    bylines, byline_at = _bylines(body_head)
    if byline_at:
        origins["bylines"] = byline_at
    subheadline = _subheadline(hedline, body_head)
    if subheadline:
        origins["subheadline"] = subheadline[1]
    language, language_at = _language(root, head)
    if language_at:
        origins["language"] = language_at
    return {
        "subheadline": subheadline[0] if subheadline else None,
        "bylines": bylines,
        "dateline": dateline or lede_dateline,
        "language": language,
        "body": body,
        "body_html": body_html or None,
        "tags": _tags(head),
    }


def _tags(head: etree._Element | None) -> list[str]:
    """Keywords, then each subject's most specific wording."""
    tags = [(k.get("key") or "") for k in _all(head, "docdata", "key-list", "keyword")]
    for subject in _all(head, "tobject", "tobject.subject"):
        wordings = (v for attribute in _SUBJECT_ATTRIBUTES if (v := (subject.get(attribute) or "").strip()))
        tags.append(next(wordings, ""))
    return unique_tags(tags)


def parse_nitf(data: bytes, *, charset: str | None = None, source_timezone: str = "UTC") -> list[ParsedItem]:
    """One entry for a NITF document: the article, its withdrawal, or the FormatError it gives."""
    zone = time_zone(source_timezone)
    repairs = Repairs()
    guessed = undeclared_charset(data, charset)  # declared charsets win; see charsets.py
    if guessed:
        repairs.note("charset-guessed", None, guess_message(guessed))
    root = parse_xml(data, charset or guessed)
    if local_name(root) != "nitf":
        raise FormatError(f"not a NITF document: the root element is <{local_name(root) or '?'}>", "document")
    try:
        return [_article(root, zone, repairs)]
    except FormatError as error:
        return [error]
