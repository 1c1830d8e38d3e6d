"""Every real document of ../shared/formats through `POST /v1/articles:raw` into the real Kafka.

The documents are real agencies' and sites' publications (IPTC's examples, agency items, feeds,
article pages), each described in MANIFEST.tsv with what a correct parser gives (column
`expect`). They belong to their publishers, so they are read from ../shared beside the
repository at test time and never copied in. Three expectations are checked per document:
it is taken (a 202), the number of articles (a withdrawal notice when the MANIFEST says the item
is withdrawn), and the exact headline of the first item, with runs of white space in the
MANIFEST's spelling read as one space and none at either end, as every parser reads a headline.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.common.topics import CONTROL, RAW
from services.ingest.api import create_app
from services.ingest.formats.items import Withdrawal
from services.ingest.formats.registry import parse_raw
from tests.support import KEY, ingest_settings, read_topic, wait_until

FORMATS = Path(__file__).resolve().parents[2].parent / "shared" / "formats"
MANIFEST = FORMATS / "MANIFEST.tsv"
CONTENT_TYPES = {
    ".ninjs.json": "application/ninjs+json",
    ".nitf.xml": "application/vnd.iptc.nitf+xml",
    ".g2.xml": "application/vnd.iptc.g2.newsmessage+xml",
    ".rss": "application/rss+xml",
    ".atom": "application/atom+xml",
    ".html": "text/html",
}
# key=value pairs, `; `-separated; a value is a quoted string (\" inside) or runs to the next `;`.
_PAIR = re.compile(r'\s*(?P<key>[^=;]+?)\s*=\s*(?:"(?P<quoted>(?:[^"\\]|\\.)*)"|(?P<bare>[^;]*))[^;]*;?')
_FIRST_HEADLINE = ("headline", "headline[1]", "headline(first item)", "headline(first entry)")
_WITHDRAWN = ("canceled", "cancelled", "withheld")

pytestmark = pytest.mark.skipif(not MANIFEST.is_file(), reason=f"the real documents are not at {FORMATS}")


@dataclass(frozen=True)
class Expected:
    """What MANIFEST.tsv's `expect` column says a correct parser gives for one document."""

    file: str
    articles: int  # items, or `articles` when the items include non-text ones (a G2 package)
    headline: str | None  # of the first item; None when the MANIFEST gives none
    withdrawn: bool


def expectations(text: str) -> dict[str, str]:
    """`headline="A; B"; items=1 (plus 2 pictures); withdrawn (...)` -> {headline: A; B, items: 1 ...}.

    A bare word without `=` (`withdrawn`) becomes a key of its own with an empty value.
    """
    found: dict[str, str] = {}
    rest = text
    while rest.strip():
        match = _PAIR.match(rest)
        if match is None:
            word, _, rest = rest.partition(";")
            found[word.strip().split(" ")[0]] = ""
            continue
        quoted = match.group("quoted")
        value = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else match.group("bare").strip()
        found.setdefault(match.group("key").strip(), value)
        rest = rest[match.end() :]
    return found


def _count(value: str) -> int:
    return int(re.match(r"\d+", value.strip()).group())  # type: ignore[union-attr]


def expected(row: dict[str, str]) -> Expected:
    pairs = expectations(row["expect"])
    headline = next((pairs[key] for key in _FIRST_HEADLINE if key in pairs), None)
    statuses = {pairs.get("pubstatus", ""), pairs.get("pubStatus", ""), pairs.get("management-status", "")}
    return Expected(
        file=row["file"],
        articles=_count(pairs.get("articles") or pairs["items"]),
        headline=None if headline in (None, "(none)") else " ".join(str(headline).split()),
        withdrawn="withdrawn" in pairs or bool(statuses & set(_WITHDRAWN)),
    )


def _rows() -> list[Expected]:
    if not MANIFEST.is_file():
        return []
    with MANIFEST.open(encoding="utf-8", newline="") as handle:
        return [expected(row) for row in csv.DictReader(handle, delimiter="\t")]


ROWS = _rows()
IDS = [row.file for row in ROWS]


def content_type(file: str) -> str:
    return next(kind for suffix, kind in CONTENT_TYPES.items() if file.endswith(suffix))


@pytest.fixture(scope="module")
def client(kafka_bootstrap: str) -> Iterator[TestClient]:
    with TestClient(create_app(ingest_settings(kafka_bootstrap, rate_limit_burst=100_000))) as test_client:
        wait_until(lambda: test_client.get("/readyz").status_code == 200, 30, what="ingest ready")
        yield test_client


@pytest.fixture(scope="module")
def answers(client: TestClient) -> dict[str, tuple[int, dict[str, Any]]]:
    """Each document's answer, pushed once and shared by the checks below."""
    found = {}
    for row in ROWS:
        response = client.post(
            "/v1/articles:raw",
            content=(FORMATS / row.file).read_bytes(),
            headers={**KEY, "Content-Type": content_type(row.file)},
        )
        found[row.file] = (response.status_code, response.json())
    return found


def test_the_manifest_is_read() -> None:
    assert len(ROWS) == 30
    assert sum(row.withdrawn for row in ROWS) == 2
    assert {row.file: row.articles for row in ROWS}["g2-reuters-1.g2.xml"] == 1
    assert {row.file: row.headline for row in ROWS}["g2-iptc-1.g2.xml"] == 'Fed to halt QE to avert "bubble"'


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_document_is_taken_and_published(
    row: Expected, answers: dict[str, tuple[int, dict[str, Any]]], kafka_bootstrap: str
) -> None:
    status, body = answers[row.file]
    assert status == 202, body
    accepted = {i["id"] for i in body["items"] if i["status"] == "accepted"}
    withdrawn = {i["id"] for i in body["items"] if i["status"] == "withdrawn"}
    if accepted:
        read_topic(kafka_bootstrap, RAW.name, until=lambda rs: accepted <= {r.key.decode() for r in rs})
    if withdrawn:
        read_topic(kafka_bootstrap, CONTROL.name, until=lambda rs: withdrawn <= {r.key.decode() for r in rs})


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_number_of_articles(row: Expected, answers: dict[str, tuple[int, dict[str, Any]]]) -> None:
    status, body = answers[row.file]
    assert status == 202, body
    statuses = [item["status"] for item in body["items"]]
    if row.withdrawn:
        assert statuses.count("withdrawn") == row.articles, statuses
    else:
        assert statuses.count("accepted") == row.articles, [
            i for i in body["items"] if i["status"] != "accepted"
        ]
    assert "rejected" not in statuses, body["items"]


@pytest.mark.parametrize(
    "row", [r for r in ROWS if r.headline is not None], ids=[r.file for r in ROWS if r.headline]
)
def test_first_headline(row: Expected, answers: dict[str, tuple[int, dict[str, Any]]]) -> None:
    status, body = answers[row.file]
    assert status == 202, body
    if row.withdrawn:  # the answer names a withdrawal by id only: its headline is the parser's
        (withdrawal,) = parse_raw((FORMATS / row.file).read_bytes(), content_type(row.file))
        assert isinstance(withdrawal, Withdrawal)
        assert withdrawal.headline == row.headline
        return
    first = next((i for i in body["items"] if i["status"] == "accepted"), None)
    assert first is not None, body["items"]
    assert first["headline"] == row.headline
