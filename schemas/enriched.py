"""What enrich adds to an article, and the enriched article it publishes."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from schemas.article import Instant, RawArticle
from schemas.base import Message, Part

EntityType = Literal["person", "organization", "place", "group", "event"]
LinkKind = Literal["related", "ranking", "recommendation"]


class Entity(Part):
    name: str = Field(description="Canonical name within the article, e.g. 'Vladimir Putin' for 'Putin'.")
    type: EntityType
    mentions: int = Field(ge=1)
    first_offset: int = Field(ge=0, description="Character offset of the first mention in headline + body.")
    salience: float = Field(ge=0.0, le=1.0)


class Dateline(Part):
    place: str = Field(description="Title-cased place, e.g. 'Moscow'.")
    place_raw: str = Field(description="As written, e.g. 'MOSCOW'.")
    agency: str | None = Field(None, description="e.g. 'AP', 'Reuters'.")


class ArticleFacts(Part):
    word_count: int = Field(ge=0)
    reading_time_minutes: float = Field(ge=0.0)
    summary: str = Field(description="The lede.")
    language: str | None = None
    keywords: list[str] = Field(default_factory=list, description="The article's most telling terms.")
    dateline: Dateline | None = None
    entities_skipped: str | None = Field(
        None, description="Why no entities were extracted, e.g. 'language de: no model for it'."
    )


class SidebarLink(Part):
    article_id: str
    headline: str
    kind: LinkKind
    score: float = Field(ge=0.0)
    reason: list[str] = Field(default_factory=list, description="Why: the shared entities or terms.")


class SidebarMatch(Part):
    """One headline of the page's own sidebars, resolved to our article when we know it."""

    section: str = Field(description="The sidebar it was listed in, as the page named it.")
    headline: str
    article_id: str | None = Field(None, description="None while no known article has this headline.")


class EnrichedArticle(Message):
    """An article on `articles.enriched`: the raw article untouched, plus what enrich found."""

    article: RawArticle
    facts: ArticleFacts
    entities: list[Entity] = Field(default_factory=list)
    cluster_id: str | None = Field(None, description="Near-copies of one story share a cluster id.")
    duplicate_of: str | None = Field(None, description="The earlier article this one nearly copies.")
    links: list[SidebarLink] = Field(default_factory=list)
    sidebar_matches: list[SidebarMatch] = Field(default_factory=list)
    enriched_at: Instant


class AnalysedArticle(Message):
    """Enrich's internal hand-over on `articles.analysed`: per-article work done, linking not yet.

    The first stage (entities, facts, fingerprint) runs on every worker in parallel; the
    second (near-duplicates and sidebar links) needs every recent article in one place.
    """

    enriched: EnrichedArticle
    fingerprint: str = Field(description="The body's MinHash signature, serialised (see near_duplicates).")


class LinkUpdate(Message):
    """New sidebar links for an article already published (on `articles.links`).

    When a new article is related to older ones, their Related lists gain it: enrich
    emits one update per older article, and the indexer applies it as a partial update.
    """

    article_id: str
    kind: LinkKind
    links: list[SidebarLink] = Field(description="The complete list of this kind, replacing the old one.")
    issued_at: Instant
