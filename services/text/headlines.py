"""Which line of a scraped text is the headline, and a headline for texts that have none.

Scrapers and desks save an article as headline, then paragraphs, but what comes first
varies: a section label (`SportsSoccer`), a contact bar, a site name, or no headline at
all, the text opening with its lede. Three kinds of line tell these apart by their shape,
in any language that marks sentences with full stops:

- a headline: a few words to a couple of lines, one sentence, no closing full stop;
- a paragraph: prose, with a full stop at its end or between sentences, or long;
- a label: one or two words, or a short line that is neither (`We Are Available 24/7. Email Us.`).

A text without a headline still holds an article: its lede's first sentence stands in,
shortened, and the parser says so with a warning.
"""

from __future__ import annotations

import re
from enum import Enum

from services.text.dateline import split_dateline

# Longer than any real headline (the longest in wire copy run to about 150 characters).
_MAX_HEADLINE_CHARS = 200
_MAX_HEADLINE_WORDS = 35
_MIN_HEADLINE_WORDS = 3
_MIN_PROSE_WORDS = 7
_PROSE_LOWER_SHARE = 4  # at least one word in four starts in lowercase
# A lede's first sentence as a headline: cut at a word, short enough for a results list.
LEDE_HEADLINE_CHARS = 150
_CLOSERS = "\"'\u201d\u2019\u00bb)]"
_OPENERS = "\"'\u201c\u2018\u00ab(["
# A full stop ending a word, then more text: a sentence ends there unless the word is an
# abbreviation or an initial (`U.S.`, `J.`, `Feb.`).
_SENTENCE_END = re.compile(rf"(?P<word>\S+)[.!?][{re.escape(_CLOSERS)}]*\s+(?=\S)")
_TITLES = {"mr", "mrs", "ms", "dr", "st", "jr", "sr", "prof", "gen", "gov", "sen", "rep", "col", "lt", "sgt"}
_MONTHS = {"jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"}
_OTHERS = {
    "capt",
    "rev",
    "inc",
    "corp",
    "co",
    "ltd",
    "no",
    "nos",
    "vs",
    "v",
    "mt",
    "ft",
    "ave",
    "fla",
    "calif",
}
_ABBREVIATIONS = frozenset(_TITLES | _MONTHS | _OTHERS | {"approx", "est", "dept"})
_ELLIPSIS = re.compile(r"(?:\.\.\.|\u2026)$")


class LineKind(Enum):
    HEADLINE = "headline"
    PARAGRAPH = "paragraph"
    LABEL = "label"


def line_kind(line: str) -> LineKind:
    """What a line of a scraped text is, by its shape alone."""
    words = line.split()
    dateline, _ = split_dateline(line)
    if dateline is not None:  # `PARIS (AP) — ...`: a lede
        return LineKind.PARAGRAPH
    if len(line) > _MAX_HEADLINE_CHARS or len(words) > _MAX_HEADLINE_WORDS:
        return LineKind.PARAGRAPH
    if len(words) < _MIN_HEADLINE_WORDS:
        return LineKind.LABEL
    if ends_sentence(line) or sentence_breaks(line):
        return LineKind.PARAGRAPH if _is_prose(words) else LineKind.LABEL
    return LineKind.HEADLINE


def _is_prose(words: list[str]) -> bool:
    """Sentences, not a bar of capitalised links (`We Are Available 24/7. Email Us.`).

    Prose in a cased script has lowercase words between its names; a script without case
    says nothing either way, and counts as prose.
    """
    if len(words) < _MIN_PROSE_WORDS:
        return False
    cased = [word for word in words if word[0].isalpha() and (word[0].isupper() or word[0].islower())]
    lower = sum(word[0].islower() for word in cased)
    return not cased or lower * _PROSE_LOWER_SHARE >= len(cased)


def ends_sentence(line: str) -> bool:
    """A closing full stop (quotes after it allowed); `?`, `!` and an ellipsis end headlines too."""
    text = line.rstrip().rstrip(_CLOSERS)
    if not text.endswith(".") or _ELLIPSIS.search(text):
        return False
    word = text[:-1].split()[-1] if text[:-1].split() else ""
    return not _is_abbreviation(word)


def sentence_breaks(text: str) -> list[int]:
    """Offsets just after each sentence end inside the text (not its last one).

    What goes on in lowercase continues the sentence (`"We did it!" said ...`).
    """
    return [
        found.end()
        for found in _SENTENCE_END.finditer(text)
        if not _is_abbreviation(found.group("word")) and not text[found.end()].islower()
    ]


def _is_abbreviation(word: str) -> bool:
    bare = word.lstrip(_OPENERS).rstrip(_CLOSERS)
    if "." in bare:  # `U.S`, `a.m`: the last full stop is part of the abbreviation
        return True
    return (len(bare) == 1 and bare.isupper()) or bare.lower() in _ABBREVIATIONS


def lede_headline(paragraph: str, limit: int = LEDE_HEADLINE_CHARS) -> str:
    """The paragraph's first sentence, cut at a word and marked with an ellipsis when too long."""
    breaks = sentence_breaks(paragraph)
    sentence = paragraph[: breaks[0]].strip() if breaks else paragraph.strip()
    if ends_sentence(sentence) and not sentence.endswith(".."):  # headlines have no full stop
        sentence = sentence[:-1]
    return shorten(sentence, limit)


def shorten(text: str, limit: int) -> str:
    """`text` within `limit` characters, cut at a word, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:-\u2013\u2014") + "\u2026"
