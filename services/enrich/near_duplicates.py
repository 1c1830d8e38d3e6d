"""Near-duplicates: the same wire story republished by many sites, told apart from other stories.

A body becomes a set of word shingles after what republishers change is taken out: the
lede's dateline, case, Unicode forms, typographic quotes and dashes, paragraph breaks, and
short paragraphs of page chrome (credit, copyright, share, newsletter and related-link
lines). The headline is left out on purpose: sites rewrite it, and a rewritten headline is
no new story. A MinHash signature of the shingles estimates the Jaccard similarity of two
bodies; MinHash LSH finds the candidates without comparing an article with every other.

Measured on the fixtures (tests/fixtures/near_duplicates; bench/near_duplicates_cost.py
prints the table). Every republication keeps an exact shingle Jaccard of 0.75 or more;
other stories stay at 0.07 or less, even one about the same event with the same names,
or a follow-up quoting a whole paragraph; unrelated stories share nothing. Any shingle
length from 3 to 8 words separates them: each extra word costs the closest copy ~0.02
(one changed word breaks that many shingles) and each word fewer lifts the closest other
story ~0.01 (shared names and stock phrases; at 3 words unrelated stories start to share
some). Five sits in the middle of that flat stretch. The default threshold 0.5 is over
six standard errors of the estimate from the closest copy and nearly twenty from the
closest other story. What it does not catch: a republication that keeps only the first
half of a story scores 0.4-0.6, because Jaccard counts what is missing.

Signatures are compared across processes and restarts (they live in a Kafka changelog),
so nothing in them may depend on the process: the shingles are hashed with CRC-32, not
Python's salted `hash`, and the permutations come from a fixed seed. CRC-32 costs a
seventh of datasketch's default SHA-1 (0.11 against 0.83 us a shingle) and estimates as
well on the fixtures (RMS error 0.025 against the exact Jaccard for both, over 20 seeds),
because the affine32 scheme pre-mixes every input hash with the MurmurHash3 finalizer. A golden test pins one
fixture's signature: a change to the shingling, the hash or datasketch's scheme must bump
FORMAT, so that stored signatures fail loudly instead of comparing as noise.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import unicodedata
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import NamedTuple, NewType, Protocol

import numpy as np
from datasketch import MinHash

from schemas.article import RawArticle
from services.text.contributors import parse_contributor_line
from services.text.dateline import strip_lede_dateline

SHINGLE_WORDS = 5
NUM_PERM = 128  # the estimate's standard error at J=0.5 is 0.044
SEED = 1
SCHEME = "affine32"
FORMAT = "mh1"  # bump when the shingling, the hash, NUM_PERM, SEED or SCHEME change
DEFAULT_THRESHOLD = 0.5  # fixtures: copies >= 0.78 estimated, other stories <= 0.06 (see above)
LSH_RECALL = 0.99  # chance that a pair exactly at the threshold shares an LSH band

Fingerprint = NewType("Fingerprint", bytes)
"""NUM_PERM MinHash values, little-endian uint32: 512 bytes, immutable, comparable with ==."""

_VALUE = np.dtype("<u4")
_BYTES = NUM_PERM * _VALUE.itemsize
_EMPTY_VALUE = np.iinfo(np.uint32).max  # what MinHash holds for an empty set
EMPTY = Fingerprint(np.full(NUM_PERM, _EMPTY_VALUE, dtype=_VALUE).tobytes())
# Drawn once: MinHash draws them from its seed in every constructor (~150 us) unless given.
_PERMUTATIONS = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME).permutations

# Tokens are runs of letters and digits, so every quote, apostrophe and dash, typographic or
# typed, separates words alike ("Russia\u2019s" and "Russia's" are both russia, s): no fold table
# to keep complete. Only the modifier-letter apostrophe, which Unicode counts as a letter and
# some keyboards type for \u2019, is turned into a plain one first.
_WORD = re.compile(r"\w+")
# Page chrome, by how it opens (or, for the notices, what it says). Short paragraphs only:
# a long one that opens with "Subscribers" or mentions a copyright is text.
_CHROME = re.compile(
    r"^(?:share(?: this\b|:|$)|sign up\b|subscribe\b|follow (?:us\b|\w+['\u2019]s coverage\b)"
    r"|related\s*(?::|$)|read more\b|see also\b|advertisement\b|story continues\b|listen to this\b"
    r"|copyright\b|\(c\)|©|reporting by\b|editing by\b|writing by\b)"
    r"|all rights reserved|may not be published, broadcast",
    re.IGNORECASE,
)
_CHROME_MAX_WORDS = 30


def is_chrome(paragraph: str) -> bool:
    """Lines that differ from site to site around the same story: counting them would make
    two copies look less alike, and two unrelated stories of one site more alike."""
    text = paragraph.strip()
    if len(text.split()) > _CHROME_MAX_WORDS:
        return False
    return bool(_CHROME.search(text)) or bool(parse_contributor_line(text))


def words(article: RawArticle) -> list[str]:
    """The body's words as every republication of it would have them."""
    _, body = strip_lede_dateline(article.body)
    text = " ".join(p for p in body if not is_chrome(p))
    folded = unicodedata.normalize("NFKC", text).replace("\u02bc", "'").casefold()
    return _WORD.findall(folded)


