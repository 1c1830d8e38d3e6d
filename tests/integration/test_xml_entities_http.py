"""A UTF-32 feed that declares an entity is a 422 over HTTP and never reaches articles.raw (issue 21)."""

from __future__ import annotations

import base64
import codecs
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from schemas.article import RawArticle
from services.common.topics import RAW
from services.ingest.api import create_app
from tests.support import KEY, ingest_settings, read_topic, wait_until

REFUSED_HEADLINE = "Tide gauge at Skerrymore stops reporting"
ACCEPTED_HEADLINE = "Tide gauge at Skerrymore reports again"
EXPANDED = "INJECTED BY AN ENTITY"


def utf32_feed(headline: str, *, declaration: str = "", reference: str = "") -> bytes:
    text = (
        '<?xml version="1.0" encoding="UTF-32"?>\n'
        + declaration
        + '<rss version="2.0"><channel><title>Skerry Gazette</title><item>'
        + f"<title>{headline}{reference}</title><pubDate>Tue, 08 Apr 2025 06:30:00 GMT</pubDate>"
        + "<description>The harbour office says the sensor was knocked out by ice.</description>"
        + "</item></channel></rss>"
    )
    return codecs.BOM_UTF32_LE + text.encode("utf-32-le")


@pytest.fixture(scope="module")
def client(kafka_bootstrap: str) -> Iterator[TestClient]:
    with TestClient(create_app(ingest_settings(kafka_bootstrap, rate_limit_burst=100_000))) as test_client:
        wait_until(lambda: test_client.get("/readyz").status_code == 200, 30, what="ingest ready")
        yield test_client


def _carries(value: bytes, hostile: bytes) -> bool:
    """Whether a record holds the refused feed: its bytes as the original, its headline, its entity."""
    try:
        article = RawArticle.model_validate_json(value)
    except ValidationError:  # other tests put records beyond the contract on the topic on purpose
        return hostile in value or EXPANDED in value.decode("utf-8", "replace")
    original = article.original
    sent = b""
    if original is not None:
        sent = base64.b64decode(original.data) if original.encoding == "base64" else original.data.encode()
    return sent == hostile or article.headline.startswith(REFUSED_HEADLINE) or EXPANDED in value.decode()


@pytest.mark.parametrize("content_type", ["application/rss+xml", "application/xml"])
def test_a_utf32_feed_declaring_an_entity_is_refused_and_not_published(
    client: TestClient, kafka_bootstrap: str, content_type: str
) -> None:
    hostile = utf32_feed(
        REFUSED_HEADLINE, declaration=f'<!DOCTYPE rss [<!ENTITY tail " {EXPANDED}">]>\n', reference="&tail;"
    )
    refused = client.post("/v1/articles:raw", content=hostile, headers={**KEY, "Content-Type": content_type})
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    problem = refused.json()
    assert problem["type"] == "/problems/unparseable-document"
    assert problem["errors"] == [{"location": "document", "message": "entity declarations are not allowed"}]

    accepted = client.post(
        "/v1/articles:raw",
        content=utf32_feed(ACCEPTED_HEADLINE),
        headers={**KEY, "Content-Type": content_type},
    )
    assert accepted.status_code == 202, accepted.text
    (item,) = accepted.json()["items"]
    assert item["status"] == "accepted"
    assert item["headline"] == ACCEPTED_HEADLINE

    # Each answer waits for Kafka to acknowledge what it published, so once the accepted article
    # can be read, anything the refused feed had published could be read as well.
    records = read_topic(
        kafka_bootstrap, RAW.name, until=lambda rs: item["id"] in {r.key.decode() for r in rs}
    )
    assert not [r for r in records if _carries(r.value, hostile)]
    ours = [RawArticle.model_validate_json(r.value) for r in records if r.key.decode() == item["id"]]
    assert ours
    assert {article.headline for article in ours} == {ACCEPTED_HEADLINE}
