"""Enrich's delivery rules, over edges it is handed: no Faust and no Kafka client here.

- A message a step cannot process is dead-lettered with the step and its reason, and the
  stream goes on; a result too large for the next topic is such a message.
- What is transient (Kafka not acknowledging) is raised, so the message is not acknowledged
  and comes again.
- The linking state's lookups are rebuilt from its durable table after a rebalance, and after
  a step that failed half way through them.

The Faust app (services/enrich/app.py) wires topics, the table and acknowledgements to
these; the unit tests wire lists and a dict (tests/unit/test_enrich_stages.py).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar

from pydantic import ValidationError

from schemas.article import RawArticle
from schemas.engagement import EngagementEvent
from schemas.enriched import AnalysedArticle
from services.common.errors import RecordTooLarge, Transient
from services.common.topics import ANALYSED, ENRICHED, LINKS, TopicSpec
from services.enrich.linking import apply_engagement, link
from services.enrich.mentions import Found
from services.enrich.pipeline import PreparedBatch, finish, prepare
from services.enrich.recent import RecentArticle, RecentArticles
from services.enrich.sidebar_links import LinkSettings

log = logging.getLogger(__name__)

T = TypeVar("T")


class Message(Protocol):
    """What a stage reads of a consumed record (a Faust message has these)."""

    key: bytes | None
    value: bytes | None
    topic: str
    partition: int
    offset: int


Send = Callable[[TopicSpec, bytes, bytes], Awaitable[None]]
DeadLetter = Callable[[Message, str, BaseException], Awaitable[None]]


@dataclass(frozen=True)
class RawBatch:
    """Messages from articles.raw: the articles read from them, the unreadable ones with their
    errors, and the readable ones prepared for the model."""

    parsed: list[tuple[Message, RawArticle]]
    unreadable: list[tuple[Message, ValidationError]]
    prepared: PreparedBatch
    read_at: float

    @classmethod
    def read(cls, messages: Sequence[Message]) -> RawBatch:
        parsed: list[tuple[Message, RawArticle]] = []
        unreadable: list[tuple[Message, ValidationError]] = []
        for message in messages:
            try:
                parsed.append((message, RawArticle.model_validate_json(message.value or b"")))
            except ValidationError as exc:
                unreadable.append((message, exc))
        return cls(parsed, unreadable, prepare([a for _, a in parsed]), time.perf_counter())


async def send_checked(send: Send, topic: TopicSpec, key: bytes, value: bytes) -> None:
    topic.check_fits(key, value)
    await send(topic, key, value)


class AnalyseStage:
    """Per-article analysis, once the model has answered a batch."""

    def __init__(self, send: Send, dead_letter: DeadLetter, *, words_per_minute: int) -> None:
        self._send = send
        self._dead_letter = dead_letter
        self._words_per_minute = words_per_minute

    async def finish(self, batch: RawBatch, found: Sequence[Found], now: datetime) -> int:
        """Hand each article's result to articles.analysed, or its message to the dead letters.

        Returns how many were handed on. Raises what is transient: the caller acknowledges
        the batch's messages only when this returns.
        """
        results = finish(batch.prepared, found, now, words_per_minute=self._words_per_minute)
        for message, error in batch.unreadable:
            await self._dead_letter(message, "parse", error)
        handed = 0
        for (message, article), result in zip(batch.parsed, results, strict=True):
            if isinstance(result, Exception):
                await self._dead_letter(message, "analyse", result)
                continue
            try:
                await send_checked(
                    self._send, ANALYSED, article.id.encode(), result.model_dump_json().encode()
                )
            except RecordTooLarge as exc:
                await self._dead_letter(message, "analyse", exc)
                continue
            handed += 1
        return handed


class LinkingState:
    """The recent articles linking holds: the lookups in memory, each record in a durable table.

    The table (a Faust table, its changelog in Kafka) survives restarts and moves with its
    partition; the lookups are rebuilt from it whenever they may no longer match it.
    """

    def __init__(self, recent: RecentArticles, table: MutableMapping[str, str]) -> None:
        self._recent = recent
        self._table = table
        self._stale = True

    def invalidate(self) -> None:
        """After a rebalance, or a step that stopped half way through the lookups."""
        self._stale = True

    def current(self) -> RecentArticles:
        if self._stale:
            self._recent.rebuild(RecentArticle.model_validate_json(value) for value in self._table.values())
            self._stale = False
            log.info("linking state rebuilt", extra={"articles": len(self._recent)})
        return self._recent

    def persist(self, records: Sequence[RecentArticle], dropped: Sequence[str]) -> None:
        for record in records:
            self._table[record.id] = record.model_dump_json()
        for article_id in dropped:
            self._table.pop(article_id, None)

    def __len__(self) -> int:
        return len(self._recent)


class LinkStage:
    """Linking and engagement, one message at a time, over the one linking state."""

    def __init__(self, state: LinkingState, send: Send, dead_letter: DeadLetter, links: LinkSettings) -> None:
        self.state = state
        self._send = send
        self._dead_letter = dead_letter
        self._links = links

    async def link(self, message: Message, now: datetime) -> int | None:
        """Publish the enriched article and the older articles' new Related lists.

        Returns the number of link updates, None when the message was dead-lettered.
        """
        return await self._guarded(message, "link", self._link(message, now))

    async def count(self, message: Message) -> None:
        await self._guarded(message, "engagement", self._count(message))

    async def _link(self, message: Message, now: datetime) -> int:
        analysed = AnalysedArticle.model_validate_json(message.value or b"")
        outcome = link(analysed, self.state.current(), self._links, now)
        key, value = outcome.enriched.article.id.encode(), outcome.enriched.model_dump_json().encode()
        updates = [(u.article_id.encode(), u.model_dump_json().encode()) for u in outcome.updates]
        ENRICHED.check_fits(key, value)  # before anything is kept: a dead letter leaves no trace
        for update_key, update_value in updates:
            LINKS.check_fits(update_key, update_value)
        self.state.persist(outcome.stored, outcome.dropped)
        await self._send(ENRICHED, key, value)
        for update_key, update_value in updates:
            await self._send(LINKS, update_key, update_value)
        return len(updates)

    async def _count(self, message: Message) -> None:
        event = EngagementEvent.model_validate_json(message.value or b"")
        changed = apply_engagement(event, self.state.current())
        if changed is not None:
            self.state.persist([changed], [])

    async def _guarded(self, message: Message, step: str, work: Awaitable[T]) -> T | None:
        try:
            return await work
        except Transient:
            raise  # not acknowledged: the message comes again
        except Exception as exc:  # permanent for this message: dead-letter it, go on
            self.state.invalidate()
            await self._dead_letter(message, step, exc)
            return None
