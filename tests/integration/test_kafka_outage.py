"""The broker goes away: ingest answers 503 and claims nothing; it comes back: ingestion resumes."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from infra.servers import kafka
from infra.settings import InfraSettings
from services.common.topics import RAW
from services.ingest.api import create_app
from tests.support import KEY, ingest_settings, read_topic, submission, wait_until


def test_broker_down_means_503_and_nothing_claimed_then_recovery(infra: InfraSettings) -> None:
    settings = ingest_settings(infra.kafka_bootstrap, publish_timeout_s=3.0, retry_after_s=7)
    broker = kafka(infra)
    with TestClient(create_app(settings)) as client:
        wait_until(lambda: client.get("/readyz").status_code == 200, 30, what="ingest ready")
        assert client.post("/v1/articles", json=submission(), headers=KEY).status_code == 202

        broker.stop(infra.stop_timeout_s)
        try:
            started = time.monotonic()
            down = client.post("/v1/articles", json=submission(), headers=KEY)
            elapsed = time.monotonic() - started
            assert down.status_code == 503, down.text
            assert down.headers["Retry-After"] == "7"
            assert down.json()["type"] == "/problems/kafka-unavailable"
            assert "id" not in down.json()
            assert elapsed < settings.publish_timeout_s + 2  # answered within the request timeout
            assert client.get("/readyz").status_code == 503
        finally:
            broker.start()
            broker.wait_healthy(infra.start_timeout_s)

        after = submission()

        def accepted() -> str | None:
            response = client.post("/v1/articles", json=after, headers=KEY)
            return response.json()["id"] if response.status_code == 202 else None

        article_id = wait_until(accepted, 60, interval_s=1, what="ingestion to resume")
        assert client.get("/readyz").status_code == 200

    records = read_topic(
        infra.kafka_bootstrap, RAW.name, until=lambda rs: any(r.key.decode() == article_id for r in rs)
    )
    assert any(r.key.decode() == article_id for r in records)
