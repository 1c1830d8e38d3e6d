"""The three sidebar lists, computed from the recent articles instead of taken from the page.

- Related: the most similar recent articles, by shared salient entities and terms.
- Ranking: the most reacted-to and most-viewed recent articles.
- Recommendation: related articles that are fresher, from different stories and sources.

Every list holds at most one article per near-duplicate cluster (a reader wants the
story once, not its five republications) and never the article's own cluster.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from schemas.enriched import LinkKind, SidebarLink
from services.enrich.recent import RecentArticle, RecentArticles, RelatedLink

ENTITY_WEIGHT = 0.7  # shared people, places and organisations say more than shared words
TERM_WEIGHT = 0.3
MAX_SCORED = 200  # candidates scored a link(): 25 times k; similarity costs ~10 us each


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


@dataclass(frozen=True)
class _Subject:
    """What `similarity` reads of its first article, computed once for all the others."""

    entities: dict[str, float]
    entity_total: float
    words: frozenset[str]


def _subject(article: RecentArticle) -> _Subject:
    return _Subject(article.entities, sum(article.entities.values()), frozenset(article.keywords))


def similarity(a: RecentArticle, b: RecentArticle) -> Scored:
    """How related `b` is to `a`: symmetric, in [0, 1], with the shared names as the reason.

    Entities count by weighted Jaccard over their saliences (a person in both headlines
    weighs more than one named once in passing); keywords by plain Jaccard.
    """
    return _similarity(_subject(a), b)


def _similarity(a: _Subject, b: RecentArticle) -> Scored:
    """The sum of the larger saliences is both totals less the sum of the smaller ones."""
    shared = a.entities.keys() & b.entities.keys()
    overlap = sum(min(a.entities[n], b.entities[n]) for n in shared)
    union = a.entity_total + sum(b.entities.values()) - overlap
    entity_score = overlap / union if union > 0 else 0.0
    words_b = set(b.keywords)
    common = len(a.words & words_b)
    either = len(a.words) + len(words_b) - common
    term_score = common / either if either else 0.0
    named = sorted(shared, key=lambda n: (-min(a.entities[n], b.entities[n]), n))
    reason = named[:5] or sorted(a.words & words_b)[:5]
    score = round(ENTITY_WEIGHT * entity_score + TERM_WEIGHT * term_score, 4)
    return Scored(b, score, reason)


def _term_weights(article: RecentArticle, recent: RecentArticles) -> dict[str, float]:
    """Each term's rarity times the most it can add to `similarity` with `article`.

    The second factor prefers candidates sharing the article's salient names, as the
    score does; the first prefers rare names and words over frequent ones, which the
    score cannot see but which are what tells one story from the news in general.
    """
    entity_total = sum(article.entities.values()) or 1.0
    weights = {
        f"e:{name}": ENTITY_WEIGHT * salience / entity_total for name, salience in article.entities.items()
    }
    words = set(article.keywords)
    weights.update({f"k:{word}": TERM_WEIGHT / len(words) for word in words})
    return {term: weight * recent.rarity(term) for term, weight in weights.items()}


def nominated(article: RecentArticle, recent: RecentArticles) -> dict[str, float]:
    """Held articles sharing a term with `article`, each with the weight of what it shares.

    A term adds at most `recent.term_cap()` of its holders: the work is bounded by the
    article's terms, not by the articles held.
    """
    return recent.nominate(_term_weights(article, recent), exclude=article.id)


def shortlist(article: RecentArticle, recent: RecentArticles, limit: int = MAX_SCORED) -> list[RecentArticle]:
    """The `limit` held articles most worth scoring against `article`, outside its cluster.

    Scoring every article sharing a term cost ~45 us each, with some terms in nearly
    every article; ranking by weighted shared terms first bounds the scoring at `limit`.
    Ties go to the newer article, then the smaller id, so that a state rebuilt from the
    table ranks alike; only the tied at the cut need their times looked up.
    """
    held = recent.articles
    found = {
        other_id: weight
        for other_id, weight in nominated(article, recent).items()
        if held[other_id].cluster_id != article.cluster_id
    }
    cut = list(found)
    if len(found) > limit:
        lowest = heapq.nlargest(limit, found.values())[-1]
        cut = [other_id for other_id, weight in found.items() if weight >= lowest]
    cut.sort(key=lambda other_id: (-found[other_id], -held[other_id].published_at.timestamp(), other_id))
    return [held[other_id] for other_id in cut[:limit]]


def related_candidates(
    article: RecentArticle, recent: RecentArticles, settings: LinkSettings
) -> list[Scored]:
    """The recent articles related enough to `article`, best first, outside its own cluster.

    Only the `shortlist` is scored: with tens of thousands held, the best-ranked few
    hundred hold the eight the Related list shows and as many for the recommendations.
    """
    subject = _subject(article)
    scored = [_similarity(subject, other) for other in shortlist(article, recent)]
    kept = [s for s in scored if s.score >= settings.min_related_score]
    return sorted(kept, key=lambda s: (-s.score, -s.article.published_at.timestamp(), s.article.id))


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
) -> tuple[RelatedLink, ...] | None:
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
    entry = RelatedLink(
        newcomer.article.id, newcomer.article.headline, "related", newcomer.score, tuple(newcomer.reason)
    )
    updated = tuple(sorted([*current, entry], key=lambda link: (-link.score, link.article_id))[:k])
    return updated if updated != holder.related else None
