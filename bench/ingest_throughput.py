"""Ingest throughput: how close the HTTP API comes to what Kafka itself can take from Python.

Three workloads against the same broker:

1. ceiling: a bare kafka-python producer, configured like the ingest publisher,
   sends the very RawArticle JSON the API would publish to `bench.raw-ceiling`; so
   does a confluent-kafka (librdkafka) producer with the same settings, which shows
   how much of the ceiling is kafka-python's own cost in Python;
2. bulk: the real ingest service (a child process) takes NDJSON batches on
   `/v1/articles:bulk` from a few concurrent clients;
3. single: the same service takes one article per request on `/v1/articles`
   from 32 concurrent clients, with the latency of each request recorded.

They run in interleaved rounds (ceiling, bulk, single, ceiling, bulk, ...) so
that the drifting load of a shared machine weighs on all three alike. The
ceiling and the bulk workload publish the same articles; the single workload
gets articles of its own, so every id on `articles.raw` is unique. Afterwards
the topics' end offsets are compared with what was acknowledged.
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

import confluent_kafka
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
    Ticker,
    Workload,
    per_round_ratios,
    proc_cpu_seconds,
    progress,
    ratio_check,
)
from bench.service import ServiceProcess, free_port
from infra.servers import kafka
from services.common.topics import RAW
from services.ingest import publisher as ingest_publisher
from services.ingest.auth import ANONYMOUS
from services.ingest.submissions import article_record, parse_submission

CEILING_TOPIC = "bench.raw-ceiling"
PARTITIONS = 3
# Articles in flight on the bulk endpoint are lines x clients. The service answers 503 when
# Kafka has not acknowledged a request's records within its publish timeout (10 s), and on
# 2 cores the producer acknowledges about 200 of these ~15 KB articles/s (kafka-python
# computes CRC32C in pure Python unless the `crc32c` package is installed). 500 in flight
# leave a fourfold margin; 4 clients x 500 lines did time out. More clients add no throughput:
# the service publishes from one thread.
BULK_LINES = 250
BULK_CLIENTS = 2
SINGLE_CLIENTS = 32
BULK_RATIO_TARGET = 0.70
SINGLE_TARGET_PER_S = 1000.0
# Sized for about a minute per workload (all rounds together) on 2 cores; --scale multiplies them.
FULL_ARTICLES = 12_000
FULL_SINGLE_ARTICLES = 10_000
FULL_ROUNDS = 3
SMOKE_ARTICLES = 200
# Untimed requests before each timed one: connections, metadata, first-call costs.
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
    """What the API hands to Kafka for one article (services/ingest/submissions.py article_record)."""

    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


def raw_record(data: bytes) -> KafkaRecord:
    """The record the bulk endpoint would publish for this NDJSON line (the API's own steps)."""
    record = article_record(parse_submission(data, key_id=ANONYMOUS, content_type="application/x-ndjson"))
    return KafkaRecord(key=record.key.encode(), value=record.value, headers=list(record.headers))


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
    """CPU seconds used by this process and the given ones between start() and stop()."""

    def __init__(self, processes: dict[str, Callable[[], float]]) -> None:
        self.processes = {"bench client": time.process_time, **processes}
        self._start: dict[str, float] = {}
        self.used: dict[str, float] = {}

    def start(self) -> None:
        self._start = {name: read() for name, read in self.processes.items()}

    def stop(self) -> dict[str, float]:
        self.used = {name: read() - self._start[name] for name, read in self.processes.items()}
        return self.used


def end_offsets_total(bootstrap: str, topic: str) -> int:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, client_id="wirestream-bench-verify")
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        offsets = consumer.end_offsets([TopicPartition(topic, p) for p in partitions])
        return sum(offsets.values())
    finally:
        consumer.close()


def ensure_ceiling_topic(bootstrap: str) -> None:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="wirestream-bench")
    try:
        topic = NewTopic(
            CEILING_TOPIC, num_partitions=PARTITIONS, replication_factor=1, topic_configs=RAW.config
        )
        with contextlib.suppress(TopicAlreadyExistsError):
            admin.create_topics([topic])
    finally:
        admin.close()


