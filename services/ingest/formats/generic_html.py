"""Arbitrary article pages (any site's HTML) to one article submission.

html_page.py reads pages in the seed's layout; this parser is for the rest of the web,
where nothing but conventions says which text is the story. Two kinds of evidence:

- the body: trafilatura's main-text extraction, tuned for precision (comments, tables
  and boilerplate left out), because a related-links box or a newsletter plug leaking
  into the body is worse for search than a lost caption. readability-lxml was compared on
  our fixtures and kept more page furniture; see docs/formats/html.md. A page that renders
  its story from script state gives trafilatura only captions: its JSON-LD `articleBody`
  is then the fuller text and is taken instead;
- the metadata: what the publisher declares about the page, in this order of trust:
  JSON-LD (`NewsArticle`, `Article`, `ReportageNewsArticle`, ...), then Open Graph and
  `<meta>` tags, then what the page shows (its `<h1>`, a byline, a `<time>`), then what
  trafilatura infers (`<title>` comes before trafilatura's title, which it has already
  trimmed by guesswork). Declared metadata wins because it is written for machines;
  inferred metadata guesses.

The headline is stated several times over (JSON-LD, og:title, h1, title), each copy with
what the site adds to it: its name, a date, a kicker. The copies are compared to take the
additions off (services/text/titles.py), so no table of sites is needed.

Nothing is fetched: trafilatura gets the page text (never a URL), and `url` values are
only read. A page is refused only when it holds no article text. A page without a
headline takes its lede's first sentence, one without a readable date leaves it to ingest
(the time received), and each such repair is a warning on the article. The field mapping
is in docs/formats/html.md.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any
from zoneinfo import ZoneInfo

import lxml.html
import trafilatura
from lxml import etree
from pydantic import ValidationError
from trafilatura.htmlprocessing import convert_to_html

from services.ingest.body_text import paragraphs_from_html, sanitize_html
from services.ingest.formats.decoding import decode_text
from services.ingest.formats.errors import FormatError
from services.ingest.formats.items import ParsedItem
from services.ingest.formats.zones import time_zone
from services.text.contributors import byline_names
from services.text.dateline import strip_lede_dateline
from services.text.fitting import Note, fitted_article
from services.text.headlines import lede_headline
from services.text.titles import best_headline, names_site

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
# Where each kind of evidence comes from; the first that gives a field wins.
_META_TITLES = ("og:title", "twitter:title", "dc.title")
_META_PUBLISHED = (
    "article:published_time",
    "og:article:published_time",
    "datepublished",
    "pubdate",
    "publishdate",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date",
    "date",
)
_META_MODIFIED = ("article:modified_time", "og:article:modified_time", "og:updated_time", "datemodified")
_META_AUTHORS = (
    "author",
    "article:author",
    "og:article:author",
    "byl",
    "dc.creator",
    "dcterms.creator",
    "parsely-author",
    "sailthru.author",
)
_META_SITES = ("og:site_name", "application-name", "apple-mobile-web-app-title", "publisher")
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9._:-]+)", re.IGNORECASE)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_CDATA = re.compile(r"^\s*(?://\s*)?<!\[CDATA\[|(?://\s*)?\]\]>\s*$")
_URL = re.compile(r"^https?://[^\s/]+\S*$", re.IGNORECASE)
_LANGUAGE = re.compile(r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$")
_BY_PREFIX = re.compile(r"^\s*(?:by|von|por|par)\s+", re.IGNORECASE)
_BY_SPLIT = re.compile(r"\s+(?:and|&)\s+|\s*;\s*|\s*,\s*and\s+|\s*,\s*", re.IGNORECASE)
_NAME = re.compile(r"^[^\W\d_][\w.'\u2019 -]{0,80}$")
_SPACE = re.compile(r"\s+")
_QUOTES = str.maketrans("\u201c\u201d\u201e\u2018\u2019\u00ab\u00bb", '"""\'\'""')
# A visible byline: its label in an element of its own (`<strong>Author</strong> Ben Knight`).
_BYLINE_LABELS = frozenset(
    {"author", "authors", "autor", "autorin", "autoren", "auteur", "auteurs", "autore", "autori"}
    | {"by", "von", "por", "par", "door"}
)
# Bylines inside these belong to something else on the page: a photo, a teaser, a comment.
_NOT_THE_STORY = re.compile(
    r"gallery|slide|carousel|caption|teaser|related|comment|promo|recommend|footer|sidebar", re.IGNORECASE
)
_KICKER_CLASS = re.compile(r"kicker|overline|eyebrow|dachzeile|topline|supertitle|rubric", re.IGNORECASE)
_MAX_KICKER_WORDS = 6
_MAX_HEADINGS = 20
_BODY_FROM_JSON_LD = 2  # articleBody replaces an extraction it has this many times the text of
_MAX_TAGS = 200
_MAX_TAG = 200


