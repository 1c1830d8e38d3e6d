"""Control notices: an upstream feed withdraws (kills) or corrects an article."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from schemas.article import Instant, Revision
from schemas.base import Message


class ControlNotice(Message):
    article_id: str
    action: Literal["withdraw", "correct"]
    reason: str | None = Field(None, max_length=2000)
    revision: Revision | None = Field(None, description="The revision that the notice concerns.")
    issued_at: Instant
