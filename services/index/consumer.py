"""Kafka adapter: consume enriched articles and control notices in batches, write them, then commit.

Offsets are committed only after Elasticsearch has settled every item of the
batch (written, superseded, or dead-lettered with Kafka's acknowledgement).
While Elasticsearch is unreachable the partitions are paused, so the consumer
keeps polling (and keeps its group membership) without taking new records.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from kafka import KafkaConsumer, KafkaProducer
from kafka.errors import CommitFailedError, RebalanceInProgressError
from prometheus_client import CollectorRegistry, Counter, Gauge

from schemas.control import ControlNotice
from schemas.enriched import EnrichedArticle
from services.common.dead_letters import dead_letter
from services.common.topics import CONTROL, DLQ, ENRICHED
from services.index.bulk_writer import (
    BulkWriter,
    ElasticsearchUnavailable,
    IndexRequest,
    WriteReport,
    backoff_delay,
)
from services.index.documents import (
    document_version,
    to_document,
    withdrawal_fields,
    withdrawal_stub,
    withdrawal_version,
)
from services.index.settings import IndexSettings

log = logging.getLogger(__name__)


@dataclass
class IndexMetrics:
    registry: CollectorRegistry

    def __post_init__(self) -> None:
        r = self.registry
        self.written = Counter("wirestream_index_written_total", "Documents written.", registry=r)
        self.superseded = Counter("wirestream_index_superseded_total", "Older revisions skipped.", registry=r)
        self.retried = Counter("wirestream_index_retried_items_total", "Bulk items retried.", registry=r)
        self.dead_letters = Counter(
            "wirestream_index_dead_letters_total", "Sent to the DLQ.", ["reason"], registry=r
        )
        self.es_up = Gauge(
            "wirestream_index_elasticsearch_up", "1 when the last bulk reached Elasticsearch.", registry=r
        )


class IndexConsumer:
    def __init__(
        self, settings: IndexSettings, writer: BulkWriter, metrics: IndexMetrics, stop_event: threading.Event
    ) -> None:
        self._settings = settings
        self._writer = writer
        self._metrics = metrics
        self.stop_event = stop_event
        self.es_available = False
        self.running = False

    def run(self) -> None:
        s = self._settings
        consumer = KafkaConsumer(
            bootstrap_servers=s.kafka_bootstrap,
            group_id=s.group_id,
            client_id="wirestream-index",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=s.batch_max_docs,
        )
        # Learn the topic's partitions before joining the group: a member that joins
        # without them is assigned nothing and may not rejoin until metadata expires.
        while not all(consumer.partitions_for_topic(t) for t in (ENRICHED.name, CONTROL.name)):
            if self.stop_event.wait(0.5):
                consumer.close(autocommit=False)
                return
        consumer.subscribe([ENRICHED.name, CONTROL.name])
        producer = KafkaProducer(bootstrap_servers=s.kafka_bootstrap, acks="all", enable_idempotence=True)
        self.running = True
        try:
            while not self.stop_event.is_set():
                records = self._next_batch(consumer)
                if records and self._settle(records, consumer, producer):
                    try:
                        consumer.commit()
                    except (CommitFailedError, RebalanceInProgressError) as exc:
                        # The partitions moved to another member during the batch; it will
                        # write the same documents again, which the versions make harmless.
                        log.warning("commit failed after rebalance", extra={"error": str(exc)})
        finally:
            self.running = False
            consumer.close(autocommit=False)
            producer.close(timeout=5)

    def _next_batch(self, consumer: KafkaConsumer) -> list[Any]:
        """Poll until the batch is full by count or bytes, or its time is up."""
        s = self._settings
        batch: list[Any] = []
        size = 0
        deadline = time.monotonic() + s.batch_max_wait_ms / 1000
        while len(batch) < s.batch_max_docs and size < s.batch_max_bytes and not self.stop_event.is_set():
            timeout_ms = max(0, int((deadline - time.monotonic()) * 1000)) if batch else 500
            polled = consumer.poll(timeout_ms=timeout_ms, max_records=s.batch_max_docs - len(batch))
            fresh = [r for part in polled.values() for r in part]
            batch.extend(fresh)
            size += sum(len(r.value or b"") for r in fresh)
            if batch and (not fresh or time.monotonic() >= deadline):
                break
        return batch

    def _settle(self, records: list[Any], consumer: KafkaConsumer, producer: KafkaProducer) -> bool:
        """Write a batch; True once every record is settled, False if stopped before that."""
        requests: list[IndexRequest] = []
        dead = []
        for record in records:
            try:
                request = self.request_for(record)
                if request is not None:
                    requests.append(request)
            except Exception as exc:  # an unreadable message must not stop the partition
                dead.append(
                    dead_letter(
                        "index",
                        exc,
                        record.value or b"",
                        key=record.key,
                        topic=record.topic,
                        partition=record.partition,
                        offset=record.offset,
                    )
                )
        report = self._write_until_settled(requests, consumer)
        if report is None:
            return False
        for request, error_type, reason in report.rejected:
            r = request.source_ref
            dead.append(
                dead_letter(
                    "index",
                    reason,
                    r.value,
                    error_class=error_type,
                    key=r.key,
                    topic=r.topic,
                    partition=r.partition,
                    offset=r.offset,
                )
            )
        for letter in dead:
            self._metrics.dead_letters.labels(letter.error_class).inc()
            log.warning(
                "dead letter",
                extra={
                    "error": letter.error_class,
                    "reason": letter.message[:500],
                    "key": letter.original_key,
                    "topic": letter.topic,
                    "offset": letter.offset,
                },
            )
            producer.send(
                DLQ.name, key=(letter.original_key or "").encode(), value=letter.model_dump_json().encode()
            )
        if dead:
            producer.flush()  # the DLQ must hold them before the offsets move past them
        self._metrics.written.inc(report.written)
        self._metrics.superseded.inc(report.superseded)
        self._metrics.retried.inc(report.retried)
        return True

    @staticmethod
    def request_for(record: Any) -> IndexRequest | None:
        """The write a record asks for: an enriched article to index, or a withdrawal to apply."""
        if record.topic == CONTROL.name:
            notice = ControlNotice.model_validate_json(record.value)
            if notice.action != "withdraw":
                return None  # a correction arrives as a new revision on articles.enriched
            return IndexRequest(
                notice.article_id,
                withdrawal_version(notice.revision),
                withdrawal_fields(notice.reason, notice.issued_at),
                record,
                fallback=withdrawal_stub(notice.article_id, notice.revision, notice.reason, notice.issued_at),
            )
        enriched = EnrichedArticle.model_validate_json(record.value)
        return IndexRequest(enriched.article.id, document_version(enriched), to_document(enriched), record)

    def _write_until_settled(
        self, requests: list[IndexRequest], consumer: KafkaConsumer
    ) -> WriteReport | None:
        attempt = 0
        while True:
            try:
                report = self._writer.write(requests)
                self._set_es_available(True, consumer)
                return report
            except ElasticsearchUnavailable as exc:
                if self.stop_event.is_set():
                    return None
                self._set_es_available(False, consumer)
                delay = backoff_delay(attempt, self._settings.retry_initial_s, self._settings.retry_max_s)
                log.warning(
                    "elasticsearch unavailable", extra={"error": str(exc), "retry_in_s": round(delay, 2)}
                )
                attempt += 1
                end = time.monotonic() + delay
                while time.monotonic() < end and not self.stop_event.is_set():
                    consumer.poll(timeout_ms=200)  # paused: keeps membership, takes nothing

    def _set_es_available(self, available: bool, consumer: KafkaConsumer) -> None:
        if available == self.es_available:
            return
        self.es_available = available
        self._metrics.es_up.set(1 if available else 0)
        assignment = consumer.assignment()
        if available:
            consumer.resume(*assignment)
        else:
            consumer.pause(*assignment)
