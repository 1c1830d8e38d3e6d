"""The search contract (docs/search.md) against the real Elasticsearch.

The queries are read out of the document, so the page UIs copy from and the queries
checked here are the same text. Every documented query must have a check below, and
every check a documented query: neither side can drift or grow alone.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from elasticsearch import BadRequestError, Elasticsearch

from infra.settings import REPO_ROOT, InfraSettings
from schemas.article import IngestMeta, RawArticle, Source
from schemas.enriched import EnrichedArticle, Entity, EntityType, SidebarLink
from services.enrich.facts import article_facts
from services.index.bulk_writer import BulkWriter, IndexRequest
from services.index.documents import document_version, to_document, withdrawal_fields
from services.index.mapping import CURRENT_VERSION, IndexNames

SEARCH_DOC = REPO_ROOT / "docs" / "search.md"
NOW = datetime(2025, 10, 21, tzinfo=UTC)


def _id(n: int) -> str:
    return f"feed-{n:032x}"


SEALS, SEALS_COPY, PUPS, BUDGET, STRIKE, CULL = (_id(n) for n in range(1, 7))
WITHDRAWN = CULL


def documented_queries(markdown: str) -> dict[str, dict[str, Any]]:
    """The `<!-- query: name -->` + ```json pairs of the page, by name."""
    pairs = re.findall(r"<!-- query: ([a-z_]+) -->\s*```json\n(.*?)\n```", markdown, flags=re.DOTALL)
    assert len(pairs) == markdown.count("```json"), "every json block in the page must be a named query"
    names = [name for name, _ in pairs]
    assert len(names) == len(set(names)), f"query names repeat: {names}"
    return {name: json.loads(body) for name, body in pairs}


def _entity(name: str, kind: EntityType, mentions: int = 1, salience: float = 0.5) -> Entity:
    return Entity(name=name, type=kind, mentions=mentions, first_offset=0, salience=salience)


def _link(article_id: str, headline: str, score: float, reason: list[str]) -> SidebarLink:
    return SidebarLink(article_id=article_id, headline=headline, kind="related", score=score, reason=reason)


def _article(
    article_id: str,
    headline: str,
    source: str,
    published_at: str,
    dateline: str,
    body: list[str],
    entities: list[Entity],
    *,
    links: list[SidebarLink] | None = None,
    cluster_id: str | None = None,
    duplicate_of: str | None = None,
) -> EnrichedArticle:
    raw = RawArticle(
        id=article_id,
        headline=headline,
        source=Source(name=source, feed="tests"),
        published_at=datetime.fromisoformat(published_at),
        dateline=dateline,
        language="en",
        body=body,
        ingest=IngestMeta(received_at=NOW, content_type="application/json"),
    )
    return EnrichedArticle(
        article=raw,
        facts=article_facts(raw, 230),
        entities=entities,
        cluster_id=cluster_id,
        duplicate_of=duplicate_of,
        links=links or [],
        enriched_at=NOW,
    )


