"""The canonical raw article, and the shape in which clients submit one."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, ConfigDict, Field, HttpUrl, PrivateAttr, model_validator

from schemas.base import Message, Part
from schemas.limits import MAX_COUNT, MAX_REACTION_KINDS, MAX_REVISION, storable

NonEmpty = Annotated[str, Field(min_length=1, max_length=2000)]
# A time every stage can store and compute with (schemas/limits.py).
Instant = Annotated[AwareDatetime, AfterValidator(storable)]
Revision = Annotated[int, Field(ge=1, le=MAX_REVISION)]
PublishedAtSource = Literal["feed", "text", "received"]


def _no_blank_paragraphs(paragraphs: list[str]) -> list[str]:
    return [p for p in (p.strip() for p in paragraphs) if p]


class Source(Part):
    name: NonEmpty = Field(description="Who published it, e.g. 'AP' or the site's name.")
    feed: str | None = Field(None, max_length=500, description="The feed it arrived on.")
    url: HttpUrl | None = Field(None, description="The source's home or feed URL.")


class Contributor(Part):
    name: NonEmpty
    role: str | None = Field(None, max_length=200, description="e.g. 'writer', 'photographer'.")
    place: str | None = Field(None, max_length=200, description="Where they reported from.")


class SidebarItem(Part):
    headline: NonEmpty
    url: HttpUrl | None = None


class SidebarSection(Part):
    """A link list the page carried beside the story, as it came (Related, Ranking, ...)."""

    name: NonEmpty
    items: list[SidebarItem] = Field(default_factory=list, max_length=200)


class IngestWarning(Part):
    """Something ingest repaired in an article rather than refuse it, so that the feed can fix it."""

    code: str = Field(description="Stable kind, e.g. 'updated-before-published', counted in /metrics.")
    field: str | None = Field(None, description="The field repaired, e.g. 'updated_at'.")
    message: str = Field(description="What was given and what was done with it.")


class IngestMeta(Part):
    received_at: Instant
    key_id: str | None = Field(None, description="Which API key pushed it (its id, never the key).")
    content_type: str = Field(description="The Content-Type it arrived with.")


class OriginalPayload(Part):
    """The bytes as received, for audit; text when they decode as UTF-8, else base64."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)  # kept byte for byte

    content_type: str
    encoding: str = Field(description="'utf-8' for text, 'base64' otherwise.")
    data: str


class ArticleFields(Part):
    """What a feed tells us about an article: shared by submissions and raw articles."""

    headline: Annotated[str, Field(min_length=1, max_length=1000)]
    subheadline: str | None = Field(None, max_length=2000)
    source: Source
    canonical_url: HttpUrl | None = None
    bylines: list[Contributor] = Field(default_factory=list, max_length=50)
    contributors: list[Contributor] = Field(default_factory=list, max_length=50)
    dateline: str | None = Field(
        None, max_length=300, description="The dateline as given, e.g. 'MOSCOW (AP)'."
    )
    published_at: Instant = Field(description="With a time zone; naive times are refused.")
    updated_at: Instant | None = None
    language: str | None = Field(None, pattern=r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$")
    body: Annotated[list[str], AfterValidator(_no_blank_paragraphs)] = Field(
        default_factory=list, max_length=5000, description="Plain-text paragraphs in order."
    )
    # No length of its own: a body is bounded by the request's size, and the article's
    # record by what the topics after ingest carry (a 413 that says so).
    body_html: str | None = Field(None, description="Sanitised HTML of the body.")
    section: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list, max_length=20, description="Breadcrumb path, e.g. ['Home', 'News']."
    )
    tags: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list, max_length=200
    )
    reactions: dict[
        Annotated[str, Field(min_length=1, max_length=100)], Annotated[int, Field(ge=0, le=MAX_COUNT)]
    ] = Field(
        default_factory=dict,
        max_length=MAX_REACTION_KINDS,
        description="Reaction name to count, e.g. {'veryGood': 639}.",
    )
    sidebars: list[SidebarSection] = Field(default_factory=list, max_length=20)
    revision: Revision = Field(1, description="Higher revisions supersede lower ones.")


class ArticleSubmission(ArticleFields):
    """One article as a client POSTs it to the ingest API, or as a format parser read it.

    A secondary field that is wrong is repaired, and the repair is listed in the raw
    article's `ingest_warnings`.
    """

    published_at: Instant | None = Field(  # type: ignore[assignment]
        None,
        description=(
            "With a time zone; naive times are refused. Missing: the time received is used, "
            "and the article says so (published_at_source 'received')."
        ),
    )
    feed_item_id: str | None = Field(
        None, min_length=1, max_length=500, description="The feed's own id for the item, when it has one."
    )
    _warnings: list[IngestWarning] = PrivateAttr(default_factory=list)
    _published_at_source: PublishedAtSource = PrivateAttr("feed")

    def warn(self, code: str, field: str | None, message: str) -> ArticleSubmission:
        """Record a repair or guess a parser made; it reaches the raw article and the answer."""
        self._warnings.append(IngestWarning(code=code, field=field, message=message))
        return self

    def published_from_text(self) -> ArticleSubmission:
        """The publication time was read from the page's text, not from a structured field."""
        self._published_at_source = "text"
        return self

    @property
    def warnings(self) -> list[IngestWarning]:
        return list(self._warnings)

    @property
    def published_at_source(self) -> PublishedAtSource:
        return self._published_at_source

    @model_validator(mode="after")
    def _has_text(self) -> ArticleSubmission:
        if not self.body and not self.body_html:
            raise ValueError("an article needs a body: give 'body' paragraphs or 'body_html'")
        return self


class RawArticle(Message, ArticleFields):
    """The canonical article on `articles.raw`: validated, identified, with its audit trail."""

    id: str = Field(pattern=r"^[a-z]{1,8}-[0-9a-f]{32}$", description="Stable id; see schemas/article_id.py.")
    feed_item_id: str | None = None
    ingest: IngestMeta
    original: OriginalPayload | None = None
    published_at_source: PublishedAtSource = Field(
        "feed",
        description="Where published_at comes from: a feed field, the page's text, or the time received.",
    )
    ingest_warnings: list[IngestWarning] = Field(
        default_factory=list, max_length=100, description="What ingest repaired rather than refuse."
    )

    @model_validator(mode="after")
    def _updated_not_before_published(self) -> RawArticle:
        if self.updated_at is not None and self.updated_at < self.published_at:
            raise ValueError("updated_at is earlier than published_at")
        return self

    @property
    def version_key(self) -> tuple[int, datetime]:
        """Ordering of revisions: higher revision first, then the later update."""
        return (self.revision, self.updated_at or self.published_at)
