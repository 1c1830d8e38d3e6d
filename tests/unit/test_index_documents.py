from datetime import UTC, datetime, timedelta

import pytest

from schemas.article import ArticleSubmission
from schemas.enriched import EnrichedArticle, Entity, SidebarLink
from services.enrich.pipeline import enrich
from services.index.bulk_writer import backoff_delay, classify
from services.index.documents import ENTITY_FACETS, document_version, to_document, withdrawal_fields
from services.index.mapping import IndexNames, load_index_body
from services.ingest.intake import to_raw_article
from tests.support import submission

NOW = datetime(2025, 4, 27, 13, 0, tzinfo=UTC)


def _enriched(**overrides: object) -> EnrichedArticle:
    raw = to_raw_article(
        ArticleSubmission.model_validate(submission(**overrides)),
        received_at=NOW,
        key_id=None,
        content_type="application/json",
        original=b"{}",
    )
    return enrich(raw, now=NOW)


def _undeclared(document: dict, properties: dict, prefix: str = "") -> list[str]:
    missing = []
    for key, value in document.items():
        if key not in properties:
            missing.append(prefix + key)
            continue
        sub = properties[key].get("properties")
        items = value if isinstance(value, list) else [value]
        if sub:
            for item in items:
                if isinstance(item, dict):
                    missing += _undeclared(item, sub, prefix + key + ".")
    return missing


def _with_entities_and_links(enriched: EnrichedArticle) -> EnrichedArticle:
    entities = [
        Entity(name="Anna Clarke", type="person", mentions=2, first_offset=0, salience=0.6),
        Entity(name="Zoological Society", type="organization", mentions=1, first_offset=40, salience=0.3),
        Entity(name="Thames Estuary", type="place", mentions=2, first_offset=10, salience=0.7),
        Entity(name="London", type="place", mentions=1, first_offset=0, salience=0.2),
        Entity(name="anglers", type="group", mentions=1, first_offset=90, salience=0.1),
        Entity(name="Seal Week", type="event", mentions=1, first_offset=120, salience=0.1),
    ]
    links = [
        SidebarLink(
            article_id="feed-" + "0" * 31 + "3",
            headline="Seal pups",
            kind="related",
            score=0.7,
            reason=["seals"],
        ),
        SidebarLink(article_id="feed-" + "0" * 31 + "4", headline="Most read", kind="ranking", score=1.0),
    ]
    return enriched.model_copy(update={"entities": entities, "links": links, "cluster_id": "c-1"})


def test_every_document_field_is_declared_in_the_strict_mapping() -> None:
    mapping = load_index_body(1)["mappings"]
    assert mapping["dynamic"] == "strict"
    document = to_document(
        _with_entities_and_links(_enriched(bylines=[{"name": "Jo Writer"}], tags=["wildlife"]))
    )
    assert _undeclared(document, mapping["properties"]) == []
    assert _undeclared(withdrawal_fields("legal", NOW), mapping["properties"]) == []


def test_entities_become_one_facet_array_per_type_and_a_nested_list() -> None:
    document = to_document(_with_entities_and_links(_enriched()))
    assert set(ENTITY_FACETS.values()) == {"people", "organizations", "places", "groups", "events"}
    assert document["people"] == ["Anna Clarke"]
    assert document["organizations"] == ["Zoological Society"]
    assert document["places"] == ["Thames Estuary", "London"]
    assert (document["groups"], document["events"]) == (["anglers"], ["Seal Week"])
    assert document["entities"][0] == {
        "name": "Anna Clarke",
        "type": "person",
        "mentions": 2,
        "salience": 0.6,
    }
    assert len(document["entities"]) == 6


def test_a_name_repeated_under_one_type_is_one_facet_value() -> None:
    twice = [Entity(name="Anna Clarke", type="person", mentions=1, first_offset=0, salience=0.5)] * 2
    document = to_document(_enriched().model_copy(update={"entities": twice}))
    assert document["people"] == ["Anna Clarke"]
    assert document["places"] == []
    assert len(document["entities"]) == 2


def test_sidebar_links_are_kept_with_kind_score_and_reason() -> None:
    document = to_document(_with_entities_and_links(_enriched()))
    assert document["links"] == [
        {
            "article_id": "feed-" + "0" * 31 + "3",
            "headline": "Seal pups",
            "kind": "related",
            "score": 0.7,
            "reason": ["seals"],
        },
        {
            "article_id": "feed-" + "0" * 31 + "4",
            "headline": "Most read",
            "kind": "ranking",
            "score": 1.0,
            "reason": [],
        },
    ]


def test_an_article_in_no_cluster_is_a_cluster_of_one() -> None:
    alone = _enriched()
    assert alone.cluster_id is None
    assert to_document(alone)["cluster_id"] == alone.article.id  # collapse would group all missing values
    assert to_document(_with_entities_and_links(alone))["cluster_id"] == "c-1"


def test_a_new_document_is_published_and_a_withdrawal_changes_filter_and_context_together() -> None:
    document = to_document(_enriched())
    assert (document["status"], document["withdrawn"], document["withdrawal_reason"]) == (
        "published",
        False,
        None,
    )
    assert withdrawal_fields("legal", NOW) == {
        "withdrawn": True,
        "withdrawal_reason": "legal",
        "withdrawn_at": NOW.isoformat(),
        "status": "withdrawn",
    }
    suggest = load_index_body(1)["mappings"]["properties"]["headline"]["fields"]["suggest"]
    assert suggest["contexts"] == [{"name": "status", "type": "category", "path": "status"}]