def shingles(article: RawArticle) -> set[bytes]:
    """Every run of SHINGLE_WORDS words, across paragraph breaks (sites re-split paragraphs).

    Bytes, because that is what gets hashed. A body shorter than one shingle is one
    shingle; an empty one has none.
    """
    found = [word.encode() for word in words(article)]
    if len(found) < SHINGLE_WORDS:
        return {b" ".join(found)} if found else set()
    return {b" ".join(found[i : i + SHINGLE_WORDS]) for i in range(len(found) - SHINGLE_WORDS + 1)}


def fingerprint(article: RawArticle) -> Fingerprint:
    """The body's MinHash signature; EMPTY for a body without words."""
    signature = _minhash()
    signature.update_batch(shingles(article))
    return Fingerprint(signature.hashvalues.astype(_VALUE, copy=False).tobytes())


def is_empty(value: Fingerprint) -> bool:
    """A body without words: it copies nothing and nothing copies it."""
    return value == EMPTY


def dumps_fingerprint(value: Fingerprint) -> str:
    """ASCII for JSON and Kafka: `mh1:` and the values in base64 (688 characters)."""
    return f"{FORMAT}:{base64.b64encode(value).decode('ascii')}"


def loads_fingerprint(text: str) -> Fingerprint:
    """The fingerprint `dumps_fingerprint` wrote; ValueError for another format or size, which
    a caller rebuilding from storage should treat as "no fingerprint", never as noise."""
    tag, _, payload = text.partition(":")
    if tag != FORMAT:
        raise ValueError(f"not a {FORMAT} fingerprint: {text[:12]!r}")
    try:
        value = base64.b64decode(payload, validate=True)
    except binascii.Error as exc:
        raise ValueError(f"a {FORMAT} fingerprint in broken base64: {exc}") from exc
    if len(value) != _BYTES:
        raise ValueError(f"a {FORMAT} fingerprint holds {_BYTES} bytes, this one {len(value)}")
    return Fingerprint(value)


def similarity(a: Fingerprint, b: Fingerprint) -> float:
    """Estimated Jaccard similarity of the two bodies' shingle sets (0.0 when either is empty)."""
    if is_empty(a) or is_empty(b):
        return 0.0
    return int(np.count_nonzero(_values(a) == _values(b))) / NUM_PERM


def lsh_bands(threshold: float, num_perm: int = NUM_PERM, recall: float = LSH_RECALL) -> tuple[int, int]:
    """(bands, rows): as few bands of two rows as give a pair at `threshold` a `recall` chance
    of sharing one.

    datasketch's own optimiser balances misses against false candidates, which leaves a
    pair at the threshold a ~55% chance of being found. Here a false candidate is cheap
    (its signature is checked) and a missed copy is a wrong answer. Bands are what the
    index holds per article (~90 bytes each, see `Bands`), so the
    fewest win: two rows need the fewest, while one-row bands would turn every pair of
    stories sharing a single stock phrase into a candidate. At 0.5: 17 bands (99.2%).
    """
    for rows in (2, 1):
        bands = math.ceil(math.log(1 - recall) / math.log(1 - threshold**rows)) if threshold < 1 else 2
        if bands * rows <= num_perm:
            return max(bands, 2), rows
    return num_perm, 1


Bucket = str | list[str]  # one article id (most buckets), or the ids sharing the bucket


class Bands:
    """MinHash LSH: articles are candidates of each other when all `rows` values of any band agree.

    datasketch's MinHashLSH bands signatures the same way, but holds a set per bucket and a
    list of bucket keys per article: ~300 bytes per band and article, 5.1 KB an article at
    17 bands, as much as the rest of the linking state together. Here a band's two uint32
    values are the bucket's int key (exact: no hash, no collisions), a bucket holds its one
    id or, when shared, a list, and an article's buckets are recomputed from its signature
    when it goes: ~90 bytes per band. Candidates are the same, so recall is unchanged.
    """

    def __init__(self, bands: int, rows: int) -> None:
        width = rows * _VALUE.itemsize
        self._slices = [slice(band * width, (band + 1) * width) for band in range(bands)]
        self._buckets: list[dict[int, Bucket]] = [{} for _ in range(bands)]

    def _keys(self, value: Fingerprint) -> Iterator[tuple[dict[int, Bucket], int]]:
        for where, buckets in zip(self._slices, self._buckets, strict=True):
            yield buckets, int.from_bytes(value[where], "little")

    def add(self, article_id: str, value: Fingerprint) -> None:
        for buckets, key in self._keys(value):
            held = buckets.get(key)
            if held is None:
                buckets[key] = article_id
            elif isinstance(held, str):
                buckets[key] = [held, article_id]
            else:
                held.append(article_id)

    def remove(self, article_id: str, value: Fingerprint) -> None:
        """Forget an article added with this very signature."""
        for buckets, key in self._keys(value):
            held = buckets[key]
            if isinstance(held, str):
                del buckets[key]
            else:
                held.remove(article_id)
                if len(held) == 1:
                    buckets[key] = held[0]

    def query(self, value: Fingerprint) -> set[str]:
        """Every article sharing at least one band with the signature."""
        found: set[str] = set()
        for buckets, key in self._keys(value):
            held = buckets.get(key)
            if isinstance(held, str):
                found.add(held)
            elif held is not None:
                found.update(held)
        return found

    def buckets(self) -> Iterator[Bucket]:
        for buckets in self._buckets:
            yield from buckets.values()


