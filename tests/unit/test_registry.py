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
