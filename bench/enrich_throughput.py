"""Enrich throughput: one worker against the NER model alone, on the same articles in the same run.

The NER model is the unavoidable cost of enrichment; the target is that everything
else (language detection, entity rules, facts, fingerprints, linking, JSON and Kafka)
adds at most 10% on top of it. N raw articles (bench.articles: 300-1,200 words) are
built once, then in interleaved rounds:

1. model: `NerModel.mentions` over the articles' texts in batches of the worker's
   batch size, in this process (the ceiling);
2. pipeline: the same articles through `Analyser.analyse_batch` and `link`, in this
   process, without Kafka (where the Python steps cost, without I/O);
3. worker: the real `python -m services.enrich` with a fresh app id, reading the N
   records from `articles.raw`; timed from its first analysed batch (its /metrics) to
   N articles linked, the first batch not counted. The enrich-internal topics are
   emptied before each round, so the worker reads only this round's work.

The worker's resident memory (with its model process) at the end of each round is reported too.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import httpx

from bench.articles import submission_bytes
from bench.harness import Benchmark, BenchmarkResult, Check, Context, Workload, progress, tree_rss_mb
from bench.index_throughput import metric_values
from bench.ingest_throughput import Errors
from bench.service import ServiceProcess, free_port
from schemas.article import ArticleSubmission, RawArticle
from services.common.topic_admin import ensure_topics, recreate_topics
from services.common.topics import ANALYSED, ENGAGEMENT, ENRICHED, LINKS, RAW
from services.enrich.entities import article_text
from services.enrich.linking import link
from services.enrich.pipeline import Analyser
from services.enrich.recent import RecentArticles
from services.enrich.settings import EnrichSettings
from services.ingest.auth import ANONYMOUS
from services.ingest.intake import to_raw_article

PARTITIONS = 3
FULL_ARTICLES, SMOKE_ARTICLES = 400, 40
FULL_ROUNDS, SMOKE_ROUNDS = 2, 1
TARGET_RATIO = 1 / 1.10  # the pipeline adds at most 10% over the model alone
DEFAULTS = EnrichSettings()
ANALYSED_METRIC = "wirestream_enrich_analysed_total"
LINKED_METRIC = "wirestream_enrich_linked_total"
DEAD_METRIC = "wirestream_enrich_dead_letters_total"


def raw_articles(n: int) -> list[RawArticle]:
    now = datetime.now(UTC)
    return [
        to_raw_article(
            ArticleSubmission.model_validate_json(data := submission_bytes(i)),
            received_at=now,
            key_id=ANONYMOUS,
            content_type="application/json",
            original=data,
        )
        for i in range(n)
    ]


def model_round(analyser: Analyser, articles: list[RawArticle]) -> float:
    texts = [article_text(a).text for a in articles]
    started = time.perf_counter()
    for start in range(0, len(texts), DEFAULTS.batch_size):
        analyser.model.mentions(texts[start : start + DEFAULTS.batch_size])
    return time.perf_counter() - started


def pipeline_round(analyser: Analyser, articles: list[RawArticle], errors: Errors) -> float:
    recent = RecentArticles(timedelta(hours=DEFAULTS.recent_window_hours), DEFAULTS.near_duplicate_threshold)
    started = time.perf_counter()
    for start in range(0, len(articles), DEFAULTS.batch_size):
        now = datetime.now(UTC)
        for result in analyser.analyse_batch(articles[start : start + DEFAULTS.batch_size], now):
            if isinstance(result, Exception):
                errors.add(repr(result))
                continue
            link(result, recent, DEFAULTS.links, now)
    return time.perf_counter() - started


def produce_raw(bootstrap: str, articles: list[RawArticle]) -> None:
    from kafka import KafkaProducer

    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=20, max_request_size=8 << 20)
    try:
        for article in articles:
            producer.send(RAW.name, key=article.id.encode(), value=article.model_dump_json().encode())
        producer.flush()
    finally:
        producer.close(timeout=10)


def worker_round(ctx: Context, number: int, n: int, errors: Errors) -> tuple[float, int, float, float]:
    """(steady seconds, articles in the steady window, start-up seconds, RSS MB at the end)."""
    bootstrap = ctx.infra.kafka_bootstrap
    recreate_topics(bootstrap, (ANALYSED, ENRICHED, LINKS, ENGAGEMENT), PARTITIONS, 1)
    port = free_port()
    app_id = f"bench-enrich-{datetime.now(UTC):%H%M%S}-r{number}"
    service = ServiceProcess(
        "services.enrich",
        {
            "WIRESTREAM_KAFKA_BOOTSTRAP": bootstrap,
            "WIRESTREAM_TOPIC_PARTITIONS": str(PARTITIONS),
            "WIRESTREAM_ENRICH_PORT": str(port),
            "WIRESTREAM_ENRICH_APP_ID": app_id,
            "WIRESTREAM_ENRICH_DATA_DIR": str(ctx.logs_dir / f"{app_id}-data"),
            "WIRESTREAM_LOG_LEVEL": "WARNING",
        },
        ctx.logs_dir / f"{app_id}.log",
    )
    spawned = time.perf_counter()
    service.start()
    first_at, first_done, rss = 0.0, 0, 0.0
    deadline = time.monotonic() + 180 + n
    try:
        with httpx.Client(timeout=2.0) as client:
            while True:
                if service.exited() is not None:
                    raise RuntimeError(f"services.enrich exited:\n{service.log_tail()}")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"enrich worker did not link {n} articles in time")
                try:
                    values = metric_values(
                        client.get(f"http://127.0.0.1:{port}/metrics").text,
                        (ANALYSED_METRIC, LINKED_METRIC, DEAD_METRIC),
                    )
                except httpx.HTTPError:
                    time.sleep(0.1)
                    continue
                seen = time.perf_counter()
                if values[ANALYSED_METRIC] and not first_at:
                    first_at, first_done = seen, int(values[ANALYSED_METRIC])
                if values[LINKED_METRIC] + values[DEAD_METRIC] >= n:
                    rss = tree_rss_mb(service.pid)
                    if values[DEAD_METRIC]:
                        errors.add(
                            f"round {number}: {values[DEAD_METRIC]:.0f} dead letters",
                            int(values[DEAD_METRIC]),
                        )
                    return seen - first_at, n - first_done, first_at - spawned, rss
                time.sleep(0.05)
    finally:
        service.stop()


def _add(workload: Workload, articles: int, seconds: float) -> float:
    return workload.add(articles=articles, seconds=seconds, payload_bytes=0, cpu_seconds={})


def run(ctx: Context) -> BenchmarkResult:
    n = ctx.count(full=FULL_ARTICLES, smoke=SMOKE_ARTICLES)
    rounds = SMOKE_ROUNDS if ctx.smoke else FULL_ROUNDS
    result = BenchmarkResult(
        "enrich",
        "Enrich throughput",
        params={"articles": n, "rounds": rounds, "batch_size": DEFAULTS.batch_size},
    )
    errors = Errors("enrich")
    progress(f"building {n} raw articles and loading the NER model")
    articles = raw_articles(n)
    analyser = Analyser.load()
    ensure_topics(ctx.infra.kafka_bootstrap, PARTITIONS, 1)
    recreate_topics(ctx.infra.kafka_bootstrap, (RAW,), PARTITIONS, 1)
    produce_raw(ctx.infra.kafka_bootstrap, articles)

    model = Workload("ner_model", f"{analyser.model.info.package} NER alone (ceiling)", notes="in-process")
    pipeline = Workload("pipeline", "analyse + link, in-process, no Kafka")
    worker = Workload(
        "worker",
        "services.enrich worker, Kafka in and out",
        notes="steady state, 1 worker (with its model process)",
    )
    startups, rss = [], []
    model_round(analyser, articles[: DEFAULTS.batch_size])  # untimed warm-up
    for number in range(1, rounds + 1):
        seconds = model_round(analyser, articles)
        progress(f"round {number}: model {_add(model, n, seconds):,.1f}/s")
        seconds = pipeline_round(analyser, articles, errors)
        progress(f"round {number}: pipeline {_add(pipeline, n, seconds):,.1f}/s")
        try:
            seconds, done, startup, memory = worker_round(ctx, number, n, errors)
        except (RuntimeError, TimeoutError) as exc:
            result.errors.append(str(exc))
            break
        startups.append(round(startup, 1))
        rss.append(round(memory))
        progress(f"round {number}: worker {_add(worker, done, seconds):,.1f}/s, RSS {memory:.0f} MB")

    result.errors += errors.report()
    result.measurements = [model.measurement(), pipeline.measurement(), worker.measurement()]
    result.params["worker_startup_s"] = startups
    result.params["worker_rss_mb"] = rss
    model_rate = model.measurement().per_s
    if model_rate and worker.rounds_per_s:
        result.checks = [
            Check(
                "worker_vs_model",
                "enrich worker / NER model alone",
                worker.measurement().per_s / model_rate,
                round(TARGET_RATIO, 3),
            ),
            Check(
                "pipeline_vs_model",
                "in-process pipeline / NER model alone",
                pipeline.measurement().per_s / model_rate,
                round(TARGET_RATIO, 3),
            ),
            Check(
                "worker_rss_mb",
                "worker RSS with the model loaded",
                max(rss),
                600.0,
                "MB",
                higher_is_better=False,
            ),
        ]
    return result


BENCHMARK = Benchmark("enrich", "Enrich throughput", run)