class NearDuplicateIndex:
    """Fingerprints of the recent articles, searchable by LSH.

    Lives in memory only: a restarted worker rebuilds it (`rebuilt`) from the (id,
    fingerprint) pairs its durable table holds.
    """

    def __init__(self, threshold: float = DEFAULT_THRESHOLD) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], not {threshold}")
        self.threshold = threshold
        self._bands = Bands(*lsh_bands(threshold))
        self._fingerprints: dict[str, Fingerprint] = {}

    @classmethod
    def rebuilt(
        cls, pairs: Iterable[tuple[str, Fingerprint]], threshold: float = DEFAULT_THRESHOLD
    ) -> NearDuplicateIndex:
        index = cls(threshold)
        for article_id, value in pairs:
            index.add(article_id, value)
        return index

    def __len__(self) -> int:
        return len(self._fingerprints)

    def __contains__(self, article_id: object) -> bool:
        return article_id in self._fingerprints

    def add(self, article_id: str, value: Fingerprint) -> None:
        """Hold the article, replacing an earlier revision's fingerprint."""
        self.remove(article_id)
        self._fingerprints[article_id] = value
        if not is_empty(value):
            self._bands.add(article_id, value)

    def remove(self, article_id: str) -> None:
        value = self._fingerprints.pop(article_id, None)
        if value is not None and not is_empty(value):
            self._bands.remove(article_id, value)

    def candidates(self, value: Fingerprint) -> list[tuple[str, float]]:
        """Held articles whose estimated similarity reaches the threshold, best first, ties by id."""
        if is_empty(value):
            return []
        scored = [(held, similarity(value, self._fingerprints[held])) for held in self._bands.query(value)]
        return sorted(
            ((held, score) for held, score in scored if score >= self.threshold),
            key=lambda pair: (-pair[1], pair[0]),
        )


def _values(value: Fingerprint) -> np.ndarray:
    return np.frombuffer(value, dtype=_VALUE)


def _minhash() -> MinHash:
    return MinHash(
        num_perm=NUM_PERM, seed=SEED, scheme=SCHEME, hashfunc=zlib.crc32, permutations=_PERMUTATIONS
    )


class Clustered(Protocol):
    """What the decision needs of an article already clustered (RecentArticle has it)."""

    @property
    def cluster_id(self) -> str: ...

    @property
    def duplicate_of(self) -> str | None: ...

    @property
    def published_at(self) -> datetime: ...


class Clustering(NamedTuple):
    cluster_id: str
    duplicate_of: str | None


def cluster_for(
    article_id: str,
    candidates: Sequence[tuple[str, float]],
    known: Mapping[str, Clustered],
    *,
    published_at: datetime | None = None,
) -> Clustering:
    """Which story an article tells: its cluster, and the original it copies (if any).

    A story's cluster is named by the id of the first article seen telling it, so ids
    stay stable on replay and a story told once is a cluster of one. An article joins the
    cluster of its earliest-published candidate (publication times are exact, while
    similarity scores are estimates) and copies that candidate's original, never a copy
    of a copy. An article published before every candidate (it arrived late) joins their
    cluster as an original. Without `published_at` the article counts as the newest, and
    on equal times it counts as the later one: arrival order, which replays keep (equal
    candidates go by id). The article itself (an earlier revision) and candidates no
    longer known are ignored; an article is never its own duplicate.
    """
    held = sorted(
        (known[other].published_at, other)
        for other, _ in candidates
        if other != article_id and other in known
    )
    if not held:
        return Clustering(article_id, None)
    first_at, first_id = held[0]
    first = known[first_id]
    if published_at is not None and published_at < first_at:
        return Clustering(first.cluster_id, None)
    original = first.duplicate_of or first_id
    return Clustering(first.cluster_id, None if original == article_id else original)
