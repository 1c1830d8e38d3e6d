"""A bulk request Elasticsearch refuses as a whole is split until the items at fault stand alone.

The fake client below refuses a whole request the way Elasticsearch 9 does (checked against
the real one, tests/integration/test_bulk_writer.py): a 400 x_content_parse_exception when
an action line carries a version beyond a Java long, a 400 action_request_validation_exception
when an id is longer than 512 bytes, and a 413 without a body for a read it finds too large.
The errors are built as elasticsearch-py builds them from a response.
"""

from __future__ import annotations

import json
import math
import threading
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, cast

import pytest
from elastic_transport import ApiResponseMeta, HttpHeaders, NodeConfig
from elasticsearch import ApiError, Elasticsearch
from elasticsearch.exceptions import HTTP_EXCEPTIONS
from kafka import TopicPartition

from schemas.control import ControlNotice
from services.common.topics import CONTROL, ENRICHED
from services.index.bulk_writer import BulkWriter, ElasticsearchUnavailable, Refused, bisect, refusal
from services.index.mapping import CURRENT_VERSION, IndexNames
from services.index.reindex import _replay
from services.index.writes import IndexRequest, LinkRequest, WriteRequest
from tests.support import enriched_article, submission

LONG_MAX = 2**63 - 1
OUT_OF_RANGE = 2**64


def api_error(status: int, body: Any) -> ApiError:
    """An ApiError as elasticsearch-py raises it for a response (its _base.perform_request)."""
    message = str(body)
    if isinstance(body, dict):
        error = body.get("error", message)
        message = error["type"] if isinstance(error, dict) and "type" in error else error
    meta = ApiResponseMeta(
        status=status,
        http_version="1.1",
        headers=HttpHeaders({"x-elastic-product": "Elasticsearch"}),
        duration=0.001,
        node=NodeConfig("http", "localhost", 9200),
    )
    return HTTP_EXCEPTIONS.get(status, ApiError)(message=message, meta=meta, body=body)


def _error_body(error_type: str, reason: str, status: int = 400) -> dict[str, Any]:
    error = {"type": error_type, "reason": reason}
    return {"error": {"root_cause": [error], **error}, "status": status}


