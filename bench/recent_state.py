"""Enrich's linking state: memory per article held, and what `link()` costs as the state grows.

The enrich worker holds every article of the recent window (72 h by default) twice
(services/enrich/app.py): as a `RecentArticle` in `RecentArticles` (the record, its
MinHash LSH entry, and the term, headline, age and engagement lookups), in the heap, and
as the record's JSON in the Faust table, whose RocksDB store keeps it in files under the
worker's data folder: in memory only its write buffers (memtables), its block cache and
its SST files' index and filter blocks, with the sizes `TABLE_STORE_OPTIONS` gives. So
the window, times the feed's volume, sets the worker's memory beyond the model: this
benchmark measures the bytes per article held, how many articles the RSS target leaves
room for, what RocksDB keeps resident and on disk, and how `link()` (on the worker's
event loop, one article at a time) slows as the state grows. It needs no server (the
harness starts Kafka and Elasticsearch for the run all the same; this uses neither).

Table. Each process opens a RocksDB database of its own, in a folder under the bench
state folder that the run removes, as Faust's store opens it (faust's
`RocksDBOptions(**TABLE_STORE_OPTIONS).open`), and writes each record under the table's
codec (json, for `str` keys and values: the value is the record's JSON as a JSON string).
After each fill, the whole table is read back, as `ensure_state` reads it to rebuild the
lookups; that also fills the block cache up to its bound.

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
  allocations, split by the traced growth around each call (record, lookups), and the
  LSH by the traced drop when its index is let go. The table is written before tracing
  starts, and what its writes keep in the heap measured apart: RocksDB allocates outside
  Python's allocator, where tracing cannot see it (RSS counts it). Tracing slows
  allocation ~3x and its own trace table would swamp RSS, so it runs alone, and only to
  the first step: the bytes per article are flat (24.9, 24.5, 24.5 KB at 6k, 12k, 25k
  held in a trial, with the memory store's JSON then among them).
- RSS, untraced, at every step: the growth over the baseline taken after imports and a
  warm-up, after `gc.collect()`, with everything RocksDB keeps resident included: the
  baseline is taken before the store's module (and its native library) is imported and
  the database opened. This is what the worker's 600 MB target counts, allocator overhead
  included; its slope between the first and last step is the cost of one more article,
  and its intercept the fixed cost (RocksDB's bounded buffers and cache among it), both
  counted against the target. RocksDB's own account of its memory (memtables, block
  cache, table readers) is read at each step beside it, and the table's size on disk at
  the end, after a flush. `link()` is timed in this process, each call against the same
  state (the newcomer and the changes it made to older records are undone after it,
  outside the timing), for a time budget per step, because its cost grows with the state.

Bench bodies are templated: unrelated stories share stock sentences and so LSH band
buckets, far more than real ones (which share no shingle, see near_duplicates), which
makes their index smaller. An index of as many distinct signatures, as distinct stories
give, is measured beside it, and the totals, the per-100,000 figures and the 600 MB
window use that one. The same sharing makes link()'s first step, the LSH query for
near-copies, return thousands of candidates to check, growing with the state, where
distinct stories give a handful: its time is reported apart, and link() without it.
The full run holds up to 80,000 articles: about 6 minutes on 2 cores at a load average
of 3-5, 2.5 of them building the records; `--scale 1.25` makes it 25,000, 50,000 and
100,000.
"""

from __future__ import annotations

import gc
import itertools
import json
import multiprocessing
import random
import shutil
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
from faust.serializers import codecs

from bench.articles import submission
from bench.enrich_throughput import raw_articles
from bench.harness import Benchmark, BenchmarkResult, Context, Measurement, latency_summary, progress
from schemas.article import RawArticle
from schemas.article_id import article_id
from schemas.enriched import AnalysedArticle
from services.enrich.app import TABLE_STORE_OPTIONS
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


TABLE_CODEC = "json"  # what Faust's Table picks for `str` keys and values (Table._serializer_from_type)
ROCKSDB_MEMORY = {  # RocksDB's own account of what it keeps in memory
    "memtables": "rocksdb.size-all-mem-tables",
    "block_cache": "rocksdb.block-cache-usage",
    "table_readers": "rocksdb.estimate-table-readers-mem",  # SST index and filter blocks, outside the cache
}


def rocksdb_memory_bound() -> int:
    """What TABLE_STORE_OPTIONS let the memtables and the block cache hold at most."""
    options = TABLE_STORE_OPTIONS
    return options["write_buffer_size"] * options["max_write_buffer_number"] + options["block_cache_size"]


