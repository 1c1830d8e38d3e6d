"""Enrich on the real Kafka: workers as separate processes, killed, restarted and doubled.

Each test starts from empty topics (`reset_topics`), so what a worker reads is exactly
what the test wrote, and gives each worker group its own Faust app id (its own
consumer group and changelog).
"""

from __future__ import annotations

import json
import signal
import uuid
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from infra.settings import InfraSettings
from schemas.dead_letter import DeadLetter
from schemas.enriched import EnrichedArticle, LinkUpdate
from services.ingest.formats.text_page import parse_text_page
from tests.support import (
    free_port,
    pipeline_state,
    produce,
    raw_article,
    read_topic,
    reset_topics,
    running_service,
)

STORIES = json.loads((Path(__file__).parents[1] / "fixtures" / "enrich" / "stories.json").read_text())
SEED = Path(__file__).resolve().parents[3] / "shared" / "seeds" / "000_5ccf344fef08e2a4.txt"


@pytest.fixture
def empty_topics(infra: InfraSettings) -> str:
    reset_topics(infra.kafka_bootstrap)
    return infra.kafka_bootstrap


def _worker(bootstrap: str, app_id: str, logs_dir: str, name: str, data: str | None = None) -> Any:
    """A worker process; `data` names its data folder (its RocksDB table files), by default its own."""
    port = free_port()
    env = {
        "WIRESTREAM_KAFKA_BOOTSTRAP": bootstrap,
        "WIRESTREAM_TOPIC_PARTITIONS": "3",
        "WIRESTREAM_ENRICH_APP_ID": app_id,
        "WIRESTREAM_ENRICH_PORT": str(port),
        "WIRESTREAM_ENRICH_DATA_DIR": str(Path(logs_dir) / f"{app_id}-{data or name}-data"),
        "WIRESTREAM_ENRICH_BATCH_WAIT_S": "0.05",
        "WIRESTREAM_ENRICH_SESSION_TIMEOUT_S": "10",  # a killed worker's partitions move sooner
    }
    return running_service("services.enrich", env, port, Path(logs_dir) / f"{app_id}-{name}.log")


def _send(bootstrap: str, *stories: Any) -> list[str]:
    articles = [raw_article(s) for s in stories]
    produce(bootstrap, "articles.raw", [(a.id.encode(), a.model_dump_json().encode()) for a in articles])
    return [a.id for a in articles]


def _latest(
    bootstrap: str, ids: list[str], timeout_s: float = 120, group: str | None = None
) -> dict[str, EnrichedArticle]:
    """The last enriched message of each id, once every id has one."""

    def complete(records: list[Any]) -> bool:
        return set(ids) <= {r.key.decode() for r in records}

    try:
        records = read_topic(bootstrap, "articles.enriched", until=complete, timeout_s=timeout_s)
    except TimeoutError as exc:
        seen = {r.key.decode() for r in read_topic(bootstrap, "articles.enriched", until=lambda rs: True)}
        state = pipeline_state(bootstrap, [group] if group else [])
        raise TimeoutError(f"{exc}; missing {set(ids) - seen}; state {state}") from exc
    latest = {r.key.decode(): EnrichedArticle.model_validate_json(r.value) for r in records}
    return {i: latest[i] for i in ids}


def _seed_story() -> Any:
    if not SEED.exists():
        pytest.skip(f"the seed page is not at {SEED}")
    return parse_text_page(SEED.read_text(encoding="utf-8"))