@dataclass
class _Meta:
    """What one kind of evidence says about the page; `where` names it in messages."""

    where: str
    headline: str | None = None
    description: str | None = None
    published: list[str] = field(default_factory=list)
    modified: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    site: str | None = None
    url: str | None = None
    section: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    language: str | None = None
    body: str | None = None
    sites: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Heading:
    """The page's `<h1>`: its whole text, and without the kicker some sites put in it."""

    text: str
    title: str
    kicker: str | None


def parse_generic_html(
    data: bytes, *, charset: str | None = None, source_timezone: str = "UTC"
) -> list[ParsedItem]:
    """The page's one article; FormatError when it holds no article text."""
    zone = time_zone(source_timezone)
    text = _decode(data, charset)
    root = _tree(text)
    extracted = _extract(text)
    evidence = [_json_ld(root), _meta_tags(root), _shown(root), _trafilatura_meta(extracted)]
    sites = [site for meta in evidence for site in (meta.site, *meta.sites) if site]
    notes: list[Note] = []

    headline, headline_from = _headline(root, evidence, sites)
    body_html, body = _body(extracted, evidence[0].body, headline)
    by_paragraph = byline_names(body[0]) if body else []
    if by_paragraph:
        body = body[1:]
    dateline, body = strip_lede_dateline(body)
    if not body:
        raise FormatError("no article text found on the page", "body")
    if not headline:
        headline, headline_from = lede_headline(body[0]), "body"
        notes.append(
            Note("headline-missing", "headline", "no headline on the page: the body's first sentence is used")
        )

    published, published_from = _moment(evidence, "published", zone, notes)
    modified, modified_from = _moment(evidence, "modified", zone, notes)
    language, _ = _first(evidence, "language")
    description = _description(evidence)
    fields: dict[str, Any] = {
        "headline": headline,
        "subheadline": description if description and not _same_text(description, body[0]) else None,
        "source": {"name": _first(evidence, "site")[0] or DEFAULT_SOURCE},
        "canonical_url": _first(evidence, "url")[0],
        "bylines": [{"name": name, "role": "writer"} for name in _authors(evidence, by_paragraph, sites)],
        "dateline": dateline,
        "published_at": published,
        "updated_at": modified,
        "language": language,
        "body": body,
        "body_html": body_html or None,
        "section": _dedupe(_list_first(evidence, "section"))[:20],
        "tags": _dedupe(_list_first(evidence, "tags"))[:_MAX_TAGS],
    }
    origins = {"headline": headline_from, "published_at": published_from, "updated_at": modified_from}
    try:
        article = fitted_article(fields, notes, lambda path: origins.get(str(path[0])) or None)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        name = str(error["loc"][0]) if error["loc"] else ""
        location = origins.get(name) or ("body" if name in ("body", "body_html", "") else "meta")
        raise FormatError(
            f"the page gives an invalid article: {name or 'article'}: {error['msg']}", location
        ) from exc
    return [article.published_from_text() if published_from in ("page", "trafilatura") else article]


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


# --- the body and the headline ----------------------------------------------------------------


def _body(extracted: Any, article_body: str | None, headline: str | None) -> tuple[str, list[str]]:
    """The story as sanitised HTML and paragraphs, without the headline repeated at its top;
    JSON-LD's text when the page shows far less."""
    body_html = ""
    if extracted is not None and extracted.body is not None:
        first = extracted.body[0] if len(extracted.body) else None
        if (
            first is not None
            and first.tag == "head"
            and _same_text(" ".join(first.itertext()), headline or "")
        ):
            extracted.body.remove(first)  # the h1 repeated as the body's first block
        body_html = sanitize_html(etree.tostring(convert_to_html(extracted.body), encoding="unicode")).strip()
    body = paragraphs_from_html(body_html)
    if body and headline and _same_text(body[0], headline):  # the h1 kept as the first block
        body = body[1:]
    declared = [p for p in (_clean(line) for line in (article_body or "").splitlines()) if p]
    if sum(map(len, declared)) > _BODY_FROM_JSON_LD * sum(map(len, body)):
        return "", declared
    return body_html, body


def _headline(root: lxml.html.HtmlElement, evidence: list[_Meta], sites: list[str]) -> tuple[str | None, str]:
    """The most trusted title, without the site's name, date or kicker the other titles show it has."""
    json_ld, meta, _, inferred = evidence
    title = root.find(".//title")
    page_title = _clean(title.text_content()) if title is not None else None
    declared = [value for value in (json_ld.headline, meta.headline, page_title) if value]
    heading = _main_heading(root, declared)
    candidates = [
        ("json-ld", json_ld.headline),
        ("meta", meta.headline),
        ("h1", heading.text if heading else None),
        ("title", page_title),
        ("trafilatura", inferred.headline),
    ]
    found = [(where, value) for where, value in candidates if value]
    if not found:
        return None, ""
    where, chosen = found[0]
    # trafilatura's title has had its own guesses taken off: it is no evidence of an addition.
    others = [value for source, value in found[1:] if source != "trafilatura"]
    if heading is not None and heading.kicker:
        others.append(heading.title)
    sections = [s for meta_ in evidence for s in meta_.section]
    headline = best_headline(chosen, others, sites=sites, sections=sections)
    if heading is not None and heading.kicker and headline == heading.text:
        headline = heading.title
    return headline, where