class Table:
    """The worker's table as Faust's RocksDB store keeps it: one database (the table has one
    partition), opened with Faust's options from TABLE_STORE_OPTIONS, keys and values encoded
    with the table's codec. Faust's store adds only a small LRU of key -> partition."""

    def __init__(self, path: Path) -> None:
        # Imported here, not with the module: the RSS baseline is taken before the store's
        # native library is loaded, so its growth counts all of it as the table's.
        from faust.stores.rocksdb import RocksDBOptions

        self.path = path
        options: dict[str, Any] = dict(TABLE_STORE_OPTIONS)  # as Faust's Table passes them on
        self.db = RocksDBOptions(**options).open(path)

    def put(self, key: str, value: str) -> None:
        self.db.put(codecs.dumps(TABLE_CODEC, key), codecs.dumps(TABLE_CODEC, value))

    def values(self) -> Iterator[str]:
        """Every value, as `recent_table.values()` gives them to `ensure_state`."""
        for raw in self.db.values():
            yield str(codecs.loads(TABLE_CODEC, raw))

    def memory(self) -> dict[str, int]:
        return {name: int(self.db.property_int_value(prop) or 0) for name, prop in ROCKSDB_MEMORY.items()}

    def disk_bytes(self) -> int:
        return sum(path.stat().st_size for path in self.path.rglob("*") if path.is_file())

    def flushed_sst_bytes(self) -> int:
        """The table's data on disk: its SST files once the memtables are flushed (no WAL)."""
        self.db.flush()
        return int(self.db.property_int_value("rocksdb.total-sst-files-size") or 0)

    def close(self) -> None:
        """Close the database and remove its folder."""
        self.db.close()
        shutil.rmtree(self.path, ignore_errors=True)


def new_recent() -> RecentArticles:
    return RecentArticles(DEFAULTS.recent_window, DEFAULTS.near_duplicate_threshold)


def record_lines(paths: Sequence[Path]) -> Iterator[str]:
    for path in paths:
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                yield line.rstrip("\n")


def hold(recent: RecentArticles, table: Table, value: str) -> None:
    """As the worker holds a record: its JSON written to the table, the record in the lookups."""
    record = RecentArticle.model_validate_json(value)
    table.put(record.id, value)
    recent.add(record)


def read_table(table: Table) -> float:
    """Read every value back, as `ensure_state` does before a rebuild; seconds taken."""
    began = time.perf_counter()
    for _ in table.values():
        pass
    return time.perf_counter() - began


def rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def warm_up(paths: Sequence[Path]) -> None:
    """Lazy imports, pydantic's and numpy's first-call work, out of the baseline's way.

    The table is left out: what opening and using RocksDB costs belongs to the growth."""
    recent = new_recent()
    for number, value in enumerate(record_lines(paths)):
        if number == 50:
            break
        recent.add(RecentArticle.model_validate_json(value))
    del recent
    gc.collect()


@dataclass
class Heap:
    """Bytes tracing saw kept while `held` articles were held, by structure."""

    held: int
    table: int = 0  # what the table's puts keep in the Python heap: RocksDB holds the values
    records: int = 0  # the parsed RecentArticles
    lookups: int = 0  # what RecentArticles.add keeps besides the record, the LSH included
    lsh: int = 0  # the index as built from the records' fingerprints
    distinct_lsh: int = 0  # an index of as many distinct signatures, as distinct stories give
    lsh_singles: float = 0.0  # share of the records' band entries alone in their bucket
    related_per_record: float = 0.0  # bytes of a parsed record's Related list


def measure_heap(paths: Sequence[Path], held: int, table_path: Path) -> Heap:
    """Fill under tracemalloc; runs in a fresh process (see the module docstring).

    The table is written first, untraced: its puts keep nothing in the Python heap, but
    Faust's json codec leaves a little garbage per call that only a full collection frees,
    and that would be freed in some other part of the split. What they keep is measured
    once instead, between two full collections.
    """
    warm_up(paths)
    recent, table, heap = new_recent(), Table(table_path), Heap(held)
    try:
        for value in itertools.islice(record_lines(paths), held):
            table.put(RecentArticle.model_validate_json(value).id, value)
        gc.collect()
        lines = record_lines(paths)
        last: deque[str] = deque(maxlen=CHUNK)
        tracemalloc.start()
        while len(recent) < held:
            last.append(next(lines))
            _hold_traced(recent, last[-1], heap)
        again = [(RecentArticle.model_validate_json(value).id, value) for value in last]
        heap.table = _kept_by_puts(table, again, held)
        del again
        heap.lsh_singles = _singles_share(recent.near_duplicates)
        heap.lsh = _dropped_bytes(recent)
        heap.distinct_lsh = _distinct_index_bytes(list(recent.articles), seed=held)
        heap.related_per_record = _related_bytes(list(last))
        tracemalloc.stop()
    finally:
        table.close()
    return heap


