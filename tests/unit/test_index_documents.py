from datetime import UTC, datetime, timedelta, timezone

import pytest

from schemas.article import ArticleSubmission
from schemas.enriched import EnrichedArticle, Entity, LinkKind, LinkUpdate, SidebarLink
from services.enrich.pipeline import enrich
from services.index.bulk_writer import backoff_delay, classify
from services.index.documents import (
    ENTITY_FACETS,
    document_version,
    link_fields,
    link_placeholder,
    to_document,
    withdrawal_fields,
    withdrawal_stub,
    withdrawal_version,
)
from services.index.mapping import CURRENT_VERSION, IndexNames, load_index_body
from services.index.requests import link_request
from services.index.writes import Action, IndexRequest, LinkRequest, Stored, coalesce, newer, plan, waves
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


def _link(kind: LinkKind, article_id: str = "feed-y") -> SidebarLink:
    return SidebarLink(article_id=article_id, headline="Y", kind=kind, score=0.5, reason=["seals"])


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
    mapping = load_index_body(CURRENT_VERSION)["mappings"]
    assert mapping["dynamic"] == "strict"
    document = to_document(
        _with_entities_and_links(_enriched(bylines=[{"name": "Jo Writer"}], tags=["wildlife"]))
    )
    assert _undeclared(document, mapping["properties"]) == []
    assert _undeclared(withdrawal_fields("legal", NOW), mapping["properties"]) == []
    placeholder = link_placeholder("feed-x", "ranking", [_link("ranking")], NOW)
    assert _undeclared(placeholder, mapping["properties"]) == []


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


def test_sidebar_links_are_kept_per_kind_with_score_reason_and_when_they_were_computed() -> None:
    enriched = _with_entities_and_links(_enriched())
    document = to_document(enriched)
    assert document["links"] == {
        "related": [
            {
                "article_id": "feed-" + "0" * 31 + "3",
                "headline": "Seal pups",
                "score": 0.7,
                "reason": ["seals"],
            }
        ],
        "ranking": [
            {"article_id": "feed-" + "0" * 31 + "4", "headline": "Most read", "score": 1.0, "reason": []}
        ],
        "recommendation": [],
    }
    stamp = "2025-04-27T13:00:00.000000+00:00"
    assert document["links_issued_at"] == {"related": stamp, "ranking": stamp, "recommendation": stamp}


def test_a_link_update_is_a_partial_document_of_its_kind_only() -> None:
    later = NOW + timedelta(minutes=5, microseconds=7)
    assert link_fields("related", [_link("related")], later) == {
        "links": {"related": [{"article_id": "feed-y", "headline": "Y", "score": 0.5, "reason": ["seals"]}]},
        "links_issued_at": {"related": "2025-04-27T13:05:00.000007+00:00"},
    }
    placeholder = link_placeholder("feed-x", "related", [], later)
    assert (placeholder["id"], placeholder["status"], placeholder["links"]) == (
        "feed-x",
        "placeholder",
        {"related": []},
    )


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
        "withdrawn_at": "2025-04-27T13:00:00.000000+00:00",
        "status": "withdrawn",
    }
    suggest = load_index_body(CURRENT_VERSION)["mappings"]["properties"]["headline"]["fields"]["suggest"]
    assert suggest["contexts"] == [{"name": "status", "type": "category", "path": "status"}]


def test_the_read_alias_hides_withdrawn_articles_and_placeholders_and_the_write_alias_takes_writes() -> None:
    names = IndexNames("articles", CURRENT_VERSION)
    aliases = names.aliases()
    assert set(aliases) == {"articles", "articles-write"}
    assert aliases["articles"] == {
        "filter": {"bool": {"must_not": [{"term": {"withdrawn": True}}, {"term": {"status": "placeholder"}}]}}
    }
    assert aliases["articles-write"] == {"is_write_index": True}


def test_an_index_holds_a_mapping_version_in_its_first_and_later_generations_only() -> None:
    names = IndexNames("articles", 2)
    assert names.holds_version("articles-v2")
    assert names.holds_version(names.generation("20251101120000"))
    assert not names.holds_version("articles-v1")
    assert not names.holds_version("articles-v1-20251101120000")
    assert not names.holds_version("articles-v20")


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
    body = load_index_body(CURRENT_VERSION)
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


