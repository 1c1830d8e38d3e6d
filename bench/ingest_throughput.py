"""Ingest throughput: how close the HTTP API comes to what Kafka itself can take from Python.

Three workloads, one after another against the same broker:

1. ceiling: a bare kafka-python producer, configured like the ingest publisher,
   sends the very RawArticle JSON the API would publish to `bench.raw-ceiling`;
2. bulk: the real ingest service (a child process) takes NDJSON batches on
   `/v1/articles:bulk` from a few concurrent clients;
3. single: the same service takes one article per request on `/v1/articles`
   from 32 concurrent clients, with the latency of each request recorded.

The ceiling and the bulk workload publish the same articles; the single
workload gets articles of its own, so every id on `articles.raw` is unique.
Afterwards the topics' end offsets are compared with what was acknowledged.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from bench.articles import submission_bytes
from bench.harness import (
    Benchmark,
    BenchmarkResult,
    Check,
    Context,
    Measurement,
    Ticker,
    percentile,
    proc_cpu_seconds,
    progress,
)
from bench.service import ServiceProcess, free_port
from infra.servers import kafka
from schemas.article import ArticleSubmission, RawArticle
from services.common.topics import RAW
from services.ingest import publisher as ingest_publisher
from services.ingest.auth import ANONYMOUS
from services.ingest.intake import to_raw_article

CEILING_TOPIC = "bench.raw-ceiling"
PARTITIONS = 3
BULK_LINES = 500
BULK_CLIENTS = 4
SINGLE_CLIENTS = 32
BULK_RATIO_TARGET = 0.70
SINGLE_TARGET_PER_S = 1000.0
# Sized for about a minute per workload on 2 cores; --scale multiplies them.
FULL_ARTICLES = 60_000
FULL_SINGLE_ARTICLES = 30_000
SMOKE_ARTICLES = 200
# Articles sent before each timed workload (connections, metadata, first-call costs).
RAW_WARMUP = 100
BULK_WARMUP_LINES = 25
ERRORS_KEPT = 10


def publisher_linger_ms() -> int:
    """The linger_ms the ingest publisher uses, read from its source so the two cannot drift."""
    match = re.search(r"linger_ms=(\d+)", inspect.getsource(ingest_publisher.KafkaPublisher))
    if match is None:
        raise RuntimeError("linger_ms not found in services/ingest/publisher.py; update bench/")
    return int(match.group(1))


@dataclass(frozen=True)
class KafkaRecord:
    """What the API hands to Kafka for one article (mirrors `_record` in services/ingest/api.py)."""

    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


def raw_record(data: bytes) -> KafkaRecord:
    """The record the bulk endpoint would publish for this NDJSON line (same steps as the API)."""
    submission = ArticleSubmission.model_validate(json.loads(data))
    article: RawArticle = to_raw_article(
        submission,
        received_at=datetime.now(UTC),
        key_id=ANONYMOUS,
        content_type="application/x-ndjson",
        original=data,
    )
    return KafkaRecord(
        key=article.id.encode(),
        value=article.model_dump_json().encode(),
        headers=[
            ("schema_version", str(article.schema_version).encode()),
            ("content_type", article.ingest.content_type.encode()),
            ("revision", str(article.revision).encode()),
        ],
    )


class Errors:
    """Counts every failure, keeps the first few messages."""

    def __init__(self, workload: str) -> None:
        self.workload = workload
        self.count = 0
        self.first: list[str] = []

    def add(self, message: str, n: int = 1) -> None:
        self.count += n
        if len(self.first) < ERRORS_KEPT:
            self.first.append(message)

    def report(self) -> list[str]:
        if not self.count:
            return []
        return [f"{self.workload}: {self.count} failed; first: {'; '.join(self.first)}"]


class CpuMeter:
    """CPU seconds used by the broker, the service (if any) and this process between start and stop."""

    def __init__(self, processes: dict[str, Callable[[], float]]) -> None:
        self.processes = {"bench client": time.process_time, **processes}
        self._start: dict[str, float] = {}
        self.used: dict[str, float] = {}

    def start(self) -> None:
        self._start = {name: read() for name, read in self.processes.items()}

    def stop(self) -> dict[str, float]:
        self.used = {name: read() - self._start[name] for name, read in self.processes.items()}
        return self.used


def create_ceiling_topic(bootstrap: str) -> None:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="wirestream-bench")
    try:
        topic = NewTopic(
            CEILING_TOPIC, num_partitions=PARTITIONS, replication_factor=1, topic_configs=RAW.config
        )
        with contextlib.suppress(TopicAlreadyExistsError):
            admin.create_topics([topic])
    finally:
        admin.close()


def end_offsets_total(bootstrap: str, topic: str) -> int:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, client_id="wirestream-bench-verify")
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        offsets = consumer.end_offsets([TopicPartition(topic, p) for p in partitions])
        return sum(offsets.values())
    finally:
        consumer.close()


def raw_ceiling(
    bootstrap: str, records: list[KafkaRecord], warmup: list[KafkaRecord], linger_ms: int, cpu: CpuMeter
) -> tuple[Measurement, Errors]:
    """A bare producer, configured as the ingest publisher is, sending pre-serialised records."""
    errors = Errors("raw producer")
    create_ceiling_topic(bootstrap)
    producer = KafkaProducer(
        bootstrap_servers=bootstrap,
        client_id="wirestream-bench-ceiling",
        acks="all",
        enable_idempotence=True,
        linger_ms=linger_ms,
        compression_type=None,
        max_request_size=8 * 1024 * 1024,
    )
    try:
        for record in warmup:
            producer.send(CEILING_TOPIC, key=record.key, value=record.value, headers=record.headers)
        producer.flush()
        ticker = Ticker("raw producer sent", len(records))
        futures = []
        cpu.start()
        started = time.perf_counter()
        for record in records:
            try:
                futures.append(
                    producer.send(CEILING_TOPIC, key=record.key, value=record.value, headers=record.headers)
                )
            except KafkaError as exc:
                errors.add(f"send: {exc!r}")
            ticker.add()
        producer.flush()
        seconds = time.perf_counter() - started
        cpu.stop()
    finally:
        producer.close(timeout=10)
    acknowledged = 0
    for future in futures:
        if future.is_done and future.succeeded():
            acknowledged += 1
        else:
            errors.add(f"not acknowledged: {future.exception!r}")
    measurement = Measurement(
        name="raw_producer",
        label="kafka-python producer (ceiling)",
        articles=acknowledged,
        seconds=seconds,
        payload_bytes=sum(len(r.value) for r in records),
        cpu_seconds=cpu.used,
        notes=f"pre-serialised RawArticle JSON to {CEILING_TOPIC}; bytes are Kafka record values",
    )
    return measurement, errors


# What a response meant: (articles accepted, problem or None).
Judge = Callable[[httpx.Response, int], tuple[int, str | None]]


def judge_bulk(response: httpx.Response, lines: int) -> tuple[int, str | None]:
    if response.status_code != 202:
        return 0, f"HTTP {response.status_code}: {response.text[:300]}"
    body = response.json()
    accepted, rejected = int(body.get("accepted", 0)), int(body.get("rejected", 0))
    if rejected or accepted != lines:
        first = next((item for item in body.get("items", []) if item.get("status") != "accepted"), None)
        return accepted, f"{accepted}/{lines} accepted, {rejected} rejected; first: {json.dumps(first)[:300]}"
    return accepted, None


def judge_single(response: httpx.Response, _: int) -> tuple[int, str | None]:
    if response.status_code != 202:
        return 0, f"HTTP {response.status_code}: {response.text[:300]}"
    return 1, None


@dataclass
class HttpOutcome:
    seconds: float = 0.0
    accepted: int = 0
    latencies_s: list[float] = field(default_factory=list)


async def post_all(
    base_url: str,
    path: str,
    content_type: str,
    bodies: list[tuple[bytes, int]],
    warmups: list[tuple[bytes, int]],
    clients: int,
    judge: Judge,
    errors: Errors,
    cpu: CpuMeter,
    label: str,
) -> HttpOutcome:
    """POST every (body, articles in it) from `clients` concurrent clients, one connection each.

    Each client first sends one of `warmups` (untimed), so connections are open
    and first-call costs are paid before the clock starts.
    """
    headers = {"content-type": content_type}
    outcome = HttpOutcome()
    total = sum(n for _, n in bodies)
    ticker = Ticker(label, total)
    pool = [
        httpx.AsyncClient(base_url=base_url, timeout=60.0, limits=httpx.Limits(max_connections=1))
        for _ in range(clients)
    ]

    async def send(client: httpx.AsyncClient, body: bytes, n: int, timed: bool) -> None:
        began = time.perf_counter()
        try:
            response = await client.post(path, content=body, headers=headers)
        except httpx.HTTPError as exc:
            errors.add(f"{type(exc).__name__}: {exc}", n)
            return
        accepted, problem = judge(response, n)
        if problem:
            errors.add(problem, n - accepted)
        if timed:
            outcome.latencies_s.append(time.perf_counter() - began)
            outcome.accepted += accepted
            ticker.add(n)

    queue: Iterator[tuple[bytes, int]] = iter(bodies)

    async def worker(client: httpx.AsyncClient) -> None:
        for body, n in queue:  # one shared iterator: each body goes to exactly one client
            await send(client, body, n, timed=True)

    try:
        await asyncio.gather(*(send(c, *warmups[i % len(warmups)], timed=False) for i, c in enumerate(pool)))
        cpu.start()
        started = time.perf_counter()
        await asyncio.gather(*(worker(c) for c in pool))
        outcome.seconds = time.perf_counter() - started
        cpu.stop()
    finally:
        await asyncio.gather(*(c.aclose() for c in pool))
    return outcome


def latency_summary(latencies_s: list[float]) -> dict[str, float]:
    ordered = sorted(s * 1000 for s in latencies_s)
    return {
        "p50": percentile(ordered, 50),
        "p95": percentile(ordered, 95),
        "p99": percentile(ordered, 99),
        "max": ordered[-1] if ordered else 0.0,
    }


def run(ctx: Context) -> BenchmarkResult:
    bootstrap = ctx.infra.kafka_bootstrap
    n = ctx.count(full=FULL_ARTICLES, smoke=SMOKE_ARTICLES)
    n_single = ctx.count(full=FULL_SINGLE_ARTICLES, smoke=SMOKE_ARTICLES)
    linger_ms = publisher_linger_ms()
    broker_pid = kafka(ctx.infra).pid()
    result = BenchmarkResult(
        "ingest",
        "Ingest throughput",
        params={
            "articles": n,
            "single_articles": n_single,
            "bulk_lines_per_request": BULK_LINES,
            "bulk_clients": BULK_CLIENTS,
            "single_clients": SINGLE_CLIENTS,
            "linger_ms": linger_ms,
            "partitions": PARTITIONS,
        },
    )

    progress(f"generating {n + n_single} articles and the records the API would publish")
    first_warm = n + n_single
    warm_count = RAW_WARMUP + BULK_CLIENTS * BULK_WARMUP_LINES + SINGLE_CLIENTS
    shared = [submission_bytes(i) for i in range(n)]
    single = [submission_bytes(i) for i in range(n, n + n_single)]
    warm = [submission_bytes(i) for i in range(first_warm, first_warm + warm_count)]
    records = [raw_record(line) for line in shared]
    raw_warm, warm = warm[:RAW_WARMUP], warm[RAW_WARMUP:]
    bulk_warm, single_warm = (
        warm[: BULK_CLIENTS * BULK_WARMUP_LINES],
        warm[BULK_CLIENTS * BULK_WARMUP_LINES :],
    )
    sizes = [len(s) for s in shared + single]
    result.params["mean_submission_bytes"] = round(sum(sizes) / len(sizes))
    result.params["mean_record_bytes"] = round(sum(len(r.value) for r in records) / len(records))

    broker_cpu = {"kafka broker": lambda: proc_cpu_seconds(broker_pid)}

    # 1. The ceiling.
    progress(f"raw producer: {n} records to {CEILING_TOPIC} (acks=all, idempotent, linger_ms={linger_ms})")
    ceiling, ceiling_errors = raw_ceiling(
        bootstrap, records, [raw_record(s) for s in raw_warm], linger_ms, CpuMeter(broker_cpu)
    )
    del records
    result.measurements.append(ceiling)
    result.errors += ceiling_errors.report()
    progress(f"raw producer: {ceiling.per_s:,.0f} articles/s")

    # 2 and 3. The real service.
    port = free_port()
    service = ServiceProcess(
        "services.ingest",
        {
            "WIRESTREAM_KAFKA_BOOTSTRAP": bootstrap,
            "WIRESTREAM_TOPIC_PARTITIONS": str(PARTITIONS),
            "WIRESTREAM_TOPIC_REPLICATION": "1",
            "WIRESTREAM_INGEST_HOST": "127.0.0.1",
            "WIRESTREAM_INGEST_PORT": str(port),
            "WIRESTREAM_INGEST_AUTH_DISABLED": "true",
            "WIRESTREAM_INGEST_RATE_LIMIT_PER_S": "1000000",
            "WIRESTREAM_INGEST_RATE_LIMIT_BURST": "1000000",
            "WIRESTREAM_LOG_LEVEL": "WARNING",
        },
        ctx.logs_dir / "ingest.log",
    )
    base_url = f"http://127.0.0.1:{port}"
    service_cpu = {**broker_cpu, "ingest service": service.cpu_seconds}
    with service:
        progress(f"ingest service starting on {base_url} (log: {service.log_file})")
        service.wait_http_ok(f"{base_url}/readyz", timeout_s=60)

        bulk_bodies = [
            (b"\n".join(shared[i : i + BULK_LINES]) + b"\n", len(shared[i : i + BULK_LINES]))
            for i in range(0, n, BULK_LINES)
        ]
        bulk_warm_bodies = [
            (b"\n".join(bulk_warm[i : i + BULK_WARMUP_LINES]) + b"\n", BULK_WARMUP_LINES)
            for i in range(0, len(bulk_warm), BULK_WARMUP_LINES)
        ]
        progress(f"bulk endpoint: {n} articles in {len(bulk_bodies)} requests from {BULK_CLIENTS} clients")
        bulk_errors = Errors("bulk endpoint")
        bulk_cpu = CpuMeter(service_cpu)
        bulk = asyncio.run(
            post_all(
                base_url,
                "/v1/articles:bulk",
                "application/x-ndjson",
                bulk_bodies,
                bulk_warm_bodies,
                BULK_CLIENTS,
                judge_bulk,
                bulk_errors,
                bulk_cpu,
                "bulk accepted",
            )
        )
        result.measurements.append(
            Measurement(
                name="bulk_endpoint",
                label=f"POST /v1/articles:bulk ({BULK_LINES} lines, {BULK_CLIENTS} clients)",
                articles=bulk.accepted,
                seconds=bulk.seconds,
                payload_bytes=sum(len(b) for b, _ in bulk_bodies),
                latency_ms=latency_summary(bulk.latencies_s),
                cpu_seconds=bulk_cpu.used,
                notes="latency is per request; bytes are NDJSON request bodies",
            )
        )
        result.errors += bulk_errors.report()
        progress(f"bulk endpoint: {result.measurements[-1].per_s:,.0f} articles/s")

        progress(f"single endpoint: {n_single} requests from {SINGLE_CLIENTS} clients")
        single_errors = Errors("single endpoint")
        single_cpu = CpuMeter(service_cpu)
        one = asyncio.run(
            post_all(
                base_url,
                "/v1/articles",
                "application/json",
                [(s, 1) for s in single],
                [(s, 1) for s in single_warm],
                SINGLE_CLIENTS,
                judge_single,
                single_errors,
                single_cpu,
                "single accepted",
            )
        )
        result.measurements.append(
            Measurement(
                name="single_endpoint",
                label=f"POST /v1/articles ({SINGLE_CLIENTS} clients)",
                articles=one.accepted,
                seconds=one.seconds,
                payload_bytes=sum(len(s) for s in single),
                latency_ms=latency_summary(one.latencies_s),
                cpu_seconds=single_cpu.used,
                notes="one article per request; bytes are JSON request bodies",
            )
        )
        result.errors += single_errors.report()
        progress(f"single endpoint: {result.measurements[-1].per_s:,.0f} articles/s")

    # Kafka must hold exactly what was acknowledged (warm-ups included).
    expected = {
        CEILING_TOPIC: RAW_WARMUP + n,
        RAW.name: len(bulk_warm) + len(single_warm) + n + n_single,
    }
    for topic, want in expected.items():
        have = end_offsets_total(bootstrap, topic)
        result.params[f"records_on_{topic}"] = have
        if have != want:
            result.errors.append(f"{topic} holds {have} records, expected {want}")

    ceiling_rate = ceiling.per_s
    bulk_rate = result.measurements[1].per_s
    single_rate = result.measurements[2].per_s
    result.checks = [
        Check(
            "bulk_vs_raw_producer",
            "bulk endpoint / raw producer (articles/s)",
            bulk_rate / ceiling_rate if ceiling_rate else 0.0,
            BULK_RATIO_TARGET,
        ),
        Check(
            "single_endpoint_rate",
            f"single endpoint with {SINGLE_CLIENTS} clients",
            single_rate,
            SINGLE_TARGET_PER_S,
            unit="articles/s",
        ),
    ]
    return result


BENCHMARK = Benchmark("ingest", "Ingest throughput: raw producer vs bulk vs single endpoint", run)
