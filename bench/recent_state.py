"""Enrich's linking state: memory per article held, and what `link()` costs as the state grows.

The enrich worker holds every article of the recent window (72 h by default) twice
(services/enrich/app.py): as a `RecentArticle` in `RecentArticles` (the record, its
MinHash LSH entry, and the term, headline, age and engagement lookups), and as the
record's JSON in the Faust table, whose memory store is a dict (plus, after a changelog
recovery, a key -> partition dict). So the window, times the feed's volume, sets the
worker's memory beyond the model: this benchmark measures the bytes per article held,
how many articles the RSS target leaves room for, and how `link()` (on the worker's
event loop, one article at a time) slows as the state grows. It needs no server.

Records. The NER model costs ~80 ms an article, so it runs on a sample only (8 smoke,
64 full), whose entity saliences and keywords the records carry. Each record has a
generated body of its own (bench.articles, numbered apart from the sample), fingerprinted
by the real function (~1 ms: the build runs in one process per CPU and is most of the
run time), and that article's id, headline, source and time; its Related list holds
`links_k` links to earlier records, as a running worker's lists fill up (every related
newcomer updates them). Records are held as parsed back from their JSON, which is how
`ensure_state` rebuilds them after any restart or rebalance: nothing is then shared
between the table and the records, nor between a record and the links naming it. That
is a worker's state after its first rebalance, and the upper bound of any other.

Memory, in two fresh processes filled from the same records, because each method
disturbs the other:

- heap, by tracemalloc, at the first step: exact bytes of live Python and numpy
  allocations, split by the traced growth around each call (table, record, lookups),
  and the LSH by the traced drop when its index is let go. Tracing slows allocation ~3x
  and its own trace table would swamp RSS, so it runs alone, and only to the first step:
  the bytes per article are flat (24.9, 24.5, 24.5 KB at 6k, 12k, 25k held in a trial).
- RSS, untraced, at every step: the growth over the baseline taken after imports and a
  warm-up, after `gc.collect()`. This is what the worker's 600 MB target counts,
  allocator overhead included; its slope between the first and last step is the cost
  of one more article. `link()` is timed in this process, each call against the same
  state (the newcomer and the changes it made to older records are undone after it,
  outside the timing), for a time budget per step, because its cost grows with the state.

Bench bodies are templated: unrelated stories share stock sentences and so LSH band
buckets, far more than real ones (which share no shingle, see near_duplicates), which
makes their index smaller. An index of as many distinct signatures, as distinct stories
give, is measured beside it, and the totals, the per-100,000 figures and the 600 MB
window use that one. The same sharing makes link()'s first step, the LSH query for
near-copies, return thousands of candidates to check, growing with the state, where
distinct stories give a handful: its time is reported apart, and link() without it.
The full run holds up to 80,000 articles to stay near 3 minutes on
2 cores; `--scale 1.25` makes it 25,000, 50,000 and 100,000 (about 4 minutes).
"""

from __future__ import annotations

import gc
import json
import multiprocessing
import random
import statistics
import sys
import time
import tracemalloc
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from bench.articles import submission
from bench.enrich_throughput import raw_articles
from bench.harness import Benchmark, BenchmarkResult, Context, Measurement, latency_summary, progress
from schemas.article import RawArticle
from schemas.article_id import article_id
from schemas.enriched import AnalysedArticle
from services.enrich.linking import link
from services.enrich.near_duplicates import (
    NUM_PERM,
    Fingerprint,
    NearDuplicateIndex,
    dumps_fingerprint,
    fingerprint,
    loads_fingerprint,
)
from services.enrich.pipeline import Analyser
from services.enrich.recent import RecentArticle, RecentArticles, RelatedLink
from services.enrich.settings import EnrichSettings
from services.enrich.sidebar_links import MAX_SCORED, nominated

