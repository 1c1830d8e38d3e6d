"""End to end: how fast articles become searchable through all three services, next to each stage's ceiling.

The three real services run as child processes against the bench servers, on
emptied pipeline topics, with a fresh enrich app id and a fresh index prefix; the
NER model's process on a CPU of its own and everything else on the others, as its
ceiling has it (bench.cpu_placement; --shared-cpus for without). A
stream from bench.generator (new stories, near-copies, revisions) goes in through
`POST /v1/articles:bulk`, in two phases:

1. throughput: all N submissions are pushed as fast as ingest takes them (Kafka
   holds the backlog, as it would in a burst); the clock runs from the first POST
   until a search on the read alias counts every distinct id and a sum aggregation
   over `revision` shows every latest revision. No refresh is forced: the index
   refreshes every second as in production, so "searchable" means what a reader sees.
2. freshness: M further submissions at a fixed offered rate of half the measured
   throughput (open loop: each is sent at its scheduled time, whatever came back).
   A poller looks up the ids still pending with an `ids` query every 100 ms; an
   article's latency is from just before its POST to the poll that first finds it
   (so the poll interval adds up to 100 ms). Revisions are not timed (their id is
   already visible).

At the end every id must be on the read alias exactly once with its latest
revision; a lost, duplicated, stale or unexpected document is a benchmark error.
The services' resident memory is sampled every second.

Then, with the services stopped, each stage's ceiling is measured on the same
articles in the same run: the kafka-python and confluent-kafka producers
(bench.ingest_throughput), the NER model alone (bench.enrich_throughput) and a
raw `_bulk` loader (bench.index_throughput) fed with the enriched records this
run's enrich worker produced.
"""

from __future__ import annotations

import itertools
import json
import math
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import confluent_kafka
import httpx
from elasticsearch import Elasticsearch
from elasticsearch.helpers import scan

from bench import enrich_throughput, index_throughput, ingest_throughput
from bench.cpu_placement import Placement, placed
from bench.generator import Stream, stream
from bench.harness import (
    Benchmark,
    BenchmarkResult,
    Check,
    Context,
    Measurement,
    Workload,
    latency_summary,
    proc_cpu_seconds,
    progress,
    rss_mb,
    topic_records,
    tree_cpu_seconds,
    tree_rss_mb,
)
from bench.ingest_throughput import CeilingProducer, ConfluentCeilingProducer, CpuMeter, Errors, raw_record
from bench.profiling import Sampler
from bench.service import ServiceProcess, free_port
from infra.servers import elasticsearch, kafka
from schemas.article import ArticleSubmission
from services.common.topic_admin import recreate_topics
from services.common.topics import ANALYSED, CONTROL, DLQ, ENGAGEMENT, ENRICHED, LINKS, RAW
from services.enrich.pipeline import Analyser
from services.enrich.settings import EnrichSettings
from services.index.mapping import IndexNames
from services.ingest.auth import ANONYMOUS
from services.ingest.intake import to_raw_article

PARTITIONS = 3
FULL_ARTICLES, SMOKE_ARTICLES = 20_000, 60
FULL_LATENCY_ARTICLES, SMOKE_LATENCY_ARTICLES = 2_000, 20
# Ceilings are rates, so a few hundred articles each are enough (the NER model costs ~80 ms each).
FULL_NER_ARTICLES, SMOKE_NER_ARTICLES = 400, 16
FULL_PRODUCER_ARTICLES, SMOKE_PRODUCER_ARTICLES = 5_000, 100
# Below these a ceiling is mostly warm-up noise, so a scaled-down full run keeps at least these.
MIN_NER_ARTICLES, MIN_PRODUCER_ARTICLES = 300, 1_000
BULK_LINES = 250
POLL_S = 0.1
RSS_EVERY_S = 1.0
FRESHNESS_P99_TARGET_MS = 2000.0
# Steady-state memory targets per service (MB), from the issue.
RSS_TARGETS_MB = {"ingest": 200.0, "enrich": 600.0, "index": 200.0}
# End to end cannot beat its slowest stage (NER); enrich's own target is to add at most 10%.
E2E_VS_NER_TARGET = round(enrich_throughput.TARGET_RATIO, 3)
MAPPING_VERSION = index_throughput.MAPPING_VERSION


