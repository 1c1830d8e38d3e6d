"""The article body as ordered plain-text paragraphs and as sanitised HTML, each made from the other."""

from __future__ import annotations

import html
import re

import lxml.html
import nh3

# What a body may keep: text structure and links, nothing that runs or styles.
ALLOWED_TAGS = {
    "p",
    "br",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "ul",
    "ol",
    "li",
    "strong",
    "em",
    "b",
    "i",
    "a",
    "figure",
    "figcaption",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "hr",
    "sub",
    "sup",
}
BLOCK_TAGS = ("p", "h2", "h3", "h4", "h5", "h6", "blockquote", "li", "figcaption", "td", "th")
_SPACE = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def sanitize_html(raw: str) -> str:
    return nh3.clean(
        raw, tags=ALLOWED_TAGS, attributes={"a": {"href", "title"}}, link_rel="noopener nofollow"
    )


def html_from_paragraphs(paragraphs: list[str]) -> str:
    if not paragraphs:
        return ""
    joined = "\x00".join(paragraphs)
    if joined.count("\x00") != len(paragraphs) - 1:  # a paragraph holds NUL itself
        return "".join(f"<p>{html.escape(p, quote=False)}</p>" for p in paragraphs)
    # One escape over the joined text is several times cheaper than one per paragraph.
    return "<p>" + html.escape(joined, quote=False).replace("\x00", "</p><p>") + "</p>"


def paragraphs_from_html(fragment: str) -> list[str]:
    """Plain text of each block element in document order (nested blocks are not repeated)."""
    # lxml refuses control characters (and feeds do carry them); they are never text anyway.
    fragment = _CONTROL.sub("", fragment)
    if not fragment.strip():
        return []
    root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    for br in root.iter("br"):
        br.tail = "\n" + (br.tail or "")
    paragraphs = []
    for element in root.iter(*BLOCK_TAGS):
        if any(ancestor.tag in BLOCK_TAGS for ancestor in element.iterancestors()):
            continue
        text = _SPACE.sub(" ", element.text_content()).strip()
        if text:
            paragraphs.append(text)
    if not paragraphs:  # a body of bare text, lines broken by <br>
        lines = (_SPACE.sub(" ", line).strip() for line in root.text_content().split("\n"))
        paragraphs = [line for line in lines if line]
    return paragraphs