def _main_heading(root: lxml.html.HtmlElement, declared: list[str]) -> _Heading | None:
    """The story's `<h1>`: the one a declared title names, else the first in the article, else the first."""
    headings = [h for h in (_heading(h1) for h1 in root.iter("h1")) if h.text][:_MAX_HEADINGS]
    if not headings:
        return None
    named = [h for h in headings if any(h.title in title or h.text in title for title in declared)]
    if named:
        return named[0]
    inside = [_heading(h1) for h1 in root.xpath("//article//h1 | //main//h1")]
    return next((h for h in inside if h.text), headings[0])


def _heading(h1: lxml.html.HtmlElement) -> _Heading:
    """An h1 split into kicker and title when it is built so (`<span>Zugverkehr</span>: <span>...`)."""
    text = _clean(h1.text_content()) or ""
    parts = [(child, _clean(child.text_content()) or "") for child in h1 if isinstance(child.tag, str)]
    worded = [(child, part) for child, part in parts if any(c.isalnum() for c in part)]
    if len(worded) < 2:
        return _Heading(text, text, None)
    (first, kicker), rest = worded[0], worded[1:]
    loose = (h1.text or "") + "".join(child.tail or "" for child in h1)
    marked = bool(_KICKER_CLASS.search(str(first.get("class") or "")))
    separated = kicker.endswith(":") or any(part and not any(c.isalnum() for c in part) for _, part in parts)
    if len(kicker.split()) > _MAX_KICKER_WORDS or not (marked or (separated and not _has_words(loose))):
        return _Heading(text, text, None)
    title = " ".join(part for _, part in rest) if not _has_words(loose) else text.removeprefix(kicker)
    return _Heading(text, title.strip(" :|-\u2013\u2014"), kicker.rstrip(" :"))


def _has_words(text: str) -> bool:
    return any(c.isalnum() for c in text)


# --- evidence ------------------------------------------------------------------------------------


def _json_ld(root: lxml.html.HtmlElement) -> _Meta:
    """The first article object in the page's JSON-LD blocks (top level, lists or `@graph`)."""
    meta = _Meta("json-ld")
    for script in root.iter("script"):
        if str(script.get("type") or "").split(";")[0].strip().lower() != "application/ld+json":
            continue
        try:  # some sites wrap the JSON in CDATA markers, as for an XHTML script
            document = json.loads(_CDATA.sub("", script.text_content() or ""))
        except (ValueError, RecursionError):
            continue  # a broken block: other evidence may still carry the fields
        article = next((obj for obj in _objects(document) if _types(obj) & ARTICLE_TYPES), None)
        if article is not None:
            return _article_object(article)
    return meta


def _article_object(article: Mapping[str, Any]) -> _Meta:
    keywords = article.get("keywords")
    if isinstance(keywords, str):
        keywords = keywords.split(",")
    return _Meta(
        "json-ld",
        headline=_clean(article.get("headline")) or _clean(article.get("name")),
        description=_clean(article.get("description")),
        published=[v for v in [_clean(article.get("datePublished"))] if v],
        modified=[v for v in [_clean(article.get("dateModified"))] if v],
        authors=[name for value in _as_list(article.get("author")) if (name := _name_of(value))],
        site=_name_of(article.get("publisher")),
        url=_http(_id_of(article.get("mainEntityOfPage"))) or _http(_clean(article.get("url"))),
        section=[s for value in _as_list(article.get("articleSection")) if (s := _clean(value))],
        tags=[t for value in _as_list(keywords) if (t := _clean(value))],
        language=_language(_name_of(article.get("inLanguage")) or article.get("inLanguage")),
        body=article.get("articleBody") if isinstance(article.get("articleBody"), str) else None,
    )


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

    authors = [a for key in _META_AUTHORS for a in values.get(key, [])[:1] if not _http(a)]
    return _Meta(
        "meta",
        headline=one(*_META_TITLES),
        description=one("description", "og:description", "twitter:description"),
        published=[values[key][0] for key in _META_PUBLISHED if key in values],
        modified=[values[key][0] for key in _META_MODIFIED if key in values],
        authors=_names(authors[0]) if authors else [],
        site=one("og:site_name"),
        url=_http(one("og:url")),
        section=values.get("article:section", [])[:1],
        tags=values.get("article:tag", []),
        language=_language(root.get("lang") or root.get("{http://www.w3.org/XML/1998/namespace}lang"))
        or _language(one("og:locale", "language", "content-language")),
        sites=[values[key][0] for key in _META_SITES if key in values],
    )