def test_a_copy_updated_a_second_later_outranks_a_thousand_partial_updates() -> None:
    """Each partial update (withdrawal, link update) adds one to the stored version."""
    first = _enriched(revision=1, updated_at="2025-04-27T13:00:00Z")
    second_later = _enriched(revision=1, updated_at="2025-04-27T13:00:01Z")
    assert document_version(second_later) - document_version(first) == 1000
    assert document_version(_enriched(revision=900_000)) < 2**63


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
    revision_1 = _enriched(revision=1, updated_at="2025-04-28T00:00:00Z")
    revision_2 = _enriched(revision=2)
    assert document_version(revision_1) < withdrawal_version(1) < document_version(revision_2)
    assert withdrawal_version(None) == withdrawal_version(1)
    stub = withdrawal_stub("feed-x", None, "pubstatus canceled", NOW)
    assert (stub["id"], stub["revision"], stub["withdrawn"]) == ("feed-x", 1, True)


def test_a_missing_update_target_is_its_own_outcome() -> None:
    assert classify({"status": 404, "error": {"type": "document_missing_exception"}}) == "missing"
    assert classify({"status": 404, "error": {"type": "index_not_found_exception"}}) == "reject"


# The writer's plans (services/index/writes.py): what each request becomes against what is stored.

T0, T1, T2 = (f"2025-04-27T13:0{m}:00.000000+00:00" for m in range(3))


def _stored(status: str = "published", **issued: str) -> Stored:
    links = {kind: [{"article_id": f"feed-old-{kind}"}] for kind in issued}
    return Stored(seq_no=7, primary_term=2, status=status, links=links, links_issued_at=issued)


def _link_request(kind: LinkKind, issued_at: datetime, article_id: str = "feed-x") -> LinkRequest:
    update = LinkUpdate(article_id=article_id, kind=kind, links=[_link(kind)], issued_at=issued_at)
    return link_request(update)


def _revision() -> IndexRequest:
    enriched = _with_entities_and_links(_enriched()).model_copy(
        update={"enriched_at": datetime.fromisoformat(T1)}
    )
    return IndexRequest(enriched.article.id, document_version(enriched), to_document(enriched))


def test_a_revision_keeps_the_stored_links_that_are_newer_than_its_own() -> None:
    revision = _revision()
    assert plan(revision, None) == Action(
        "index", {"version": revision.version, "version_type": "external_gte"}, revision.document
    )
    action = plan(revision, _stored(related=T2, ranking=T0))
    assert action is not None
    assert action.body["links"]["related"] == [{"article_id": "feed-old-related"}]  # T2 is newer than T1
    assert action.body["links"]["ranking"] == revision.document["links"]["ranking"]  # T0 is older
    assert action.body["links_issued_at"] == {"related": T2, "ranking": T1, "recommendation": T1}
    assert action.body["headline"] == revision.document["headline"]
    assert revision.document["links_issued_at"]["related"] == T1  # the request itself is untouched


def test_a_link_update_is_guarded_by_what_was_read_and_dropped_when_not_newer() -> None:
    request = _link_request("related", datetime.fromisoformat(T1))
    update = plan(request, _stored(related=T0))
    assert update == Action(
        "update", {"if_seq_no": 7, "if_primary_term": 2}, {"doc": request.fields}, "replan"
    )
    assert plan(request, _stored(related=T1)) is None  # a replay
    assert plan(request, _stored(related=T2)) is None  # older than the stored list
    assert plan(request, _stored(ranking=T2)) is not None  # another kind's time does not matter


def test_a_link_update_before_its_article_creates_a_placeholder_that_never_replaces_a_document() -> None:
    request = _link_request("related", datetime.fromisoformat(T1))
    action = plan(request, None)
    assert action is not None
    assert (action.op, action.on_conflict, action.body["status"]) == ("create", "replan", "placeholder")


def test_a_withdrawal_turns_a_placeholder_into_the_stub_and_keeps_its_links() -> None:
    fields = withdrawal_fields("legal", NOW)
    stub = withdrawal_stub("feed-x", 1, "legal", NOW)
    request = IndexRequest("feed-x", withdrawal_version(1), fields, fallback=stub)
    external = {"version": withdrawal_version(1), "version_type": "external_gte"}
    assert plan(request, None) == Action("index", external, stub)
    on_placeholder = plan(request, _stored("placeholder", related=T1))
    assert on_placeholder is not None
    assert on_placeholder.params == external
    assert on_placeholder.body["withdrawn"] is True
    assert on_placeholder.body["links_issued_at"] == {"related": T1}
    assert plan(request, _stored(related=T1)) == Action("update", {}, {"doc": fields}, "replan")


