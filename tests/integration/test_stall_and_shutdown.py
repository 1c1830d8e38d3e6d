"""Readiness tells the truth, and SIGTERM is obeyed in time: the real services, on the real
Kafka and Elasticsearch, with Elasticsearch made to hang (a proxy that holds connections
and forwards nothing) or a client that never finishes its request."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from elasticsearch import Elasticsearch

from infra.settings import InfraSettings
from services.common.topics import ENRICHED, RAW
from tests.support import (
    FreezableProxy,
    enriched_article,
    free_port,
    indexer_env,
    produce,
    raw_article,
    read_topic,
    running_service,
    submission,
    wait_until,
)

STALL_AFTER_S = 3
SHUTDOWN_TIMEOUT_S = 5
# For a process being stopped on two shared cores, and for the test's own polling.
MARGIN_S = 5
# uvicorn raises SIGTERM again once it has stopped; the deadline exits with 128 + SIGTERM.
STOPPED = (-signal.SIGTERM, 128 + signal.SIGTERM)


def _readiness(port: int) -> tuple[int, dict[str, Any]]:
    response = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5)
    return response.status_code, response.json()


def _not_ready(port: int) -> dict[str, Any] | None:
    status, body = _readiness(port)
    return body if status == 503 else None


def _stop(proc: subprocess.Popen[bytes]) -> float:
    """SIGTERM, then how long the process took to exit (it must, well within the test's wait)."""
    start = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=SHUTDOWN_TIMEOUT_S + 60)
    return time.monotonic() - start


def _articles(count: int) -> list[tuple[bytes, bytes]]:
    articles = [enriched_article() for _ in range(count)]
    return [(a.article.id.encode(), a.model_dump_json().encode()) for a in articles]


def test_an_indexer_stuck_on_elasticsearch_is_not_ready_and_still_stops_in_time(
    infra: InfraSettings, logs_dir: str
) -> None:
    prefix = f"stall-{uuid.uuid4().hex[:6]}"
    port = free_port()
    es = Elasticsearch(infra.es_url)
    log = Path(logs_dir) / "index-stall.log"
    with FreezableProxy(infra.host, infra.es_port) as proxy:
        env = indexer_env(
            infra,
            prefix,
            port,
            WIRESTREAM_ES_URL=proxy.url,
            WIRESTREAM_STALL_AFTER_S=str(STALL_AFTER_S),
            WIRESTREAM_SHUTDOWN_TIMEOUT_S=str(SHUTDOWN_TIMEOUT_S),
        )
        with running_service("services.index", env, port, log) as proc:
            # Through the proxy while it forwards: the indexer is caught up and ready.
            first = _articles(1)
            produce(infra.kafka_bootstrap, ENRICHED.name, first)

            def indexed() -> bool:
                es.indices.refresh(index=prefix)
                return bool(es.exists(index=prefix, id=first[0][0].decode()))

            wait_until(indexed, 60, what="first article indexed through the proxy")
            assert _readiness(port) == (200, {**_readiness(port)[1], "stalled": []})

            proxy.freeze()
            produce(infra.kafka_bootstrap, ENRICHED.name, _articles(3))
            frozen_at = time.monotonic()
            body = wait_until(
                lambda: _not_ready(port), STALL_AFTER_S + 20, what="not ready while Elasticsearch hangs"
            )
            assert body["stalled"] == ["index"], body
            # Connected, polling, Elasticsearch answering its TCP connects: only the stall says it.
            assert body["consumer"] is True, body
            assert time.monotonic() - frozen_at >= STALL_AFTER_S - 1

            took = _stop(proc)  # Elasticsearch still frozen: the batch in flight never settles
            assert proc.returncode in STOPPED, log.read_text()[-3000:]
            assert took <= SHUTDOWN_TIMEOUT_S + MARGIN_S, log.read_text()[-3000:]


def test_ingest_with_a_request_that_never_finishes_stops_within_its_timeout(
    infra: InfraSettings, logs_dir: str
) -> None:
    port = free_port()
    env = {
        "WIRESTREAM_KAFKA_BOOTSTRAP": infra.kafka_bootstrap,
        "WIRESTREAM_INGEST_PORT": str(port),
        "WIRESTREAM_INGEST_AUTH_DISABLED": "true",
        "WIRESTREAM_SHUTDOWN_TIMEOUT_S": str(SHUTDOWN_TIMEOUT_S),
    }
    log = Path(logs_dir) / "ingest-shutdown.log"
    with (
        running_service("services.ingest", env, port, log) as proc,
        socket.create_connection(("127.0.0.1", port)) as client,
    ):
        # A client that sends half its article and then nothing: uvicorn would wait for it
        # for ever without a graceful timeout.
        client.sendall(
            b"POST /v1/articles HTTP/1.1\r\nHost: ingest\r\nContent-Type: application/json\r\n"
            b'Content-Length: 1000\r\n\r\n{"headline": "Half an'
        )
        time.sleep(0.5)
        took = _stop(proc)
        assert proc.returncode in STOPPED, log.read_text()[-3000:]
        assert took <= SHUTDOWN_TIMEOUT_S + MARGIN_S, log.read_text()[-3000:]
    assert "timeout graceful shutdown exceeded" in log.read_text()


def test_an_enrich_worker_that_got_through_its_work_is_ready_and_stops_within_its_timeout(
    infra: InfraSettings, logs_dir: str
) -> None:
    port = free_port()
    app_id = f"shutdown-{uuid.uuid4().hex[:6]}"
    env = {
        "WIRESTREAM_KAFKA_BOOTSTRAP": infra.kafka_bootstrap,
        "WIRESTREAM_TOPIC_PARTITIONS": "3",
        "WIRESTREAM_ENRICH_APP_ID": app_id,
        "WIRESTREAM_ENRICH_PORT": str(port),
        "WIRESTREAM_ENRICH_DATA_DIR": str(Path(logs_dir) / f"{app_id}-data"),
        "WIRESTREAM_ENRICH_BATCH_WAIT_S": "0.05",
        "WIRESTREAM_STALL_AFTER_S": str(STALL_AFTER_S),
        "WIRESTREAM_SHUTDOWN_TIMEOUT_S": str(SHUTDOWN_TIMEOUT_S),
    }
    log = Path(logs_dir) / f"{app_id}.log"
    with running_service("services.enrich", env, port, log) as proc:
        article = raw_article(submission())
        produce(infra.kafka_bootstrap, RAW.name, [(article.id.encode(), article.model_dump_json().encode())])
        read_topic(
            infra.kafka_bootstrap,
            ENRICHED.name,
            until=lambda records: any(r.key == article.id.encode() for r in records),
            timeout_s=60,
        )
        # Analysed and linked, so both agents took an event and finished it: past the stall
        # limit, neither counts as stalled.
        time.sleep(STALL_AFTER_S + 1)
        assert _readiness(port) == (200, {"status": "ready", "stalled": []})
        took = _stop(proc)
        text = log.read_text()
        assert took <= SHUTDOWN_TIMEOUT_S + MARGIN_S, text[-3000:]
    # The deadline's handler ran beside mode's own: it was installed after them, not over them.
    assert '"logger": "services.common.shutdown"' in text, text[-3000:]
    assert "Signal received" in text, text[-3000:]
