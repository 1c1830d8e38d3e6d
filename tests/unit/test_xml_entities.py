"""Entity declarations are refused on every XML path in every encoding, and the same documents
without them are read in that encoding (issue 21).

Each document goes through `parse_raw`, once with its specific Content-Type and once with a
generic one, so the sniffing of the root element is exercised in the same encodings. The
generic one carries a charset that is wrong for most of the encodings: what the document says
about itself (BOM, first bytes, declaration) must win over it.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from schemas.article import ArticleSubmission
from services.ingest.formats.errors import FormatError
from services.ingest.formats.registry import parse_raw, sniff
from services.ingest.formats.safe_xml import declares_entities, xml_encoding, xml_text

HEADLINE = "Fähre nach Åland fällt wegen Sturm aus"
EXPANDED = "INJECTED BY AN ENTITY"
REFUSED = FormatError("entity declarations are not allowed", "document")


@dataclass(frozen=True)
class Format:
    """One XML format: its root element, its specific Content-Type and a one-article document."""

    root: str
    content_type: str
    body: str  # with {headline}


PATHS = {
    "nitf": Format(
        "nitf",
        "application/vnd.iptc.nitf+xml",
        '<nitf><head><docdata><date.issue norm="20250407T110000Z"/></docdata></head>'
        "<body><body.head><hedline><hl1>{headline}</hl1></hedline></body.head>"
        "<body.content><p>The evening crossing was cancelled as gusts reached gale force.</p>"
        "</body.content></body></nitf>",
    ),
    "newsml-g2": Format(
        "newsItem",
        "application/vnd.iptc.g2.newsitem+xml",
        '<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="urn:wirestream-test:ferry" version="1">'
        '<itemMeta><itemClass qcode="ninat:text"/><versionCreated>2025-04-07T11:00:00Z</versionCreated>'
        '<pubStatus qcode="stat:usable"/></itemMeta><contentMeta><headline>{headline}</headline>'
        '</contentMeta><contentSet><inlineData contenttype="text/plain">The evening crossing was '
        "cancelled as gusts reached gale force.</inlineData></contentSet></newsItem>",
    ),
    "rss": Format(
        "rss",
        "application/rss+xml",
        '<rss version="2.0"><channel><title>Skerry Gazette</title><item><title>{headline}</title>'
        "<pubDate>Mon, 07 Apr 2025 11:00:00 GMT</pubDate><description>The evening crossing was "
        "cancelled as gusts reached gale force.</description></item></channel></rss>",
    ),
    "atom": Format(
        "feed",
        "application/atom+xml",
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>Skerry Gazette</title><id>urn:ws-test:g</id>'
        "<updated>2025-04-07T11:00:00Z</updated><entry><title>{headline}</title>"
        "<id>urn:wirestream-test:ferry</id><updated>2025-04-07T11:00:00Z</updated><summary>The evening "
        "crossing was cancelled as gusts reached gale force.</summary></entry></feed>",
    ),
}


@dataclass(frozen=True)
class Encoding:
    """How a document's text becomes bytes: the name its declaration gives, the codec, the BOM."""

    label: str
    codec: str
    bom: bytes = b""

    def encode(self, text: str) -> bytes:
        return self.bom + text.encode(self.codec)


ENCODINGS = {
    "utf-8": Encoding("UTF-8", "utf-8"),
    "utf-8-bom": Encoding("UTF-8", "utf-8", codecs.BOM_UTF8),
    "utf-16-le-bom": Encoding("UTF-16", "utf-16-le", codecs.BOM_UTF16_LE),
    "utf-16-be-bom": Encoding("UTF-16", "utf-16-be", codecs.BOM_UTF16_BE),
    "utf-16-le": Encoding("UTF-16LE", "utf-16-le"),
    "utf-16-be": Encoding("UTF-16BE", "utf-16-be"),
    "utf-32-le-bom": Encoding("UTF-32", "utf-32-le", codecs.BOM_UTF32_LE),
    "utf-32-be-bom": Encoding("UTF-32", "utf-32-be", codecs.BOM_UTF32_BE),
    "utf-32-le": Encoding("UTF-32LE", "utf-32-le"),
    "utf-32-be": Encoding("UTF-32BE", "utf-32-be"),
    "ebcdic-cp037": Encoding("IBM037", "cp037"),
    "ebcdic-cp500": Encoding("IBM500", "cp500"),
}

