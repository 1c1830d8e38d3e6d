"""The benchmarks `python -m bench` knows, in the order they run. Add new ones here."""

from __future__ import annotations

from bench import enrich_throughput, index_throughput, ingest_throughput
from bench.harness import Benchmark

BENCHMARKS: list[Benchmark] = [
    ingest_throughput.BENCHMARK,
    enrich_throughput.BENCHMARK,
    index_throughput.BENCHMARK,
]
