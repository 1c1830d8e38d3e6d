"""Index throughput: how close the indexer comes to what Elasticsearch takes from a bare `_bulk` loader.

N enriched articles are built the way the pipeline builds them (bench.articles
-> ArticleSubmission -> to_raw_article -> enrich) and produced once to
`articles.enriched`, which must hold nothing else. After an untimed warm-up (the raw
loader writes all N once), in interleaved rounds, the first of the two alternating:

1. ceiling: the elasticsearch client's `bulk` call sends the very documents the
   indexer would write (to_document, document_version, external_gte versions),
   in batches of the indexer's default batch_max_docs, each batch split into the
   indexer's default bulk_concurrency requests sent side by side (as the indexer sends
   a large batch), into a fresh index created with the same mapping and aliases;
2. indexer: the real service (`python -m services.index`, a child process) with
   a fresh consumer group and index prefix reads all N records from the start
   of the topic and writes them to its own fresh index.

Both rates are steady-state rates: the clock starts when the first batch has
been acknowledged by Elasticsearch (for the indexer: when its
`wirestream_index_written_total` first moves) and stops when a refresh + count
on the index's read alias shows all N documents; the documents of that first
batch are not counted. The indexer's start-up (process spawn to its first
written batch) is reported on its own, and so is its end-to-end rate from
spawn. Every round's index must end with exactly N documents.
"""

from __future__ import annotations

import json
import time
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import httpx
from elasticsearch import Elasticsearch
from kafka import KafkaProducer
from kafka.errors import KafkaError

from bench.articles import submission_bytes
from bench.harness import (
    Benchmark,
    BenchmarkResult,
    Context,
    Ticker,
    Workload,
    per_round_ratios,
    proc_cpu_seconds,
    progress,
    ratio_check,
    tree_cpu_seconds,
)
from bench.ingest_throughput import Errors, end_offsets_total
from bench.service import ServiceProcess, free_port
from infra.servers import elasticsearch, kafka
from schemas.article import ArticleSubmission
from schemas.enriched import EnrichedArticle
from services.common.topic_admin import ensure_topics
from services.common.topics import ENRICHED
from services.enrich.pipeline import enrich
from services.index.documents import document_version, to_document
from services.index.mapping import IndexNames, load_index_body
from services.index.settings import IndexSettings
from services.ingest.auth import ANONYMOUS
from services.ingest.intake import to_raw_article

PARTITIONS = 3
RATIO_TARGET = 0.90
# About 10 s per workload round on 2 cores; --scale multiplies it. Every round writes all N.
FULL_ARTICLES = 12_000
FULL_ROUNDS = 4  # even: each workload goes first in half the rounds (the first is often the slower)
SMOKE_ARTICLES = 200
SMOKE_ROUNDS = 2  # two, so that the fresh group + fresh index per round is exercised
METRICS_POLL_S = 0.05
COUNT_TIMEOUT_S = 30.0

# The indexer's own defaults, read from its settings model so the two cannot drift.
BATCH_DOCS: int = IndexSettings.model_fields["batch_max_docs"].default
CONCURRENCY: int = IndexSettings.model_fields["bulk_concurrency"].default
RAW_LABEL = f"elasticsearch-py bulk, {BATCH_DOCS} docs/batch as {CONCURRENCY} requests side by side"
MAPPING_VERSION: int = IndexSettings.model_fields["mapping_version"].default

CpuReaders = dict[str, Callable[[], float]]


def enriched_records(n: int) -> list[tuple[bytes, bytes]]:
    """(key, value) of N enriched articles, as enrich would publish them (key = article id)."""
    now = datetime.now(UTC)
    records = []
    ticker = Ticker("enriched", n)
    for index in range(n):
        data = submission_bytes(index)
        raw = to_raw_article(
            ArticleSubmission.model_validate_json(data),
            received_at=now,
            key_id=ANONYMOUS,
            content_type="application/json",
            original=data,
        )
        enriched = enrich(raw, now=now)
        records.append((enriched.article.id.encode(), enriched.model_dump_json().encode()))
        ticker.add()
    return records


