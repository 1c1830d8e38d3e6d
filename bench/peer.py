"""The Kafka -> Elasticsearch leg against a peer: Benthos v4.27.0 beside our indexer, same topic and mapping.

Benthos (bench/benthos.yaml: a kafka_franz input on articles.enriched with a fresh
consumer group, a Bloblang mapping that builds the indexer's document, and an
elasticsearch output in batches of 500 with a few batches in flight) writes into
a fresh index made with our mapping and aliases; then our indexer
(`python -m services.index`, fresh group and prefix) reads the same records into
another. They alternate for a few rounds. Each is timed by the same poller: a
refresh + count on the read alias every 200 ms, from the first document counted
(steady state; those first documents are not counted) until every distinct id of
the topic is there; from process spawn as well.

The topic holds what the end-to-end benchmark's enrich worker produced when that
ran first in this run; otherwise N enriched records are built here as
bench/index_throughput.py builds them. The binary is built by scripts/install-benthos.sh when missing
(minutes; it needs Go), so this benchmark does nothing in a smoke run.
"""

from __future__ import annotations

import os
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

from elasticsearch import Elasticsearch

from bench import index_throughput
from bench.harness import (
    Benchmark,
    BenchmarkResult,
    Context,
    Workload,
    per_round_ratios,
    progress,
    ratio_check,
    topic_records,
    tree_cpu_seconds,
)
from bench.ingest_throughput import Errors, end_offsets_total
from bench.service import ServiceProcess, free_port
from infra.servers import elasticsearch
from infra.settings import REPO_ROOT
from services.common.topic_admin import ensure_topics
from services.common.topics import ENRICHED
from services.index.mapping import IndexNames

PARTITIONS = 3
VERSION = "v4.27.0"
BINARY = REPO_ROOT / ".state" / "tools" / "bin" / "benthos"
INSTALL = REPO_ROOT / "scripts" / "install-benthos.sh"
CONFIG = Path(__file__).resolve().parent / "benthos.yaml"
MAX_IN_FLIGHT = 4
FULL_ARTICLES = 12_000  # only when the topic is empty (e2e did not run before), as index's count
FULL_ROUNDS = 2
POLL_S = 0.2
# Our indexer should at least keep up with a general-purpose pipeline tool.
RATIO_TARGET = 1.0
MAPPING_VERSION = index_throughput.MAPPING_VERSION


def ensure_binary() -> Path:
    """The Benthos binary, built once into .state/tools/bin (several minutes) when missing."""
    if BINARY.exists():
        return BINARY
    progress(f"building Benthos {VERSION} with {INSTALL.name} (several minutes, needs Go)")
    done = subprocess.run(["bash", str(INSTALL), str(BINARY.parent)], capture_output=True, text=True)
    if done.returncode != 0 or not BINARY.exists():
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-15:])
        raise RuntimeError(f"could not build Benthos {VERSION}:\n{tail}")
    return BINARY


def distinct_keys(bootstrap: str) -> int:
    """How many distinct article ids articles.enriched holds (the count both indices must reach)."""
    return len({r.key for r in topic_records(bootstrap, ENRICHED.name, timeout_s=120) if r.key is not None})


class Timing:
    """Spawn, first documents counted, all counted; CPU seconds used from spawn to the end."""

    def __init__(self) -> None:
        self.spawned = time.perf_counter()
        self.first_at = 0.0
        self.first_docs = 0
        self.ended_at = 0.0
        self.count = 0
        self.cpu: dict[str, float] = {}


def wait_all(
    es: Elasticsearch, alias: str, want: int, process: ServiceProcess, es_pid: int | None, timeout_s: float
) -> Timing:
    """Refresh + count every POLL_S until `want` documents are on the alias (or the process dies)."""
    es_cpu = tree_cpu_seconds(es_pid)
    timing = Timing()
    process.start()
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            code = process.exited()
            if code is not None:
                raise RuntimeError(f"{process.module} exited with {code}:\n{process.log_tail()}")
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{process.module}: {timing.count}/{want} documents after {timeout_s:.0f}s"
                )
            if es.indices.exists(index=alias):
                timing.count = index_throughput.refreshed_count(es, alias)
                now = time.perf_counter()
                if timing.count and not timing.first_docs:
                    timing.first_at, timing.first_docs = now, timing.count
                if timing.count >= want:
                    timing.ended_at = now
                    timing.cpu = {
                        process.module: process.cpu_seconds(),
                        "elasticsearch": tree_cpu_seconds(es_pid) - es_cpu,
                    }
                    return timing
            time.sleep(POLL_S)
    finally:
        process.stop()


class BenthosProcess(ServiceProcess):
    """Benthos run like a service: same start, log and stop, another command."""

    def start(self) -> None:
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as out:
            self._proc = subprocess.Popen(
                [str(BINARY), "-c", str(CONFIG)],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, **self.env},
                cwd=REPO_ROOT,
                start_new_session=True,
            )


def benthos_round(
    ctx: Context, names: IndexNames, want: int, es: Elasticsearch, es_pid: int | None
) -> Timing:
    index_throughput.create_index(es, names)
    process = BenthosProcess(
        "benthos",
        {
            "KAFKA_BOOTSTRAP": ctx.infra.kafka_bootstrap,
            "BENTHOS_GROUP": names.prefix,
            "BENTHOS_HTTP_PORT": str(free_port()),
            "BENTHOS_MAX_IN_FLIGHT": str(MAX_IN_FLIGHT),
            "ES_URL": ctx.infra.es_url,
            "ES_INDEX": names.write_alias,
        },
        ctx.logs_dir / f"{names.prefix}.log",
    )
    return wait_all(es, names.read_alias, want, process, es_pid, timeout_s=120 + want / 20)


