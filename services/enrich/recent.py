"""The linking stage's memory: every recent article, with the indexes that find its neighbours.

The durable copy of each `RecentArticle` lives in a Faust table (its changelog survives
restarts); `RecentArticles` is the in-memory view rebuilt from it, holding the lookups
a table cannot answer: near-copies by MinHash, articles by shared entity or term, and
articles by headline. Everything here is plain Python, so it is tested without Kafka.
"""

from __future__ import annotations

import heapq
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sortedcontainers import SortedList

from schemas.enriched import SidebarLink
from services.enrich.near_duplicates import EMPTY, Fingerprint, NearDuplicateIndex, loads_fingerprint

VIEW_WEIGHT = 0.1


class RecentArticle(BaseModel):
    """What linking keeps of an article: enough to score, rank and name it, not its text."""

    model_config = ConfigDict(extra="forbid")

    id: str
    headline: str
    source: str
    published_at: AwareDatetime
    cluster_id: str
    duplicate_of: str | None = None
    fingerprint: str
    entities: dict[str, float] = Field(description="Canonical entity name to salience.")
    keywords: list[str] = Field(default_factory=list)
    reactions: int = Field(0, description="Reactions the article carried, plus reaction events.")
    views: int = 0
    related: list[SidebarLink] = Field(default_factory=list, description="Its live Related list.")

    @property
    def engagement(self) -> float:
        """Reactions, plus views at a tenth of a reaction each: what the Ranking list orders by."""
        return self.reactions + VIEW_WEIGHT * self.views

    @property
    def terms(self) -> set[str]:
        """Entities and keywords share one lookup: either kind of overlap makes a candidate."""
        return {f"e:{name}" for name in self.entities} | {f"k:{word}" for word in self.keywords}


_PUNCTUATION = re.compile(r"[^\w\s]")
_SPACE = re.compile(r"\s+")


def headline_key(headline: str) -> str:
    """Headlines as sidebars quote them: case, quotes, punctuation and spacing do not count."""
    folded = unicodedata.normalize("NFKC", headline).casefold()
    return _SPACE.sub(" ", _PUNCTUATION.sub(" ", folded)).strip()


def _readable(stored: str) -> Fingerprint:
    """A fingerprint of an older format is not an error: that article just matches nothing."""
    try:
        return loads_fingerprint(stored)
    except ValueError:
        return EMPTY


def _engagement_key(article: RecentArticle) -> tuple[float, float, str]:
    return (-article.engagement, -article.published_at.timestamp(), article.id)


class RecentArticles:
    """The articles published within `window` of the newest one seen (event time).

    Event time, not the wall clock, so that replaying the topic rebuilds the same
    state and two runs over the same input link alike.
    """

    def __init__(self, window: timedelta, near_duplicate_threshold: float) -> None:
        self.window = window
        self.threshold = near_duplicate_threshold
        self.clear()

    def clear(self) -> None:
        self.articles: dict[str, RecentArticle] = {}
        self.near_duplicates = NearDuplicateIndex(threshold=self.threshold)
        self._by_term: dict[str, set[str]] = defaultdict(set)
        self._by_headline: dict[str, str] = {}
        self._by_age: list[tuple[datetime, str]] = []
        self._by_engagement: SortedList = SortedList()
        self.watermark: datetime | None = None

    def __len__(self) -> int:
        return len(self.articles)

    def __contains__(self, article_id: object) -> bool:
        return article_id in self.articles

    def get(self, article_id: str) -> RecentArticle | None:
        return self.articles.get(article_id)

    def add(self, article: RecentArticle) -> None:
        """Hold `article`, replacing an earlier revision of the same id."""
        self.remove(article.id)
        self.articles[article.id] = article
        self.near_duplicates.add(article.id, _readable(article.fingerprint))
        for term in article.terms:
            self._by_term[term].add(article.id)
        self._by_headline.setdefault(headline_key(article.headline), article.id)
        heapq.heappush(self._by_age, (article.published_at, article.id))
        self._by_engagement.add(_engagement_key(article))
        if self.watermark is None or article.published_at > self.watermark:
            self.watermark = article.published_at

    def replace(self, article: RecentArticle) -> None:
        """Store a changed record of an article held already (its links, its counts)."""
        held = self.articles[article.id]
        self._by_engagement.discard(_engagement_key(held))
        self._by_engagement.add(_engagement_key(article))
        self.articles[article.id] = article

    def remove(self, article_id: str) -> None:
        article = self.articles.pop(article_id, None)
        if article is None:
            return
        self.near_duplicates.remove(article_id)
        self._by_engagement.discard(_engagement_key(article))
        for term in article.terms:
            holders = self._by_term.get(term)
            if holders is not None:
                holders.discard(article_id)
                if not holders:
                    del self._by_term[term]
        key = headline_key(article.headline)
        if self._by_headline.get(key) == article_id:
            del self._by_headline[key]

    def sharing_terms(self, article: RecentArticle) -> set[str]:
        """Ids of the held articles sharing an entity or keyword with `article`."""
        found: set[str] = set()
        for term in article.terms:
            found |= self._by_term.get(term, set())
        found.discard(article.id)
        return found

    def most_engaged(self) -> Iterator[RecentArticle]:
        """Held articles with any engagement, most first (newer first on ties)."""
        for _, _, article_id in self._by_engagement:
            article = self.articles[article_id]
            if article.engagement <= 0:
                return
            yield article

    def by_headline(self, headline: str) -> str | None:
        return self._by_headline.get(headline_key(headline))

    def expire(self) -> list[str]:
        """Drop what fell out of the window; the ids dropped, for the durable copy."""
        if self.watermark is None:
            return []
        horizon = self.watermark - self.window
        dropped = []
        while self._by_age and self._by_age[0][0] < horizon:
            published_at, article_id = heapq.heappop(self._by_age)
            held = self.articles.get(article_id)
            if held is not None and held.published_at == published_at:
                self.remove(article_id)
                dropped.append(article_id)
        return dropped

    def rebuild(self, stored: Iterable[RecentArticle]) -> None:
        """Start again from the durable copy (after a restart or a rebalance)."""
        self.clear()
        for article in sorted(stored, key=lambda a: (a.published_at, a.id)):
            self.add(article)