def bulk_batches(values: list[bytes]) -> tuple[list[list[dict[str, Any]]], int]:
    """The `_bulk` operations the indexer would send, BATCH_DOCS documents per request.

    Built from the record bytes, parsed as the indexer parses them, so the
    documents are the same. Returns (operations per request, document JSON bytes).
    """
    batches: list[list[dict[str, Any]]] = []
    doc_bytes = 0
    for start in range(0, len(values), BATCH_DOCS):
        operations: list[dict[str, Any]] = []
        for value in values[start : start + BATCH_DOCS]:
            enriched = EnrichedArticle.model_validate_json(value)
            document = to_document(enriched)
            doc_bytes += len(json.dumps(document, ensure_ascii=False).encode())
            # "_index" is filled in per round (the write alias of that round's index).
            operations.append(
                {
                    "index": {
                        "_id": enriched.article.id,
                        "version": document_version(enriched),
                        "version_type": "external_gte",
                    }
                }
            )
            operations.append(document)
        batches.append(operations)
    return batches, doc_bytes


def produce(bootstrap: str, records: list[tuple[bytes, bytes]], errors: Errors) -> float:
    """Send every record to articles.enriched and flush; return the seconds taken."""
    producer = KafkaProducer(
        bootstrap_servers=bootstrap,
        client_id="wirestream-bench-index",
        acks="all",
        linger_ms=20,
        batch_size=1024 * 1024,
        max_request_size=8 * 1024 * 1024,
    )
    ticker = Ticker("produced to articles.enriched", len(records))
    started = time.perf_counter()
    try:
        futures = []
        for key, value in records:
            try:
                futures.append(producer.send(ENRICHED.name, key=key, value=value))
            except KafkaError as exc:
                errors.add(f"send: {exc!r}")
            ticker.add()
        producer.flush()
        for future in futures:
            if not (future.is_done and future.succeeded()):
                errors.add(f"not acknowledged: {future.exception!r}")
    finally:
        producer.close(timeout=10)
    return time.perf_counter() - started


def cpu_snapshot(readers: CpuReaders) -> dict[str, float]:
    return {name: read() for name, read in readers.items()}


