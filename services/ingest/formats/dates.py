"""Dates as feeds write them, not only as their specifications say.

Nearly every date is RFC 822 or ISO 8601, so the strict readers go first: they are exact and
cost microseconds. What they cannot read goes to dateparser, which knows the month and day
names of some two hundred languages (a Brazilian feed writes `Seg, 24 Set 2018 19:42:40
-0300`, a German one `Mo, 03 Mär 2025`). Its data ships inside the package, so it reads offline,
but it loads each language's data on first use: the document's own language is tried first
(milliseconds), and the broad set (the commonest languages, by dateparser's own ranking) only
when that fails, which costs about a second once per process.

Only absolute dates are read: "yesterday" or "in two hours" in a feed say nothing reliable
about when the article was published, so they count as unreadable.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any
from zoneinfo import ZoneInfo

BROAD_LANGUAGES = 30  # how many of dateparser's most used languages the fallback tries
MAX_DATE_CHARS = 120  # a longer "date" is text, not a date; dateparser's time grows with it
_MINUS_ZERO = re.compile(r"-0000\s*$")
_ISO = re.compile(
    r"^(?P<year>\d{4})-?(?P<month>\d{2})-?(?P<day>\d{2})"
    r"(?:[T ](?P<hour>\d{2}):?(?P<minute>\d{2})(?::?(?P<second>\d{2})(?:[.,](?P<fraction>\d{1,9}))?)?)?"
    r"\s*(?P<zone>Z|[+-]\d{2}(?::?\d{2})?)?$",
    re.IGNORECASE,
)
_SETTINGS = {
    "STRICT_PARSING": True,  # day, month and year must all be there
    "PARSERS": ["absolute-time"],  # no "yesterday", no bare timestamps
}


@dataclass(frozen=True)
class Reading:
    """What a date string held: the moment (None when unreadable) and whether it kept to a standard."""

    moment: datetime | None
    standard: bool


def read_date(raw: str, zone: ZoneInfo, languages: Iterable[str | None] = ()) -> Reading:
    """The moment `raw` names; one without a zone is in `zone`.

    `languages` are BCP 47 tags that the document gives (`pt-BR`, `de`): the natural-language
    reader tries them before its broad set.
    """
    text = " ".join(raw.split())
    moment = strict_date(text)
    standard = moment is not None
    if moment is None and 0 < len(text) <= MAX_DATE_CHARS:
        moment = _natural_date(text, _language_codes(languages))
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return Reading(moment, standard)


def strict_date(text: str) -> datetime | None:
    """RFC 822 (RSS) or ISO 8601 in its extended or basic form; naive when the text has no zone."""
    return _rfc822(text) or iso8601(text)


def _rfc822(text: str) -> datetime | None:
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment.tzinfo is None and _MINUS_ZERO.search(text):  # RFC 5322: "-0000" is UTC, zone unknown
        return moment.replace(tzinfo=UTC)
    return moment


def iso8601(text: str) -> datetime | None:
    """Extended (`2025-04-27T12:18:27+02:00`) or basic (`20250427T121827Z`, `20250427`), as NITF's
    `norm` attributes and NewsML-G2 write them; naive when no zone is given."""
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    found = _ISO.match(text)
    if found is None:
        return None
    parts = found.groupdict()
    try:
        moment = datetime(
            int(parts["year"]),
            int(parts["month"]),
            int(parts["day"]),
            int(parts["hour"] or 0),
            int(parts["minute"] or 0),
            int(parts["second"] or 0),
            int((parts["fraction"] or "0")[:6].ljust(6, "0")),
        )
        offset = _offset(parts["zone"])
    except ValueError:
        return None
    return moment if offset is None else moment.replace(tzinfo=offset)


def _offset(text: str | None) -> timezone | None:
    if text is None:
        return None
    if text.upper() == "Z":
        return UTC
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 23 or minutes > 59:
        raise ValueError(f"impossible time zone offset {text!r}")
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if text[0] == "-" else delta)


def _language_codes(tags: Iterable[str | None]) -> tuple[str, ...]:
    """`pt-BR`, `pt_br` -> `pt`, for the languages dateparser knows, each once."""
    known = _known_languages()
    codes: list[str] = []
    for tag in tags:
        code = (tag or "").strip().replace("_", "-").split("-")[0].lower()
        if code in known and code not in codes:
            codes.append(code)
    return tuple(codes)


def _natural_date(text: str, hinted: tuple[str, ...]) -> datetime | None:
    """dateparser's reading, in the hinted languages first, then in the broad set."""
    attempts = [hinted] if hinted else []
    attempts.append(_broad_languages())
    for languages in attempts:
        try:
            found = _parser(languages).get_date_data(text).date_obj
        except (ValueError, TypeError, OverflowError, LookupError):  # odd input inside dateparser
            found = None
        if isinstance(found, datetime):
            return found
    return None


@functools.cache
def _known_languages() -> frozenset[str]:
    from dateparser.data.languages_info import language_order

    return frozenset(language_order)


@functools.cache
def _broad_languages() -> tuple[str, ...]:
    from dateparser.data.languages_info import language_order

    return tuple(code for code in language_order if "-" not in code)[:BROAD_LANGUAGES]


@functools.lru_cache(maxsize=32)
def _parser(languages: tuple[str, ...]) -> Any:
    """One parser per language set: each keeps the locale that last worked, so a feed's
    second date in the same language is read without trying the others again."""
    from dateparser.date import DateDataParser

    return DateDataParser(languages=list(languages), settings=_SETTINGS, try_previous_locales=True)
