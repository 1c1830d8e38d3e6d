"""The per-article half of enrichment: plain functions over the models, plus the batch driver.

`analyse` turns one raw article into an `AnalysedArticle` (facts, entities, body
fingerprint) given the model's mentions. A batch goes through three steps so that the
model can run somewhere else (the worker keeps it in a process of its own,
services/enrich/model_process.py): `prepare` (language and text, before the model),
the model's `mentions_each`, and `finish` (entity rules, facts, fingerprint, after it).
One bad article fails alone at every step. `Analyser` runs all three in this process.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from schemas.article import RawArticle
from schemas.enriched import AnalysedArticle, EnrichedArticle
from services.enrich.entities import AnalysedText, Mention, article_entities, article_text, default_gazetteer
from services.enrich.facts import article_facts
from services.enrich.language import LanguageDecision, article_language, detector
from services.enrich.mentions import Found, mentions_each
from services.enrich.near_duplicates import dumps_fingerprint, fingerprint

if TYPE_CHECKING:  # spaCy is imported only where the model runs
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


@dataclass(frozen=True)
class PreparedBatch:
    """A batch before the model: each article's language and text, and which go to the model."""

    articles: Sequence[RawArticle]
    languages: list[LanguageDecision]
    texts: list[AnalysedText]
    readable: list[int]

    def model_texts(self) -> list[str]:
        return [self.texts[i].text for i in self.readable]


def prepare(articles: Sequence[RawArticle]) -> PreparedBatch:
    languages = [article_language(a) for a in articles]
    readable = [i for i, language in enumerate(languages) if language.run_ner]
    return PreparedBatch(articles, languages, [article_text(a) for a in articles], readable)


def finish(
    batch: PreparedBatch, found: Sequence[Found], now: datetime, *, words_per_minute: int
) -> list[AnalysedArticle | Exception]:
    """One result per article, in order: the analysed article or the error that stopped it.

    `found` answers `batch.model_texts()`, in that order."""
    by_article = dict(zip(batch.readable, found, strict=True))
    results: list[AnalysedArticle | Exception] = []
    for i, article in enumerate(batch.articles):
        mentions = by_article.get(i, [])
        if isinstance(mentions, Exception):
            results.append(mentions)
            continue
        try:
            text, language = batch.texts[i], batch.languages[i]
            results.append(
                analyse(article, text, mentions, language, now=now, words_per_minute=words_per_minute)
            )
        except Exception as exc:  # reported per article: the batch goes on
            results.append(exc)
    return results


def load_lookups() -> None:
    """Build the language detector and the gazetteer now, not inside the first batch."""
    detector(), default_gazetteer()


class Analyser:
    """The model, loaded in this process, and the three steps around it."""

    def __init__(self, model: NerModel, *, words_per_minute: int = 230) -> None:
        self.model = model
        self.words_per_minute = words_per_minute

    @classmethod
    def load(cls, *, words_per_minute: int = 230) -> Analyser:
        from services.enrich.ner_model import NerModel

        load_lookups()
        return cls(NerModel.load(), words_per_minute=words_per_minute)

    def analyse_batch(
        self, articles: Sequence[RawArticle], now: datetime
    ) -> list[AnalysedArticle | Exception]:
        batch = prepare(articles)
        found = mentions_each(self.model, batch.model_texts())
        return finish(batch, found, now, words_per_minute=self.words_per_minute)
