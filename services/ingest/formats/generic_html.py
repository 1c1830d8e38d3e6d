"""Arbitrary article pages (any site's HTML) to one article submission.

html_page.py reads pages in the seed's layout; this parser is for the rest of the web,
where nothing but conventions says which text is the story. Two kinds of evidence:

- the body: trafilatura's main-text extraction, tuned for precision (comments, tables
  and boilerplate left out), because a related-links box or a newsletter plug leaking
  into the body is worse for search than a lost caption. readability-lxml was compared on
  our fixtures and kept more page furniture; see docs/formats/html.md;
- the metadata: what the publisher declares about the page, in this order of trust:
  JSON-LD (`NewsArticle`, `Article`, `ReportageNewsArticle`, ...), then Open Graph and
  `<meta>` tags, then what trafilatura infers, then `<title>`/`<h1>` for the headline.
  Declared metadata wins because it is written for machines; inferred metadata guesses.

Nothing is fetched: trafilatura gets the page text (never a URL), and `url` values are
only read. A page without a headline or a publication date raises FormatError naming
where we looked ("json-ld", "meta", ...). The field mapping is in docs/formats/html.md.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import lxml.html
import trafilatura
from lxml import etree
from pydantic import ValidationError
from trafilatura.htmlprocessing import convert_to_html

from schemas.article import ArticleSubmission
from services.ingest.body_text import paragraphs_from_html, sanitize_html
from services.ingest.formats.decoding import decode_text
from services.ingest.formats.errors import FormatError
from services.ingest.formats.items import ParsedItem
from services.ingest.formats.zones import time_zone
from services.text.dateline import strip_lede_dateline

ARTICLE_TYPES = frozenset(
    {
        "Article",
        "NewsArticle",
        "ReportageNewsArticle",
        "AnalysisNewsArticle",
        "BackgroundNewsArticle",
        "OpinionNewsArticle",
        "ReviewNewsArticle",
        "AskPublicEditorNewsArticle",
    }
)
DEFAULT_SOURCE = "unknown"
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9._:-]+)", re.IGNORECASE)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_URL = re.compile(r"^https?://[^\s/]+\S*$", re.IGNORECASE)
_LANGUAGE = re.compile(r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$")
_BY_LINE = re.compile(r"^\s*by\s+(?P<names>\S.{0,300})$", re.IGNORECASE)
_BY_PREFIX = re.compile(r"^\s*by\s+", re.IGNORECASE)
_BY_SPLIT = re.compile(r"\s+(?:and|&)\s+|\s*;\s*|\s*,\s*and\s+|\s*,\s*", re.IGNORECASE)
_NAME = re.compile(r"^[^\W\d_][\w.'\u2019 -]{0,80}$")
_SPACE = re.compile(r"\s+")
_MAX_TAGS = 200
_MAX_TAG = 200


@dataclass
class _Meta:
    """What one kind of evidence says about the page; `where` names it in error locations."""

    where: str
    headline: str | None = None
    description: str | None = None
    published: str | None = None
    modified: str | None = None
    authors: list[str] = field(default_factory=list)
    site: str | None = None
    url: str | None = None
    section: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    language: str | None = None


def parse_generic_html(
    data: bytes, *, charset: str | None = None, source_timezone: str = "UTC"
) -> list[ParsedItem]:
    """The page's one article; FormatError when it has no headline, date or text."""
    zone = time_zone(source_timezone)
    text = _decode(data, charset)
    root = _tree(text)
    evidence = [_json_ld(root), _meta_tags(root)]
    extracted = _extract(text)
    evidence.append(_trafilatura_meta(extracted))
    evidence.append(_page_title(root))

    headline, headline_from = _first(evidence, "headline")
    if not headline:
        raise FormatError("the page gives no headline (JSON-LD headline, og:title, <title> or <h1>)", "meta")
    published, published_from = _first(evidence, "published")
    if not published:
        raise FormatError(
            "the page gives no publication date (JSON-LD datePublished or meta article:published_time)",
            "meta",
        )
    modified, modified_from = _first(evidence, "modified")
    published_at = _moment(published, zone, f"{published_from} datePublished")
    updated_at = _moment(modified, zone, f"{modified_from} dateModified") if modified else None

    if extracted is None or extracted.body is None:
        raise FormatError("no article text found on the page", "body")
    first = extracted.body[0] if len(extracted.body) else None
    if first is not None and first.tag == "head" and _same_text(" ".join(first.itertext()), headline):
        extracted.body.remove(first)  # the h1 repeated as the body's first block
    body_html = sanitize_html(etree.tostring(convert_to_html(extracted.body), encoding="unicode")).strip()
    body = paragraphs_from_html(body_html)
    if body and _same_text(body[0], headline):  # the h1 kept as the first block
        body = body[1:]
    authors = _list_first(evidence, "authors")
    if body and (by := _BY_LINE.match(body[0])) and (names := _names(by.group("names"))):
        body = body[1:]
        authors = authors or names
    dateline, body = strip_lede_dateline(body)

    language, _ = _first(evidence, "language")
    description, _ = _first(evidence, "description")
    fields: dict[str, Any] = {
        "headline": headline,
        "subheadline": description
        if description and not _same_text(description, body[0] if body else "")
        else None,
        "source": {"name": _first(evidence, "site")[0] or DEFAULT_SOURCE},
        "canonical_url": _first(evidence, "url")[0],
        "bylines": [{"name": name, "role": "writer"} for name in _dedupe(authors)[:50]],
        "dateline": dateline,
        "published_at": published_at,
        "updated_at": updated_at if updated_at is None or updated_at >= published_at else None,
        "language": language,
        "body": body,
        "body_html": body_html or None,
        "section": _dedupe(_list_first(evidence, "section"))[:20],
        "tags": _dedupe(_list_first(evidence, "tags"))[:_MAX_TAGS],
    }
    origins = {"headline": headline_from, "published_at": published_from, "updated_at": modified_from}
    try:
        return [ArticleSubmission.model_validate(fields)]
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        name = str(error["loc"][0]) if error["loc"] else ""
        location = origins.get(name) or ("body" if name in ("body", "body_html", "") else "meta")
        raise FormatError(
            f"the page gives an invalid article: {name or 'article'}: {error['msg']}", location
        ) from exc


