"""Related, Ranking and Recommendation lists, near-copy clusters and live link updates, without Kafka."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from schemas.engagement import EngagementEvent
from schemas.enriched import AnalysedArticle, EnrichedArticle, Entity
from services.enrich.facts import article_facts
from services.enrich.linking import apply_engagement, link
from services.enrich.near_duplicates import dumps_fingerprint, fingerprint
from services.enrich.recent import RecentArticle, RecentArticles, headline_key
from services.enrich.sidebar_links import LinkSettings, similarity
from tests.support import raw_article

STORIES = json.loads((Path(__file__).parents[1] / "fixtures" / "enrich" / "stories.json").read_text())
NOW = datetime(2025, 4, 29, tzinfo=UTC)
SETTINGS = LinkSettings(k=3, min_related_score=0.05)


def analysed(story: dict[str, Any], entities: dict[str, float], **changes: Any) -> AnalysedArticle:
    """An analysed article with the given entities (name: salience), as the first stage makes it."""
    raw = raw_article({**story, **changes})
    enriched = EnrichedArticle(
        article=raw,
        facts=article_facts(raw, 230),
        entities=[
            Entity(name=n, type="place", mentions=1, first_offset=i, salience=s)
            for i, (n, s) in enumerate(entities.items())
        ],
        enriched_at=NOW,
    )
    return AnalysedArticle(enriched=enriched, fingerprint=dumps_fingerprint(fingerprint(raw)))


HARBOUR = {"Rotterdam": 1.0, "Marieke de Vries": 0.6, "FNV": 0.5, "Antwerp": 0.2}
FOLLOWUP = {"Rotterdam": 1.0, "Antwerp": 0.8, "Marieke de Vries": 0.5, "Maersk": 0.3}
GLACIER = {"Rhone Glacier": 1.0, "ETH Zurich": 0.6, "Alps": 0.4}


@pytest.fixture
def recent() -> RecentArticles:
    return RecentArticles(window=timedelta(hours=72), near_duplicate_threshold=0.5)


def test_a_near_copy_joins_the_original_cluster_and_a_follow_up_does_not(recent: RecentArticles) -> None:
    original = link(analysed(STORIES["harbour"], HARBOUR), recent, SETTINGS, NOW).enriched
    copy = link(analysed(STORIES["harbour_copy"], HARBOUR), recent, SETTINGS, NOW).enriched
    followup = link(analysed(STORIES["harbour_followup"], FOLLOWUP), recent, SETTINGS, NOW).enriched
    assert original.duplicate_of is None
    assert original.cluster_id == original.article.id
    assert copy.duplicate_of == original.article.id
    assert copy.cluster_id == original.cluster_id
    assert followup.duplicate_of is None
    assert followup.cluster_id == followup.article.id


def test_related_lists_one_article_per_story_never_itself_or_its_copies(recent: RecentArticles) -> None:
    first = link(analysed(STORIES["harbour"], HARBOUR), recent, SETTINGS, NOW).enriched
    copy = link(analysed(STORIES["harbour_copy"], HARBOUR), recent, SETTINGS, NOW).enriched
    link(analysed(STORIES["glacier"], GLACIER), recent, SETTINGS, NOW)
    followup = link(analysed(STORIES["harbour_followup"], FOLLOWUP), recent, SETTINGS, NOW).enriched

    assert [x for x in copy.links if x.kind == "related"] == [], "its only neighbour is its own original"
    related = [x for x in followup.links if x.kind == "related"]
    assert len(related) == 1
    assert related[0].article_id in {first.article.id, copy.article.id}
    assert related[0].reason[:2] == ["Rotterdam", "Marieke de Vries"]
    assert 0 < related[0].score <= 1


def test_an_older_article_gains_a_newer_related_one_as_a_link_update(recent: RecentArticles) -> None:
    first = link(analysed(STORIES["harbour"], HARBOUR), recent, SETTINGS, NOW)
    assert first.updates == []
    followup = link(analysed(STORIES["harbour_followup"], FOLLOWUP), recent, SETTINGS, NOW)
    (update,) = followup.updates
    original_id = first.enriched.article.id
    assert update.article_id == original_id
    assert update.kind == "related"
    assert [x.article_id for x in update.links] == [followup.enriched.article.id]
    held = recent.get(original_id)
    assert held is not None
    assert held.related_links() == update.links
    assert held in followup.stored, "the changed record is handed back to be persisted"


def test_ranking_orders_by_reactions_and_views_and_leaves_out_the_own_story(recent: RecentArticles) -> None:
    harbour = link(analysed(STORIES["harbour"], HARBOUR), recent, SETTINGS, NOW).enriched  # 42 reactions
    glacier = link(analysed(STORIES["glacier"], GLACIER), recent, SETTINGS, NOW).enriched  # 120 reactions
    apply_engagement(
        EngagementEvent(article_id=harbour.article.id, kind="view", count=1000, at=NOW), recent
    )  # +100
    followup = link(analysed(STORIES["harbour_followup"], FOLLOWUP), recent, SETTINGS, NOW).enriched
    ranking = [x.article_id for x in followup.links if x.kind == "ranking"]
    assert ranking == [harbour.article.id, glacier.article.id]
    copy = link(analysed(STORIES["harbour_copy"], HARBOUR), recent, SETTINGS, NOW).enriched
    assert harbour.article.id not in [x.article_id for x in copy.links if x.kind == "ranking"]


def test_engagement_for_an_unknown_article_changes_nothing(recent: RecentArticles) -> None:
    event = EngagementEvent(article_id="ap-" + "0" * 32, kind="reaction", count=5, at=NOW)
    assert apply_engagement(event, recent) is None
    assert len(recent) == 0


def test_recommendations_prefer_fresh_stories_and_skip_the_related_ones(recent: RecentArticles) -> None:
    settings = LinkSettings(k=1, min_related_score=0.05, freshness_half_life=timedelta(hours=1))
    old = link(analysed(STORIES["harbour"], HARBOUR), recent, settings, NOW).enriched
    newer = link(
        analysed(STORIES["harbour_followup"], FOLLOWUP, published_at="2025-04-29T15:00:00+00:00"),
        recent,
        settings,
        NOW,
    ).enriched
    reader = link(
        analysed(
            STORIES["glacier"],
            {"Rotterdam": 1.0, "Antwerp": 0.8, "Marieke de Vries": 0.6, "FNV": 0.5},
            published_at="2025-04-29T16:00:00+00:00",
        ),
        recent,
        settings,
        NOW,
    ).enriched
    related = [x.article_id for x in reader.links if x.kind == "related"]
    recommended = [x.article_id for x in reader.links if x.kind == "recommendation"]
    assert len(related) == 1
    assert len(recommended) == 1
    assert set(related + recommended) == {old.article.id, newer.article.id}


def test_the_window_drops_old_articles_by_event_time(recent: RecentArticles) -> None:
    old = link(analysed(STORIES["harbour"], HARBOUR), recent, SETTINGS, NOW).enriched
    later = link(
        analysed(STORIES["glacier"], GLACIER, published_at="2025-05-02T09:00:01+00:00"),
        recent,
        SETTINGS,
        datetime(2025, 5, 3, tzinfo=UTC),
    )
    assert later.dropped == [old.article.id]
    assert old.article.id not in recent


def test_an_article_from_the_future_neither_empties_the_window_nor_tops_the_lists(
    recent: RecentArticles,
) -> None:
    """Its clock counts as now: a record that bypassed ingest's repair cannot move the window."""
    old = link(analysed(STORIES["harbour"], HARBOUR), recent, SETTINGS, NOW).enriched
    straight = analysed(STORIES["glacier"], GLACIER)  # as if published to the topic, not through ingest
    article = straight.enriched.article.model_copy(
        update={"published_at": datetime(9999, 12, 31, tzinfo=UTC)}
    )
    straight = straight.model_copy(
        update={"enriched": straight.enriched.model_copy(update={"article": article})}
    )
    future = link(straight, recent, SETTINGS, NOW)
    assert future.dropped == []
    assert old.article.id in recent
    assert recent.watermark == NOW
    held = recent.get(future.enriched.article.id)
    assert held is not None
    assert held.published_at == NOW
    assert future.enriched.article.published_at.year == 9999  # the article itself is not rewritten


