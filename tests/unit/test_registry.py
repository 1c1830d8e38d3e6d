"""The registry picks the parser by Content-Type and sniffs generic types by the first bytes."""

from pathlib import Path

import pytest

from services.ingest.formats.errors import FormatError
from services.ingest.formats.newsml_g2 import parse_newsml_g2
from services.ingest.formats.ninjs import parse_ninjs
from services.ingest.formats.nitf import parse_nitf
from services.ingest.formats.registry import media_type_and_charset, parse_raw, sniff

FORMATS = Path(__file__).resolve().parents[1] / "fixtures" / "formats"


def _doc(kind: str, name: str) -> bytes:
    return (FORMATS / kind / name).read_bytes()


@pytest.mark.parametrize(
    ("kind", "name", "expected"),
    [
        ("nitf", "lighthouse_plain.xml", "nitf"),
        ("newsml_g2", "message_mixed.xml", "newsml-g2"),
        ("newsml_g2", "bare_item.xml", "newsml-g2"),
        ("ninjs", "v2_orchard.json", "ninjs"),
        ("ninjs", "array_two.json", "ninjs"),
    ],
)
def test_sniffing_by_root_element_or_json(kind: str, name: str, expected: str) -> None:
    assert sniff(_doc(kind, name)) == expected


def test_sniffing_skips_declaration_comments_and_doctype() -> None:
    assert sniff(b'\xef\xbb\xbf<?xml version="1.0"?>\n<!-- c --><!DOCTYPE nitf>\n<nitf/>') == "nitf"
    assert sniff(b"<!doctype html><html><body/></html>") == "html"
    with pytest.raises(FormatError, match="Content-Type"):
        sniff(b"plain words")


def test_generic_and_specific_types_reach_the_same_parser() -> None:
    nitf = _doc("nitf", "lighthouse_plain.xml")
    expected = parse_nitf(nitf)
    assert parse_raw(nitf, "application/xml") == expected
    assert parse_raw(nitf, "text/xml") == expected
    assert parse_raw(nitf, "application/octet-stream") == expected
    assert parse_raw(nitf, "application/vnd.iptc.nitf+xml") == expected
    message = _doc("newsml_g2", "message_mixed.xml")
    assert parse_raw(message, "application/vnd.iptc.g2.newsmessage+xml") == parse_newsml_g2(message)
    ninjs = _doc("ninjs", "v3_bridge.json")
    assert parse_raw(ninjs, "application/json; charset=utf-8") == parse_ninjs(ninjs, charset="utf-8")


def test_unknown_type_is_a_format_error() -> None:
    with pytest.raises(FormatError, match="no parser for application/pdf"):
        parse_raw(b"%PDF", "application/pdf")


def test_content_type_parameters() -> None:
    assert media_type_and_charset('Text/XML; Charset="ISO-8859-1"') == ("text/xml", "ISO-8859-1")
    assert media_type_and_charset("application/json") == ("application/json", None)


def test_feeds_by_type_and_by_root() -> None:
    from services.ingest.formats.feed import parse_feed

    rss = _doc("feed", "rss2_content_encoded.xml")
    atom = _doc("feed", "atom_feed.xml")
    assert sniff(rss) == "feed"
    assert sniff(atom) == "feed"
    assert sniff(_doc("feed", "rss1_rdf.xml")) == "feed"
    assert parse_raw(rss, "application/rss+xml") == parse_feed(rss) == parse_raw(rss, "text/xml")
    assert parse_raw(atom, "application/atom+xml") == parse_feed(atom)


def test_html_is_read_in_the_seed_layout_first_then_as_any_article_page() -> None:
    from services.ingest.formats.generic_html import parse_generic_html
    from services.ingest.formats.html_page import parse_html_page

    page = _doc("html", "jsonld_newsarticle.html")
    assert parse_raw(page, "text/html") == parse_generic_html(page)
    seed_layout = (
        "<html><body><h1>Ferry strike strands thousands</h1><div>Date:2025-07-03 09:05:00</div>"
        "<p>PIRAEUS, Greece (WS) \u2014 Crews struck.</p></body></html>"
    )
    assert parse_raw(seed_layout.encode(), "text/html") == [parse_html_page(seed_layout)]


@pytest.mark.parametrize(
    ("kind", "name", "content_type"),
    [
        ("ninjs", "v1_ferry.json", "application/json"),
        ("nitf", "lighthouse_plain.xml", "application/xml"),
        ("newsml_g2", "bare_item.xml", "application/xml"),
        ("feed", "atom_feed.xml", "application/atom+xml"),
        ("html", "opengraph_only.html", "text/html"),
    ],
)
def test_a_bad_source_time_zone_setting_is_a_format_error_in_every_parser(
    kind: str, name: str, content_type: str
) -> None:
    # "Europe" names a folder of the zone database: ninjs once let IsADirectoryError through.
    with pytest.raises(FormatError) as caught:
        parse_raw(_doc(kind, name), content_type, source_timezone="Europe")
    assert caught.value.location == "settings"
