"""Datelines: `MOSCOW (AP) —`, `GROSSETO, Italy (AP) --`, `WASHINGTON (Reuters) -`, `CUENCA:`.

A dateline opens the first paragraph of a wire story: a place in capitals,
optionally a region in ordinary case, optionally the agency in parentheses,
then a dash (em, en, double or single hyphen) or a colon. Requiring the
capitals and the separator keeps ordinary sentences ("NATO said on Monday")
from being taken for one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_PLACE = r"[A-Z][A-Z.'\u2019\-]*(?: [A-Z][A-Z.'\u2019\-]*)*"
_REGION = r"[A-Z][A-Za-z.'\u2019\-]*(?: [A-Z][A-Za-z.'\u2019\-]*)*"
_AGENCY = r"[A-Za-z][A-Za-z.&' ]{0,40}"
_HEAD = rf"(?P<raw>(?P<city>{_PLACE})(?:, (?P<region>{_REGION}))?(?: \((?P<agency>{_AGENCY})\))?)"
_DATELINE = re.compile(rf"^{_HEAD}\s*(?:\u2014|\u2013|--|-|:)\s+")
_DATELINE_ALONE = re.compile(rf"^{_HEAD}\s*(?:\u2014|\u2013|--|-|:)?\s*$")
_LOWER_PARTICLES = {"on", "de", "del", "la", "le", "du", "da", "di", "am", "an", "upon", "sur", "en"}


@dataclass(frozen=True)
class DatelineParts:
    raw: str  # as written, e.g. "MOSCOW (AP)"
    place_raw: str  # "MOSCOW", or "GROSSETO, Italy"
    place: str  # "Moscow"
    region: str | None
    agency: str | None


def title_place(city: str) -> str:
    """`KOMSOMOLSK-ON-AMUR` -> `Komsomolsk-on-Amur`, `ST. PETERSBURG` -> `St. Petersburg`."""

    def word(part: str, first: bool) -> str:
        lower = part.lower()
        if not first and lower in _LOWER_PARTICLES:
            return lower
        return lower[:1].upper() + lower[1:]

    words = []
    for i, token in enumerate(city.split(" ")):
        pieces = token.split("-")
        words.append("-".join(word(p, i == 0 and j == 0) for j, p in enumerate(pieces)))
    return " ".join(words)


def split_dateline(paragraph: str) -> tuple[DatelineParts | None, str]:
    """The dateline at the start of a paragraph, and the paragraph without it."""
    match = _DATELINE.match(paragraph)
    parts = _parts(match)
    return (parts, paragraph[match.end() :]) if parts and match else (None, paragraph)


def parse_dateline(text: str) -> DatelineParts | None:
    """A dateline given on its own, as feeds send it in a field: `MOSCOW (AP)`."""
    return _parts(_DATELINE_ALONE.match(text.strip()))


def _parts(match: re.Match[str] | None) -> DatelineParts | None:
    if not match:
        return None
    city = match.group("city")
    letters = [c for c in city if c.isalpha()]
    # A dateline place is at least two letters and not a lone acronym run into a colon ("AI:").
    if len(letters) < 2 or (
        match.group("agency") is None and match.group("region") is None and len(letters) < 3
    ):
        return None
    region = match.group("region")
    return DatelineParts(
        raw=match.group("raw"),
        place_raw=f"{city}, {region}" if region else city,
        place=title_place(city),
        region=region,
        agency=match.group("agency"),
    )
