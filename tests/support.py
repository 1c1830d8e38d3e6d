"""Helpers the tests share: sample submissions, free ports, running a service, reading a topic."""

from __future__ import annotations

import os
import select
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from kafka import KafkaConsumer

REPO = Path(__file__).resolve().parent.parent


def submission(**overrides: Any) -> dict[str, Any]:
    """A valid article submission with a unique headline (tests share the topics)."""
    tag = uuid.uuid4().hex[:10]
    article: dict[str, Any] = {
        "headline": f"Quokka census finds record numbers on island {tag}",
        "source": {"name": "Test Wire", "feed": "tests"},
        "published_at": "2025-04-27T12:18:27+00:00",
        "dateline": "PERTH, Australia (AP)",
        "language": "en",
        "body": [
            f"PERTH, Australia (AP) — Rangers counted more quokkas than ever before {tag}.",
            "The survey covered every beach and took three weeks.",
        ],
        "reactions": {"veryGood": 3},
    }
    article.update(overrides)
    return article


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(condition: Any, timeout_s: float, interval_s: float = 0.25, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval_s)
    raise TimeoutError(f"{what} not met within {timeout_s}s")


@contextmanager
def running_service(
    module: str, env: dict[str, str], port: int, log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """Start `python -m <module>`, wait until /readyz answers 200, stop it at the end."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", module],
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=REPO,
        )
    try:

        def ready() -> bool:
            if proc.poll() is not None:
                raise RuntimeError(f"{module} exited with {proc.returncode}; see {log}")
            try:
                return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(ready, 90, what=f"{module} ready")
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def read_topic(bootstrap: str, topic: str, *, until: Any, timeout_s: float = 30) -> list[Any]:
    """Every record of a topic from the beginning, until `until(records)` is true.

    Partitions are assigned, not subscribed: a group joined before the client has the
    topic's metadata may be handed no partitions at all (kafka-python 3).
    """
    from kafka import TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    records: list[Any] = []
    try:
        partitions = wait_until(lambda: consumer.partitions_for_topic(topic), 30, what=f"{topic} metadata")
        consumer.assign([TopicPartition(topic, p) for p in sorted(partitions)])
        consumer.seek_to_beginning()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=500).values():
                records.extend(batch)
            if until(records):
                return records
    finally:
        consumer.close()
    raise TimeoutError(f"{topic}: condition not met within {timeout_s}s ({len(records)} records read)")


def pipeline_state(bootstrap: str, groups: list[str]) -> dict[str, Any]:
    """End offsets of the topics and the groups' committed offsets: where a pipeline stands."""
    from kafka import KafkaAdminClient, TopicPartition

    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    try:
        state: dict[str, Any] = {}
        for topic in ("articles.raw", "articles.analysed", "articles.enriched", "articles.dlq"):
            partitions = [
                TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])
            ]
            state[topic] = {tp.partition: offset for tp, offset in consumer.end_offsets(partitions).items()}
        for group, offsets in admin.list_group_offsets(groups).items():
            state[f"group:{group}"] = {
                f"{tp.topic}/{tp.partition}": meta.offset for tp, meta in offsets.items()
            }
        state["members"] = str(admin.describe_groups(groups))[:2000]
        return state
    finally:
        consumer.close()
        admin.close()


def enriched_article(payload: dict[str, Any] | None = None, now: Any = None) -> Any:
    """An EnrichedArticle made the way the pipeline makes it, from a submission (default: a fresh one)."""
    from datetime import UTC, datetime

    from schemas.article import ArticleSubmission
    from services.enrich.pipeline import enrich
    from services.ingest.intake import to_raw_article

    moment = now or datetime(2025, 5, 1, tzinfo=UTC)
    raw = to_raw_article(
        ArticleSubmission.model_validate(payload or submission()),
        received_at=moment,
        key_id=None,
        content_type="application/json",
        original=b"{}",
    )
    return enrich(raw, now=moment)


