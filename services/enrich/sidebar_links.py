"""The three sidebar lists, computed from the recent articles instead of taken from the page.

- Related: the most similar recent articles, by shared salient entities and terms.
- Ranking: the most reacted-to and most-viewed recent articles.
- Recommendation: related articles that are fresher, from different stories and sources.

Every list holds at most one article per near-duplicate cluster (a reader wants the
story once, not its five republications) and never the article's own cluster.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from schemas.enriched import LinkKind, SidebarLink
from services.enrich.recent import RecentArticle, RecentArticles

ENTITY_WEIGHT = 0.7  # shared people, places and organisations say more than shared words
TERM_WEIGHT = 0.3


@dataclass(frozen=True)
class LinkSettings:
    k: int = 8
    min_related_score: float = 0.1
    freshness_half_life: timedelta = timedelta(hours=12)
    max_per_source: int = 2


@dataclass(frozen=True)
class Scored:
    article: RecentArticle
    score: float
    reason: list[str]


def similarity(a: RecentArticle, b: RecentArticle) -> Scored:
    """How related `b` is to `a`: symmetric, in [0, 1], with the shared names as the reason.

    Entities count by weighted Jaccard over their saliences (a person in both headlines
    weighs more than one named once in passing); keywords by plain Jaccard.
    """
    names = a.entities.keys() | b.entities.keys()
    overlap = sum(min(a.entities.get(n, 0.0), b.entities.get(n, 0.0)) for n in names)
    union = sum(max(a.entities.get(n, 0.0), b.entities.get(n, 0.0)) for n in names)
    entity_score = overlap / union if union else 0.0
    words_a, words_b = set(a.keywords), set(b.keywords)
    term_score = len(words_a & words_b) / len(words_a | words_b) if words_a | words_b else 0.0
    shared = sorted(
        a.entities.keys() & b.entities.keys(), key=lambda n: (-min(a.entities[n], b.entities[n]), n)
    )
    reason = shared[:5] or sorted(words_a & words_b)[:5]
    score = round(ENTITY_WEIGHT * entity_score + TERM_WEIGHT * term_score, 4)
    return Scored(b, score, reason)


def related_candidates(
    article: RecentArticle, recent: RecentArticles, settings: LinkSettings
) -> list[Scored]:
    """Every recent article related enough to `article`, best first, outside its own cluster."""
    scored = []
    for other_id in recent.sharing_terms(article):
        other = recent.articles[other_id]
        if other.cluster_id == article.cluster_id:
            continue
        candidate = similarity(article, other)
        if candidate.score >= settings.min_related_score:
            scored.append(candidate)
    return sorted(scored, key=lambda s: (-s.score, -s.article.published_at.timestamp(), s.article.id))


def _one_per_cluster(candidates: Iterable[Scored], k: int, max_per_source: int | None = None) -> list[Scored]:
    chosen: list[Scored] = []
    clusters: set[str] = set()
    per_source: dict[str, int] = {}
    for candidate in candidates:
        if len(chosen) == k:
            break
        source = candidate.article.source
        if candidate.article.cluster_id in clusters:
            continue
        if max_per_source is not None and per_source.get(source, 0) >= max_per_source:
            continue
        chosen.append(candidate)
        clusters.add(candidate.article.cluster_id)
        per_source[source] = per_source.get(source, 0) + 1
    return chosen


def _links(chosen: list[Scored], kind: LinkKind) -> list[SidebarLink]:
    return [
        SidebarLink(
            article_id=c.article.id, headline=c.article.headline, kind=kind, score=c.score, reason=c.reason
        )
        for c in chosen
    ]


def related(candidates: list[Scored], settings: LinkSettings) -> list[SidebarLink]:
    return _links(_one_per_cluster(candidates, settings.k), "related")


def recommendations(
    article: RecentArticle, candidates: list[Scored], settings: LinkSettings
) -> list[SidebarLink]:
    """Related articles outside the Related list, favouring the fresh, at most a few per source.

    Freshness halves the score every `freshness_half_life` an article is older than the
    one being read (newer ones are not boosted beyond their similarity).
    """
    shown = {c.article.id for c in _one_per_cluster(candidates, settings.k)}
    half_life_s = settings.freshness_half_life.total_seconds()
    fresh = []
    for c in candidates:
        if c.article.id in shown:
            continue
        age_s = max((article.published_at - c.article.published_at).total_seconds(), 0.0)
        fresh.append(Scored(c.article, round(c.score * 0.5 ** (age_s / half_life_s), 4), c.reason))
    fresh.sort(key=lambda s: (-s.score, -s.article.published_at.timestamp(), s.article.id))
    return _links(_one_per_cluster(fresh, settings.k, settings.max_per_source), "recommendation")


def ranking(article: RecentArticle, recent: RecentArticles, settings: LinkSettings) -> list[SidebarLink]:
    """The most engaging recent articles other than this one and its near-copies."""
    pool = (
        Scored(other, other.engagement, [f"{other.reactions} reactions", f"{other.views} views"])
        for other in recent.most_engaged()
        if other.cluster_id != article.cluster_id
    )
    return _links(_one_per_cluster(pool, settings.k), "ranking")


def with_new_related(
    holder: RecentArticle, newcomer: Scored, recent: RecentArticles, k: int
) -> list[SidebarLink] | None:
    """`holder`'s Related list once `newcomer` is considered, or None when it does not change.

    This keeps links live: an older article gains a newer related one without being
    enriched again. The newcomer stays out when its story is already listed.
    """
    current = [link for link in holder.related if link.article_id != newcomer.article.id]
    for link in current:
        listed = recent.get(link.article_id)
        if listed is not None and listed.cluster_id == newcomer.article.cluster_id:
            return None
    if len(current) >= k and newcomer.score <= min(link.score for link in current):
        return None
    entry = _links([newcomer], "related")[0]
    updated = sorted([*current, entry], key=lambda link: (-link.score, link.article_id))[:k]
    return updated if updated != holder.related else None
