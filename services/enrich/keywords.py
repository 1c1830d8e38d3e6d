"""An article's most telling terms, for the Related links and the `keywords` fact.

Plain term frequency with the headline counted three times: an article is short, and
rarer-is-better weighting would need the whole corpus, which this per-article step
does not have. Stop words come from spaCy's English list, which the worker loads anyway.
"""

from __future__ import annotations

import re
from collections import Counter

from spacy.lang.en.stop_words import STOP_WORDS

_TERM = re.compile(r"[^\W\d_]+(?:[-'\u2019][^\W\d_]+)*")
_HEADLINE_WEIGHT = 3
_MIN_LENGTH = 3


def _terms(text: str) -> list[str]:
    words = (m.group().lower().replace("\u2019", "'") for m in _TERM.finditer(text))
    return [w.removesuffix("'s") for w in words if len(w) >= _MIN_LENGTH and w not in STOP_WORDS]


def keywords(headline: str, body: list[str], limit: int = 10) -> list[str]:
    """The `limit` most frequent content words; ties go to the word seen first."""
    counts: Counter[str] = Counter()
    first_seen: dict[str, int] = {}
    for position, term in enumerate(_terms(headline) * _HEADLINE_WEIGHT + _terms(" ".join(body))):
        counts[term] += 1
        first_seen.setdefault(term, position)
    ranked = sorted(counts, key=lambda term: (-counts[term], first_seen[term]))
    return ranked[:limit]
