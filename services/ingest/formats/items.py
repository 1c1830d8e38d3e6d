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
    notice names the same id as the article it withdraws.
    """

    source: str
    headline: str
    published_at: datetime
    reason: str  # e.g. "pubstatus canceled", "management-status withheld"
    feed_item_id: str | None = None
    url: str | None = None
    revision: int | None = None


ParsedItem = ArticleSubmission | Withdrawal | FormatError
