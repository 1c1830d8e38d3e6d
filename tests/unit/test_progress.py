"""Progress: when a consumer with work in hand counts as stalled, and the indexer's use of it."""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any, NamedTuple, cast

from kafka import TopicPartition
from kafka.structs import OffsetAndMetadata
from prometheus_client import CollectorRegistry

from services.common.progress import Progress
from services.common.topics import ENRICHED
from services.index.bulk_writer import BulkWriter
from services.index.consumer import IndexConsumer, IndexMetrics, _KeepAssigned
from services.index.settings import IndexSettings
from tests.support import enriched_article

A = ("articles.enriched", 0)
B = ("articles.enriched", 1)


def test_an_idle_partition_that_takes_a_record_is_not_stalled_at_once() -> None:
    progress = Progress(stall_after_s=10)
    progress.taken(A, 5, now=0)
    progress.committed(A, 6, now=1)
    progress.taken(A, 6, now=500)  # idle for long before this
    assert not progress.stalled(now=500)
    assert not progress.stalled(now=510)  # not longer than the limit yet
    assert progress.stalled(now=510.1)


def test_nothing_taken_or_everything_committed_is_never_stalled() -> None:
    progress = Progress(stall_after_s=10)
    assert not progress.stalled(now=1000)
    progress.taken(A, 0, now=0)
    progress.taken(A, 9, now=0)
    progress.committed(A, 10, now=3)
    assert not progress.stalled(now=1000)


def test_a_partial_commit_is_progress_and_restarts_the_clock() -> None:
    progress = Progress(stall_after_s=10)
    progress.taken(A, 0, now=0)
    progress.taken(A, 9, now=0)
    progress.committed(A, 5, now=8)
    assert not progress.stalled(now=17)
    assert progress.stalled(now=18.1)
    progress.committed(A, 10, now=30)
    assert not progress.stalled(now=100)


def test_records_taken_again_after_a_restart_are_neither_new_work_nor_progress() -> None:
    progress = Progress(stall_after_s=10)
    progress.taken(A, 4, now=0)
    progress.committed(A, 5, now=0)
    progress.taken(A, 9, now=1)  # work in hand since 1; the consumer restarts without committing
    for offset in range(5, 10):
        progress.taken(A, offset, now=8)  # the restarted consumer takes the same records again
    assert progress.stalled(now=11.5)  # the clock did not start again at 8
    progress.committed(A, 5, now=12)  # an old commit repeated is no progress either
    assert progress.stalled(now=12)


def test_records_taken_again_after_their_commit_are_no_work_in_hand() -> None:
    progress = Progress(stall_after_s=10)
    progress.taken(A, 9, now=0)
    progress.committed(A, 10, now=1)
    progress.taken(A, 3, now=2)  # re-delivered from an older position
    progress.taken(A, 9, now=2)
    assert not progress.stalled(now=100)


def test_one_stalled_partition_is_enough_whatever_the_others_do() -> None:
    progress = Progress(stall_after_s=10)
    progress.taken(A, 0, now=0)
    for second in range(1, 20):
        progress.taken(B, second, now=second)
        progress.committed(B, second + 1, now=second)
    assert progress.stalled(now=19)


def test_a_revoked_partition_is_forgotten_and_its_late_commit_does_not_bring_it_back() -> None:
    progress = Progress(stall_after_s=10)
    progress.taken(A, 3, now=0)
    progress.forget([A])
    assert not progress.stalled(now=100)
    progress.committed(A, 4, now=100)
    progress.taken(A, 7, now=100)  # assigned again later: known afresh from here
    assert not progress.stalled(now=105)
    assert progress.stalled(now=110.5)


def test_retain_keeps_the_clock_of_partitions_assigned_again_and_drops_the_others() -> None:
    progress = Progress(stall_after_s=10)
    progress.taken(A, 3, now=0)
    progress.taken(B, 3, now=0)
    progress.retain([B])  # a rebalance: A moved away, B came back
    progress.taken(B, 3, now=9)
    assert progress.stalled(now=10.5)
    progress.retain([A])
    assert not progress.stalled(now=100)


class _FaustTP(NamedTuple):
    topic: str
    partition: int


def test_partitions_are_the_clients_own_topic_partition_tuples() -> None:
    progress = Progress(stall_after_s=10)
    progress.taken(TopicPartition(*A), 3, now=0)
    progress.taken(_FaustTP(*A), 3, now=5)
    progress.committed(A, 4, now=6)
    assert not progress.stalled(now=100)


def _record(partition: int, offset: int) -> Any:
    value = enriched_article().model_dump_json().encode()
    return SimpleNamespace(
        topic=ENRICHED.name, partition=partition, offset=offset, leader_epoch=1, key=b"k", value=value
    )


class _Consumer:
    """What IndexConsumer asks of a KafkaConsumer to commit."""

    def __init__(self, assigned: set[TopicPartition]) -> None:
        self.assigned = assigned
        self.commits: list[dict[TopicPartition, OffsetAndMetadata]] = []

    def assignment(self) -> set[TopicPartition]:
        return self.assigned

    def commit(self, offsets: dict[TopicPartition, OffsetAndMetadata]) -> None:
        self.commits.append(offsets)


def _indexer(progress: Progress) -> IndexConsumer:
    metrics = IndexMetrics(CollectorRegistry())
    return IndexConsumer(IndexSettings(), cast(BulkWriter, None), metrics, threading.Event(), progress)


def test_the_indexer_has_work_in_hand_from_parse_until_the_batch_commits() -> None:
    progress = Progress(stall_after_s=0.000001)
    indexer = _indexer(progress)
    batch = indexer.parse([_record(0, 10), _record(0, 11), _record(2, 4)])
    assert progress.stalled(now=1e12)
    kafka = _Consumer({TopicPartition(ENRICHED.name, 0), TopicPartition(ENRICHED.name, 2)})
    indexer._commit(cast(Any, kafka), batch.offsets)
    assert kafka.commits == [batch.offsets]
    assert not progress.stalled(now=1e12)


def test_the_indexer_forgets_partitions_that_moved_to_another_member() -> None:
    progress = Progress(stall_after_s=0.000001)
    indexer = _indexer(progress)
    indexer.parse([_record(0, 10), _record(1, 4)])
    kafka = _Consumer({TopicPartition(ENRICHED.name, 1)})
    listener = _KeepAssigned(cast(Any, kafka), progress)
    listener.on_partitions_revoked(set(kafka.assigned) | {TopicPartition(ENRICHED.name, 0)})
    assert progress.stalled(now=1e12)  # a revocation alone forgets nothing: most comes back
    listener.on_partitions_assigned(set())  # cooperative: nothing added, partition 0 gone
    indexer._commit(cast(Any, kafka), {TopicPartition(ENRICHED.name, 1): OffsetAndMetadata(5, "", 1)})
    assert not progress.stalled(now=1e12)
