"""Repairs of an article's times on its way in: pure, and each one said.

A real article is never refused for a secondary field. Its times order its revisions and
place it in the linking window, so a time that cannot be right is replaced by one that is,
and the article carries a warning saying what was given (schemas/limits.py has the bounds).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from schemas.article import ArticleSubmission, IngestWarning, PublishedAtSource
from schemas.limits import FUTURE_TOLERANCE

TOLERANCE = f"{FUTURE_TOLERANCE.total_seconds() / 3600:g} h"


@dataclass
class Times:
    published_at: datetime
    updated_at: datetime | None
    published_at_source: PublishedAtSource
    warnings: list[IngestWarning] = field(default_factory=list)

    def warn(self, code: str, field_name: str, message: str) -> None:
        self.warnings.append(IngestWarning(code=code, field=field_name, message=message))


def settle_times(submission: ArticleSubmission, received_at: datetime) -> Times:
    """Published and updated times every stage can trust, and what had to change for them."""
    latest = received_at + FUTURE_TOLERANCE
    if submission.published_at is None:
        times = Times(received_at, submission.updated_at, "received")
        times.warn("published-at-missing", "published_at", "no publication time: the time received is used")
    else:
        times = Times(submission.published_at, submission.updated_at, submission.published_at_source)
    if times.published_at > latest:
        times.warn(
            "published-at-future",
            "published_at",
            f"{times.published_at.isoformat()} is more than {TOLERANCE} after it was "
            "received: the time received is used",
        )
        times.published_at, times.published_at_source = received_at, "received"
    if times.updated_at is not None and times.updated_at > latest:
        times.warn(
            "updated-at-future",
            "updated_at",
            f"{times.updated_at.isoformat()} is more than {TOLERANCE} after it was received: dropped",
        )
        times.updated_at = None
    if times.updated_at is not None and times.updated_at < times.published_at:
        times.warn(
            "updated-before-published",
            "updated_at",
            f"{times.updated_at.isoformat()} is earlier than published_at "
            f"{times.published_at.isoformat()}: dropped",
        )
        times.updated_at = None
    return times
