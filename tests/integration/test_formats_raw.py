"""Every wire format through `POST /v1/articles:raw` into the real Kafka, sniffed from generic types."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from schemas.control import ControlNotice
from services.common.topics import CONTROL, RAW
from services.ingest.api import create_app
from tests.support import KEY, ingest_settings, read_topic, wait_until

FORMATS = Path(__file__).resolve().parents[1] / "fixtures" / "formats"
GENERIC = {".xml": "application/xml", ".json": "application/json", ".html": "text/html"}
DOCUMENTS = sorted(
    p for p in FORMATS.rglob("*") if p.suffix in GENERIC and not p.name.endswith(".expected.json")
)


@pytest.fixture(scope="module")
def client(kafka_bootstrap: str) -> Iterator[TestClient]:
    with TestClient(create_app(ingest_settings(kafka_bootstrap, rate_limit_burst=100_000))) as test_client:
        wait_until(lambda: test_client.get("/readyz").status_code == 200, 30, what="ingest ready")
        yield test_client


def test_every_format_has_fixtures() -> None:
    kinds = {p.parent.name for p in DOCUMENTS}
    assert {"ninjs", "nitf", "newsml_g2", "feed", "html"} <= kinds


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_document_is_answered_per_item_and_published(
    client: TestClient, kafka_bootstrap: str, document: Path
) -> None:
    response = client.post(
        "/v1/articles:raw",
        content=document.read_bytes(),
        headers={**KEY, "Content-Type": GENERIC[document.suffix]},
    )
    assert response.status_code in (202, 422), response.text
    assert response.headers["content-type"].startswith(("application/json", "application/problem+json"))
    if response.status_code == 422:
        assert response.json()["type"] == "/problems/unparseable-document"
        return
    body = response.json()
    assert body["accepted"] + body["withdrawn"] + body["skipped"] + body["rejected"] == len(body["items"])
    accepted = {item["id"] for item in body["items"] if item["status"] == "accepted"}
    withdrawn = {item["id"] for item in body["items"] if item["status"] == "withdrawn"}
    if accepted:
        read_topic(kafka_bootstrap, RAW.name, until=lambda rs: accepted <= {r.key.decode() for r in rs})
    if withdrawn:
        records = read_topic(
            kafka_bootstrap, CONTROL.name, until=lambda rs: withdrawn <= {r.key.decode() for r in rs}
        )
        notices = [ControlNotice.model_validate_json(r.value) for r in records if r.key.decode() in withdrawn]
        assert {n.action for n in notices} == {"withdraw"}


def test_at_least_one_withdrawal_and_one_multi_item_document_went_through(client: TestClient) -> None:
    statuses = []
    for document in DOCUMENTS:
        response = client.post(
            "/v1/articles:raw",
            content=document.read_bytes(),
            headers={**KEY, "Content-Type": GENERIC[document.suffix]},
        )
        if response.status_code == 202:
            statuses.append([item["status"] for item in response.json()["items"]])
    assert any("withdrawn" in s for s in statuses)
    assert any(s.count("accepted") >= 2 for s in statuses)


def test_a_message_of_pictures_alone_is_a_422_that_says_why(client: TestClient) -> None:
    g2 = "http://iptc.org/std/nar/2006-10-01/"
    picture = (
        '<newsItem guid="urn:test:pic" version="1"><itemMeta><itemClass qcode="ninat:picture"/>'
        "<versionCreated>2025-05-01T10:00:00Z</versionCreated></itemMeta></newsItem>"
    )
    document = f'<newsMessage xmlns="{g2}"><itemSet>{picture}</itemSet></newsMessage>'.encode()
    response = client.post(
        "/v1/articles:raw", content=document, headers={**KEY, "Content-Type": "application/xml"}
    )
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert error["item"] == 0
    assert error["detail"].startswith("a picture newsItem is not a text item")


def test_an_xml_bomb_is_refused_without_expansion(client: TestClient) -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
        b"<nitf><body><body.head><hedline><hl1>&lol2;</hl1></hedline></body.head></body></nitf>"
    )
    response = client.post(
        "/v1/articles:raw", content=bomb, headers={**KEY, "Content-Type": "application/xml"}
    )
    assert response.status_code == 422
    assert "entit" in json.dumps(response.json()).lower()


def test_generic_type_that_cannot_be_sniffed_is_a_clear_422(client: TestClient) -> None:
    response = client.post(
        "/v1/articles:raw", content=b"just words", headers={**KEY, "Content-Type": "application/octet-stream"}
    )
    assert response.status_code == 422
    assert "Content-Type" in response.json()["detail"]
