"""Withdrawals on articles.control take articles out of search; a correction brings them back."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from elasticsearch import Elasticsearch
from kafka import KafkaProducer

from infra.settings import InfraSettings
from schemas.control import ControlNotice
from services.common.topics import CONTROL, ENRICHED
from services.index.mapping import CURRENT_VERSION, IndexNames
from tests.support import enriched_article, free_port, indexer_env, running_service, submission, wait_until

NOW = datetime(2025, 5, 2, tzinfo=UTC)


def _enriched(payload: dict[str, Any]) -> tuple[str, bytes]:
    article = enriched_article(payload, NOW)
    return article.article.id, article.model_dump_json().encode()


def _notice(article_id: str, revision: int = 1) -> bytes:
    notice = ControlNotice(
        article_id=article_id,
        action="withdraw",
        reason="pubstatus canceled",
        revision=revision,
        issued_at=NOW,
    )
    return notice.model_dump_json().encode()


def test_withdrawal_hides_the_article_until_a_correction_replaces_it(
    infra: InfraSettings, logs_dir: str
) -> None:
    prefix = f"wd-{uuid.uuid4().hex[:6]}"
    port = free_port()
    env = indexer_env(infra, prefix, port)
    es = Elasticsearch(infra.es_url)
    producer = KafkaProducer(bootstrap_servers=infra.kafka_bootstrap, acks="all")

    def send(topic: str, key: str, value: bytes) -> None:
        producer.send(topic, key=key.encode(), value=value).get(timeout=10)

    def visible(article_id: str) -> bool:
        es.indices.refresh(index=prefix)
        return es.count(index=prefix, query={"ids": {"values": [article_id]}})["count"] == 1

    def stored(article_id: str) -> dict[str, Any] | None:
        found = es.options(ignore_status=404).get(
            index=IndexNames(prefix, CURRENT_VERSION).concrete, id=article_id
        )
        return found["_source"] if found.get("found") else None

    base = submission(feed_item_id=f"item-{uuid.uuid4().hex}")
    article_id, first = _enriched(base)
    early_id, early = _enriched(submission(feed_item_id=f"item-{uuid.uuid4().hex}"))
    with running_service("services.index", env, port, Path(logs_dir) / "index-withdrawals.log"):
        send(ENRICHED.name, article_id, first)
        wait_until(lambda: visible(article_id), 60, what="article searchable")

        send(CONTROL.name, article_id, _notice(article_id))
        wait_until(lambda: not visible(article_id), 60, what="article withdrawn from search")
        doc = stored(article_id)
        assert doc is not None
        assert (doc["withdrawn"], doc["withdrawal_reason"], doc["headline"]) == (
            True,
            "pubstatus canceled",
            base["headline"],
        )

        # The notice overtakes its article: the stub wins over that revision when it arrives.
        send(CONTROL.name, early_id, _notice(early_id))
        wait_until(lambda: stored(early_id) is not None, 60, what="withdrawal stub stored")
        send(ENRICHED.name, early_id, early)
        send(ENRICHED.name, article_id, first)  # the same revision again: still withdrawn

        corrected_id, corrected = _enriched(
            {**base, "revision": 2, "headline": "Corrected: " + base["headline"]}
        )
        assert corrected_id == article_id
        send(ENRICHED.name, article_id, corrected)
        wait_until(lambda: visible(article_id), 60, what="correction searchable")
        assert stored(article_id)["revision"] == 2  # type: ignore[index]
        assert not visible(early_id)
        assert stored(early_id)["withdrawn"] is True  # type: ignore[index]
    producer.close()
