"""The contract every format parser keeps, over the registry's parsers and each one's fixtures.

- Its fixtures parse to their goldens (`XML_FORMATS_REGENERATE=1` rewrites them; read the diff).
- A damaged document gives items (articles with warnings, withdrawals, skips, per-item errors)
  or one FormatError for the document, never another exception.

Each parser's own tests keep what is particular to its format.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.ingest.formats.feed import parse_feed
from services.ingest.formats.generic_html import parse_generic_html
from services.ingest.formats.items import ParsedItem
from services.ingest.formats.newsml_g2 import parse_newsml_g2
from services.ingest.formats.ninjs import parse_ninjs
from services.ingest.formats.nitf import parse_nitf
from tests.formats_support import Mutation, check_golden, fuzz, mutations

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "formats"
Parser = Callable[..., list[ParsedItem]]

# The fixtures' folder, its parser, and the zone their naive times are read in.
PARSERS: dict[str, tuple[Parser, str]] = {
    "ninjs": (parse_ninjs, "UTC"),
    "nitf": (parse_nitf, "UTC"),
    "newsml_g2": (parse_newsml_g2, "Europe/London"),
    "feed": (parse_feed, "Europe/London"),
    "html": (parse_generic_html, "Europe/London"),
}
DOCUMENTS = [
    (kind, path)
    for kind in PARSERS
    for path in sorted((FIXTURES / kind).iterdir())
    if not path.name.endswith(".expected.json")
]


def _parse(kind: str, data: bytes) -> list[ParsedItem]:
    parse, zone = PARSERS[kind]
    return parse(data, source_timezone=zone)


def test_every_parser_has_fixtures() -> None:
    assert {kind for kind, _ in DOCUMENTS} == set(PARSERS)


@pytest.mark.parametrize(("kind", "path"), DOCUMENTS, ids=lambda v: v if isinstance(v, str) else v.name)
def test_golden(kind: str, path: Path) -> None:
    check_golden(_parse(kind, path.read_bytes()), path.with_suffix(".expected.json"))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(DOCUMENTS), st.lists(mutations(), min_size=1, max_size=3))
def test_damaged_documents_give_items_or_a_format_error(
    document: tuple[str, Path], damage: list[Mutation]
) -> None:
    kind, path = document
    fuzz(lambda data: _parse(kind, data), path.read_bytes(), damage)
