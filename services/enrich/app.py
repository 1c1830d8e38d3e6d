"""The Faust edge of enrich: consume `articles.raw`, run the pipeline, produce `articles.enriched`.

A message that cannot be processed goes to `articles.dlq` with its reason and
original bytes, and the stream goes on. Offsets are committed by Faust after
the event is processed (at-least-once); downstream writes are idempotent by
article id, so a replay after a crash is harmless.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import faust
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from schemas.article import RawArticle
from services.common.dead_letters import dead_letter
from services.common.logging import logging_dict_config
from services.common.probes import tcp_reachable
from services.common.topics import DLQ, ENRICHED, RAW
from services.enrich.pipeline import enrich
from services.enrich.settings import EnrichSettings

log = logging.getLogger(__name__)


def create_app(settings: EnrichSettings) -> faust.App:
    app = faust.App(
        settings.app_id,
        broker=[f"kafka://{server.strip()}" for server in settings.kafka_bootstrap.split(",")],
        key_serializer="raw",
        value_serializer="raw",
        processing_guarantee="at_least_once",
        consumer_auto_offset_reset="earliest",
        topic_partitions=settings.topic_partitions,
        topic_replication_factor=settings.topic_replication,
        web_enabled=True,
        web_bind=settings.host,
        web_host=settings.host,
        web_port=settings.port,
        datadir=settings.data_dir,
        store="memory://",
        logging_config=logging_dict_config("enrich", settings.log_level),
    )
    raw_topic = app.topic(RAW.name, key_type=bytes, value_type=bytes)
    enriched_topic = app.topic(ENRICHED.name, key_type=bytes, value_type=bytes)
    dlq_topic = app.topic(DLQ.name, key_type=bytes, value_type=bytes)

    registry = CollectorRegistry()
    processed = Counter("wirestream_enrich_processed_total", "Articles enriched.", registry=registry)
    failed = Counter(
        "wirestream_enrich_dead_letters_total", "Messages sent to the DLQ.", ["error"], registry=registry
    )
    seconds = Histogram("wirestream_enrich_seconds", "Time to enrich one article.", registry=registry)
    state = {"agent_running": False}

    @app.agent(raw_topic, name="enrich-articles")
    async def enrich_articles(stream: faust.StreamT[bytes]) -> None:
        state["agent_running"] = True
        async for event in stream.events():
            message = event.message
            value: bytes = event.value
            with seconds.time():
                try:
                    article = RawArticle.model_validate_json(value)
                    enriched = enrich(
                        article, now=datetime.now(UTC), words_per_minute=settings.words_per_minute
                    )
                except Exception as exc:  # any failure of a step: dead-letter it, keep the stream going
                    failed.labels(type(exc).__name__).inc()
                    letter = dead_letter(
                        "enrich",
                        exc,
                        value,
                        key=message.key,
                        topic=message.topic,
                        partition=message.partition,
                        offset=message.offset,
                    )
                    log.warning("dead letter", extra={"offset": message.offset, "error": letter.error_class})
                    await dlq_topic.send(key=message.key, value=letter.model_dump_json().encode())
                    continue
            await enriched_topic.send(key=article.id.encode(), value=enriched.model_dump_json().encode())
            processed.inc()

    @app.page("/healthz")
    async def healthz(web: Any, request: Any) -> Any:
        return web.json({"status": "ok"})

    @app.page("/readyz")
    async def readyz(web: Any, request: Any) -> Any:
        ready = state["agent_running"] and not app.rebalancing and tcp_reachable(settings.kafka_bootstrap)
        return web.json({"status": "ready" if ready else "unavailable"}, status=200 if ready else 503)

    @app.page("/metrics")
    async def metrics(web: Any, request: Any) -> Any:
        # aiohttp refuses a charset inside content_type; the text format is UTF-8 anyway.
        return web.bytes(generate_latest(registry), content_type="text/plain; version=0.0.4")

    return app
