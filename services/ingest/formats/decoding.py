"""Bytes to text: a BOM first, then the declared charset, then UTF-8 with a cp1252 fallback.

Feeds often claim UTF-8 and send Windows-1252 smart quotes (0x91-0x97); those
documents are read as cp1252 instead of being refused.
"""

from __future__ import annotations

import codecs

from services.ingest.formats.errors import FormatError

_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


def decode_text(data: bytes, declared_charset: str | None = None) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _decode(data[len(bom) :], encoding)
    charset = (declared_charset or "utf-8").lower()
    try:
        codecs.lookup(charset)
    except LookupError as exc:
        raise FormatError(f"unknown charset {declared_charset!r}", "Content-Type") from exc
    if codecs.lookup(charset).name != "utf-8":
        return _decode(data, charset)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            raise FormatError(f"not valid UTF-8: {exc.reason}", f"byte {exc.start}") from exc


def _decode(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise FormatError(f"not valid {encoding}: {exc.reason}", f"byte {exc.start}") from exc