FULL_STEPS, SMOKE_STEPS = (20_000, 40_000, 80_000), (500, 1_000)  # --scale 1.25: 25k, 50k, 100k
FULL_SAMPLE, SMOKE_SAMPLE = 64, 8
FULL_LINK_BUDGET_S, SMOKE_LINK_BUDGET_S = 10.0, 2.0  # per held size, up to MAX_LINK_CALLS calls
MAX_LINK_CALLS, MIN_LINK_CALLS = 200, 3
RECORD_NUMBERS = 1_000_000  # held records are bench articles from here on; the sample's start at 0
CHUNK = 2_000  # records per file and per pool task
EARLIER = 200  # a record's Related links point among this many records before it
WINDOW_SHARE = 0.9  # held records span this share of the window, so link() expires none of them
EPOCH = datetime(2025, 3, 1, tzinfo=UTC)
TARGET_RSS_MB = 600.0  # the enrich worker's RSS target (bench/enrich_throughput.py)
BASELINE_RSS_MB = 450.0  # the worker with the model loaded and little state, as measured in e2e runs
DEFAULTS = EnrichSettings()
MB = 1_000_000

T = TypeVar("T")


@dataclass(frozen=True)
class Profile:
    """What the NER sample gives a record: its entities' saliences and its keywords."""

    entities: dict[str, float]
    keywords: list[str]


@dataclass(frozen=True)
class Plan:
    """What every builder process needs to make records number `start` to `stop` alike."""

    profiles: tuple[Profile, ...]
    template: RawArticle  # only its body is replaced: the fingerprint reads nothing else
    spacing_s: float  # seconds between two records' publication times
    links_k: int


def profiles(analysed: Sequence[AnalysedArticle]) -> tuple[Profile, ...]:
    return tuple(
        Profile({e.name: e.salience for e in a.enriched.entities}, list(a.enriched.facts.keywords))
        for a in analysed
    )


def related_links(
    rng: random.Random, earlier: Sequence[tuple[str, str]], profile: Profile, k: int
) -> tuple[RelatedLink, ...]:
    """`k` Related links to earlier records, ordered as `with_new_related` keeps them."""
    reason = tuple(sorted(profile.entities, key=lambda name: -profile.entities[name])[:5])
    links = [
        RelatedLink(other_id, headline, "related", round(rng.uniform(0.1, 0.7), 4), reason)
        for other_id, headline in rng.sample(list(earlier), min(k, len(earlier)))
    ]
    return tuple(sorted(links, key=lambda link: (-link.score, link.article_id)))


def held_record(
    number: int, plan: Plan, rng: random.Random, earlier: Sequence[tuple[str, str]]
) -> RecentArticle:
    """Record `number`: a generated article's own body, id, headline, source and time."""
    article = submission(RECORD_NUMBERS + number)
    source, headline = article["source"]["name"], article["headline"]
    published_at = EPOCH + timedelta(seconds=number * plan.spacing_s)
    record_id = article_id(
        source=source, headline=headline, published_at=published_at, feed_item_id=article["feed_item_id"]
    )
    profile = rng.choice(plan.profiles)
    body = plan.template.model_copy(update={"body": article["body"]})
    return RecentArticle(
        id=record_id,
        headline=headline,
        source=source,
        published_at=published_at,
        cluster_id=record_id,
        fingerprint=dumps_fingerprint(fingerprint(body)),
        entities=dict(profile.entities),
        keywords=list(profile.keywords),
        reactions=rng.randint(0, 40),
        views=rng.randint(0, 400),
        related=related_links(rng, earlier, profile, plan.links_k),
    )


def held_records(plan: Plan, start: int, stop: int) -> Iterator[RecentArticle]:
    """Records `start` to `stop`, each linking to records shortly before it (within the chunk)."""
    rng = random.Random(start)
    earlier: deque[tuple[str, str]] = deque(maxlen=EARLIER)
    for number in range(start, stop):
        record = held_record(number, plan, rng, earlier)
        earlier.append((record.id, record.headline))
        yield record


def write_chunk(plan: Plan, start: int, stop: int, path: Path) -> Path:
    """One file of records as JSON lines: the Faust table's values."""
    with path.open("w", encoding="utf-8") as out:
        for record in held_records(plan, start, stop):
            out.write(record.model_dump_json() + "\n")
    return path


