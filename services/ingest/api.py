"""Ingest's app: the wiring of its edges, its routes and its one error shape. No rules live here.

What a body means is services/ingest/submissions.py, what is answered once Kafka did or
did not acknowledge is services/ingest/delivery.py, the routes are services/ingest/routes.py.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.common.topic_admin import ensure_topics
from services.ingest import problems
from services.ingest.access import OperatorPages
from services.ingest.delivery import Delivery
from services.ingest.metrics import IngestMetrics
from services.ingest.problems import PROBLEM_JSON, Problem
from services.ingest.publisher import KafkaPublisher
from services.ingest.routes import Gate, submission_schema, write_routes
from services.ingest.settings import IngestSettings

log = logging.getLogger(__name__)


def create_app(settings: IngestSettings) -> FastAPI:
    metrics = IngestMetrics()
    publisher = KafkaPublisher(
        settings.kafka_bootstrap,
        timeout_s=settings.publish_timeout_s,
        on_connect=lambda: ensure_topics(
            settings.kafka_bootstrap, settings.topic_partitions, settings.topic_replication
        ),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        publisher.start()
        yield
        publisher.close()

    app = FastAPI(
        title="Wirestream ingest",
        version="1",
        summary="Accepts news articles and publishes them to Kafka once Kafka has acknowledged them.",
        lifespan=lifespan,
    )
    app.add_middleware(OperatorPages, settings=settings)
    app.state.publisher = publisher
    app.state.metrics = metrics
    delivery = Delivery(publisher, metrics, retry_after_s=settings.retry_after_s)
    app.include_router(write_routes(settings, Gate(settings), delivery))
    _answer_errors_as_problems(app, metrics)

    @app.get("/healthz", summary="Liveness: the process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", summary="Readiness: Kafka is reachable and the topics exist")
    async def readyz() -> JSONResponse:
        ready = publisher.reachable()
        return JSONResponse(
            {"status": "ready" if ready else "unavailable", "kafka": ready}, 200 if ready else 503
        )

    @app.get("/metrics", summary="Prometheus metrics")
    async def prometheus() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    _register_schemas(app)
    return app


def _answer_errors_as_problems(app: FastAPI, metrics: IngestMetrics) -> None:
    """Every error the API gives is problem+json, a bug's too (logged, never bare text)."""

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> Response:
        if exc.status != 503:
            metrics.rejected.labels(exc.slug).inc()
        return JSONResponse(exc.body(request.url.path), exc.status, exc.headers, media_type=PROBLEM_JSON)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.error("unexpected error", exc_info=exc, extra={"path": request.url.path})
        problem = Problem(500, "internal-error", "Internal error", "The request failed unexpectedly")
        return JSONResponse(problem.body(request.url.path), 500, media_type=PROBLEM_JSON)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        problem = Problem(exc.status_code, "http-error", str(exc.detail), str(exc.detail))
        return JSONResponse(problem.body(request.url.path), exc.status_code, media_type=PROBLEM_JSON)

    @app.exception_handler(RequestValidationError)
    async def _request_validation(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            # A pointer into the body the client sent: FastAPI's leading "body" is not part of it.
            {
                "pointer": problems.json_pointer(tuple(e["loc"])[1 if e["loc"][:1] == ("body",) else 0 :]),
                "message": e["msg"],
            }
            for e in exc.errors()
        ]
        problem = Problem(422, "validation-error", "Invalid request", "The request is not valid", errors)
        return JSONResponse(problem.body(request.url.path), 422, media_type=PROBLEM_JSON)


def _register_schemas(app: FastAPI) -> None:
    """Put the submission model into the OpenAPI components that the bodies refer to."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = original()
        definition = submission_schema()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.update(definition.pop("$defs", {}))
        components["ArticleSubmission"] = definition
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
