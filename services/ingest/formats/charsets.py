"""The charset of an XML document that declares none and is not UTF-8: guessed, and said so.

XML without a byte order mark, an `encoding` declaration or a Content-Type charset is UTF-8 by
definition, but feeds in the wild are often Latin-1 written by systems that never declared it
(UOL's RSS has no XML declaration at all). Such bytes are guessed with charset-normalizer
before they are parsed. A declared charset always wins over the guess: this only runs when
nothing was declared, and only when the bytes are not valid UTF-8.

charset-normalizer ranks the single-byte code pages by how coherent the text reads, and for
short Western text several tie (Portuguese decodes without a flaw as cp1250, cp1252 or
cp1257, with different letters). Among the candidates as clean as the best, Windows-1252 is
preferred: it is what undeclared Western text on the web is written in, and what browsers
read it as (the WHATWG encoding standard's default).
"""

from __future__ import annotations

import codecs
import re

import charset_normalizer

_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)  # UTF-32's start with these
_UTF16_STARTS = (b"<\x00", b"\x00<")
_DECLARES_ENCODING = re.compile(rb"^\s*<\?xml\s[^>]*?\bencoding\s*=")
_PREFERRED = ("utf_8", "cp1252", "latin_1")
_CHAOS_TIE = 0.01  # candidates this close to the cleanest reading count as equally clean


def undeclared_charset(data: bytes, charset: str | None) -> str | None:
    """The guessed charset of an XML document that declares none and is not UTF-8, else None."""
    if charset or data.startswith(_BOMS) or data.startswith(_UTF16_STARTS):
        return None
    if _DECLARES_ENCODING.match(data[:1024]):
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return guess_charset(data)
    return None


def guess_charset(data: bytes) -> str | None:
    """charset-normalizer's reading of the bytes, Windows-1252 first among equally clean ones."""
    matches = list(charset_normalizer.from_bytes(data))
    if not matches:
        return None
    cleanest = min(match.chaos for match in matches)
    tied = [match for match in matches if match.chaos <= cleanest + _CHAOS_TIE]
    for preferred in _PREFERRED:
        if any(preferred in match.could_be_from_charset for match in tied):
            return codecs.lookup(preferred).name
    return codecs.lookup(tied[0].encoding).name


def guess_message(charset: str) -> str:
    return f"no charset declared and the bytes are not UTF-8: read as {charset} (guessed)"
