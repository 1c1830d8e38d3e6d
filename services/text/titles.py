"""A page's headline from the titles it gives, without the site's name, date or kicker.

Pages state their headline several times: JSON-LD `headline`, `og:title`, `<title>`, the
`<h1>`. The copies differ by what the site adds: its name and a date after a separator
(`... | DW | 19.01.2020`, `... - Reuters`), a section (`... | Education | The Guardian`), a
kicker before a colon (`Zugverkehr: ...`), or a cut with an ellipsis. Comparing the copies
tells the headline from the additions without knowing the site: what one copy adds to
another after (or before) a separator is an addition. With a single copy, trailing
segments are taken off only when they name the site, a date or the section.
"""

from __future__ import annotations

import re
import unicodedata

# What sites put between a headline and their additions. A hyphen counts only with spaces
# around it: inside a headline it joins words (`Tsai Ing-wen`).
_AFTER_HEADLINE = re.compile(r"^(?:\s*\||\s*::|\s+[-\u2013\u2014\u00b7\u2022\u00bb/]|:)\s*(?=\S)")
_BEFORE_HEADLINE = re.compile(r"^(?P<kicker>\S.{0,79}?)\s*(?::|\||\s[-\u2013\u2014])\s*$")
_SEGMENTS = re.compile(r"\s*\|\s*|\s+[-\u2013\u2014\u00b7\u2022]\s+|\s*::\s*")
_ELLIPSIS = re.compile(r"\s*(?:\.\.\.|\u2026)$")
_MAX_KICKER_WORDS = 6
_MIN_PREFIX = 4  # `dw` must equal `dw`; `folha` may open `folhadespaulo`
_NOT_NAME = re.compile(r"[^0-9a-z]+")
_DOMAIN_TAIL = re.compile(r"\.(?:com|net|org|info|co|news|[a-z]{2})(?:\.[a-z]{2})?$")


def best_headline(chosen: str, others: list[str], *, sites: list[str], sections: list[str]) -> str:
    """`chosen` (the most trusted title) without the additions the other titles show it has."""
    chosen = _completed(chosen, others)
    for anchor in sorted({o for o in others if o and o != chosen}, key=len, reverse=True):
        if (stripped := without_addition(chosen, anchor)) is not None:
            return stripped
    return without_site_segments(chosen, sites=sites, sections=sections)


def without_addition(title: str, anchor: str) -> str | None:
    """`anchor` when `title` is it plus a separator and an addition on one side, else None."""
    if len(anchor) >= len(title) or not anchor.strip():
        return None
    if title.startswith(anchor) and _AFTER_HEADLINE.match(title[len(anchor) :]):
        return anchor
    if title.endswith(anchor):
        kicker = _BEFORE_HEADLINE.match(title[: -len(anchor)])
        if kicker and len(kicker.group("kicker").split()) <= _MAX_KICKER_WORDS:
            return anchor
    return None


def without_site_segments(title: str, *, sites: list[str], sections: list[str]) -> str:
    """Trailing ` | Site`, ` - 21/12/2018`, ` | Section` segments taken off, the first one kept."""
    names = [name for name in (_name(site) for site in sites) if len(name) >= 2]
    section_names = {_name(section) for section in sections} - {""}
    end = len(title)
    for cut in reversed(list(_SEGMENTS.finditer(title))):
        last = title[cut.end() : end]
        if not (_names_site(last, names) or _is_date(last) or _name(last) in section_names):
            break
        end = cut.start()
    kept = title[:end].strip()
    return kept or title


def _completed(title: str, others: list[str]) -> str:
    """A title cut with an ellipsis, replaced by the full copy another title gives."""
    cut = _ELLIPSIS.search(title)
    if cut is None:
        return title
    stem = title[: cut.start()]
    longer = [other for other in others if len(other) > len(stem) and other.startswith(stem)]
    return min(longer, key=len) if longer else title


def _name(text: str) -> str:
    """A site's name reduced for comparison: `The Guardian`, `the Guardian` and `guardian` agree."""
    folded = unicodedata.normalize("NFKD", text).casefold().strip()
    folded = re.sub(r"^(?:https?://)?(?:www\.)?", "", folded)
    folded = _DOMAIN_TAIL.sub("", folded.split("/")[0]) if " " not in folded else folded
    folded = re.sub(r"^the\s+", "", folded)
    return _NOT_NAME.sub("", folded)


def names_site(text: str, sites: list[str]) -> bool:
    """Does `text` name one of the sites (`DW` and `DW.COM`, `Folha` and `Folha de S.Paulo`)?"""
    return _names_site(text, [name for name in (_name(site) for site in sites) if len(name) >= 2])


def _names_site(segment: str, names: list[str]) -> bool:
    """Equal once reduced, or one the start of the other when the shorter is a name, not initials."""
    name = _name(segment)
    if len(name) < 2:
        return False
    return any(name == site or _opens(name, site) or _opens(site, name) for site in names)


def _opens(short: str, long: str) -> bool:
    return len(short) >= _MIN_PREFIX and long.startswith(short)


def _is_date(segment: str) -> bool:
    """`19.01.2020`, `21/12/2018`, `2020-01-19`: digits with separators only."""
    return bool(re.fullmatch(r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}", segment.strip()))
