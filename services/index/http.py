"""Index's HTTP edge: health, readiness and metrics; the consumer runs beside it in a thread."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from elasticsearch import Elasticsearch
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from services.common import shutdown
from services.common.probes import tcp_reachable
from services.common.progress import Progress
from services.common.topic_admin import ensure_topics
from services.index.bulk_writer import BulkWriter
from services.index.consumer import IndexConsumer, IndexMetrics
from services.index.mapping import IndexNames
from services.index.settings import IndexSettings

log = logging.getLogger(__name__)


def create_app(settings: IndexSettings) -> Starlette:
    metrics = IndexMetrics(CollectorRegistry())
    es = Elasticsearch(settings.es_url, request_timeout=30)
    stop = threading.Event()
    writer = BulkWriter(
        es,
        IndexNames(settings.index_prefix, settings.mapping_version),
        retry_initial_s=settings.retry_initial_s,
        retry_max_s=settings.retry_max_s,
        stop=stop,
        concurrency=settings.bulk_concurrency,
    )
    # Here rather than in the consumer: a consumer restarted after a failure takes the same
    # records again, and must not look fresh for it.
    progress = Progress(settings.stall_after_s)
    consumer = IndexConsumer(settings, writer, metrics, stop, progress)

    def run() -> None:
        while not stop.is_set():
            try:
                ensure_topics(settings.kafka_bootstrap, settings.topic_partitions, settings.topic_replication)
                writer.ensure_index()
                consumer.es_available = True
                consumer.run()
            except Exception:
                log.exception("index consumer failed; restarting")
                stop.wait(2.0)

    thread = threading.Thread(target=run, name="index-consumer", daemon=True)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        thread.start()
        yield
        stop.set()
        thread.join(timeout=shutdown.time_left(settings.shutdown_timeout_s))
        writer.close()
        es.close()

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        checks = {
            "consumer": consumer.running,
            "kafka": tcp_reachable(settings.kafka_bootstrap),
            "elasticsearch": consumer.es_available,
        }
        stalled = ["index"] if progress.stalled(time.monotonic()) else []
        ready = all(checks.values()) and not stalled
        return JSONResponse(
            {"status": "ready" if ready else "unavailable", **checks, "stalled": stalled},
            200 if ready else 503,
        )

    async def prometheus(request: Request) -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    app = Starlette(
        routes=[Route("/healthz", healthz), Route("/readyz", readyz), Route("/metrics", prometheus)],
        lifespan=lifespan,
    )
    app.state.consumer = consumer
    return app