def indexer_round(
    ctx: Context, names: IndexNames, want: int, es: Elasticsearch, es_pid: int | None
) -> Timing:
    process = ServiceProcess(
        "services.index",
        {
            "WIRESTREAM_KAFKA_BOOTSTRAP": ctx.infra.kafka_bootstrap,
            "WIRESTREAM_ES_URL": ctx.infra.es_url,
            "WIRESTREAM_TOPIC_PARTITIONS": str(PARTITIONS),
            "WIRESTREAM_TOPIC_REPLICATION": "1",
            "WIRESTREAM_INDEX_HOST": "127.0.0.1",
            "WIRESTREAM_INDEX_PORT": str(free_port()),
            "WIRESTREAM_INDEX_GROUP_ID": names.prefix,
            "WIRESTREAM_INDEX_INDEX_PREFIX": names.prefix,
            "WIRESTREAM_INDEX_MAPPING_VERSION": str(names.version),
            "WIRESTREAM_LOG_LEVEL": "WARNING",
        },
        ctx.logs_dir / f"{names.prefix}.log",
    )
    return wait_all(es, names.read_alias, want, process, es_pid, timeout_s=120 + want / 20)


def run(ctx: Context) -> BenchmarkResult:
    result = BenchmarkResult("peer", "Kafka -> Elasticsearch: our indexer against Benthos")
    if ctx.smoke:
        result.params["skipped"] = "smoke run (building Benthos takes minutes and needs Go)"
        progress("peer: skipped in a smoke run")
        return result
    bootstrap = ctx.infra.kafka_bootstrap
    binary = ensure_binary()
    answer = subprocess.run([str(binary), "--version"], capture_output=True, text=True).stdout
    version = next((line.split()[-1] for line in answer.splitlines() if line.startswith("Version")), VERSION)
    ensure_topics(bootstrap, PARTITIONS, 1, (ENRICHED,))
    records = end_offsets_total(bootstrap, ENRICHED.name)
    if not records:
        n = ctx.count(full=FULL_ARTICLES, smoke=0)
        progress(f"{ENRICHED.name} is empty (e2e did not run first): building {n} enriched articles")
        produce_errors = Errors("produce")
        index_throughput.produce(bootstrap, index_throughput.enriched_records(n), produce_errors)
        result.errors += produce_errors.report()
        records = end_offsets_total(bootstrap, ENRICHED.name)
    want = distinct_keys(bootstrap)
    rounds = FULL_ROUNDS
    result.params.update(
        {
            "benthos": version,
            "config": str(CONFIG.relative_to(REPO_ROOT)),
            "max_in_flight": MAX_IN_FLIGHT,
            "records": records,
            "distinct_articles": want,
            "rounds": rounds,
        }
    )
    peer = Workload(
        "benthos",
        f"Benthos {VERSION}: kafka_franz -> mapping -> elasticsearch (500/batch, {MAX_IN_FLIGHT} in flight)",
        notes="steady state: from the first documents counted to all; no external versions "
        "(its output has none): a later record of an id simply overwrites",
    )
    ours = Workload("indexer", "services.index", notes="steady state, same poller")
    peer_spawn = Workload("benthos_from_spawn", "Benthos incl. start-up", notes="CPU seconds from spawn")
    ours_spawn = Workload(
        "indexer_from_spawn", "services.index incl. start-up", notes="CPU seconds from spawn"
    )
    stamp = datetime.now(UTC).strftime("%Y%m%dt%H%M%S")
    es = Elasticsearch(ctx.infra.es_url, request_timeout=60)
    es_pid = elasticsearch(ctx.infra).pid()
    try:
        for number in range(1, rounds + 1):
            for who in ("benthos", "indexer"):
                names = IndexNames(f"bench-peer-{who}-{stamp}-r{number}", MAPPING_VERSION)
                progress(f"round {number}/{rounds}: {who}, {want} documents into {names.concrete}")
                try:
                    if who == "benthos":
                        timing = benthos_round(ctx, names, want, es, es_pid)
                    else:
                        timing = indexer_round(ctx, names, want, es, es_pid)
                except (RuntimeError, TimeoutError) as exc:
                    result.errors.append(f"round {number} {who}: {exc}")
                    return result
                steady, spawn = (peer, peer_spawn) if who == "benthos" else (ours, ours_spawn)
                rate = steady.add(
                    articles=want - timing.first_docs,
                    seconds=timing.ended_at - timing.first_at,
                    payload_bytes=0,
                    cpu_seconds={},
                )
                spawn.add(
                    articles=want,
                    seconds=timing.ended_at - timing.spawned,
                    payload_bytes=0,
                    cpu_seconds=timing.cpu,
                )
                progress(f"round {number}/{rounds}: {who} {rate:,.0f} docs/s steady")
                es.indices.delete(index=names.concrete)
    finally:
        es.close()
    result.measurements = [
        peer.measurement(),
        ours.measurement(),
        peer_spawn.measurement(),
        ours_spawn.measurement(),
    ]
    result.params["indexer_vs_benthos_per_round"] = per_round_ratios(ours, peer)
    result.checks = [
        ratio_check(
            "indexer_vs_benthos",
            "our indexer / Benthos (documents/s, steady state)",
            ours,
            peer,
            RATIO_TARGET,
        )
    ]
    return result


BENCHMARK = Benchmark("peer", "Kafka -> Elasticsearch: our indexer against Benthos", run)