def _traced() -> int:
    return tracemalloc.get_traced_memory()[0]


def _hold_traced(recent: RecentArticles, value: str, heap: Heap) -> None:
    """`hold` without the table's write (done before), with what each step kept added to `heap`.

    The UTF-8 copy of `value` that parsing leaves cached inside a non-ASCII str is not the
    record's: it goes with `value`, which nothing keeps once the table has written it.
    """
    read = sys.getsizeof(value)
    start = _traced()
    record = RecentArticle.model_validate_json(value)
    parsed = _traced()
    recent.add(record)
    cached = sys.getsizeof(value) - read
    heap.records += parsed - start - cached
    heap.lookups += _traced() - parsed


def _kept_by_puts(table: Table, items: Sequence[tuple[str, str]], held: int) -> int:
    """What writing `items` (key, value) again keeps in the traced heap, scaled to `held` articles."""
    gc.collect()
    before = _traced()
    for key, value in items:
        table.put(key, value)
    gc.collect()
    return round(per_article(_traced() - before, len(items)) * held)


def _singles_share(index: NearDuplicateIndex) -> float:
    """Band entries alone in their bucket, of all (a bucket holds one id, or a list of them)."""
    sizes = [1 if isinstance(ids, str) else len(ids) for ids in index._bands.buckets()]
    entries = sum(sizes)
    return sizes.count(1) / entries if entries else 0.0


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
    read_s: float  # reading the whole table back, as ensure_state does
    rocksdb: dict[str, int]  # RocksDB's account of its memory (ROCKSDB_MEMORY)
    disk_bytes: int  # the table's folder, write-ahead log included
    link_s: list[float] = field(default_factory=list)
    nominated: list[int] = field(default_factory=list)  # held articles the shared terms nominate, per call
    lookup_s: list[float] = field(default_factory=list)  # the near-copy lookup link() starts with, per call
    updates: list[int] = field(default_factory=list)  # older Related lists changed, per call


@dataclass
class RssRun:
    steps: list[LinkStep]
    open_rss_bytes: int  # RSS growth from importing the store and opening the empty database
    sst_bytes: int  # the table's SST files after a final flush


def measure_rss_and_link(
    paths: Sequence[Path],
    steps: Sequence[int],
    inputs: Sequence[str],
    budget_s: float,
    spacing_s: float,
    table_path: Path,
) -> RssRun:
    """Fill untraced, RSS at each step, then time link(); runs in a fresh process."""
    warm_up(paths)
    analysed = [AnalysedArticle.model_validate_json(value) for value in inputs]
    recent, found = new_recent(), []
    lines = record_lines(paths)
    gc.collect()
    baseline = rss_bytes()
    table = Table(table_path)
    try:
        gc.collect()
        opened = rss_bytes() - baseline
        for held in steps:
            began = time.perf_counter()
            while len(recent) < held:
                hold(recent, table, next(lines))
            fill_s = time.perf_counter() - began
            read_s = read_table(table)
            gc.collect()
            step = LinkStep(held, rss_bytes() - baseline, fill_s, read_s, table.memory(), table.disk_bytes())
            time_links(step, recent, analysed, budget_s, EPOCH + timedelta(seconds=held * spacing_s))
            found.append(step)
        return RssRun(found, opened, table.flushed_sst_bytes())
    finally:
        table.close()


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
    analyser = Analyser.load()
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


def intercept(points: Sequence[tuple[int, float]]) -> float:
    """What the line through the first and last step gives at none held: the fixed cost."""
    first_n, first_b = points[0]
    return first_b - slope(points) * first_n if len(points) > 1 else 0.0


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
    directory = ctx.logs_dir / "recent-state"
    paths = build_files(plan, steps[-1], directory)
    build_s = time.perf_counter() - began
    tables = directory / "tables"  # each process's RocksDB table, removed with the records
    try:
        progress(f"built in {build_s:.0f}s; heap by structure, under tracemalloc, at {steps[0]:,} held")
        heap = in_fresh_process(measure_heap, paths, steps[0], tables / "heap")
        progress(f"RSS and link() at {', '.join(f'{n:,}' for n in steps)} held, untraced")
        inputs = [a.model_dump_json() for a in sample]
        linked = in_fresh_process(
            measure_rss_and_link, paths, steps, inputs, budget_s, spacing_s, tables / "rss"
        )
    finally:
        for path in paths:
            path.unlink(missing_ok=True)
        shutil.rmtree(tables, ignore_errors=True)
    result = BenchmarkResult("state", BENCHMARK_TITLE)
    result.params = {"ner_sample": len(sample), "build_s": round(build_s, 1), **figures(heap, linked)}
    result.params["sample_common_terms"] = common_terms(plan.profiles)
    result.measurements = measurements(heap, linked.steps)
    return result