@dataclass
class Services:
    """The three services of one run and where they listen."""

    ingest: ServiceProcess
    enrich: ServiceProcess
    index: ServiceProcess
    ports: dict[str, int]

    def all(self) -> dict[str, ServiceProcess]:
        return {"ingest": self.ingest, "enrich": self.enrich, "index": self.index}

    def check_alive(self) -> None:
        for name, service in self.all().items():
            code = service.exited()
            if code is not None:
                raise RuntimeError(f"{name} exited with {code}:\n{service.log_tail()}")


def start_services(ctx: Context, stamp: str, names: IndexNames, placement: Placement | None) -> Services:
    ports = {"ingest": free_port(), "enrich": free_port(), "index": free_port()}
    app_id = f"bench-e2e-{stamp}"
    env = {
        "WIRESTREAM_KAFKA_BOOTSTRAP": ctx.infra.kafka_bootstrap,
        "WIRESTREAM_ES_URL": ctx.infra.es_url,
        "WIRESTREAM_TOPIC_PARTITIONS": str(PARTITIONS),
        "WIRESTREAM_TOPIC_REPLICATION": "1",
        # "WARN", not "WARNING": enrich hands the level to Faust's CLI, which knows only the short names.
        "WIRESTREAM_LOG_LEVEL": "WARN",
        "WIRESTREAM_INGEST_HOST": "127.0.0.1",
        "WIRESTREAM_INGEST_PORT": str(ports["ingest"]),
        "WIRESTREAM_INGEST_AUTH_DISABLED": "true",
        "WIRESTREAM_INGEST_RATE_LIMIT_PER_S": "1000000",
        "WIRESTREAM_INGEST_RATE_LIMIT_BURST": "1000000",
        "WIRESTREAM_ENRICH_PORT": str(ports["enrich"]),
        "WIRESTREAM_ENRICH_APP_ID": app_id,
        "WIRESTREAM_ENRICH_DATA_DIR": str(ctx.logs_dir / f"{app_id}-data"),
        "WIRESTREAM_INDEX_HOST": "127.0.0.1",
        "WIRESTREAM_INDEX_PORT": str(ports["index"]),
        "WIRESTREAM_INDEX_GROUP_ID": f"bench-e2e-index-{stamp}",
        "WIRESTREAM_INDEX_INDEX_PREFIX": names.prefix,
        "WIRESTREAM_INDEX_MAPPING_VERSION": str(names.version),
    }
    rest = None
    if placement is not None:
        env["WIRESTREAM_ENRICH_MODEL_CPUS"] = json.dumps(sorted(placement.model))
        rest = placement.rest

    def process(name: str) -> ServiceProcess:
        return ServiceProcess(f"services.{name}", env, ctx.logs_dir / f"e2e-{stamp}-{name}.log", rest)

    services = Services(
        ingest=process("ingest"), enrich=process("enrich"), index=process("index"), ports=ports
    )
    # Downstream first, as `make run` does: nothing waits in Kafka for a consumer that is not there.
    try:
        for name in ("index", "enrich", "ingest"):
            service = services.all()[name]
            service.start()
            progress(f"  {name} starting on port {ports[name]} (log: {service.log_file})")
        for name in ("index", "enrich", "ingest"):
            services.all()[name].wait_http_ok(f"http://127.0.0.1:{ports[name]}/readyz", timeout_s=180)
    except BaseException:
        for service in services.all().values():
            service.stop()
        raise
    return services


def start_profilers(ctx: Context, services: Services, stamp: str) -> dict[str, Sampler]:
    """py-spy on each service for the throughput phase, when the run asks for it (--profile)."""
    if not ctx.profile:
        return {}
    progress("  profiling the services with py-spy (raw stacks in the bench logs folder)")
    return {
        name: Sampler(service.pid, ctx.logs_dir / f"e2e-{stamp}-{name}.pyspy.txt")
        for name, service in services.all().items()
        if service.pid is not None
    }