class FakeElasticsearch:
    """An index in memory, answering `_bulk` and `_mget` the way Elasticsearch does.

    `busy` gives a number of 429 item answers per id before its write is taken;
    `unreadable` ids make a whole `_mget` 413; `status` refuses every request with it.
    """

    def __init__(self) -> None:
        self.docs: dict[str, tuple[int, int, dict[str, Any]]] = {}  # id -> (version, seq_no, source)
        self.bulk_calls: list[list[str]] = []  # the ids of each bulk request
        self.mget_calls: list[list[str]] = []
        self.busy: dict[str, int] = {}
        self.unreadable: set[str] = set()
        self.status: int | None = None
        self.seq_no = 0
        self.lock = threading.Lock()

    def bulk(self, operations: bytes, refresh: bool, filter_path: list[str]) -> dict[str, Any]:
        lines = [json.loads(line) for line in operations.splitlines()]
        actions = [
            (next(iter(a)), next(iter(a.values())), body)
            for a, body in zip(lines[::2], lines[1::2], strict=True)
        ]
        with self.lock:
            self.bulk_calls.append([meta["_id"] for _, meta, _ in actions])
            if self.status is not None:
                raise api_error(self.status, _error_body("security_exception", "missing credentials"))
            for op, meta, _ in actions:
                if meta.get("version", 0) > LONG_MAX:
                    line = json.dumps({op: meta})
                    raise api_error(
                        400,
                        _error_body(
                            "x_content_parse_exception",
                            f"[1:75] Numeric value ({meta['version']}) out of range of long "
                            f"(-9223372036854775808 - 9223372036854775807)\n at [Source: {line}]",
                        ),
                    )
                if len(meta["_id"].encode()) > 512:
                    raise api_error(
                        400,
                        _error_body(
                            "action_request_validation_exception",
                            f"Validation Failed: 1: id [{meta['_id']}] is too long, must be no longer than "
                            f"512 bytes but was: {len(meta['_id'].encode())};",
                        ),
                    )
            return {"items": [{op: self._item(op, meta, body)} for op, meta, body in actions]}

    def _item(self, op: str, meta: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        doc_id = meta["_id"]
        if self.busy.get(doc_id, 0) > 0:
            self.busy[doc_id] -= 1
            return {"status": 429, "error": {"type": "es_rejected_execution_exception", "reason": "busy"}}
        held = self.docs.get(doc_id)
        if op == "index" and held is not None and held[0] > meta["version"]:
            return {"status": 409, "error": {"type": "version_conflict_engine_exception", "reason": "newer"}}
        if op == "create" and held is not None:
            return {"status": 409, "error": {"type": "version_conflict_engine_exception", "reason": "exists"}}
        if op == "update":
            if held is None:
                return {"status": 404, "error": {"type": "document_missing_exception", "reason": "missing"}}
            if "if_seq_no" in meta and meta["if_seq_no"] != held[1]:
                return {
                    "status": 409,
                    "error": {"type": "version_conflict_engine_exception", "reason": "seq"},
                }
            body = {**held[2], **body["doc"]}
        self.seq_no += 1
        self.docs[doc_id] = (meta.get("version", held[0] if held else 1), self.seq_no, body)
        return {"status": 201}

    def mget(self, index: str, ids: list[str], source_includes: list[str]) -> dict[str, Any]:
        with self.lock:
            self.mget_calls.append(list(ids))
            if self.status is not None:
                raise api_error(self.status, _error_body("security_exception", "missing credentials"))
            if self.unreadable & set(ids):
                raise api_error(413, None)
            docs = []
            for doc_id in ids:
                held = self.docs.get(doc_id)
                if held is None:
                    docs.append({"_index": index, "_id": doc_id, "found": False})
                else:
                    source = {k: v for k, v in held[2].items() if k in source_includes}
                    docs.append(
                        {
                            "_id": doc_id,
                            "found": True,
                            "_seq_no": held[1],
                            "_primary_term": 1,
                            "_source": source,
                        }
                    )
            return {"docs": docs}


def _writer(es: FakeElasticsearch, concurrency: int = 1) -> BulkWriter:
    return BulkWriter(
        cast(Elasticsearch, es),
        IndexNames("test", CURRENT_VERSION),
        retry_initial_s=0.001,
        retry_max_s=0.01,
        concurrency=concurrency,
    )


def _good(i: int, version: int = 1) -> IndexRequest:
    return IndexRequest(f"doc-{i}", version, {"headline": f"Article {i}"})


def _bad(i: int) -> IndexRequest:
    return IndexRequest(f"doc-{i}", OUT_OF_RANGE, {"headline": f"Article {i}"})


def _batch(n: int, bad: set[int]) -> list[WriteRequest]:
    return [_bad(i) if i in bad else _good(i) for i in range(n)]


def _bound(n: int, bad: int) -> int:
    """Requests allowed: per bad item, two for each halving and the first."""
    return bad * (2 * math.ceil(math.log2(n)) + 1) if n > 1 else bad


def test_one_bad_item_among_ten_is_rejected_with_its_reason_and_nine_are_written() -> None:
    es = FakeElasticsearch()
    report = _writer(es).write(_batch(10, {3}))
    assert report.written == 9
    ((rejected, error_type, reason),) = report.rejected
    assert rejected.doc_id == "doc-3"
    assert error_type == "x_content_parse_exception"
    assert "out of range of long" in reason
    assert sorted(es.docs) == sorted(f"doc-{i}" for i in range(10) if i != 3)


def test_two_bad_items_are_both_found() -> None:
    es = FakeElasticsearch()
    report = _writer(es).write(_batch(10, {0, 7}))
    assert report.written == 8
    assert sorted(r.doc_id for r, _, _ in report.rejected) == ["doc-0", "doc-7"]
    assert {t for _, t, _ in report.rejected} == {"x_content_parse_exception"}
    assert len(es.bulk_calls) <= _bound(10, 2)


def test_when_every_item_is_bad_every_item_is_rejected_and_nothing_loops() -> None:
    es = FakeElasticsearch()
    report = _writer(es).write(_batch(10, set(range(10))))
    assert (report.written, len(report.rejected)) == (0, 10)
    assert es.docs == {}
    assert len(es.bulk_calls) == 2 * 10 - 1  # every node of the split, once


def test_a_bad_item_alone_is_rejected_after_one_request() -> None:
    es = FakeElasticsearch()
    report = _writer(es).write([_bad(0)])
    assert (report.written, [(r.doc_id, t) for r, t, _ in report.rejected]) == (
        0,
        [("doc-0", "x_content_parse_exception")],
    )
    assert len(es.bulk_calls) == 1


@pytest.mark.parametrize(
    ("n", "bad"),
    [
        (2, {1}),
        (10, {9}),
        (37, {18}),
        (64, {0}),
        (100, {42}),
        (500, {499}),
        (500, {3, 250}),
        (129, {64, 65, 128}),
    ],
)
def test_the_split_costs_at_most_two_requests_per_halving_per_bad_item(n: int, bad: set[int]) -> None:
    es = FakeElasticsearch()
    report = _writer(es).write(_batch(n, bad))
    assert (report.written, len(report.rejected)) == (n - len(bad), len(bad))
    assert len(es.bulk_calls) <= _bound(n, len(bad))
    assert len(es.mget_calls) == 1  # the split re-sends the plan; it never reads again


def test_an_item_busy_in_the_good_half_is_retried_there_and_written() -> None:
    es = FakeElasticsearch()
    es.busy = {"doc-8": 2}
    report = _writer(es).write(_batch(10, {2}))
    assert report.written == 9
    assert report.retried == 2
    assert [r.doc_id for r, _, _ in report.rejected] == ["doc-2"]
    assert "doc-8" in es.docs
    # The retries send only the busy item again, after a fresh read of it.
    assert es.bulk_calls[-2:] == [["doc-8"], ["doc-8"]]
    assert es.mget_calls[1:] == [["doc-8"], ["doc-8"]]


def test_conflicts_inside_a_half_keep_their_meaning() -> None:
    es = FakeElasticsearch()
    writer = _writer(es)
    writer.write([_good(1, version=5)])
    report = writer.write([_good(1, version=4), _bad(2), _good(3)])
    assert (report.written, report.superseded, len(report.rejected)) == (1, 1, 1)
    assert es.docs["doc-1"][0] == 5


def test_a_link_update_replanned_after_a_conflict_is_not_lost_by_the_split() -> None:
    """A guarded update that met a concurrent write is read and planned again, bad item or not."""
    es = FakeElasticsearch()
    writer = _writer(es)
    writer.write([_good(1)])
    link = LinkRequest("doc-1", "related", "2025-05-01T00:00:00+00:00", {"links": {"related": []}}, {})
    stale = writer.prepare([link, _bad(2)], writer.read(["doc-1", "doc-2"]))
    writer.write([_good(1, version=2)])  # changes doc-1 after the read: the guard fails once
    report = writer.send(stale)
    assert (report.written, report.retried, len(report.rejected)) == (1, 1, 1)
    assert es.docs["doc-1"][2]["links"] == {"related": []}


def test_a_batch_planned_ahead_is_split_the_same_way() -> None:
    es = FakeElasticsearch()
    writer = _writer(es)
    batch = _batch(10, {5})
    prepared = writer.prepare(batch, writer.read(r.doc_id for r in batch))
    assert prepared.first is not None
    report = writer.send(prepared)
    assert (report.written, len(report.rejected)) == (9, 1)
    assert len(es.mget_calls) == 1  # the read ahead, only


def test_parts_side_by_side_each_split_on_their_own() -> None:
    es = FakeElasticsearch()
    writer = _writer(es, concurrency=2)
    try:
        report = writer.write(_batch(150, {0, 1, 149}))  # two parts: even and odd positions
    finally:
        writer.close()
    assert (report.written, len(report.rejected)) == (147, 3)
    assert sorted(r.doc_id for r, _, _ in report.rejected) == ["doc-0", "doc-1", "doc-149"]
    assert len(es.docs) == 147


def test_an_id_too_long_for_elasticsearch_is_rejected_alone() -> None:
    es = FakeElasticsearch()
    long_id = IndexRequest("x" * 600, 1, {"headline": "long"})
    report = _writer(es).write([_good(0), long_id, _good(1)])
    assert report.written == 2
    ((rejected, error_type, reason),) = report.rejected
    assert rejected is long_id
    assert error_type == "action_request_validation_exception"
    assert "too long" in reason


def test_a_read_refused_as_a_whole_is_split_and_only_its_request_rejected() -> None:
    es = FakeElasticsearch()
    es.unreadable = {"doc-4"}
    writer = _writer(es)
    assert set(writer.read(f"doc-{i}" for i in range(10))) == {f"doc-{i}" for i in range(10)} - {"doc-4"}
    report = writer.write(_batch(10, set()))
    assert report.written == 9
    ((rejected, error_type, reason),) = report.rejected
    assert (rejected.doc_id, error_type) == ("doc-4", "http_413")
    assert "413" in reason
    assert "doc-4" not in es.docs


def test_a_batch_read_ahead_without_a_refused_id_is_planned_again_when_written() -> None:
    es = FakeElasticsearch()
    es.unreadable = {"doc-4"}
    writer = _writer(es)
    batch = _batch(10, set())
    prepared = writer.prepare(batch, writer.read(r.doc_id for r in batch))
    assert prepared.first is None
    report = writer.send(prepared)
    assert (report.written, [r.doc_id for r, _, _ in report.rejected]) == (9, ["doc-4"])


@pytest.mark.parametrize("status", [401, 403, 404])
def test_a_refusal_no_record_can_cause_is_elasticsearch_unavailable_not_a_split(status: int) -> None:
    """Splitting would reject every record; the caller waits and writes the batch again instead."""
    es = FakeElasticsearch()
    writer = _writer(es)
    es.status = status
    with pytest.raises(ElasticsearchUnavailable):
        writer.write(_batch(10, set()))
    assert len(es.mget_calls) == 1
    prepared = writer.prepare(_batch(10, set()), {f"doc-{i}": None for i in range(10)})
    with pytest.raises(ElasticsearchUnavailable):
        writer.send(prepared)
    assert len(es.bulk_calls) == 1


def test_a_whole_request_refusal_without_a_body_names_its_status() -> None:
    refused = refusal(api_error(413, None))
    assert (refused.status, refused.error_type) == (413, "http_413")
    refused = refusal(api_error(400, {"error": "no requests added", "status": 400}))
    assert (refused.error_type, refused.reason) == ("http_400", "no requests added")


def test_bisect_keeps_the_order_and_sends_nothing_for_nothing() -> None:
    sent: list[list[int]] = []

    def send(items: list[int]) -> list[int]:
        sent.append(items)
        if 3 in items:
            raise Refused(400, "bad", "three")
        return [i * 10 for i in items]

    answered, refused = bisect(list(range(6)), send)
    assert answered == [(0, 0), (1, 10), (2, 20), (4, 40), (5, 50)]
    assert [(i, r.reason) for i, r in refused] == [(3, "three")]
    assert bisect([], send) == ([], [])
    assert sent[0] == list(range(6))


class _Topics:
    """The part of a KafkaConsumer that a replay uses, over lists of records by partition."""

    def __init__(self, records: list[Any]) -> None:
        self.records: dict[TopicPartition, list[Any]] = {}
        for record in records:
            self.records.setdefault(TopicPartition(record.topic, record.partition), []).append(record)
        self.at = dict.fromkeys(self.records, 0)

    def end(self) -> dict[TopicPartition, int]:
        return {tp: len(records) for tp, records in self.records.items()}

    def assign(self, partitions: list[TopicPartition]) -> None:
        pass

    def seek_to_beginning(self, *partitions: TopicPartition) -> None:
        self.at = dict.fromkeys(self.records, 0)

    def position(self, tp: TopicPartition) -> int:
        return self.at[tp]

    def poll(self, timeout_ms: int, max_records: int) -> dict[TopicPartition, list[Any]]:
        polled = {
            tp: records[self.at[tp] : self.at[tp] + max_records] for tp, records in self.records.items()
        }
        for tp, records in polled.items():
            self.at[tp] += len(records)
        return polled


def _record(topic: str, offset: int, value: bytes) -> Any:
    return SimpleNamespace(topic=topic, partition=0, offset=offset, key=b"k", value=value)


def test_a_reindex_replay_goes_on_past_a_record_elasticsearch_refuses_as_a_whole_request() -> None:
    """A withdrawal of an id longer than Elasticsearch takes makes a whole bulk request a 400."""
    now = datetime(2025, 5, 1, tzinfo=UTC)
    articles = [enriched_article(submission(), now) for _ in range(4)]
    notice = ControlNotice(
        article_id="x" * 600, action="withdraw", reason="legal", revision=1, issued_at=now.isoformat()
    )
    records = [_record(ENRICHED.name, i, a.model_dump_json().encode()) for i, a in enumerate(articles)]
    records.append(_record(CONTROL.name, 0, notice.model_dump_json().encode()))
    es = FakeElasticsearch()
    topics = _Topics(records)
    done = _replay(cast(Any, topics), _writer(es), None, topics.end(), batch=10)
    assert done == 4
    assert sorted(es.docs) == sorted(a.article.id for a in articles)
