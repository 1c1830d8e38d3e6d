"""Bytes to text: a BOM first, then the declared charset, then UTF-8 with a cp1252 fallback.

Feeds often claim UTF-8 and send Windows-1252 smart quotes (0x91-0x97), typically pasted
from a word processor into an otherwise UTF-8 page. Refusing those documents would lose
the article, and reading the whole document as cp1252 would garble its real UTF-8, so
only the bytes that are not UTF-8 are read as cp1252. Bytes that are neither, and NUL
bytes (binary data), are refused with their offset so that the feed can find them.
Labels for Latin-1 and ASCII are read as Windows-1252, as browsers do: sites that
declare them send cp1252 punctuation.
"""

from __future__ import annotations

import codecs
import re

from services.ingest.formats.errors import FormatError

# UTF-32 first: its little-endian BOM starts with the UTF-16 one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_WINDOWS_1252_LABELS = {"iso8859-1", "ascii", "cp1252"}  # codecs.lookup() names
# surrogateescape turns each byte that is not UTF-8 into U+DC80..U+DCFF; these read it as cp1252.
_ESCAPED = re.compile("[\udc80-\udcff]")
# 0x81, 0x8D, 0x8F, 0x90 and 0x9D are unassigned in cp1252: they stay out of the table.
_HIGH_BYTES = bytes(range(0x80, 0x100))
_CP1252_OF_ESCAPED = {
    0xDC00 + byte: char
    for byte, char in zip(_HIGH_BYTES, _HIGH_BYTES.decode("cp1252", "replace"), strict=True)
    if char != "\ufffd"
}
# For Latin-1 labels: C1 controls (what latin-1 makes of 0x80-0x9F) to cp1252's characters.
_C1_TO_CP1252 = {0x80 + i: _CP1252_OF_ESCAPED.get(0xDC80 + i, chr(0x80 + i)) for i in range(0x20)}


def decode_text(data: bytes, declared_charset: str | None = None) -> str:
    """The document's text; FormatError with `byte N` for what cannot be read."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            if encoding == "utf-8":
                return _utf8_or_cp1252(data[len(bom) :], offset=len(bom))
            return _decode(data[len(bom) :], encoding, offset=len(bom))
    name = codec_name(declared_charset or "utf-8")
    if name in _WINDOWS_1252_LABELS:
        _refuse_nul(data, offset=0)
        return data.decode("latin-1").translate(_C1_TO_CP1252)
    if name in ("utf-8", "utf-8-sig"):  # a BOM would have been taken off above
        return _utf8_or_cp1252(data, offset=0)
    return _decode(data, name, offset=0)


def codec_name(charset: str, where: str = "Content-Type") -> str:
    """`where` names what gave the label (the Content-Type, an XML declaration): the part to fix."""
    try:
        info = codecs.lookup(charset.strip().strip("\"'"))
    except LookupError as exc:
        raise FormatError(f"unknown charset {charset!r}", where) from exc
    # base64, rot13, zlib ... are codecs too, but not text encodings.
    if not getattr(info, "_is_text_encoding", True):
        raise FormatError(f"not a text charset: {charset!r}", where)
    return info.name


def _refuse_nul(data: bytes, *, offset: int) -> None:
    nul = data.find(b"\x00")
    if nul >= 0:
        raise FormatError("binary data: a NUL byte in a text document", f"byte {offset + nul}")


def _utf8_or_cp1252(data: bytes, *, offset: int) -> str:
    _refuse_nul(data, offset=offset)
    text = data.decode("utf-8", "surrogateescape")
    if not _ESCAPED.search(text):
        return text
    translated = text.translate(_CP1252_OF_ESCAPED)
    leftover = _ESCAPED.search(translated)
    if leftover:
        # The offset in bytes: what precedes it, encoded back the way it came.
        at = offset + len(text[: leftover.start()].encode("utf-8", "surrogateescape"))
        byte = ord(leftover.group()) - 0xDC00
        raise FormatError(f"neither UTF-8 nor Windows-1252: byte 0x{byte:02X}", f"byte {at}")
    return translated


def _decode(data: bytes, encoding: str, *, offset: int) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise FormatError(f"not valid {encoding}: {exc.reason}", f"byte {offset + exc.start}") from exc
    except UnicodeError as exc:  # codecs such as idna fail without a position
        raise FormatError(f"not valid {encoding}: {exc}", None) from exc
