"""Article pages scraped as text, in the layout of sites that republish wire stories (the seed).

    Current:Home > News<headline> -<Site>      breadcrumb glued to the headline and the site's name
    <headline>                                 the headline again
    View                                       page furniture
    Date:2025-04-27 12:18:27                   publication time, in the source's zone unless it says
    MOSCOW (AP) — <first paragraph>            body, one paragraph per line, dateline first
    ___                                        end of the body
    Associated Press writer ... contributed.   contributor line
    veryGood! (639)                            reaction counter
    Related / Ranking / Recommendation         sidebar sections, one headline per line

Scraped pages vary: the breadcrumb, the site suffix, the separator and the sidebars may be
missing, lines may end in CRLF, the date may carry a zone. The `Date:` line is the anchor:
what is before it is the header, what follows is the body up to `___` (or, without one, up
to the reaction counter or the first sidebar heading). The body is never trimmed beyond
the dateline, so no paragraph is lost; nothing after the body's end can enter it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from pydantic import ValidationError

from schemas.article import ArticleSubmission, Contributor
from services.ingest.formats.errors import FormatError
from services.ingest.formats.zones import time_zone
from services.text.contributors import parse_contributor_line
from services.text.dateline import DatelineParts, split_dateline

SIDEBAR_NAMES = ("Related", "Ranking", "Recommendation", "Recommended", "Most Read", "Popular", "Trending")
_SIDEBAR_KEYS = {name.lower() for name in SIDEBAR_NAMES}
_FURNITURE = {"view", "views", "share", "print", "listen", "advertisement", "comments", "current:"}
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_DATE = re.compile(r"^Date\s*:\s*(?P<value>.*)$", re.IGNORECASE)
_DATE_VALUE = re.compile(
    r"^(?P<year>\d{4})[-/](?P<month>\d{1,2})[-/](?P<day>\d{1,2})"
    r"(?:[ T]+(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.(?P<fraction>\d{1,6})\d*)?)?"
    r"(?:\s*(?P<half>[AaPp][Mm]))?)?"
    r"\s*(?:(?P<offset>Z|[+-]\d{2}:?\d{2})|(?P<zone>[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+)*))?$"
)
_OFFSET = re.compile(r"^(?P<sign>[+-])(?P<hours>\d{2}):?(?P<minutes>\d{2})$")
_REACTION = re.compile(r"^(?P<name>[A-Za-z][A-Za-z0-9_ ]{0,99}?)\s*!\s*\(\s*(?P<count>\d[\d,]{0,15})\s*\)$")
_SEPARATOR = re.compile(r"^_{3,}$")
_CRUMB_MARK = re.compile(r"\s*[>\u203a\u00bb]\s*")  # ">" and the angle quotes sites use for it
_BREADCRUMB = re.compile(r"^current\s*:|\S\s+[>\u203a\u00bb]\s+\S", re.IGNORECASE)
_CURRENT = re.compile(r"^current\s*:\s*", re.IGNORECASE)
# The seed's form " -AssetBase" (hyphen against the name) or " | Site": a spaced " - " is
# too common inside headlines to be taken for a site suffix on a headline alone.
_ENDS_WITH_SITE = re.compile(r"^(?:\s*[-|\u2013\u2014]\s*\S.*)?$")  # what may follow the headline there
_SITE_SUFFIX = re.compile(r"\s+(?:-(?=\w)|\|\s*)(?P<site>\w[\w .&'\u2019-]{0,60})$")
# Where a breadcrumb runs into the headline: a lowercase letter against a capital ("NewsPutin").
_GLUED = re.compile(r"^(?P<crumb>.*?[a-z])(?P<headline>[A-Z\"'\u201c\u2018].*)$")
_BULLET = re.compile(r"^[-\u2022*\u2013\u2014]\s+")
_PROBE = 12  # characters of a headline enough to find it in a truncated breadcrumb line
_MAX_SIDEBARS = 20  # the contract's limits: a page with more keeps the first ones
_MAX_SIDEBAR_ITEMS = 200

Line = tuple[int, str]  # line number (1-based, as an editor shows it) and the stripped text
Origins = dict[tuple[str | int, ...], int]  # field path -> the line it came from


@dataclass(frozen=True)
class _Header:
    headline: str
    line: int
    section: list[str]
    site: str | None


def parse_text_page(text: str, *, source_timezone: str = "UTC") -> ArticleSubmission:
    """One article from a seed-like page, or FormatError saying what is wrong and on which line."""
    lines = [
        (number, line.strip())
        for number, line in enumerate(_LINE_BREAK.split(text.lstrip("\ufeff")), start=1)
        if line.strip()
    ]
    dated = next(((i, found) for i, (_, line) in enumerate(lines) if (found := _DATE.match(line))), None)
    if dated is None:
        raise FormatError("no 'Date:' line", "page")
    date_at, date = dated
    date_number = lines[date_at][0]
    published_at = _published_at(date.group("value").strip(), source_timezone, date_number)
    header = _header(lines[:date_at], date_number)

    rest = lines[date_at + 1 :]
    body_end = next((i for i, (_, line) in enumerate(rest) if _ends_body(line)), len(rest))
    body_lines = rest[:body_end]
    if body_end < len(rest) and _SEPARATOR.match(rest[body_end][1]):
        trailer = rest[body_end + 1 :]
    else:  # without `___` a contributor line sits at the foot of the body: it is no paragraph
        trailer = rest[body_end:]
        while body_lines and parse_contributor_line(body_lines[-1][1]):
            trailer = [body_lines[-1], *trailer]
            body_lines = body_lines[:-1]
    dateline, body_lines = _take_dateline(body_lines)
    if not body_lines:
        where = rest[0][0] if rest else date_number + 1
        raise FormatError("the page has no body paragraphs after the 'Date:' line", f"line {where}")

    sidebar_at = next((i for i, (_, line) in enumerate(trailer) if _is_sidebar_heading(line)), len(trailer))
    origins: Origins = {("headline",): header.line, ("dateline",): body_lines[0][0]}
    origins.update({("body", i): number for i, (number, _) in enumerate(body_lines)})
    contributors, reactions = _trailer(trailer[:sidebar_at], origins)
    fields: dict[str, Any] = {
        "headline": header.headline,
        "source": {"name": header.site or (dateline.agency if dateline else None) or "unknown"},
        "section": header.section,
        "published_at": published_at,
        "dateline": dateline.raw if dateline else None,
        "body": [line for _, line in body_lines],
        "contributors": contributors,
        "reactions": reactions,
        "sidebars": _sidebars(trailer[sidebar_at:], origins),
    }
    try:
        return ArticleSubmission.model_validate(fields)
    except ValidationError as exc:
        raise _invalid(exc, origins) from exc


def _published_at(value: str, source_timezone: str, number: int) -> datetime:
    """The `Date:` value as an aware datetime: in its own zone when it gives one, else the source's."""
    found = _DATE_VALUE.match(value)
    if not found:
        raise FormatError(f"unreadable date {value!r}", f"line {number}")
    part = found.groupdict()
    hour = int(part["hour"] or 0)
    if part["half"]:  # 12-hour clock
        if not 1 <= hour <= 12:
            raise FormatError(f"impossible hour in {value!r}", f"line {number}")
        hour = hour % 12 + (12 if part["half"].lower() == "pm" else 0)
    try:
        moment = datetime(
            int(part["year"]),
            int(part["month"]),
            int(part["day"]),
            hour,
            int(part["minute"] or 0),
            int(part["second"] or 0),
            int((part["fraction"] or "0").ljust(6, "0")),
        )
    except ValueError as exc:
        raise FormatError(f"impossible date {value!r}: {exc}", f"line {number}") from exc
    if part["offset"]:
        return moment.replace(tzinfo=_offset(part["offset"], number))
    if part["zone"]:
        return moment.replace(tzinfo=time_zone(part["zone"], f"line {number}"))
    return moment.replace(tzinfo=time_zone(source_timezone, "settings"))  # ours, not the page's


