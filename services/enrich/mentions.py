"""What the NER model found in each text of a batch, with a failing text isolated.

Shared by the in-process `Analyser` and the worker's model process; kept apart from
both so that the model process imports nothing of the pipeline (its language detector,
MinHash and linking libraries would only cost it memory).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from services.enrich.entities import Mention

# What the model found in one text, or why it could not say.
Found = list[Mention] | Exception


class MentionFinder(Protocol):
    def mentions(self, texts: Sequence[str]) -> list[list[Mention]]: ...


def mentions_each(model: MentionFinder, texts: Sequence[str]) -> list[Found]:
    """The model's mentions per text; if the batch fails, each text alone, so one bad text
    fails by itself instead of taking its batch (and, replayed, the stream) down."""
    try:
        return list(model.mentions(texts))
    except Exception:
        found: list[Found] = []
        for text in texts:
            try:
                found += model.mentions([text])
            except Exception as exc:
                found.append(exc)
        return found