def _decode(data: bytes, charset: str | None) -> str:
    """Text of the page: BOM, then the Content-Type charset, then `<meta charset>`, then UTF-8/cp1252."""
    if charset is None:
        found = _META_CHARSET.search(data[:4096])
        if found is not None:
            name = found.group(1).decode("ascii")
            try:
                codecs.lookup(name)
                charset = name
            except LookupError:
                pass
    return decode_text(data, charset)


def _tree(text: str) -> lxml.html.HtmlElement:
    """The page as an lxml tree (an XHTML declaration is dropped: lxml refuses it in a str)."""
    cleaned = _CONTROL.sub(" ", _XML_DECLARATION.sub("", text.lstrip("\ufeff"), count=1))
    if not cleaned.strip():
        raise FormatError("the page is empty", "document")
    try:
        return lxml.html.document_fromstring(cleaned)
    except (etree.ParserError, ValueError) as exc:
        raise FormatError(f"unreadable HTML: {exc}", "document") from exc


def _extract(text: str) -> Any:
    """trafilatura's main text and inferred metadata: precision over recall, no comments or tables."""
    cleaned = _CONTROL.sub(" ", _XML_DECLARATION.sub("", text.lstrip("\ufeff"), count=1))
    try:
        return trafilatura.bare_extraction(
            cleaned,
            output_format="python",
            with_metadata=True,
            include_comments=False,
            include_tables=False,
            include_formatting=True,
            include_links=False,
            favor_precision=True,
        )
    except (ValueError, TypeError, etree.LxmlError):  # an input trafilatura's own parser chokes on
        return None


# --- evidence ------------------------------------------------------------------------------------


def _json_ld(root: lxml.html.HtmlElement) -> _Meta:
    """The first article object in the page's JSON-LD blocks (top level, lists or `@graph`)."""
    meta = _Meta("json-ld")
    for script in root.iter("script"):
        if str(script.get("type") or "").split(";")[0].strip().lower() != "application/ld+json":
            continue
        try:
            document = json.loads(script.text_content() or "")
        except (ValueError, RecursionError):
            continue  # a broken block: other evidence may still carry the fields
        article = next((obj for obj in _objects(document) if _types(obj) & ARTICLE_TYPES), None)
        if article is None:
            continue
        meta.headline = _clean(article.get("headline")) or _clean(article.get("name"))
        meta.description = _clean(article.get("description"))
        meta.published = _clean(article.get("datePublished"))
        meta.modified = _clean(article.get("dateModified"))
        meta.authors = [name for value in _as_list(article.get("author")) if (name := _name_of(value))]
        meta.site = _name_of(article.get("publisher"))
        meta.url = _http(_id_of(article.get("mainEntityOfPage"))) or _http(_clean(article.get("url")))
        meta.section = [s for value in _as_list(article.get("articleSection")) if (s := _clean(value))]
        keywords = article.get("keywords")
        if isinstance(keywords, str):
            keywords = keywords.split(",")
        meta.tags = [t for value in _as_list(keywords) if (t := _clean(value))]
        meta.language = _language(_name_of(article.get("inLanguage")) or article.get("inLanguage"))
        return meta
    return meta


def _objects(node: Any, depth: int = 0) -> Iterator[Mapping[str, Any]]:
    """Every JSON object at the top of a JSON-LD block or in its `@graph`, depth first."""
    if depth > 8:
        return
    if isinstance(node, list):
        for item in node:
            yield from _objects(item, depth + 1)
    elif isinstance(node, Mapping):
        yield node
        yield from _objects(node.get("@graph"), depth + 1)


