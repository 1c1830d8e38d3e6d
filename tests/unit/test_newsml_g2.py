"""The NewsML-G2 parser: per-item errors with their paths, hostile XML, encodings (goldens and
fuzzing: test_parser_contract.py)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from schemas.article import ArticleSubmission
from services.ingest.formats.errors import FormatError
from services.ingest.formats.items import ParsedItem, Skipped, Withdrawal
from services.ingest.formats.newsml_g2 import parse_newsml_g2
from tests.formats_support import BILLION_LAUGHS, XXE

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "formats" / "newsml_g2"
DOCUMENTS = sorted(FIXTURES.glob("*.xml"))
NS = "http://iptc.org/std/nar/2006-10-01/"


def item(
    *,
    guid: str = "urn:test:1",
    item_meta: str = "",
    content_meta: str = "<headline>Canal lock reopens</headline>",
    content_set: str = '<inlineData contenttype="text/plain">The lock opened at noon.</inlineData>',
    attributes: str = ' version="1"',
) -> str:
    """A small text newsItem (no namespace declaration of its own); the default one is an article."""
    item_meta = item_meta or (
        '<itemClass qcode="ninat:text"/><versionCreated>2025-05-01T10:00:00Z</versionCreated>'
        '<pubStatus qcode="stat:usable"/>'
    )
    return (
        f'<newsItem guid="{guid}"{attributes}><itemMeta>{item_meta}</itemMeta>'
        f"<contentMeta>{content_meta}</contentMeta><contentSet>{content_set}</contentSet></newsItem>"
    )


def bare(text: str) -> bytes:
    return text.replace("<newsItem ", f'<newsItem xmlns="{NS}" ', 1).encode()


def message(*items: str) -> bytes:
    return f'<newsMessage xmlns="{NS}"><header/><itemSet>{"".join(items)}</itemSet></newsMessage>'.encode()


def only(items: list[ParsedItem]) -> ParsedItem:
    assert len(items) == 1
    return items[0]


# --- goldens -----------------------------------------------------------------------------------------


def test_there_is_a_fixture_for_each_case() -> None:
    assert {p.stem for p in DOCUMENTS} >= {"message_mixed", "bare_item", "package_cdata"}


def test_a_package_gives_its_text_skips_the_rest_and_withdraws_by_guid() -> None:
    package, text, picture, kill = parse_newsml_g2((FIXTURES / "package_cdata.xml").read_bytes())
    assert isinstance(package, Skipped)
    assert isinstance(picture, Skipped)
    assert picture.reason.startswith("a picture newsItem is not a text item")
    assert isinstance(text, ArticleSubmission)
    assert text.body == [
        "Two new oak lock gates, each weighing twelve tonnes, were lifted into place on Tuesday.",
        "The canal reopens to boats on Friday.",
    ]
    assert text.dateline == "TESSEL CUT (TNS)"
    assert [w.code for w in text.warnings] == ["body-as-html"]
    assert kill == Withdrawal(
        source="NewsML-G2",
        reason="pubstatus canceled",
        feed_item_id="urn:example:tessel:text:bridge-closure",
        revision=2,
    )


def test_message_entries_follow_the_items() -> None:
    entries = parse_newsml_g2((FIXTURES / "message_mixed.xml").read_bytes())
    assert [type(e) for e in entries] == [ArticleSubmission, ArticleSubmission, Withdrawal, Skipped]
    nitf_article, xhtml_article, withdrawal, picture = entries
    assert isinstance(nitf_article, ArticleSubmission)
    assert nitf_article.body[0].startswith("The town's first tram line")  # lede dateline cut off
    assert nitf_article.updated_at == datetime(2025, 5, 3, 8, 20, tzinfo=UTC)
    assert isinstance(xhtml_article, ArticleSubmission)
    assert xhtml_article.subheadline == "Nest boxes on farm sheds credited"
    assert xhtml_article.body_html is not None
    assert "color" not in xhtml_article.body_html
    assert "<h1>" not in xhtml_article.body_html  # the h1 repeats the headline
    assert isinstance(withdrawal, Withdrawal)
    assert withdrawal.reason == "pubstatus canceled"
    assert isinstance(picture, Skipped)
    assert picture.location == "/newsMessage/itemSet/newsItem[4]"


def test_naive_times_are_in_the_source_zone() -> None:
    article = only(parse_newsml_g2((FIXTURES / "bare_item.xml").read_bytes(), source_timezone="Asia/Tokyo"))
    assert isinstance(article, ArticleSubmission)
    assert article.published_at == datetime(2025, 6, 10, 2, 0, tzinfo=UTC)


# --- mapping details -----------------------------------------------------------------------------


def test_inline_html_data_and_creators() -> None:
    content_set = (
        '<inlineData contenttype="text/html">&lt;p&gt;One&lt;/p&gt;&lt;script&gt;x()&lt;/script&gt;'
        "&lt;p&gt;Two&lt;/p&gt;</inlineData>"
    )
    content_meta = (
        '<headline>H</headline><creator role="crol:photographer" literal="Kai Moss"/>'
        '<subject qcode="medtop:1"><name>weather</name></subject><subject qcode="medtop:2"/>'
    )
    article = only(parse_newsml_g2(bare(item(content_set=content_set, content_meta=content_meta))))
    assert isinstance(article, ArticleSubmission)
    assert article.body == ["One", "Two"]
    assert article.body_html == "<p>One</p><p>Two</p>"
    assert [(c.name, c.role) for c in article.bylines] == [("Kai Moss", "photographer")]
    assert article.tags == ["weather", "2"]


def test_source_falls_back_from_info_source_to_provider_to_default() -> None:
    with_provider = item(
        item_meta='<provider qcode="nprov:QX"/><versionCreated>2025-05-01T10:00:00Z</versionCreated>'
    )
    article = only(parse_newsml_g2(bare(with_provider)))
    assert isinstance(article, ArticleSubmission)
    assert article.source.name == "QX"
    article = only(parse_newsml_g2(bare(item())))
    assert isinstance(article, ArticleSubmission)
    assert article.source.name == "NewsML-G2"


def test_a_bare_package_item_is_skipped_with_the_reason() -> None:
    entry = only(parse_newsml_g2(f'<packageItem xmlns="{NS}" guid="p"/>'.encode()))
    assert isinstance(entry, Skipped)
    assert (entry.reason, entry.location) == (
        "a packageItem is not a text item: only text newsItems become articles",
        "/packageItem",
    )


def test_empty_item_set_gives_no_entries() -> None:
    assert parse_newsml_g2(message()) == []


# --- errors --------------------------------------------------------------------------------------


def test_a_bad_item_does_not_spoil_the_others() -> None:
    empty = item(guid="urn:test:2", content_meta="<slugline>NO-HEADLINE</slugline>", content_set="")
    first, second, third = parse_newsml_g2(message(item(), empty, item()))
    assert isinstance(first, ArticleSubmission)
    assert isinstance(third, ArticleSubmission)
    assert isinstance(second, FormatError)
    assert (second.message, second.location) == (
        "no headline and no inline text: give contentMeta/headline, or contentSet/inlineXML or"
        " inlineData (remoteContent is not fetched)",
        "/newsMessage/itemSet/newsItem[2]/contentMeta/headline",
    )


# A secondary field that cannot be read is repaired, and the article says how (code, field).
# (These used to be refusals; tests/unit/test_newsml_g2.py kept the old updated_at one until
# ingest took over that repair: services/ingest/repairs.py drops such an updated_at, said.)
@pytest.mark.parametrize(
    ("document", "said", "check"),
    [
        (item(attributes=' version="0"'), [("field-invalid", "revision")], ("revision", 1)),
        (
            item(item_meta="<versionCreated>soon</versionCreated>"),
            [("date-unreadable", "updated_at")],
            ("published_at", None),
        ),
        (item(item_meta='<pubStatus qcode="stat:usable"/>'), [], ("published_at", None)),
        (
            item(content_set='<remoteContent href="https://x.invalid/a.txt"/>'),
            [("body-missing", "body")],
            ("body", ["Canal lock reopens"]),
        ),
        (
            item(content_meta='<headline>H</headline><language tag="english please"/>'),
            [("field-invalid", "language")],
            ("language", None),
        ),
        (
            item(
                item_meta="<versionCreated>2025-05-01T10:00:00Z</versionCreated>"
                "<firstCreated>2025-05-02T10:00:00Z</firstCreated>"
            ),
            [],  # updated before published: passed on, ingest drops it with a warning
            ("updated_at", datetime(2025, 5, 1, 10, tzinfo=UTC)),
        ),
        (
            item(
                content_set='<inlineData contenttype="text/plain">'
                "<![CDATA[<p>One.</p><p>Two.</p>]]></inlineData>"
            ),
            [("body-as-html", "body")],
            ("body", ["One.", "Two."]),
        ),
    ],
)
def test_item_repairs_are_said(document: str, said: list[tuple[str, str]], check: tuple[str, object]) -> None:
    article = only(parse_newsml_g2(bare(document)))
    assert isinstance(article, ArticleSubmission)
    assert [(w.code, w.field) for w in article.warnings] == said
    assert getattr(article, check[0]) == check[1]


def test_a_withdrawal_that_names_nothing_is_an_error_entry() -> None:
    document = item(
        item_meta='<versionCreated>2025-05-01T10:00:00Z</versionCreated><pubStatus qcode="stat:withheld"/>',
        guid="",
        content_meta="",
    )
    error = only(parse_newsml_g2(bare(document)))
    assert isinstance(error, FormatError)
    assert (error.message, error.location) == (
        "a withdrawal must name its item: give newsItem@guid",
        "/newsItem/@guid",
    )


def test_a_withdrawal_needs_only_its_guid() -> None:
    document = item(item_meta='<pubStatus qcode="stat:canceled"/>', content_meta="", content_set="")
    withdrawal = only(parse_newsml_g2(bare(document)))
    assert withdrawal == Withdrawal(
        source="NewsML-G2", reason="pubstatus canceled", feed_item_id="urn:test:1", revision=1
    )


def test_broken_xml_raises_with_its_line() -> None:
    with pytest.raises(FormatError) as caught:
        parse_newsml_g2(b'<newsMessage xmlns="x">\n<itemSet>\n<newsItem>\n</itemSet>')
    assert caught.value.location == "line 4"


@pytest.mark.parametrize(
    ("document", "location"),
    [
        (b"<nitf/>", "document"),
        (f'<newsMessage xmlns="{NS}"><header/></newsMessage>'.encode(), "/newsMessage/itemSet"),
    ],
)
def test_documents_that_are_not_g2_messages_raise(document: bytes, location: str) -> None:
    with pytest.raises(FormatError) as caught:
        parse_newsml_g2(document)
    assert caught.value.location == location


# --- hostile XML and encodings -------------------------------------------------------------------


@pytest.mark.parametrize(
    "document",
    [
        BILLION_LAUGHS.replace(b"nitf", b"newsItem"),
        XXE.replace(b"nitf", b"newsItem"),
        b'<?xml version="1.0"?><!DOCTYPE newsMessage [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        + message(item(content_meta="<headline>&x;</headline>")),
    ],
    ids=["billion-laughs", "xxe", "xxe-in-headline"],
)
def test_entity_declarations_are_refused(document: bytes) -> None:
    started = time.monotonic()
    with pytest.raises(FormatError) as caught:
        parse_newsml_g2(document)
    assert (caught.value.message, caught.value.location) == (
        "entity declarations are not allowed",
        "document",
    )
    assert time.monotonic() - started < 1


def test_latin1_document_with_a_declaration() -> None:
    text = item(content_meta="<headline>F\u00eate de la mer \u00e0 S\u00e8te</headline><language tag='fr'/>")
    document = ('<?xml version="1.0" encoding="ISO-8859-1"?>\n' + bare(text).decode()).encode("iso-8859-1")
    for charset in (None, "utf-8", "iso-8859-1"):
        article = only(parse_newsml_g2(document, charset=charset))
        assert isinstance(article, ArticleSubmission)
        assert article.headline == "F\u00eate de la mer \u00e0 S\u00e8te"
        assert article.language == "fr"


# --- fuzzing -------------------------------------------------------------------------------------
