"""Related candidates come through rare shared terms, and their number is bounded, whatever is held."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.enrich import sidebar_links
from services.enrich.recent import MIN_TERM_HOLDERS, RecentArticle, RecentArticles
from services.enrich.sidebar_links import (
    MAX_SCORED,
    LinkSettings,
    nominated,
    related_candidates,
    shortlist,
    similarity,
)

NOW = datetime(2025, 4, 29, tzinfo=UTC)
SETTINGS = LinkSettings(min_related_score=0.05)


def record(number: int, entities: dict[str, float], keywords: list[str]) -> RecentArticle:
    article_id = f"a-{number:05d}"
    return RecentArticle(
        id=article_id,
        headline=f"Headline {number}",
        source=f"source-{number % 7}",
        published_at=NOW + timedelta(seconds=number),
        cluster_id=article_id,
        fingerprint="",
        entities=entities,
        keywords=keywords,
    )


def held(records: list[RecentArticle]) -> RecentArticles:
    recent = RecentArticles(window=timedelta(hours=72), near_duplicate_threshold=0.5)
    for one in records:
        recent.add(one)
    return recent


def crowd(count: int, start: int = 1) -> list[RecentArticle]:
    """Articles that share only what every article has: a frequent name and a frequent word."""
    return [
        record(n, {"Europe": 1.0, f"Person {n}": 0.8}, ["government", f"word{n}"])
        for n in range(start, start + count)
    ]


NEWCOMER = record(99_999, {"Europe": 1.0, "Ottoline Vance": 0.6}, ["government", "orchard"])


def test_a_term_most_articles_hold_does_not_make_every_article_a_candidate() -> None:
    recent = held(crowd(1_000))
    assert recent.holders("k:government") == 1_000
    assert recent.term_cap() == MIN_TERM_HOLDERS
    found = nominated(NEWCOMER, recent)
    assert len(found) == MIN_TERM_HOLDERS
    newest = {f"a-{n:05d}" for n in range(1_000 - MIN_TERM_HOLDERS + 1, 1_001)}
    assert set(found) == newest, "a frequent term stands for its newest holders"


def test_an_article_sharing_a_rare_name_is_found_among_thousands_sharing_common_ones() -> None:
    rare = record(0, {"Ottoline Vance": 0.9, "Europe": 0.2}, ["orchard", "harvest"])
    recent = held([rare, *crowd(3_000)])
    found = nominated(NEWCOMER, recent)
    assert max(found, key=lambda other: found[other]) == rare.id
    candidates = related_candidates(NEWCOMER, recent, SETTINGS)
    assert candidates[0].article.id == rare.id
    assert candidates[0].reason[0] == "Ottoline Vance"


def test_the_candidates_scored_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """3,000 articles share a name with the newcomer, each name held by 100 (all under the cap)."""
    names = [f"Name {i}" for i in range(30)]
    recent = held([record(n, {names[n % 30]: 1.0}, [f"word{n}"]) for n in range(3_000)])
    newcomer = record(99_999, dict.fromkeys(names, 1.0), ["orchard"])
    assert len(nominated(newcomer, recent)) == 3_000
    calls = []
    score = sidebar_links._similarity

    def counted(*args: object) -> sidebar_links.Scored:
        calls.append(args)
        return score(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(sidebar_links, "_similarity", counted)
    candidates = related_candidates(newcomer, recent, LinkSettings(min_related_score=0.0))
    assert len(calls) == len(candidates) == MAX_SCORED
    assert candidates[0].article.id == "a-02999", "equal weights: the newest first"
    assert len(shortlist(newcomer, recent, limit=10)) == 10


def test_a_small_state_scores_every_article_sharing_a_term() -> None:
    """Below the cap nothing is left out: the result is scoring all that share a term."""
    others = [record(n, {"Europe": 1.0 / n, f"Person {n % 5}": 0.5}, [f"word{n % 3}"]) for n in range(1, 60)]
    subject = record(100, {"Europe": 0.7, "Person 2": 0.4}, ["word1", "orchard"])
    recent = held(others)
    everyone = [similarity(subject, other) for other in others]
    expected = sorted(
        (s for s in everyone if s.score >= SETTINGS.min_related_score),
        key=lambda s: (-s.score, -s.article.published_at.timestamp(), s.article.id),
    )
    assert related_candidates(subject, recent, SETTINGS) == expected


def test_the_own_cluster_is_never_shortlisted() -> None:
    original = record(1, {"Ottoline Vance": 1.0}, ["orchard"])
    copy = record(2, {"Ottoline Vance": 1.0}, ["orchard"]).model_copy(update={"cluster_id": original.id})
    recent = held([original])
    assert shortlist(copy, recent) == []
