"""The HTML rendering of text_page's layout: block elements become lines, then the text parser reads them.

Keeping one parser for the layout means the text and HTML forms of a page give the same
article. The HTML only has to be brought into that line structure: whitespace inside a
block is collapsed (source line breaks are not paragraphs), each block element ends a
line, list items read as `- headline`, scripts, styles, navigation and footers go. A
breadcrumb element and the page title's site suffix become the seed's first line;
sidebars (`aside`) move to the end, where the text layout has them.

Only pages that show the layout's own anchor are read this way (`parse_seed_layout`): its
`Date:` line, within the first lines of the page's text. Any other page, however it is
built, is an article page for the generic extractor (generic_html.py): a real site's page
read as the seed's layout gives its skip link or its menu as the headline.
"""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

from schemas.article import ArticleSubmission
from services.ingest.formats.errors import FormatError
from services.ingest.formats.text_page import looks_like_breadcrumb, parse_text_page, split_site_suffix

_DROP = ("script", "style", "noscript", "nav", "footer", "form", "iframe", "svg", "template", "button")
_BLOCKS = (
    "address",
    "article",
    "aside",
    "blockquote",
    "dd",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "li",
    "main",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "td",
    "th",
    "tr",
    "ul",
)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_SPACE = re.compile(r"\s+")
# Not allowed in HTML text, and lxml refuses to set text holding them: they read as spaces.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_MAX_CRUMB_TEXT = 300
_DATE_TEXT = re.compile(r"\bDate\s*:", re.IGNORECASE)
# The seed's anchor: `Date:` and a date in its form, on a line of its own, after no more than
# the breadcrumb, the headline and a little furniture.
_SEED_DATE_LINE = re.compile(r"^Date\s*:\s*\d{4}[-/]\d{1,2}[-/]\d{1,2}\b", re.IGNORECASE)
_SEED_DATE_WITHIN = 8
_BREADCRUMB_XPATH = (
    "//*[contains(translate(concat(@class, ' ', @id, ' ', @aria-label), 'BREADCRUMB', 'breadcrumb'),"
    " 'breadcrumb')]"
)


def parse_seed_layout(html: str, *, source_timezone: str = "UTC") -> ArticleSubmission | None:
    """The article of a page in the seed's layout; None when the page does not show that layout."""
    text = html_to_lines(html, time_for_date=False)
    if not is_seed_layout(text):
        return None
    return _parse_lines(text, source_timezone)


def is_seed_layout(text: str) -> bool:
    """Does the page's text (as html_to_lines gives it) open with the seed's `Date:` line?"""
    lines = text.split("\n", _SEED_DATE_WITHIN + 1)[: _SEED_DATE_WITHIN + 1]
    return any(_SEED_DATE_LINE.match(line) for line in lines)


def parse_html_page(html: str, *, source_timezone: str = "UTC") -> ArticleSubmission:
    """One article from the HTML form of a seed-like page; errors name the line of its rendered text."""
    return _parse_lines(html_to_lines(html), source_timezone)


def _parse_lines(text: str, source_timezone: str) -> ArticleSubmission:
    try:
        return parse_text_page(text, source_timezone=source_timezone)
    except FormatError as exc:
        if exc.location is None or not exc.location.startswith("line "):
            raise
        # Line numbers count lines of the rendered text, not of the HTML source: say so.
        raise FormatError(exc.message, f"{exc.location} of the page's text") from exc


def html_to_lines(html: str, *, time_for_date: bool = True) -> str:
    """The page as text in the seed's line structure: one block per line.

    With `time_for_date`, a page without `Date:` text gets one from its `<time>` element.
    """
    try:
        root = lxml.html.document_fromstring(_CONTROL.sub(" ", _XML_DECLARATION.sub("", html, count=1)))
    except (etree.ParserError, ValueError) as exc:  # an empty document
        raise FormatError(f"not an HTML document: {exc}", "document") from exc
    title = _text(root.find("head/title"))
    crumbs = _take_breadcrumb(root)
    for head in root.findall("head"):
        head.drop_tree()
    etree.strip_elements(root, *_DROP, with_tail=False)
    body = root.find("body")
    for aside in list(root.iter("aside")):  # sidebars come after the story in the text layout
        _move_to_end(aside, root if body is None else body)
    for node in root.iter():
        if node.text and isinstance(node.tag, str):  # not a comment or processing instruction
            node.text = _SPACE.sub(" ", node.text)
        if node.tail:
            node.tail = _SPACE.sub(" ", node.tail)
    if time_for_date and not _DATE_TEXT.search(root.text_content()):
        _date_from_time_element(root)
    for element in root.iter(*_BLOCKS, "br"):
        element.tail = "\n" + (element.tail or "")
        if element.tag != "br":
            element.text = "\n" + (element.text or "")
    for item in root.iter("li"):  # list items read as "- headline", like the text pages
        item.text = "\n- " + (item.text or "").lstrip()
    lines = [line.strip() for line in root.text_content().split("\n")]
    first = _first_line(crumbs, title, _text(root.find(".//h1")), lines)
    return "\n".join(([first] if first else []) + [line for line in lines if line])


def _text(element: lxml.html.HtmlElement | None) -> str:
    return _SPACE.sub(" ", element.text_content()).strip() if element is not None else ""


def _move_to_end(element: lxml.html.HtmlElement, container: lxml.html.HtmlElement) -> None:
    """Move an element to the end of the container; the text that followed it stays in place."""
    parent, previous, tail = element.getparent(), element.getprevious(), element.tail
    if parent is None:
        return
    if tail:
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    element.tail = None
    container.append(element)  # appending moves it: an element has one place in the tree


def _take_breadcrumb(root: lxml.html.HtmlElement) -> list[str]:
    """The first breadcrumb element's steps (it is removed: its text is no part of the story)."""
    # Not a page-wide container that merely has a "has-breadcrumb" class, and not a lone step.
    found = [
        element.getparent() if element.tag == "li" and element.getparent() is not None else element
        for element in root.xpath(_BREADCRUMB_XPATH)
        if element.tag not in ("html", "body", "main", "article") and len(_text(element)) <= _MAX_CRUMB_TEXT
    ]
    if not found:
        return []
    element = found[0]
    steps = element.findall(".//li") or element.findall(".//a")
    crumbs = [_text(step) for step in steps] if steps else re.split(r"[>\u203a\u00bb/]", _text(element))
    element.drop_tree()
    return [crumb.strip() for crumb in crumbs if crumb.strip()]


def _date_from_time_element(root: lxml.html.HtmlElement) -> None:
    """No `Date:` text: a `<time datetime=...>` stands in for it, as a line of its own."""
    for time in root.iter("time"):
        value = time.get("datetime", "").strip()
        if value:
            time[:] = []
            time.text = f"\nDate:{value}\n"
            return


def _first_line(crumbs: list[str], title: str, h1: str, lines: list[str]) -> str | None:
    """The seed's glued first line, `Current:Home > News<headline> -<Site>`, when the page gives its parts.

    The site comes from the title (`<headline> -<Site>`) only when the title's headline is the
    page's h1, so that a title of another shape never renames the source.
    """
    site, titled = split_site_suffix(title)
    headline = h1 or titled
    site = site if titled == headline else None
    suffix = f" -{site}" if site else ""
    if crumbs:
        return "Current:" + " > ".join(crumbs) + (headline + suffix if headline else "")
    if site and headline and not any(looks_like_breadcrumb(line) for line in lines):
        return headline + suffix
    return None
