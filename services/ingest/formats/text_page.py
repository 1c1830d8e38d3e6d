"""Article pages scraped as text: the layout of sites that republish wire stories (the seed), and plain text.

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

Without a `Date:` line the page is plain text, as scrapers and desks save articles: the
headline, then paragraphs, separated by blank lines or one per line. What comes before
the headline (a section label, a contact bar) is told from it by the shape of its lines
(services/text/headlines.py); a date on a line of its own near the top is the publication
time, else there is none and ingest uses the time received. Lines that a scrape broke
inside a sentence are joined again. The dateline, the contributor lines, the reaction
counter and the sidebars are read as in the seed's layout.

A page is refused only when it holds no article: no body text. A missing headline is
taken from the lede, an unreadable date is dropped, a part beyond the contract's limits is
dropped or shortened (services/text/fitting.py); each of these is a warning on the article.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from pydantic import ValidationError

from schemas.article import ArticleSubmission, Contributor
from services.ingest.formats.errors import FormatError
from services.ingest.formats.zones import time_zone
from services.text.contributors import byline_names, parse_contributor_line
from services.text.dateline import DatelineParts, split_dateline
from services.text.fitting import Note, fitted_article
from services.text.headlines import LineKind, ends_sentence, lede_headline, line_kind

SIDEBAR_NAMES = ("Related", "Ranking", "Recommendation", "Recommended", "Most Read", "Popular", "Trending")
_SIDEBAR_KEYS = {name.lower() for name in SIDEBAR_NAMES}
_FURNITURE = {"view", "views", "share", "print", "listen", "advertisement", "comments", "current:"}
# Page furniture that scraped text keeps inside the story: dropped wherever it stands.
_INLINE_FURNITURE = _FURNITURE | {
    "ad",
    "advertisement",
    "commercial break",
    "scroll to continue reading",
    "continue reading",
    "skip to main content",
    "skip to content",
}
# Lines after which a scraped page holds no more story: link lists, comment forms, share prompts.
_STORY_END = {
    "read more",
    "related articles",
    "related stories",
    "related posts",
    "related news",
    "more stories",
    "you may also like",
    "you might also like",
    "leave a reply",
    "leave a comment",
    "back to top",
    "back to top button",
    "back to homepage",
    "share this",
    "share this article",
    "please follow and like us",
}
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_DATE = re.compile(r"^Date\s*:\s*(?P<value>.*)$", re.IGNORECASE)
_DATE_VALUE = re.compile(
    r"^(?P<year>\d{4})[-/](?P<month>\d{1,2})[-/](?P<day>\d{1,2})"
    r"(?:[ T]+(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.(?P<fraction>\d{1,6})\d*)?)?"
    r"(?:\s*(?P<half>[AaPp][Mm]))?)?"
    r"\s*(?:(?P<offset>Z|[+-]\d{2}:?\d{2})|(?P<zone>[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+)*))?$"
)
# A date on a line of its own in a plain page's header: `site.example| 2022-12-19 03:20:45|`.
_DATE_IN_LINE = re.compile(r"(?<!\d)\d{4}[-/]\d{1,2}[-/]\d{1,2}(?:[ T]+\d{1,2}:\d{2}(?::\d{2})?)?(?!\d)")
_MAX_DATE_LINE_WORDS = 4  # besides the date: a label or the site's name, not a sentence
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
_FOLD = re.compile(r"[\s.:\u2026\u00bb\u203a>!]+$")
_PROBE = 12  # characters of a headline enough to find it in a truncated breadcrumb line
_MAX_SIDEBARS = 20  # the contract's limits: a page with more keeps the first ones
_MAX_SIDEBAR_ITEMS = 200
_MAX_DATELINE = 300
_HEADER_SPAN = 8  # lines of a plain page that may come before its headline
_BYLINE_SPAN = 4  # body lines a byline may follow: a deck, captions

Line = tuple[int, str]  # line number (1-based, as an editor shows it) and the stripped text
Origins = dict[tuple[str | int, ...], int]  # field path -> the line it came from


@dataclass(frozen=True)
class _Header:
    headline: str
    line: int
    section: list[str]
    site: str | None


@dataclass
class _Story:
    """What either layout found, before it becomes an article."""

    header: _Header | None
    body: list[Line]
    trailer: list[Line]
    published_at: datetime | None
    published_from_text: bool
    notes: list[Note] = field(default_factory=list)
    bylines: list[str] = field(default_factory=list)


def parse_text_page(text: str, *, source_timezone: str = "UTC") -> ArticleSubmission:
    """One article from a scraped page, or FormatError saying why it holds none and where."""
    lines = [
        (number, line.strip())
        for number, line in enumerate(_LINE_BREAK.split(text.lstrip("\ufeff")), start=1)
        if line.strip()
    ]
    dated = next(((i, found) for i, (_, line) in enumerate(lines) if (found := _DATE.match(line))), None)
    if dated is None:
        return _article(_plain_story(lines, source_timezone))
    return _article(_seed_story(lines, dated[0], dated[1].group("value").strip(), source_timezone))


def _seed_story(lines: list[Line], date_at: int, value: str, source_timezone: str) -> _Story:
    """The seed's layout: header, `Date:` line, body up to `___`, trailer."""
    date_number = lines[date_at][0]
    notes: list[Note] = []
    published_at = _date_or_note(value, source_timezone, date_number, notes)
    header = _header_or_none(lines[:date_at], date_number)

    rest = lines[date_at + 1 :]
    body_end = next((i for i, (_, line) in enumerate(rest) if _ends_body(line)), len(rest))
    body_lines = rest[:body_end]
    if body_end < len(rest) and _SEPARATOR.match(rest[body_end][1]):
        trailer = rest[body_end + 1 :]
    else:  # without `___` a contributor line sits at the foot of the body: it is no paragraph
        body_lines, trailer = _contributors_off(body_lines, rest[body_end:])
    if not _take_dateline(body_lines)[1]:
        where = rest[0][0] if rest else date_number + 1
        raise FormatError("the page has no body paragraphs after the 'Date:' line", f"line {where}")
    return _Story(header, body_lines, trailer, published_at, published_at is not None, notes)