def _offset(text: str, number: int) -> timezone:
    found = _OFFSET.match(text)
    if found is None:  # "Z"
        return UTC
    hours, minutes = int(found.group("hours")), int(found.group("minutes"))
    if hours > 23 or minutes > 59:
        raise FormatError(f"impossible time zone offset {text!r}", f"line {number}")
    sign = -1 if found.group("sign") == "-" else 1
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _header(lines: list[Line], date_number: int) -> _Header:
    """Headline, breadcrumb and site name from the lines before `Date:`.

    The breadcrumb line glues path, headline and site together; the clean headline line
    after it tells where the headline starts and ends inside it. When that line is
    missing, the glued line is cut where a lowercase letter meets a capital (`NewsPutin`).
    """
    lines = [(n, line) for n, line in lines if line.lower() not in _FURNITURE]
    if not lines:
        raise FormatError("no headline before the 'Date:' line", f"line {date_number}")
    first_number, first = lines[0]
    if not looks_like_breadcrumb(first):
        site, headline = split_site_suffix(first)
        return _Header(headline, first_number, [], site)
    crumb_text = _CURRENT.sub("", first)
    inside = [(n, line) for n, line in lines[1:] if _headline_within(line, crumb_text)]
    if inside:
        number, headline = max(inside, key=lambda found: len(found[1]))
        before, _, after = crumb_text.partition(headline)
        return _Header(headline, number, _crumbs(before), _site_after(after))
    site, glued = split_site_suffix(crumb_text)
    later = [(n, line) for n, line in lines[1:] if line != site]
    if later:  # the breadcrumb line is cut short or differs: trust the clean headline line
        number, line = later[0]
        site_of_line, headline = split_site_suffix(line)
        at = glued.find(headline[:_PROBE])
        crumbs = _crumbs(glued[:at]) if at >= 0 else _glued_crumbs(glued)[0]
        return _Header(headline, number, crumbs, site or site_of_line)
    crumbs, headline = _glued_crumbs(glued)
    if not headline:
        raise FormatError("no headline before the 'Date:' line", f"line {first_number}")
    return _Header(headline, first_number, crumbs, site)


