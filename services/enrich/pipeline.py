"""The enrichment pipeline: plain functions over the models, driven by the Faust agents."""

from __future__ import annotations

from datetime import datetime

from schemas.article import RawArticle
from schemas.enriched import EnrichedArticle
from services.enrich.facts import article_facts


def enrich(article: RawArticle, *, now: datetime, words_per_minute: int = 230) -> EnrichedArticle:
    return EnrichedArticle(
        article=article,
        facts=article_facts(article, words_per_minute),
        enriched_at=now,
    )
