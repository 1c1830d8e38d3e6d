"""What a parser yields per item of a document."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from schemas.article import ArticleSubmission
from services.ingest.formats.errors import FormatError


@dataclass(frozen=True)
class Withdrawal:
    """The feed says an item is withdrawn (canceled, withheld, killed): take it out of search.

    It carries what the article id is derived from (schemas/article_id.py), so that the
    notice names the same id as the article it withdraws. A kill notice often carries the
    item's id and nothing else, so only what the id needs is required: a feed item id or a
    URL, else a headline and a publication time.
    """

    source: str
    reason: str  # e.g. "pubstatus canceled", "management-status withheld"
    headline: str = ""
    published_at: datetime | None = None
    feed_item_id: str | None = None
    url: str | None = None
    revision: int | None = None

    def __post_init__(self) -> None:
        if not (self.feed_item_id or self.url or (self.headline and self.published_at)):
            raise ValueError("a withdrawal needs a feed item id, a URL, or a headline and a time")


@dataclass(frozen=True)
class Skipped:
    """An item that is not an article and asks for nothing (a picture in a package).

    It is answered on its own, with the reason, so that the answer stays aligned with the
    document's items and a feed owner learns why nothing was taken from it, without the
    item counting as a refusal of the document.
    """

    reason: str
    location: str | None = None


ParsedItem = ArticleSubmission | Withdrawal | Skipped | FormatError
