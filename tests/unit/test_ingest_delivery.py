"""Ingest's delivery rules with an in-memory edge: what is answered, given what Kafka did."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest

from services.common.errors import PublishUnavailable, RecordRejected
from services.ingest.delivery import Delivery, Items, Record
from services.ingest.metrics import IngestMetrics
from services.ingest.problems import Problem
from services.ingest.submissions import article_record
from tests.support import raw_article, submission


@dataclass
class MemoryPublisher:
    """Kafka as a list: it acknowledges, refuses chosen keys, or does not answer at all."""

    refuse: set[str] = field(default_factory=set)
    unavailable: bool = False
    published: list[tuple[str, str]] = field(default_factory=list)

    async def publish(self, topic: str, records: Sequence[Record]) -> list[BaseException | None]:
        if self.unavailable:
            raise PublishUnavailable("no acknowledgement within 10s")
        outcomes: list[BaseException | None] = []
        for record in records:
            if record.key in self.refuse:
                outcomes.append(RecordRejected("the record is too large"))
            else:
                self.published.append((topic, record.key))
                outcomes.append(None)
        return outcomes


def _deliver(publisher: MemoryPublisher, items: Items) -> Items:
    delivery = Delivery(publisher, IngestMetrics(), retry_after_s=7)
    return asyncio.run(delivery.deliver(items, "bulk"))


def _items(count: int) -> tuple[Items, list[str]]:
    items, ids = Items("line"), []
    for line in range(1, count + 1):
        article = raw_article(submission())
        items.accept(line, article, article_record(article))
        ids.append(article.id)
    return items, ids


def test_items_are_accepted_once_kafka_acknowledged_their_records() -> None:
    publisher = MemoryPublisher()
    items, ids = _items(3)
    answers = _deliver(publisher, items).answers
    assert [a["status"] for a in answers] == ["accepted"] * 3
    assert publisher.published == [("articles.raw", i) for i in ids]


def test_a_record_kafka_refuses_refuses_its_item_alone() -> None:
    items, ids = _items(3)
    answers = _deliver(MemoryPublisher(refuse={ids[1]}), items).answers
    assert [a["status"] for a in answers] == ["accepted", "rejected", "accepted"]
    assert answers[1] == {"line": 2, "status": "rejected", "problem": answers[1]["problem"]}
    assert answers[1]["problem"]["status"] == 413


def test_kafka_not_answering_claims_nothing() -> None:
    items, _ = _items(2)
    with pytest.raises(Problem) as caught:
        _deliver(MemoryPublisher(unavailable=True), items)
    assert caught.value.status == 503
    assert caught.value.headers == {"Retry-After": "7"}


def test_refused_and_skipped_items_keep_their_place_and_withdrawals_go_after_the_articles() -> None:
    publisher = MemoryPublisher()
    items = Items("item")
    items.refuse(0, Problem(422, "validation-error", "Invalid article", "1 invalid field(s)"))
    items.withdraw(1, "feed-" + "1" * 32, Record(key="feed-" + "1" * 32, value=b"{}"))
    items.skip(2, "a picture, not a text")
    article = raw_article(submission())
    items.accept(3, article, article_record(article), headline=article.headline)
    answers = _deliver(publisher, items).answers
    assert [(a["item"], a["status"]) for a in answers] == [
        (0, "rejected"),
        (1, "withdrawn"),
        (2, "skipped"),
        (3, "accepted"),
    ]
    assert answers[3]["headline"] == article.headline
    assert [topic for topic, _ in publisher.published] == ["articles.raw", "articles.control"]


def test_an_accepted_item_says_what_ingest_repaired() -> None:
    article = raw_article(submission(published_at="2025-04-27T12:00:00Z", updated_at="2025-04-26T00:00:00Z"))
    items = Items("line")
    items.accept(1, article, article_record(article))
    (answer,) = _deliver(MemoryPublisher(), items).answers
    assert [w["code"] for w in answer["ingest_warnings"]] == ["updated-before-published"]


def test_nothing_to_publish_sends_nothing() -> None:
    publisher = MemoryPublisher(unavailable=True)  # would raise if anything were sent
    items = Items("line")
    items.refuse(1, Problem(400, "malformed-json", "Body is not valid JSON", "line 1"))
    assert not items.anything_to_publish
    assert _deliver(publisher, items).count("rejected") == 1