def cpu_used(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {name: after[name] - before[name] for name in before}


def create_index(es: Elasticsearch, names: IndexNames) -> None:
    """The index and both aliases, exactly as the indexer's BulkWriter.ensure_index makes them."""
    body = load_index_body(names.version)
    # IndexNames.aliases() (the read alias with its filter) where the indexer has it.
    defined = getattr(names, "aliases", None)
    plain = {names.read_alias: {}, names.write_alias: {"is_write_index": True}}
    aliases = defined() if callable(defined) else plain
    es.indices.create(
        index=names.concrete, settings=body["settings"], mappings=body["mappings"], aliases=aliases
    )


def refreshed_count(es: Elasticsearch, alias: str) -> int:
    es.indices.refresh(index=alias)
    return int(es.count(index=alias)["count"])


def wait_count(es: Elasticsearch, alias: str, want: int) -> int:
    """Refresh + count until the alias holds `want` documents (or the timeout); return the count."""
    deadline = time.monotonic() + COUNT_TIMEOUT_S
    count = refreshed_count(es, alias)
    while count < want and time.monotonic() < deadline:
        time.sleep(0.1)
        count = refreshed_count(es, alias)
    return count


def metric_values(text: str, names: tuple[str, ...]) -> dict[str, float]:
    """Sum each named metric over its label sets in a Prometheus text exposition."""
    values = dict.fromkeys(names, 0.0)
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        name = line.split("{", 1)[0].split(" ", 1)[0]
        if name in values:
            values[name] += float(line.rsplit(" ", 1)[1])
    return values


WRITTEN = "wirestream_index_written_total"
SUPERSEDED = "wirestream_index_superseded_total"
DEAD = "wirestream_index_dead_letters_total"


class RoundTiming:
    """One round of one workload: start-up, the first batch, and the steady window after it."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.first_at = 0.0
        self.first_docs = 0
        self.ended_at = 0.0
        self.count = 0
        self.rewritten = 0
        self.restarts = 0
        self.cpu_start: dict[str, float] = {}
        self.cpu_first: dict[str, float] = {}
        self.cpu_end: dict[str, float] = {}

    @property
    def startup_s(self) -> float:
        return self.first_at - self.started

    @property
    def steady_s(self) -> float:
        return self.ended_at - self.first_at

    @property
    def total_s(self) -> float:
        return self.ended_at - self.started


def _bulk_ok(es: Elasticsearch, operations: list[dict[str, Any]], errors: Errors) -> int:
    response = es.bulk(operations=operations, refresh=False)
    ok = 0
    for item in response["items"]:
        answer = next(iter(item.values()))
        if 200 <= int(answer.get("status", 0)) < 300:
            ok += 1
        else:
            errors.add(f"item {answer.get('_id')}: HTTP {answer.get('status')} {answer.get('error')}")
    return ok


def _parts(operations: list[dict[str, Any]], n: int) -> list[list[dict[str, Any]]]:
    """A batch's (action, document) pairs dealt into n requests by document id, as the indexer
    splits a wave: every revision of a document stays in one request, in order."""
    out: list[list[dict[str, Any]]] = [[] for _ in range(n)]
    for i in range(0, len(operations), 2):
        action = operations[i]
        out[zlib.crc32(action["index"]["_id"].encode()) % n] += operations[i : i + 2]
    return [part for part in out if part]


def raw_round(
    es: Elasticsearch,
    names: IndexNames,
    batches: list[list[dict[str, Any]]],
    n: int,
    readers: CpuReaders,
    errors: Errors,
) -> RoundTiming:
    """Bulk-load every batch (its parts side by side) into a fresh index; refresh and count."""
    create_index(es, names)
    for operations in batches:
        for action in operations[::2]:
            action["index"]["_index"] = names.write_alias
    ticker = Ticker("raw bulk written", n)
    cpu_start = cpu_snapshot(readers)
    timing = RoundTiming()
    timing.cpu_start = cpu_start
    with ThreadPoolExecutor(CONCURRENCY, thread_name_prefix="raw-bulk") as pool:
        for number, operations in enumerate(batches):
            ok = sum(pool.map(lambda part: _bulk_ok(es, part, errors), _parts(operations, CONCURRENCY)))
            ticker.add(ok)
            if number == 0:
                # The snapshot is taken before the clock starts, so it is not charged to the loader.
                timing.cpu_first = cpu_snapshot(readers)
                timing.first_at = time.perf_counter()
                timing.first_docs = ok
    timing.count = wait_count(es, names.read_alias, n)
    timing.ended_at = time.perf_counter()
    timing.cpu_end = cpu_snapshot(readers)
    return timing


def indexer_round(
    ctx: Context,
    number: int,
    names: IndexNames,
    group: str,
    n: int,
    es: Elasticsearch,
    readers: CpuReaders,
    errors: Errors,
) -> RoundTiming:
    """Start the indexer with a fresh group and prefix; time it until all N documents are counted."""
    port = free_port()
    service = ServiceProcess(
        "services.index",
        {
            "WIRESTREAM_KAFKA_BOOTSTRAP": ctx.infra.kafka_bootstrap,
            "WIRESTREAM_ES_URL": ctx.infra.es_url,
            "WIRESTREAM_TOPIC_PARTITIONS": str(PARTITIONS),
            "WIRESTREAM_TOPIC_REPLICATION": "1",
            "WIRESTREAM_INDEX_HOST": "127.0.0.1",
            "WIRESTREAM_INDEX_PORT": str(port),
            "WIRESTREAM_INDEX_GROUP_ID": group,
            "WIRESTREAM_INDEX_INDEX_PREFIX": names.prefix,
            "WIRESTREAM_INDEX_MAPPING_VERSION": str(names.version),
            "WIRESTREAM_INDEX_BATCH_MAX_DOCS": str(BATCH_DOCS),
            "WIRESTREAM_LOG_LEVEL": "WARNING",
        },
        ctx.logs_dir / f"index-round{number}.log",
    )
    readers = {**readers, "index service": service.cpu_seconds}
    url = f"http://127.0.0.1:{port}/metrics"
    names_of_metrics = (WRITTEN, SUPERSEDED, DEAD)
    ticker = Ticker("indexer settled", n)
    timeout_s = 120.0 + n / 50
    cpu_start = cpu_snapshot(readers)
    timing = RoundTiming()
    timing.cpu_start = cpu_start
    service.start()
    progress(f"  indexer started (group {group}, index {names.concrete}, log {service.log_file})")
    try:
        with httpx.Client(timeout=2.0) as client:
            deadline = time.monotonic() + timeout_s
            reported = 0
            while True:
                code = service.exited()
                if code is not None:
                    raise RuntimeError(f"services.index exited with {code}:\n{service.log_tail()}")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"indexer settled {reported}/{n} after {timeout_s:.0f}s")
                try:
                    text = client.get(url).text
                except httpx.HTTPError:
                    time.sleep(METRICS_POLL_S)
                    continue
                seen_at = time.perf_counter()
                values = metric_values(text, names_of_metrics)
                settled = round(sum(values.values()))
                if settled > reported:
                    ticker.add(settled - reported)
                    reported = settled
                if settled and not timing.first_docs:
                    timing.first_at = seen_at
                    timing.first_docs = settled
                    timing.cpu_first = cpu_snapshot(readers)
                if settled >= n:
                    break
                time.sleep(METRICS_POLL_S)
            timing.count = wait_count(es, names.read_alias, n)
            timing.ended_at = time.perf_counter()
            timing.cpu_end = cpu_snapshot(readers)
            final = metric_values(client.get(url).text, names_of_metrics)
    finally:
        service.stop()
    if final[WRITTEN] < n or final[SUPERSEDED] or final[DEAD]:
        errors.add(
            f"round {number}: indexer wrote {final[WRITTEN]:.0f}, superseded {final[SUPERSEDED]:.0f}, "
            f"dead-lettered {final[DEAD]:.0f} of {n}"
        )
    # Writing a document twice is harmless (same version) but costs time: report it, with the
    # consumer restarts that cause it (an uncommitted batch is read again).
    timing.rewritten = round(final[WRITTEN]) - n
    timing.restarts = service.log_tail(10_000).count("index consumer failed; restarting")
    if timing.rewritten or timing.restarts:
        progress(
            f"  indexer wrote {timing.rewritten} documents twice; consumer restarts: {timing.restarts} "
            f"(see {service.log_file})"
        )
    return timing


def _record(workload: Workload, timing: RoundTiming, n: int, doc_bytes: int, *, steady: bool) -> float:
    docs = n - timing.first_docs if steady else n
    return workload.add(
        articles=docs,
        seconds=timing.steady_s if steady else timing.total_s,
        payload_bytes=doc_bytes * docs // n,
        cpu_seconds=cpu_used(timing.cpu_first if steady else timing.cpu_start, timing.cpu_end),
    )


def run(ctx: Context) -> BenchmarkResult:
    bootstrap = ctx.infra.kafka_bootstrap
    rounds = SMOKE_ROUNDS if ctx.smoke else FULL_ROUNDS
    # At least two batches, so that a steady window remains after the first one.
    n = max(2 * BATCH_DOCS, ctx.count(full=FULL_ARTICLES, smoke=SMOKE_ARTICLES))
    stamp = datetime.now(UTC).strftime("%Y%m%dt%H%M%S")
    result = BenchmarkResult(
        "index",
        "Index throughput",
        params={
            "articles": n,
            "rounds": rounds,
            "batch_max_docs": BATCH_DOCS,
            "mapping_version": MAPPING_VERSION,
            "partitions": PARTITIONS,
        },
    )
    errors = Errors("index")

    progress(f"building {n} enriched articles (submission -> to_raw_article -> enrich)")
    began = time.perf_counter()
    records = enriched_records(n)
    batches, doc_bytes = bulk_batches([value for _, value in records])
    result.params["build_s"] = round(time.perf_counter() - began, 1)
    result.params["mean_record_bytes"] = round(sum(len(v) for _, v in records) / n)
    result.params["mean_document_bytes"] = round(doc_bytes / n)
    if len({key for key, _ in records}) != n:
        result.errors.append("the generated articles do not have unique ids")
        return result

    ensure_topics(bootstrap, PARTITIONS, 1, (ENRICHED,))
    before = end_offsets_total(bootstrap, ENRICHED.name)
    if before:
        result.errors.append(f"{ENRICHED.name} already holds {before} records; it must hold only ours")
        return result
    progress(f"producing {n} records to {ENRICHED.name}")
    produce_errors = Errors("produce")
    result.params["produce_s"] = round(produce(bootstrap, records, produce_errors), 1)
    del records
    have = end_offsets_total(bootstrap, ENRICHED.name)
    result.params[f"records_on_{ENRICHED.name}"] = have
    result.errors += produce_errors.report()
    if have != n:
        result.errors.append(f"{ENRICHED.name} holds {have} records, expected exactly {n}")
    if result.errors:
        return result

    raw = Workload(
        "raw_bulk",
        f"{RAW_LABEL} (ceiling)",
        notes="pre-built documents, the indexer's request shape; timed from the first acknowledged batch "
        "to refresh + count = N, first batch not counted; bytes are document JSON",
    )
    indexer = Workload(
        "indexer",
        "services.index from articles.enriched",
        notes="timed from the first written batch (its /metrics) to refresh + count = N on its read "
        "alias, first batch not counted; bytes are document JSON",
    )
    from_spawn = Workload(
        "indexer_from_spawn",
        "services.index incl. start-up",
        notes="the same rounds timed from process spawn, all N documents counted",
    )
    broker_pid = kafka(ctx.infra).pid()
    es_pid = elasticsearch(ctx.infra).pid()
    es = Elasticsearch(ctx.infra.es_url, request_timeout=30)
    readers: CpuReaders = {
        "bench client": time.process_time,
        "kafka broker": lambda: proc_cpu_seconds(broker_pid),
        "elasticsearch": lambda: tree_cpu_seconds(es_pid),
    }
    startup: list[float] = []
    rewritten: list[int] = []
    restarts: list[int] = []
    first_docs: dict[str, list[int]] = {"raw_bulk": [], "indexer": []}
    try:
        # Untimed: a fresh node compiles its hot paths over the first ten thousand documents or
        # so. (With two batches of warm-up, round 1 of both workloads ran a third below the others.)
        warm = IndexNames(f"bench-warmup-{stamp}", MAPPING_VERSION)
        warm_errors = Errors("warm-up")
        raw_round(es, warm, batches, n, {}, warm_errors)
        es.indices.delete(index=warm.concrete)
        result.errors += warm_errors.report()

        for number in range(1, rounds + 1):
            step = f"round {number}/{rounds}"
            # Which goes first alternates, so that a drift in the machine's load (it is shared)
            # weighs on both workloads alike.
            for workload in ("raw", "indexer") if number % 2 else ("indexer", "raw"):
                prefix = f"bench-{workload}-{stamp}-r{number}"
                names = IndexNames(prefix, MAPPING_VERSION)
                progress(f"{step}: {workload}, {n} documents into {names.concrete}")
                if workload == "raw":
                    timing = raw_round(es, names, batches, n, readers, errors)
                    rate = _record(raw, timing, n, doc_bytes, steady=True)
                    first_docs["raw_bulk"].append(timing.first_docs)
                else:
                    timing = indexer_round(ctx, number, names, prefix, n, es, readers, errors)
                    rate = _record(indexer, timing, n, doc_bytes, steady=True)
                    _record(from_spawn, timing, n, doc_bytes, steady=False)
                    startup.append(round(timing.startup_s, 2))
                    first_docs["indexer"].append(timing.first_docs)
                    rewritten.append(timing.rewritten)
                    restarts.append(timing.restarts)
                extra = f", start-up {timing.startup_s:.1f}s" if workload == "indexer" else ""
                progress(f"{step}: {workload} {rate:,.0f} docs/s{extra}; index holds {timing.count}")
                if timing.count != n:
                    result.errors.append(f"{step}: {names.concrete} holds {timing.count} documents, not {n}")
                else:
                    es.indices.delete(index=names.concrete)
    finally:
        es.close()

    result.errors += errors.report()
    result.measurements = [raw.measurement(), indexer.measurement(), from_spawn.measurement()]
    result.params["indexer_startup_s"] = startup
    result.params["first_batch_docs"] = first_docs
    result.params["indexer_docs_written_twice"] = rewritten
    result.params["indexer_consumer_restarts"] = restarts
    result.params["indexer_vs_raw_per_round"] = per_round_ratios(indexer, raw)
    result.checks = [
        ratio_check(
            "indexer_vs_raw_bulk",
            "indexer / raw bulk (documents/s, steady state)",
            indexer,
            raw,
            RATIO_TARGET,
        )
    ]
    return result


BENCHMARK = Benchmark("index", "Index throughput: raw _bulk loader vs the indexer service", run)