def _types(obj: Mapping[str, Any]) -> set[str]:
    return {str(t).rpartition("/")[2] for t in _as_list(obj.get("@type")) if isinstance(t, str)}


def _meta_tags(root: lxml.html.HtmlElement) -> _Meta:
    """Open Graph (`property=og:*`, `article:*`) and classic `<meta name>` tags, first value wins."""
    values: dict[str, list[str]] = {}
    for tag in root.iter("meta"):
        key = str(tag.get("property") or tag.get("name") or tag.get("itemprop") or "").strip().lower()
        content = _clean(tag.get("content"))
        if key and content:
            values.setdefault(key, []).append(content)

    def one(*keys: str) -> str | None:
        return next((values[key][0] for key in keys if key in values), None)

    author = one("author", "article:author", "byl", "dc.creator")
    lang = root.get("lang") or root.get("{http://www.w3.org/XML/1998/namespace}lang")
    return _Meta(
        "meta",
        headline=one("og:title", "twitter:title", "title"),
        description=one("description", "og:description", "twitter:description"),
        published=one("article:published_time", "datepublished", "pubdate", "dc.date"),
        modified=one("article:modified_time", "og:updated_time", "datemodified"),
        authors=_names(author) if author and not _http(author) else [],
        site=one("og:site_name", "application-name"),
        url=_http(one("og:url")),
        section=values.get("article:section", [])[:1],
        tags=values.get("article:tag", []),
        language=_language(one("og:locale", "language", "content-language")) or _language(lang),
    )


def _trafilatura_meta(extracted: Any) -> _Meta:
    """What trafilatura inferred; its date is a day without a time, read at midnight in the source zone."""
    if extracted is None:
        return _Meta("trafilatura")
    return _Meta(
        "trafilatura",
        headline=_clean(extracted.title),
        description=_clean(extracted.description),
        published=_clean(extracted.date),
        authors=_names(extracted.author) if extracted.author else [],
        site=_clean(extracted.sitename),
        url=_http(_clean(extracted.url)),
        section=[c for value in extracted.categories or [] if (c := _clean(value))],
        tags=[t for value in extracted.tags or [] if (t := _clean(value))],
        language=_language(extracted.language),
    )


def _page_title(root: lxml.html.HtmlElement) -> _Meta:
    title = root.find(".//title")
    h1 = root.find(".//h1")
    text = _clean(title.text_content()) if title is not None else None
    return _Meta("title", headline=(_clean(h1.text_content()) if h1 is not None else None) or text)


# --- helpers -------------------------------------------------------------------------------------


def _first(evidence: list[_Meta], name: str) -> tuple[str | None, str]:
    """The value from the most trusted evidence that has it, and which evidence that was."""
    for meta in evidence:
        value = getattr(meta, name)
        if value:
            return str(value), meta.where
    return None, ""


def _list_first(evidence: list[_Meta], name: str) -> list[str]:
    return next((list(getattr(meta, name)) for meta in evidence if getattr(meta, name)), [])


def _moment(value: str, zone: ZoneInfo, location: str) -> datetime:
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise FormatError(f"not an ISO 8601 date-time: {text[:60]!r}", location) from exc
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _clean(value: Any) -> str | None:
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        return None
    text = _SPACE.sub(" ", str(value)).strip()
    return text or None


def _name_of(value: Any) -> str | None:
    """A schema.org Person/Organization name, or a plain string."""
    if isinstance(value, Mapping):
        return _clean(value.get("name"))
    if isinstance(value, list):
        return next((name for item in value if (name := _name_of(item))), None)
    return _clean(value)


def _id_of(value: Any) -> str | None:
    if isinstance(value, Mapping):
        return _clean(value.get("@id")) or _clean(value.get("url"))
    return _clean(value)


def _http(value: str | None) -> str | None:
    return value if value and _URL.match(value) else None


def _language(value: Any) -> str | None:
    text = (_clean(value) or "").replace("_", "-")
    return text if _LANGUAGE.match(text) else None


def _names(text: str) -> list[str]:
    """`By A and B`, `A, B & C` -> ["A", "B", "C"]; [] when a part does not look like a name."""
    parts = [part.strip(" ,.") for part in _BY_SPLIT.split(_BY_PREFIX.sub("", " ".join(text.split())))]
    names = [part for part in parts if part]
    return names if names and all(_NAME.match(name) for name in names) else []


def _dedupe(values: list[str]) -> list[str]:
    seen: set[str] = set()
    kept = []
    for value in values:
        value = value[:_MAX_TAG]
        if value.casefold() not in seen:
            seen.add(value.casefold())
            kept.append(value)
    return kept


def _same_text(a: str, b: str) -> bool:
    return a.casefold().strip(" .") == b.casefold().strip(" .")