def _shown(root: lxml.html.HtmlElement) -> _Meta:
    """What the page shows rather than declares: a byline and a `<time>` of publication."""
    times = root.xpath("//time[@itemprop='datePublished' or @pubdate]/@datetime | //article//time/@datetime")
    return _Meta(
        "page", published=[t for t in (_clean(v) for v in times[:1]) if t], authors=_shown_byline(root)
    )


def _shown_byline(root: lxml.html.HtmlElement) -> list[str]:
    """Names from `itemprop=author`, `rel=author`, a labelled `Author` field or a `byline` element."""
    for element in root.xpath("//*[@itemprop='author'] | //a[@rel='author']"):
        if _in_story(element):
            named = element.xpath(".//*[@itemprop='name']/@content | .//*[@itemprop='name']")
            text = named[0] if named and isinstance(named[0], str) else _text(named[0] if named else element)
            if names := _names(text):
                return names
    for label in root.iter("strong", "b", "dt", "th", "span", "label"):
        labelled = (_clean(label.text_content()) or "").rstrip(":").casefold() in _BYLINE_LABELS
        if labelled and _in_story(label) and (names := _names(label.tail or _text(label.getnext()))):
            return names
    for element in root.xpath("//*[contains(translate(@class, 'BYLINE', 'byline'), 'byline')]"):
        if _in_story(element):
            links = [name for a in element.iter("a") for name in _names(_text(a))]
            if names := links or _names(_text(element)):
                return names
    return []


def _in_story(element: lxml.html.HtmlElement) -> bool:
    """Not inside a gallery, a teaser, a comment or a sidebar, whose bylines are not the story's."""
    return not any(
        _NOT_THE_STORY.search(f"{a.get('class') or ''} {a.get('id') or ''}") or a.tag in ("figure", "aside")
        for a in element.iterancestors()
    )


def _text(element: lxml.html.HtmlElement | None) -> str:
    return _clean(element.text_content()) or "" if element is not None else ""


def _trafilatura_meta(extracted: Any) -> _Meta:
    """What trafilatura inferred; its date is a day without a time, read at midnight in the source zone."""
    if extracted is None:
        return _Meta("trafilatura")
    return _Meta(
        "trafilatura",
        headline=_clean(extracted.title),
        description=_clean(extracted.description),
        published=[d for d in [_clean(extracted.date)] if d],
        authors=_names(extracted.author) if extracted.author else [],
        site=_clean(extracted.sitename),
        url=_http(_clean(extracted.url)),
        section=[c for value in extracted.categories or [] if (c := _clean(value))],
        tags=[t for value in extracted.tags or [] if (t := _clean(value))],
        language=_language(extracted.language),
    )


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


def _description(evidence: list[_Meta]) -> str | None:
    """The most trusted description, unless it is cut short and another gives it whole."""
    given = [meta.description for meta in evidence if meta.description]
    if not given:
        return None
    fuller = [other for other in given[1:] if len(other) > len(given[0]) and other.startswith(given[0])]
    return fuller[0] if fuller else given[0]


def _authors(evidence: list[_Meta], by_paragraph: list[str], sites: list[str]) -> list[str]:
    """The first evidence's people: declared, then a `By ...` paragraph, then the page's byline.

    An "author" that is the publisher itself (`Deutsche Welle (www.dw.com)`) names no writer.
    """
    json_ld, meta, shown, inferred = evidence
    for names in (json_ld.authors, meta.authors, by_paragraph, shown.authors, inferred.authors):
        people = [name for name in names if not names_site(name, sites)]
        if people:
            return _dedupe(people)[:50]
    return []


def _moment(
    evidence: list[_Meta], name: str, zone: ZoneInfo, notes: list[Note]
) -> tuple[datetime | None, str]:
    """The first readable date the evidence gives; each unreadable one on the way is noted."""
    for meta in evidence:
        for value in getattr(meta, name):
            moment = _read_date(value, zone)
            if moment is not None:
                return moment, meta.where
            field_name = "published_at" if name == "published" else "updated_at"
            notes.append(
                Note("date-unreadable", field_name, f"{meta.where} {value[:60]!r} is not a date: ignored")
            )
    return None, ""


def _read_date(value: str, zone: ZoneInfo) -> datetime | None:
    """ISO 8601 (what JSON-LD and Open Graph use), else RFC 822; without an offset, in `zone`."""
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
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
    """Equal but for case, a closing full stop and the kind of quotation marks."""
    return a.translate(_QUOTES).casefold().strip(" .") == b.translate(_QUOTES).casefold().strip(" .")