def test_only_the_newest_link_update_of_a_kind_is_written_and_a_document_once_per_wave() -> None:
    old, new = (_link_request("related", datetime.fromisoformat(t)) for t in (T0, T2))
    ranking = _link_request("ranking", datetime.fromisoformat(T1))
    other = _link_request("related", datetime.fromisoformat(T0), article_id="feed-z")
    kept, dropped = coalesce([new, ranking, old, other])
    assert (kept, dropped) == ([new, ranking, other], [old])
    revision = IndexRequest("feed-x", 1, {})
    assert waves([revision, new, other, ranking]) == [[revision, other], [new], [ranking]]


def test_a_link_update_listing_links_of_another_kind_is_refused() -> None:
    update = LinkUpdate(article_id="feed-x", kind="related", links=[_link("ranking")], issued_at=NOW)
    with pytest.raises(ValueError, match="another kind"):
        link_request(update)


def test_a_stored_document_is_read_from_its_mget_answer() -> None:
    assert Stored.from_mget({"_id": "feed-x", "found": False}) is None
    found = {
        "_id": "feed-x",
        "found": True,
        "_seq_no": 3,
        "_primary_term": 1,
        "_source": {"status": "published"},
    }
    assert Stored.from_mget(found) == Stored(seq_no=3, primary_term=1, status="published")
    assert newer(T1, T0)
    assert not newer(T0, T1)
    assert newer(T0, None)


def test_versions_fit_a_long_for_every_revision_and_time_the_contract_allows() -> None:
    from schemas.limits import MAX_REVISION

    late = datetime(9999, 12, 31, 23, 59, tzinfo=UTC)
    early = datetime(1, 1, 1, tzinfo=UTC)
    for revision in (1, 922_338, 123_456_789, MAX_REVISION):
        for moment in (early, late):
            version = document_version(_enriched_at(revision, moment))
            assert 0 <= version < 2**63
            assert document_version(_enriched_at(revision, moment)) < withdrawal_version(revision) < 2**63


def test_revision_ranks_keep_the_order_and_stay_exact_below_half_a_million() -> None:
    from schemas.limits import MAX_REVISION
    from services.index.documents import EXACT_REVISIONS, revision_rank

    assert [revision_rank(r) for r in (1, 2, 41, EXACT_REVISIONS - 1)] == [1, 2, 41, EXACT_REVISIONS - 1]
    revisions = [*range(EXACT_REVISIONS - 3, EXACT_REVISIONS + 40), 10**8, 10**8 + 5_000, 10**9, MAX_REVISION]
    ranks = [revision_rank(r) for r in revisions]
    assert ranks == sorted(ranks)
    assert revision_rank(10**8 + 5_000) > revision_rank(10**8)  # nine digits a few thousand apart
    assert revision_rank(10**9) > revision_rank(10**8 + 5_000)
    assert (revision_rank(MAX_REVISION) + 1) * 10**13 - 1 < 2**63


def test_a_later_revision_outranks_any_time_of_an_earlier_one_and_time_orders_within_one() -> None:
    jan, dec = datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 12, 1, tzinfo=UTC)
    assert document_version(_enriched_at(3, jan)) > document_version(_enriched_at(2, dec))
    assert document_version(_enriched_at(2, dec)) > document_version(_enriched_at(2, jan))
    # Nine-digit revisions this close share a rank: time orders them.
    close = [document_version(_enriched_at(r, m)) for r, m in ((123_456_790, jan), (123_456_789, dec))]
    assert close[0] < close[1]


def test_document_times_are_utc_whatever_offset_came() -> None:
    enriched = _enriched_at(1, datetime(1900, 1, 1, tzinfo=UTC))
    article = enriched.article.model_copy(
        update={"published_at": datetime(2025, 4, 27, 23, 0, tzinfo=timezone(timedelta(hours=17)))}
    )
    document = to_document(enriched.model_copy(update={"article": article}))
    assert document["published_at"] == "2025-04-27T06:00:00.000000+00:00"


def _enriched_at(revision: int, moment: datetime) -> EnrichedArticle:
    enriched = enrich(
        to_raw_article(
            ArticleSubmission.model_validate(submission(revision=revision)),
            received_at=NOW,
            key_id=None,
            content_type="application/json",
            original=b"{}",
        ),
        now=NOW,
    )
    article = enriched.article.model_copy(update={"published_at": moment, "updated_at": None})
    return enriched.model_copy(update={"article": article})
