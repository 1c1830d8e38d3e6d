"""What the indexer cannot write goes to articles.dlq with the reason, and the partition moves on."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from elasticsearch import Elasticsearch
from kafka import KafkaProducer

from infra.settings import InfraSettings
from schemas.dead_letter import DeadLetter
from schemas.enriched import EnrichedArticle, LinkUpdate, SidebarLink
from services.common.topics import DLQ, ENRICHED, LINKS
from services.index.mapping import CURRENT_VERSION, IndexNames
from tests.support import (
    enriched_article,
    free_port,
    indexer_env,
    read_topic,
    running_service,
    submission,
    wait_until,
)

NOW = datetime(2025, 5, 5, tzinfo=UTC)
WAIT_S = 180  # the machine is shared: generous, and never a timing assertion
PARTITION = 0  # every record of the test on one partition, so "after" means after
Where = tuple[str | None, int | None, int | None]  # a record's topic, partition and offset


def _article() -> EnrichedArticle:
    article: EnrichedArticle = enriched_article(submission(feed_item_id=f"item-{uuid.uuid4().hex}"), NOW)
    return article


def test_unreadable_and_refused_messages_are_dead_lettered_with_the_reason_and_the_stream_goes_on(
    infra: InfraSettings, logs_dir: str
) -> None:
    prefix = f"dl-{uuid.uuid4().hex[:6]}"
    names = IndexNames(prefix, CURRENT_VERSION)
    port = free_port()
    env = indexer_env(infra, prefix, port)
    tag = uuid.uuid4().hex[:8]
    good = _article()
    # Valid as an EnrichedArticle, refused by the mapping: word_count is an integer field.
    refused = _article()
    refused = refused.model_copy(
        update={"facts": refused.facts.model_copy(update={"word_count": 3_000_000_000})}
    )
    stray = LinkUpdate(
        article_id=good.article.id,
        kind="related",
        links=[SidebarLink(article_id="feed-" + "0" * 32, headline="Most read", kind="ranking", score=1.0)],
        issued_at=NOW,
    )
    link = LinkUpdate(
        article_id=good.article.id,
        kind="related",
        links=[SidebarLink(article_id="feed-" + "1" * 32, headline="Related", kind="related", score=0.5)],
        issued_at=NOW + timedelta(minutes=1),
    )
    records: list[tuple[str, str, bytes]] = [
        (ENRICHED.name, f"not-json-{tag}", b'{"article": {"headline": "cut off'),
        (ENRICHED.name, refused.article.id, refused.model_dump_json().encode()),
        (ENRICHED.name, good.article.id, good.model_dump_json().encode()),
        (LINKS.name, f"not-json-{tag}", b"\x00\x01 not a link update"),
        (LINKS.name, f"stray-{tag}", stray.model_dump_json().encode()),
        (LINKS.name, good.article.id, link.model_dump_json().encode()),
    ]
    es = Elasticsearch(infra.es_url, request_timeout=60)
    producer = KafkaProducer(bootstrap_servers=infra.kafka_bootstrap, acks="all")

    def linked() -> bool:
        found = es.options(ignore_status=404).get(index=names.write_alias, id=good.article.id)
        source = found.get("_source") or {}
        return (
            bool(found.get("found"))
            and source.get("status") == "published"
            and bool(source["links"]["related"])
        )

    try:
        with running_service("services.index", env, port, Path(logs_dir) / f"index-{prefix}.log"):
            placed: dict[tuple[str, str], tuple[int, int, bytes]] = {}
            for topic, key, value in records:
                meta = producer.send(topic, key=key.encode(), value=value, partition=PARTITION).get(
                    timeout=30
                )
                placed[(topic, key)] = (meta.partition, meta.offset, value)
            # The good article and its link update come after the bad records on their partitions.
            wait_until(linked, WAIT_S, what="the good article indexed and linked after the bad records")
            bad: set[Where] = {
                (topic, p, o) for (topic, key), (p, o, _) in placed.items() if key != good.article.id
            }

            def ours(batch: list[Any]) -> dict[Where, DeadLetter]:
                """Our records' dead letters (the DLQ is shared; a later test's indexer may add copies)."""
                letters = [DeadLetter.model_validate_json(r.value) for r in batch]
                return {
                    (x.topic, x.partition, x.offset): x
                    for x in letters
                    if (x.topic, x.partition, x.offset) in bad
                }

            found = ours(
                read_topic(
                    infra.kafka_bootstrap,
                    DLQ.name,
                    until=lambda b: len(ours(b)) == len(bad),
                    timeout_s=WAIT_S,
                )
            )
    finally:
        producer.close()
        es.close()

    def letter(topic: str, key: str) -> DeadLetter:
        partition, offset, value = placed[(topic, key)]
        dead = found[(topic, partition, offset)]
        assert (dead.stage, dead.original, dead.original_key) == ("index", value, key)
        return dead

    not_json = letter(ENRICHED.name, f"not-json-{tag}")
    assert (not_json.step, not_json.error_class) == ("parse", "ValidationError")
    assert "Invalid JSON" in not_json.message

    mapping = letter(ENRICHED.name, refused.article.id)
    assert mapping.step == "write"
    assert mapping.error_class in {"document_parsing_exception", "mapper_parsing_exception"}
    assert "word_count" in mapping.message

    assert letter(LINKS.name, f"not-json-{tag}").step == "parse"
    stray_letter = letter(LINKS.name, f"stray-{tag}")
    assert (stray_letter.step, stray_letter.error_class) == ("parse", "ValueError")
    assert "another kind" in stray_letter.message
