"""Article facts that need no model: counts, reading time, the lede."""

from __future__ import annotations

import re

from schemas.article import RawArticle
from schemas.enriched import ArticleFacts

_WORD = re.compile(r"\w+(?:[-'\u2019]\w+)*")  # inner hyphens and apostrophes join a word


def word_count(paragraphs: list[str]) -> int:
    return sum(len(_WORD.findall(p)) for p in paragraphs)


def article_facts(article: RawArticle, words_per_minute: int) -> ArticleFacts:
    words = word_count(article.body)
    return ArticleFacts(
        word_count=words,
        reading_time_minutes=round(words / words_per_minute, 1),
        summary=article.body[0] if article.body else article.headline,
        language=article.language,
    )
