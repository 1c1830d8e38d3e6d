"""Article facts that need no model: counts, reading time, the lede, the dateline, keywords."""

from __future__ import annotations

import re

from schemas.article import RawArticle
from schemas.enriched import ArticleFacts, Dateline
from services.enrich.keywords import keywords
from services.text.dateline import parse_dateline, split_dateline

_WORD = re.compile(r"\w+(?:[-'\u2019]\w+)*")  # inner hyphens and apostrophes join a word


def word_count(paragraphs: list[str]) -> int:
    return sum(len(_WORD.findall(p)) for p in paragraphs)


def article_dateline(article: RawArticle) -> Dateline | None:
    """From the dateline field when the feed gave one, else from the start of the lede."""
    parts = parse_dateline(article.dateline) if article.dateline else None
    if parts is None and article.body:
        parts, _ = split_dateline(article.body[0])
    if parts is None:
        return None
    return Dateline(place=parts.place, place_raw=parts.place_raw, agency=parts.agency)


def article_facts(article: RawArticle, words_per_minute: int) -> ArticleFacts:
    words = word_count(article.body)
    return ArticleFacts(
        dateline=article_dateline(article),
        word_count=words,
        reading_time_minutes=round(words / words_per_minute, 1),
        summary=article.body[0] if article.body else article.headline,
        language=article.language,
        keywords=keywords(article.headline, article.body),
    )