def _plain_story(lines: list[Line], source_timezone: str) -> _Story:
    """Plain text: labels, the headline, perhaps a date line, then the story and its trailer."""
    if not lines:
        raise FormatError("the page holds no article: no headline and no body text", "page")
    header, start = _plain_header(lines)
    story = _Story(header, [], [], None, False)
    rest = lines[start:]
    for i, (number, line) in enumerate(rest):
        if not story.body and _opening_furniture(line, number, header, story, source_timezone):
            continue
        if story.body and (_ends_body(line) or _fold(line) in _STORY_END):
            story.trailer = rest[i + 1 :] if _SEPARATOR.match(line) else rest[i:]
            break
        if _fold(line) not in _INLINE_FURNITURE:
            story.body.append((number, line))
    story.body, story.trailer = _contributors_off(story.body, story.trailer)
    _byline_off(story)
    story.body = _joined(story.body, story.notes)
    if not _take_dateline(story.body)[1]:
        given = f"a headline ({header.headline!r}) but" if header else "no headline and"
        raise FormatError(f"the page holds no article: {given} no body text", "page")
    return story


def _plain_header(lines: list[Line]) -> tuple[_Header | None, int]:
    """The headline of a plain page and the index of the line after it.

    Labels before it (a section name, a site name, a contact bar) are passed over; when the
    story's first paragraph comes before any headline-shaped line, the page has none.
    """
    span = lines[:_HEADER_SPAN]
    opening = next((i for i, (_, line) in enumerate(span) if _is_paragraph(line)), len(span))
    zone = span[:opening]
    first = next((line for _, line in zone if line.lower() not in _FURNITURE), "")
    if looks_like_breadcrumb(first):
        header = _header_or_none(zone, zone[-1][0] + 1)
        if header is not None:
            return header, next(i for i, (n, _) in enumerate(lines) if n >= header.line) + 1
    for i, (number, line) in enumerate(zone):
        if line_kind(line) is LineKind.HEADLINE and not _is_marker(line) and not _date_in(line):
            site, headline = split_site_suffix(line)
            return _Header(headline, number, [], site), i + 1
    plain = [(i, number, line) for i, (number, line) in enumerate(zone) if not _is_marker(line)]
    if opening == len(span) and plain:  # only short lines at the top: the first is the headline
        i, number, line = plain[0]
        site, headline = split_site_suffix(line)
        return _Header(headline, number, [], site), i + 1
    return None, opening


def _is_paragraph(line: str) -> bool:
    return line_kind(line) is LineKind.PARAGRAPH and _fold(line) not in _INLINE_FURNITURE


def _is_marker(line: str) -> bool:
    """A line the layout gives a meaning of its own: never a headline."""
    folded = _fold(line)
    return (
        _ends_body(line) or folded in _INLINE_FURNITURE or folded in _STORY_END or looks_like_breadcrumb(line)
    )


def _opening_furniture(
    line: str, number: int, header: _Header | None, story: _Story, source_timezone: str
) -> bool:
    """Before the story's first paragraph: furniture, the headline again, a date line (read)."""
    if _is_marker(line):
        return True
    if header is not None and line.casefold() in (header.headline.casefold(), _suffixed(header).casefold()):
        return True
    if (found := _date_in(line)) is not None:
        published = _date_or_note(found, source_timezone, number, story.notes)
        if published is not None and story.published_at is None:
            story.published_at, story.published_from_text = published, True
            story.notes.append(Note("date-from-text", "published_at", f"line {number}: read from {line!r}"))
        return True
    return False


