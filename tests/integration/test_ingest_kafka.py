"""Ingest against the real Kafka: what is acknowledged is exactly what is on the topic."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from schemas.article import RawArticle
from services.common.topics import RAW
from services.ingest.api import create_app
from tests.support import KEY, ingest_settings, read_topic, submission, wait_until


@pytest.fixture
def client(kafka_bootstrap: str) -> Iterator[TestClient]:
    with TestClient(create_app(ingest_settings(kafka_bootstrap))) as test_client:
        wait_until(lambda: test_client.get("/readyz").status_code == 200, 30, what="ingest ready")
        yield test_client


def _records_for(kafka_bootstrap: str, ids: set[str]) -> dict[str, list]:
    found: dict[str, list] = {}

    def all_there(records: list) -> bool:
        found.clear()
        for record in records:
            if record.key.decode() in ids:
                found.setdefault(record.key.decode(), []).append(record)
        return set(found) == ids

    read_topic(kafka_bootstrap, RAW.name, until=all_there)
    return found


def test_published_record_is_exactly_what_was_acknowledged(client: TestClient, kafka_bootstrap: str) -> None:
    payload = submission()
    response = client.post("/v1/articles", json=payload, headers=KEY)
    assert response.status_code == 202, response.text
    article_id = response.json()["id"]

    (record,) = _records_for(kafka_bootstrap, {article_id})[article_id]
    headers = {k: v.decode() for k, v in record.headers}
    assert headers == {"schema_version": "1", "content_type": "application/json", "revision": "1"}
    article = RawArticle.model_validate_json(record.value)
    assert article.id == article_id
    assert article.headline == payload["headline"]
    assert article.body == payload["body"]
    assert article.reactions == {"veryGood": 3}
    assert article.ingest.key_id == "tests"
    assert article.original is not None
    assert json.loads(article.original.data) == payload


def test_bulk_answers_each_line_and_publishes_only_the_valid_ones(
    client: TestClient, kafka_bootstrap: str
) -> None:
    good, also_good = submission(), submission(revision=2)
    lines = [
        json.dumps(good),
        json.dumps({**submission(), "published_at": "yesterday"}),
        "{not json",
        "",
        json.dumps(also_good),
    ]
    response = client.post(
        "/v1/articles:bulk",
        content="\n".join(lines).encode(),
        headers={**KEY, "Content-Type": "application/x-ndjson"},
    )
    assert response.status_code == 202, response.text
    result = response.json()
    assert (result["accepted"], result["rejected"], result["errors"]) == (2, 2, True)
    by_line = {item["line"]: item for item in result["items"]}
    assert sorted(by_line) == [1, 2, 3, 5]  # the blank line is not an article
    assert by_line[2]["problem"]["errors"][0]["pointer"] == "/published_at"
    assert by_line[3]["problem"]["type"] == "/problems/malformed-json"
    ids = {by_line[1]["id"], by_line[5]["id"]}
    found = _records_for(kafka_bootstrap, ids)
    assert RawArticle.model_validate_json(found[by_line[5]["id"]][0].value).revision == 2


def test_errors_are_problem_json_and_never_published(client: TestClient) -> None:
    no_key = client.post("/v1/articles", json=submission())
    assert no_key.status_code == 401
    assert no_key.headers["content-type"] == "application/problem+json"
    wrong_type = client.post("/v1/articles", content=b"<xml/>", headers={**KEY, "Content-Type": "text/xml"})
    assert wrong_type.status_code == 415
    assert wrong_type.json()["type"] == "/problems/unsupported-media-type"
    malformed = client.post(
        "/v1/articles", content=b'{"headline": ', headers={**KEY, "Content-Type": "application/json"}
    )
    assert malformed.status_code == 400
    assert "line 1" in malformed.json()["detail"]
    not_object = client.post("/v1/articles", json=[1, 2], headers=KEY)
    assert not_object.status_code == 422
    missing = client.get("/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


def test_size_and_rate_limits(kafka_bootstrap: str) -> None:
    settings = ingest_settings(
        kafka_bootstrap, max_article_bytes=2048, rate_limit_per_s=0.5, rate_limit_burst=2
    )
    with TestClient(create_app(settings)) as limited:
        wait_until(lambda: limited.get("/readyz").status_code == 200, 30, what="ingest ready")
        big = submission(body=["x" * 4096])
        too_large = limited.post("/v1/articles", json=big, headers=KEY)
        assert too_large.status_code == 413
        assert limited.post("/v1/articles", json=submission(), headers=KEY).status_code == 202
        throttled = limited.post("/v1/articles", json=submission(), headers=KEY)
        assert throttled.status_code == 429
        assert int(throttled.headers["Retry-After"]) >= 1


def test_same_article_twice_gets_one_id(client: TestClient) -> None:
    payload = submission()
    first = client.post("/v1/articles", json=payload, headers=KEY).json()["id"]
    second = client.post("/v1/articles", json=payload, headers=KEY).json()["id"]
    assert first == second


def test_metrics_count_what_happened(client: TestClient) -> None:
    client.post("/v1/articles", json=submission(), headers=KEY)
    client.post("/v1/articles", json={"headline": ""}, headers=KEY)
    text = client.get("/metrics").text
    assert 'wirestream_ingest_accepted_total{endpoint="single"} 1.0' in text
    assert 'wirestream_ingest_rejected_total{reason="validation-error"} 1.0' in text
    assert "wirestream_ingest_publish_seconds_count 1.0" in text


def test_raw_page_is_parsed_and_published_with_its_original(client: TestClient, kafka_bootstrap: str) -> None:
    page = (Path(__file__).resolve().parents[1] / "fixtures" / "page_harbour.txt").read_bytes()
    response = client.post("/v1/articles:raw", content=page, headers={**KEY, "Content-Type": "text/plain"})
    assert response.status_code == 202, response.text
    (item,) = response.json()["items"]
    assert item["headline"] == "Ferry strike strands thousands on Greek islands"
    (record,) = _records_for(kafka_bootstrap, {item["id"]})[item["id"]]
    article = RawArticle.model_validate_json(record.value)
    assert article.dateline == "PIRAEUS, Greece (WS)"
    assert article.sidebars[0].name == "Related"
    assert article.original is not None
    assert article.original.data.encode() == page
    assert article.ingest.content_type == "text/plain"


def test_seed_page_goes_through_the_raw_endpoint(client: TestClient) -> None:
    seed = Path(__file__).resolve().parents[3] / "shared" / "seeds" / "000_5ccf344fef08e2a4.txt"
    if not seed.exists():
        pytest.skip(f"the seed page is not at {seed}")
    response = client.post(
        "/v1/articles:raw", content=seed.read_bytes(), headers={**KEY, "Content-Type": "text/plain"}
    )
    assert response.status_code == 202, response.text
    assert response.json()["items"][0]["headline"].startswith("Putin meets the leader of Belarus")


def test_unparseable_raw_page_is_a_422_problem_with_its_location(client: TestClient) -> None:
    response = client.post(
        "/v1/articles:raw", content=b"no date here", headers={**KEY, "Content-Type": "text/plain"}
    )
    assert response.status_code == 422
    body = response.json()
    assert body["type"] == "/problems/unparseable-document"
    # A line and nothing else holds no article: a headline perhaps, but no body text.
    ((error,),) = [body["errors"]]
    assert error["location"] == "page"
    assert "no body text" in error["message"]
    unsupported = client.post(
        "/v1/articles:raw", content=b"%PDF", headers={**KEY, "Content-Type": "application/pdf"}
    )
    assert unsupported.status_code == 415


def test_engagement_counts_are_published_keyed_by_article(client: TestClient, kafka_bootstrap: str) -> None:
    from schemas.engagement import EngagementEvent
    from services.common.topics import ENGAGEMENT

    article_id = "ap-" + uuid.uuid4().hex
    counts = [
        {"article_id": article_id, "kind": "view", "count": 40},
        {"article_id": article_id, "kind": "reaction"},
    ]
    response = client.post("/v1/engagement", json=counts, headers=KEY)
    assert response.status_code == 202, response.text
    assert response.json() == {"accepted": 2}

    def ours(records: list) -> list:
        return [r for r in records if r.key == article_id.encode()]

    records = ours(read_topic(kafka_bootstrap, ENGAGEMENT.name, until=lambda rs: len(ours(rs)) == 2))
    events = [EngagementEvent.model_validate_json(r.value) for r in records]
    assert [(e.kind, e.count) for e in events] == [("view", 40), ("reaction", 1)]

    bad = client.post("/v1/engagement", json=[{"article_id": article_id, "kind": "like"}], headers=KEY)
    assert bad.status_code == 422
    assert [e["pointer"] for e in bad.json()["errors"]] == ["/0/kind"]
