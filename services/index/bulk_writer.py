"""Elasticsearch adapter: read what a batch touches, bulk-write it, and settle every item on its own.

A batch is written in waves (each document once per wave, services/index/writes.py). Each
wave reads the documents it touches with one `_mget`, plans every request against what it
read, and sends one bulk request. Elasticsearch answers per item. One item's 429 or 5xx is
retried alone, with exponential backoff and jitter; a version conflict on a revision means
a newer one is already there (superseded, not an error); a conflict on a guarded write (a
link update, a placeholder) means the document changed since the read, so it is read and
planned again; any other 4xx is a rejection the caller sends to the dead-letter topic. The
call returns only when every item is settled, so the caller may commit its offsets then.

A large wave goes out as `concurrency` bulk requests side by side, split by document: a
wave names each document once, so the parts are independent, and Elasticsearch indexes
each request on a write thread of its own, where one request keeps one thread busy (on
two cores, two parts indexed ~1.7x as fast as one request; bench/index_throughput.py).
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, cast

from elastic_transport import ConnectionError as TransportConnectionError
from elastic_transport import ConnectionTimeout
from elasticsearch import ApiError, Elasticsearch
from pydantic_core import to_json

from services.index.mapping import IndexNames, load_index_body
from services.index.writes import (
    READ_FIELDS,
    Action,
    IndexRequest,
    LinkRequest,
    Stored,
    WriteRequest,
    coalesce,
    plan,
    waves,
)

__all__ = [
    "BulkWriter",
    "ElasticsearchUnavailable",
    "IndexRequest",
    "LinkRequest",
    "MappingVersionMismatch",
    "Prepared",
    "StoredById",
    "WriteReport",
    "backoff_delay",
    "classify",
    "parts",
]

log = logging.getLogger(__name__)

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})

# Of a bulk answer only what settles each item: less for Elasticsearch to write and us to parse.
BULK_ANSWER = ["items.*.status", "items.*.error"]

StoredById = dict[str, Stored | None]  # what read() found per document id (None: no document)


@dataclass(frozen=True)
class Planned:
    """One bulk request's worth: each request with its action, and the serialised body."""

    actions: list[tuple[WriteRequest, Action]]
    body: bytes


@dataclass
class WriteReport:
    written: int = 0
    superseded: int = 0
    retried: int = 0
    rejected: list[tuple[WriteRequest, str, str]] = field(
        default_factory=list
    )  # (request, error type, reason)

    def add(self, other: WriteReport) -> None:
        self.written += other.written
        self.superseded += other.superseded
        self.retried += other.retried
        self.rejected += other.rejected


def classify(item: dict[str, Any], on_conflict: str = "superseded") -> str:
    """One bulk item's answer as 'ok', 'superseded' / 'replan' (a conflict), 'retry', 'missing' or 'reject'.

    'missing' is an update whose document is gone (the writer plans it again).
    """
    status = int(item.get("status", 0))
    if 200 <= status < 300:
        return "ok"
    if status == 404 and (item.get("error") or {}).get("type") == "document_missing_exception":
        return "missing"
    if status == 409:
        return on_conflict
    if status in RETRYABLE_STATUS:
        return "retry"
    return "reject"


def backoff_delay(
    attempt: int, initial_s: float, max_s: float, rand: Callable[[], float] = random.random
) -> float:
    """Full jitter: a random wait up to an exponentially growing cap."""
    return rand() * min(max_s, initial_s * (2**attempt))


def ndjson(lines: Iterable[Any]) -> bytes:
    """A bulk body, serialised by pydantic-core: about three times faster than the json module,
    which serialising the documents is the indexer's largest single cost after parsing them."""
    return b"".join(to_json(line) + b"\n" for line in lines)


# A wave smaller than two of these goes out whole: splitting it would only add a request.
MIN_PART = 50


