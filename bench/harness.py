"""What every benchmark shares: the result types, progress output and the run itself.

A benchmark is a `Benchmark(name, title, run)`; `run` gets a `Context` (the
bench servers, smoke or full) and returns a `BenchmarkResult`. The harness
starts Kafka and Elasticsearch from a wiped state folder on ports of their own,
runs the selected benchmarks one after another, stops the servers whatever
happens, and writes the report.
"""

from __future__ import annotations

import math
import os
import socket
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from infra.lifecycle import down, up, wipe
from infra.settings import REPO_ROOT, InfraSettings

_STARTED = time.monotonic()


def progress(message: str) -> None:
    """One line of progress on stderr, stamped with the seconds since the run began."""
    print(f"[bench {time.monotonic() - _STARTED:7.1f}s] {message}", file=sys.stderr, flush=True)


class Ticker:
    """Prints `label: done/total (rate/s)` at most every `every_s` seconds as work completes."""

    def __init__(self, label: str, total: int, every_s: float = 5.0) -> None:
        self.label = label
        self.total = total
        self.every_s = every_s
        self.done = 0
        self._started = time.perf_counter()
        self._last = self._started

    def add(self, n: int = 1) -> None:
        self.done += n
        now = time.perf_counter()
        if now - self._last >= self.every_s:
            self._last = now
            rate = self.done / (now - self._started)
            progress(f"  {self.label}: {self.done}/{self.total} ({rate:,.0f}/s)")


@dataclass
class Measurement:
    """One timed workload: how much went through, in how long, at what cost."""

    name: str
    label: str
    articles: int
    seconds: float
    payload_bytes: int = 0
    latency_ms: dict[str, float] = field(default_factory=dict)
    # CPU seconds used during the measurement, per process (e.g. "kafka broker").
    cpu_seconds: dict[str, float] = field(default_factory=dict)
    # Articles/s of each round, when the workload ran in rounds interleaved with others.
    rounds_per_s: list[float] = field(default_factory=list)
    notes: str = ""

    @property
    def per_s(self) -> float:
        return self.articles / self.seconds if self.seconds > 0 else 0.0

    @property
    def mb_per_s(self) -> float:
        return self.payload_bytes / self.seconds / 1e6 if self.seconds > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "articles": self.articles,
            "seconds": round(self.seconds, 3),
            "articles_per_s": round(self.per_s, 1),
            "payload_bytes": self.payload_bytes,
            "payload_mb_per_s": round(self.mb_per_s, 2),
            "latency_ms": {k: round(v, 2) for k, v in self.latency_ms.items()},
            "cpu_seconds": {k: round(v, 2) for k, v in self.cpu_seconds.items()},
            "rounds_articles_per_s": [round(r, 1) for r in self.rounds_per_s],
            "notes": self.notes,
        }


@dataclass
class Workload:
    """Adds up the rounds of one workload into a Measurement.

    On a shared machine the background load drifts; running the workloads of a
    benchmark in interleaved rounds (A B C A B C ...) exposes each of them to
    the same drift, so their ratios stay meaningful.
    """

    name: str
    label: str
    notes: str = ""
    articles: int = 0
    seconds: float = 0.0
    payload_bytes: int = 0
    cpu_seconds: dict[str, float] = field(default_factory=dict)
    latencies_s: list[float] = field(default_factory=list)
    rounds_per_s: list[float] = field(default_factory=list)

    def add(
        self,
        *,
        articles: int,
        seconds: float,
        payload_bytes: int,
        cpu_seconds: dict[str, float],
        latencies_s: list[float] | None = None,
    ) -> float:
        """Record one round; return its articles/s."""
        self.articles += articles
        self.seconds += seconds
        self.payload_bytes += payload_bytes
        for name, used in cpu_seconds.items():
            self.cpu_seconds[name] = self.cpu_seconds.get(name, 0.0) + used
        self.latencies_s += latencies_s or []
        rate = articles / seconds if seconds > 0 else 0.0
        self.rounds_per_s.append(rate)
        return rate

    def measurement(self) -> Measurement:
        return Measurement(
            name=self.name,
            label=self.label,
            articles=self.articles,
            seconds=self.seconds,
            payload_bytes=self.payload_bytes,
            latency_ms=latency_summary(self.latencies_s) if self.latencies_s else {},
            cpu_seconds=self.cpu_seconds,
            rounds_per_s=self.rounds_per_s,
            notes=self.notes,
        )


