"""The state benchmark's record builder: its figures mean something only if its records are
distinct, valid and shaped like the worker's."""

from __future__ import annotations

import random
import tracemalloc
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from faust.serializers.registry import Registry

from bench.enrich_throughput import raw_articles
from bench.recent_state import (
    EARLIER,
    TABLE_CODEC,
    Plan,
    Profile,
    Table,
    _kept_by_puts,
    common_terms,
    held_records,
    intercept,
    newcomer_article,
    read_table,
    related_links,
    rocksdb_memory_bound,
    slope,
)
from schemas.enriched import AnalysedArticle
from services.enrich.near_duplicates import NUM_PERM, loads_fingerprint
from services.enrich.pipeline import enrich
from services.enrich.recent import RecentArticle

PROFILES = (
    Profile({"Lisbon": 1.0, "Amara Okafor": 0.5, "the harbour commission": 0.25}, ["said", "tram", "line"]),
    Profile({"Osaka": 1.0, "Kwame Tanaka": 0.4}, ["said", "budget"]),
)


@pytest.fixture(scope="module")
def plan() -> Plan:
    return Plan(PROFILES, raw_articles(1)[0], spacing_s=2.5, links_k=8)


@pytest.fixture(scope="module")
def records(plan: Plan) -> list[RecentArticle]:
    return list(held_records(plan, 0, 24))


def test_records_are_distinct_articles(records: list[RecentArticle]) -> None:
    for name in ("id", "headline", "fingerprint", "published_at"):
        assert len({getattr(r, name) for r in records}) == len(records), name
    assert all(r.cluster_id == r.id and r.duplicate_of is None for r in records)


def test_records_survive_the_tables_round_trip(records: list[RecentArticle]) -> None:
    for record in records:
        assert RecentArticle.model_validate_json(record.model_dump_json()) == record
        assert len(loads_fingerprint(record.fingerprint)) == NUM_PERM * 4


def test_records_carry_a_sample_profile_and_time_in_order(records: list[RecentArticle], plan: Plan) -> None:
    assert all(Profile(r.entities, r.keywords) in PROFILES for r in records)
    gaps = {b.published_at - a.published_at for a, b in pairwise(records)}
    assert gaps == {timedelta(seconds=plan.spacing_s)}


def test_related_links_point_back_to_earlier_records(records: list[RecentArticle], plan: Plan) -> None:
    seen: dict[str, str] = {}
    for number, record in enumerate(records):
        assert len(record.related) == min(number, plan.links_k)
        assert all(seen.get(link.article_id) == link.headline for link in record.related)
        scores = [link.score for link in record.related]
        assert scores == sorted(scores, reverse=True)
        seen[record.id] = record.headline


def test_related_links_take_the_most_salient_names_as_reason() -> None:
    earlier = [(f"id-{i}", f"headline {i}") for i in range(EARLIER)]
    links = related_links(random.Random(3), earlier, PROFILES[0], 8)
    assert len({link.article_id for link in links}) == 8
    assert all(link.reason == ("Lisbon", "Amara Okafor", "the harbour commission") for link in links)
    assert related_links(random.Random(3), [], PROFILES[0], 8) == ()


def test_the_same_numbers_give_the_same_records(plan: Plan, records: list[RecentArticle]) -> None:
    assert list(held_records(plan, 0, 3)) == records[:3]


def test_table_is_a_rocksdb_database_keeping_the_last_value_per_key(tmp_path: Path) -> None:
    table = Table(tmp_path / "table")
    try:
        table.put("a", "{}")
        table.put("a", '{"headline": "Café \\"quoted\\""}')
        table.put("b", "{ }")
        assert sorted(table.values()) == sorted(['{"headline": "Café \\"quoted\\""}', "{ }"])
        read_table(table)
        assert set(table.memory()) == {"memtables", "block_cache", "table_readers"}
        assert table.disk_bytes() > 0
        assert table.flushed_sst_bytes() > 0
    finally:
        table.close()
    assert not (tmp_path / "table").exists()


def test_table_writes_the_bytes_fausts_table_writes(tmp_path: Path) -> None:
    """A Faust Table with `str` keys and values encodes both with its json codec."""
    faust_table = Registry(key_serializer="raw", value_serializer="json")
    value = '{"id": "x", "headline": "Zürich"}'
    table = Table(tmp_path / "table")
    try:
        table.put("x", value)
        key_bytes = faust_table.dumps_key(str, "x", serializer=TABLE_CODEC)
        assert key_bytes is not None
        assert table.db.get(key_bytes) == faust_table.dumps_value(str, value, serializer=TABLE_CODEC)
    finally:
        table.close()


def test_table_writes_keep_nothing_in_the_python_heap(tmp_path: Path, records: list[RecentArticle]) -> None:
    items = [(record.id, record.model_dump_json()) for record in records]
    table = Table(tmp_path / "table")
    table.put("warm-up", "{}")
    tracemalloc.start()
    try:
        kept = _kept_by_puts(table, items, len(records))
    finally:
        tracemalloc.stop()
        table.close()
    assert abs(kept) < 64 * len(records)


def test_rocksdb_memory_bound_follows_the_worker_options() -> None:
    assert rocksdb_memory_bound() == 2 * 4 * 2**20 + 8 * 2**20


def test_newcomer_gets_a_new_id_and_time() -> None:
    raw = raw_articles(1)[0]
    now = datetime(2026, 1, 2, tzinfo=UTC)
    analysed = AnalysedArticle(enriched=enrich(raw, now=now), fingerprint="mh1:")
    later = now + timedelta(hours=1)
    newcomer = newcomer_article(analysed, 7, later)
    assert newcomer.enriched.article.id == "bench-state-newcomer-000007"
    assert newcomer.enriched.article.published_at == later
    assert analysed.enriched.article.id == raw.id  # the sample itself is left alone
    assert newcomer.enriched.article.body == raw.body


def test_common_terms_count_articles_not_mentions() -> None:
    assert common_terms(PROFILES, top=1) == {"k:said": 1.0}


def test_slope_cancels_the_fixed_cost() -> None:
    assert slope([(1_000, 5_000_000 + 25_000_000), (3_000, 5_000_000 + 75_000_000)]) == 25_000
    assert slope([(2_000, 50_000_000)]) == 25_000


def test_intercept_is_the_fixed_cost() -> None:
    assert intercept([(1_000, 5_000_000 + 25_000_000), (3_000, 5_000_000 + 75_000_000)]) == 5_000_000
    assert intercept([(2_000, 50_000_000)]) == 0.0
