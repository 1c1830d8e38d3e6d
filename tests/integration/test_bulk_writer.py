"""The bulk writer against the real Elasticsearch: one document per id, newest revision wins."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from elasticsearch import ApiError, Elasticsearch

from infra.settings import InfraSettings
from schemas.control import ControlNotice
from services.common.topics import CONTROL
from services.index.bulk_writer import BulkWriter, IndexRequest, MappingVersionMismatch
from services.index.documents import document_version, to_document
from services.index.mapping import CURRENT_VERSION, IndexNames
from services.index.requests import request_for
from tests.support import enriched_article, submission

NOW = datetime(2025, 4, 28, tzinfo=UTC)


def _request(payload: dict) -> IndexRequest:
    enriched = enriched_article(payload, NOW)
    return IndexRequest(enriched.article.id, document_version(enriched), to_document(enriched))


@pytest.fixture
def writer(infra: InfraSettings) -> tuple[BulkWriter, Elasticsearch, IndexNames]:
    es = Elasticsearch(infra.es_url)
    names = IndexNames(f"bw-{uuid.uuid4().hex[:8]}", CURRENT_VERSION)
    bulk_writer = BulkWriter(es, names, retry_initial_s=0.05, retry_max_s=0.5)
    bulk_writer.ensure_index()
    bulk_writer.ensure_index()  # idempotent
    return bulk_writer, es, names


def test_index_and_aliases_are_created_once(writer: tuple[BulkWriter, Elasticsearch, IndexNames]) -> None:
    _, es, names = writer
    aliases = es.indices.get_alias(index=names.concrete)[names.concrete]["aliases"]
    assert aliases == names.aliases()
    assert es.indices.get_mapping(index=names.concrete)[names.concrete]["mappings"]["dynamic"] == "strict"


def test_the_same_article_twice_is_one_document(writer: tuple[BulkWriter, Elasticsearch, IndexNames]) -> None:
    bulk_writer, es, names = writer
    request = _request(submission())
    first = bulk_writer.write([request])
    second = bulk_writer.write([request])
    assert (first.written, second.written + second.superseded) == (1, 1)
    es.indices.refresh(index=names.read_alias)
    assert es.count(index=names.read_alias)["count"] == 1


def test_a_late_older_revision_never_overwrites_a_newer_one(
    writer: tuple[BulkWriter, Elasticsearch, IndexNames],
) -> None:
    bulk_writer, es, names = writer
    base = submission(feed_item_id=f"item-{uuid.uuid4().hex}")
    newer = _request({**base, "revision": 2, "headline": "Revised headline"})
    older = _request({**base, "revision": 1})
    assert newer.doc_id == older.doc_id
    bulk_writer.write([newer])
    report = bulk_writer.write([older])
    assert (report.written, report.superseded) == (0, 1)
    stored = es.get(index=names.read_alias, id=newer.doc_id)["_source"]
    assert (stored["revision"], stored["headline"]) == (2, "Revised headline")


def test_a_document_the_mapping_refuses_is_rejected_with_the_reason_and_the_rest_written(
    writer: tuple[BulkWriter, Elasticsearch, IndexNames],
) -> None:
    bulk_writer, es, names = writer
    good = _request(submission())
    bad = _request(submission())
    bad = IndexRequest(bad.doc_id, bad.version, {**bad.document, "unexpected_field": "x"})
    report = bulk_writer.write([good, bad])
    assert report.written == 1
    ((rejected, error_type, reason),) = report.rejected
    assert rejected.doc_id == bad.doc_id
    assert error_type == "strict_dynamic_mapping_exception"
    assert "unexpected_field" in reason
    es.indices.refresh(index=names.read_alias)
    assert es.count(index=names.read_alias)["count"] == 1


def test_the_indexer_refuses_to_write_through_an_alias_of_another_mapping_version(
    infra: InfraSettings,
) -> None:
    """v1's nested `links` list refuses v2's documents: a reindex has to move the aliases first."""
    es = Elasticsearch(infra.es_url)
    prefix = f"bw-old-{uuid.uuid4().hex[:8]}"
    old = IndexNames(prefix, 1)
    BulkWriter(es, old).ensure_index()
    with pytest.raises(MappingVersionMismatch, match="reindex"):
        BulkWriter(es, IndexNames(prefix, CURRENT_VERSION)).ensure_index()
    es.indices.delete(index=old.concrete)


def test_a_large_wave_sent_as_parts_side_by_side_settles_every_item(infra: InfraSettings) -> None:
    es = Elasticsearch(infra.es_url)
    names = IndexNames(f"bw-par-{uuid.uuid4().hex[:8]}", CURRENT_VERSION)
    bulk_writer = BulkWriter(es, names, retry_initial_s=0.05, retry_max_s=0.5, concurrency=2)
    bulk_writer.ensure_index()
    base = submission(feed_item_id=f"item-{uuid.uuid4().hex}")
    newer = _request({**base, "revision": 2, "headline": "Revised headline"})
    bulk_writer.write([newer])
    fresh = [_request(submission()) for _ in range(150)]
    refused = IndexRequest(fresh[0].doc_id, fresh[0].version, {**fresh[0].document, "unexpected_field": "x"})
    batch = [refused, *fresh[1:], _request({**base, "revision": 1})]
    report = bulk_writer.write(batch)
    assert (report.written, report.superseded, len(report.rejected)) == (149, 1, 1)
    es.indices.refresh(index=names.read_alias)
    assert es.count(index=names.read_alias)["count"] == 150
    assert es.get(index=names.read_alias, id=newer.doc_id)["_source"]["revision"] == 2


def _record_statuses(es: Elasticsearch) -> list[int]:
    """The HTTP status of every bulk request the client sends from now on (200, or the refusal's)."""
    statuses: list[int] = []
    send: Callable[..., Any] = es.bulk

    def bulk(**kwargs: Any) -> Any:
        try:
            response = send(**kwargs)
        except ApiError as exc:
            statuses.append(exc.meta.status)
            raise
        statuses.append(200)
        return response

    es.bulk = bulk  # type: ignore[method-assign]
    return statuses


def test_a_version_beyond_a_long_refuses_the_whole_request_and_only_its_document_is_rejected(
    writer: tuple[BulkWriter, Elasticsearch, IndexNames],
) -> None:
    """Elasticsearch answers such a line with a 400 for the whole bulk request, naming no item:
    sent again as it is, it was refused for ever (the consumer restarted in a loop)."""
    bulk_writer, es, names = writer
    good = [_request(submission()) for _ in range(9)]
    fresh = _request(submission())
    bad = IndexRequest(fresh.doc_id, 2**64, fresh.document)
    statuses = _record_statuses(es)
    report = bulk_writer.write([*good[:4], bad, *good[4:]])
    assert statuses[0] == 400  # the whole request, really
    assert len(statuses) <= 2 * 4 + 1  # 2 * ceil(log2 10) + 1
    assert report.written == 9
    ((rejected, error_type, reason),) = report.rejected
    assert rejected.doc_id == bad.doc_id
    assert error_type == "x_content_parse_exception"
    assert "out of range of long" in reason
    es.indices.refresh(index=names.read_alias)
    assert es.count(index=names.read_alias)["count"] == 9
    assert {hit["_id"] for hit in es.search(index=names.read_alias, size=20)["hits"]["hits"]} == {
        r.doc_id for r in good
    }


def test_a_withdrawal_of_an_id_too_long_is_rejected_alone_in_parts_side_by_side(infra: InfraSettings) -> None:
    """An id over 512 bytes is another line that makes Elasticsearch refuse a whole bulk request;
    the `_mget` read answers it in its own document (not found), so only the write is split."""
    es = Elasticsearch(infra.es_url)
    names = IndexNames(f"bw-long-{uuid.uuid4().hex[:8]}", CURRENT_VERSION)
    bulk_writer = BulkWriter(es, names, retry_initial_s=0.05, retry_max_s=0.5, concurrency=2)
    bulk_writer.ensure_index()
    notice = ControlNotice(
        article_id="x" * 600, action="withdraw", reason="legal", revision=1, issued_at="2025-04-28T00:00:00Z"
    )
    record = SimpleNamespace(topic=CONTROL.name, value=notice.model_dump_json().encode())
    withdrawal = request_for(record.topic, record.value, record)
    assert withdrawal is not None
    fresh = [_request(submission()) for _ in range(150)]
    statuses = _record_statuses(es)
    try:
        report = bulk_writer.write([*fresh[:75], withdrawal, *fresh[75:]])
    finally:
        bulk_writer.close()
    assert 400 in statuses
    assert report.written == 150
    ((rejected, error_type, reason),) = report.rejected
    assert rejected is withdrawal
    assert error_type == "action_request_validation_exception"
    assert "too long" in reason
    es.indices.refresh(index=names.read_alias)
    assert es.count(index=names.read_alias)["count"] == 150
