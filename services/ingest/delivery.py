"""Ingest's delivery rules, over an edge that publishes: no HTTP here, and no Kafka client.

- An item is answered `accepted` only once Kafka acknowledged its record.
- Kafka refusing one record refuses that item alone (a 413 in its place), never its neighbours.
- Kafka not acknowledging at all claims nothing: the request is a 503 with Retry-After.
- A document's withdrawals go out after its articles, so a notice never overtakes its article.

The edge is anything with `publish(topic, records)`: the Kafka publisher in the service, a
list in the unit tests (tests/unit/test_ingest_delivery.py).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from schemas.article import RawArticle
from services.common.errors import PublishUnavailable, RecordRejected
from services.common.topics import CONTROL, RAW
from services.ingest import problems
from services.ingest.metrics import IngestMetrics
from services.ingest.problems import Problem


@dataclass(frozen=True)
class Record:
    key: str
    value: bytes
    headers: tuple[tuple[str, bytes], ...] = ()


class Publisher(Protocol):
    async def publish(self, topic: str, records: Sequence[Record]) -> list[BaseException | None]:
        """One outcome per record, in order: None once acknowledged, RecordRejected when Kafka
        refused that record; raises PublishUnavailable when Kafka did not answer in time."""
        ...


def accepted(article: RawArticle) -> dict[str, Any]:
    """What an answer says of an accepted article: its id and what ingest repaired in it."""
    return {
        "id": article.id,
        "revision": article.revision,
        "ingest_warnings": [w.model_dump() for w in article.ingest_warnings],
    }


@dataclass
class Items:
    """One answer per item of a request, in order, and the records their acceptance waits on.

    `where` names the item's place in what the client sent: "line" in a bulk body, "item"
    in a raw document.
    """

    where: Literal["line", "item"]
    answers: list[dict[str, Any]] = field(default_factory=list)
    articles: list[RawArticle] = field(default_factory=list)
    _pending: list[tuple[int, Record]] = field(default_factory=list)
    _notices: list[Record] = field(default_factory=list)

    def refuse(self, at: int, problem: Problem) -> None:
        self.answers.append({self.where: at, "status": "rejected", "problem": problem.body()})

    def skip(self, at: int, reason: str) -> None:
        self.answers.append({self.where: at, "status": "skipped", "reason": reason})

    def accept(self, at: int, article: RawArticle, record: Record, **shown: Any) -> None:
        """Accepted if Kafka acknowledges `record`; `shown` adds to what the answer says of it."""
        self._pending.append((len(self.answers), record))
        self.articles.append(article)
        self.answers.append({self.where: at, "status": "accepted", **shown, **accepted(article)})

    def withdraw(self, at: int, article_id: str, record: Record) -> None:
        self._notices.append(record)
        self.answers.append({self.where: at, "status": "withdrawn", "id": article_id})

    def count(self, status: str) -> int:
        return sum(1 for answer in self.answers if answer["status"] == status)

    @property
    def anything_to_publish(self) -> bool:
        return bool(self._pending or self._notices)


class Delivery:
    """Publishes what a request accepted and settles each item from its record's outcome."""

    def __init__(self, publisher: Publisher, metrics: IngestMetrics, *, retry_after_s: int) -> None:
        self._publisher = publisher
        self._metrics = metrics
        self._retry_after_s = retry_after_s

    def refused(self, problem: Problem) -> None:
        """Count an item refused before publishing (whole requests are counted by the app)."""
        self._metrics.rejected.labels(problem.slug).inc()

    async def deliver(self, items: Items, endpoint: str) -> Items:
        """Articles first, then the withdrawals; an item Kafka refused becomes its own 413."""
        outcomes = await self.publish([record for _, record in items._pending], endpoint, RAW.name)
        for (slot, _), outcome in zip(items._pending, outcomes, strict=True):
            if isinstance(outcome, RecordRejected):
                too_big = Problem(413, "too-large", "Article too large for Kafka", str(outcome))
                items.answers[slot] = {
                    items.where: items.answers[slot][items.where],
                    "status": "rejected",
                    "problem": too_big.body(),
                }
        if items._notices:
            await self.publish(items._notices, "control", CONTROL.name)
        for article in items.articles:
            for warning in article.ingest_warnings:
                self._metrics.warnings.labels(warning.code).inc()
        return items

    async def publish(
        self, records: Sequence[Record], endpoint: str, topic: str
    ) -> list[BaseException | None]:
        """Kafka's outcome per record, or the 503 that claims none of them."""
        if not records:
            return []
        started = time.perf_counter()
        try:
            outcomes = await self._publisher.publish(topic, records)
        except PublishUnavailable as exc:
            self._metrics.rejected.labels("kafka_unavailable").inc(len(records))
            raise problems.kafka_unavailable(str(exc), self._retry_after_s) from exc
        self._metrics.publish_seconds.observe(time.perf_counter() - started)
        self._metrics.accepted.labels(endpoint).inc(sum(1 for o in outcomes if o is None))
        return outcomes