@dataclass
class Check:
    """A figure compared with its target. A missed target is reported, never a failure."""

    name: str
    description: str
    value: float
    target: float
    unit: str = ""
    higher_is_better: bool = True

    @property
    def met(self) -> bool:
        return self.value >= self.target if self.higher_is_better else self.value <= self.target

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "value": round(self.value, 3),
            "target": self.target,
            "unit": self.unit,
            "higher_is_better": self.higher_is_better,
            "met": self.met,
        }


def per_round_ratios(ours: Workload, baseline: Workload) -> list[float]:
    """Ours over the baseline, round by round (the rounds alternated, so each pair shared a moment)."""
    return [
        round(o / b, 3) if b else 0.0 for o, b in zip(ours.rounds_per_s, baseline.rounds_per_s, strict=True)
    ]


def ratio_check(name: str, description: str, ours: Workload, baseline: Workload, target: float) -> Check:
    """Ours over the baseline across all rounds, against the target ratio."""
    base = baseline.measurement().per_s
    return Check(name, description, ours.measurement().per_s / base if base else 0.0, target)


@dataclass
class BenchmarkResult:
    """What a benchmark found. Any entry in `errors` makes its figures meaningless and the run fail."""

    name: str
    title: str
    params: dict[str, Any] = field(default_factory=dict)
    measurements: list[Measurement] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "ok": self.ok,
            "params": self.params,
            "measurements": [m.as_dict() for m in self.measurements],
            "checks": [c.as_dict() for c in self.checks],
            "errors": self.errors,
        }


@dataclass
class Context:
    """What a benchmark may use: the bench servers, the mode, a folder for its logs."""

    infra: InfraSettings
    smoke: bool
    scale: float = 1.0
    profile: bool = False  # py-spy the services where a benchmark runs them (bench.profiling)
    shared_cpus: bool = False  # end to end without the model's own core (bench.cpu_placement)

    @property
    def logs_dir(self) -> Path:
        path = self.infra.state_dir / "bench-logs"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def count(self, *, full: int, smoke: int) -> int:
        """The article count for a workload: `smoke` in a smoke run, else `full` times --scale."""
        return smoke if self.smoke else max(1, round(full * self.scale))


@dataclass(frozen=True)
class Benchmark:
    name: str
    title: str
    run: Callable[[Context], BenchmarkResult]


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise RuntimeError(f"{name} must be a port number, not {value!r}") from None


def bench_infra() -> InfraSettings:
    """Kafka and Elasticsearch for benchmarks only: their own ports and state folder.

    Two runs on one machine (two engineers, or a run beside CI) need different ports and
    state folders, or the second one's wipe stops the first one's servers: set
    WIRESTREAM_BENCH_KAFKA_PORT, WIRESTREAM_BENCH_ES_PORT and WIRESTREAM_BENCH_STATE_DIR.
    The controller and transport ports follow (Kafka's port + 1, Elasticsearch's + 100).
    """
    kafka_port = _env_int("WIRESTREAM_BENCH_KAFKA_PORT", 39092)
    es_port = _env_int("WIRESTREAM_BENCH_ES_PORT", 39200)
    state_dir = os.environ.get("WIRESTREAM_BENCH_STATE_DIR", "").strip()
    return InfraSettings(
        kafka_port=kafka_port,
        kafka_controller_port=kafka_port + 1,
        es_port=es_port,
        es_transport_port=es_port + 100,
        state_dir=Path(state_dir).resolve() if state_dir else REPO_ROOT / ".state" / "bench",
    )


def _ports_in_use(settings: InfraSettings) -> list[int]:
    busy = []
    for port in (
        settings.kafka_port,
        settings.kafka_controller_port,
        settings.es_port,
        settings.es_transport_port,
    ):
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex((settings.host, port)) == 0:
                busy.append(port)
    return busy


@dataclass
class Run:
    started_at: datetime
    finished_at: datetime
    smoke: bool
    infra: InfraSettings
    machine_before: dict[str, Any]
    machine_after: dict[str, Any]
    results: list[BenchmarkResult]
    server_start_s: float

    @property
    def ok(self) -> bool:
        return bool(self.results) and all(r.ok for r in self.results)