class MemorySampler(threading.Thread):
    """RSS of each service every second (its process tree, and its main process alone), tagged
    with the phase, until stopped. Enrich's tree holds its model process beside the worker."""

    def __init__(self, services: dict[str, ServiceProcess]) -> None:
        super().__init__(daemon=True, name="rss-sampler")
        self.services = services
        self.phase = "start-up"
        self.samples: list[tuple[str, dict[str, tuple[float, float]]]] = []
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(RSS_EVERY_S):
            self.samples.append(
                (self.phase, {n: (tree_rss_mb(s.pid), rss_mb(s.pid)) for n, s in self.services.items()})
            )

    def stop(self) -> None:
        self._stop_event.set()
        self.join(5)

    def summary(self) -> dict[str, dict[str, float]]:
        """Per service: peak, and steady = the highest sample once the first quarter under load is past."""
        loaded = [values for phase, values in self.samples if phase != "start-up"]
        steady = loaded[len(loaded) // 4 :] or loaded
        out: dict[str, dict[str, float]] = {}
        for name in self.services:
            all_values = [v[name][0] for _, v in self.samples if v.get(name)]
            tree, main = max((v[name] for v in steady if v.get(name)), default=(0.0, 0.0))
            out[name] = {
                "steady_mb": round(tree, 1),
                "main_process_mb": round(main, 1),
                "peak_mb": round(max(all_values, default=0.0), 1),
                "samples": len(all_values),
            }
        return out


def _ndjson(lines: list[bytes]) -> bytes:
    return b"\n".join(lines) + b"\n"


def post_bulk(client: httpx.Client, lines: list[bytes], errors: Errors) -> int:
    """POST one NDJSON body; return the articles accepted (what was not is counted in `errors`)."""
    try:
        response = client.post(
            "/v1/articles:bulk", content=_ndjson(lines), headers={"content-type": "application/x-ndjson"}
        )
    except httpx.HTTPError as exc:
        errors.add(f"{type(exc).__name__}: {exc}", len(lines))
        return 0
    accepted, problem = ingest_throughput.judge_bulk(response, len(lines))
    if problem:
        errors.add(problem, len(lines) - accepted)
    return accepted


def searchable(es: Elasticsearch, alias: str) -> tuple[int, int]:
    """(documents, sum of their revisions) a reader sees on the read alias right now (no refresh)."""
    answer = es.search(
        index=alias, size=0, track_total_hits=True, aggs={"revisions": {"sum": {"field": "revision"}}}
    )
    return int(answer["hits"]["total"]["value"]), round(answer["aggregations"]["revisions"]["value"] or 0)


@dataclass
class Phase:
    seconds: float = 0.0
    accepted: int = 0
    push_s: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)


def throughput_phase(
    base_url: str,
    es: Elasticsearch,
    alias: str,
    items: Stream,
    services: Services,
    cpu_readers: dict[str, Callable[[], float]],
    errors: Errors,
) -> Phase:
    """Push every submission, then wait until the read alias shows each id at its latest revision."""
    want_docs, want_sum = items.distinct, items.revision_sum()
    phase = Phase()
    pushed = threading.Event()

    def push() -> None:
        began = time.perf_counter()
        with httpx.Client(base_url=base_url, timeout=120.0) as client:
            for start in range(0, len(items.lines), BULK_LINES):
                phase.accepted += post_bulk(client, items.lines[start : start + BULK_LINES], errors)
        phase.push_s = time.perf_counter() - began
        pushed.set()

    cpu = CpuMeter(cpu_readers)
    cpu.start()
    started = time.perf_counter()
    pusher = threading.Thread(target=push, daemon=True, name="pusher")
    pusher.start()
    deadline = time.monotonic() + 300 + len(items.lines) * 0.5  # allows for 2 articles/s
    last_report, docs, total = time.monotonic(), 0, 0
    while True:
        services.check_alive()
        docs, total = searchable(es, alias)
        if docs >= want_docs and total >= want_sum and pushed.is_set():
            break
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"after {time.perf_counter() - started:.0f}s the read alias shows {docs}/{want_docs} "
                f"documents, revision sum {total}/{want_sum}"
            )
        if time.monotonic() - last_report >= 10:
            last_report = time.monotonic()
            elapsed = time.perf_counter() - started
            progress(f"  searchable: {docs}/{want_docs} ({docs / elapsed:,.1f}/s), revision sum {total}")
        time.sleep(POLL_S)
    phase.seconds = time.perf_counter() - started
    phase.cpu = cpu.stop()
    pusher.join(10)
    return phase


