"""Elasticsearch stopped mid-stream: the indexer pauses, reports not ready, and resumes losing nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
from elasticsearch import Elasticsearch
from kafka import KafkaProducer

from infra.servers import elasticsearch
from infra.settings import InfraSettings
from schemas.enriched import EnrichedArticle
from services.common.topics import ENRICHED
from services.index.documents import document_version
from tests.support import enriched_article, free_port, indexer_env, running_service, wait_until

NOW = datetime(2025, 5, 1, tzinfo=UTC)


def _enriched_records(count: int) -> list[tuple[str, bytes]]:
    articles = [enriched_article() for _ in range(count)]
    return [(a.article.id, a.model_dump_json().encode()) for a in articles]


def _send(bootstrap: str, records: list[tuple[str, bytes]]) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    for key, value in records:
        producer.send(ENRICHED.name, key=key.encode(), value=value)
    producer.flush()
    producer.close()


def test_elasticsearch_down_and_back_every_article_present_exactly_once(
    infra: InfraSettings, logs_dir: str
) -> None:
    prefix = f"outage-{uuid.uuid4().hex[:6]}"
    port = free_port()
    env = indexer_env(infra, prefix, port, WIRESTREAM_INDEX_RETRY_MAX_S="2")
    before, during = _enriched_records(20), _enriched_records(20)
    es = Elasticsearch(infra.es_url)
    server = elasticsearch(infra)

    def indexed_ids() -> set[str]:
        es.indices.refresh(index=prefix)
        hits = es.search(index=prefix, size=1000, query={"match_all": {}}, source=False)["hits"]["hits"]
        return {hit["_id"] for hit in hits}

    with running_service("services.index", env, port, Path(logs_dir) / "index-outage.log"):
        # Only this test's articles count: the topic also holds other tests' records.
        _send(infra.kafka_bootstrap, before)
        wait_until(lambda: {k for k, _ in before} <= indexed_ids(), 60, what="first half indexed")

        server.stop(infra.stop_timeout_s)
        try:
            _send(infra.kafka_bootstrap, during)
            wait_until(
                lambda: httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 503, 60, what="not ready"
            )
        finally:
            server.start()
            server.wait_healthy(infra.start_timeout_s)

        expected = {k for k, _ in before + during}
        wait_until(
            lambda: expected <= indexed_ids(), 120, interval_s=1, what="everything indexed after restart"
        )
        wait_until(
            lambda: httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200, 60, what="ready again"
        )

    # One document per id holds by construction (_id = article id); what could go wrong is a
    # write that never lands or an older one that wins: each is there, at the version it was sent with.
    sent = {k: document_version(EnrichedArticle.model_validate_json(v)) for k, v in before + during}
    stored = {
        doc["_id"]: doc["_version"] for doc in es.mget(index=prefix, ids=sorted(sent))["docs"] if doc["found"]
    }
    assert stored == sent
