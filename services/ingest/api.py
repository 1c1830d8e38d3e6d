"""The HTTP edge of ingest: read, validate, publish, answer. No Kafka or parsing logic lives here."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import TypeAdapter, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from schemas.article import ArticleSubmission, RawArticle
from schemas.control import ControlNotice
from schemas.engagement import EngagementEvent, EngagementSubmission
from services.common.topics import CONTROL, ENGAGEMENT, RAW, RAW_RECORD_BUDGET, ensure_topics
from services.ingest import problems
from services.ingest.auth import HEADER, authenticate
from services.ingest.formats.errors import FormatError
from services.ingest.formats.items import Withdrawal
from services.ingest.formats.registry import parse_raw, supported_types
from services.ingest.intake import to_raw_article, withdrawal_notice
from services.ingest.json_input import load_json
from services.ingest.metrics import IngestMetrics
from services.ingest.problems import PROBLEM_JSON, Problem
from services.ingest.publisher import KafkaPublisher, PublishUnavailable, Record, RecordRejected
from services.ingest.rate_limit import RateLimiter
from services.ingest.settings import IngestSettings

log = logging.getLogger(__name__)

T = TypeVar("T")

JSON_TYPES = ["application/json"]
NDJSON_TYPES = ["application/x-ndjson", "application/ndjson", "application/jsonl", "application/json-lines"]


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise problems.too_large(limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise problems.too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _record(article: RawArticle) -> Record:
    return Record(
        key=article.id,
        value=article.model_dump_json().encode(),
        headers=(
            ("schema_version", str(article.schema_version).encode()),
            ("content_type", article.ingest.content_type.encode()),
            ("revision", str(article.revision).encode()),
        ),
    )


def _notice_record(notice: ControlNotice) -> Record:
    return Record(
        key=notice.article_id,
        value=notice.model_dump_json().encode(),
        headers=(("schema_version", str(notice.schema_version).encode()), ("action", notice.action.encode())),
    )


def _parse_submission(data: bytes, *, key_id: str, content_type: str) -> RawArticle:
    """Bytes to a raw article, or a Problem that says exactly what is wrong."""
    payload = load_json(data)
    if not isinstance(payload, dict):
        raise Problem(
            422,
            "validation-error",
            "Invalid article",
            "An article is a JSON object",
            [{"pointer": "/", "message": "expected an object", "code": "object_type"}],
        )
    try:
        submission = ArticleSubmission.model_validate(payload)
        return to_raw_article(
            submission, received_at=datetime.now(UTC), key_id=key_id, content_type=content_type, original=data
        )
    except ValidationError as exc:
        raise problems.from_validation_error(exc) from exc


def _validated(build: Callable[[], T]) -> T:
    """A model built from what a parser read, or the 422 that says which field is wrong."""
    try:
        return build()
    except ValidationError as exc:
        raise problems.from_validation_error(exc) from exc


def _checked_record(article: RawArticle) -> Record:
    """The article's record, if every topic after ingest can carry it once enriched."""
    record = _record(article)
    if len(record.value) > RAW_RECORD_BUDGET:
        raise Problem(
            413,
            "too-large",
            "Article too large for the pipeline",
            f"The article is {len(record.value)} bytes as a record (body as text and HTML, and the "
            f"original); enriched, it must still fit the topics after ingest, so the limit is "
            f"{RAW_RECORD_BUDGET} bytes",
        )
    return record


def _accepted(article: RawArticle) -> dict[str, Any]:
    """What an answer says of an accepted article: its id and what ingest repaired in it."""
    return {
        "id": article.id,
        "revision": article.revision,
        "ingest_warnings": [w.model_dump() for w in article.ingest_warnings],
    }


ENGAGEMENT_COUNTS = TypeAdapter(list[EngagementSubmission])
MAX_ENGAGEMENT_COUNTS = 10_000


def _engagement_counts(data: bytes) -> list[EngagementSubmission]:
    payload = load_json(data)
    if isinstance(payload, list) and len(payload) > MAX_ENGAGEMENT_COUNTS:
        detail = f"{len(payload)} counts; at most {MAX_ENGAGEMENT_COUNTS}"
        raise Problem(413, "too-many-counts", "Too many counts", detail)
    try:
        return ENGAGEMENT_COUNTS.validate_python(payload)
    except ValidationError as exc:
        raise problems.from_validation_error(exc, "Invalid counts") from exc


def _format_problem(error: FormatError) -> Problem:
    return Problem(
        422,
        "unparseable-document",
        "The document could not be parsed",
        str(error),
        [{"location": error.location, "message": error.message}] if error.location else None,
    )


