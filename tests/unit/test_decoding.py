"""Bytes to text: BOMs, declared charsets, cp1252 smart quotes in claimed UTF-8, and what is refused."""

import codecs

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.ingest.formats.decoding import decode_text
from services.ingest.formats.errors import FormatError

TEXT = "\u201cCaf\u00e9 prices\u201d rose \u2013 again"


@pytest.mark.parametrize(
    "data",
    [
        codecs.BOM_UTF8 + TEXT.encode("utf-8"),
        codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"),
        codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"),
        codecs.BOM_UTF32_LE + TEXT.encode("utf-32-le"),
        codecs.BOM_UTF32_BE + TEXT.encode("utf-32-be"),
    ],
)
def test_a_bom_wins_over_the_declared_charset(data: bytes) -> None:
    assert decode_text(data, "iso-8859-1") == TEXT


def test_utf8_is_the_default() -> None:
    assert decode_text(TEXT.encode("utf-8"), None) == TEXT


@pytest.mark.parametrize(
    ("charset", "data"),
    [
        ("utf-16-le", TEXT.encode("utf-16-le")),
        ("ISO-8859-15", "Caf\u00e9 \u20ac5".encode("iso-8859-15")),
        ("koi8-r", "\u041c\u043e\u0441\u043a\u0432\u0430".encode("koi8-r")),
        ('"utf-8"', TEXT.encode("utf-8")),
    ],
)
def test_the_declared_charset_is_used(charset: str, data: bytes) -> None:
    assert decode_text(data, charset) == data.decode(charset.strip('"'))


def test_smart_quotes_in_claimed_utf8_are_read_as_cp1252_and_real_utf8_is_kept() -> None:
    data = "Caf\u00e9 ".encode() + b"\x93quoted\x94 it\x92s \x96 and \x97"
    assert decode_text(data, "utf-8") == "Caf\u00e9 \u201cquoted\u201d it\u2019s \u2013 and \u2014"
    assert (
        decode_text(b"\x93whole\x94 page in cp1252: caf\xe9", None)
        == "\u201cwhole\u201d page in cp1252: caf\u00e9"
    )


@pytest.mark.parametrize("label", ["iso-8859-1", "latin1", "us-ascii", "windows-1252"])
def test_latin1_and_ascii_labels_read_as_windows_1252(label: str) -> None:
    assert decode_text(b"\x93caf\xe9\x94 \x81", label) == "\u201ccaf\u00e9\u201d \x81"


@pytest.mark.parametrize(
    ("data", "charset", "location"),
    [
        (b"fine so far \x81 then not", None, "byte 12"),  # unassigned in cp1252 as well
        ("\u00e9\u00e9".encode() + b"\x9d", "utf-8", "byte 4"),  # offsets count bytes, not characters
        (codecs.BOM_UTF8 + b"ab\x8f", None, "byte 5"),  # and include the BOM
        (b"%PDF-1.7\x00\x01binary", None, "byte 8"),  # NUL: binary data
        (b"text\x00", "iso-8859-1", "byte 4"),
        (b"abc", "utf-16-le", "byte 2"),  # an odd byte out
        (codecs.BOM_UTF16_LE + b"a\x00b", None, "byte 4"),
    ],
)
def test_undecodable_input_names_the_byte(data: bytes, charset: str | None, location: str) -> None:
    with pytest.raises(FormatError) as caught:
        decode_text(data, charset)
    assert caught.value.location == location


@pytest.mark.parametrize(
    ("charset", "message"), [("no-such-charset", "unknown charset"), ("base64", "not a text")]
)
def test_charsets_that_are_not_text_encodings_are_refused(charset: str, message: str) -> None:
    with pytest.raises(FormatError, match=message) as caught:
        decode_text(b"x", charset)
    assert caught.value.location == "Content-Type"


@settings(max_examples=300, deadline=None)
@given(
    data=st.binary(max_size=200),
    charset=st.sampled_from(
        [None, "utf-8", "utf-16", "utf-32", "latin-1", "cp1252", "shift_jis", "idna", "bogus"]
    ),
)
def test_any_bytes_give_text_or_a_format_error(data: bytes, charset: str | None) -> None:
    try:
        text = decode_text(data, charset)
    except FormatError:
        return
    assert isinstance(text, str)