def parts(wave: list[WriteRequest], concurrency: int) -> list[list[WriteRequest]]:
    """The wave split into up to `concurrency` requests of at least MIN_PART documents."""
    n = max(1, min(concurrency, len(wave) // MIN_PART))
    return [wave[i::n] for i in range(n)]


@dataclass
class Prepared:
    """A batch ready to send: its waves, the first one's parts planned when its documents were known."""

    report: WriteReport
    waves: list[list[WriteRequest]]
    first: list[Planned] | None = None


class ElasticsearchUnavailable(Exception):
    """Elasticsearch did not answer at all (down, or the connection failed)."""


class MappingVersionMismatch(Exception):
    """The write alias points at an index of another mapping version: a reindex has to move it first."""


class BulkWriter:
    def __init__(
        self,
        client: Elasticsearch,
        names: IndexNames,
        *,
        retry_initial_s: float = 0.2,
        retry_max_s: float = 30.0,
        stop: threading.Event | None = None,
        target: str | None = None,
        concurrency: int = 1,
    ) -> None:
        self._es = client
        self._names = names
        # Where writes go: the write alias, or (while reindexing) the new index directly.
        self._target = target or names.write_alias
        self._retry_initial_s = retry_initial_s
        self._retry_max_s = retry_max_s
        self._stop = stop or threading.Event()
        self._concurrency = concurrency
        self._pool: ThreadPoolExecutor | None = None  # parts beyond the first, sent side by side
        self._pool_lock = threading.Lock()

    def ensure_index(self) -> None:
        """Create the concrete index and point both aliases at it, if that is not done yet.

        The aliases come from IndexNames.aliases(), so the read alias's withdrawn filter is
        defined once and is part of the index from its first moment. Aliases that exist are
        left alone (they may point at a reindexed generation), but only if that index has
        this mapping version: documents of one version are refused by another's strict
        mapping, and writing them anyway would send every article to the dead-letter topic.
        """
        if self._es.indices.exists_alias(name=self._names.write_alias):
            indices = list(self._es.indices.get_alias(name=self._names.write_alias))
            if not all(self._names.holds_version(index) for index in indices):
                raise MappingVersionMismatch(
                    f"{self._names.write_alias} points at {indices}, not at a v{self._names.version} index: "
                    f"run `python -m services.index reindex` to build one and move the aliases"
                )
            return
        body = load_index_body(self._names.version)
        try:
            self._es.indices.create(
                index=self._names.concrete,
                settings=body["settings"],
                mappings=body["mappings"],
                aliases=self._names.aliases(),
            )
        except ApiError as exc:
            if exc.meta.status != 400 or "resource_already_exists" not in str(exc):
                raise

    def write(self, requests: list[WriteRequest], known: StoredById | None = None) -> WriteReport:
        """Write all requests; return once each is written, superseded or rejected.

        Raises ElasticsearchUnavailable when the cluster cannot be reached; the
        caller keeps its offsets and tries the same batch again later (every write
        is safe to repeat).
        """
        return self.send(self.prepare(requests, known))

    def prepare(self, requests: list[WriteRequest], known: StoredById | None = None) -> Prepared:
        """Split a batch into waves and, when `known` holds its documents, plan the first one.

        `known` is what read() answered for these documents when the caller read them ahead
        (while the previous batch was being written): the first bulk request is then planned
        and serialised ahead too, and goes out the moment the previous one is settled.
        """
        report = WriteReport()
        kept, dropped = coalesce(requests)
        report.superseded += len(dropped)
        split = waves(kept)
        first = None
        if split and known is not None and all(r.doc_id in known for r in kept):
            first = [self._plan(part, known, report) for part in parts(split[0], self._concurrency)]
        return Prepared(report, split, first)

    def send(self, prepared: Prepared) -> WriteReport:
        """Write a prepared batch, wave by wave, each until every item is settled."""
        for number, wave in enumerate(prepared.waves):
            split = parts(wave, self._concurrency)
            planned = prepared.first if number == 0 and prepared.first else [None] * len(split)
            if len(split) == 1:
                self._write_wave(split[0], prepared.report, planned[0])
                continue
            reports = [WriteReport() for _ in split]
            self._side_by_side(list(zip(split, reports, planned, strict=True)))
            for report in reports:
                prepared.report.add(report)
        return prepared.report

    def _side_by_side(self, jobs: list[tuple[list[WriteRequest], WriteReport, Planned | None]]) -> None:
        """Write the parts of a wave at once: the first in this thread, the others on the part pool.

        The pool lives as long as the writer: starting two threads for every batch (and a
        hand-off to each) cost a few milliseconds during which Elasticsearch had nothing to
        do. Returns only when every part is done, also when one failed, so that a batch
        written again never overlaps a part of itself still in flight.
        """
        others = [self._part_pool().submit(self._write_wave, *job) for job in jobs[1:]]
        failure: BaseException | None = None
        try:
            self._write_wave(*jobs[0])
        except BaseException as exc:
            failure = exc
        for future in others:
            try:
                future.result()
            except BaseException as exc:
                failure = failure or exc
        if failure is not None:
            raise failure  # Elasticsearch unavailable: the caller writes the batch again

    def _part_pool(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self._concurrency - 1, thread_name_prefix="bulk-part")
            return self._pool

    def close(self) -> None:
        """Stop the part pool's threads (the Elasticsearch client is the caller's to close)."""
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)

    def read(self, ids: Iterable[str]) -> StoredById:
        """The stored state of each document, read in real time (unrefreshed writes included)."""
        unique = list(dict.fromkeys(ids))
        response = self._call(
            lambda: self._es.mget(index=self._target, ids=unique, source_includes=READ_FIELDS)
        )
        if response is None:
            raise ElasticsearchUnavailable("mget refused")
        return {doc["_id"]: Stored.from_mget(doc) for doc in response["docs"]}

    def _plan(self, pending: list[WriteRequest], stored: StoredById, report: WriteReport) -> Planned:
        """Each request's action against what was read, and the bulk body that carries them."""
        planned: list[tuple[WriteRequest, Action]] = []
        for request in pending:
            action = plan(request, stored.get(request.doc_id))
            if action is None:
                report.superseded += 1
            else:
                planned.append((request, action))
        body = ndjson(
            line
            for request, action in planned
            for line in (
                {action.op: {"_index": self._target, "_id": request.doc_id, **action.params}},
                action.body,
            )
        )
        return Planned(planned, body)

    def _write_wave(self, wave: list[WriteRequest], report: WriteReport, first: Planned | None) -> None:
        pending = wave
        attempt = 0
        while pending:
            if first is None:
                first = self._plan(pending, self.read(r.doc_id for r in pending), report)
            planned, body = first.actions, first.body
            first = None  # a retry plans on a fresh read
            items = self._bulk(body, len(planned)) if planned else []
            retry: list[WriteRequest] = []
            replan: list[WriteRequest] = []
            for (request, action), item in zip(planned, items, strict=True):
                outcome = classify(item, action.on_conflict)
                if outcome == "ok":
                    report.written += 1
                elif outcome == "superseded":
                    report.superseded += 1
                elif outcome == "retry":
                    retry.append(request)
                elif outcome in ("replan", "missing"):
                    replan.append(request)  # changed since the read: read it again
                else:
                    error = item.get("error") or {}
                    report.rejected.append(
                        (request, str(error.get("type", "error")), str(error.get("reason", error)))
                    )
            report.retried += len(retry) + len(replan)
            if retry:
                delay = backoff_delay(attempt, self._retry_initial_s, self._retry_max_s)
                log.warning("retrying bulk items", extra={"items": len(retry), "delay_s": round(delay, 3)})
                if self._stop.wait(delay):
                    raise ElasticsearchUnavailable("stopped while retrying")
                attempt += 1
            pending = retry + replan

    def _bulk(self, body: bytes, count: int) -> list[dict[str, Any]]:
        # The client takes a serialised body as it is (its typing only names the list form).
        operations = cast(list[dict[str, Any]], body)
        response = self._call(
            lambda: self._es.bulk(operations=operations, refresh=False, filter_path=BULK_ANSWER)
        )
        if response is None:  # the whole request was refused: retry all of it
            return [{"status": 503, "error": {"type": "bulk_refused"}} for _ in range(count)]
        return [next(iter(item.values())) for item in response["items"]]

    @staticmethod
    def _call(request: Callable[[], Any]) -> Any:
        """Run one request; None when Elasticsearch refused it as a whole with a retryable status."""
        try:
            return request()
        except (TransportConnectionError, ConnectionTimeout) as exc:
            raise ElasticsearchUnavailable(str(exc)) from exc
        except ApiError as exc:
            if exc.meta.status in RETRYABLE_STATUS:
                return None
            raise
