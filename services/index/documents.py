"""From an enriched article to the Elasticsearch document and its external version: pure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from schemas.enriched import EnrichedArticle, Entity, EntityType, LinkKind, SidebarLink

# Versions order revisions first, then the update time within a revision, in milliseconds:
# version = rank(revision) * 10^13 + epoch milliseconds. Milliseconds rather than seconds
# because every partial update (a withdrawal, a link update) adds one to a document's
# version: a thousand of them would have to land before a copy of the same revision updated
# one second later stopped outranking the stored one. 10^13 ms reach the year 2286; earlier
# than 1970 counts as 1970 (such copies of one revision then rank equal).
#
# A version is a Java long, which leaves room for 922,337 revision ranks. Revisions below
# EXACT_REVISIONS are their own rank; above it (feeds that number versions with nine or ten
# digits), ranks grow with the revision's magnitude, keeping 15 bits of it: a higher
# revision never ranks lower, and revisions that close share a rank and are ordered by time.
_REVISION_WEIGHT = 10_000_000_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
EXACT_REVISIONS = 2**19
_MANTISSA_BITS = 15


def revision_rank(revision: int) -> int:
    """An order-keeping map of revisions 1..MAX_REVISION onto the ranks a version has room for."""
    if revision < EXACT_REVISIONS:
        return revision
    magnitude = revision.bit_length() - EXACT_REVISIONS.bit_length()  # 0 for 2^19 .. 2^20-1
    mantissa = (revision >> (revision.bit_length() - 1 - _MANTISSA_BITS)) & (2**_MANTISSA_BITS - 1)
    return EXACT_REVISIONS + (magnitude << _MANTISSA_BITS) + mantissa


def _moment_ms(moment: datetime) -> int:
    # The last millisecond of a rank is the withdrawal's (withdrawal_version).
    return min(max((moment - _EPOCH) // timedelta(milliseconds=1), 0), _REVISION_WEIGHT - 2)


# One keyword array per entity type, so a facet is a plain terms aggregation.
ENTITY_FACETS: dict[EntityType, str] = {
    "person": "people",
    "organization": "organizations",
    "place": "places",
    "group": "groups",
    "event": "events",
}

# The sidebar kinds, each its own field under `links` (see articles-v2.json).
LINK_KINDS: tuple[LinkKind, ...] = ("related", "ranking", "recommendation")

# The category context of headline.suggest reads this field (see articles-v2.json); the read
# alias hides WITHDRAWN and PLACEHOLDER documents (services/index/mapping.py).
PUBLISHED = "published"
WITHDRAWN = "withdrawn"
PLACEHOLDER = "placeholder"


def document_version(enriched: EnrichedArticle) -> int:
    article = enriched.article
    return revision_rank(article.revision) * _REVISION_WEIGHT + _moment_ms(
        article.updated_at or article.published_at
    )


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


def instant(moment: datetime) -> str:
    """A time as stored in documents: UTC, ISO 8601, microseconds kept (comparable as stored).

    UTC also because Elasticsearch reads offsets only up to +-18:00 (schemas/limits.py)."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def link_entry(link: SidebarLink) -> dict[str, Any]:
    """One sidebar link in a document; its kind is the field it is listed under."""
    return {
        "article_id": link.article_id,
        "headline": link.headline,
        "score": link.score,
        "reason": link.reason,
    }


def links_by_kind(links: list[SidebarLink]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {kind: [] for kind in LINK_KINDS}
    for link in links:
        grouped[link.kind].append(link_entry(link))
    return grouped


def link_fields(kind: LinkKind, links: list[SidebarLink], issued_at: datetime) -> dict[str, Any]:
    """The partial document that replaces one kind of sidebar links and nothing else.

    An update's `doc` is merged into the stored source object by object, and arrays are
    replaced whole: `links.<kind>` and `links_issued_at.<kind>` change, the other kinds stay.
    """
    return {
        "links": {kind: [link_entry(link) for link in links]},
        "links_issued_at": {kind: instant(issued_at)},
    }


def link_placeholder(
    article_id: str, kind: LinkKind, links: list[SidebarLink], issued_at: datetime
) -> dict[str, Any]:
    """What holds a link update for an article not indexed yet, hidden until the article comes."""
    return {"id": article_id, "status": PLACEHOLDER, **link_fields(kind, links, issued_at)}


def withdrawal_fields(reason: str | None, withdrawn_at: datetime) -> dict[str, Any]:
    """The partial document that withdraws an article, for the indexer's update.

    The read alias filters on `withdrawn`, and typeahead (which no alias filter reaches)
    on the `status` context: both must change together, so they are written in one place.
    """
    return {
        "withdrawn": True,
        "withdrawal_reason": reason,
        "withdrawn_at": instant(withdrawn_at),
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
    return (revision_rank(revision or 1) + 1) * _REVISION_WEIGHT - 1


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
            "url": str(article.source.url) if article.source.url is not None else None,
        },
        "url": str(article.canonical_url) if article.canonical_url is not None else None,
        "section": article.section,
        "tags": article.tags,
        "language": facts.language or article.language,
        "published_at": instant(article.published_at),
        "updated_at": instant(article.updated_at) if article.updated_at is not None else None,
        "enriched_at": instant(enriched.enriched_at),
        "dateline": {
            "raw": article.dateline,
            "place": facts.dateline.place if facts.dateline is not None else None,
            "agency": facts.dateline.agency if facts.dateline is not None else None,
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
        # Every kind is present, each stamped with the moment enrich computed it, so that a
        # later LinkUpdate replaces one kind and an older one never does (services/index/writes.py).
        "links": links_by_kind(enriched.links),
        "links_issued_at": dict.fromkeys(LINK_KINDS, instant(enriched.enriched_at)),
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
