"""The per-article half of enrichment: plain functions over the models, plus the batch driver.

`analyse` turns one raw article into an `AnalysedArticle` (facts, entities, body
fingerprint) given the model's mentions; `Analyser` runs the language check and the NER
model over a batch and calls it per article, so one bad article fails alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from schemas.article import RawArticle
from schemas.enriched import AnalysedArticle, EnrichedArticle
from services.enrich.entities import AnalysedText, Mention, article_entities, article_text, default_gazetteer
from services.enrich.facts import article_facts
from services.enrich.language import LanguageDecision, article_language, detector
from services.enrich.near_duplicates import dumps_fingerprint, fingerprint
from services.enrich.ner_model import NerModel


def enrich(article: RawArticle, *, now: datetime, words_per_minute: int = 230) -> EnrichedArticle:
    """The facts that need no model or state: what the index tests and benchmarks build on."""
    return EnrichedArticle(article=article, facts=article_facts(article, words_per_minute), enriched_at=now)


def analyse(
    article: RawArticle,
    text: AnalysedText,
    mentions: Sequence[Mention],
    language: LanguageDecision,
    *,
    now: datetime,
    words_per_minute: int,
) -> AnalysedArticle:
    """`mentions` is empty when the model was not run (the language says why): the dateline
    and contributor lines still give their entities."""
    facts = article_facts(article, words_per_minute).model_copy(
        update={"language": language.language, "entities_skipped": language.entities_skipped}
    )
    entities = article_entities(article, text, mentions)
    enriched = EnrichedArticle(article=article, facts=facts, entities=entities, enriched_at=now)
    return AnalysedArticle(enriched=enriched, fingerprint=dumps_fingerprint(fingerprint(article)))


class Analyser:
    """The model, loaded once per worker, and the batch loop around `analyse`."""

    def __init__(self, model: NerModel, *, words_per_minute: int = 230) -> None:
        self.model = model
        self.words_per_minute = words_per_minute

    @classmethod
    def load(cls, *, words_per_minute: int = 230, batch_size: int = 32) -> Analyser:
        detector(), default_gazetteer()  # built now, not inside the first batch
        return cls(NerModel.load(batch_size=batch_size), words_per_minute=words_per_minute)

    def analyse_batch(
        self, articles: Sequence[RawArticle], now: datetime
    ) -> list[AnalysedArticle | Exception]:
        """One result per article, in order: the analysed article or the error that stopped it."""
        languages = [article_language(a) for a in articles]
        texts = [article_text(a) for a in articles]
        readable = [i for i, language in enumerate(languages) if language.run_ner]
        found = self._mentions({i: texts[i].text for i in readable})
        results: list[AnalysedArticle | Exception] = []
        for i, article in enumerate(articles):
            mentions = found.get(i, [])
            if isinstance(mentions, Exception):
                results.append(mentions)
                continue
            try:
                results.append(
                    analyse(
                        article,
                        texts[i],
                        mentions,
                        languages[i],
                        now=now,
                        words_per_minute=self.words_per_minute,
                    )
                )
            except Exception as exc:  # reported per article: the batch goes on
                results.append(exc)
        return results

    def _mentions(self, texts: dict[int, str]) -> dict[int, list[Mention] | Exception]:
        """The model's mentions per text; if the batch fails, each text alone, so one bad text
        fails by itself instead of taking its batch (and, replayed, the stream) down."""
        try:
            return dict(zip(texts, self.model.mentions(list(texts.values())), strict=True))
        except Exception:
            found: dict[int, list[Mention] | Exception] = {}
            for i, text in texts.items():
                try:
                    (found[i],) = self.model.mentions([text])
                except Exception as exc:
                    found[i] = exc
            return found