def run_benchmarks(
    benchmarks: list[Benchmark],
    *,
    smoke: bool,
    scale: float,
    profile: bool = False,
    shared_cpus: bool = False,
    machine: Callable[[], dict[str, Any]],
) -> Run:
    """Start the bench servers, run each benchmark, stop the servers (always)."""
    settings = bench_infra()
    started_at = datetime.now(UTC)
    machine_before = machine()
    progress(f"wiping {settings.state_dir} (stopping any servers left from an earlier run)")
    wipe(settings)
    busy = _ports_in_use(settings)
    if busy:
        raise RuntimeError(f"bench ports already in use by something else: {busy}")
    results: list[BenchmarkResult] = []
    server_start_s = 0.0
    try:
        progress(
            f"starting Kafka on {settings.kafka_bootstrap} and Elasticsearch on {settings.es_url} "
            "(first start can take a minute)"
        )
        began = time.monotonic()
        up(settings)
        server_start_s = time.monotonic() - began
        progress(f"servers healthy after {server_start_s:.1f}s")
        context = Context(infra=settings, smoke=smoke, scale=scale, profile=profile, shared_cpus=shared_cpus)
        for number, benchmark in enumerate(benchmarks, start=1):
            progress(f"== [{number}/{len(benchmarks)}] {benchmark.name}: {benchmark.title}")
            try:
                result = benchmark.run(context)
            except Exception as exc:
                traceback.print_exc(file=sys.stderr)
                result = BenchmarkResult(benchmark.name, benchmark.title, errors=[f"crashed: {exc!r}"])
            for error in result.errors:
                progress(f"  ERROR {error}")
            results.append(result)
    finally:
        progress("stopping Kafka and Elasticsearch")
        down(settings)
    return Run(
        started_at=started_at,
        finished_at=datetime.now(UTC),
        smoke=smoke,
        infra=settings,
        machine_before=machine_before,
        machine_after=machine(),
        results=results,
        server_start_s=server_start_s,
    )


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of values already sorted ascending."""
    if not sorted_values:
        return 0.0
    rank = max(1, min(len(sorted_values), math.ceil(q / 100 * len(sorted_values))))
    return sorted_values[rank - 1]


def latency_summary(latencies_s: list[float]) -> dict[str, float]:
    """p50, p95, p99 and max in milliseconds."""
    ordered = sorted(s * 1000 for s in latencies_s)
    return {
        "p50": percentile(ordered, 50),
        "p95": percentile(ordered, 95),
        "p99": percentile(ordered, 99),
        "max": ordered[-1] if ordered else 0.0,
    }


def proc_cpu_seconds(pid: int | None) -> float:
    """User + system CPU seconds a process has used so far (0 when it is gone or unknown)."""
    if pid is None:
        return 0.0
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    # The command name (field 2) may contain spaces; the fields after it are fixed.
    fields = stat.rsplit(")", 1)[1].split()
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / _CLOCK_TICKS


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_tree(pid: int | None) -> list[int]:
    """A process and its live descendants: Elasticsearch's pid file names a launcher whose
    child is the server JVM, and an enrich worker runs its NER model in a child process."""
    if pid is None:
        return []
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo += children.get(current, [])
    return tree


def tree_cpu_seconds(pid: int | None) -> float:
    """CPU seconds of a process and its live descendants (a server's own stats lag a second)."""
    return sum(proc_cpu_seconds(p) for p in process_tree(pid))


def rss_mb(pid: int | None) -> float:
    """Resident memory of one process, in MB (0 when it is gone)."""
    if pid is None:
        return 0.0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def tree_rss_mb(pid: int | None) -> float:
    """Resident memory of a process and its live descendants, in MB."""
    return sum(rss_mb(p) for p in process_tree(pid))


class TopicRecord(NamedTuple):
    key: bytes | None
    value: bytes | None
    timestamp_ms: int


def topic_records(
    bootstrap: str, topic: str, *, timeout_s: float, limit: int | None = None
) -> list[TopicRecord]:
    """A topic's records from its start to its end as of now (or `limit` of them).

    Partitions are assigned, not subscribed: no consumer group, nothing committed.
    """
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap, client_id="wirestream-bench", enable_auto_commit=False
    )
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        records: list[TopicRecord] = []
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and any(consumer.position(tp) < ends[tp] for tp in partitions):
            if limit is not None and len(records) >= limit:
                break
            for batch in consumer.poll(timeout_ms=500).values():
                records += [TopicRecord(r.key, r.value, r.timestamp) for r in batch]
        return records[:limit] if limit is not None else records
    finally:
        consumer.close()
