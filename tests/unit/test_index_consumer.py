"""The indexer's consumer: what a polled batch of records becomes."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, cast

from kafka import TopicPartition
from prometheus_client import CollectorRegistry

from services.common.topics import CONTROL, ENRICHED
from services.index.bulk_writer import BulkWriter
from services.index.consumer import IndexConsumer, IndexMetrics
from services.index.settings import IndexSettings
from services.index.writes import IndexRequest
from tests.support import enriched_article, submission

NOW = datetime(2025, 4, 27, 13, 0, tzinfo=UTC)


def _enriched_value(**overrides: object) -> bytes:
    return enriched_article(submission(**overrides), NOW).model_dump_json().encode()


def _record(topic: str, partition: int, offset: int, value: bytes) -> Any:
    return SimpleNamespace(
        topic=topic, partition=partition, offset=offset, leader_epoch=3, key=b"k", value=value
    )


def _consumer() -> IndexConsumer:
    metrics = IndexMetrics(CollectorRegistry())
    return IndexConsumer(IndexSettings(), cast(BulkWriter, None), metrics, threading.Event())


def test_a_batch_commits_each_partition_after_its_last_record_bad_ones_included() -> None:
    good = _enriched_value(headline="One")
    records = [
        _record(ENRICHED.name, 0, 10, good),
        _record(ENRICHED.name, 1, 4, _enriched_value(headline="Two")),
        _record(ENRICHED.name, 0, 11, b"{not json"),
        _record(CONTROL.name, 0, 7, b'{"truncated":'),
    ]
    batch = _consumer().parse(records)
    assert {tp: (o.offset, o.leader_epoch) for tp, o in batch.offsets.items()} == {
        TopicPartition(ENRICHED.name, 0): (12, 3),
        TopicPartition(ENRICHED.name, 1): (5, 3),
        TopicPartition(CONTROL.name, 0): (8, 3),
    }
    assert [type(r) for r in batch.requests] == [IndexRequest, IndexRequest]
    assert [(d.topic, d.offset) for d in batch.dead] == [(ENRICHED.name, 11), (CONTROL.name, 7)]


def test_an_empty_poll_is_an_empty_batch() -> None:
    batch = _consumer().parse([])
    assert batch.requests == []
    assert batch.dead == []
    assert batch.offsets == {}