def test_sidebar_headlines_resolve_to_known_articles(recent: RecentArticles) -> None:
    harbour = link(analysed(STORIES["harbour"], HARBOUR), recent, SETTINGS, NOW).enriched
    sidebars = [
        {
            "name": "Related",
            "items": [{"headline": harbour.article.headline.upper() + "!"}, {"headline": "Unknown"}],
        }
    ]
    page = link(analysed(STORIES["glacier"], GLACIER, sidebars=sidebars), recent, SETTINGS, NOW).enriched
    assert [(m.section, m.article_id) for m in page.sidebar_matches] == [
        ("Related", harbour.article.id),
        ("Related", None),
    ]


def test_a_rebuilt_state_links_like_the_live_one(recent: RecentArticles) -> None:
    link(analysed(STORIES["harbour"], HARBOUR), recent, SETTINGS, NOW)
    link(analysed(STORIES["glacier"], GLACIER), recent, SETTINGS, NOW)
    stored = [RecentArticle.model_validate_json(a.model_dump_json()) for a in recent.articles.values()]
    rebuilt = RecentArticles(window=timedelta(hours=72), near_duplicate_threshold=0.5)
    rebuilt.rebuild(stored)
    copy = analysed(STORIES["harbour_copy"], HARBOUR)
    assert link(copy, rebuilt, SETTINGS, NOW) == link(copy, recent, SETTINGS, NOW)


def test_a_revision_is_never_its_own_near_copy(recent: RecentArticles) -> None:
    first = link(analysed(STORIES["harbour"], HARBOUR), recent, SETTINGS, NOW).enriched
    revised = link(analysed(STORIES["harbour"], HARBOUR, revision=2), recent, SETTINGS, NOW).enriched
    assert revised.article.id == first.article.id
    assert revised.duplicate_of is None
    assert len(recent) == 1


def test_similarity_is_symmetric_and_bounded() -> None:
    def held(entities: dict[str, float], words: list[str]) -> RecentArticle:
        return RecentArticle(
            id="x",
            headline="h",
            source="s",
            published_at=NOW,
            cluster_id="x",
            fingerprint="",
            entities=entities,
            keywords=words,
        )

    a, b = held(HARBOUR, ["strike", "port"]), held(FOLLOWUP, ["strike", "ships"])
    assert similarity(a, b).score == similarity(b, a).score
    assert 0 < similarity(a, b).score < 1
    assert similarity(a, a).score == 1.0
    assert headline_key("Putin\u2019s  MOVE!") == headline_key("putin s move")
