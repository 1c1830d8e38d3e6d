"""From an enriched article to the Elasticsearch document and its external version: pure."""

from __future__ import annotations

from typing import Any

from schemas.enriched import EnrichedArticle

# Versions order revisions first, then the update time within a revision:
# revision * 10^10 + epoch seconds stays below 2^63 for a billion revisions.
_REVISION_WEIGHT = 10_000_000_000


def document_version(enriched: EnrichedArticle) -> int:
    article = enriched.article
    moment = article.updated_at or article.published_at
    return article.revision * _REVISION_WEIGHT + int(moment.timestamp())


def to_document(enriched: EnrichedArticle) -> dict[str, Any]:
    article, facts = enriched.article, enriched.facts
    return {
        "id": article.id,
        "revision": article.revision,
        "headline": article.headline,
        "subheadline": article.subheadline,
        "summary": facts.summary,
        "body": "\n\n".join(article.body),
        "source": {
            "name": article.source.name,
            "feed": article.source.feed,
            "url": str(article.source.url) if article.source.url else None,
        },
        "url": str(article.canonical_url) if article.canonical_url else None,
        "section": article.section,
        "tags": article.tags,
        "language": facts.language or article.language,
        "published_at": article.published_at.isoformat(),
        "updated_at": article.updated_at.isoformat() if article.updated_at else None,
        "enriched_at": enriched.enriched_at.isoformat(),
        "dateline": {
            "raw": article.dateline,
            "place": facts.dateline.place if facts.dateline else None,
            "agency": facts.dateline.agency if facts.dateline else None,
        },
        "bylines": [c.name for c in article.bylines],
        "contributors": [c.name for c in article.contributors],
        "word_count": facts.word_count,
        "reading_time_minutes": facts.reading_time_minutes,
        "reactions": [{"name": name, "count": count} for name, count in sorted(article.reactions.items())],
        "reaction_total": sum(article.reactions.values()),
        "cluster_id": enriched.cluster_id,
        "duplicate_of": enriched.duplicate_of,
    }
