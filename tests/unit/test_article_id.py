from datetime import UTC, datetime, timedelta, timezone

from schemas.article_id import article_id, canonical_url

PUBLISHED = datetime(2025, 4, 27, 12, 18, 27, tzinfo=UTC)


def test_feed_item_id_wins_over_url_and_text() -> None:
    by_feed = article_id(
        source="AP", headline="A", published_at=PUBLISHED, feed_item_id="x1", url="https://a.example/1"
    )
    assert by_feed.startswith("feed-")
    assert by_feed == article_id(source="ap", headline="B", published_at=PUBLISHED, feed_item_id="x1")
    assert by_feed != article_id(source="Reuters", headline="A", published_at=PUBLISHED, feed_item_id="x1")


def test_url_id_ignores_tracking_fragment_case_and_trailing_slash() -> None:
    a = article_id(
        source="AP",
        headline="A",
        published_at=PUBLISHED,
        url="https://News.Example.com/story/1/?utm_source=x#top",
    )
    b = article_id(
        source="Other", headline="B", published_at=PUBLISHED, url="https://news.example.com/story/1"
    )
    assert a == b
    assert a.startswith("url-")
    assert canonical_url("HTTPS://Example.com:443/a/?b=2&a=1&gclid=z") == "https://example.com/a?a=1&b=2"


def test_url_ids_differ_for_different_stories() -> None:
    a = article_id(source="AP", headline="A", published_at=PUBLISHED, url="https://news.example.com/story/1")
    b = article_id(source="AP", headline="A", published_at=PUBLISHED, url="https://news.example.com/story/2")
    assert a != b


def test_text_id_is_stable_across_spacing_case_and_time_zone_of_the_same_day() -> None:
    a = article_id(source="AP", headline="Putin  meets Lukashenko", published_at=PUBLISHED)
    later_same_day = PUBLISHED.astimezone(timezone(timedelta(hours=3))) + timedelta(hours=2)
    b = article_id(source="ap", headline="putin meets lukashenko", published_at=later_same_day)
    assert a == b
    assert a.startswith("text-")
    assert a != article_id(
        source="AP", headline="Putin meets Lukashenko", published_at=PUBLISHED + timedelta(days=1)
    )
