"""From the bytes a client sent to the records ingest publishes, or the Problem that says why not: pure."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from pydantic import TypeAdapter, ValidationError

from schemas.article import ArticleSubmission, RawArticle
from schemas.control import ControlNotice
from schemas.engagement import EngagementEvent, EngagementSubmission
from services.common.errors import FormatError
from services.common.topics import RAW_RECORD_BUDGET
from services.ingest import problems
from services.ingest.delivery import Record
from services.ingest.intake import to_raw_article
from services.ingest.json_input import load_json
from services.ingest.problems import Problem

T = TypeVar("T")

ENGAGEMENT_COUNTS = TypeAdapter(list[EngagementSubmission])
MAX_ENGAGEMENT_COUNTS = 10_000


def parse_submission(data: bytes, *, key_id: str, content_type: str) -> RawArticle:
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
    return validated(
        lambda: to_raw_article(
            ArticleSubmission.model_validate(payload),
            received_at=datetime.now(UTC),
            key_id=key_id,
            content_type=content_type,
            original=data,
        )
    )


def validated(build: Callable[[], T]) -> T:
    """A model built from what a client or a parser gave, or the 422 naming each wrong field."""
    try:
        return build()
    except ValidationError as exc:
        raise problems.from_validation_error(exc) from exc


def article_record(article: RawArticle) -> Record:
    """The article's record, if every topic after ingest can carry it once enriched."""
    record = Record(
        key=article.id,
        value=article.model_dump_json().encode(),
        headers=(
            ("schema_version", str(article.schema_version).encode()),
            ("content_type", article.ingest.content_type.encode()),
            ("revision", str(article.revision).encode()),
        ),
    )
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


def notice_record(notice: ControlNotice) -> Record:
    return Record(
        key=notice.article_id,
        value=notice.model_dump_json().encode(),
        headers=(("schema_version", str(notice.schema_version).encode()), ("action", notice.action.encode())),
    )


def engagement_records(data: bytes, received_at: datetime) -> list[Record]:
    """A body of counts as engagement events' records; the time received stands in for a missing one."""
    payload = load_json(data)
    if isinstance(payload, list) and len(payload) > MAX_ENGAGEMENT_COUNTS:
        detail = f"{len(payload)} counts; at most {MAX_ENGAGEMENT_COUNTS}"
        raise Problem(413, "too-many-counts", "Too many counts", detail)
    try:
        counts = ENGAGEMENT_COUNTS.validate_python(payload)
    except ValidationError as exc:
        raise problems.from_validation_error(exc, "Invalid counts") from exc
    events = [
        EngagementEvent(article_id=c.article_id, kind=c.kind, count=c.count, at=c.at or received_at)
        for c in counts
    ]
    return [
        Record(key=e.article_id, value=e.model_dump_json().encode(), headers=(("kind", e.kind.encode()),))
        for e in events
    ]


def format_problem(error: FormatError) -> Problem:
    return Problem(
        422,
        "unparseable-document",
        "The document could not be parsed",
        str(error),
        [{"location": error.location, "message": error.message}] if error.location else None,
    )
