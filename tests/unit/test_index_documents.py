from datetime import UTC, datetime, timedelta

import pytest

from schemas.article import ArticleSubmission
from schemas.enriched import EnrichedArticle
from services.enrich.pipeline import enrich
from services.index.bulk_writer import backoff_delay, classify
from services.index.documents import document_version, to_document
from services.index.mapping import load_index_body
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


def test_every_document_field_is_declared_in_the_strict_mapping() -> None:
    mapping = load_index_body(1)["mappings"]
    assert mapping["dynamic"] == "strict"
    document = to_document(_enriched(bylines=[{"name": "Jo Writer"}], tags=["wildlife"]))
    assert _undeclared(document, mapping["properties"]) == []


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
