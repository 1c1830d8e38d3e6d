"""The ninjs parser: version detection, bad input, repairs (goldens and fuzzing: test_parser_contract.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas.article import ArticleSubmission
from schemas.article_id import article_id
from services.ingest.formats.errors import FormatError
from services.ingest.formats.items import Withdrawal
from services.ingest.formats.ninjs import detect_version, parse_ninjs
from services.ingest.intake import withdrawal_notice

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "formats" / "ninjs"
DOCUMENTS = sorted(p for p in FIXTURES.glob("*.json") if not p.name.endswith(".expected.json"))


def test_there_is_a_fixture_for_each_case() -> None:
    names = {p.stem for p in DOCUMENTS}
    assert {"v1_ferry", "v2_orchard", "v3_bridge", "v2_html_only", "v3_canceled", "array_two"} <= names
    assert {"v1_canceled_uri_only", "v1_xhtml_only"} <= names


def test_a_canceled_item_with_only_its_uri_withdraws_the_article_of_that_uri() -> None:
    (withdrawal,) = parse_ninjs((FIXTURES / "v1_canceled_uri_only.json").read_bytes())
    assert withdrawal == Withdrawal(
        source="ninjs",
        reason="pubstatus canceled",
        feed_item_id="urn:example:quaywire:2025-04-11:ferry-strike",
        revision=1,
    )
    notice = withdrawal_notice(withdrawal, issued_at=datetime(2025, 4, 11, tzinfo=UTC))
    assert notice.article_id == article_id(
        source="ninjs",
        headline="anything",
        published_at=datetime(2020, 1, 1, tzinfo=UTC),
        feed_item_id="urn:example:quaywire:2025-04-11:ferry-strike",
    )


def test_a_body_xhtml_only_item_is_an_article() -> None:
    (article,) = parse_ninjs((FIXTURES / "v1_xhtml_only.json").read_bytes())
    assert isinstance(article, ArticleSubmission)
    assert article.body_html is not None
    assert article.body_html.startswith("<p>NORTH QUAY, Orrin")
    assert article.subheadline == "The cranes replace diesel units in service since 1998."
    assert article.warnings == []


@pytest.mark.parametrize(
    ("name", "version"),
    [
        ("v1_ferry", "1"),
        ("v2_orchard", "2"),
        ("v2_html_only", "2"),
        ("v3_bridge", "3"),
        ("v3_canceled", "3"),
    ],
)
def test_detects_fixture_versions(name: str, version: str) -> None:
    assert detect_version(json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))) == version


@pytest.mark.parametrize(
    ("obj", "version"),
    [
        ({"$schema": "http://www.iptc.org/std/ninjs/ninjs-schema_1.3.json", "headlines": []}, "1"),
        ({"$schema": "https://www.iptc.org/std/ninjs/ninjs-schema_2.1.json", "pubStatus": "usable"}, "2"),
        ({"standard": {"name": "ninjs", "version": "3.0"}, "headline": "x"}, "3"),
        ({"ninjs-version": "2", "uri": "u"}, "2"),
        ({"uri": "u", "versioncreated": "2024-01-01T00:00:00Z"}, "1"),
        ({"uri": "u", "headline": "x", "byline": "y"}, "1"),
        ({"uri": "u", "headlines": [], "by": "y"}, "2"),
        ({"uri": "u", "headlines": [], "versionCreated": "2024-01-01T00:00:00Z"}, "3"),
    ],
)
def test_detect_version_hint_wins_then_field_names(obj: dict[str, Any], version: str) -> None:
    assert detect_version(obj) == version


def test_unsupported_declared_version_is_a_document_error() -> None:
    doc = {"$schema": "https://www.iptc.org/std/ninjs/ninjs-schema_4.0.json", "uri": "u"}
    with pytest.raises(FormatError) as caught:
        parse_ninjs(json.dumps(doc).encode())
    assert caught.value.location == "/$schema"
    assert "4" in caught.value.message


def test_unsupported_version_inside_an_array_is_an_item_error() -> None:
    doc = [{"ninjs-version": "9", "uri": "u"}]
    (item,) = parse_ninjs(json.dumps(doc).encode())
    assert isinstance(item, FormatError)
    assert item.location == "/0/ninjs-version"


@pytest.mark.parametrize(
    "data", [b"", b"{", b"<ninjs/>", b'{"uri": NaN}', b"\xff\xfe\x00", b"[1, 2" + b"]" * 3]
)
def test_unreadable_documents_raise_with_a_location(data: bytes) -> None:
    with pytest.raises(FormatError) as caught:
        parse_ninjs(data)
    assert caught.value.location


@pytest.mark.parametrize("data", [b'"a headline"', b"42", b"null", b"{}", b'{"title": "not ninjs"}'])
def test_json_that_is_not_ninjs_raises(data: bytes) -> None:
    with pytest.raises(FormatError) as caught:
        parse_ninjs(data)
    assert caught.value.location == "document"


def test_wrong_types_name_the_field() -> None:
    doc = json.loads((FIXTURES / "v2_orchard.json").read_text(encoding="utf-8"))
    doc["headlines"][1]["value"] = ["not", "text"]
    (item,) = parse_ninjs(json.dumps(doc).encode())
    assert isinstance(item, FormatError)
    assert item.location == "/headlines/1/value"


def test_a_secondary_field_of_the_wrong_type_is_dropped_and_said() -> None:
    doc = json.loads((FIXTURES / "v3_bridge.json").read_text(encoding="utf-8"))
    doc["versionCreated"] = 20250120
    (item,) = parse_ninjs(json.dumps(doc).encode())
    assert isinstance(item, ArticleSubmission)
    assert item.updated_at is None
    assert [(w.code, w.field) for w in item.warnings] == [("field-invalid", "versionCreated")]


def test_contract_violations_point_at_the_ninjs_field() -> None:
    doc = json.loads((FIXTURES / "v2_orchard.json").read_text(encoding="utf-8"))
    doc["language"] = "English (UK)"  # secondary: dropped, and said
    (item,) = parse_ninjs(json.dumps(doc).encode())
    assert isinstance(item, ArticleSubmission)
    assert item.language is None
    assert [(w.code, w.field) for w in item.warnings] == [("field-invalid", "language")]

    doc["language"] = "en"
    doc["versioncreated"] = "2024-09-01T00:00:00Z"  # before firstcreated: ingest drops it, not the parser
    (item,) = parse_ninjs(json.dumps(doc).encode())
    assert isinstance(item, ArticleSubmission)
    assert item.updated_at is not None
    assert item.published_at is not None
    assert item.updated_at < item.published_at

    del doc["bodies"]
    doc["headlines"] = [{"value": ""}]
    (item,) = parse_ninjs(json.dumps(doc).encode())
    assert isinstance(item, FormatError)
    assert item.location == "/bodies"


def test_bad_version_and_missing_dates_are_repaired_not_refused() -> None:
    doc = json.loads((FIXTURES / "v1_ferry.json").read_text(encoding="utf-8"))
    doc["version"] = "2b"
    (item,) = parse_ninjs(json.dumps(doc).encode())
    assert isinstance(item, ArticleSubmission)
    assert item.revision == 1
    assert [(w.code, w.field) for w in item.warnings] == [("field-invalid", "revision")]

    doc["version"] = 3
    del doc["versioncreated"], doc["firstcreated"]
    (item,) = parse_ninjs(json.dumps(doc).encode())
    assert isinstance(item, ArticleSubmission)
    assert item.published_at is None  # ingest uses the time received, and says so
    assert item.warnings == []

    doc["firstcreated"] = "le 3 mars"
    (item,) = parse_ninjs(json.dumps(doc).encode())
    assert isinstance(item, ArticleSubmission)
    assert item.published_at is None
    assert [(w.code, w.field) for w in item.warnings] == [("date-unreadable", "published_at")]


def test_naive_times_take_the_source_time_zone() -> None:
    data = (FIXTURES / "v3_bridge.json").read_bytes()
    (item,) = parse_ninjs(data, source_timezone="Europe/Berlin")
    assert isinstance(item, ArticleSubmission)
    assert item.published_at.isoformat() == "2025-01-20T14:00:00+01:00"
    with pytest.raises(FormatError) as caught:
        parse_ninjs(data, source_timezone="Mars/Olympus")
    assert caught.value.location == "settings"


def test_items_wrapper_and_encodings() -> None:
    item = json.loads((FIXTURES / "v2_html_only.json").read_text(encoding="utf-8"))
    wrapped = json.dumps({"items": [item, item]}, ensure_ascii=False)
    for data in (wrapped.encode(), wrapped.encode("utf-16-le"), wrapped.encode("utf-32-be")):
        parsed = parse_ninjs(data)
        assert [type(p) for p in parsed] == [ArticleSubmission, ArticleSubmission]
    bad = parse_ninjs(json.dumps({"items": [item, "x"]}).encode())
    assert isinstance(bad[1], FormatError)
    assert bad[1].location == "/items/1"
    cp1252 = json.dumps(item, ensure_ascii=False).replace("Town", "\u201cTown\u201d").encode("cp1252")
    (article,) = parse_ninjs(cp1252)
    assert isinstance(article, ArticleSubmission)
    assert article.headline.startswith("\u201cTown\u201d")


def test_bylines_are_split_sensibly() -> None:
    doc = json.loads((FIXTURES / "v2_html_only.json").read_text(encoding="utf-8"))
    cases = {
        "By Ann Poe, Ben Roe and Cy Doe": [
            ("Ann Poe", "writer"),
            ("Ben Roe", "writer"),
            ("Cy Doe", "writer"),
        ],
        "BY ANN POE & BEN ROE": [("ANN POE", "writer"), ("BEN ROE", "writer")],
        "Ann Poe, Staff Writer": [("Ann Poe", "Staff Writer")],
        "By ": [],
    }
    for by, expected in cases.items():
        doc["by"] = by
        (item,) = parse_ninjs(json.dumps(doc).encode())
        assert isinstance(item, ArticleSubmission)
        assert [(b.name, b.role) for b in item.bylines] == expected


# --- fuzzing: whatever a feed sends, the parser answers with items or a FormatError -------------

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)


def _paths(node: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [here] if here else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*here, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*here, index))
    return found


@st.composite
def _mutated(draw: st.DrawFn) -> bytes:
    path = draw(st.sampled_from(DOCUMENTS))
    raw = path.read_bytes()
    doc = json.loads(raw)
    for _ in range(draw(st.integers(1, 4))):
        paths = _paths(doc)
        if not paths:
            break
        target = draw(st.sampled_from(paths))
        parent = doc
        for step in target[:-1]:
            parent = parent[step]
        action = draw(st.sampled_from(["delete", "replace", "replace"]))
        if action == "delete":
            del parent[target[-1]]
        else:
            parent[target[-1]] = draw(_JSON)
    data = json.dumps(doc, ensure_ascii=False).encode()
    if draw(st.booleans()) and draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    return data


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mutated())
def test_mutations_yield_items_or_a_format_error(data: bytes) -> None:
    try:
        items = parse_ninjs(data)
    except FormatError:  # the one exception a parser may raise
        return
    assert isinstance(items, list)
    for item in items:
        assert isinstance(item, ArticleSubmission | Withdrawal | FormatError)
        if isinstance(item, FormatError):
            assert item.location is not None
