"""The ninjs parser against IPTC's official ninjs JSON Schemas, 1.0 to 3.1.

The schemas are IPTC's (MIT) and stay outside the repository, in ../shared/vendor/ninjs/ beside
it: they are read from there at test time, never copied in. Their one remote reference (GeoJSON,
for `geometry`) is answered with an empty schema, so nothing is fetched and geometry goes
unchecked. Two promises are checked:

- every ninjs document we hold (our fixtures and the real documents of ../shared/formats) is
  valid against at least one official schema, or is listed in DEVIATIONS with why it is not;
- what an official schema accepts, the parser takes: the valid documents, and variants of them
  with optional fields removed that the schema still accepts, give articles or withdrawals.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from schemas.article import ArticleSubmission
from services.ingest.formats.errors import FormatError
from services.ingest.formats.items import Withdrawal
from services.ingest.formats.ninjs import parse_ninjs

REPO = Path(__file__).resolve().parents[2]
SCHEMAS = REPO.parent / "shared" / "vendor" / "ninjs"
REAL = REPO.parent / "shared" / "formats"
OURS = REPO / "tests" / "fixtures" / "formats" / "ninjs"
TEXT_KEYS = {"headline", "headlines", "body_text", "body_html", "body_xhtml", "bodies"}
STATUS_KEYS = {"pubstatus", "pubStatus"}

# Documents no official schema accepts, each with why; the test fails when one of them becomes
# valid (remove it here then) or when another document stops being valid.
DEVIATIONS = {
    "array_two.json[1]": "our fixture's deliberately broken item: a body value that is a number",
    "v2_orchard.json": "our fixture: `$schema` (no 2.x property; it tests version hints), `renditions: {}`",
    "v3_bridge.json": "our fixture: `$schema` (no 3.x property; it tests version hints)",
    "ninjs-360info-1.ninjs.json": "Superdesk's dialect: guid, extra, authors, associations of its own shape",
}

pytestmark = pytest.mark.skipif(
    not SCHEMAS.is_dir(), reason=f"the IPTC ninjs schemas are not at {SCHEMAS} (../shared/vendor/ninjs)"
)


def _no_remote(uri: str) -> Resource[Any]:
    """Every remote reference resolves to the empty schema: tests never reach the network."""
    return Resource.from_contents({}, default_specification=DRAFT202012)


def _validators() -> dict[str, Validator]:
    found: dict[str, Validator] = {}
    for path in sorted(SCHEMAS.glob("ninjs-schema_*.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        kind = validator_for(schema)
        kind.check_schema(schema)
        found[path.stem.rpartition("_")[2]] = kind(schema, registry=Registry(retrieve=_no_remote))  # type: ignore[call-arg]
    return found


VALIDATORS = _validators() if SCHEMAS.is_dir() else {}


def _items(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each ninjs item a file holds, named as DEVIATIONS names them."""
    document = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(document, list):
        for index, item in enumerate(document):
            yield f"{path.name}[{index}]", item
    else:
        yield path.name, document


def _documents() -> list[tuple[str, dict[str, Any]]]:
    ours = sorted(p for p in OURS.glob("*.json") if not p.name.endswith(".expected.json"))
    real = sorted(REAL.glob("ninjs-*.json")) if REAL.is_dir() else []
    return [named for path in [*ours, *real] for named in _items(path)]


def accepting(item: dict[str, Any]) -> list[str]:
    """The versions whose official schema accepts the item."""
    return [version for version, validator in VALIDATORS.items() if validator.is_valid(item)]


DOCUMENTS = _documents() if SCHEMAS.is_dir() else []
VALID = [(name, item, accepting(item)) for name, item in DOCUMENTS if name not in DEVIATIONS]


def test_the_schemas_and_documents_are_there() -> None:
    assert sorted(VALIDATORS) == [
        "1.0",
        "1.1",
        "1.2",
        "1.3",
        "1.4",
        "1.5",
        "1.6",
        "2.0",
        "2.1",
        "2.2",
        "3.0",
        "3.1",
    ]
    assert len(DOCUMENTS) >= 15


@pytest.mark.parametrize(("name", "item"), DOCUMENTS, ids=[name for name, _ in DOCUMENTS])
def test_every_document_validates_or_is_reported(name: str, item: dict[str, Any]) -> None:
    versions = accepting(item)
    if name in DEVIATIONS:
        assert versions == [], f"{name} is valid for {versions}: take it out of DEVIATIONS"
    else:
        assert versions, f"{name} is valid against no official ninjs schema: fix it or report it"


@pytest.mark.parametrize(("name", "item", "versions"), VALID, ids=[name for name, _, _ in VALID])
def test_every_valid_document_is_taken(name: str, item: dict[str, Any], versions: list[str]) -> None:
    (parsed,) = parse_ninjs(json.dumps(item).encode())
    assert isinstance(parsed, ArticleSubmission | Withdrawal), f"{name} ({versions}): {parsed}"


@st.composite
def _valid_variants(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A valid document with some of its optional top-level fields taken out, still valid.

    One text field (or the status of a text-less withdrawal) stays: without any, the variant is
    valid but holds no article, which test_a_variant_without_text_is_refused_only_for_that covers.
    """
    name, item, versions = draw(st.sampled_from(VALID))
    optional = sorted(set(item) - {"uri"})
    dropped = draw(st.sets(st.sampled_from(optional))) if optional else set()
    variant = {key: value for key, value in item.items() if key not in dropped}
    keeps = TEXT_KEYS if set(item) & TEXT_KEYS else STATUS_KEYS
    assume(set(variant) & keeps)
    assume(any(VALIDATORS[version].is_valid(variant) for version in versions))
    return name, variant


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)
@given(_valid_variants())
def test_what_a_schema_accepts_the_parser_takes(named: tuple[str, dict[str, Any]]) -> None:
    name, variant = named
    (parsed,) = parse_ninjs(json.dumps(variant).encode())
    assert isinstance(parsed, ArticleSubmission | Withdrawal), f"{name} without some fields: {parsed}"


def test_a_variant_without_text_is_refused_only_for_that() -> None:
    for name, item, _ in VALID:
        if set(item) & STATUS_KEYS and str(item.get("pubstatus") or item.get("pubStatus")) != "usable":
            continue  # a withdrawal needs no text
        bare = {key: value for key, value in item.items() if key not in TEXT_KEYS}
        (parsed,) = parse_ninjs(json.dumps(bare).encode())
        assert isinstance(parsed, FormatError), name
        assert parsed.message.startswith("no headline and no body text"), name