def raw_article(payload: dict[str, Any] | Any, received_at: Any = None) -> Any:
    """A RawArticle as ingest publishes it, from a submission dict or an ArticleSubmission."""
    from datetime import UTC, datetime

    from schemas.article import ArticleSubmission
    from services.ingest.intake import to_raw_article

    article = payload if isinstance(payload, ArticleSubmission) else ArticleSubmission.model_validate(payload)
    return to_raw_article(
        article,
        received_at=received_at or datetime.now(UTC),
        key_id=None,
        content_type="application/json",
        original=article.model_dump_json().encode(),
    )


def produce(bootstrap: str, topic: str, records: list[tuple[bytes, bytes]]) -> None:
    """Publish (key, value) pairs and wait until Kafka acknowledged every one."""
    from kafka import KafkaProducer

    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    try:
        for future in [producer.send(topic, key=key, value=value) for key, value in records]:
            future.get(timeout=30)
    finally:
        producer.close()


def reset_topics(bootstrap: str) -> None:
    """Delete and recreate the platform's topics: a test that needs them empty starts here."""
    from services.common.topic_admin import recreate_topics
    from services.common.topics import ALL_TOPICS

    recreate_topics(bootstrap, ALL_TOPICS, partitions=3, replication=1)


def indexer_env(infra: Any, prefix: str, port: int, **extra: str) -> dict[str, str]:
    """The environment of an indexer with its own consumer group and index prefix (both `prefix`)."""
    return {
        "WIRESTREAM_KAFKA_BOOTSTRAP": infra.kafka_bootstrap,
        "WIRESTREAM_ES_URL": infra.es_url,
        "WIRESTREAM_INDEX_PORT": str(port),
        "WIRESTREAM_INDEX_GROUP_ID": prefix,
        "WIRESTREAM_INDEX_INDEX_PREFIX": prefix,
        **extra,
    }


class FreezableProxy:
    """A TCP forwarder in front of a real server that can be frozen: connections are still
    accepted and held open, but no byte goes either way until it thaws.

    That is a server that hangs rather than one that is down (refused connections are
    quickly noticed): what a consumer stuck in a request meets.
    """

    def __init__(self, target_host: str, target_port: int) -> None:
        self._target = (target_host, target_port)
        self._flowing = threading.Event()
        self._flowing.set()
        self._closed = threading.Event()
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)  # so that the acceptor sees `close`
        self.port = int(self._listener.getsockname()[1])
        self._acceptor = threading.Thread(target=self._accept, name="proxy-accept", daemon=True)
        self._acceptor.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def freeze(self) -> None:
        self._flowing.clear()

    def thaw(self) -> None:
        self._flowing.set()

    def close(self) -> None:
        self._closed.set()
        self._listener.close()
        with self._lock:
            for sock in self._sockets:
                sock.close()

    def __enter__(self) -> FreezableProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
                upstream = socket.create_connection(self._target, timeout=10)
            except OSError:
                continue
            client.settimeout(None)
            upstream.settimeout(None)
            with self._lock:
                self._sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while not self._closed.is_set():
                if not self._flowing.wait(0.2):
                    continue  # frozen: what arrives waits in the socket buffers
                readable, _, _ = select.select([source], [], [], 0.2)
                if not readable or not self._flowing.is_set():
                    continue
                data = source.recv(65536)
                if not data:
                    sink.shutdown(socket.SHUT_WR)
                    return
                sink.sendall(data)
        except OSError:
            pass


KEY = {"X-API-Key": "test-secret"}


def ingest_settings(kafka_bootstrap: str, **overrides: object) -> Any:
    """Ingest's settings for a test app on the test Kafka, with the key KEY carries."""
    from services.ingest.settings import IngestSettings

    values: dict[str, object] = {
        "kafka_bootstrap": kafka_bootstrap,
        "api_keys": {"tests": "test-secret"},
        "publish_timeout_s": 5.0,
        **overrides,
    }
    return IngestSettings.model_validate(values)