def fixture_articles() -> list[EnrichedArticle]:
    """Six articles: a story and its near-copy, a related story, two unrelated, one withdrawn."""
    clarke = _entity("Anna Clarke", "person", 2, 0.6)
    zsl = _entity("Zoological Society of London", "organization", 1, 0.4)
    thames = _entity("Thames Estuary", "place", 2, 0.7)
    london = _entity("London", "place", 1, 0.2)
    return [
        _article(
            SEALS,
            "Harbour seals return to the Thames estuary",
            "Example Wire",
            "2025-10-14T08:30:00+01:00",
            "LONDON (EW)",
            [
                "LONDON (EW) — Harbour seals have returned to the Thames estuary in numbers not seen for a "
                "decade, according to the autumn survey by the Zoological Society of London.",
                "Anna Clarke, who led the survey, said the seal colony had grown as the river became "
                "cleaner and fish stocks recovered.",
            ],
            [clarke, zsl, thames, london],
            links=[
                _link(
                    PUPS, "Record number of grey seal pups born on Norfolk coast", 0.72, ["seals", "survey"]
                ),
                _link(CULL, "Harbour seals culled in the Thames estuary, officials say", 0.5, ["seals"]),
            ],
        ),
        _article(
            SEALS_COPY,
            "Harbour seals are back in the Thames estuary",
            "Daily Courier",
            "2025-10-14T11:00:00+01:00",
            "LONDON (EW)",
            [
                "LONDON (EW) — Harbour seals are back in the Thames estuary in numbers not seen for a "
                "decade, the autumn survey by the Zoological Society of London found.",
                "Anna Clarke, who led the survey, said cleaner river water and recovering fish stocks "
                "had helped the seal colony grow.",
            ],
            [clarke, zsl, thames, london],
            cluster_id=SEALS,
            duplicate_of=SEALS,
        ),
        _article(
            PUPS,
            "Record number of grey seal pups born on Norfolk coast",
            "Example Wire",
            "2025-10-20T09:00:00+00:00",
            "NORWICH, England (EW)",
            [
                "NORWICH, England (EW) — Rangers counted a record number of grey seal pups at Blakeney "
                "Point this autumn, and harbour seals were seen in the colony too.",
                "The National Trust said its survey of the seals would continue through the winter.",
            ],
            [
                _entity("National Trust", "organization"),
                _entity("Norfolk", "place"),
                _entity("Blakeney Point", "place"),
            ],
            links=[_link(SEALS, "Harbour seals return to the Thames estuary", 0.72, ["seals", "survey"])],
        ),
        _article(
            BUDGET,
            "Chancellor sets out a cautious autumn budget",
            "Example Wire",
            "2025-09-30T12:00:00+00:00",
            "LONDON (EW)",
            [
                "LONDON (EW) — The chancellor, Maria Lopez, set out a cautious autumn budget on Tuesday, "
                "raising fuel duty and freezing income tax thresholds.",
                "Economists at the Institute for Fiscal Studies said borrowing would still rise next year.",
            ],
            [
                _entity("Maria Lopez", "person", 2, 0.8),
                _entity("Institute for Fiscal Studies", "organization"),
                london,
            ],
        ),
        _article(
            STRIKE,
            "Ferry strike halts crossings at Dover harbour",
            "Daily Courier",
            "2025-10-02T07:15:00+00:00",
            "DOVER, England (DC)",
            [
                "DOVER, England (DC) — A strike by ferry workers halted crossings at Dover harbour on "
                "Thursday, leaving lorries queuing on the motorway.",
                "The Ferry Workers Union said the walkout would last 48 hours.",
            ],
            [
                _entity("Ferry Workers Union", "organization"),
                _entity("lorry drivers", "group"),
                _entity("Dover ferry strike", "event"),
                _entity("Dover", "place"),
            ],
        ),
        _article(
            CULL,
            "Harbour seals culled in the Thames estuary, officials say",
            "Daily Courier",
            "2025-10-14T15:00:00+00:00",
            "LONDON (DC)",
            [
                "LONDON (DC) — Harbour seals were culled in the Thames estuary, officials said, a claim the "
                "Zoological Society of London denied.",
                "Anna Clarke said no seals had been harmed during the autumn survey.",
            ],
            [clarke, zsl, thames, london],
            links=[_link(SEALS, "Harbour seals return to the Thames estuary", 0.6, ["seals"])],
        ),
    ]


@pytest.fixture(scope="module")
def indexed(infra: InfraSettings) -> Iterator[tuple[Elasticsearch, IndexNames]]:
    """The fixture articles written by the indexer's own writer, then one withdrawn."""
    es = Elasticsearch(infra.es_url)
    names = IndexNames(f"search-{uuid.uuid4().hex[:8]}", CURRENT_VERSION)
    writer = BulkWriter(es, names, retry_initial_s=0.05, retry_max_s=0.5)
    writer.ensure_index()
    report = writer.write(
        [IndexRequest(a.article.id, document_version(a), to_document(a)) for a in fixture_articles()]
    )
    assert (report.written, report.rejected) == (6, [])
    # The withdrawal as the indexer issues it later: a partial update through the write alias.
    es.update(index=names.write_alias, id=WITHDRAWN, doc=withdrawal_fields("legal", NOW))
    es.indices.refresh(index=names.concrete)
    try:
        yield es, names
    finally:
        es.indices.delete(index=names.concrete)
        es.close()


def _ids(response: dict[str, Any]) -> list[str]:
    return [hit["_id"] for hit in response["hits"]["hits"]]


def _buckets(response: dict[str, Any], name: str) -> dict[str, int]:
    return {b["key"]: b["doc_count"] for b in response["aggregations"][name]["buckets"]}


def check_full_text(response: dict[str, Any]) -> None:
    assert set(_ids(response)) == {SEALS, SEALS_COPY}  # the culled story matches too, but is withdrawn
    for hit in response["hits"]["hits"]:
        assert "<mark>harbour</mark>" in hit["highlight"]["headline"][0].lower()
        assert any("<mark>thames</mark>" in f.lower() for f in hit["highlight"]["body"])
        assert set(hit["_source"]) <= {"id", "headline", "summary", "source", "published_at"}


def check_facets(response: dict[str, Any]) -> None:
    assert response["hits"]["total"]["value"] == 3  # two seal stories and the pups, not the cull
    assert _buckets(response, "people") == {"Anna Clarke": 2}
    assert _buckets(response, "organisations") == {"Zoological Society of London": 2, "National Trust": 1}
    assert _buckets(response, "places") == {
        "Thames Estuary": 2,
        "London": 2,
        "Norfolk": 1,
        "Blakeney Point": 1,
    }
    assert _buckets(response, "sources") == {"Example Wire": 2, "Daily Courier": 1}