# The ways a document can declare an entity, each referenced from the headline.
DECLARATIONS: dict[str, Callable[[str], str]] = {
    "internal": lambda root: f'<!DOCTYPE {root} [<!ENTITY tail " {EXPANDED}">]>\n',
    "external": lambda root: f'<!DOCTYPE {root} [\n  <!ENTITY tail SYSTEM "file:///etc/hostname">\n]>\n',
    "parameter": lambda root: (
        f"<!DOCTYPE {root} [<!ENTITY % inner \"<!ENTITY tail '{EXPANDED}'>\"> %inner;]>\n"
    ),
    "lower-case": lambda root: f'<!doctype {root} [<!entity tail "{EXPANDED}">]>\n',
    # feedparser lifts ENTITY lines from anywhere before the root, comments too, into its DOCTYPE.
    "before-the-doctype": lambda root: f'<!--\n<!ENTITY tail "{EXPANDED}">\n-->\n<!DOCTYPE {root}>\n',
}


def document(path: Format, encoding: Encoding, prolog: str = "", *, reference: str = "") -> bytes:
    text = (
        f'<?xml version="1.0" encoding="{encoding.label}"?>\n'
        + prolog
        + path.body.format(headline=HEADLINE + reference)
    )
    return encoding.encode(text)


def content_types(path: Format) -> list[str]:
    return [path.content_type, "application/xml; charset=utf-8", "text/xml"]


MATRIX = [
    pytest.param(path, encoding, content_type, id=f"{name}-{enc}-{content_type.split(';')[0]}")
    for name, path in PATHS.items()
    for enc, encoding in ENCODINGS.items()
    for content_type in content_types(path)
]


@pytest.mark.parametrize(("path", "encoding", "content_type"), MATRIX)
def test_a_document_without_declarations_is_read_in_its_encoding(
    path: Format, encoding: Encoding, content_type: str
) -> None:
    (article,) = parse_raw(document(path, encoding), content_type)
    assert isinstance(article, ArticleSubmission)
    assert article.headline == HEADLINE


@pytest.mark.parametrize("declaration", DECLARATIONS)
@pytest.mark.parametrize(("path", "encoding", "content_type"), MATRIX)
def test_a_document_that_declares_an_entity_is_refused(
    path: Format, encoding: Encoding, content_type: str, declaration: str
) -> None:
    data = document(path, encoding, DECLARATIONS[declaration](path.root), reference="&tail;")
    with pytest.raises(FormatError) as caught:
        parse_raw(data, content_type)
    assert caught.value == REFUSED


@pytest.mark.parametrize(("name", "path"), PATHS.items())
@pytest.mark.parametrize("encoding", ENCODINGS.values(), ids=list(ENCODINGS))
def test_generic_types_are_sniffed_in_the_document_encoding(
    name: str, path: Format, encoding: Encoding
) -> None:
    expected = "feed" if name in ("rss", "atom") else name
    assert sniff(document(path, encoding)) == expected


# --- how the encoding is found ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (codecs.BOM_UTF32_LE + "<".encode("utf-32-le"), "utf-32-le"),
        (codecs.BOM_UTF32_BE + "<".encode("utf-32-be"), "utf-32-be"),
        (b"<\x00\x00\x00?\x00\x00\x00", "utf-32-le"),
        (b"\x00\x00\x00<\x00\x00\x00?", "utf-32-be"),
        (codecs.BOM_UTF16_LE + b"<\x00", "utf-16-le"),
        (codecs.BOM_UTF16_BE + b"\x00<", "utf-16-be"),
        (b"<\x00?\x00x\x00m\x00", "utf-16-le"),
        (b"\x00<\x00?\x00x\x00m", "utf-16-be"),
        (codecs.BOM_UTF8 + b'<?xml version="1.0" encoding="ISO-8859-1"?>', "utf-8"),  # the BOM wins
        ('<?xml version="1.0" encoding="IBM037"?>'.encode("cp037"), "cp037"),
        ('<?xml version="1.0" encoding="ebcdic-cp-be"?>'.encode("cp500"), "cp500"),
        (b'<?xml version="1.0" encoding="ISO-8859-15"?><a/>', "iso8859-15"),
    ],
)
def test_the_encoding_comes_from_the_bom_or_the_first_bytes_then_the_declaration(
    start: bytes, expected: str
) -> None:
    assert xml_encoding(start, "koi8-r") == expected  # a charset that is wrong for all of them


def test_the_charset_counts_only_when_the_document_names_no_encoding() -> None:
    assert xml_encoding(b'<?xml version="1.0"?><a/>', "koi8-r") == "koi8-r"
    assert xml_encoding(b'<?xml version="1.0" encoding="koi8-u"?><a/>', "koi8-r") == "koi8-u"
    assert xml_encoding(b"<a/>", None) == "utf-8"


