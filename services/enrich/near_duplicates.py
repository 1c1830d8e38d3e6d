"""Near-duplicates: the same wire story republished by many sites, told apart from other stories.

An article's body becomes a set of 5-word shingles, after what republishers change is
taken out: the dateline, case, typographic quotes and dashes, and paragraphs of page
chrome (newsletter plugs, share prompts, copyright and contributor lines). The headline
is left out on purpose: sites rewrite it. A MinHash signature of the shingles (64
permutations, datasketch's seeded affine32 scheme, so every process computes the same
values) estimates the Jaccard similarity of two bodies; MinHash LSH finds the candidates
without comparing an article with every other.

Why 5 words and 0.5: on the fixtures (tests/fixtures/near_duplicates) a republication
with boilerplate added, a paragraph dropped or a few words edited scores 0.6-1.0, while
two different stories about the same event, or a follow-up quoting one paragraph, score
under 0.15. Shorter shingles raise the second group (shared names and phrases); longer
ones punish every small edit. With 64 permutations the estimate's standard error near
0.5 is about 0.06, well inside that gap, at half the memory of 128.
"""

from __future__ import annotations

import base64
import re
import unicodedata
from collections.abc import Mapping
from typing import Protocol

import numpy as np
from datasketch import MinHash, MinHashLSH

from schemas.article import RawArticle
from services.text.dateline import strip_lede_dateline

SHINGLE_WORDS = 5
NUM_PERM = 64
SEED = 1
SCHEME = "affine32"
DEFAULT_THRESHOLD = 0.5

Fingerprint = np.ndarray  # NUM_PERM uint32 MinHash values

_FOLD = str.maketrans(
    {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"}
)
_WORD = re.compile(r"\w+(?:'\w+)?")
_CHROME = re.compile(
    r"^(subscribe|sign up|share this|follow (us|ap)|read more|related:|advertisement|copyright|\(c\)|©)"
    r"|contributed to this report\.?$|contributed\.?$|all rights reserved",
    re.IGNORECASE,
)
_CHROME_MAX_WORDS = 30  # chrome is short; a long paragraph that merely mentions "subscribe" is text


def _is_chrome(paragraph: str) -> bool:
    return len(paragraph.split()) <= _CHROME_MAX_WORDS and bool(_CHROME.search(paragraph.strip()))


def words(article: RawArticle) -> list[str]:
    """The body's words as every republication of it would have them."""
    _, body = strip_lede_dateline(article.body)
    text = " ".join(p for p in body if not _is_chrome(p))
    folded = unicodedata.normalize("NFKC", text).translate(_FOLD).casefold()
    return _WORD.findall(folded)


def shingles(article: RawArticle) -> set[bytes]:
    found = words(article)
    if len(found) < SHINGLE_WORDS:
        return {" ".join(found).encode()} if found else set()
    return {" ".join(found[i : i + SHINGLE_WORDS]).encode() for i in range(len(found) - SHINGLE_WORDS + 1)}


def fingerprint(article: RawArticle) -> Fingerprint:
    signature = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME)
    signature.update_batch(list(shingles(article)))
    return np.asarray(signature.hashvalues, dtype=np.uint32)


def dumps_fingerprint(values: Fingerprint) -> str:
    return base64.b64encode(values.astype("<u4").tobytes()).decode("ascii")


def loads_fingerprint(text: str) -> Fingerprint:
    values = np.frombuffer(base64.b64decode(text), dtype="<u4")
    if values.size != NUM_PERM:
        raise ValueError(f"a fingerprint holds {NUM_PERM} values, this one {values.size}")
    return values.astype(np.uint32)


def similarity(a: Fingerprint, b: Fingerprint) -> float:
    """Estimated Jaccard similarity of the two bodies' shingle sets."""
    return float(np.count_nonzero(a == b)) / NUM_PERM


class NearDuplicateIndex:
    """The fingerprints of the recent articles, searchable by LSH; rebuilt from storage after a restart."""

    def __init__(self, threshold: float = DEFAULT_THRESHOLD) -> None:
        self.threshold = threshold
        self._lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        self._fingerprints: dict[str, Fingerprint] = {}

    def __len__(self) -> int:
        return len(self._fingerprints)

    def __contains__(self, article_id: object) -> bool:
        return article_id in self._fingerprints

    def add(self, article_id: str, values: Fingerprint) -> None:
        self.remove(article_id)
        self._lsh.insert(article_id, _minhash(values))
        self._fingerprints[article_id] = values

    def remove(self, article_id: str) -> None:
        if self._fingerprints.pop(article_id, None) is not None:
            self._lsh.remove(article_id)

    def candidates(self, values: Fingerprint) -> list[tuple[str, float]]:
        """Held articles at least `threshold` similar, most similar first (ties by id)."""
        found = []
        for article_id in self._lsh.query(_minhash(values)):
            score = similarity(values, self._fingerprints[article_id])
            if score >= self.threshold:
                found.append((article_id, score))
        return sorted(found, key=lambda pair: (-pair[1], pair[0]))


def _minhash(values: Fingerprint) -> MinHash:
    return MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME, hashvalues=values.astype(np.uint64))


class Clustered(Protocol):
    @property
    def cluster_id(self) -> str: ...

    @property
    def duplicate_of(self) -> str | None: ...


def cluster_for(
    article_id: str, candidates: list[tuple[str, float]], known: Mapping[str, Clustered]
) -> tuple[str, str | None]:
    """(cluster_id, duplicate_of) for an article given its near-copy candidates.

    A copy points at the original of its closest candidate's story, never at a copy of a
    copy; a new story is a cluster of its own, named by its id. The article itself (an
    earlier revision) is never a candidate.
    """
    for other_id, _ in candidates:
        other = known.get(other_id)
        if other_id == article_id or other is None:
            continue
        return other.cluster_id, other.duplicate_of or other_id
    return article_id, None