class Poller(threading.Thread):
    """Finds when each sent id first becomes visible on the read alias, one `ids` query per 100 ms."""

    def __init__(self, es: Elasticsearch, alias: str) -> None:
        super().__init__(daemon=True, name="freshness-poller")
        self.es = es
        self.alias = alias
        self.sent: dict[str, float] = {}
        self.seen: dict[str, float] = {}
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.failure: str | None = None

    def expect(self, article_id: str, sent_at: float) -> None:
        with self.lock:
            self.sent.setdefault(article_id, sent_at)

    def pending(self) -> list[str]:
        with self.lock:
            return [i for i in self.sent if i not in self.seen]

    def run(self) -> None:
        while not self.done.is_set():
            began = time.perf_counter()
            waiting = self.pending()
            try:
                for start in range(0, len(waiting), 1000):
                    chunk = waiting[start : start + 1000]
                    answer = self.es.search(
                        index=self.alias, query={"ids": {"values": chunk}}, source=False, size=len(chunk)
                    )
                    now = time.time()
                    with self.lock:
                        for hit in answer["hits"]["hits"]:
                            self.seen.setdefault(hit["_id"], now)
            except Exception as exc:  # reported as the benchmark's error, not lost in a thread
                self.failure = repr(exc)
                return
            time.sleep(max(0.0, POLL_S - (time.perf_counter() - began)))

    def latencies_s(self) -> list[float]:
        with self.lock:
            return [self.seen[i] - sent for i, sent in self.sent.items() if i in self.seen]

    def timed(self) -> dict[str, tuple[float, float]]:
        """(sent, first seen) per id found, in wall-clock seconds."""
        with self.lock:
            return {i: (sent, self.seen[i]) for i, sent in self.sent.items() if i in self.seen}


STAGES = (
    ("ingest", "POST to its record on articles.raw"),
    ("analyse", "to articles.analysed (batching, the model, entity rules)"),
    ("link", "to articles.enriched (linking)"),
    ("index", "to found by a search (bulk, refresh every 1 s, the 100 ms poll)"),
)


def stage_latencies(bootstrap: str, timed: dict[str, tuple[float, float]]) -> dict[str, dict[str, Any]]:
    """Where each timed article's latency went, from the first record of its id on each topic
    (Kafka's create-time stamps, set by the producing service) between its POST and its search hit."""
    first: list[dict[str, float]] = []
    for topic in (RAW, ANALYSED, ENRICHED):
        stamps: dict[str, float] = {}
        for record in topic_records(bootstrap, topic.name, timeout_s=60):
            if record.key is not None:
                key = record.key.decode()
                if key in timed:
                    stamps[key] = min(stamps.get(key, math.inf), record.timestamp_ms / 1000)
        first.append(stamps)
    spans: dict[str, list[float]] = {name: [] for name, _ in STAGES}
    for article_id, (sent, seen) in timed.items():
        points = [sent, *(stamps.get(article_id) for stamps in first), seen]
        if any(p is None for p in points):
            continue
        for (name, _), (a, b) in zip(STAGES, itertools.pairwise(points), strict=True):
            spans[name].append(max(0.0, b - a))  # type: ignore[operator]
    meanings = dict(STAGES)
    return {
        name: {"what": meanings[name], "articles": len(values)}
        | {f"{k}_ms": round(v, 1) for k, v in latency_summary(values).items() if k != "max"}
        for name, values in spans.items()
        if values
    }