def _byline_off(story: _Story) -> None:
    """A `By ...` line at the top of the body (after a caption, say) names the writers."""
    for i, (_, line) in enumerate(story.body[:_BYLINE_SPAN]):
        if names := byline_names(line):
            story.bylines = names
            del story.body[i]
            return


def _suffixed(header: _Header) -> str:
    return f"{header.headline} | {header.site}" if header.site else header.headline


def _date_in(line: str) -> str | None:
    """The date of a line that holds a date and little else (a label, the site's name)."""
    found = _DATE_IN_LINE.search(line)
    if found is None:
        return None
    rest = (line[: found.start()] + " " + line[found.end() :]).split()
    return found.group() if len(rest) <= _MAX_DATE_LINE_WORDS and not ends_sentence(line) else None


def _joined(body: list[Line], notes: list[Note]) -> list[Line]:
    """Lines that a scrape broke inside a sentence joined again, the first line's number kept.

    A break is inside a sentence when the line ends without closing punctuation and the
    next one goes on in lowercase (or with a number after a lowercase word).
    """
    joined: list[Line] = []
    for number, line in body:
        if joined and _continues(joined[-1][1], line):
            joined[-1] = (joined[-1][0], f"{joined[-1][1]} {line}")
        else:
            joined.append((number, line))
    if len(joined) < len(body):
        notes.append(
            Note(
                "body-lines-joined", "body", f"{len(body) - len(joined)} line breaks inside sentences joined"
            )
        )
    return joined


def _continues(previous: str, line: str) -> bool:
    if not previous or previous[-1] in ".!?:;\"'\u201d\u2019\u00bb)]\u2026" or _BULLET.match(line):
        return False
    return line[0].islower() or (line[0].isdigit() and previous[-1].islower())


def _contributors_off(body: list[Line], trailer: list[Line]) -> tuple[list[Line], list[Line]]:
    """Contributor lines at the foot of the body belong to the trailer: they are no paragraphs."""
    while body and parse_contributor_line(body[-1][1]):
        trailer = [body[-1], *trailer]
        body = body[:-1]
    return body, trailer


def _fold(line: str) -> str:
    return _FOLD.sub("", line.casefold()).strip()


def _article(story: _Story) -> ArticleSubmission:
    """The article either layout read: headline (or the lede's first sentence), body, trailer."""
    dateline, body = _take_dateline(story.body)
    notes = story.notes
    header = story.header
    if header is None:
        header = _Header(lede_headline(body[0][1]), body[0][0], [], None)
        notes.append(
            Note("headline-missing", "headline", "no headline line: the first sentence of the body is used")
        )
    sidebar_at = next(
        (i for i, (_, line) in enumerate(story.trailer) if _is_sidebar_heading(line)), len(story.trailer)
    )
    origins: Origins = {("headline",): header.line, ("dateline",): body[0][0]}
    origins.update({("body", i): number for i, (number, _) in enumerate(body)})
    contributors, reactions = _trailer(story.trailer[:sidebar_at], origins)
    fields: dict[str, Any] = {
        "headline": header.headline,
        "source": {"name": header.site or (dateline.agency if dateline else None) or "unknown"},
        "section": header.section,
        "published_at": story.published_at,
        "dateline": dateline.raw if dateline else None,
        "bylines": [{"name": name, "role": "writer"} for name in story.bylines],
        "body": [line for _, line in body],
        "contributors": contributors,
        "reactions": reactions,
        "sidebars": _sidebars(story.trailer[sidebar_at:], origins),
    }
    try:
        article = fitted_article(fields, notes, lambda path: _where(path, origins))
    except ValidationError as exc:
        raise _invalid(exc, origins) from exc
    return article.published_from_text() if story.published_from_text else article


def _where(path: tuple[str | int, ...], origins: Origins) -> str | None:
    for length in range(len(path), 0, -1):
        if path[:length] in origins:
            return f"line {origins[path[:length]]}"
    return None


def _date_or_note(value: str, source_timezone: str, number: int, notes: list[Note]) -> datetime | None:
    """The date, or None and a note when the page's date cannot be read (a bad setting still raises)."""
    try:
        return _published_at(value, source_timezone, number)
    except FormatError as exc:
        if exc.location == "settings":
            raise
        notes.append(Note("date-unreadable", "published_at", f"{exc.location}: {exc.message}: ignored"))
        return None


def _header_or_none(lines: list[Line], date_number: int) -> _Header | None:
    try:
        return _header(lines, date_number)
    except FormatError:  # no headline there: the lede gives one
        return None


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
    if dateline is None or len(dateline.raw) > _MAX_DATELINE:
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
