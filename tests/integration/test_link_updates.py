"""Link updates on articles.links through the running indexer: one kind replaced, in any order of arrival."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from kafka import KafkaProducer

from infra.settings import InfraSettings
from schemas.enriched import EnrichedArticle, LinkKind, LinkUpdate, SidebarLink
from services.common.topics import ENRICHED, LINKS
from services.index.documents import instant
from services.index.mapping import CURRENT_VERSION, IndexNames
from services.index.reindex import reindex
from services.index.settings import IndexSettings
from tests.support import enriched_article, free_port, indexer_env, running_service, submission, wait_until

NOW = datetime(2025, 5, 4, 9, 0, tzinfo=UTC)
WAIT_S = 180  # the machine is shared: generous, and never a timing assertion


def _link(kind: LinkKind, n: int) -> SidebarLink:
    return SidebarLink(article_id=f"feed-{n:032x}", headline=f"Story {n}", kind=kind, score=0.5, reason=["x"])


def _article(related: int, ranking: int, recommendation: int) -> EnrichedArticle:
    article: EnrichedArticle = enriched_article(submission(feed_item_id=f"item-{uuid.uuid4().hex}"), NOW)
    links = [_link("related", related), _link("ranking", ranking), _link("recommendation", recommendation)]
    return article.model_copy(update={"links": links})


def _update(article_id: str, kind: LinkKind, ids: list[int], issued_at: datetime) -> LinkUpdate:
    return LinkUpdate(
        article_id=article_id, kind=kind, links=[_link(kind, n) for n in ids], issued_at=issued_at
    )


def _ids(document: dict[str, Any], kind: str) -> list[str]:
    return [link["article_id"] for link in document["links"][kind]]


@dataclass
class Indexer:
    names: IndexNames
    es: Elasticsearch
    producer: KafkaProducer

    def send(self, message: EnrichedArticle | LinkUpdate) -> None:
        if isinstance(message, LinkUpdate):
            topic, key = LINKS.name, message.article_id
        else:
            topic, key = ENRICHED.name, message.article.id
        self.producer.send(topic, key=key.encode(), value=message.model_dump_json().encode()).get(timeout=30)

    def stored(self, article_id: str) -> dict[str, Any] | None:
        found = self.es.options(ignore_status=404).get(index=self.names.write_alias, id=article_id)
        return found["_source"] if found.get("found") else None

    def visible(self, article_id: str) -> bool:
        self.es.indices.refresh(index=self.names.read_alias)
        query = {"ids": {"values": [article_id]}}
        return bool(self.es.count(index=self.names.read_alias, query=query)["count"] == 1)

    def wait_for(self, article_id: str, what: str, condition: Any) -> dict[str, Any]:
        def check() -> dict[str, Any] | None:
            document = self.stored(article_id)
            return document if document is not None and condition(document) else None

        result: dict[str, Any] = wait_until(check, WAIT_S, what=what)
        return result


@pytest.fixture
def indexer(infra: InfraSettings, logs_dir: str) -> Iterator[Indexer]:
    prefix = f"lk-{uuid.uuid4().hex[:6]}"
    port = free_port()
    env = indexer_env(infra, prefix, port)
    es = Elasticsearch(infra.es_url, request_timeout=60)
    producer = KafkaProducer(bootstrap_servers=infra.kafka_bootstrap, acks="all")
    try:
        with running_service("services.index", env, port, Path(logs_dir) / f"index-{prefix}.log"):
            yield Indexer(IndexNames(prefix, CURRENT_VERSION), es, producer)
    finally:
        producer.close()
        es.close()


def test_a_link_update_replaces_one_kind_and_an_older_one_is_ignored(indexer: Indexer) -> None:
    article = _article(related=1, ranking=2, recommendation=3)
    article_id = article.article.id
    indexer.send(article)
    before = indexer.wait_for(article_id, "article indexed", lambda d: d.get("status") == "published")
    assert (_ids(before, "related"), before["links_issued_at"]["related"]) == (
        [f"feed-{1:032x}"],
        instant(NOW),
    )

    later = NOW + timedelta(minutes=1)
    indexer.send(_update(article_id, "related", [4, 5], later))
    after = indexer.wait_for(article_id, "related list replaced", lambda d: len(d["links"]["related"]) == 2)
    assert _ids(after, "related") == [f"feed-{4:032x}", f"feed-{5:032x}"]
    assert after["links_issued_at"] == {
        "related": instant(later),
        "ranking": instant(NOW),
        "recommendation": instant(NOW),
    }
    untouched = {k: v for k, v in before.items() if k not in ("links", "links_issued_at")}
    assert {k: v for k, v in after.items() if k not in ("links", "links_issued_at")} == untouched
    assert {k: after["links"][k] for k in ("ranking", "recommendation")} == {
        k: before["links"][k] for k in ("ranking", "recommendation")
    }

    # Searchable through the read alias, as docs/search.md's linked_from query asks for it.
    indexer.es.indices.refresh(index=indexer.names.read_alias)
    linked = {
        "nested": {"path": "links.related", "query": {"term": {"links.related.article_id": f"feed-{5:032x}"}}}
    }
    hits = indexer.es.search(index=indexer.names.read_alias, query=linked)["hits"]["hits"]
    assert [hit["_id"] for hit in hits] == [article_id]

    # An older related list, then a ranking update behind it on the same partition (same key):
    # once the ranking update shows, the older related list has been consumed too.
    indexer.send(_update(article_id, "related", [6], NOW + timedelta(seconds=30)))
    indexer.send(_update(article_id, "ranking", [7], NOW + timedelta(minutes=2)))
    final = indexer.wait_for(
        article_id, "ranking replaced", lambda d: _ids(d, "ranking") == [f"feed-{7:032x}"]
    )
    assert _ids(final, "related") == [f"feed-{4:032x}", f"feed-{5:032x}"]
    assert final["links_issued_at"]["related"] == instant(later)
    assert final["headline"] == article.article.headline


def test_an_update_before_its_article_is_held_hidden_and_merged_when_the_article_arrives(
    indexer: Indexer, infra: InfraSettings
) -> None:
    early = _article(related=11, ranking=12, recommendation=13)
    stale = _article(related=21, ranking=22, recommendation=23)
    early_id, stale_id = early.article.id, stale.article.id
    newer_update = _update(early_id, "related", [14], NOW + timedelta(minutes=1))
    older_update = _update(stale_id, "related", [24], NOW - timedelta(minutes=1))  # before stale's own list
    indexer.send(newer_update)
    indexer.send(older_update)
    for article_id in (early_id, stale_id):
        placeholder = indexer.wait_for(article_id, "placeholder stored", lambda d: "status" in d)
        assert placeholder["status"] == "placeholder"
        assert not indexer.visible(article_id)  # nothing to show until the article arrives

    indexer.send(early)
    indexer.send(stale)
    for article_id in (early_id, stale_id):
        indexer.wait_for(article_id, "article indexed", lambda d: d.get("status") == "published")
        assert indexer.visible(article_id)
    merged, own = indexer.stored(early_id), indexer.stored(stale_id)
    assert merged is not None
    assert own is not None
    # The update was newer than the article's own Related list: it stays; the rest is the article's.
    assert _ids(merged, "related") == [f"feed-{14:032x}"]
    assert (_ids(merged, "ranking"), _ids(merged, "recommendation")) == (
        [f"feed-{12:032x}"],
        [f"feed-{13:032x}"],
    )
    assert merged["links_issued_at"]["related"] == instant(NOW + timedelta(minutes=1))
    assert merged["headline"] == early.article.headline
    # The update was older than the article's own list: the article's list wins.
    assert _ids(own, "related") == [f"feed-{21:032x}"]
    assert own["links_issued_at"]["related"] == instant(NOW)

    # A reindex replays the three topics side by side (updates may come before articles):
    # the new generation ends the same.
    settings = IndexSettings(
        kafka_bootstrap=infra.kafka_bootstrap, es_url=infra.es_url, index_prefix=indexer.names.prefix
    )
    target = reindex(settings, stamp="gen2")
    for article_id, document in ((early_id, merged), (stale_id, own)):
        rebuilt = indexer.es.get(index=target, id=article_id)["_source"]
        assert (rebuilt["links"], rebuilt["links_issued_at"]) == (
            document["links"],
            document["links_issued_at"],
        )
