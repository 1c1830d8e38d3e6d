"""Ingest's Prometheus metrics, in a registry of the app's own (tests build many apps)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram


class IngestMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.accepted = Counter(
            "wirestream_ingest_accepted_total",
            "Articles acknowledged by Kafka.",
            ["endpoint"],
            registry=self.registry,
        )
        self.rejected = Counter(
            "wirestream_ingest_rejected_total",
            "Articles or requests refused, by reason.",
            ["reason"],
            registry=self.registry,
        )
        self.warnings = Counter(
            "wirestream_ingest_warnings_total",
            "Repairs made to accepted articles, by kind (see ingest_warnings in the answer).",
            ["code"],
            registry=self.registry,
        )
        self.publish_seconds = Histogram(
            "wirestream_ingest_publish_seconds",
            "Time from send to Kafka's acknowledgement of a request.",
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
