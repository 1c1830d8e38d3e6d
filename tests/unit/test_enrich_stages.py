"""Enrich's delivery rules with in-memory edges: a list for each topic, a dict for the table."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from services.common.errors import PublishUnavailable
from services.common.topics import ANALYSED, ENRICHED, TopicSpec
from services.enrich.mentions import Found
from services.enrich.pipeline import finish, prepare
from services.enrich.recent import RecentArticles
from services.enrich.settings import EnrichSettings
from services.enrich.stages import AnalyseStage, LinkingState, LinkStage, RawBatch
from tests.support import raw_article, submission

NOW = datetime(2025, 4, 28, tzinfo=UTC)


@dataclass
class Msg:
    value: bytes | None
    key: bytes | None = b"k"
    topic: str = "articles.raw"
    partition: int = 0
    offset: int = 0


@dataclass
class Edges:
    """Kafka as lists: what each topic was sent, and the dead letters with their step."""

    sent: dict[str, list[bytes]] = field(default_factory=dict)
    dead: list[tuple[str, str]] = field(default_factory=list)  # (step, error class)
    down: bool = False

    async def send(self, topic: TopicSpec, key: bytes, value: bytes) -> None:
        if self.down:
            raise PublishUnavailable("Kafka did not take the record")
        self.sent.setdefault(topic.name, []).append(value)

    async def dead_letter(self, message: object, step: str, error: BaseException) -> None:
        self.dead.append((step, type(error).__name__))


def _raw_message(**overrides: object) -> Msg:
    return Msg(raw_article(submission(**overrides)).model_dump_json().encode())


def _no_mentions(batch: RawBatch) -> list[Found]:
    return [[] for _ in batch.prepared.model_texts()]


def _analysed_message(**overrides: object) -> Msg:
    article = raw_article(submission(**overrides))
    batch = prepare([article])
    (result,) = finish(batch, [[] for _ in batch.model_texts()], NOW, words_per_minute=230)
    assert not isinstance(result, Exception)
    return Msg(result.model_dump_json().encode(), topic=ANALYSED.name)


def _linking(edges: Edges, table: dict[str, str]) -> LinkStage:
    settings = EnrichSettings()
    state = LinkingState(RecentArticles(settings.recent_window, settings.near_duplicate_threshold), table)
    return LinkStage(state, edges.send, edges.dead_letter, settings.links)


def test_a_batch_hands_on_what_it_read_and_dead_letters_the_rest() -> None:
    edges = Edges()
    batch = RawBatch.read([_raw_message(), Msg(b"not json"), _raw_message()])
    stage = AnalyseStage(edges.send, edges.dead_letter, words_per_minute=230)
    handed = asyncio.run(stage.finish(batch, _no_mentions(batch), NOW))
    assert handed == 2
    assert len(edges.sent[ANALYSED.name]) == 2
    assert edges.dead == [("parse", "ValidationError")]


def test_a_result_too_large_for_the_next_topic_is_a_dead_letter_not_a_stop() -> None:
    edges = Edges()
    huge = raw_article(submission(body=["seals " * 600_000, "more"]))
    record = json.loads(huge.model_dump_json())
    record["body_html"] = "<p>x</p>" * 500_000  # over half the topic: the summary tips it over
    batch = RawBatch.read([Msg(json.dumps(record).encode()), _raw_message()])
    stage = AnalyseStage(edges.send, edges.dead_letter, words_per_minute=230)
    assert asyncio.run(stage.finish(batch, _no_mentions(batch), NOW)) == 1
    assert edges.dead == [("analyse", "RecordTooLarge")]


def test_a_failure_of_the_model_on_one_text_dead_letters_that_article_alone() -> None:
    edges = Edges()
    batch = RawBatch.read([_raw_message(), _raw_message()])
    found: list[Found] = [[], ValueError("the model choked")][: len(batch.prepared.model_texts())]
    stage = AnalyseStage(edges.send, edges.dead_letter, words_per_minute=230)
    assert asyncio.run(stage.finish(batch, found, NOW)) == 1
    assert edges.dead == [("analyse", "ValueError")]


def test_kafka_not_taking_a_result_is_raised_so_the_batch_is_not_acknowledged() -> None:
    edges = Edges(down=True)
    batch = RawBatch.read([_raw_message()])
    stage = AnalyseStage(edges.send, edges.dead_letter, words_per_minute=230)
    with pytest.raises(PublishUnavailable):
        asyncio.run(stage.finish(batch, _no_mentions(batch), NOW))
    assert edges.dead == []


def test_linking_publishes_the_article_and_keeps_it_in_the_table() -> None:
    edges, table = Edges(), {}
    stage = _linking(edges, table)
    assert asyncio.run(stage.link(_analysed_message(), NOW)) == 0
    (enriched,) = edges.sent[ENRICHED.name]
    assert json.loads(enriched)["article"]["id"] in table


def test_a_message_linking_cannot_read_is_dead_lettered_and_the_lookups_rebuilt_from_the_table() -> None:
    edges, table = Edges(), {}
    stage = _linking(edges, table)
    asyncio.run(stage.link(_analysed_message(), NOW))
    assert asyncio.run(stage.link(Msg(b'{"enriched": 1}', topic=ANALYSED.name), NOW)) is None
    assert edges.dead == [("link", "ValidationError")]
    table.clear()  # the durable copy is what the lookups come back from
    asyncio.run(stage.link(_analysed_message(), NOW))
    assert len(stage.state) == 1


def test_linking_raises_what_is_transient_instead_of_dead_lettering_it() -> None:
    edges, table = Edges(down=True), {}
    stage = _linking(edges, table)
    with pytest.raises(PublishUnavailable):
        asyncio.run(stage.link(_analysed_message(), NOW))
    assert edges.dead == []


def test_engagement_for_an_article_not_held_changes_nothing_and_a_bad_count_is_a_dead_letter() -> None:
    edges, table = Edges(), {}
    stage = _linking(edges, table)
    view = {"article_id": "feed-" + "0" * 32, "kind": "view", "count": 3, "at": "2025-04-28T00:00:00Z"}
    asyncio.run(stage.count(Msg(json.dumps(view).encode())))
    asyncio.run(stage.count(Msg(json.dumps({**view, "count": 0}).encode())))
    assert table == {}
    assert edges.dead == [("engagement", "ValidationError")]