def freshness_phase(
    base_url: str,
    es: Elasticsearch,
    alias: str,
    items: Stream,
    rate: float,
    services: Services,
    errors: Errors,
) -> tuple[float, dict[str, tuple[float, float]], int]:
    """Send at `rate` per second (open loop), time each new id to visibility.

    Returns (seconds sending took, (sent, seen) per id found, ids never seen).
    """
    poller = Poller(es, alias)
    poller.start()
    first_lines: set[int] = set()
    known: set[str] = set()
    for position, article_key in enumerate(items.ids):
        if article_key not in known:
            known.add(article_key)
            first_lines.add(position)
    started = time.perf_counter()
    position = 0
    with httpx.Client(base_url=base_url, timeout=60.0) as client:
        while position < len(items.lines):
            services.check_alive()
            due = min(len(items.lines), int((time.perf_counter() - started) * rate) + 1)
            if due <= position:
                time.sleep(max(0.001, min(0.05, position / rate - (time.perf_counter() - started))))
                continue
            sent_at = time.time()  # wall clock, as Kafka's record timestamps are
            for p in range(position, due):
                if p in first_lines:
                    poller.expect(items.ids[p], sent_at)
            post_bulk(client, items.lines[position:due], errors)
            position = due
    send_s = time.perf_counter() - started
    deadline = time.monotonic() + 120
    while poller.pending() and time.monotonic() < deadline and poller.failure is None:
        services.check_alive()
        time.sleep(POLL_S)
    poller.done.set()
    poller.join(5)
    if poller.failure:
        errors.add(f"freshness poller failed: {poller.failure}")
    return send_s, poller.timed(), len(poller.pending())


def verify(es: Elasticsearch, alias: str, expected: dict[str, int]) -> list[str]:
    """Every expected id on the read alias exactly once, at its latest revision, and nothing else."""
    es.indices.refresh(index=alias)
    seen: Counter[str] = Counter()
    revisions: dict[str, int] = {}
    for hit in scan(es, index=alias, query={"query": {"match_all": {}}}, _source=["id", "revision"]):
        seen[hit["_id"]] += 1
        revisions[hit["_id"]] = int(hit["_source"].get("revision") or 0)
    problems = []
    lost = [i for i in expected if i not in seen]
    duplicated = [i for i, n in seen.items() if n > 1]
    unexpected = [i for i in seen if i not in expected]
    stale = [i for i, want in expected.items() if i in revisions and revisions[i] != want]
    for what, ids in (("lost", lost), ("duplicated", duplicated), ("unexpected", unexpected)):
        if ids:
            problems.append(f"{len(ids)} {what} documents, e.g. {ids[:3]}")
    if stale:
        problems.append(
            f"{len(stale)} documents not at their latest revision, e.g. "
            + ", ".join(f"{i} has {revisions[i]} not {expected[i]}" for i in stale[:3])
        )
    return problems


def enriched_values(bootstrap: str, limit: int) -> list[bytes]:
    """Up to `limit` records from articles.enriched, from the start (what this run's enrich produced)."""
    records = topic_records(bootstrap, ENRICHED.name, timeout_s=60, limit=limit)
    return [r.value for r in records if r.value is not None]


def producer_ceilings(
    ctx: Context, lines: list[bytes], broker: dict[str, Callable[[], float]], errors: Errors
) -> list[Measurement]:
    """kafka-python, then confluent-kafka, each sending the RawArticle records of `lines` once."""
    records = [raw_record(line) for line in lines]
    linger_ms = ingest_throughput.publisher_linger_ms()
    out = []
    producers: tuple[tuple[str, type[CeilingProducer | ConfluentCeilingProducer]], ...] = (
        ("kafka_python_producer", CeilingProducer),
        ("confluent_kafka_producer", ConfluentCeilingProducer),
    )
    for name, producer_class in producers:
        producer = producer_class(ctx.infra.kafka_bootstrap, linger_ms)
        workload = Workload(
            name,
            producer.label,
            notes=f"RawArticle records as ingest publishes them, linger_ms={linger_ms}, acks=all, idempotent",
        )
        try:
            producer.warm_up(records[: min(100, len(records))])
            cpu = CpuMeter(broker)
            acked, seconds = producer.send_all(records, cpu, errors)
            workload.add(
                articles=acked,
                seconds=seconds,
                payload_bytes=sum(len(r.value) for r in records),
                cpu_seconds=cpu.used,
            )
        finally:
            producer.close()
        out.append(workload.measurement())
        progress(f"  ceiling {producer.label}: {out[-1].per_s:,.0f}/s")
    return out


