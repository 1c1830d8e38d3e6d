"""What each consumed record asks the index to do: pure, so a replay and the live indexer agree.

The Kafka consumer (services/index/consumer.py) and the reindex replay hand over a record's
topic and value; the answer is the write (services/index/writes.py) or None, and an
unreadable record raises the validation error that becomes its dead letter.
"""

from __future__ import annotations

from typing import Any

from schemas.control import ControlNotice
from schemas.enriched import EnrichedArticle, LinkUpdate
from services.common.topics import CONTROL, LINKS
from services.index.documents import (
    document_version,
    instant,
    link_fields,
    link_placeholder,
    to_document,
    withdrawal_fields,
    withdrawal_stub,
    withdrawal_version,
)
from services.index.writes import IndexRequest, LinkRequest, WriteRequest


def request_for(topic: str, value: bytes | None, source_ref: Any = None) -> WriteRequest | None:
    """The write a record asks for: an article to index, a withdrawal or links to apply.

    `source_ref` travels with the write, so that a rejection can name the record it came from.
    """
    if topic == CONTROL.name:
        notice = ControlNotice.model_validate_json(value or b"")
        if notice.action != "withdraw":
            return None  # a correction arrives as a new revision on articles.enriched
        return IndexRequest(
            notice.article_id,
            withdrawal_version(notice.revision),
            withdrawal_fields(notice.reason, notice.issued_at),
            source_ref,
            fallback=withdrawal_stub(notice.article_id, notice.revision, notice.reason, notice.issued_at),
        )
    if topic == LINKS.name:
        return link_request(LinkUpdate.model_validate_json(value or b""), source_ref)
    enriched = EnrichedArticle.model_validate_json(value or b"")
    return IndexRequest(enriched.article.id, document_version(enriched), to_document(enriched), source_ref)


def link_request(update: LinkUpdate, source_ref: Any = None) -> LinkRequest:
    """A LinkUpdate as a write; links of another kind than the update's break its contract."""
    strays = [link.article_id for link in update.links if link.kind != update.kind]
    if strays:
        raise ValueError(f"a {update.kind!r} link update lists links of another kind: {strays}")
    return LinkRequest(
        update.article_id,
        update.kind,
        instant(update.issued_at),
        link_fields(update.kind, update.links, update.issued_at),
        link_placeholder(update.article_id, update.kind, update.links, update.issued_at),
        source_ref,
    )
