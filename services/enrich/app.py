"""The Faust edge of enrich: two agents around the pure pipeline.

    articles.raw (N partitions) --analyse--> articles.analysed (1 partition) --link--> articles.enriched
                                                                                   `-> articles.links
    articles.engagement (1 partition) --count--> the same recent-articles state

*analyse* is the costly per-article work (language, NER, facts, fingerprint): every
worker takes a share of the raw partitions and runs the model on batches. *link* needs
every recent article in one place; its input has one partition, so one worker owns the
linking state at a time, all workers see one order, and another takes over on failure.
The state is a Faust table whose changelog a restarted or new owner recovers from; the
lookups built on it (MinHash LSH, entity and headline indexes) are rebuilt after each
rebalance.

Delivery is at least once: an event is acknowledged after its outputs were handed to
the producer, and Faust flushes the producer before it commits offsets. Outputs are
keyed by article id, the enriched topic is compacted and the indexer writes with
external versions, so a replay after a crash is harmless.

A message that fails a step goes to `articles.dlq` with the step, error and original
bytes, and the stream goes on. Those rules are services/enrich/stages.py; this module only
wires Faust's topics, table and acknowledgements to them.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections import deque
from datetime import UTC, datetime
from typing import Any

import faust
from aiokafka.errors import KafkaError
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from services.common.dead_letters import dead_letter
from services.common.errors import ModelFailure, ModelUnavailable, PublishUnavailable
from services.common.logging import logging_dict_config
from services.common.probes import tcp_reachable
from services.common.progress import Progress
from services.common.topics import (
    ANALYSED,
    DLQ,
    ENGAGEMENT,
    ENRICHED,
    LINKS,
    MAX_RECORD_BYTES,
    RAW,
    TopicSpec,
)
from services.enrich.mentions import Found
from services.enrich.model_process import ModelProcess
from services.enrich.pipeline import load_lookups
from services.enrich.recent import RecentArticles
from services.enrich.settings import EnrichSettings
from services.enrich.stages import AnalyseStage, LinkingState, LinkStage, Message, RawBatch

log = logging.getLogger(__name__)

# The topics the stages write besides articles.analysed, which the link agent also reads.
OUTPUTS = (ENRICHED, LINKS, DLQ)

# Raw batches between being read and being published: one in the model, the others queued.
IN_FLIGHT_BATCHES = 3


class EnrichMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.analysed = Counter(
            "wirestream_enrich_analysed_total", "Articles analysed.", registry=self.registry
        )
        self.linked = Counter(
            "wirestream_enrich_linked_total", "Articles linked and published.", registry=self.registry
        )
        self.link_updates = Counter(
            "wirestream_enrich_link_updates_total",
            "Related-list updates of older articles.",
            registry=self.registry,
        )
        self.dead_letters = Counter(
            "wirestream_enrich_dead_letters_total",
            "Messages sent to the DLQ.",
            ["step"],
            registry=self.registry,
        )
        self.batch_seconds = Histogram(
            "wirestream_enrich_analyse_batch_seconds",
            "From a batch read off articles.raw to its results published (model queue included).",
            registry=self.registry,
        )
        self.recent = Gauge(
            "wirestream_enrich_recent_articles", "Articles held for linking.", registry=self.registry
        )


# RocksDB's memory: Faust's defaults (3 x 64 MB write buffers, a 2 GB block cache) are
# sized for a server of its own. The table is written an article at a time and read whole
# only to rebuild the lookups, so small buffers cost nothing and keep the worker in budget.
TABLE_STORE_OPTIONS = {
    "write_buffer_size": 4 * 2**20,
    "max_write_buffer_number": 2,
    "block_cache_size": 8 * 2**20,
}


def create_app(settings: EnrichSettings, model: ModelProcess | None = None) -> faust.App:
    app = faust.App(
        settings.app_id,
        broker=[f"kafka://{server.strip()}" for server in settings.kafka_bootstrap.split(",")],
        key_serializer="raw",
        value_serializer="raw",
        processing_guarantee="at_least_once",
        consumer_auto_offset_reset="earliest",
        producer_max_request_size=MAX_RECORD_BYTES,
        broker_session_timeout=settings.session_timeout_s,
        topic_partitions=settings.topic_partitions,
        topic_replication_factor=settings.topic_replication,
        web_enabled=True,
        web_bind=settings.host,
        web_host=settings.host,
        web_port=settings.port,
        datadir=settings.data_dir,
        # Faust's production store: the table lives in RocksDB files under data_dir, not in
        # the worker's heap (its JSON was 6.7 KB an article held), and a restarted worker
        # reads the changelog only from where its files end.
        store="rocksdb://",
        logging_config=logging_dict_config("enrich", settings.log_level),
    )
    raw_topic = app.topic(RAW.name, key_type=bytes, value_type=bytes)
    analysed_topic = app.topic(
        ANALYSED.name, key_type=bytes, value_type=bytes, partitions=ANALYSED.partitions
    )
    engagement_topic = app.topic(
        ENGAGEMENT.name, key_type=bytes, value_type=bytes, partitions=ENGAGEMENT.partitions
    )
    # One partition, like the topics that write it: it lives where linking runs.
    # Keys are article ids and values RecentArticle JSON, both as str: a table's codec follows
    # its key and value types (json for plain types), in writes and in changelog recovery alike.
    recent_table = app.Table(
        "recent-articles", partitions=1, key_type=str, value_type=str, options=TABLE_STORE_OPTIONS
    )

    metrics = EnrichMetrics()
    model = model or ModelProcess(cpus=settings.model_cpus)
    load_lookups()
    topics = {
        spec.name: app.topic(spec.name, key_type=bytes, value_type=bytes) for spec in (ENRICHED, LINKS, DLQ)
    }
    topics[ANALYSED.name] = analysed_topic

    async def send(spec: TopicSpec, key: bytes, value: bytes) -> None:
        try:
            await topics[spec.name].send(key=key, value=value)
        except KafkaError as exc:
            raise PublishUnavailable(f"Kafka did not take the record for {spec.name}: {exc}") from exc

    async def to_dlq(message: Message, step: str, error: BaseException) -> None:
        metrics.dead_letters.labels(step).inc()
        letter = dead_letter(
            "enrich",
            error,
            message.value or b"",
            step=step,
            error_class=error.error_class if isinstance(error, ModelFailure) else None,
            key=message.key,
            topic=message.topic,
            partition=message.partition,
            offset=message.offset,
        )
        log.warning(
            "dead letter", extra={"step": step, "offset": message.offset, "error": letter.error_class}
        )
        await send(DLQ, message.key or b"", letter.model_dump_json().encode())

    analyser = AnalyseStage(send, to_dlq, words_per_minute=settings.words_per_minute)
    linking = LinkStage(
        LinkingState(RecentArticles(settings.recent_window, settings.near_duplicate_threshold), recent_table),
        send,
        to_dlq,
        settings.links,
    )
    state = {"agents_running": 0, "recovered": False, "model_ready": False}
    # Each agent's events taken and finished, for /readyz: an agent can run and get nowhere.
    progress = {name: Progress(settings.stall_after_s) for name in ("analyse", "link", "count-engagement")}

    @app.on_partitions_assigned.connect  # type: ignore[arg-type]
    async def _forget_moved(sender: Any, assigned: Any, *args: Any, **kwargs: Any) -> None:
        for agent in progress.values():  # the whole new assignment: what is not in it moved
            agent.retain(assigned)

    @app.on_before_shutdown.connect  # type: ignore[arg-type]
    async def _stop_model(sender: Any, *args: Any, **kwargs: Any) -> None:
        model.close()

    @app.on_rebalance_complete.connect  # type: ignore[arg-type]  # mode's receiver type is narrower than its calls
    async def _state_moved(sender: Any, *args: Any, signal: Any, **kwargs: Any) -> None:
        linking.state.invalidate()  # the table may hold other partitions now: rebuild the lookups
        state["recovered"] = True

    @app.agent(raw_topic, name="analyse")
    async def analyse(stream: faust.StreamT[bytes]) -> None:
        state["agents_running"] += 1
        try:
            await model.warm_up()
        except ModelUnavailable as exc:  # every article would fail: stop rather than dead-letter them
            await _stop_worker("the NER model cannot run", exc)
            raise
        state["model_ready"] = True
        # Batches in flight: the model reads one in its process with the next ones queued
        # behind it, while this loop reads further batches and finishes the oldest. (With
        # one batch queued, the model waited whenever linking held the event loop.) Events
        # are acked by hand once their results are handed to the producer, batch after batch
        # in order (noack_take is faust-streaming's; its StreamT stub predates it).
        finishing: deque[asyncio.Task[None]] = deque()

        def finished(events: list[faust.EventT], task: asyncio.Task[None]) -> None:
            if not task.cancelled() and task.exception() is None:
                for event in events:
                    progress["analyse"].committed(event.message.tp, event.message.offset + 1)

        try:
            async for events in stream.noack_take(settings.batch_size, within=settings.batch_wait_s):  # type: ignore[attr-defined]
                for event in events:
                    progress["analyse"].taken(event.message.tp, event.message.offset)
                batch = RawBatch.read([event.message for event in events])
                found = asyncio.ensure_future(model.mentions(batch.prepared.model_texts()))
                after = finishing[-1] if finishing else None
                finishing.append(asyncio.create_task(_finish(stream, events, batch, found, after)))
                finishing[-1].add_done_callback(functools.partial(finished, events))
                while len(finishing) >= IN_FLIGHT_BATCHES or (finishing and finishing[0].done()):
                    await finishing.popleft()
        finally:
            for task in finishing:
                task.cancel()  # unacked: the events come again after a restart

    async def _stop_worker(why: str, exc: BaseException) -> None:
        """Stop the whole worker: a failed agent would only be restarted by Faust's supervisor.
        A restarted worker reads again from the last commit, so nothing is lost."""
        log.error(f"{why}; the worker stops", exc_info=exc)
        await app.crash(exc)

    async def _finish(
        stream: faust.StreamT[bytes],
        events: list[faust.EventT],
        batch: RawBatch,
        found: asyncio.Future[list[Found]],
        after: asyncio.Task[None] | None,
    ) -> None:
        """Publish a batch's results and ack its events, after the batch before it."""
        try:
            if after is not None:
                await after
            metrics.analysed.inc(await analyser.finish(batch, await found, datetime.now(UTC)))
            for event in events:
                await stream.ack(event)
            metrics.batch_seconds.observe(time.perf_counter() - batch.read_at)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # Kafka refused what its producer retried, or the model cannot run
            await _stop_worker("an analysed batch could not be finished", exc)
            raise

    @app.agent(analysed_topic, name="link")
    async def link_articles(stream: faust.StreamT[bytes]) -> None:
        state["agents_running"] += 1
        async for event in stream.events():
            progress["link"].taken(event.message.tp, event.message.offset)
            updates = await linking.link(event.message, datetime.now(UTC))
            if updates is not None:
                metrics.linked.inc()
                metrics.link_updates.inc(updates)
            metrics.recent.set(len(linking.state))
            progress["link"].committed(event.message.tp, event.message.offset + 1)

    @app.agent(engagement_topic, name="count-engagement")
    async def count_engagement(stream: faust.StreamT[bytes]) -> None:
        state["agents_running"] += 1
        async for event in stream.events():
            progress["count-engagement"].taken(event.message.tp, event.message.offset)
            await linking.count(event.message)
            progress["count-engagement"].committed(event.message.tp, event.message.offset + 1)

    @app.page("/healthz")
    async def healthz(web: Any, request: Any) -> Any:
        return web.json({"status": "ok"})

    @app.page("/readyz")
    async def readyz(web: Any, request: Any) -> Any:
        now = time.monotonic()
        stalled = [name for name, agent in progress.items() if agent.stalled(now)]
        ready = (
            state["agents_running"] >= 3
            and state["recovered"]  # the linking state is back from its changelog
            and state["model_ready"]  # the model is loaded in its process
            and not app.rebalancing
            and not stalled
            and tcp_reachable(settings.kafka_bootstrap)
        )
        return web.json(
            {"status": "ready" if ready else "unavailable", "stalled": stalled}, status=200 if ready else 503
        )

    @app.page("/metrics")
    async def prometheus(web: Any, request: Any) -> Any:
        # aiohttp refuses a charset inside content_type; the text format is UTF-8 anyway.
        return web.bytes(generate_latest(metrics.registry), content_type="text/plain; version=0.0.4")

    return app
