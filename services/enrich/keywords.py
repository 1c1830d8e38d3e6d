"""An article's most telling terms, for the Related links and the `keywords` fact.

Plain term frequency with the headline counted three times: an article is short, and
rarer-is-better weighting would need the whole corpus, which this per-article step
does not have. Stop words come from spaCy's English list, read from its file without
importing spaCy: the worker's model runs in another process, and importing the spacy
package would cost this one half a second and about 100 MB for one set of words.

spaCy's list is general English; news adds the words that attribute a statement. "said"
was a keyword of every article: shown as a fact it tells nothing, and as a term shared
with every held article it made each one a Related candidate.
"""

from __future__ import annotations

import importlib.util
import re
from collections import Counter
from pathlib import Path


def _spacy_stop_words() -> frozenset[str]:
    spec = importlib.util.find_spec("spacy")  # locates the package without running it
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("spacy is a dependency of enrich: its English stop words are read from it")
    path = Path(spec.origin).parent / "lang" / "en" / "stop_words.py"
    module_spec = importlib.util.spec_from_file_location("_wirestream_spacy_en_stop_words", path)
    assert module_spec is not None, path
    assert module_spec.loader is not None, path
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return frozenset(module.STOP_WORDS)


REPORTING_WORDS = frozenset(
    {
        "said", "says", "say", "saying", "told", "tells", "telling", "according", "added", "adding",
        "adds", "asked", "stated", "noted", "reportedly", "spokesperson", "spokesman", "spokeswoman",
    }
)  # fmt: skip
STOP_WORDS = _spacy_stop_words() | REPORTING_WORDS

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