def test_a_utf16_label_on_single_byte_text_is_not_believed() -> None:
    """.NET writes documents that say UTF-16 in UTF-8; libxml2 reads them as UTF-8 as well."""
    data = f'<?xml version="1.0" encoding="utf-16"?>{PATHS["rss"].body.format(headline=HEADLINE)}'.encode()
    assert xml_encoding(data, None) == "utf-8"
    (article,) = parse_raw(data, "application/xml")
    assert isinstance(article, ArticleSubmission)
    assert article.headline == HEADLINE


@pytest.mark.parametrize(
    ("data", "message", "location"),
    [
        (
            b"\x00\x00\xff\xfe\x00\x00<\x00",
            "UCS-4 2143 is not supported: send UTF-8, UTF-16 or UTF-32",
            "byte 0",
        ),
        (
            b"\x00<\x00\x00\x00?\x00\x00",
            "UCS-4 3412 is not supported: send UTF-8, UTF-16 or UTF-32",
            "byte 0",
        ),
        (
            '<?xml version="1.0"?><a/>'.encode("cp037"),
            "an EBCDIC document must name its code page",
            "XML declaration",
        ),
        (
            '<?xml version="1.0" encoding="IBM1047"?>'.encode("cp037"),
            "unknown charset 'IBM1047'",
            "XML declaration",
        ),
        (
            '<?xml version="1.0" encoding="UTF-8"?>'.encode("cp037"),
            "the document is EBCDIC, not UTF-8",
            "XML declaration",
        ),
        (b'<?xml version="1.0" encoding="klingon-8"?><a/>', "unknown charset 'klingon-8'", "XML declaration"),
        (b'<?xml version="1.0" encoding="base64"?><a/>', "not a text charset: 'base64'", "XML declaration"),
    ],
)
def test_an_encoding_that_cannot_be_read_is_a_precise_error(data: bytes, message: str, location: str) -> None:
    with pytest.raises(FormatError) as caught:
        xml_encoding(data, None)
    assert caught.value == FormatError(message, location)


@pytest.mark.parametrize(
    ("data", "location"),
    [
        ('<?xml version="1.0" encoding="UTF-32"?><a/>'.encode("utf-32-le") + b"\x00\x00", "byte 172"),
        (codecs.BOM_UTF16_BE + "<a>".encode("utf-16-be") + b"\xdc\x00", "byte 8"),  # a lone surrogate
        (b'<?xml version="1.0" encoding="shift_jis"?><a>\x81</a>', "byte 45"),
        (b'<?xml version="1.0" encoding="utf-8"?><a>\x81</a>', "byte 41"),  # neither UTF-8 nor cp1252
    ],
)
@pytest.mark.parametrize("name", PATHS)
def test_bytes_that_are_not_in_their_claimed_encoding_are_a_format_error_on_every_path(
    data: bytes, location: str, name: str
) -> None:
    with pytest.raises(FormatError) as caught:
        parse_raw(data, PATHS[name].content_type)
    assert caught.value.location == location
    assert caught.value.message.startswith(("not valid", "neither UTF-8"))


# --- the text check -------------------------------------------------------------------------------


def test_a_doctype_without_declarations_is_read_in_utf32() -> None:
    nitf = PATHS["nitf"]
    data = document(
        nitf, ENCODINGS["utf-32-be"], '<!DOCTYPE nitf SYSTEM "file:///etc/passwd">\n', reference="&mdash;"
    )
    (article,) = parse_raw(data, nitf.content_type)
    assert isinstance(article, ArticleSubmission)
    assert article.headline == HEADLINE + "\u2014"


@pytest.mark.parametrize(
    ("text", "declares"),
    [
        ('<!DOCTYPE a [<!ENTITY e "x">]><a/>', True),
        ("<!ENTITY e 'x'><!DOCTYPE a><a/>", True),
        ("<!DOCTYPE a><a>&amp;</a>", False),
        ("<a><![CDATA[<!ENTITY e 'quoted, no doctype'>]]></a>", False),
    ],
)
def test_what_counts_as_declaring_entities(text: str, declares: bool) -> None:
    assert declares_entities(text) is declares


def test_parse_errors_keep_the_senders_line_numbers_after_re_encoding() -> None:
    text = "\n\n<?xml version='1.0'\n encoding='{label}'?>\n<nitf>\n<head>\n<title>Open</head>\n</nitf>"
    for encoding in (ENCODINGS["utf-32-le-bom"], ENCODINGS["utf-16-be-bom"], ENCODINGS["utf-8"]):
        with pytest.raises(FormatError) as caught:
            parse_raw(encoding.encode(text.format(label=encoding.label)), "application/nitf+xml")
        assert caught.value.location == "line 7"


def test_the_checked_text_is_the_decoded_document() -> None:
    data = document(PATHS["rss"], ENCODINGS["ebcdic-cp037"])
    assert xml_text(data, None).endswith(PATHS["rss"].body.format(headline=HEADLINE))