def _headline_within(line: str, crumb_text: str) -> bool:
    """Is this line the headline inside the breadcrumb line: followed by nothing or the site suffix
    only, and not itself the site name (which sits right after a dash)?"""
    before, found, after = crumb_text.partition(line)
    site_name = before.rstrip().endswith(("-", "|", "\u2013", "\u2014"))
    return bool(found) and not site_name and bool(_ENDS_WITH_SITE.match(after))


def _glued_crumbs(glued: str) -> tuple[list[str], str]:
    """`Home > NewsPutin meets ...` -> (["Home", "News"], "Putin meets ...")."""
    *path, last = _CRUMB_MARK.split(glued)
    cut = _GLUED.match(last) if " " in last.strip() else None
    if cut is None:
        return _crumbs(glued), ""
    return [*_crumbs(" > ".join(path)), cut.group("crumb").strip()], cut.group("headline").strip()


def _crumbs(text: str) -> list[str]:
    return [crumb for crumb in (c.strip() for c in _CRUMB_MARK.split(text)) if crumb]


def _site_after(text: str) -> str | None:
    """What follows the headline in the breadcrumb line: ` -AssetBase`, ` | Site`, ` - Site`."""
    site = text.strip().lstrip("-|\u2013\u2014").strip()
    return site or None


def looks_like_breadcrumb(line: str) -> bool:
    """`Current:Home > News...` or any `A > B` path (also with the angle quotes sites use)."""
    return bool(_BREADCRUMB.search(line))


def split_site_suffix(line: str) -> tuple[str | None, str]:
    """`Headline -AssetBase` -> ("AssetBase", "Headline"); (None, line) when it carries none."""
    suffix = _SITE_SUFFIX.search(line)
    if suffix is None or suffix.start() == 0:
        return None, line
    return suffix.group("site").strip(), line[: suffix.start()].strip()


def _ends_body(line: str) -> bool:
    return bool(_SEPARATOR.match(line) or _REACTION.match(line)) or _is_sidebar_heading(line)


def _is_sidebar_heading(line: str) -> bool:
    return line.lower() in _SIDEBAR_KEYS


def _take_dateline(body: list[Line]) -> tuple[DatelineParts | None, list[Line]]:
    """The dateline off the first paragraph; a dateline alone on its line leaves no paragraph."""
    if not body:
        return None, body
    number, first = body[0]
    dateline, remainder = split_dateline(first)
    if dateline is None:
        return None, body
    remainder = remainder.strip()
    return dateline, ([(number, remainder)] if remainder else []) + body[1:]


def _trailer(lines: list[Line], origins: Origins) -> tuple[list[Contributor], dict[str, int]]:
    """Contributor lines and reaction counters; other lines there are site boilerplate."""
    contributors: list[Contributor] = []
    reactions: dict[str, int] = {}
    for number, line in lines:
        if reaction := _REACTION.match(line):
            name = reaction.group("name").strip()
            reactions[name] = int(reaction.group("count").replace(",", ""))
            origins["reactions", name] = number
            continue
        for contributor in parse_contributor_line(line):
            origins["contributors", len(contributors)] = number
            contributors.append(contributor)
    return contributors, reactions


def _sidebars(lines: list[Line], origins: Origins) -> list[dict[str, Any]]:
    """Each heading with the headlines under it, as plain data for the contract to validate."""
    sections: list[dict[str, Any]] = []
    for number, line in lines:
        if _is_sidebar_heading(line):
            if len(sections) == _MAX_SIDEBARS:
                break
            origins["sidebars", len(sections)] = number
            sections.append({"name": line, "items": []})
            continue
        headline = _BULLET.sub("", line).strip()
        if sections and headline and len(items := sections[-1]["items"]) < _MAX_SIDEBAR_ITEMS:
            origins["sidebars", len(sections) - 1, "items", len(items)] = number
            items.append({"headline": headline})
    return sections


def _invalid(exc: ValidationError, origins: Origins) -> FormatError:
    """The first thing the contract refuses, placed on the line it came from when there is one."""
    error = exc.errors(include_url=False)[0]
    path = tuple(error["loc"])
    location = "/" + "/".join(str(part) for part in path)
    for length in range(len(path), 0, -1):
        if path[:length] in origins:
            location = f"line {origins[path[:length]]}"
            break
    return FormatError(f"the page gives an invalid article: {error['msg']}", location)
