"""The whole path through the real components: HTTP -> Kafka -> Faust -> Kafka -> Elasticsearch -> search."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from elasticsearch import Elasticsearch

from infra.settings import InfraSettings
from tests.support import free_port, pipeline_state, running_service, submission, wait_until


def test_an_article_posted_to_ingest_is_found_by_full_text_search(
    infra: InfraSettings, logs_dir: str
) -> None:
    ports = {"ingest": free_port(), "enrich": free_port(), "index": free_port()}
    env = {
        "WIRESTREAM_KAFKA_BOOTSTRAP": infra.kafka_bootstrap,
        "WIRESTREAM_ES_URL": infra.es_url,
        "WIRESTREAM_INGEST_PORT": str(ports["ingest"]),
        "WIRESTREAM_INGEST_API_KEYS": "e2e:e2e-secret",
        "WIRESTREAM_ENRICH_PORT": str(ports["enrich"]),
        "WIRESTREAM_ENRICH_APP_ID": "skeleton-enrich",
        "WIRESTREAM_ENRICH_DATA_DIR": str(Path(logs_dir) / "enrich-data"),
        "WIRESTREAM_INDEX_PORT": str(ports["index"]),
        "WIRESTREAM_INDEX_GROUP_ID": "skeleton-index",
        "WIRESTREAM_INDEX_INDEX_PREFIX": "skeleton",
    }
    logs = Path(logs_dir)
    payload = submission(headline="Walking skeleton sighted: a platypus crosses the Yarra")
    unique_word = payload["body"][0].split()[-1].rstrip(".")  # submission() ends its lede with a fresh tag
    with (
        running_service("services.index", env, ports["index"], logs / "index.log"),
        running_service("services.enrich", env, ports["enrich"], logs / "enrich.log"),
        running_service("services.ingest", env, ports["ingest"], logs / "ingest.log"),
    ):
        response = httpx.post(
            f"http://127.0.0.1:{ports['ingest']}/v1/articles",
            json=payload,
            headers={"X-API-Key": "e2e-secret"},
        )
        assert response.status_code == 202, response.text
        article_id = response.json()["id"]

        es = Elasticsearch(infra.es_url)

        def found() -> list:
            es.indices.refresh(index="skeleton")
            words = {
                "query": f"platypus {unique_word}",
                "fields": ["headline", "body"],
                "operator": "and",
                "type": "cross_fields",
            }  # one word is in the headline, the other in the body
            return es.search(index="skeleton", query={"multi_match": words})["hits"]["hits"]

        try:
            (hit,) = wait_until(found, 90, interval_s=1, what="article searchable")
        except TimeoutError as exc:
            state = pipeline_state(infra.kafka_bootstrap, ["skeleton-enrich", "skeleton-index"])
            state["documents"] = es.count(index="skeleton")["count"]
            state["stored"] = es.options(ignore_status=404).get(index="skeleton", id=article_id).body
            raise TimeoutError(f"{exc}; pipeline state: {state}") from exc
        assert hit["_id"] == article_id
        assert hit["_source"]["headline"] == payload["headline"]
        assert hit["_source"]["word_count"] == 20  # the enrichment ran
        for port in ports.values():
            metrics = httpx.get(f"http://127.0.0.1:{port}/metrics").text
            assert "wirestream_" in metrics

    for name in ("ingest", "enrich", "index"):  # structured logs: one JSON object per line, nothing else
        lines = [line for line in (logs / f"{name}.log").read_text().splitlines() if line.strip()]
        assert lines, name
        records = [json.loads(line) for line in lines]
        assert all(
            record["service"] == name and "level" in record and "timestamp" in record for record in records
        )