def ner_ceiling(lines: list[bytes]) -> Measurement:
    """The NER model alone over these articles' texts, in this process (enrich's unavoidable cost)."""
    now = datetime.now(UTC)
    articles = [
        to_raw_article(
            ArticleSubmission.model_validate_json(line),
            received_at=now,
            key_id=ANONYMOUS,
            content_type="application/json",
            original=line,
        )
        for line in lines
    ]
    analyser = Analyser.load()
    enrich_throughput.model_round(analyser, articles[: EnrichSettings().batch_size])  # untimed warm-up
    seconds = enrich_throughput.model_round(analyser, articles)
    workload = Workload("ner_model", f"{analyser.model.info.package} NER alone", notes="in-process, 1 core")
    workload.add(articles=len(articles), seconds=seconds, payload_bytes=0, cpu_seconds={})
    progress(f"  ceiling NER model: {workload.measurement().per_s:,.1f}/s")
    return workload.measurement()


def bulk_ceiling(es: Elasticsearch, values: list[bytes], stamp: str, errors: Errors) -> Measurement:
    """This run's enriched records through a bare `_bulk` loader into a fresh index of the same mapping."""
    batches, doc_bytes = index_throughput.bulk_batches(values)
    names = IndexNames(f"bench-e2e-bulk-{stamp}", MAPPING_VERSION)
    distinct = len({b["index"]["_id"] for batch in batches for b in batch[::2]})
    timing = index_throughput.raw_round(es, names, batches, distinct, {}, errors)
    if timing.count != distinct:
        errors.add(f"raw _bulk index holds {timing.count} documents, not {distinct}")
    es.indices.delete(index=names.concrete)
    # Steady state needs a batch after the first one; a smoke run's few records are timed whole.
    steady = len(batches) > 1
    docs = len(values) - timing.first_docs if steady else len(values)
    workload = Workload(
        "raw_bulk",
        index_throughput.RAW_LABEL,
        notes="this run's enriched records, to refresh + count; "
        + ("steady state after the first batch" if steady else "one batch, timed whole"),
    )
    workload.add(
        articles=docs,
        seconds=timing.steady_s if steady else timing.total_s,
        payload_bytes=doc_bytes * docs // max(1, len(values)),
        cpu_seconds={},
    )
    progress(f"  ceiling raw _bulk: {workload.measurement().per_s:,.0f}/s")
    return workload.measurement()