class CeilingProducer:
    """A bare producer configured as the ingest publisher is, sending pre-serialised records."""

    label = "kafka-python producer (ceiling)"

    def __init__(self, bootstrap: str, linger_ms: int) -> None:
        ensure_ceiling_topic(bootstrap)
        self.producer = KafkaProducer(
            bootstrap_servers=bootstrap,
            client_id="wirestream-bench-ceiling",
            acks="all",
            enable_idempotence=True,
            linger_ms=linger_ms,
            compression_type=None,
            max_request_size=8 * 1024 * 1024,
        )

    def warm_up(self, records: list[KafkaRecord]) -> None:
        for record in records:
            self.producer.send(CEILING_TOPIC, key=record.key, value=record.value, headers=record.headers)
        self.producer.flush()

    def send_all(self, records: list[KafkaRecord], cpu: CpuMeter, errors: Errors) -> tuple[int, float]:
        """Send and flush; return (records acknowledged, seconds)."""
        ticker = Ticker("raw producer sent", len(records))
        futures = []
        cpu.start()
        started = time.perf_counter()
        for record in records:
            try:
                futures.append(
                    self.producer.send(
                        CEILING_TOPIC, key=record.key, value=record.value, headers=record.headers
                    )
                )
            except KafkaError as exc:
                errors.add(f"send: {exc!r}")
            ticker.add()
        self.producer.flush()
        seconds = time.perf_counter() - started
        cpu.stop()
        acknowledged = 0
        for future in futures:
            if future.is_done and future.succeeded():
                acknowledged += 1
            else:
                errors.add(f"not acknowledged: {future.exception!r}")
        return acknowledged, seconds

    def close(self) -> None:
        self.producer.close(timeout=10)


