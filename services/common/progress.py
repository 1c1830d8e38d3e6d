"""Whether a consumer still gets through what it takes from Kafka, for its readiness.

A consumer can be connected, assigned and polling and still get nowhere: a write that
hangs on a server holding the connection open, a step that never returns. Neither the
broker nor the consumer's own flags show that; its offsets do. Records taken and not
committed are work in hand; work in hand with no commit for a while is a stall.

Kept apart from any Kafka client so that the indexer (kafka-python, a thread) and enrich
(Faust, the event loop) answer the question the same way, and so that it is tested
without a broker. Partitions are `(topic, partition)` pairs: kafka-python's and Faust's
TopicPartition/TP are named tuples of that shape.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

Partition = tuple[str, int]


@dataclass
class _Offsets:
    taken: int  # one past the highest offset taken
    committed: int  # the next offset to read, as Kafka commits it
    waiting_since: float  # when the work in hand last moved forward (or began)

    @property
    def in_hand(self) -> bool:
        return self.taken > self.committed


class Progress:
    """Per partition, the highest offset taken and the last committed, and since when the
    partition has had work in hand without a commit.

    Offsets only move forward, so taking the same records again (a restarted consumer
    starts from its last commit) neither adds work nor counts as progress. The clock of a
    partition starts when it gets work in hand, not at its last commit: a partition idle
    for an hour that takes a record is not stalled the moment it does.

    Thread-safe: the indexer records from its consumer thread while /readyz asks from the
    event loop.
    """

    def __init__(self, stall_after_s: float) -> None:
        self.stall_after_s = stall_after_s
        self._partitions: dict[Partition, _Offsets] = {}
        self._lock = threading.Lock()

    def taken(self, partition: Partition, offset: int, now: float | None = None) -> None:
        """A record at `offset` was taken from Kafka to be worked on."""
        moment = time.monotonic() if now is None else now
        key = (partition[0], partition[1])
        with self._lock:
            state = self._partitions.get(key)
            if state is None:
                # First sight of the partition: everything before this record was done by
                # whoever had it before (its committed offset is where we were handed it).
                self._partitions[key] = _Offsets(offset + 1, offset, moment)
                return
            if offset + 1 <= state.taken:
                return  # taken again after a restart or a rebalance: nothing new
            if not state.in_hand:
                state.waiting_since = moment
            state.taken = offset + 1

    def committed(self, partition: Partition, next_offset: int, now: float | None = None) -> None:
        """Everything before `next_offset` is done (Kafka's committed offset convention).

        A partition not known (forgotten on a rebalance) is not brought back: its commit
        came from work that was already on its way when the partition moved.
        """
        moment = time.monotonic() if now is None else now
        with self._lock:
            state = self._partitions.get((partition[0], partition[1]))
            if state is None or next_offset <= state.committed:
                return
            state.committed = next_offset
            state.taken = max(state.taken, next_offset)
            state.waiting_since = moment

    def forget(self, partitions: Iterable[Partition]) -> None:
        """Partitions revoked: their work in hand is now another member's."""
        with self._lock:
            for partition in partitions:
                self._partitions.pop((partition[0], partition[1]), None)

    def retain(self, partitions: Iterable[Partition]) -> None:
        """Forget every partition but these (the consumer's whole new assignment).

        For consumers whose rebalances revoke everything and hand most of it back: a
        partition kept keeps its clock, so a stalled consumer does not look fresh after
        each rebalance.
        """
        keep = {(partition[0], partition[1]) for partition in partitions}
        with self._lock:
            for key in [key for key in self._partitions if key not in keep]:
                del self._partitions[key]

    def stalled(self, now: float) -> bool:
        """Some partition has had records taken and not committed, and no commit, for
        longer than `stall_after_s`."""
        with self._lock:
            return any(
                state.in_hand and now - state.waiting_since > self.stall_after_s
                for state in self._partitions.values()
            )