def build_files(plan: Plan, count: int, directory: Path) -> list[Path]:
    """The fingerprints dominate (~1 ms a record): one process per CPU."""
    directory.mkdir(parents=True, exist_ok=True)
    starts = range(0, count, CHUNK)
    paths = [directory / f"records-{start:08d}.jsonl" for start in starts]
    with _pool(max(1, multiprocessing.cpu_count())) as pool:
        futures = [
            pool.submit(write_chunk, plan, start, min(start + CHUNK, count), path)
            for start, path in zip(starts, paths, strict=True)
        ]
        return [future.result() for future in futures]


def _pool(workers: int) -> ProcessPoolExecutor:
    """Spawned, not forked: a fresh interpreter holds nothing of this one (the model, the sample)."""
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))


def in_fresh_process(function: Callable[..., T], *args: Any) -> T:
    with _pool(1) as pool:
        return pool.submit(function, *args).result()


class Table:
    """The Faust memory store after a recovery: key -> value, and key -> partition."""

    def __init__(self) -> None:
        self.data: dict[str, str] = {}
        self.key_partition: dict[str, int] = {}

    def put(self, key: str, value: str) -> None:
        self.data[key] = value
        self.key_partition[key] = 0


def new_recent() -> RecentArticles:
    return RecentArticles(DEFAULTS.recent_window, DEFAULTS.near_duplicate_threshold)


def record_lines(paths: Sequence[Path]) -> Iterator[str]:
    for path in paths:
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                yield line.rstrip("\n")


def hold(recent: RecentArticles, table: Table, value: str) -> None:
    """As the worker holds a record after a rebuild: the table's key decoded apart from the record."""
    record = RecentArticle.model_validate_json(value)
    table.put(record.id.encode().decode(), value)
    recent.add(record)


def rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def warm_up(paths: Sequence[Path]) -> None:
    """Lazy imports, pydantic's and numpy's first-call work, out of the baseline's way."""
    recent, table = new_recent(), Table()
    for number, value in enumerate(record_lines(paths)):
        if number == 50:
            break
        hold(recent, table, value)
    del recent, table
    gc.collect()


@dataclass
class Heap:
    """Bytes tracing saw kept while `held` articles were held, by structure."""

    held: int
    table: int = 0  # the JSON values, the keys, both dicts' slots
    records: int = 0  # the parsed RecentArticles
    lookups: int = 0  # what RecentArticles.add keeps besides the record, the LSH included
    lsh: int = 0  # the index as built from the records' fingerprints
    distinct_lsh: int = 0  # an index of as many distinct signatures, as distinct stories give
    lsh_singles: float = 0.0  # share of the records' band entries alone in their bucket
    related_per_record: float = 0.0  # bytes of a parsed record's Related list


def measure_heap(paths: Sequence[Path], held: int) -> Heap:
    """Fill under tracemalloc; runs in a fresh process (see the module docstring)."""
    warm_up(paths)
    recent, table, heap = new_recent(), Table(), Heap(held)
    lines = record_lines(paths)
    tracemalloc.start()
    while len(recent) < held:
        _hold_traced(recent, table, next(lines), heap)
    heap.lsh_singles = _singles_share(recent.near_duplicates)
    heap.lsh = _dropped_bytes(recent)
    heap.distinct_lsh = _distinct_index_bytes(list(recent.articles), seed=held)
    heap.related_per_record = _related_bytes(list(table.data.values())[-CHUNK:])
    tracemalloc.stop()
    return heap


def _traced() -> int:
    return tracemalloc.get_traced_memory()[0]


def _hold_traced(recent: RecentArticles, table: Table, value: str, heap: Heap) -> None:
    """`hold`, with what each step kept added to `heap`.

    `value` counts as the table's, and so does the UTF-8 copy of it that parsing leaves
    cached inside a non-ASCII str (CPython keeps it as long as the str lives).
    """
    read = sys.getsizeof(value)
    start = _traced()
    record = RecentArticle.model_validate_json(value)
    parsed = _traced()
    table.put(record.id.encode().decode(), value)
    put = _traced()
    recent.add(record)
    cached = sys.getsizeof(value) - read
    heap.records += parsed - start - cached
    heap.table += put - parsed + read + cached
    heap.lookups += _traced() - put


