"""Readers' views and reactions, which order the Ranking links."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from schemas.article import Instant
from schemas.base import Message, Part

ARTICLE_ID = r"^[a-z]{1,8}-[0-9a-f]{32}$"


class EngagementSubmission(Part):
    """One count as a site reports it to `POST /v1/engagement`."""

    article_id: str = Field(pattern=ARTICLE_ID, description="The id ingest answered for the article.")
    kind: Literal["view", "reaction"]
    count: int = Field(1, ge=1, le=1_000_000, description="Events folded into one, e.g. a minute of views.")
    at: Instant | None = Field(None, description="When they happened; default: when received.")


class EngagementEvent(Message):
    """An engagement count on `articles.engagement`, keyed by article id."""

    article_id: str = Field(pattern=ARTICLE_ID)
    kind: Literal["view", "reaction"]
    count: int = Field(ge=1, le=1_000_000)
    at: Instant