def create_app(settings: IngestSettings) -> FastAPI:
    metrics = IngestMetrics()
    limiter = RateLimiter(settings.rate_limit_per_s, settings.rate_limit_burst)
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
    app.state.publisher = publisher
    app.state.metrics = metrics

    def identify(request: Request) -> str:
        return authenticate(request.headers.get(HEADER), settings.api_keys, settings.auth_disabled)

    def throttle(key_id: str, cost: int) -> None:
        wait = limiter.take(key_id, cost)
        if wait:
            raise Problem(
                429,
                "rate-limited",
                "Too many articles",
                f"Key '{key_id}' is over {settings.rate_limit_per_s:g} articles/s",
                headers={"Retry-After": RateLimiter.retry_after_header(wait)},
            )

    async def publish(
        records: list[Record], endpoint: str, topic: str = RAW.name
    ) -> list[BaseException | None]:
        started = time.perf_counter()
        try:
            outcome = await publisher.publish(topic, records)
        except PublishUnavailable as exc:
            metrics.rejected.labels("kafka_unavailable").inc(len(records))
            raise problems.kafka_unavailable(str(exc), settings.retry_after_s) from exc
        metrics.publish_seconds.observe(time.perf_counter() - started)
        metrics.accepted.labels(endpoint).inc(sum(1 for o in outcome if o is None))
        return outcome

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> Response:
        if exc.status != 503:
            metrics.rejected.labels(exc.slug).inc()
        return JSONResponse(exc.body(request.url.path), exc.status, exc.headers, media_type=PROBLEM_JSON)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        """A bug, answered in the API's one error shape (and logged), never as bare text."""
        log.error("unexpected error", exc_info=exc, extra={"path": request.url.path})
        problem = Problem(500, "internal-error", "Internal error", "The request failed unexpectedly")
        return JSONResponse(problem.body(request.url.path), 500, media_type=PROBLEM_JSON)

    def count_warnings(articles: list[RawArticle]) -> None:
        for article in articles:
            for warning in article.ingest_warnings:
                metrics.warnings.labels(warning.code).inc()

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

    @app.post(
        "/v1/articles",
        status_code=202,
        summary="Publish one article (JSON)",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/ArticleSubmission"}}
                },
            }
        },
        responses={
            202: {"description": "Kafka acknowledged the article"},
            422: {"description": "Invalid article (problem+json, each invalid field by JSON Pointer)"},
            503: {"description": "Kafka did not acknowledge; retry after Retry-After seconds"},
        },
    )
    async def post_article(request: Request) -> JSONResponse:
        key_id = identify(request)
        throttle(key_id, 1)
        if _media_type(request) not in JSON_TYPES:
            raise problems.unsupported_media_type(_media_type(request), JSON_TYPES)
        data = await _read_body(request, settings.max_article_bytes)
        article = _parse_submission(data, key_id=key_id, content_type="application/json")
        (outcome,) = await publish([_checked_record(article)], "single")
        if isinstance(outcome, RecordRejected):
            raise Problem(413, "too-large", "Article too large for Kafka", str(outcome))
        count_warnings([article])
        return JSONResponse(_accepted(article), 202)

    @app.post(
        "/v1/articles:bulk",
        status_code=202,
        summary="Publish many articles, one JSON object per line (NDJSON), answered per line",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {t: {"schema": {"type": "string"}} for t in NDJSON_TYPES[:1]},
            }
        },
    )
    async def post_bulk(request: Request) -> JSONResponse:
        key_id = identify(request)
        if _media_type(request) not in NDJSON_TYPES:
            raise problems.unsupported_media_type(_media_type(request), NDJSON_TYPES)
        data = await _read_body(request, settings.max_bulk_bytes)
        lines = [(n, line) for n, line in enumerate(data.split(b"\n"), start=1) if line.strip()]
        if len(lines) > settings.max_bulk_lines:
            raise Problem(
                413,
                "too-many-lines",
                "Too many lines",
                f"{len(lines)} lines; the limit is {settings.max_bulk_lines}",
            )
        throttle(key_id, max(len(lines), 1))
        results: list[dict[str, Any]] = []
        articles: list[RawArticle] = []
        records: list[Record] = []
        slots: list[int] = []
        for number, line in lines:
            try:
                article = _parse_submission(line, key_id=key_id, content_type="application/x-ndjson")
                record = _checked_record(article)
            except Problem as problem:
                metrics.rejected.labels(problem.slug).inc()
                results.append({"line": number, "status": "rejected", "problem": problem.body()})
                continue
            slots.append(len(results))
            results.append({"line": number, "status": "accepted", **_accepted(article)})
            articles.append(article)
            records.append(record)
        count_warnings(articles)
        for slot, outcome in zip(slots, await publish(records, "bulk"), strict=True):
            if isinstance(outcome, RecordRejected):
                too_big = Problem(413, "too-large", "Article too large for Kafka", str(outcome))
                results[slot] = {
                    "line": results[slot]["line"],
                    "status": "rejected",
                    "problem": too_big.body(),
                }
        rejected = sum(1 for r in results if r["status"] == "rejected")
        return JSONResponse(
            {
                "accepted": len(results) - rejected,
                "rejected": rejected,
                "errors": rejected > 0,
                "items": results,
            },
            202,
        )

    @app.post(
        "/v1/articles:raw",
        status_code=202,
        summary="Publish the articles of a raw document (an article page, a wire-format file, a feed)",
        description="The Content-Type picks the parser; a document with several items is answered per item.",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {t: {"schema": {"type": "string"}} for t in supported_types()},
            }
        },
    )
    async def post_raw(request: Request) -> JSONResponse:
        key_id = identify(request)
        content_type = request.headers.get("content-type", "")
        if _media_type(request) not in supported_types():
            raise problems.unsupported_media_type(_media_type(request), supported_types())
        data = await _read_body(request, settings.max_page_bytes)
        try:
            parsed = parse_raw(data, content_type, source_timezone=settings.source_timezone)
        except FormatError as exc:
            raise _format_problem(exc) from exc
        throttle(key_id, max(len(parsed), 1))
        received_at = datetime.now(UTC)
        results: list[dict[str, Any]] = []
        articles: list[RawArticle] = []
        records: list[Record] = []
        notices: list[ControlNotice] = []
        for index, item in enumerate(parsed):
            try:
                if isinstance(item, FormatError):
                    raise _format_problem(item)
                if isinstance(item, Withdrawal):
                    notice = _validated(partial(withdrawal_notice, item, issued_at=received_at))
                    notices.append(notice)
                    results.append({"item": index, "status": "withdrawn", "id": notice.article_id})
                    continue
                article = _validated(
                    partial(
                        to_raw_article,
                        item,
                        received_at=received_at,
                        key_id=key_id,
                        content_type=content_type,
                        original=data,
                    )
                )
                record = _checked_record(article)
            except Problem as problem:
                metrics.rejected.labels(problem.slug).inc()
                results.append({"item": index, "status": "rejected", "problem": problem.body()})
                continue
            results.append(
                {"item": index, "status": "accepted", "headline": article.headline, **_accepted(article)}
            )
            articles.append(article)
            records.append(record)
        if not articles and not notices:
            raise Problem(
                422,
                "unparseable-document",
                "No article in the document could be taken",
                f"{len(results)} item(s), all rejected",
                [{"item": r["item"], **r["problem"]} for r in results],
            )
        count_warnings(articles)
        outcomes = iter(await publish(records, "raw"))
        for result in results:
            if result["status"] == "accepted" and isinstance(outcome := next(outcomes), RecordRejected):
                too_big = Problem(413, "too-large", "Article too large for Kafka", str(outcome))
                result.update(status="rejected", problem=too_big.body())
                for accepted_only in ("id", "revision", "ingest_warnings"):
                    result.pop(accepted_only)
        if notices:
            await publish([_notice_record(n) for n in notices], "control", topic=CONTROL.name)
        accepted = sum(1 for r in results if r["status"] == "accepted")
        withdrawn = len(notices)
        return JSONResponse(
            {
                "accepted": accepted,
                "withdrawn": withdrawn,
                "rejected": len(results) - accepted - withdrawn,
                "items": results,
            },
            202,
        )

    @app.post(
        "/v1/engagement",
        status_code=202,
        summary="Count readers' views and reactions (they order the Ranking links)",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ENGAGEMENT_COUNTS.json_schema()}},
            }
        },
        responses={
            202: {"description": "Kafka acknowledged every count"},
            422: {"description": "Invalid counts (problem+json, each invalid field by JSON Pointer)"},
            503: {"description": "Kafka did not acknowledge; retry after Retry-After seconds"},
        },
    )
    async def post_engagement(request: Request) -> JSONResponse:
        key_id = identify(request)  # before the body is read: a stranger learns nothing of its shape
        throttle(key_id, 1)
        if _media_type(request) not in JSON_TYPES:
            raise problems.unsupported_media_type(_media_type(request), JSON_TYPES)
        counts = _engagement_counts(await _read_body(request, settings.max_article_bytes))
        received_at = datetime.now(UTC)
        events = [
            EngagementEvent(article_id=c.article_id, kind=c.kind, count=c.count, at=c.at or received_at)
            for c in counts
        ]
        records = [
            Record(key=e.article_id, value=e.model_dump_json().encode(), headers=(("kind", e.kind.encode()),))
            for e in events
        ]
        outcomes = await publish(records, "engagement", topic=ENGAGEMENT.name)
        failed = [str(o) for o in outcomes if o is not None]
        if failed:
            raise problems.kafka_unavailable(failed[0], settings.retry_after_s)
        return JSONResponse({"accepted": len(events)}, 202)

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


def _register_schemas(app: FastAPI) -> None:
    """Put the submission model into the OpenAPI components that the bodies refer to."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = original()
        definition = ArticleSubmission.model_json_schema(ref_template="#/components/schemas/{model}")
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.update(definition.pop("$defs", {}))
        components["ArticleSubmission"] = definition
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
