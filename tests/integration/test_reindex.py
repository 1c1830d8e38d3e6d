"""Reindex from Kafka into a new generation and swap the aliases while searches keep running."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime

from elasticsearch import Elasticsearch
from kafka import KafkaProducer

from infra.settings import InfraSettings
from schemas.control import ControlNotice
from schemas.enriched import EnrichedArticle
from services.common.topics import CONTROL, ENRICHED
from services.index.bulk_writer import BulkWriter, IndexRequest
from services.index.documents import document_version, to_document
from services.index.mapping import CURRENT_VERSION, IndexNames
from services.index.reindex import reindex
from services.index.settings import IndexSettings
from tests.support import enriched_article

NOW = datetime(2025, 5, 3, tzinfo=UTC)


def _enriched() -> EnrichedArticle:
    article: EnrichedArticle = enriched_article(now=NOW)
    return article


def test_reindex_swaps_aliases_atomically_and_loses_no_query(infra: InfraSettings) -> None:
    prefix = f"rx-{uuid.uuid4().hex[:6]}"
    names = IndexNames(prefix, CURRENT_VERSION)
    es = Elasticsearch(infra.es_url)
    live = BulkWriter(es, names)
    live.ensure_index()
    articles = [_enriched() for _ in range(30)]
    ids = [a.article.id for a in articles]
    withdrawn = ids[0]
    live.write([IndexRequest(a.article.id, document_version(a), to_document(a)) for a in articles])
    producer = KafkaProducer(bootstrap_servers=infra.kafka_bootstrap, acks="all")
    for article in articles:
        producer.send(
            ENRICHED.name, key=article.article.id.encode(), value=article.model_dump_json().encode()
        )
    notice = ControlNotice(article_id=withdrawn, action="withdraw", reason="test", revision=1, issued_at=NOW)
    producer.send(CONTROL.name, key=withdrawn.encode(), value=notice.model_dump_json().encode())
    producer.flush()
    producer.close()
    es.indices.refresh(index=names.read_alias)

    counts: list[int] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def search_continuously() -> None:
        client = Elasticsearch(infra.es_url)
        while not stop.is_set():
            try:
                counts.append(
                    client.count(index=names.read_alias, query={"ids": {"values": ids[1:]}})["count"]
                )
            except Exception as exc:
                errors.append(exc)

    searcher = threading.Thread(target=search_continuously)
    searcher.start()
    try:
        settings = IndexSettings(
            kafka_bootstrap=infra.kafka_bootstrap, es_url=infra.es_url, index_prefix=prefix
        )
        target = reindex(settings, stamp="gen2")
    finally:
        stop.set()
        searcher.join()

    assert target == names.generation("gen2")
    assert errors == []
    assert len(counts) > 10
    assert set(counts) == {len(ids) - 1}  # every search, before, during and after the swap, saw them all
    assert set(es.indices.get_alias(name=names.read_alias)) == {target}
    assert set(es.indices.get_alias(name=names.write_alias)) == {target}
    es.indices.refresh(index=target)
    assert es.count(index=target, query={"ids": {"values": ids}})["count"] == len(ids)
    assert es.count(index=names.read_alias, query={"ids": {"values": [withdrawn]}})["count"] == 0
    assert es.get(index=target, id=withdrawn)["_source"]["withdrawn"] is True
    live.ensure_index()  # a restarted indexer leaves the reindexed aliases alone
    assert set(es.indices.get_alias(name=names.write_alias)) == {target}
