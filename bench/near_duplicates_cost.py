"""`python -m bench.near_duplicates_cost`: what the near-duplicate defaults rest on.

Prints, for every fixture pair in tests/fixtures/near_duplicates (a base story against each
republication and each other story), the exact shingle Jaccard and the MinHash estimate;
the closest copy and the closest other story for shingles of 3 to 8 words; then the cost
of a fingerprint (CPU time per article) and of holding one (bytes in the index, and
serialised). Not part of `make bench`: it needs no servers and takes seconds.
"""

from __future__ import annotations

import json
import time
import tracemalloc
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np

from schemas.article import ArticleSubmission, RawArticle
from services.enrich.near_duplicates import (
    NUM_PERM,
    SHINGLE_WORDS,
    Fingerprint,
    NearDuplicateIndex,
    dumps_fingerprint,
    fingerprint,
    lsh_bands,
    shingles,
    similarity,
    words,
)
from services.ingest.intake import to_raw_article

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "near_duplicates"
Pair = tuple[str, str, bool, RawArticle, RawArticle]


def raw(submission: dict[str, Any]) -> RawArticle:
    return to_raw_article(
        ArticleSubmission.model_validate(submission),
        received_at=datetime(2026, 1, 1, tzinfo=UTC),
        key_id=None,
        content_type="application/json",
        original=b"",
    )


def families() -> Iterator[tuple[str, dict[str, Any]]]:
    for path in sorted(FIXTURES.glob("*.json")):
        yield path.stem, json.loads(path.read_text(encoding="utf-8"))


def pairs() -> Iterator[Pair]:
    """(family, variant, is_copy, base, other): each base against its variants, then every
    base against every other family's base and variants (unrelated stories)."""
    loaded = [(name, raw(doc["base"]), doc) for name, doc in families()]
    for name, base, doc in loaded:
        for group, is_copy in (("copies", True), ("distinct", False)):
            for variant, entry in doc[group].items():
                yield name, variant, is_copy, base, raw(entry["article"])
    for (a, base_a, _), (b, base_b, doc_b) in combinations(loaded, 2):
        yield a, f"vs {b} (all)", False, base_a, base_b
        for entry in [*doc_b["copies"].values(), *doc_b["distinct"].values()]:
            yield a, f"vs {b} (all)", False, base_a, raw(entry["article"])


def truncations() -> Iterator[Pair]:
    """Not fixtures: a republication that keeps only the first paragraphs. Jaccard counts what
    is missing, so these sit at about the share kept; shown to say where the limit is."""
    for name, doc in families():
        base = raw(doc["base"])
        for share in (0.7, 0.5):
            kept = base.model_copy(update={"body": base.body[: round(len(base.body) * share)]})
            yield name, f"first {share:.0%} only", True, base, kept


def jaccard(a: set[Any], b: set[Any]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def word_shingles(article: RawArticle, k: int) -> set[tuple[str, ...]]:
    found = words(article)
    return {tuple(found[i : i + k]) for i in range(max(len(found) - k + 1, 1))}


def report_pairs() -> None:
    found = list(pairs())
    print(f"pair (k={SHINGLE_WORDS}, {NUM_PERM} permutations)     exact  estimate")
    far: list[tuple[float, float]] = []
    for family, name, is_copy, base, other in [*found, *truncations()]:
        exact = jaccard(shingles(base), shingles(other))
        estimate = similarity(fingerprint(base), fingerprint(other))
        if name.startswith("vs "):
            far.append((exact, estimate))
            continue
        print(f"{family:6} {name:22} {'copy' if is_copy else 'other':5}  {exact:5.2f}  {estimate:8.2f}")
    exact_max, estimate_max = (max(column) for column in zip(*far, strict=True))
    print(f"unrelated stories ({len(far)} pairs): at most {exact_max:.2f}, estimated {estimate_max:.2f}")
    print("\nk   closest copy  closest other story  closest unrelated  (exact Jaccard)")
    for k in range(3, 9):
        scores: dict[str, list[float]] = {"copy": [], "other": [], "unrelated": []}
        for _, name, is_copy, base, other in found:
            kind = "copy" if is_copy else "unrelated" if name.startswith("vs ") else "other"
            scores[kind].append(jaccard(word_shingles(base, k), word_shingles(other, k)))
        closest = (min(scores["copy"]), max(scores["other"]), max(scores["unrelated"]))
        print(f"{k}   {closest[0]:12.2f}  {closest[1]:19.2f}  {closest[2]:17.3f}")


def cpu_us(step: Callable[[Any], object], items: Sequence[Any], rounds: int) -> float:
    """CPU time per item of the fastest round: the least disturbed by other work on a shared machine."""
    best = float("inf")
    for _ in range(rounds):
        start = time.process_time()
        for item in items:
            step(item)
        best = min(best, time.process_time() - start)
    return best * 1e6 / len(items)


def report_cost(rounds: int = 30) -> None:
    articles = [other for *_, other in pairs()][:40]
    size = sum(len(words(a)) for a in articles) / len(articles)
    print(f"\ncost per article ({len(articles)} fixture articles, {size:.0f} words each on average):")
    for label, step in (("words", words), ("shingles", shingles), ("fingerprint", fingerprint)):
        print(f"  {label:12} {cpu_us(step, articles, rounds):6.0f} us")

    count = 20_000
    generator = np.random.default_rng(7)
    values = [
        Fingerprint(generator.integers(0, 2**32 - 1, NUM_PERM, dtype="<u4").tobytes()) for _ in range(count)
    ]
    for threshold in (0.4, 0.5, 0.6, 0.7):
        tracemalloc.start()
        before = tracemalloc.take_snapshot()
        index = NearDuplicateIndex.rebuilt(((f"id-{i:08d}", v) for i, v in enumerate(values)), threshold)
        grown = sum(stat.size_diff for stat in tracemalloc.take_snapshot().compare_to(before, "filename"))
        tracemalloc.stop()
        query = cpu_us(index.candidates, values[:1000], 3)
        bands, rows = lsh_bands(threshold)
        print(
            f"index at {threshold}: {bands} bands of {rows} rows, {grown / count:.0f} bytes per article held,"
            f" query {query:.0f} us ({count} distinct stories held)"
        )
    serialised = len(dumps_fingerprint(values[0]))
    print(f"fingerprint: {len(values[0])} bytes of values, {serialised} characters serialised")


if __name__ == "__main__":
    report_pairs()
    report_cost()
