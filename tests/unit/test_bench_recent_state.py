"""The state benchmark's record builder: its figures mean something only if its records are
distinct, valid and shaped like the worker's."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from bench.enrich_throughput import raw_articles
from bench.recent_state import (
    EARLIER,
    Plan,
    Profile,
    Table,
    common_terms,
    held_records,
    newcomer_article,
    related_links,
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


def test_table_keeps_a_partition_per_key() -> None:
    table = Table()
    table.put("a", "{}")
    table.put("a", "{ }")
    assert table.data == {"a": "{ }"}
    assert table.key_partition == {"a": 0}


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
