"""Ingest's write endpoints: read the body, turn it into records, deliver, answer.

Each route is thin: the rules live in services/ingest/submissions.py (what a body means)
and services/ingest/delivery.py (what is answered once Kafka did or did not acknowledge).
The key is checked by a dependency, before the body is read. (No `from __future__ import
annotations` here: FastAPI reads the dependency from the annotation when the route is made.)
"""

from datetime import UTC, datetime
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from schemas.article import ArticleSubmission, IngestWarning
from services.common.errors import FormatError
from services.common.topics import ENGAGEMENT
from services.ingest import problems
from services.ingest.auth import HEADER, authenticate
from services.ingest.delivery import Delivery, Items, accepted
from services.ingest.formats.items import Skipped, Withdrawal
from services.ingest.formats.registry import parse_raw, supported_types
from services.ingest.intake import to_raw_article, withdrawal_notice
from services.ingest.problems import Problem
from services.ingest.rate_limit import RateLimiter
from services.ingest.settings import IngestSettings
from services.ingest.submissions import (
    ENGAGEMENT_COUNTS,
    article_record,
    engagement_records,
    format_problem,
    notice_record,
    parse_submission,
    validated,
)

JSON_TYPES = ["application/json"]
NDJSON_TYPES = ["application/x-ndjson", "application/ndjson", "application/jsonl", "application/json-lines"]


# --- answers, as the OpenAPI document shows them -------------------------------------------------


class Accepted(BaseModel):
    id: str
    revision: int
    ingest_warnings: list[IngestWarning] = Field(description="What ingest repaired instead of refusing.")


class ItemAnswers(BaseModel):
    accepted: int
    rejected: int
    items: list[dict[str, Any]] = Field(description="One answer per line or item, in order.")


class BulkAnswer(ItemAnswers):
    errors: bool = Field(description="Whether any line was rejected.")


class RawAnswer(ItemAnswers):
    withdrawn: int
    skipped: int


class EngagementAnswer(BaseModel):
    accepted: int


PUBLISH_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No key, or an unknown one (problem+json)"},
    413: {"description": "Over a limit (problem+json)"},
    429: {"description": "Over the key's rate; Retry-After says when (problem+json)"},
    503: {"description": "Kafka did not acknowledge; retry after Retry-After seconds (problem+json)"},
}


# --- the gate: who is asking, and may they now ----------------------------------------------------


class Gate:
    def __init__(self, settings: IngestSettings) -> None:
        self._settings = settings
        self._limiter = RateLimiter(settings.rate_limit_per_s, settings.rate_limit_burst)

    def identify(self, request: Request) -> str:
        """The key's id: a dependency, so it runs before anything reads the body."""
        return authenticate(
            request.headers.get(HEADER), self._settings.api_keys, self._settings.auth_disabled
        )

    def throttle(self, key_id: str, cost: int) -> None:
        wait = self._limiter.take(key_id, cost)
        if wait:
            raise Problem(
                429,
                "rate-limited",
                "Too many articles",
                f"Key '{key_id}' is over {self._settings.rate_limit_per_s:g} articles/s",
                headers={"Retry-After": RateLimiter.retry_after_header(wait)},
            )


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def require_type(request: Request, allowed: list[str]) -> None:
    if media_type(request) not in allowed:
        raise problems.unsupported_media_type(media_type(request), allowed)


async def read_body(request: Request, limit: int) -> bytes:
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


def _body(content: dict[str, Any]) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": content}}


# --- the routes -------------------------------------------------------------------------------------