def test_the_read_alias_hides_withdrawn_articles_and_the_write_alias_takes_writes() -> None:
    names = IndexNames("articles", 1)
    aliases = names.aliases()
    assert set(aliases) == {"articles", "articles-write"}
    assert aliases["articles"] == {"filter": {"bool": {"must_not": [{"term": {"withdrawn": True}}]}}}
    assert aliases["articles-write"] == {"is_write_index": True}


# Analysis components checked present in Elasticsearch 9.5 core (the integration-test distribution has no
# analysis-common): the mapping must create the same index there and in the full image.
CORE_ANALYZERS = {"standard", "simple", "whitespace", "keyword", "stop"}
CORE_TOKENIZERS = {"standard"}
CORE_FILTERS = {"lowercase", "stop"}


def _analyzers_used(properties: dict) -> list[str]:
    used = []
    for spec in properties.values():
        used += [spec[key] for key in ("analyzer", "search_analyzer") if key in spec]
        used += _analyzers_used(spec.get("properties", {}))
        used += _analyzers_used(spec.get("fields", {}))
    return used


def test_the_mapping_uses_only_core_analysis() -> None:
    body = load_index_body(1)
    analysis = body["settings"]["analysis"]
    custom = analysis["analyzer"]
    filters = analysis["filter"]
    assert set(_analyzers_used(body["mappings"]["properties"])) <= CORE_ANALYZERS | set(custom)
    for analyzer in custom.values():
        assert analyzer["tokenizer"] in CORE_TOKENIZERS
        for name in analyzer["filter"]:
            assert (filters[name]["type"] if name in filters else name) in CORE_FILTERS
    text_fields = ["headline", "subheadline", "summary", "body"]
    assert {body["mappings"]["properties"][f]["analyzer"] for f in text_fields} == {"news_text"}


def test_document_carries_the_searchable_text_and_facets() -> None:
    document = to_document(_enriched())
    assert document["headline"].startswith("Quokka census")
    assert "three weeks" in document["body"]
    assert document["source"]["name"] == "Test Wire"
    assert document["reactions"] == [{"name": "veryGood", "count": 3}]
    assert document["reaction_total"] == 3
    assert document["word_count"] == 20  # 11 + 9 words, the tag counted as one


def test_versions_order_revisions_first_then_update_time() -> None:
    r1_late = _enriched(revision=1, updated_at="2025-04-28T00:00:00Z")
    r2_early = _enriched(revision=2)
    r2_later = _enriched(revision=2, updated_at="2025-04-27T13:00:00Z")
    assert document_version(r1_late) < document_version(r2_early) < document_version(r2_later)


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, "ok"),
        (201, "ok"),
        (409, "superseded"),
        (429, "retry"),
        (503, "retry"),
        (400, "reject"),
        (404, "reject"),
    ],
)
def test_bulk_items_are_classified_one_by_one(status: int, outcome: str) -> None:
    assert classify({"status": status}) == outcome


def test_backoff_grows_exponentially_with_full_jitter_and_a_cap() -> None:
    assert backoff_delay(0, 0.2, 30, rand=lambda: 1.0) == pytest.approx(0.2)
    assert backoff_delay(3, 0.2, 30, rand=lambda: 1.0) == pytest.approx(1.6)
    assert backoff_delay(20, 0.2, 30, rand=lambda: 1.0) == 30
    assert backoff_delay(3, 0.2, 30, rand=lambda: 0.5) == pytest.approx(0.8)


def test_enrichment_counts_words_and_takes_the_lede() -> None:
    enriched = _enriched(body=["Word one two-three it's.", "Second paragraph here."])
    assert enriched.facts.word_count == 7
    assert enriched.facts.summary == "Word one two-three it's."
    assert enriched.enriched_at == NOW
    assert enriched.article.published_at < NOW + timedelta(days=1)


def test_dateline_is_normalised_from_the_field_or_the_lede() -> None:
    from_field = _enriched(dateline="KOMSOMOLSK-ON-AMUR, Russia (AP)")
    assert from_field.facts.dateline is not None
    assert (from_field.facts.dateline.place, from_field.facts.dateline.agency) == ("Komsomolsk-on-Amur", "AP")
    from_lede = _enriched(dateline=None, body=["CUENCA: Llueve.", "Mas."])
    assert from_lede.facts.dateline is not None
    assert from_lede.facts.dateline.place == "Cuenca"
    document = to_document(from_field)
    assert document["dateline"] == {
        "raw": "KOMSOMOLSK-ON-AMUR, Russia (AP)",
        "place": "Komsomolsk-on-Amur",
        "agency": "AP",
    }
    assert _enriched(dateline=None, body=["No dateline here."]).facts.dateline is None


def test_withdrawal_versions_beat_their_revision_and_lose_to_a_correction() -> None:
    from services.index.documents import withdrawal_stub, withdrawal_version

    revision_1 = _enriched(revision=1, updated_at="2025-04-28T00:00:00Z")
    revision_2 = _enriched(revision=2)
    assert document_version(revision_1) < withdrawal_version(1) < document_version(revision_2)
    assert withdrawal_version(None) == withdrawal_version(1)
    stub = withdrawal_stub("feed-x", None, "pubstatus canceled", NOW)
    assert (stub["id"], stub["revision"], stub["withdrawn"]) == ("feed-x", 1, True)


def test_a_missing_update_target_is_its_own_outcome() -> None:
    assert classify({"status": 404, "error": {"type": "document_missing_exception"}}) == "missing"
    assert classify({"status": 404, "error": {"type": "index_not_found_exception"}}) == "reject"
