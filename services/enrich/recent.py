"""The linking stage's memory: every recent article, with the indexes that find its neighbours.

The durable copy of each `RecentArticle` lives in a Faust table (its changelog survives
restarts); `RecentArticles` is the in-memory view rebuilt from it, holding the lookups
a table cannot answer: near-copies by MinHash, articles by shared entity or term, and
articles by headline. Everything here is plain Python, so it is tested without Kafka.

Candidates for the Related lists are found the way a search engine finds documents
like a given one (Lucene's More Like This, with its max_doc_freq): through the terms
the article shares, weighted by how rare they are, never by walking every article that
shares any term. Some terms are in nearly every article (a frequent name, a word the
stop list lacks): walking their holders made `link()` cost a second an article at
20,000 held and grow with the window, while the model's own ~80 ms is the budget a
step on the worker's event loop has. So a term contributes at most `term_cap()` of its
holders, the newest, and the candidates are ranked by the rarity of what they share.
"""

from __future__ import annotations

import heapq
import math
import re
import sys
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice
from typing import Annotated, ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator
from sortedcontainers import SortedList

from schemas.enriched import LinkKind, SidebarLink
from services.enrich.near_duplicates import EMPTY, Fingerprint, NearDuplicateIndex, loads_fingerprint

VIEW_WEIGHT = 0.1
MIN_TERM_HOLDERS = 200  # a term held by no more articles than this gives all of them as candidates
TERM_HOLDER_SHARE = 0.01  # ... nor by more than this share of those held (so a window's worth scales)


@dataclass(frozen=True, slots=True)
class RelatedLink:
    """A Related link as a held record keeps it: `SidebarLink`'s fields and JSON, in a seventh of its memory.

    A worker holds eight of these per recent article. As pydantic models they were three
    quarters of a record (~1.1 KB each: a __dict__ and a fields-set per instance); a slotted
    dataclass has neither, and its strings are interned, so a link shares its target's
    id and headline with the target's own record and its reason with the entity names.
    """

    __pydantic_config__: ClassVar[ConfigDict] = ConfigDict(extra="forbid", str_strip_whitespace=True)

    article_id: str
    headline: str
    kind: LinkKind
    score: Annotated[float, Field(ge=0.0)]
    reason: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "article_id", sys.intern(self.article_id))
        object.__setattr__(self, "headline", sys.intern(self.headline))
        object.__setattr__(self, "reason", tuple(sys.intern(name) for name in self.reason))

    @classmethod
    def of(cls, link: SidebarLink) -> RelatedLink:
        return cls(link.article_id, link.headline, link.kind, link.score, tuple(link.reason))

    def sidebar(self) -> SidebarLink:
        """The wire form, for the enriched article and link updates.

        Built without validating again (~3 us, not ~18): every value was validated as it
        came in, and a call can hand back a hundred changed lists of eight links.
        """
        return SidebarLink.model_construct(
            article_id=self.article_id,
            headline=self.headline,
            kind=self.kind,
            score=self.score,
            reason=list(self.reason),
        )


class RecentArticle(BaseModel):
    """What linking keeps of an article: enough to score, rank and name it, not its text.

    Its JSON is the Faust table's value; the Related list is `RelatedLink`s in memory and
    the same objects as `SidebarLink` in JSON, so stored changelogs load unchanged.
    """

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
    related: tuple[RelatedLink, ...] = Field((), description="Its live Related list.")

    @field_validator("id", "headline")
    @classmethod
    def _shared(cls, value: str) -> str:
        """Interned: every Related link naming this article then shares its id and headline."""
        return sys.intern(value)

    @field_validator("entities")
    @classmethod
    def _shared_names(cls, value: dict[str, float]) -> dict[str, float]:
        """Interned: a name is held once, however many articles and link reasons carry it."""
        return {sys.intern(name): salience for name, salience in value.items()}

    @field_validator("keywords")
    @classmethod
    def _shared_words(cls, value: list[str]) -> list[str]:
        return [sys.intern(word) for word in value]

    def related_links(self) -> list[SidebarLink]:
        return [link.sidebar() for link in self.related]

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
        # Holders in the order they came (a dict keeps it): the newest are the last.
        self._by_term: dict[str, dict[str, None]] = defaultdict(dict)
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
            self._by_term[term][article.id] = None
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
                holders.pop(article_id, None)
                if not holders:
                    del self._by_term[term]
        key = headline_key(article.headline)
        if self._by_headline.get(key) == article_id:
            del self._by_headline[key]

    def holders(self, term: str) -> int:
        """How many held articles carry `term` (its document frequency)."""
        return len(self._by_term.get(term, ()))

    def term_cap(self) -> int:
        """The most holders one term contributes as candidates.

        Below it every holder counts. Above it the term says little (its inverse document
        frequency is under log(1 / TERM_HOLDER_SHARE)) and its newest holders stand for
        the rest: an article whose names are all frequent still finds the freshest
        articles sharing them, which the lists favour anyway, at a bounded cost.
        """
        return max(MIN_TERM_HOLDERS, int(len(self.articles) * TERM_HOLDER_SHARE))

    def rarity(self, term: str) -> float:
        """Lucene's classic inverse document frequency: 1 + ln(held / (holders + 1)), at least 0."""
        return (
            max(0.0, 1.0 + math.log(len(self.articles) / (self.holders(term) + 1))) if self.articles else 0.0
        )

    def nominate(self, weights: Mapping[str, float], exclude: str) -> dict[str, float]:
        """Holders of the weighted terms, each with the summed weight of the terms it holds.

        Rarest terms first, so that the sums add up in one order whatever the state's history.
        """
        cap = self.term_cap()
        found: dict[str, float] = defaultdict(float)
        for term in sorted(weights, key=lambda t: (self.holders(t), t)):
            weight = weights[term]
            for holder in islice(reversed(self._by_term.get(term, {})), cap):
                found[holder] += weight
        found.pop(exclude, None)
        return dict(found)

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
