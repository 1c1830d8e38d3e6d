"""From an enriched article to the Elasticsearch document and its external version: pure."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from schemas.enriched import EnrichedArticle, Entity, EntityType

# Versions order revisions first, then the update time within a revision:
# revision * 10^10 + epoch seconds stays below 2^63 for a billion revisions.
_REVISION_WEIGHT = 10_000_000_000

# One keyword array per entity type, so a facet is a plain terms aggregation.
ENTITY_FACETS: dict[EntityType, str] = {
    "person": "people",
    "organization": "organizations",
    "place": "places",
    "group": "groups",
    "event": "events",
}

# The category context of headline.suggest reads this field (see articles-v1.json).
PUBLISHED = "published"
WITHDRAWN = "withdrawn"


def document_version(enriched: EnrichedArticle) -> int:
    article = enriched.article
    moment = article.updated_at or article.published_at
    return article.revision * _REVISION_WEIGHT + int(moment.timestamp())


def entity_facets(entities: list[Entity]) -> dict[str, list[str]]:
    """Names per facet field, each once, in the order enrich listed them.

    Every facet field is present (empty when there is none) so that all documents have
    one shape. A terms aggregation counts documents, not values, so duplicates would not
    skew facets; dropping them keeps what UIs read from `_source` clean.
    """
    facets: dict[str, list[str]] = {field: [] for field in ENTITY_FACETS.values()}
    for entity in entities:
        names = facets[ENTITY_FACETS[entity.type]]
        if entity.name not in names:
            names.append(entity.name)
    return facets


def withdrawal_fields(reason: str | None, withdrawn_at: datetime) -> dict[str, Any]:
    """The partial document that withdraws an article, for the indexer's update.

    The read alias filters on `withdrawn`, and typeahead (which no alias filter reaches)
    on the `status` context: both must change together, so they are written in one place.
    """
    return {
        "withdrawn": True,
        "withdrawal_reason": reason,
        "withdrawn_at": withdrawn_at.isoformat(),
        "status": WITHDRAWN,
    }


def withdrawal_stub(
    article_id: str, revision: int | None, reason: str | None, withdrawn_at: datetime
) -> dict[str, Any]:
    """What stands for an article withdrawn before it was indexed (the notice overtook it)."""
    return {"id": article_id, "revision": revision or 1, **withdrawal_fields(reason, withdrawn_at)}


def withdrawal_version(revision: int | None) -> int:
    """The highest version within the withdrawn revision.

    Indexed at this version, the stub wins over any copy of that revision that arrives
    later, while a correction (a higher revision) still replaces it.
    """
    return ((revision or 1) + 1) * _REVISION_WEIGHT - 1


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
        **entity_facets(enriched.entities),
        "entities": [
            {"name": e.name, "type": e.type, "mentions": e.mentions, "salience": e.salience}
            for e in enriched.entities
        ],
        "reactions": [{"name": name, "count": count} for name, count in sorted(article.reactions.items())],
        "reaction_total": sum(article.reactions.values()),
        "links": [
            {
                "article_id": link.article_id,
                "headline": link.headline,
                "kind": link.kind,
                "score": link.score,
                "reason": link.reason,
            }
            for link in enriched.links
        ],
        # collapse puts all documents without a value in one group: an article in no
        # cluster is a cluster of one, named by its own id.
        "cluster_id": enriched.cluster_id or article.id,
        "duplicate_of": enriched.duplicate_of,
        # A new revision is a published article; a withdrawal comes later, as an update.
        "status": PUBLISHED,
        "withdrawn": False,
        "withdrawal_reason": None,
        "withdrawn_at": None,
    }
