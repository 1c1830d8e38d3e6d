"""What the wire-format and feed parsers repair rather than refuse, each repair said on the article.

A real article is never refused for a secondary field: only an item with neither a headline
nor body text holds no article. Everything else is taken, and what had to be repaired or
guessed travels with it (`ArticleSubmission.warn`, then the raw article's `ingest_warnings`
and the HTTP answer), so that nothing is silent and the feed owner can fix their side.

The codes are stable; `/metrics` counts warnings by code:

- `date-unreadable`: a date no reader understood; the field is left empty (for published_at,
  ingest then uses the time received);
- `date-nonstandard`: a date outside its format's standard (a Portuguese RFC 822 date) that
  the natural-language reader understood; the value read is said;
- `charset-guessed`: a document that declared no charset and is not UTF-8, read in the
  charset that services.ingest.formats.charsets guessed;
- `headline-missing`: no headline; the body's first sentence stands in;
- `body-missing`: no body text; the headline stands in as the only paragraph;
- `field-invalid`: a secondary field (or one entry of a list) that the contract refuses,
  dropped, with the contract's reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from schemas.article import ArticleSubmission
from services.ingest.body_text import paragraphs_from_html
from services.ingest.formats.dates import read_date

# What makes the article: a refusal of these is the article's own, not a field to drop.
PRIMARY_FIELDS = frozenset({"headline", "body", "body_html"})
MAX_DERIVED_HEADLINE = 200
_MAX_DROPS = 20  # every drop removes a field or an entry, so this only bounds a pathological item
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÀ-ÖØ-Þ0-9\"'“«¿¡])")


@dataclass
class Repairs:
    """The repairs of one item, gathered while it is read and said once the article exists."""

    notes: list[tuple[str, str | None, str]] = field(default_factory=list)

    def note(self, code: str, field_name: str | None, message: str) -> None:
        self.notes.append((code, field_name, message))

    def onto(self, article: ArticleSubmission) -> ArticleSubmission:
        for code, field_name, message in self.notes:
            article.warn(code, field_name, message)
        return article


def take_date(
    raw: str | None,
    zone: ZoneInfo,
    repairs: Repairs,
    *,
    field_name: str,
    element: str,
    languages: Iterable[str | None] = (),
) -> datetime | None:
    """The date `element` gives for `field_name`, or None (said) when no reader understands it."""
    text = " ".join((raw or "").split())
    if not text:
        return None
    reading = read_date(text, zone, languages)
    if reading.moment is None:
        repairs.note(
            "date-unreadable", field_name, f"{element} {text[:80]!r} is not a readable date: dropped"
        )
    elif not reading.standard:
        repairs.note(
            "date-nonstandard",
            field_name,
            f"{element} {text[:80]!r} is not in the format's standard form: read as "
            f"{reading.moment.isoformat()}",
        )
    return reading.moment


def has_text(fields: Mapping[str, Any]) -> bool:
    """Whether the fields carry any body text, as paragraphs or in their HTML."""
    if any(str(p).strip() for p in fields.get("body") or []):
        return True
    return bool(paragraphs_from_html(str(fields.get("body_html") or "")))


def fill_text(fields: dict[str, Any], repairs: Repairs) -> bool:
    """Give an item that has only a headline, or only body text, the other half (said).

    False when it has neither: then it holds no article, and the caller refuses it.
    """
    headline = " ".join(str(fields.get("headline") or "").split())
    text = has_text(fields)
    if not headline and not text:
        return False
    if not text:
        fields["body"], fields["body_html"] = [headline], None
        repairs.note("body-missing", "body", "no body text: the headline stands as the only paragraph")
    if not headline:
        fields["headline"] = headline_from(_paragraphs(fields))
        repairs.note("headline-missing", "headline", "no headline: the body's first sentence stands in")
    return True


def headline_from(paragraphs: list[str]) -> str:
    """The first sentence of the first paragraph, cut at a word within MAX_DERIVED_HEADLINE."""
    first = next((" ".join(p.split()) for p in paragraphs if p.strip()), "")
    sentence = _SENTENCE_END.split(first, maxsplit=1)[0]
    if len(sentence) <= MAX_DERIVED_HEADLINE:
        return sentence
    cut = sentence[:MAX_DERIVED_HEADLINE].rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:") + "…"


def _paragraphs(fields: Mapping[str, Any]) -> list[str]:
    body = [str(p) for p in fields.get("body") or [] if str(p).strip()]
    return body or paragraphs_from_html(str(fields.get("body_html") or ""))


def salvaged(fields: dict[str, Any], repairs: Repairs) -> ArticleSubmission:
    """The submission, with each secondary field the contract refuses dropped (said).

    Raises the ValidationError when what is refused is the article itself (its headline or
    body, its source's name, a rule across fields); the caller locates it in its format.
    """
    for _ in range(_MAX_DROPS):
        try:
            return repairs.onto(ArticleSubmission.model_validate(fields))
        except ValidationError as exc:
            if not _drop_refused(fields, exc, repairs):
                raise
    return repairs.onto(ArticleSubmission.model_validate(fields))


def _drop_refused(fields: dict[str, Any], exc: ValidationError, repairs: Repairs) -> bool:
    error = exc.errors(include_url=False)[0]
    loc = error["loc"]
    if not loc or str(loc[0]) in PRIMARY_FIELDS or str(loc[0]) not in fields:
        return False
    name, reason = str(loc[0]), error["msg"]
    value = fields[name]
    if name == "source":
        return _drop_source_url(value, loc, reason, repairs)
    if len(loc) > 1 and isinstance(loc[1], int) and isinstance(value, list) and loc[1] < len(value):
        shown = _shown(value.pop(loc[1]))
        repairs.note("field-invalid", name, f"{name}[{loc[1]}] {shown} refused ({reason}): dropped")
        return True
    del fields[name]
    repairs.note("field-invalid", name, f"{name} {_shown(value)} refused ({reason}): dropped")
    return True


def _drop_source_url(source: Any, loc: tuple[int | str, ...], reason: str, repairs: Repairs) -> bool:
    """Only the source's URL is secondary: its name is part of the article's id."""
    if loc[1:2] != ("url",) or not isinstance(source, dict) or "url" not in source:
        return False
    shown = _shown(source.pop("url"))
    repairs.note("field-invalid", "source.url", f"source.url {shown} refused ({reason}): dropped")
    return True


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
