"""Where the end-to-end benchmark's processes run: the NER model on a core of its own.

End to end is compared with its slowest stage's ceiling, the NER model alone, which is
timed on one core of a quiet machine. On a 2-core machine the end-to-end run also holds
Elasticsearch, Kafka, the three services and the load generator; left to the scheduler,
their bursts land on the model's core and the model, the bottleneck, reads ~20% slower
than alone (the shared-core full run: 0.70 of the ceiling). No deployment would put them
there, so by default the run gives the model process the last CPU (enrich's
`WIRESTREAM_ENRICH_MODEL_CPUS`) and pins everything else, servers and load generator
included, to the others: both sides of the ratio then give the model one core. `python
-m bench --shared-cpus` runs it without placement, for comparison.

Linux affinity is per thread and a new thread inherits its creator's, so a running
process is pinned thread by thread, and a service is started already pinned.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.harness import process_tree


@dataclass(frozen=True)
class Placement:
    model: frozenset[int]  # the model process's CPU
    rest: frozenset[int]  # everyone else's
    every: frozenset[int]  # what a pinned process gets back afterwards

    @classmethod
    def plan(cls) -> Placement | None:
        """The last CPU for the model, the others for the rest; None on a single CPU."""
        every = frozenset(os.sched_getaffinity(0))
        if len(every) < 2:
            return None
        model = frozenset({max(every)})
        return cls(model=model, rest=every - model, every=every)

    def describe(self) -> str:
        others = "servers, services and load generator"
        return f"model process on CPU {_cpus(self.model)}; {others} on CPU {_cpus(self.rest)}"


def _cpus(cpus: Iterable[int]) -> str:
    return ",".join(str(c) for c in sorted(cpus))


def pin_process(pid: int, cpus: frozenset[int]) -> None:
    """Every thread of the process (one that has just ended is skipped)."""
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return
    for task in tasks:
        try:
            os.sched_setaffinity(int(task.name), cpus)
        except (ProcessLookupError, FileNotFoundError):
            continue


def pin_tree(pid: int | None, cpus: frozenset[int]) -> None:
    """A process and its live descendants, each thread of each."""
    for member in process_tree(pid):
        pin_process(member, cpus)


@contextmanager
def placed(placement: Placement | None, servers: Iterable[int | None]) -> Iterator[None]:
    """The servers' trees and this process on `rest` meanwhile, on every CPU again afterwards."""
    if placement is None:
        yield
        return
    pids = [*servers, os.getpid()]
    for pid in pids:
        pin_tree(pid, placement.rest)
    try:
        yield
    finally:
        for pid in pids:
            pin_tree(pid, placement.every)
