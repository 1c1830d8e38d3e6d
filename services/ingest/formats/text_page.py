"""Article pages scraped as text, in the layout of sites that republish wire stories (the seed).

Current:Home > News<headline> -<Site>      breadcrumb glued to the headline and site name
<headline>                                 the headline again
View                                       page furniture
Date:2025-04-27 12:18:27                   publication time, in the source's zone
MOSCOW (AP) — <first paragraph>            body, one paragraph per line, dateline first
___                                        end of the body
Associated Press writer ... contributed.   contributor line
veryGood! (639)                            reaction counter
Related / Ranking / Recommendation         sidebar sections, one headline per line
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from schemas.article import ArticleSubmission, SidebarItem, SidebarSection, Source
from services.ingest.formats.errors import FormatError
from services.text.contributors import parse_contributor_line
from services.text.dateline import split_dateline

SIDEBAR_NAMES = ("Related", "Ranking", "Recommendation", "Recommended", "Most Read", "Popular", "Trending")
_FURNITURE = {"view", "share", "print", "advertisement", "comments"}
_DATE = re.compile(r"^Date:\s*(?P<value>\S.*)$")
_REACTION = re.compile(r"^(?P<name>[A-Za-z][\w ]{0,40}?)!\s*\((?P<count>\d{1,12})\)$")
_SEPARATOR = re.compile(r"^_{3,}$")
_SITE_SUFFIX = re.compile(r"\s+-\s*(?P<site>[A-Za-z0-9][\w .&'-]{0,60})$")


def _published_at(value: str, zone: str, line: int) -> datetime:
    try:
        moment = datetime.fromisoformat(value.strip().replace(" ", "T", 1))
    except ValueError as exc:
        raise FormatError(f"unreadable date {value!r}", f"line {line}") from exc
    if moment.tzinfo is None:
        try:
            moment = moment.replace(tzinfo=ZoneInfo(zone))
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise FormatError(f"unknown source time zone {zone!r}", "settings") from exc
    return moment


def _split_first_line(first: str, headline: str) -> tuple[list[str], str | None]:
    """Breadcrumb and site name from `Current:Home > News<headline> -<Site>`."""
    text = first.removeprefix("Current:").strip()
    at = text.find(headline)
    if at < 0:
        return [], None
    crumbs = [c.strip() for c in text[:at].split(">") if c.strip()]
    suffix = _SITE_SUFFIX.match(text[at + len(headline) :])
    return crumbs, suffix.group("site").strip() if suffix else None


def _sidebars(lines: list[tuple[int, str]]) -> list[SidebarSection]:
    sections: list[SidebarSection] = []
    for _, line in lines:
        if line in SIDEBAR_NAMES:
            sections.append(SidebarSection(name=line, items=[]))
        elif sections:
            headline = line.removeprefix("- ").removeprefix("• ").strip()
            if headline:
                sections[-1].items.append(SidebarItem(headline=headline[:2000]))
    return sections


def parse_text_page(text: str, *, source_timezone: str = "UTC") -> ArticleSubmission:
    lines = [(n, line.strip()) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    date_at = next((i for i, (_, line) in enumerate(lines) if _DATE.match(line)), None)
    if date_at is None:
        raise FormatError("no 'Date:' line", "page")
    date_line, date_text = lines[date_at]
    published_at = _published_at(_DATE.match(date_text).group("value"), source_timezone, date_line)  # type: ignore[union-attr]

    header = [line for _, line in lines[:date_at] if line.lower() not in _FURNITURE]
    if not header:
        raise FormatError("no headline before the 'Date:' line", f"line {date_line}")
    # The clean headline is the last header line; the first may carry breadcrumb and site.
    headline = header[-1]
    crumbs, site = _split_first_line(header[0], headline) if len(header) > 1 else ([], None)
    if len(header) == 1:
        suffix = _SITE_SUFFIX.search(headline)
        if suffix:
            site, headline = suffix.group("site").strip(), headline[: suffix.start()].strip()

    rest = lines[date_at + 1 :]
    body_end = next(
        (
            i
            for i, (_, line) in enumerate(rest)
            if _SEPARATOR.match(line) or _REACTION.match(line) or line in SIDEBAR_NAMES
        ),
        len(rest),
    )
    body = [line for _, line in rest[:body_end]]
    if not body:
        raise FormatError("the page has no body paragraphs after the date", f"line {date_line + 1}")
    dateline, first = split_dateline(body[0])
    if dateline:
        body[0] = first

    contributors, reactions = [], {}
    sidebar_at = len(rest)
    for i, (_, line) in enumerate(rest[body_end:], start=body_end):
        if line in SIDEBAR_NAMES:
            sidebar_at = i
            break
        if reaction := _REACTION.match(line):
            reactions[reaction.group("name")] = int(reaction.group("count"))
        else:
            contributors.extend(parse_contributor_line(line))

    source_name = site or (dateline.agency if dateline else None) or "unknown"
    return ArticleSubmission(
        headline=headline,
        source=Source(name=source_name),
        section=crumbs,
        published_at=published_at,
        dateline=dateline.raw if dateline else None,
        body=body,
        contributors=contributors,
        reactions=reactions,
        sidebars=_sidebars(rest[sidebar_at:]),
    )