def _ceiling_lines(ctx: Context, lines: list[bytes], full: int, smoke: int, least: int) -> list[bytes]:
    """The first articles of the burst for a ceiling, repeated when the burst has fewer than needed."""
    want = ctx.count(full=full, smoke=smoke) if ctx.smoke else max(least, ctx.count(full=full, smoke=smoke))
    return (lines * (want // len(lines) + 1))[:want]


@dataclass
class Plan:
    """What one run sends: the burst, then the steady stream, and what the index must end with."""

    stamp: str
    names: IndexNames
    burst: Stream
    steady: Stream
    expected: dict[str, int]


def pipeline_phases(
    ctx: Context,
    plan: Plan,
    es: Elasticsearch,
    servers: dict[str, Callable[[], float]],
    placement: Placement | None,
    result: BenchmarkResult,
    errors: Errors,
) -> list[Measurement]:
    """Start the services, run the throughput and freshness phases, verify the index, stop them."""
    stamp, names, burst, steady, expected = plan.stamp, plan.names, plan.burst, plan.steady, plan.expected
    bootstrap, n, n_latency = ctx.infra.kafka_bootstrap, len(burst.lines), len(steady.lines)
    measurements: list[Measurement] = []
    began = time.perf_counter()
    services = start_services(ctx, stamp, names, placement)
    result.params["services_ready_s"] = round(time.perf_counter() - began, 1)
    sampler = MemorySampler(services.all())
    sampler.start()
    base_url = f"http://127.0.0.1:{services.ports['ingest']}"
    readers = {**servers, **{f"{k} service": s.cpu_seconds for k, s in services.all().items()}}
    try:
        sampler.phase = "throughput"
        progress(f"throughput: {n} submissions ({burst.distinct} articles), as fast as ingest takes them")
        profilers = start_profilers(ctx, services, stamp)
        phase = throughput_phase(base_url, es, names.read_alias, burst, services, readers, errors)
        if profilers:
            result.params["hot_spots"] = {k: p.stop().as_dict() for k, p in profilers.items()}
        throughput = Workload(
            "e2e_throughput",
            "end to end, burst, until all searchable",
            notes=f"{n} submissions, {burst.distinct} distinct articles; all pushed in "
            f"{phase.push_s:.1f}s, then searchable (1 s refresh, none forced)",
        )
        throughput.add(articles=n, seconds=phase.seconds, payload_bytes=0, cpu_seconds=phase.cpu)
        rate = n / phase.seconds
        progress(f"throughput: {rate:,.1f} submissions/s ({phase.seconds:.1f}s)")
        offered = max(0.5, rate / 2)
        sampler.phase = "freshness"
        progress(f"freshness: {n_latency} submissions at {offered:,.1f}/s (half the throughput)")
        send_s, timed, unseen = freshness_phase(
            base_url, es, names.read_alias, steady, offered, services, errors
        )
        latencies = [seen - sent for sent, seen in timed.values()]
        if unseen:
            errors.add(f"{unseen} articles of the freshness phase never became searchable", unseen)
        freshness = Workload(
            "e2e_freshness",
            f"end to end at {offered:,.1f}/s offered: ingest -> searchable",
            notes=f"latency per new article from its POST to the first search that finds it "
            f"(polled every {POLL_S * 1000:.0f} ms); {len(latencies)} timed",
        )
        freshness.add(
            articles=n_latency, seconds=send_s, payload_bytes=0, cpu_seconds={}, latencies_s=latencies
        )
        measurements += [throughput.measurement(), freshness.measurement()]
        result.params["offered_rate_per_s"] = round(offered, 2)
        if latencies:
            lat = latency_summary(latencies)
            progress(f"freshness: p50 {lat['p50']:.0f} ms, p95 {lat['p95']:.0f} ms, p99 {lat['p99']:.0f} ms")
        result.params["latency_by_stage"] = stage_latencies(bootstrap, timed)
        time.sleep(1.5)  # let every write settle before the final check
        problems = verify(es, names.read_alias, expected)
        result.errors += problems
        result.params["verified_documents"] = len(expected) if not problems else "FAILED"
    finally:
        sampler.stop()
        for service in services.all().values():
            service.stop()
    result.params["rss_mb"] = sampler.summary()
    return measurements


def run(ctx: Context) -> BenchmarkResult:
    bootstrap = ctx.infra.kafka_bootstrap
    n = ctx.count(full=FULL_ARTICLES, smoke=SMOKE_ARTICLES)
    n_latency = ctx.count(full=FULL_LATENCY_ARTICLES, smoke=SMOKE_LATENCY_ARTICLES)
    stamp = datetime.now(UTC).strftime("%Y%m%dt%H%M%S")
    names = IndexNames(f"bench-e2e-{stamp}", MAPPING_VERSION)
    progress(f"generating {n} + {n_latency} submissions (new stories, near-copies, revisions)")
    burst = stream(n, seed=7)
    steady = stream(n_latency, seed=7, first=n)
    expected = {**burst.latest_revision}
    for article_key, revision in steady.latest_revision.items():
        expected[article_key] = max(expected.get(article_key, 0), revision)
    result = BenchmarkResult(
        "e2e",
        "End to end: ingest -> enrich -> index -> searchable",
        params={
            "submissions": n,
            "distinct_articles": burst.distinct,
            "near_copies": burst.near_copies,
            "revisions": burst.revisions,
            "latency_submissions": n_latency,
            "bulk_lines_per_request": BULK_LINES,
            "partitions": PARTITIONS,
            "index": names.concrete,
            "mean_submission_bytes": round(sum(len(x) for x in burst.lines) / max(1, n)),
        },
    )
    errors = Errors("e2e")
    # Earlier benchmarks leave records on these; enrich and index read from the earliest offset.
    recreate_topics(bootstrap, (RAW, ANALYSED, ENRICHED, LINKS, ENGAGEMENT, CONTROL, DLQ), PARTITIONS, 1)
    broker_pid = kafka(ctx.infra).pid()
    es_pid = elasticsearch(ctx.infra).pid()
    servers: dict[str, Callable[[], float]] = {
        "kafka broker": lambda: proc_cpu_seconds(broker_pid),
        "elasticsearch": lambda: tree_cpu_seconds(es_pid),
    }
    es = Elasticsearch(ctx.infra.es_url, request_timeout=60)
    measurements: list[Measurement] = []
    placement = None if ctx.shared_cpus else Placement.plan()
    result.params["cpu_placement"] = placement.describe() if placement else "none: every process on every CPU"
    plan = Plan(stamp, names, burst, steady, expected)
    try:
        with placed(placement, (broker_pid, es_pid)):
            measurements += pipeline_phases(ctx, plan, es, servers, placement, result, errors)

        progress("stage ceilings on the same articles, services stopped")
        ceiling_errors = Errors("ceilings")
        producer_lines = _ceiling_lines(
            ctx, burst.lines, FULL_PRODUCER_ARTICLES, SMOKE_PRODUCER_ARTICLES, MIN_PRODUCER_ARTICLES
        )
        measurements += producer_ceilings(ctx, producer_lines, servers, ceiling_errors)
        result.params["confluent_kafka"] = (
            f"{confluent_kafka.version()[0]} (librdkafka {confluent_kafka.libversion()[0]})"
        )
        measurements.append(
            ner_ceiling(
                _ceiling_lines(ctx, burst.lines, FULL_NER_ARTICLES, SMOKE_NER_ARTICLES, MIN_NER_ARTICLES)
            )
        )
        values = enriched_values(bootstrap, n)
        result.params["enriched_records"] = len(values)
        if values:
            measurements.append(bulk_ceiling(es, values, stamp, ceiling_errors))
        result.errors += ceiling_errors.report()
    finally:
        es.close()
    result.errors += errors.report()
    result.measurements = measurements
    _checks(result)
    return result


def _checks(result: BenchmarkResult) -> None:
    rates = {m.name: m.per_s for m in result.measurements}
    e2e = rates.get("e2e_throughput", 0.0)
    ceilings = {k: v for k, v in rates.items() if not k.startswith("e2e_") and v}
    result.params["e2e_vs_ceiling"] = {k: round(e2e / v, 3) for k, v in ceilings.items()}
    if e2e and rates.get("ner_model"):
        result.checks.append(
            Check(
                "e2e_vs_ner",
                "end to end / NER model alone (articles/s)",
                e2e / rates["ner_model"],
                E2E_VS_NER_TARGET,
            )
        )
    freshness = next((m for m in result.measurements if m.name == "e2e_freshness"), None)
    if freshness is not None and "p99" in freshness.latency_ms:
        result.checks.append(
            Check(
                "freshness_p99_ms",
                "ingest -> searchable p99 at half the throughput",
                freshness.latency_ms["p99"],
                FRESHNESS_P99_TARGET_MS,
                "ms",
                higher_is_better=False,
            )
        )
    memory: dict[str, Any] = result.params.get("rss_mb", {})
    for name, target in RSS_TARGETS_MB.items():
        if memory.get(name, {}).get("samples"):
            result.checks.append(
                Check(
                    f"{name}_rss_mb",
                    f"{name} resident memory, steady state",
                    memory[name]["steady_mb"],
                    target,
                    "MB",
                    higher_is_better=False,
                )
            )


BENCHMARK = Benchmark("e2e", "End to end: throughput, freshness and memory against each stage's ceiling", run)