def check_date_range(response: dict[str, Any]) -> None:
    # Newest first; the budget (30 Sep), the pups (20 Oct) and the withdrawn cull (14 Oct) are out.
    assert _ids(response) == [SEALS_COPY, SEALS, STRIKE]


def check_related_links(response: dict[str, Any]) -> None:
    assert _ids(response) == [PUPS]


def check_linked_from(response: dict[str, Any]) -> None:
    assert _ids(response) == [PUPS]  # the withdrawn cull links to it as well
    (inner,) = response["hits"]["hits"][0]["inner_hits"]["links.related"]["hits"]["hits"]
    assert inner["_source"]["reason"] == ["seals", "survey"]


def check_more_like_this(response: dict[str, Any]) -> None:
    found = _ids(response)
    assert found[0] == PUPS
    assert SEALS not in found  # the article itself
    assert SEALS_COPY not in found  # its near-copy: same cluster
    assert BUDGET not in found
    assert CULL not in found


def check_latest_collapsed(response: dict[str, Any]) -> None:
    hits = response["hits"]["hits"]
    # One hit per story, newest first: the near-copy stands for its cluster; singletons stay apart.
    assert _ids(response) == [PUPS, SEALS_COPY, STRIKE, BUDGET]
    assert len({hit["_source"]["cluster_id"] for hit in hits}) == len(hits)
    copies = {hit["_id"]: [c["_id"] for c in hit["inner_hits"]["copies"]["hits"]["hits"]] for hit in hits}
    assert copies[SEALS_COPY] == [SEALS, SEALS_COPY]
    assert copies[PUPS] == [PUPS]


def check_typeahead(response: dict[str, Any]) -> None:
    (suggestion,) = response["suggest"]["headlines"]
    options = {o["text"]: o["_source"]["id"] for o in suggestion["options"]}
    assert options == {
        "Harbour seals return to the Thames estuary": SEALS,
        "Harbour seals are back in the Thames estuary": SEALS_COPY,
    }


CHECKS: dict[str, Callable[[dict[str, Any]], None]] = {
    "full_text": check_full_text,
    "facets": check_facets,
    "date_range": check_date_range,
    "related_links": check_related_links,
    "linked_from": check_linked_from,
    "more_like_this": check_more_like_this,
    "latest_collapsed": check_latest_collapsed,
    "typeahead": check_typeahead,
}
QUERIES = documented_queries(SEARCH_DOC.read_text(encoding="utf-8"))


def test_every_documented_query_is_checked_and_every_check_documented() -> None:
    assert set(QUERIES) == set(CHECKS)


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_documented_query_through_the_read_alias(
    name: str, indexed: tuple[Elasticsearch, IndexNames]
) -> None:
    es, names = indexed
    response = es.search(index=names.read_alias, body=QUERIES[name]).body
    CHECKS[name](response)


def test_the_withdrawn_article_is_in_the_index_but_never_through_the_read_alias(
    indexed: tuple[Elasticsearch, IndexNames],
) -> None:
    es, names = indexed
    stored = es.get(index=names.concrete, id=WITHDRAWN)["_source"]
    assert (stored["withdrawn"], stored["withdrawal_reason"], stored["status"]) == (
        True,
        "legal",
        "withdrawn",
    )
    assert es.count(index=names.concrete)["count"] == 6
    assert es.count(index=names.read_alias)["count"] == 5
    assert _ids(es.search(index=names.read_alias, query={"ids": {"values": [WITHDRAWN]}})) == []
    culled = {"match": {"headline": "culled"}}
    assert _ids(es.search(index=names.concrete, query=culled)) == [WITHDRAWN]
    assert _ids(es.search(index=names.read_alias, query=culled)) == []


def test_typeahead_without_a_status_context_is_refused(indexed: tuple[Elasticsearch, IndexNames]) -> None:
    """The context is what keeps withdrawn headlines out of typeahead: it cannot be left out."""
    es, names = indexed
    body = json.loads(json.dumps(QUERIES["typeahead"]))
    del body["suggest"]["headlines"]["completion"]["contexts"]
    with pytest.raises(BadRequestError, match="Missing mandatory contexts"):
        es.search(index=names.read_alias, body=body)
    body["suggest"]["headlines"]["completion"]["contexts"] = {"status": ["withdrawn"]}
    (suggestion,) = es.search(index=names.read_alias, body=body)["suggest"]["headlines"]
    assert [o["_id"] for o in suggestion["options"]] == [WITHDRAWN]  # why the context must be `published`
