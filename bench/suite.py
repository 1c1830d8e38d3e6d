"""The benchmarks `python -m bench` knows, in the order they run. Add new ones here.

The order matters because they share one Kafka: index needs `articles.enriched` to hold
only its own records, so it runs before enrich (whose worker leaves records there); e2e
empties every pipeline topic itself; peer indexes what e2e's enrich worker produced.
state uses no server: it sits beside enrich, whose worker's memory it explains.
"""

from __future__ import annotations

from bench import end_to_end, enrich_throughput, index_throughput, ingest_throughput, peer, recent_state
from bench.harness import Benchmark

BENCHMARKS: list[Benchmark] = [
    ingest_throughput.BENCHMARK,
    index_throughput.BENCHMARK,
    enrich_throughput.BENCHMARK,
    recent_state.BENCHMARK,
    end_to_end.BENCHMARK,
    peer.BENCHMARK,
]