def _singles_share(index: NearDuplicateIndex) -> float:
    """datasketch's internals, read only here: band entries alone in their bucket, of all."""
    buckets = [ids for table in index._lsh.hashtables for ids in table._dict.values()]
    entries = sum(len(ids) for ids in buckets)
    return sum(1 for ids in buckets if len(ids) == 1) / entries if entries else 0.0


def _dropped_bytes(recent: RecentArticles) -> int:
    """The index's exact size: what tracing sees freed when it goes (the ids stay with the records)."""
    before = _traced()
    recent.near_duplicates = NearDuplicateIndex(recent.threshold)
    gc.collect()
    return before - _traced()


def _distinct_index_bytes(ids: Sequence[str], seed: int) -> int:
    values = _random_signatures(len(ids), seed)
    before = _traced()
    index = NearDuplicateIndex(DEFAULTS.near_duplicate_threshold)
    for held_id, value in zip(ids, values, strict=True):
        index.add(held_id, value)
    return _traced() - before


def _random_signatures(count: int, seed: int) -> list[Fingerprint]:
    generator = np.random.default_rng(seed)
    rows = generator.integers(0, 2**32 - 1, (count, NUM_PERM), dtype="<u4")
    return [Fingerprint(row.tobytes()) for row in rows]


def _related_bytes(values: Sequence[str]) -> float:
    """What the Related lists add to parsed records: the same records parsed with and without."""
    bare = [json.dumps({**json.loads(value), "related": []}) for value in values]
    return (_parsed_bytes(values) - _parsed_bytes(bare)) / len(values) if values else 0.0


def _parsed_bytes(values: Sequence[str]) -> int:
    before = _traced()
    records = [RecentArticle.model_validate_json(value) for value in values]
    grown = _traced() - before
    del records
    return grown


@dataclass
class LinkStep:
    held: int
    rss_bytes: int
    fill_s: float
    link_s: list[float] = field(default_factory=list)
    nominated: list[int] = field(default_factory=list)  # held articles the shared terms nominate, per call
    lookup_s: list[float] = field(default_factory=list)  # the near-copy lookup link() starts with, per call
    updates: list[int] = field(default_factory=list)  # older Related lists changed, per call


def measure_rss_and_link(
    paths: Sequence[Path], steps: Sequence[int], inputs: Sequence[str], budget_s: float, spacing_s: float
) -> list[LinkStep]:
    """Fill untraced, RSS at each step, then time link(); runs in a fresh process."""
    warm_up(paths)
    analysed = [AnalysedArticle.model_validate_json(value) for value in inputs]
    recent, table, found = new_recent(), Table(), []
    lines = record_lines(paths)
    gc.collect()
    baseline = rss_bytes()
    for held in steps:
        began = time.perf_counter()
        while len(recent) < held:
            hold(recent, table, next(lines))
        fill_s = time.perf_counter() - began
        gc.collect()
        step = LinkStep(held, rss_bytes() - baseline, fill_s)
        time_links(step, recent, analysed, budget_s, EPOCH + timedelta(seconds=held * spacing_s))
        found.append(step)
    return found


def time_links(
    step: LinkStep,
    recent: RecentArticles,
    analysed: Sequence[AnalysedArticle],
    budget_s: float,
    published_at: datetime,
) -> None:
    """Calls until the budget is spent (at least MIN_LINK_CALLS), each undone after its timing."""
    spent = 0.0
    while len(step.link_s) < MAX_LINK_CALLS and (spent < budget_s or len(step.link_s) < MIN_LINK_CALLS):
        number = len(step.link_s)
        newcomer = newcomer_article(analysed[number % len(analysed)], number, published_at)
        held_before = dict(recent.articles)
        began = time.perf_counter()
        outcome = link(newcomer, recent, DEFAULTS.links, datetime.now(UTC))
        step.link_s.append(time.perf_counter() - began)
        spent += step.link_s[-1]
        if outcome.dropped:
            raise RuntimeError(f"link() expired {len(outcome.dropped)} held articles: the state moved")
        record = outcome.stored[-1]
        step.nominated.append(len(nominated(record, recent)))
        step.updates.append(len(outcome.updates))
        recent.remove(record.id)
        for update in outcome.updates:
            recent.replace(held_before[update.article_id])
        step.lookup_s.append(near_copy_lookup_s(recent, newcomer))


