"""An article's language, and whether the English NER model may read it.

Feeds often leave `language` out, and now and then get it wrong (a German story on an
English feed). lingua tells from the text, among the languages wire news comes in, in its
low-accuracy mode: trigram models only, ~53 MB resident for the 23 languages below, where
the full models took ~430 MB for 16 of them; on a paragraph or more it is about as accurate.
Short texts fool it ("Putin meets Lukashenko in Sochi" reads as Dutch), so under
`MIN_LETTERS` letters it does not answer and the feed's word stands.

The NER model is English; an article in another language gets no entities from its text
(its dateline and contributors still give some) and says why in
`ArticleFacts.entities_skipped`, rather than getting names read wrongly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from lingua import IsoCode639_1, LanguageDetector, LanguageDetectorBuilder

from schemas.article import RawArticle

# ISO 639-1. A text in a language outside the set is given the nearest one in it, which is
# no worse for what the pipeline decides: it is not English either way.
LANGUAGES = tuple(re.findall(r"\w+", "en de fr es it pt nl sv da nb pl cs ru uk tr ar fa he zh ja ko hi id"))
NER_LANGUAGES = frozenset({"en"})
MIN_LETTERS = 120  # below this, low-accuracy mode guesses; see the module docstring
SAMPLE_CHARS = 800  # the headline and the lede say it; each further character costs time (~1.5 µs)


@dataclass(frozen=True)
class LanguageDecision:
    """What the article is written in and whether to run the NER model on it.

    `language` is the detected code when the text was long enough to tell, else the
    feed's (primary subtag, lowercase), else None. `entities_skipped` goes into
    `ArticleFacts.entities_skipped` as is.
    """

    language: str | None
    declared: str | None
    detected: str | None

    @property
    def run_ner(self) -> bool:
        """English, or unknown: a text too short to tell is read rather than dropped."""
        return self.language is None or self.language in NER_LANGUAGES

    @property
    def entities_skipped(self) -> str | None:
        return None if self.run_ner else f"language {self.language}: no model for it"


@cache
def detector() -> LanguageDetector:
    """Built once per process (~0.15 s), every model loaded up front so no batch waits for it."""
    codes = [getattr(IsoCode639_1, code.upper()) for code in LANGUAGES]
    return (
        LanguageDetectorBuilder.from_iso_codes_639_1(*codes)
        .with_low_accuracy_mode()
        .with_preloaded_language_models()
        .build()
    )


def detect_language(text: str) -> str | None:
    """The ISO 639-1 code of the text's language, or None when the text is too short to tell."""
    sample = text[:SAMPLE_CHARS]
    if sum(c.isalpha() for c in sample) < MIN_LETTERS:
        return None
    found = detector().detect_language_of(sample)
    return found.iso_code_639_1.name.lower() if found is not None else None


def primary_subtag(tag: str | None) -> str | None:
    """`en-GB` -> `en`: facets and the NER decision go by language, not by region."""
    if not tag:
        return None
    return tag.split("-")[0].lower() or None


def decide_language(declared: str | None, text: str) -> LanguageDecision:
    """The text's own language when it can be told, else the feed's."""
    detected = detect_language(text)
    declared_code = primary_subtag(declared)
    return LanguageDecision(language=detected or declared_code, declared=declared_code, detected=detected)


def article_language(article: RawArticle) -> LanguageDecision:
    return decide_language(article.language, _opening(article.headline, article.body))


def _opening(headline: str, body: list[str]) -> str:
    """The headline and as many paragraphs as the sample takes, without joining a long body."""
    parts, length = [headline], len(headline)
    for paragraph in body:
        if length >= SAMPLE_CHARS:
            break
        parts.append(paragraph)
        length += len(paragraph) + 2
    return "\n\n".join(parts)
