"""Property: whatever a client sends, ingest answers with a 2xx or a 4xx problem, never a 5xx."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.ingest.api import create_app
from tests.support import KEY, ingest_settings, submission, wait_until

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = [
    *submission().keys(),
    "updated_at",
    "bylines",
    "canonical_url",
    "body_html",
    "revision",
    "feed_item_id",
]


@st.composite
def mutated_submissions(draw: st.DrawFn) -> dict[str, Any]:
    """A valid article with a few fields replaced by arbitrary JSON, or removed."""
    article = submission()
    for field in draw(st.lists(st.sampled_from(FIELDS), min_size=1, max_size=3, unique=True)):
        if draw(st.booleans()):
            article.pop(field, None)
        else:
            article[field] = draw(json_values)
    return article


@pytest.fixture(scope="module")
def client(kafka_bootstrap: str) -> Iterator[TestClient]:
    app = create_app(ingest_settings(kafka_bootstrap, rate_limit_per_s=1e6, rate_limit_burst=1_000_000))
    with TestClient(app) as test_client:
        wait_until(lambda: test_client.get("/readyz").status_code == 200, 30, what="ingest ready")
        yield test_client


def _check(response: Any) -> None:
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == response.status_code


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(mutated_submissions(), json_values))
def test_any_json_body_gets_an_answer_below_500(client: TestClient, body: Any) -> None:
    _check(
        client.post(
            "/v1/articles",
            content=json.dumps(body).encode(),
            headers={**KEY, "Content-Type": "application/json"},
        )
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    raw=st.binary(max_size=300),
    content_type=st.sampled_from(
        ["application/json", "application/x-ndjson", "text/plain", "", "application/json; charset=latin-1"]
    ),
    path=st.sampled_from(["/v1/articles", "/v1/articles:bulk"]),
)
def test_any_bytes_get_an_answer_below_500(
    client: TestClient, raw: bytes, content_type: str, path: str
) -> None:
    _check(client.post(path, content=raw, headers={**KEY, "Content-Type": content_type}))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(st.one_of(mutated_submissions(), json_values), min_size=1, max_size=5))
def test_any_bulk_gets_an_answer_per_line(client: TestClient, lines: list[Any]) -> None:
    body = "\n".join(json.dumps(line) for line in lines).encode()
    response = client.post(
        "/v1/articles:bulk", content=body, headers={**KEY, "Content-Type": "application/x-ndjson"}
    )
    _check(response)
    assert response.json()["accepted"] + response.json()["rejected"] == len(lines)