def write_routes(settings: IngestSettings, gate: Gate, delivery: Delivery) -> APIRouter:
    router = APIRouter(prefix="/v1", responses=PUBLISH_ERRORS)
    KeyId = Annotated[str, Depends(gate.identify)]

    @router.post(
        "/articles",
        status_code=202,
        summary="Publish one article (JSON)",
        response_model=Accepted,
        openapi_extra=_body(
            {"application/json": {"schema": {"$ref": "#/components/schemas/ArticleSubmission"}}}
        ),
        responses={
            422: {"description": "Invalid article (problem+json, each invalid field by JSON Pointer)"}
        },
    )
    async def post_article(request: Request, key_id: KeyId) -> JSONResponse:
        gate.throttle(key_id, 1)
        require_type(request, JSON_TYPES)
        data = await read_body(request, settings.max_article_bytes)
        article = parse_submission(data, key_id=key_id, content_type="application/json")
        items = Items("item")
        items.accept(0, article, article_record(article))
        (answer,) = (await delivery.deliver(items, "single")).answers
        if answer["status"] == "rejected":
            problem = answer["problem"]
            raise Problem(problem["status"], "too-large", problem["title"], problem["detail"])
        return JSONResponse(accepted(article), 202)

    @router.post(
        "/articles:bulk",
        status_code=202,
        summary="Publish many articles, one JSON object per line (NDJSON), answered per line",
        response_model=BulkAnswer,
        openapi_extra=_body({NDJSON_TYPES[0]: {"schema": {"type": "string"}}}),
    )
    async def post_bulk(request: Request, key_id: KeyId) -> JSONResponse:
        require_type(request, NDJSON_TYPES)
        data = await read_body(request, settings.max_bulk_bytes)
        lines = [(n, line) for n, line in enumerate(data.split(b"\n"), start=1) if line.strip()]
        if len(lines) > settings.max_bulk_lines:
            detail = f"{len(lines)} lines; the limit is {settings.max_bulk_lines}"
            raise Problem(413, "too-many-lines", "Too many lines", detail)
        gate.throttle(key_id, max(len(lines), 1))
        items = Items("line")
        for number, line in lines:
            try:
                article = parse_submission(line, key_id=key_id, content_type="application/x-ndjson")
                items.accept(number, article, article_record(article))
            except Problem as problem:
                delivery.refused(problem)
                items.refuse(number, problem)
        await delivery.deliver(items, "bulk")
        rejected = items.count("rejected")
        answer = {"accepted": items.count("accepted"), "rejected": rejected, "errors": rejected > 0}
        return JSONResponse({**answer, "items": items.answers}, 202)

    @router.post(
        "/articles:raw",
        status_code=202,
        summary="Publish the articles of a raw document (an article page, a wire-format file, a feed)",
        description="The Content-Type picks the parser; a document with several items is answered per item.",
        response_model=RawAnswer,
        openapi_extra=_body({t: {"schema": {"type": "string"}} for t in supported_types()}),
    )
    async def post_raw(request: Request, key_id: KeyId) -> JSONResponse:
        require_type(request, supported_types())
        content_type = request.headers.get("content-type", "")
        data = await read_body(request, settings.max_page_bytes)
        try:
            parsed = parse_raw(data, content_type, source_timezone=settings.source_timezone)
        except FormatError as exc:
            raise format_problem(exc) from exc
        gate.throttle(key_id, max(len(parsed), 1))
        received_at = datetime.now(UTC)
        items = Items("item")
        for index, item in enumerate(parsed):
            try:
                if isinstance(item, FormatError):
                    raise format_problem(item)
                if isinstance(item, Skipped):
                    items.skip(index, item.reason)
                elif isinstance(item, Withdrawal):
                    notice = validated(partial(withdrawal_notice, item, issued_at=received_at))
                    items.withdraw(index, notice.article_id, notice_record(notice))
                else:
                    article = validated(
                        partial(
                            to_raw_article,
                            item,
                            received_at=received_at,
                            key_id=key_id,
                            content_type=content_type,
                            original=data,
                        )
                    )
                    items.accept(index, article, article_record(article), headline=article.headline)
            except Problem as problem:
                delivery.refused(problem)
                items.refuse(index, problem)
        if not items.anything_to_publish:
            raise Problem(
                422,
                "unparseable-document",
                "No article in the document could be taken",
                f"{len(items.answers)} item(s), none of them an article that could be taken",
                [{"item": a["item"], **a.get("problem", {"detail": a.get("reason")})} for a in items.answers],
            )
        await delivery.deliver(items, "raw")
        answer = {status: items.count(status) for status in ("accepted", "withdrawn", "skipped", "rejected")}
        return JSONResponse({**answer, "items": items.answers}, 202)

    @router.post(
        "/engagement",
        status_code=202,
        summary="Count readers' views and reactions (they order the Ranking links)",
        response_model=EngagementAnswer,
        openapi_extra=_body({"application/json": {"schema": ENGAGEMENT_COUNTS.json_schema()}}),
        responses={422: {"description": "Invalid counts (problem+json, each invalid field by JSON Pointer)"}},
    )
    async def post_engagement(request: Request, key_id: KeyId) -> JSONResponse:
        gate.throttle(key_id, 1)
        require_type(request, JSON_TYPES)
        records = engagement_records(await read_body(request, settings.max_article_bytes), datetime.now(UTC))
        outcomes = await delivery.publish(records, "engagement", ENGAGEMENT.name)
        failed = [str(o) for o in outcomes if o is not None]
        if failed:
            raise problems.kafka_unavailable(failed[0], settings.retry_after_s)
        return JSONResponse({"accepted": len(records)}, 202)

    return router


def submission_schema() -> dict[str, Any]:
    """The submission model's JSON Schema, for the OpenAPI components the article body refers to."""
    return ArticleSubmission.model_json_schema(ref_template="#/components/schemas/{model}")
