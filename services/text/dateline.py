"""Datelines: `MOSCOW (AP) —`, `GROSSETO, Italy (AP) --`, `WASHINGTON (Reuters) -`, `CUENCA:`.

A dateline opens the first paragraph of a wire story: a place in capitals,
optionally a region in ordinary case (`Italy`, `Fla.`), optionally a date
(`LONDON, March 3 (Reuters) -`), optionally the agency in parentheses, then a
separator: an em or en dash, a double or single hyphen, or a colon.

Ordinary sentences must not be taken for one, because the dateline is cut off
the lede. So the place must be in capitals and the separator must follow it
directly ("NATO said on Monday" has none); a bare place with no region and no
agency must have three letters or more ("AI - the next step") and must not be
an editorial label or a well-known acronym ("UPDATE:", "NATO -").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_UPPER = "A-Z\u00c0-\u00d6\u00d8-\u00de"  # ASCII and Latin-1 capitals: SÃO PAULO, BOGOTÁ
_LETTER = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff"
_PLACE_WORD = rf"[{_UPPER}][{_UPPER}.'\u2019\-]*"
_PLACE = rf"{_PLACE_WORD}(?: {_PLACE_WORD})*"
# A region is capitalised words, joined by the odd lowercase connector (Bosnia and Herzegovina).
_REGION_WORD = rf"[{_UPPER}][{_LETTER}.'\u2019\-]*"
_CONNECTOR = r"(?:and|of|the|de|del|da|do|du|la|le|el)"
_REGION = rf"{_REGION_WORD}(?: (?:{_CONNECTOR} )?{_REGION_WORD})*"
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
_AGENCY = r"[A-Za-z][A-Za-z.&' ]{0,40}"
_HEAD = (
    rf"(?P<raw>(?P<city>{_PLACE})"
    rf"(?:, (?P<date_first>{_MONTH} \d{{1,2}})|, (?P<region>{_REGION})(?:, (?P<date>{_MONTH} \d{{1,2}}))?)?"
    rf"(?: \((?P<agency>{_AGENCY})\))?)"
)
# Dashes may touch the text ("MOSCOW (AP)—Putin"); a hyphen or colon needs a space after it.
_SEPARATOR = r"\s*(?:[\u2014\u2013]\s*|(?:--|-|:)(?:\s+|$))"
_DATELINE = re.compile(rf"^{_HEAD}{_SEPARATOR}")
_DATELINE_ALONE = re.compile(rf"^{_HEAD}\s*(?:\u2014|\u2013|--|-|:)?\s*$")

_LOWER_PARTICLES = {"on", "upon", "de", "del", "des", "la", "le", "les", "du", "da", "di", "do", "dos"}
_LOWER_PARTICLES |= {"am", "an", "im", "sur", "en", "es", "au", "aux", "el", "al", "y", "and"}
# Words that open paragraphs in capitals followed by a colon or a dash but name no place.
_NOT_PLACES = {
    "ADVISORY",
    "ANALYSIS",
    "BREAKING",
    "CLARIFICATION",
    "CORRECTION",
    "EDITOR'S NOTE",
    "EDITOR\u2019S NOTE",
    "EXCLUSIVE",
    "FACT CHECK",
    "FILE",
    "LIVE",
    "NOTE",
    "OPINION",
    "PHOTOS",
    "UPDATE",
    "UPDATED",
    "URGENT",
    "VIDEO",
    "WARNING",
    "WATCH",
    # acronyms that lead sentences in news copy
    "CEO",
    "CIA",
    "FBI",
    "FIFA",
    "IMF",
    "NASA",
    "NATO",
    "OPEC",
    "UEFA",
    "UNESCO",
    "UNICEF",
    "USA",
    "WHO",
}


@dataclass(frozen=True)
class DatelineParts:
    """One dateline, taken apart; `raw` is what the article's `dateline` field keeps."""

    raw: str  # as written, e.g. "MOSCOW (AP)"
    place_raw: str  # "MOSCOW", or "GROSSETO, Italy"
    place: str  # the city part in title case: "Moscow", "Grosseto"
    region: str | None  # "Italy", "Fla."
    agency: str | None  # "AP", "Reuters"


def title_place(city: str) -> str:
    """`KOMSOMOLSK-ON-AMUR` -> `Komsomolsk-on-Amur`, `RIO DE JANEIRO` -> `Rio de Janeiro`.

    Particles stay lowercase inside a name (never first), and `Mc` and `O'` prefixes keep
    the capital after them, so facets read the way the place is usually spelled.
    """
    words = []
    for i, token in enumerate(city.split(" ")):
        pieces = token.split("-")
        words.append("-".join(_title_piece(piece, first=i == 0 and j == 0) for j, piece in enumerate(pieces)))
    return " ".join(words)


def _title_piece(piece: str, *, first: bool) -> str:
    lower = piece.lower()
    if not first and lower in _LOWER_PARTICLES:
        return lower
    for apostrophe in ("'", "\u2019"):
        if apostrophe in lower:
            head, _, tail = lower.partition(apostrophe)
            # O'FALLON -> O'Fallon, D'IVOIRE -> d'Ivoire inside a name, XI'AN -> Xi'an
            if len(head) == 1:
                tail = tail.capitalize()
            head = head if head in ("d", "l") and not first else head.capitalize()
            return f"{head}{apostrophe}{tail}"
    if lower.startswith("mc") and len(lower) > 3:
        return "Mc" + lower[2:].capitalize()
    return lower.capitalize()


def split_dateline(paragraph: str) -> tuple[DatelineParts | None, str]:
    """The dateline at the start of a paragraph, and the paragraph without it.

    When there is none the paragraph comes back unchanged, so callers can always
    use the second value.
    """
    match = _DATELINE.match(paragraph)
    parts = _parts(match)
    if parts is None or match is None:
        return None, paragraph
    return parts, paragraph[match.end() :]


def parse_dateline(text: str) -> DatelineParts | None:
    """A dateline given on its own, as feeds send it in a field: `MOSCOW (AP)`."""
    return _parts(_DATELINE_ALONE.match(text.strip()))


def _parts(match: re.Match[str] | None) -> DatelineParts | None:
    if match is None:
        return None
    city = match.group("city")
    region = match.group("region")
    agency = match.group("agency")
    letters = sum(c.isalpha() for c in city)
    if letters < 2:
        return None
    if region is None and agency is None and (letters < 3 or city in _NOT_PLACES):
        return None
    return DatelineParts(
        raw=match.group("raw"),
        place_raw=f"{city}, {region}" if region else city,
        place=title_place(city),
        region=region,
        agency=agency.strip() if agency else None,
    )


def strip_lede_dateline(body: list[str]) -> tuple[str | None, list[str]]:
    """The dateline opening the first paragraph (as written), and the paragraphs without it."""
    if not body:
        return None, body
    found, rest = split_dateline(body[0])
    if found is None:
        return None, body
    rest = rest.strip()
    return found.raw, ([rest] if rest else []) + body[1:]