def near_copy_lookup_s(recent: RecentArticles, newcomer: AnalysedArticle) -> float:
    """link()'s LSH query alone: templated bench bodies share buckets, so it grows with the state here."""
    began = time.perf_counter()
    recent.near_duplicates.candidates(loads_fingerprint(newcomer.fingerprint))
    return time.perf_counter() - began


def newcomer_article(analysed: AnalysedArticle, number: int, published_at: datetime) -> AnalysedArticle:
    """A sample article under a new id, published after every held record."""
    article = analysed.enriched.article.model_copy(
        update={"id": f"bench-state-newcomer-{number:06d}", "published_at": published_at}
    )
    return analysed.model_copy(update={"enriched": analysed.enriched.model_copy(update={"article": article})})


def analysed_sample(count: int) -> list[AnalysedArticle]:
    analyser = Analyser.load(batch_size=DEFAULTS.batch_size)
    results = analyser.analyse_batch(raw_articles(count), datetime.now(UTC))
    errors = [r for r in results if isinstance(r, Exception)]
    if errors:
        raise RuntimeError(f"the NER sample failed: {errors[0]!r}")
    return [r for r in results if isinstance(r, AnalysedArticle)]


def per_article(total: float, held: int) -> float:
    return total / held if held else 0.0


def slope(points: Sequence[tuple[int, float]]) -> float:
    """Bytes per article between the first and last step: the fixed costs cancel out."""
    (first_n, first_b), (last_n, last_b) = points[0], points[-1]
    return (last_b - first_b) / (last_n - first_n) if last_n > first_n else per_article(last_b, last_n)


def common_terms(sample: Sequence[Profile], top: int = 3) -> dict[str, float]:
    """The terms most of the sample carries: each nominates only its newest holders (see recent.py)."""
    carried = Counter(
        term for p in sample for term in {*(f"e:{n}" for n in p.entities), *(f"k:{w}" for w in p.keywords)}
    )
    return {term: round(count / len(sample), 2) for term, count in carried.most_common(top)}


def run(ctx: Context) -> BenchmarkResult:
    steps = SMOKE_STEPS if ctx.smoke else tuple(max(1, round(n * ctx.scale)) for n in FULL_STEPS)
    budget_s = SMOKE_LINK_BUDGET_S if ctx.smoke else FULL_LINK_BUDGET_S
    spacing_s = DEFAULTS.recent_window.total_seconds() * WINDOW_SHARE / steps[-1]
    progress(f"analysing the NER sample ({SMOKE_SAMPLE if ctx.smoke else FULL_SAMPLE} articles)")
    sample = analysed_sample(SMOKE_SAMPLE if ctx.smoke else FULL_SAMPLE)
    plan = Plan(profiles(sample), sample[0].enriched.article, spacing_s, DEFAULTS.links_k)
    progress(f"building {steps[-1]:,} records to hold (a real fingerprint each, one process per CPU)")
    began = time.perf_counter()
    paths = build_files(plan, steps[-1], ctx.logs_dir / "recent-state")
    build_s = time.perf_counter() - began
    try:
        progress(f"built in {build_s:.0f}s; heap by structure, under tracemalloc, at {steps[0]:,} held")
        heap = in_fresh_process(measure_heap, paths, steps[0])
        progress(f"RSS and link() at {', '.join(f'{n:,}' for n in steps)} held, untraced")
        inputs = [a.model_dump_json() for a in sample]
        linked = in_fresh_process(measure_rss_and_link, paths, steps, inputs, budget_s, spacing_s)
    finally:
        for path in paths:
            path.unlink(missing_ok=True)
    result = BenchmarkResult("state", BENCHMARK_TITLE)
    result.params = {"ner_sample": len(sample), "build_s": round(build_s, 1), **figures(heap, linked)}
    result.params["sample_common_terms"] = common_terms(plan.profiles)
    result.measurements = measurements(heap, linked)
    return result


