"""From what a client sent to the canonical raw article: pure, no I/O."""

from __future__ import annotations

import base64
from datetime import datetime

from schemas.article import ArticleFields, ArticleSubmission, IngestMeta, OriginalPayload, RawArticle
from schemas.article_id import article_id
from schemas.control import ControlNotice
from services.ingest.body_text import html_from_paragraphs, paragraphs_from_html, sanitize_html
from services.ingest.formats.items import Withdrawal
from services.ingest.repairs import settle_times


def original_payload(data: bytes, content_type: str) -> OriginalPayload:
    try:
        return OriginalPayload(content_type=content_type, encoding="utf-8", data=data.decode("utf-8"))
    except UnicodeDecodeError:
        return OriginalPayload(
            content_type=content_type, encoding="base64", data=base64.b64encode(data).decode()
        )


def to_raw_article(
    submission: ArticleSubmission,
    *,
    received_at: datetime,
    key_id: str | None,
    content_type: str,
    original: bytes,
) -> RawArticle:
    """Identify the article, settle its times and its body in both forms, attach the audit trail."""
    times = settle_times(submission, received_at)
    body_html = sanitize_html(submission.body_html) if submission.body_html else None
    body = submission.body or paragraphs_from_html(body_html or "")
    # The submission's parts are validated models already; passing them as objects
    # (not dumped dicts) spares validating them twice on the hot path.
    fields = {name: getattr(submission, name) for name in ArticleFields.model_fields}
    return RawArticle.model_validate(
        {
            **fields,
            "id": article_id(
                source=submission.source.name,
                headline=submission.headline,
                published_at=times.published_at,
                feed_item_id=submission.feed_item_id,
                url=str(submission.canonical_url) if submission.canonical_url else None,
            ),
            "published_at": times.published_at,
            "updated_at": times.updated_at,
            "published_at_source": times.published_at_source,
            "ingest_warnings": [*submission.warnings, *times.warnings][:100],
            "body": body,
            "body_html": body_html if body_html is not None else html_from_paragraphs(body),
            "ingest": IngestMeta(received_at=received_at, key_id=key_id, content_type=content_type),
            "original": original_payload(original, content_type),
        }
    )


def withdrawal_notice(withdrawal: Withdrawal, *, issued_at: datetime) -> ControlNotice:
    """A feed's withdrawal as a control notice naming the id its article was given."""
    return ControlNotice(
        article_id=article_id(
            source=withdrawal.source,
            headline=withdrawal.headline,
            # Only a text id reads the time, and a withdrawal without an id or URL has one.
            published_at=withdrawal.published_at or issued_at,
            feed_item_id=withdrawal.feed_item_id,
            url=withdrawal.url,
        ),
        action="withdraw",
        reason=withdrawal.reason,
        revision=withdrawal.revision,
        issued_at=issued_at,
    )
