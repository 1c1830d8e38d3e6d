"""Poison records: what ingest answered 202, or what reached a topic another way, never stops a stage.

The whole platform runs for real (ingest, enrich, index as processes, on the real Kafka and
Elasticsearch). Each case ends in one of three ways: a precise 4xx at ingest, indexed, or
dead-lettered by the stage with its reason. After all of them a normal article is still
searchable, so no stage stopped.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from elasticsearch import Elasticsearch
from kafka import KafkaProducer

from infra.settings import InfraSettings
from schemas.dead_letter import DeadLetter
from services.common.topics import (
    ANALYSED,
    CONTROL,
    DLQ,
    ENGAGEMENT,
    ENRICHED,
    LINKS,
    MAX_RECORD_BYTES,
    RAW,
    RECORD_OVERHEAD,
)
from tests.support import (
    enriched_article,
    free_port,
    raw_article,
    read_topic,
    running_service,
    submission,
    wait_until,
)

KEY = {"X-API-Key": "poison-secret"}
PREFIX = "poison"


@dataclass
class Platform:
    ingest: httpx.Client
    es: Elasticsearch
    bootstrap: str
    enrich_url: str

    def searchable(self, article_id: str, timeout_s: float = 90) -> dict[str, Any]:
        def found() -> dict[str, Any] | None:
            self.es.indices.refresh(index=PREFIX)
            hits = self.es.search(index=PREFIX, query={"ids": {"values": [article_id]}})["hits"]["hits"]
            return hits[0]["_source"] if hits else None

        source: dict[str, Any] = wait_until(found, timeout_s, interval_s=1, what=f"{article_id} searchable")
        return source

    def dead_letter(self, key: str, timeout_s: float = 90) -> DeadLetter:
        records = read_topic(
            self.bootstrap,
            DLQ.name,
            until=lambda rs: any(r.key == key.encode() for r in rs),
            timeout_s=timeout_s,
        )
        (letter,) = [DeadLetter.model_validate_json(r.value) for r in records if r.key == key.encode()]
        return letter

    def post(self, payload: dict[str, Any]) -> httpx.Response:
        return self.ingest.post("/v1/articles", json=payload, headers=KEY)


@pytest.fixture(scope="module")
def platform(infra: InfraSettings, session_logs_dir: str) -> Iterator[Platform]:
    logs_dir = session_logs_dir
    ports = {"ingest": free_port(), "enrich": free_port(), "index": free_port()}
    env = {
        "WIRESTREAM_KAFKA_BOOTSTRAP": infra.kafka_bootstrap,
        "WIRESTREAM_ES_URL": infra.es_url,
        "WIRESTREAM_INGEST_PORT": str(ports["ingest"]),
        "WIRESTREAM_INGEST_API_KEYS": "poison:poison-secret",
        "WIRESTREAM_INGEST_RATE_LIMIT_BURST": "100000",
        "WIRESTREAM_ENRICH_PORT": str(ports["enrich"]),
        "WIRESTREAM_ENRICH_APP_ID": f"{PREFIX}-enrich",
        "WIRESTREAM_ENRICH_DATA_DIR": str(Path(logs_dir) / "poison-enrich-data"),
        "WIRESTREAM_INDEX_PORT": str(ports["index"]),
        "WIRESTREAM_INDEX_GROUP_ID": f"{PREFIX}-index",
        "WIRESTREAM_INDEX_INDEX_PREFIX": PREFIX,
    }
    logs = Path(logs_dir)
    with (
        running_service("services.index", env, ports["index"], logs / "poison-index.log"),
        running_service("services.enrich", env, ports["enrich"], logs / "poison-enrich.log"),
        running_service("services.ingest", env, ports["ingest"], logs / "poison-ingest.log"),
        httpx.Client(base_url=f"http://127.0.0.1:{ports['ingest']}", timeout=60) as client,
    ):
        yield Platform(
            client, Elasticsearch(infra.es_url), infra.kafka_bootstrap, f"http://127.0.0.1:{ports['enrich']}"
        )


def _produce(bootstrap: str, topic: str, key: str, value: bytes) -> None:
    """Straight to a topic, as a misbehaving producer of our own might: no ingest in between."""
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", max_request_size=MAX_RECORD_BYTES)
    try:
        producer.send(topic, key=key.encode(), value=value).get(timeout=60)
    finally:
        producer.close()


def _tag() -> str:
    return uuid.uuid4().hex[:10]


# --- 1. sizes -------------------------------------------------------------------------------------


def test_a_300_kb_article_in_a_bulk_is_indexed_beside_its_neighbours(platform: Platform) -> None:
    tag = _tag()
    big = submission(
        headline=f"Long read on estuary seals {tag}",
        body=[f"Paragraph {n} about harbour seals and their haul-out sites {tag}. " * 20 for n in range(250)],
    )
    lines = [submission(), big, submission()]
    response = platform.ingest.post(
        "/v1/articles:bulk",
        content=b"\n".join(json.dumps(line).encode() for line in lines),
        headers={**KEY, "Content-Type": "application/x-ndjson"},
    )
    assert response.status_code == 202, response.text
    items = response.json()["items"]
    assert [item["status"] for item in items] == ["accepted"] * 3
    for item in items:
        platform.searchable(item["id"])


def test_an_article_too_large_once_enriched_is_refused_with_the_limit(platform: Platform) -> None:
    body = ["x" * 1_000_000 for _ in range(5)]  # 2 MiB request limit raised below: the record is the point
    response = platform.post(submission(body=body[:2]))
    assert response.status_code == 413, response.text
    problem = response.json()
    assert problem["type"] == "/problems/too-large"
    assert "bytes" in problem["detail"]
    assert response.headers["content-type"].startswith("application/problem+json")


def test_a_raw_record_too_large_to_hand_over_is_dead_lettered_by_enrich(platform: Platform) -> None:
    """Published straight to articles.raw (within its limit), it would not fit articles.analysed."""
    article = json.loads(raw_article(submission(headline=f"Oversized {_tag()}")).model_dump_json())
    lede = "Seals " * 40_000  # the summary repeats the lede: enrichment grows the record by it
    article.update(body=[lede], body_html="<p>seals</p>", original=None)
    room = RAW.max_bytes - RECORD_OVERHEAD - len(article["id"]) - len(json.dumps(article)) - 1_000
    article["body"] += ["Harbour seal counts rose again this year. " * 1000] * (room // 42_004)
    value = json.dumps(article).encode()
    assert RAW.fits(article["id"].encode(), value)
    assert not ANALYSED.fits(article["id"].encode(), value + lede.encode())  # the case is real
    _produce(platform.bootstrap, RAW.name, article["id"], value)
    letter = platform.dead_letter(article["id"], timeout_s=180)
    assert (letter.stage, letter.step, letter.error_class) == ("enrich", "analyse", "RecordTooLarge")
    assert ANALYSED.name in letter.message


# --- 2. numbers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [("revision", 2**70), ("revision", 2**31), ("reactions", {"veryGood": 2**63})],
)
def test_numbers_the_index_cannot_hold_are_a_precise_422(platform: Platform, field: str, value: Any) -> None:
    response = platform.post(submission(**{field: value}))
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["pointer"].startswith(f"/{field}")


def test_a_nine_digit_revision_is_indexed(platform: Platform) -> None:
    response = platform.post(submission(revision=123_456_789))
    assert response.status_code == 202, response.text
    assert platform.searchable(response.json()["id"])["revision"] == 123_456_789


def _beyond_the_contract(topic: str) -> tuple[str, dict[str, Any]]:
    """A record for `topic` that breaks a bound of its model: a revision, a count or a time."""
    key = "feed-" + uuid.uuid4().hex
    if topic == RAW.name:
        record = json.loads(raw_article(submission()).model_dump_json())
        return record["id"], {**record, "revision": 2**70}
    if topic in (ENRICHED.name, ANALYSED.name):
        enriched = json.loads(enriched_article().model_dump_json())
        enriched["article"]["revision"] = 2**70
        record = enriched if topic == ENRICHED.name else {"enriched": enriched, "fingerprint": ""}
        return enriched["article"]["id"], record
    if topic == CONTROL.name:
        return key, {
            "article_id": key,
            "action": "withdraw",
            "revision": 2**70,
            "issued_at": "2025-05-01T00:00Z",
        }
    if topic == ENGAGEMENT.name:
        return key, {"article_id": key, "kind": "view", "count": 2**70, "at": "2025-05-01T00:00:00Z"}
    return key, {"article_id": key, "kind": "related", "links": [], "issued_at": "9999-12-31T23:59:59-05:00"}


@pytest.mark.parametrize(
    ("topic", "stage", "step"),
    [
        (RAW.name, "enrich", "parse"),
        (ANALYSED.name, "enrich", "link"),
        (ENGAGEMENT.name, "enrich", "engagement"),
        (ENRICHED.name, "index", "parse"),
        (CONTROL.name, "index", "parse"),
        (LINKS.name, "index", "parse"),
    ],
)
def test_a_record_beyond_the_contract_straight_on_a_topic_is_dead_lettered(
    platform: Platform, topic: str, stage: str, step: str
) -> None:
    key, record = _beyond_the_contract(topic)
    _produce(platform.bootstrap, topic, key, json.dumps(record).encode())
    letter = platform.dead_letter(key)
    assert (letter.stage, letter.step, letter.error_class) == (stage, step, "ValidationError")
    assert any(field in letter.message for field in ("revision", "count", "issued_at"))


# --- 3. dates -------------------------------------------------------------------------------------


def _now_held(platform: Platform) -> float:
    """Articles held for linking, once an article of the present is among them.

    Test articles are dated 2025 unless told otherwise: one dated now would expire those
    from the window by itself, so the count is read after one such article is in.
    """
    published = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    response = platform.post(submission(published_at=published))
    assert response.status_code == 202, response.text
    platform.searchable(response.json()["id"])
    return _recent_held(platform)


def test_a_publication_in_year_9999_is_indexed_at_the_time_received_and_says_so(platform: Platform) -> None:
    before = _now_held(platform)
    response = platform.post(submission(published_at="9999-12-31T23:59:59+14:00"))
    assert response.status_code == 202, response.text
    assert [w["code"] for w in response.json()["ingest_warnings"]] == ["published-at-future"]
    source = platform.searchable(response.json()["id"])
    assert source["published_at"].startswith(str(datetime.now(UTC).year))
    assert _recent_held(platform) == before + 1  # held, and the window did not move to the year 9999


def test_a_future_record_straight_on_the_topic_leaves_the_window_where_it_was(platform: Platform) -> None:
    before = _now_held(platform)
    record = json.loads(raw_article(submission()).model_dump_json())
    record["published_at"] = "9999-12-31T23:59:59+00:00"
    _produce(platform.bootstrap, RAW.name, record["id"], json.dumps(record).encode())
    source = platform.searchable(record["id"])
    assert source["published_at"].startswith("9999-12-31")
    assert _recent_held(platform) == before + 1


@pytest.mark.parametrize("moment", ["1900-01-01T00:00:00-23:59", "0001-01-01T00:00:00+00:00"])
def test_old_times_and_wide_offsets_are_indexed(platform: Platform, moment: str) -> None:
    response = platform.post(submission(published_at=moment))
    assert response.status_code == 202, response.text
    source = platform.searchable(response.json()["id"])
    assert source["published_at"].endswith("+00:00")


def test_a_time_beyond_the_year_9999_in_utc_is_a_precise_422(platform: Platform) -> None:
    response = platform.post(submission(published_at="9999-12-31T23:59:59-01:00"))
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["pointer"] == "/published_at"


def _recent_held(platform: Platform) -> float:
    metrics = httpx.get(f"{platform.enrich_url}/metrics", timeout=10).text
    (line,) = [m for m in metrics.splitlines() if m.startswith("wirestream_enrich_recent_articles ")]
    return float(line.split()[1])


# --- 4. nesting -----------------------------------------------------------------------------------


def _deep(levels: int) -> bytes:
    return b'{"headline":' * levels + b'"x"' + b"}" * levels


def test_deep_json_is_a_400_and_the_connection_goes_on(platform: Platform) -> None:
    response = platform.ingest.post(
        "/v1/articles", content=_deep(5000), headers={**KEY, "Content-Type": "application/json"}
    )
    assert response.status_code == 400, response.text
    assert response.json()["type"] == "/problems/too-deep"
    after = platform.post(submission())  # the same client, the same connection
    assert after.status_code == 202, after.text


def test_a_deep_line_in_a_bulk_is_rejected_alone(platform: Platform) -> None:
    body = b"\n".join([json.dumps(submission()).encode(), _deep(3000), json.dumps(submission()).encode()])
    response = platform.ingest.post(
        "/v1/articles:bulk", content=body, headers={**KEY, "Content-Type": "application/x-ndjson"}
    )
    assert response.status_code == 202, response.text
    items = response.json()["items"]
    assert [item["status"] for item in items] == ["accepted", "rejected", "accepted"]
    assert items[1]["problem"]["type"] == "/problems/too-deep"
    platform.searchable(items[2]["id"])


def test_deep_json_in_engagement_and_ninjs_is_a_4xx(platform: Platform) -> None:
    engagement = platform.ingest.post(
        "/v1/engagement",
        content=b"[" * 5000 + b"]" * 5000,
        headers={**KEY, "Content-Type": "application/json"},
    )
    assert engagement.status_code == 400, engagement.text
    ninjs = platform.ingest.post(
        "/v1/articles:raw", content=_deep(5000), headers={**KEY, "Content-Type": "application/ninjs+json"}
    )
    assert 400 <= ninjs.status_code < 500, ninjs.text


# --- 6. auth first --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/v1/articles", "application/json"),
        ("/v1/articles:bulk", "application/x-ndjson"),
        ("/v1/articles:raw", "application/ninjs+json"),
        ("/v1/engagement", "application/json"),
    ],
)
def test_every_write_endpoint_checks_the_key_before_the_body(
    platform: Platform, path: str, content_type: str
) -> None:
    response = platform.ingest.post(path, content=b'{"not": "valid"', headers={"Content-Type": content_type})
    assert response.status_code == 401, response.text
    assert response.json()["type"] == "/problems/unauthorized"


# --- and afterwards -------------------------------------------------------------------------------


def test_after_every_case_a_normal_article_is_searchable(platform: Platform) -> None:
    response = platform.post(submission())
    assert response.status_code == 202, response.text
    platform.searchable(response.json()["id"], timeout_s=60)
