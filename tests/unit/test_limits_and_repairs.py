"""What the stages after ingest cannot carry is refused or repaired at ingest, and said."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from schemas.article import ArticleSubmission, RawArticle
from schemas.control import ControlNotice
from schemas.engagement import EngagementSubmission
from schemas.limits import MAX_COUNT, MAX_JSON_DEPTH, MAX_REVISION, storable
from services.ingest.json_input import depth, load_json
from services.ingest.problems import Problem
from tests.support import raw_article, submission

RECEIVED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _raw(**overrides: object) -> RawArticle:
    return raw_article(submission(**overrides), received_at=RECEIVED)


def _codes(article: RawArticle) -> list[str]:
    return [w.code for w in article.ingest_warnings]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("revision", MAX_REVISION + 1),
        ("revision", 2**70),
        ("reactions", {"veryGood": MAX_COUNT + 1}),
        ("reactions", {f"r{n}": 1 for n in range(101)}),
    ],
)
def test_numbers_elasticsearch_cannot_hold_are_refused_with_their_pointer(field: str, value: object) -> None:
    with pytest.raises(ValidationError) as caught:
        ArticleSubmission.model_validate(submission(**{field: value}))
    assert caught.value.errors()[0]["loc"][0] == field


def test_nine_and_ten_digit_revisions_are_taken() -> None:
    assert _raw(revision=123_456_789).revision == 123_456_789
    assert _raw(revision=MAX_REVISION).revision == MAX_REVISION


@pytest.mark.parametrize(
    "moment",
    [
        "9999-12-31T23:59:59-01:00",  # year 10000 in UTC
        "0001-01-01T00:00:00+01:00",  # year 0 in UTC
    ],
)
def test_times_outside_what_every_stage_computes_with_are_refused(moment: str) -> None:
    with pytest.raises(ValidationError, match="outside"):
        ArticleSubmission.model_validate(submission(published_at=moment))


@pytest.mark.parametrize("model", [ControlNotice, EngagementSubmission])
def test_every_message_time_is_bounded(model: type) -> None:
    fields = (
        {"article_id": "feed-" + "0" * 32, "action": "withdraw"}
        if model is ControlNotice
        else {"article_id": "feed-" + "0" * 32, "kind": "view"}
    )
    name = "issued_at" if model is ControlNotice else "at"
    with pytest.raises(ValidationError, match="outside"):
        model.model_validate({**fields, name: "9999-12-31T23:59:59-05:00"})


def test_an_offset_java_cannot_parse_is_stored_in_utc() -> None:
    article = _raw(published_at="1900-01-01T00:00:00-23:59")
    assert article.published_at.utcoffset() == timedelta(0)
    assert article.published_at == datetime(1900, 1, 1, 23, 59, tzinfo=UTC)
    assert storable(datetime(2025, 1, 1, tzinfo=UTC)).tzinfo is UTC


def test_a_far_future_publication_is_replaced_by_the_time_received() -> None:
    article = _raw(published_at="9999-12-31T23:59:59+14:00")
    assert article.published_at == RECEIVED
    assert article.published_at_source == "received"
    assert _codes(article) == ["published-at-future"]
    assert "9999-12-31" in article.ingest_warnings[0].message


def test_a_time_within_the_tolerance_is_kept_as_given() -> None:
    soon = RECEIVED + timedelta(hours=6)
    article = _raw(published_at=soon.isoformat())
    assert article.published_at == soon
    assert article.ingest_warnings == []
    assert article.published_at_source == "feed"


def test_an_update_before_the_publication_is_dropped_with_a_warning() -> None:
    article = _raw(published_at="2025-04-27T12:00:00Z", updated_at="2025-04-26T00:00:00Z")
    assert article.updated_at is None
    assert _codes(article) == ["updated-before-published"]
    assert article.ingest_warnings[0].field == "updated_at"


def test_a_far_future_update_is_dropped() -> None:
    article = _raw(published_at="2025-04-27T12:00:00Z", updated_at="9000-01-01T00:00:00Z")
    assert article.updated_at is None
    assert _codes(article) == ["updated-at-future"]


def test_a_missing_publication_time_becomes_the_time_received() -> None:
    payload = submission()
    del payload["published_at"]
    article = _raw(**{k: v for k, v in payload.items() if k != "published_at"} | {"published_at": None})
    assert article.published_at == RECEIVED
    assert article.published_at_source == "received"
    assert _codes(article) == ["published-at-missing"]


def test_a_parsers_warnings_reach_the_raw_article() -> None:
    parsed = ArticleSubmission.model_validate(submission()).warn("charset-guessed", None, "read as latin-1")
    article = raw_article(parsed, received_at=RECEIVED)
    assert _codes(article) == ["charset-guessed"]


def test_a_raw_record_breaking_the_contract_is_refused_by_the_consumer_model() -> None:
    """Records published straight to a topic meet the same bounds when a stage reads them."""
    record = json.loads(_raw().model_dump_json())
    record["revision"] = 2**70
    with pytest.raises(ValidationError):
        RawArticle.model_validate(record)
    record["revision"] = 1
    record["updated_at"] = "2000-01-01T00:00:00Z"
    with pytest.raises(ValidationError, match="earlier than published_at"):
        RawArticle.model_validate(record)


def _nested(levels: int) -> bytes:
    return b'{"a":' * levels + b"1" + b"}" * levels


def test_json_within_the_depth_limit_is_read() -> None:
    assert load_json(_nested(MAX_JSON_DEPTH)) is not None
    assert depth(json.loads(_nested(5)), MAX_JSON_DEPTH) == 5
    assert depth([[], {"x": [1, 2]}], MAX_JSON_DEPTH) == 3


@pytest.mark.parametrize("levels", [MAX_JSON_DEPTH + 1, 2_000, 100_000])
def test_json_nested_too_deeply_is_a_precise_400(levels: int) -> None:
    with pytest.raises(Problem) as caught:
        load_json(_nested(levels))
    assert caught.value.status == 400
    assert caught.value.slug == "too-deep"


def test_deep_arrays_are_bounded_like_objects() -> None:
    with pytest.raises(Problem, match="nest deeper"):
        load_json(b"[" * 5000 + b"]" * 5000)
