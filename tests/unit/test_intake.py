import base64
from datetime import UTC, datetime

from schemas.article import ArticleSubmission, RawArticle
from services.ingest.body_text import paragraphs_from_html
from services.ingest.intake import to_raw_article
from tests.support import submission

NOW = datetime(2025, 4, 27, 13, 0, tzinfo=UTC)


def _raw(payload: dict, original: bytes = b"{}") -> RawArticle:
    return to_raw_article(
        ArticleSubmission.model_validate(payload),
        received_at=NOW,
        key_id="feedA",
        content_type="application/json",
        original=original,
    )


def test_body_html_is_sanitised_and_gives_the_paragraphs() -> None:
    raw = _raw(
        submission(body=[], body_html='<p onclick="x()">One <b>bold</b></p><script>evil()</script><p>Two</p>')
    )
    assert raw.body == ["One bold", "Two"]
    assert raw.body_html is not None
    assert "script" not in raw.body_html
    assert "onclick" not in raw.body_html
    assert "<b>bold</b>" in raw.body_html


def test_paragraphs_give_escaped_html() -> None:
    raw = _raw(submission(body=["Fish & <chips>"]))
    assert raw.body_html == "<p>Fish &amp; &lt;chips&gt;</p>"


def test_ingest_metadata_and_original_are_kept_for_audit() -> None:
    raw = _raw(submission(), original='{"é": 1}'.encode())
    assert raw.ingest.key_id == "feedA"
    assert raw.ingest.received_at == NOW
    assert raw.original is not None
    assert raw.original.encoding == "utf-8"
    assert raw.original.data == '{"é": 1}'
    binary = _raw(submission(), original=b"\xff\xfe\x00")
    assert binary.original is not None
    assert binary.original.encoding == "base64"
    assert base64.b64decode(binary.original.data) == b"\xff\xfe\x00"


def test_same_article_gets_the_same_id_and_round_trips_through_json() -> None:
    payload = submission()
    a, b = _raw(payload), _raw(payload)
    assert a.id == b.id
    assert RawArticle.model_validate_json(a.model_dump_json()) == a


def test_nested_blocks_are_not_repeated() -> None:
    assert paragraphs_from_html("<blockquote><p>Quoted</p></blockquote><ul><li>a</li><li>b</li></ul>") == [
        "Quoted",
        "a",
        "b",
    ]
    assert paragraphs_from_html("just text<br>more") == ["just text", "more"]


def test_html_from_paragraphs_keeps_each_paragraph_apart_even_with_odd_characters() -> None:
    from services.ingest.body_text import html_from_paragraphs

    assert html_from_paragraphs([]) == ""
    assert html_from_paragraphs(["a < b", 'say "hi"']) == '<p>a &lt; b</p><p>say "hi"</p>'
    assert html_from_paragraphs(["nul\x00inside", "x"]) == "<p>nul\x00inside</p><p>x</p>"


def test_a_withdrawal_names_the_id_its_article_was_given() -> None:
    from services.ingest.formats.items import Withdrawal
    from services.ingest.intake import withdrawal_notice

    article = _raw(submission(feed_item_id="urn:item:42", source={"name": "Test Wire"}))
    withdrawal = Withdrawal(
        source="test wire",
        headline="a different headline",
        published_at=NOW,
        reason="pubstatus canceled",
        feed_item_id="urn:item:42",
        revision=3,
    )
    notice = withdrawal_notice(withdrawal, issued_at=NOW)
    assert notice.article_id == article.id
    assert (notice.action, notice.reason, notice.revision) == ("withdraw", "pubstatus canceled", 3)


def test_control_characters_in_html_bodies_are_dropped_not_fatal() -> None:
    # Found by the feed mutation test: lxml refuses a \x01 inside a description.
    assert paragraphs_from_html("<p>\x01The council \x00approved it.</p>") == ["The council approved it."]
