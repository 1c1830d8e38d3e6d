"""The linking stage: near-copies and sidebar links for one analysed article at a time.

Pure over the in-memory `RecentArticles`: the Faust edge feeds it articles in the order
of the single-partition `articles.analysed` topic, persists what it returns (the records
to store and drop), and publishes the enriched article and the link updates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from schemas.engagement import EngagementEvent
from schemas.enriched import AnalysedArticle, EnrichedArticle, LinkUpdate, SidebarMatch
from services.enrich.near_duplicates import cluster_for, loads_fingerprint
from services.enrich.recent import RecentArticle, RecentArticles, RelatedLink
from services.enrich.sidebar_links import (
    LinkSettings,
    Scored,
    ranking,
    recommendations,
    related,
    related_candidates,
    with_new_related,
)


@dataclass
class LinkOutcome:
    enriched: EnrichedArticle
    stored: list[RecentArticle] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    updates: list[LinkUpdate] = field(default_factory=list)


def event_time(analysed: AnalysedArticle, now: datetime) -> datetime:
    """When linking takes the article to be published: never later than now.

    The window follows the newest article held and Recommendation favours the freshest,
    so one article stamped 9999-12-31 (ingest repairs those, but a record may reach the
    topic another way) would otherwise empty the window and top the lists for ever.
    Event time still, for every article with an honest clock: a replay links alike.
    """
    return min(analysed.enriched.article.published_at, now)


def _record(
    analysed: AnalysedArticle, cluster_id: str, duplicate_of: str | None, published_at: datetime
) -> RecentArticle:
    enriched = analysed.enriched
    article = enriched.article
    return RecentArticle(
        id=article.id,
        headline=article.headline,
        source=article.source.name,
        published_at=published_at,
        cluster_id=cluster_id,
        duplicate_of=duplicate_of,
        fingerprint=analysed.fingerprint,
        entities={e.name: e.salience for e in enriched.entities},
        keywords=enriched.facts.keywords,
        reactions=sum(article.reactions.values()),
    )


def _sidebar_matches(analysed: AnalysedArticle, recent: RecentArticles) -> list[SidebarMatch]:
    return [
        SidebarMatch(
            section=section.name, headline=item.headline, article_id=recent.by_headline(item.headline)
        )
        for section in analysed.enriched.article.sidebars
        for item in section.items
    ]


def link(
    analysed: AnalysedArticle, recent: RecentArticles, settings: LinkSettings, now: datetime
) -> LinkOutcome:
    """Cluster the article, list its links, update the older articles it joins, hold it."""
    article_id = analysed.enriched.article.id
    previous = recent.get(article_id)
    recent.remove(article_id)  # a revision is compared with the others, never with itself
    published_at = event_time(analysed, now)
    candidates = recent.near_duplicates.candidates(loads_fingerprint(analysed.fingerprint))
    cluster_id, duplicate_of = cluster_for(article_id, candidates, recent.articles, published_at=published_at)
    record = _record(analysed, cluster_id, duplicate_of, published_at)
    if previous is not None:  # engagement already counted stays with the article
        record.reactions = max(record.reactions, previous.reactions)
        record.views = previous.views

    scored = related_candidates(record, recent, settings)
    related_links = related(scored, settings)
    record.related = tuple(RelatedLink.of(link) for link in related_links)
    enriched = analysed.enriched.model_copy(
        update={
            "cluster_id": cluster_id,
            "duplicate_of": duplicate_of,
            "links": [
                *related_links,
                *ranking(record, recent, settings),
                *recommendations(record, scored, settings),
            ],
            "sidebar_matches": _sidebar_matches(analysed, recent),
            "enriched_at": now,
        }
    )
    outcome = LinkOutcome(enriched=enriched)
    for candidate in scored:
        holder = candidate.article
        links = with_new_related(holder, _reverse(candidate, record), recent, settings.k)
        if links is not None:
            changed = holder.model_copy(update={"related": links})
            recent.replace(changed)
            outcome.stored.append(changed)
            outcome.updates.append(
                LinkUpdate(article_id=holder.id, kind="related", links=changed.related_links(), issued_at=now)
            )
    recent.add(record)
    outcome.stored.append(record)
    outcome.dropped = recent.expire()
    return outcome


def _reverse(candidate: Scored, newcomer: RecentArticle) -> Scored:
    """The same pair seen from the older article: similarity is symmetric, the subject swaps."""
    return Scored(newcomer, candidate.score, candidate.reason)


def apply_engagement(event: EngagementEvent, recent: RecentArticles) -> RecentArticle | None:
    """Count a view or reaction; None when the article is not (or no longer) recent."""
    held = recent.get(event.article_id)
    if held is None:
        return None
    field_name = "views" if event.kind == "view" else "reactions"
    changed = held.model_copy(update={field_name: getattr(held, field_name) + event.count})
    recent.replace(changed)
    return changed