class ConfluentCeilingProducer:
    """The same records through librdkafka (confluent-kafka), configured like kafka-python's.

    Not what ingest uses: it shows what a C client takes from Python on this machine,
    i.e. how much of the kafka-python ceiling is the client's own cost.
    """

    label = "confluent-kafka producer"

    def __init__(self, bootstrap: str, linger_ms: int) -> None:
        ensure_ceiling_topic(bootstrap)
        self.producer = confluent_kafka.Producer(
            {
                "bootstrap.servers": bootstrap,
                "client.id": "wirestream-bench-confluent",
                "acks": "all",
                "enable.idempotence": True,
                "linger.ms": linger_ms,
                "compression.type": "none",
                "message.max.bytes": 8 * 1024 * 1024,
                # Room for a whole round in the local queue, so produce() never waits on it.
                "queue.buffering.max.messages": 1_000_000,
                "queue.buffering.max.kbytes": 1024 * 1024,
            }
        )

    def _send(self, records: list[KafkaRecord], outcome: dict[str, int], errors: Errors) -> None:
        def delivered(error: confluent_kafka.KafkaError | None, _: confluent_kafka.Message) -> None:
            if error is None:
                outcome["acked"] += 1
            else:
                errors.add(f"not acknowledged: {error}")

        for record in records:
            headers: list[tuple[str, str | bytes | None]] = list(record.headers)
            while True:
                try:
                    self.producer.produce(
                        CEILING_TOPIC,
                        key=record.key,
                        value=record.value,
                        headers=headers,
                        on_delivery=delivered,
                    )
                    break
                except BufferError:
                    self.producer.poll(0.05)  # the local queue is full: serve callbacks, retry
            self.producer.poll(0)
        remaining = self.producer.flush(60)
        if remaining:
            errors.add(f"{remaining} records still queued after 60 s", remaining)

    def warm_up(self, records: list[KafkaRecord]) -> None:
        self._send(records, {"acked": 0}, Errors("confluent warm-up"))

    def send_all(self, records: list[KafkaRecord], cpu: CpuMeter, errors: Errors) -> tuple[int, float]:
        """Produce and flush; return (records acknowledged, seconds)."""
        outcome = {"acked": 0}
        cpu.start()
        started = time.perf_counter()
        self._send(records, outcome, errors)
        seconds = time.perf_counter() - started
        cpu.stop()
        return outcome["acked"], seconds

    def close(self) -> None:
        self.producer.flush(10)


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
    judge: Judge,
    errors: Errors,
    cpu: CpuMeter,
    label: str,
) -> HttpOutcome:
    """POST every (body, articles in it) from one client per warm-up body, one connection each.

    Each client first sends its warm-up body (untimed), so connections are open
    and first-call costs are paid before the clock starts.
    """
    headers = {"content-type": content_type}
    outcome = HttpOutcome()
    ticker = Ticker(label, sum(n for _, n in bodies))
    pool = [
        httpx.AsyncClient(base_url=base_url, timeout=60.0, limits=httpx.Limits(max_connections=1))
        for _ in warmups
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
        await asyncio.gather(*(send(c, *w, timed=False) for c, w in zip(pool, warmups, strict=True)))
        cpu.start()
        started = time.perf_counter()
        await asyncio.gather(*(worker(c) for c in pool))
        outcome.seconds = time.perf_counter() - started
        cpu.stop()
    finally:
        await asyncio.gather(*(c.aclose() for c in pool))
    return outcome


def _ndjson(lines: list[bytes], per_body: int) -> list[tuple[bytes, int]]:
    return [
        (b"\n".join(lines[i : i + per_body]) + b"\n", len(lines[i : i + per_body]))
        for i in range(0, len(lines), per_body)
    ]


def _split(items: list[bytes], parts: int) -> list[list[bytes]]:
    bounds = [len(items) * p // parts for p in range(parts + 1)]
    return [items[bounds[p] : bounds[p + 1]] for p in range(parts)]


class _Articles:
    """Hands out consecutive article numbers, so no article is ever sent twice to articles.raw."""

    def __init__(self) -> None:
        self.next = 0

    def take(self, n: int) -> list[bytes]:
        first, self.next = self.next, self.next + n
        return [submission_bytes(i) for i in range(first, first + n)]


def run(ctx: Context) -> BenchmarkResult:
    bootstrap = ctx.infra.kafka_bootstrap
    rounds = 1 if ctx.smoke else FULL_ROUNDS
    n = max(rounds, ctx.count(full=FULL_ARTICLES, smoke=SMOKE_ARTICLES))
    n_single = max(rounds, ctx.count(full=FULL_SINGLE_ARTICLES, smoke=SMOKE_ARTICLES))
    linger_ms = publisher_linger_ms()
    broker_pid = kafka(ctx.infra).pid()
    result = BenchmarkResult(
        "ingest",
        "Ingest throughput",
        params={
            "articles": n,
            "single_articles": n_single,
            "rounds": rounds,
            "bulk_lines_per_request": BULK_LINES,
            "bulk_clients": BULK_CLIENTS,
            "single_clients": SINGLE_CLIENTS,
            "linger_ms": linger_ms,
            "partitions": PARTITIONS,
        },
    )

    progress(f"generating {n + n_single} articles and the records the API would publish")
    articles = _Articles()
    shared = articles.take(n)
    single = articles.take(n_single)
    records = [raw_record(line) for line in shared]
    sizes = [len(s) for s in shared + single]
    result.params["mean_submission_bytes"] = round(sum(sizes) / len(sizes))
    result.params["mean_record_bytes"] = round(sum(len(r.value) for r in records) / len(records))
    record_of = dict(zip(shared, records, strict=True))
    del records

    raw = Workload(
        "raw_producer",
        "kafka-python producer (ceiling)",
        notes=f"pre-serialised RawArticle JSON to {CEILING_TOPIC}; bytes are Kafka record values",
    )
    bulk = Workload(
        "bulk_endpoint",
        f"POST /v1/articles:bulk ({BULK_LINES} lines, {BULK_CLIENTS} clients)",
        notes="latency is per request; bytes are NDJSON request bodies",
    )
    one = Workload(
        "single_endpoint",
        f"POST /v1/articles ({SINGLE_CLIENTS} clients)",
        notes="one article per request; bytes are JSON request bodies",
    )
    confluent = Workload(
        "confluent_producer",
        ConfluentCeilingProducer.label,
        notes=f"librdkafka, same settings and records, to {CEILING_TOPIC}; for comparison, not a target",
    )
    raw_errors, bulk_errors, single_errors = Errors("raw producer"), Errors("bulk"), Errors("single")
    confluent_errors = Errors("confluent producer")
    warm_on_raw = 0
    broker = {"kafka broker": lambda: proc_cpu_seconds(broker_pid)}

    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
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
    with_service = {**broker, "ingest service": service.cpu_seconds}
    ceiling = CeilingProducer(bootstrap, linger_ms)
    c_ceiling = ConfluentCeilingProducer(bootstrap, linger_ms)
    try:
        warm_records = [raw_record(line) for line in articles.take(RAW_WARMUP)]
        ceiling.warm_up(warm_records)
        c_ceiling.warm_up(warm_records)
        with service:
            progress(f"ingest service starting on {base_url} (log: {service.log_file})")
            service.wait_http_ok(f"{base_url}/readyz", timeout_s=60)
            for number, (shared_part, single_part) in enumerate(
                zip(_split(shared, rounds), _split(single, rounds), strict=True), start=1
            ):
                step = f"round {number}/{rounds}"
                progress(f"{step}: raw producer, {len(shared_part)} records (linger_ms={linger_ms})")
                part_records = [record_of[line] for line in shared_part]
                for producer, workload, errors in (
                    (ceiling, raw, raw_errors),
                    (c_ceiling, confluent, confluent_errors),
                ):
                    cpu = CpuMeter(broker)
                    acked, seconds = producer.send_all(part_records, cpu, errors)
                    rate = workload.add(
                        articles=acked,
                        seconds=seconds,
                        payload_bytes=sum(len(r.value) for r in part_records),
                        cpu_seconds=cpu.used,
                    )
                    progress(f"{step}: {producer.label} {rate:,.0f} articles/s")

                bodies = _ndjson(shared_part, BULK_LINES)
                warm = _ndjson(articles.take(BULK_CLIENTS * BULK_WARMUP_LINES), BULK_WARMUP_LINES)
                warm_on_raw += BULK_CLIENTS * BULK_WARMUP_LINES
                progress(f"{step}: bulk endpoint, {len(shared_part)} articles in {len(bodies)} requests")
                cpu = CpuMeter(with_service)
                outcome = asyncio.run(
                    post_all(
                        base_url,
                        "/v1/articles:bulk",
                        "application/x-ndjson",
                        bodies,
                        warm,
                        judge_bulk,
                        bulk_errors,
                        cpu,
                        "bulk accepted",
                    )
                )
                rate = bulk.add(
                    articles=outcome.accepted,
                    seconds=outcome.seconds,
                    payload_bytes=sum(len(b) for b, _ in bodies),
                    cpu_seconds=cpu.used,
                    latencies_s=outcome.latencies_s,
                )
                progress(f"{step}: bulk endpoint {rate:,.0f} articles/s")

                warm_single = [(line, 1) for line in articles.take(SINGLE_CLIENTS)]
                warm_on_raw += SINGLE_CLIENTS
                progress(f"{step}: single endpoint, {len(single_part)} requests")
                cpu = CpuMeter(with_service)
                outcome = asyncio.run(
                    post_all(
                        base_url,
                        "/v1/articles",
                        "application/json",
                        [(line, 1) for line in single_part],
                        warm_single,
                        judge_single,
                        single_errors,
                        cpu,
                        "single accepted",
                    )
                )
                rate = one.add(
                    articles=outcome.accepted,
                    seconds=outcome.seconds,
                    payload_bytes=sum(len(line) for line in single_part),
                    cpu_seconds=cpu.used,
                    latencies_s=outcome.latencies_s,
                )
                progress(f"{step}: single endpoint {rate:,.0f} articles/s")
    finally:
        ceiling.close()
        c_ceiling.close()

    result.measurements = [raw.measurement(), bulk.measurement(), one.measurement(), confluent.measurement()]
    for errors in (raw_errors, bulk_errors, single_errors, confluent_errors):
        result.errors += errors.report()

    # Kafka must hold exactly what was acknowledged (warm-ups included; both ceilings send all).
    expected = {CEILING_TOPIC: 2 * (RAW_WARMUP + n), RAW.name: warm_on_raw + n + n_single}
    for topic, want in expected.items():
        have = end_offsets_total(bootstrap, topic)
        result.params[f"records_on_{topic}"] = have
        if have != want:
            result.errors.append(f"{topic} holds {have} records, expected {want}")

    result.params["bulk_vs_raw_per_round"] = per_round_ratios(bulk, raw)
    result.checks = [
        ratio_check(
            "bulk_vs_raw_producer", "bulk endpoint / raw producer (articles/s)", bulk, raw, BULK_RATIO_TARGET
        ),
        Check(
            "single_endpoint_rate",
            f"single endpoint with {SINGLE_CLIENTS} clients",
            one.measurement().per_s,
            SINGLE_TARGET_PER_S,
            unit="articles/s",
        ),
    ]
    return result


BENCHMARK = Benchmark("ingest", "Ingest throughput: raw producer vs bulk vs single endpoint", run)