def test_raw_in_enriched_out_with_entities_near_copies_links_and_a_poison_message(
    empty_topics: str, logs_dir: str
) -> None:
    bootstrap = empty_topics
    with _worker(bootstrap, f"enrich-{uuid.uuid4().hex[:8]}", logs_dir, "solo"):
        seed_id, harbour_id = _send(bootstrap, _seed_story(), STORIES["harbour"])
        first = _latest(bootstrap, [seed_id, harbour_id])
        produce(bootstrap, "articles.raw", [(b"poison", b"\x00 not an article")])
        copy_id, followup_id = _send(bootstrap, STORIES["harbour_copy"], STORIES["harbour_followup"])
        later = _latest(bootstrap, [copy_id, followup_id])

    seed = first[seed_id]
    names = {(e.type, e.name) for e in seed.entities}
    assert {("person", "Vladimir Putin"), ("person", "Alexander Lukashenko"), ("place", "Minsk")} <= names
    assert seed.facts.dateline is not None
    assert seed.facts.dateline.place == "Moscow"
    assert seed.sidebar_matches
    assert {m.section for m in seed.sidebar_matches} >= {"Related"}

    original, copy, followup = first[harbour_id], later[copy_id], later[followup_id]
    assert copy.duplicate_of == harbour_id
    assert copy.cluster_id == original.cluster_id
    assert followup.duplicate_of is None
    assert followup.cluster_id != original.cluster_id
    related = [link for link in followup.links if link.kind == "related"]
    assert len(related) == 1, "one link per story: the original and its copy are one cluster"
    assert related[0].article_id in {harbour_id, copy_id}
    assert "Marieke de Vries" in related[0].reason or "Rotterdam" in related[0].reason

    updates = read_topic(bootstrap, "articles.links", until=lambda rs: len(rs) >= 1)
    gained = [LinkUpdate.model_validate_json(r.value) for r in updates]
    assert any(
        u.article_id in {harbour_id, copy_id} and followup_id in {x.article_id for x in u.links}
        for u in gained
    )

    (letter,) = [
        DeadLetter.model_validate_json(r.value)
        for r in read_topic(bootstrap, "articles.dlq", until=lambda rs: len(rs) >= 1)
    ]
    assert letter.stage == "enrich"
    assert letter.step == "parse"
    assert letter.original == b"\x00 not an article"


@pytest.mark.parametrize(
    "data",
    [
        pytest.param("first", id="same-data-dir"),  # its RocksDB files, then the changelog's tail
        pytest.param(None, id="new-data-dir"),  # a new machine: the whole changelog
    ],
)
def test_a_killed_worker_restarts_from_its_changelog_and_loses_nothing(
    empty_topics: str, logs_dir: str, data: str | None
) -> None:
    bootstrap, app_id = empty_topics, f"enrich-{uuid.uuid4().hex[:8]}"
    with _worker(bootstrap, app_id, logs_dir, "first") as worker:
        (harbour_id,) = _send(bootstrap, STORIES["harbour"])
        _latest(bootstrap, [harbour_id])
        more = _send(bootstrap, STORIES["glacier"], STORIES["harbour_followup"])
        worker.send_signal(signal.SIGKILL)  # mid-stream: no clean shutdown, no final commit
        worker.wait(timeout=30)
    with _worker(bootstrap, app_id, logs_dir, "restarted", data):
        (copy_id,) = _send(bootstrap, STORIES["harbour_copy"])
        out = _latest(bootstrap, [harbour_id, *more, copy_id], group=app_id)
    assert out[copy_id].duplicate_of == harbour_id, "the restarted worker recovered the earlier article"
    assert all(out[i].enriched_at for i in more), "nothing sent around the kill was lost"


def _run(bootstrap: str, app_id: str, workers: int, logs_dir: str) -> dict[str, dict[str, Any]]:
    """One story at a time, each waited for, so the linking order is the same whatever the workers."""
    outputs: dict[str, dict[str, Any]] = {}
    with ExitStack() as stack:
        for n in range(workers):
            stack.enter_context(_worker(bootstrap, app_id, logs_dir, f"w{n}"))
        for key in ("harbour", "glacier", "harbour_copy", "harbour_followup"):
            (article_id,) = _send(bootstrap, STORIES[key])
            outputs[key] = _comparable(_latest(bootstrap, [article_id])[article_id])
        if workers > 1:
            assert _members(bootstrap, app_id) == workers
    return outputs


def _comparable(article: EnrichedArticle) -> dict[str, Any]:
    """What must not depend on the number of workers (ids are stable: same story, same id)."""
    return {
        "entities": [(e.name, e.type, e.mentions, e.salience) for e in article.entities],
        "cluster_id": article.cluster_id,
        "duplicate_of": article.duplicate_of,
        "links": [(link.kind, link.article_id, link.score) for link in article.links],
    }


def _members(bootstrap: str, group: str) -> int:
    from kafka import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        return len(admin.describe_groups([group])[group]["members"])
    finally:
        admin.close()


def test_two_workers_share_the_partitions_and_give_the_same_results_as_one(
    infra: InfraSettings, logs_dir: str
) -> None:
    reset_topics(infra.kafka_bootstrap)
    one = _run(infra.kafka_bootstrap, f"enrich-one-{uuid.uuid4().hex[:6]}", 1, logs_dir)
    reset_topics(infra.kafka_bootstrap)
    two = _run(infra.kafka_bootstrap, f"enrich-two-{uuid.uuid4().hex[:6]}", 2, logs_dir)
    assert two == one
    assert one["harbour_copy"]["duplicate_of"]
    assert one["harbour_followup"]["links"]
