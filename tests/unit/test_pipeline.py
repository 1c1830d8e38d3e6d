"""The analyse stage over a batch: one result per article, failures isolated, languages respected."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from schemas.enriched import AnalysedArticle
from services.enrich.entities import Mention
from services.enrich.near_duplicates import loads_fingerprint
from services.enrich.ner_model import NerModel
from services.enrich.pipeline import Analyser
from tests.support import raw_article

STORIES = json.loads((Path(__file__).parents[1] / "fixtures" / "enrich" / "stories.json").read_text())
NOW = datetime(2025, 4, 29, tzinfo=UTC)


class BrittleModel(NerModel):
    """The real model, except that it breaks on any text that mentions a glacier."""

    def __init__(self, real: NerModel) -> None:
        super().__init__(real.nlp, real.info, batch_size=real.batch_size)

    def mentions(self, texts: Sequence[str]) -> list[list[Mention]]:
        if any("Glacier" in text for text in texts):
            raise RuntimeError("model failure")
        return super().mentions(texts)


def test_a_batch_yields_analysed_articles_with_entities_facts_and_fingerprints() -> None:
    analyser = Analyser.load()
    german = {
        **STORIES["glacier"],
        "headline": "Der Rhonegletscher verliert so viel Eis wie nie zuvor",
        "language": None,
        "body": [
            "ZÜRICH (AP) — Der Rhonegletscher hat in diesem Sommer mehr Eis verloren als in jedem Jahr "
            "seit Beginn der Messungen, teilten Forscher der ETH Zürich am Dienstag mit. Sie machten eine "
            "lange Hitzewelle in den Alpen dafür verantwortlich, die wochenlang andauerte."
        ],
    }
    results = analyser.analyse_batch([raw_article(STORIES["harbour"]), raw_article(german)], NOW)
    english, other = results
    assert isinstance(english, AnalysedArticle)
    assert isinstance(other, AnalysedArticle)
    assert ("Rotterdam", "place") in {(e.name, e.type) for e in english.enriched.entities}
    assert english.enriched.facts.language == "en"
    assert english.enriched.facts.entities_skipped is None
    assert "strike" in english.enriched.facts.keywords
    assert loads_fingerprint(english.fingerprint)
    assert other.enriched.facts.language == "de"
    assert other.enriched.facts.entities_skipped == "language de: no model for it"
    assert {e.type for e in other.enriched.entities} <= {"place", "organization"}, "dateline facts only"


def test_a_text_that_breaks_the_model_fails_alone() -> None:
    analyser = Analyser(BrittleModel(NerModel.load()))
    batch = [raw_article(STORIES[key]) for key in ("harbour", "glacier", "harbour_followup")]
    first, broken, last = analyser.analyse_batch(batch, NOW)
    assert isinstance(first, AnalysedArticle)
    assert isinstance(broken, RuntimeError)
    assert isinstance(last, AnalysedArticle)
