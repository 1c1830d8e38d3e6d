"""The HTML rendering of text_page's layout: block elements become lines, then the text parser reads them."""

from __future__ import annotations

import lxml.html
from lxml import etree

from schemas.article import ArticleSubmission
from services.ingest.formats.errors import FormatError
from services.ingest.formats.text_page import parse_text_page

_DROP = ("script", "style", "noscript", "nav", "footer", "form", "iframe", "svg", "template")
_BLOCKS = (
    "p",
    "div",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "section",
    "article",
    "header",
    "aside",
    "ul",
    "ol",
    "br",
    "tr",
    "blockquote",
    "figcaption",
    "time",
    "span",
)


def html_to_lines(html: str) -> str:
    try:
        root = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError) as exc:
        raise FormatError(f"not an HTML document: {exc}", "document") from exc
    etree.strip_elements(root, *_DROP, with_tail=False)
    for element in root.iter(*_BLOCKS):
        if element.tag in ("span", "time"):
            continue
        element.tail = "\n" + (element.tail or "")
        if element.tag != "br":
            element.text = "\n" + (element.text or "")
    for item in root.iter("li"):  # list items read as "- headline", like the text pages
        item.text = "- " + (item.text or "").lstrip("\n")
    return root.text_content()


def parse_html_page(html: str, *, source_timezone: str = "UTC") -> ArticleSubmission:
    return parse_text_page(html_to_lines(html), source_timezone=source_timezone)