def figures(heap: Heap, linked: Sequence[LinkStep]) -> dict[str, Any]:
    """The heap split at the first step; RSS growth at every step; the window RSS target leaves."""
    lsh_gap = per_article(heap.distinct_lsh - heap.lsh, heap.held)  # templated bodies share buckets
    split = {
        "table_json_and_slots": per_article(heap.table, heap.held),
        "records": per_article(heap.records, heap.held),
        "of_which_related_lists": heap.related_per_record,
        "lookups_without_lsh": per_article(heap.lookups - heap.lsh, heap.held),
        "lsh_distinct_stories": per_article(heap.distinct_lsh, heap.held),
        "lsh_bench_bodies": per_article(heap.lsh, heap.held),
    }
    heap_total = sum(split[k] for k in ("table_json_and_slots", "records", "lookups_without_lsh"))
    heap_total += split["lsh_distinct_stories"]
    rss = slope([(s.held, s.rss_bytes) for s in linked]) + lsh_gap
    fits = int((TARGET_RSS_MB - BASELINE_RSS_MB) * MB / rss) if rss > 0 else 0
    return {
        "heap_bytes_per_article": {k: round(v) for k, v in {**split, "total": heap_total}.items()},
        "heap_measured_at": heap.held,
        "lsh_bench_bodies_entries_alone_in_bucket": round(heap.lsh_singles, 3),
        "rss_growth_mb": {s.held: round(s.rss_bytes / MB, 1) for s in linked},
        "rss_bytes_per_article": round(rss),
        "mb_per_100k_articles_heap": round(heap_total * 100_000 / MB),
        "mb_per_100k_articles_rss": round(rss * 100_000 / MB),
        "baseline_rss_mb_assumed": BASELINE_RSS_MB,
        "articles_held_within_600MB": fits,
        "articles_per_day_within_600MB_at_72h": round(fits * 24 / DEFAULTS.recent_window_hours),
        "link_ms_p50": {s.held: round(latency_summary(s.link_s)["p50"], 1) for s in linked},
        "near_copy_lookup_ms_p50": {s.held: round(latency_summary(s.lookup_s)["p50"], 1) for s in linked},
        "link_less_lookup_ms_p50": {s.held: round(_less_lookup_p50_ms(s), 1) for s in linked},
    }


def _less_lookup_p50_ms(step: LinkStep) -> float:
    return latency_summary([a - b for a, b in zip(step.link_s, step.lookup_s, strict=True)])["p50"]


def measurements(heap: Heap, linked: Sequence[LinkStep]) -> list[Measurement]:
    found, previous = [], 0
    for step in linked:
        added, previous = step.held - previous, step.held
        rss = f"RSS +{step.rss_bytes / MB:,.1f} MB over the baseline"
        found.append(
            Measurement(
                name=f"hold_{step.held}",
                label=f"parse + hold, up to {step.held:,} held (ensure_state's rebuild work)",
                articles=added,
                seconds=step.fill_s,
                notes=f"{rss} ({per_article(step.rss_bytes, step.held):,.0f} B an article)",
            )
        )
        found.append(
            Measurement(
                name=f"link_{step.held}",
                label=f"link() with {step.held:,} held",
                articles=len(step.link_s),
                seconds=sum(step.link_s),
                latency_ms=latency_summary(step.link_s),
                notes=(
                    f"{statistics.mean(step.nominated):,.0f} held articles nominated by the terms shared"
                    f" with the newcomer (at most {MAX_SCORED} scored);"
                    f" {statistics.mean(step.updates):,.0f} older Related lists change a call"
                ),
            )
        )
    return found


BENCHMARK_TITLE = "Enrich linking state: memory per article held, link() time"
BENCHMARK = Benchmark("state", BENCHMARK_TITLE, run)
