"""Kafka adapter: consume enriched articles, control notices and link updates in batches, write, commit.

Offsets are committed only after Elasticsearch has settled every item of the
batch (written, superseded, or dead-lettered with Kafka's acknowledgement).
While Elasticsearch is unreachable the partitions are paused, so the consumer
keeps polling (and keeps its group membership) without taking new records.

One batch is in flight at a time: while Elasticsearch works on a bulk request (in a
worker thread), this thread polls, parses, reads and serialises the next batch, so
neither waits on the other. The next batch is written only once the one in flight is
settled, so writes to a document stay in order, and each batch commits exactly its own
offsets.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from elasticsearch import ApiError
from kafka import ConsumerRebalanceListener, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import CommitFailedError, RebalanceInProgressError
from kafka.structs import OffsetAndMetadata
from prometheus_client import CollectorRegistry, Counter, Gauge

from schemas.dead_letter import DeadLetter
from services.common.dead_letters import dead_letter
from services.common.progress import Progress
from services.common.topics import CONTROL, DLQ, ENRICHED, LINKS, MAX_RECORD_BYTES
from services.index.bulk_writer import (
    BulkWriter,
    ElasticsearchUnavailable,
    StoredById,
    WriteReport,
    backoff_delay,
)
from services.index.requests import request_for
from services.index.settings import IndexSettings
from services.index.writes import WriteRequest

log = logging.getLogger(__name__)

TOPICS = (ENRICHED.name, CONTROL.name, LINKS.name)
# How often a poll looks up from an empty topic to see whether the batch in flight is settled.
# Not much shorter: a poll that times out while the group is being joined is what leaves
# kafka-python 3.0.12 half-joined (see _rejoin_if_stuck).
BUSY_POLL_MS = 100


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


@dataclass
class Batch:
    """Records polled together: the writes they ask for, those that are dead letters already,
    and the offsets to commit once the writes are settled."""

    requests: list[WriteRequest] = field(default_factory=list)
    dead: list[DeadLetter] = field(default_factory=list)
    offsets: dict[TopicPartition, OffsetAndMetadata] = field(default_factory=dict)

    @property
    def doc_ids(self) -> set[str]:
        return {request.doc_id for request in self.requests}


@dataclass
class InFlight:
    batch: Batch
    future: Future[WriteReport]


class IndexConsumer:
    def __init__(
        self,
        settings: IndexSettings,
        writer: BulkWriter,
        metrics: IndexMetrics,
        stop_event: threading.Event,
        progress: Progress | None = None,
    ) -> None:
        self._settings = settings
        self._writer = writer
        self._metrics = metrics
        self.progress = progress or Progress(settings.stall_after_s)
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
            # Enriched records are ~16 KB: with 1 MiB a batch of 500 takes three fetches per
            # partition, each a round trip the consumer's IO thread makes between the others'
            # turns at the GIL; the index benchmark polled half as fast.
            max_partition_fetch_bytes=s.fetch_max_partition_bytes,
        )
        # Learn the topics' partitions before joining the group: a member that joins
        # without them is assigned nothing and may not rejoin until metadata expires.
        while not all(consumer.partitions_for_topic(t) for t in TOPICS):
            if self.stop_event.wait(0.5):
                consumer.close(autocommit=False)
                return
        consumer.subscribe(list(TOPICS), listener=_KeepAssigned(consumer, self.progress))
        producer = KafkaProducer(
            bootstrap_servers=s.kafka_bootstrap,
            acks="all",
            enable_idempotence=True,
            max_request_size=MAX_RECORD_BYTES,
        )
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="index-bulk")
        self.running = True
        try:
            self._pipeline(consumer, producer, pool)
        finally:
            self.running = False
            pool.shutdown(wait=True)
            consumer.close(autocommit=False)
            producer.close(timeout=5)

    def _pipeline(self, consumer: KafkaConsumer, producer: KafkaProducer, pool: ThreadPoolExecutor) -> None:
        """Poll, parse, read and plan the next batch while the previous one is being written.

        Once the batch in flight is settled, the next one is sent before the settled one's
        offsets are committed, so that Elasticsearch does not wait on the commit either.
        """
        in_flight: InFlight | None = None
        while not self.stop_event.is_set():
            records = self._next_batch(consumer, in_flight.future if in_flight else None)
            batch = self.parse(records) if records else None
            prepared = None
            if batch is not None:
                known = self._read_ahead(batch, in_flight.batch) if in_flight is not None else None
                prepared = self._writer.prepare(batch.requests, known)
            settled: tuple[Batch, WriteReport] | None = None
            if in_flight is not None:
                report = self._await_settled(in_flight, consumer)
                if report is None:
                    return  # stopped: nothing more is committed
                settled, in_flight = (in_flight.batch, report), None
            if batch is not None and prepared is not None and not self.stop_event.is_set():
                in_flight = InFlight(batch, pool.submit(self._writer.send, prepared))
            if settled is not None:
                self._finish(*settled, consumer, producer)
        if in_flight is not None:  # stopping: commit the batch in flight if Elasticsearch takes it
            report = self._await_settled(in_flight, consumer)
            if report is not None:
                self._finish(in_flight.batch, report, consumer, producer)

    def _read_ahead(self, batch: Batch, writing: Batch) -> StoredById | None:
        """Read the next batch's documents while the previous batch is written, if that is safe.

        Only when the two batches touch no document in common: then the batch in flight
        cannot change what is read, and the read leaves the path from one bulk request to
        the next. Otherwise, or if the read fails, the writer reads after the batch settles.
        """
        ids = batch.doc_ids
        if not ids or ids & writing.doc_ids:
            return None
        try:
            return self._writer.read(ids)
        except (ElasticsearchUnavailable, ApiError):
            return None

    def _next_batch(self, consumer: KafkaConsumer, busy: Future[WriteReport] | None) -> list[Any]:
        """Poll until the batch is full by count or bytes, or its time is up.

        While a batch is in flight there is no hurry: the batch keeps filling until the one in
        flight is settled (and its own time is up), and comes back empty if nothing arrived.
        """
        s = self._settings
        batch: list[Any] = []
        size = 0
        deadline = 0.0
        while len(batch) < s.batch_max_docs and size < s.batch_max_bytes and not self.stop_event.is_set():
            idle = busy is None or busy.done()
            if not batch and busy is not None and idle:
                break
            now = time.monotonic()
            if batch and idle and now >= deadline:
                break
            if not idle:
                timeout_ms = BUSY_POLL_MS
            elif batch:
                timeout_ms = max(1, int((deadline - now) * 1000))
            else:
                timeout_ms = 500
            polled = consumer.poll(timeout_ms=timeout_ms, max_records=s.batch_max_docs - len(batch))
            fresh = [r for part in polled.values() for r in part]
            if fresh and not batch:
                deadline = time.monotonic() + s.batch_max_wait_ms / 1000
            batch.extend(fresh)
            size += sum(len(r.value or b"") for r in fresh)
        return batch

    def parse(self, records: list[Any]) -> Batch:
        """The writes the records ask for; a record that cannot be read is a dead letter already."""
        batch = Batch()
        last: dict[tuple[str, int], Any] = {}  # each partition's offset to commit: after its last record
        for record in records:
            last[(record.topic, record.partition)] = record
            try:
                request = request_for(record.topic, record.value, record)
            except Exception as exc:  # an unreadable message must not stop the partition
                batch.dead.append(_dead_letter(record, exc, step="parse"))
                continue
            if request is not None:
                batch.requests.append(request)
        batch.offsets = {
            TopicPartition(topic, partition): OffsetAndMetadata(record.offset + 1, "", record.leader_epoch)
            for (topic, partition), record in last.items()
        }
        now = time.monotonic()
        for partition, record in last.items():
            self.progress.taken(partition, record.offset, now)
        return batch

    def _finish(
        self, batch: Batch, report: WriteReport, consumer: KafkaConsumer, producer: KafkaProducer
    ) -> None:
        """Close a settled batch: its dead letters on the DLQ, its metrics, then its offsets."""
        dead = batch.dead + [
            _dead_letter(request.source_ref, reason, step="write", error_class=error_type)
            for request, error_type, reason in report.rejected
        ]
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
        self._commit(consumer, batch.offsets)

    def _commit(self, consumer: KafkaConsumer, offsets: dict[TopicPartition, OffsetAndMetadata]) -> None:
        """Commit a settled batch's own offsets (the consumer's position is a batch further on).

        Only for partitions still assigned: a partition that moved to another member during
        the batch is that member's to commit; it writes the same documents again, which the
        versions and the issued_at guards make harmless.
        """
        assigned = consumer.assignment()
        mine = {tp: offset for tp, offset in offsets.items() if tp in assigned}
        if not mine:
            return
        try:
            consumer.commit(mine)
        except (CommitFailedError, RebalanceInProgressError) as exc:
            log.warning("commit failed after rebalance", extra={"error": str(exc)})
            _rejoin_if_stuck(consumer)
            return
        now = time.monotonic()
        for tp, offset in mine.items():
            self.progress.committed(tp, offset.offset, now)

    def _await_settled(self, in_flight: InFlight, consumer: KafkaConsumer) -> WriteReport | None:
        """The batch's report once every item is settled; None if stopped before that.

        While Elasticsearch cannot be reached the partitions are paused and the whole batch
        is tried again with backoff (every write in it is safe to repeat).
        """
        attempt = 0
        future: Future[WriteReport] | None = in_flight.future
        while True:
            try:
                report = (
                    future.result() if future is not None else self._writer.write(in_flight.batch.requests)
                )
                self._set_es_available(True, consumer)
                return report
            except ElasticsearchUnavailable as exc:
                future = None
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


class _KeepAssigned(ConsumerRebalanceListener):
    """Forget the progress of partitions that moved to another member.

    On the new assignment, not on the revocation: a rebalance revokes every partition and
    hands most back, and a closing consumer revokes all of its own; a partition kept, or
    taken again by the restarted consumer, keeps what it had not committed.
    """

    def __init__(self, consumer: KafkaConsumer, progress: Progress) -> None:
        self._consumer = consumer
        self._progress = progress

    def on_partitions_revoked(self, revoked: Any) -> None:
        pass

    def on_partitions_assigned(self, assigned: Any) -> None:
        # The whole assignment (`assigned` is only what was added, with cooperative rebalancing).
        self._progress.retain(self._consumer.assignment())


def _rejoin_if_stuck(consumer: KafkaConsumer) -> None:
    """Work around kafka-python 3.0.12 leaving a group leader half-joined.

    When the leader rejoins on its own account (the topics' metadata changed, as happens
    right after start-up) and a poll times out during the join, the leader's assignment
    clears the reason to rejoin before a poll finishes the join: the member stays
    rebalancing for good and every commit fails (seen in the index benchmark). Asking for a
    rejoin makes the next polls complete one; the batches meanwhile are written again
    after a restart at worst, never lost.
    """
    coordinator = getattr(consumer, "_coordinator", None)
    if coordinator is None or not hasattr(coordinator, "request_rejoin"):
        return
    if coordinator.generation_if_stable() is None and not coordinator.need_rejoin():
        log.warning("consumer group half-joined; asking to rejoin")
        coordinator.request_rejoin()


def _dead_letter(
    record: Any, error: BaseException | str, *, step: str, error_class: str | None = None
) -> DeadLetter:
    return dead_letter(
        "index",
        error,
        record.value or b"",
        step=step,
        error_class=error_class,
        key=record.key,
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
    )