def figures(heap: Heap, linked: RssRun) -> dict[str, Any]:
    """The heap split at the first step; RSS growth at every step; the window RSS target leaves."""
    steps = linked.steps
    lsh_gap = per_article(heap.distinct_lsh - heap.lsh, heap.held)  # templated bodies share buckets
    split = {
        "table_in_python_heap": per_article(heap.table, heap.held),
        "records": per_article(heap.records, heap.held),
        "of_which_related_lists": heap.related_per_record,
        "lookups_without_lsh": per_article(heap.lookups - heap.lsh, heap.held),
        "lsh_distinct_stories": per_article(heap.distinct_lsh, heap.held),
        "lsh_bench_bodies": per_article(heap.lsh, heap.held),
    }
    heap_total = sum(split[k] for k in ("table_in_python_heap", "records", "lookups_without_lsh"))
    heap_total += split["lsh_distinct_stories"]
    points = [(s.held, s.rss_bytes) for s in steps]
    rss = slope(points) + lsh_gap
    fixed = max(0.0, intercept(points))  # RocksDB's buffers and cache, the store's library, ...
    fits = int(((TARGET_RSS_MB - BASELINE_RSS_MB) * MB - fixed) / rss) if rss > 0 else 0
    last = steps[-1]
    return {
        "heap_bytes_per_article": {k: round(v) for k, v in {**split, "total": heap_total}.items()},
        "heap_measured_at": heap.held,
        "lsh_bench_bodies_entries_alone_in_bucket": round(heap.lsh_singles, 3),
        "rss_growth_mb": {s.held: round(s.rss_bytes / MB, 1) for s in steps},
        "rss_bytes_per_article": round(rss),
        "rss_fixed_mb": round(fixed / MB, 1),
        "rocksdb_open_rss_mb": round(linked.open_rss_bytes / MB, 1),
        "rocksdb_memory_mb": {s.held: round(sum(s.rocksdb.values()) / MB, 1) for s in steps},
        "rocksdb_memory_mb_at_last_step": {k: round(v / MB, 2) for k, v in last.rocksdb.items()},
        "rocksdb_memtables_and_cache_bound_mb": round(rocksdb_memory_bound() / MB, 1),
        "table_disk_mb": {s.held: round(s.disk_bytes / MB, 1) for s in steps},
        "table_sst_bytes_per_article": round(per_article(linked.sst_bytes, last.held)),
        "table_read_ms_per_1k_articles": {s.held: round(s.read_s * 1e6 / s.held, 1) for s in steps},
        "mb_per_100k_articles_heap": round(heap_total * 100_000 / MB),
        "mb_per_100k_articles_rss": round(rss * 100_000 / MB),
        "mb_per_100k_articles_disk": round(per_article(linked.sst_bytes, last.held) * 100_000 / MB),
        "baseline_rss_mb_assumed": BASELINE_RSS_MB,
        "articles_held_within_600MB": fits,
        "articles_per_day_within_600MB_at_72h": round(fits * 24 / DEFAULTS.recent_window_hours),
        "link_ms_p50": {s.held: round(latency_summary(s.link_s)["p50"], 1) for s in steps},
        "near_copy_lookup_ms_p50": {s.held: round(latency_summary(s.lookup_s)["p50"], 1) for s in steps},
        "link_less_lookup_ms_p50": {s.held: round(_less_lookup_p50_ms(s), 1) for s in steps},
    }


def _less_lookup_p50_ms(step: LinkStep) -> float:
    return latency_summary([a - b for a, b in zip(step.link_s, step.lookup_s, strict=True)])["p50"]


def measurements(heap: Heap, linked: Sequence[LinkStep]) -> list[Measurement]:
    found, previous = [], 0
    for step in linked:
        added, previous = step.held - previous, step.held
        rss = f"RSS +{step.rss_bytes / MB:,.1f} MB over the baseline"
        rocksdb = f"RocksDB reports {sum(step.rocksdb.values()) / MB:,.1f} MB in memory"
        found.append(
            Measurement(
                name=f"hold_{step.held}",
                label=f"parse + write + hold, up to {step.held:,} held (ensure_state's rebuild work)",
                articles=added,
                seconds=step.fill_s,
                notes=(
                    f"{rss} ({per_article(step.rss_bytes, step.held):,.0f} B an article); {rocksdb};"
                    f" {step.disk_bytes / MB:,.1f} MB on disk; the table read back in {step.read_s:.2f}s"
                ),
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
