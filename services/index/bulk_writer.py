"""Elasticsearch adapter: read what a batch touches, bulk-write it, and settle every item on its own.

A batch is written in waves (each document once per wave, services/index/writes.py). Each
wave reads the documents it touches with one `_mget`, plans every request against what it
read, and sends one bulk request. Elasticsearch answers per item. One item's 429 or 5xx is
retried alone, with exponential backoff and jitter; a version conflict on a revision means
a newer one is already there (superseded, not an error); a conflict on a guarded write (a
link update, a placeholder) means the document changed since the read, so it is read and
planned again; any other 4xx is a rejection the caller sends to the dead-letter topic. The
call returns only when every item is settled, so the caller may commit its offsets then.

Elasticsearch may also refuse a request as a whole: a 400 when it cannot parse or accept
one action line (a version beyond a long, an id over 512 bytes), a 413 when the body is too
large. That answer names no item, and the same request sent again is refused again, for
ever. So the request is split in halves, each sent on its own, down to the single items
still refused: those are rejections like any other, and the rest is written. One bad item
costs two requests per halving (2 * ceil(log2 n) + 1 for a part of n). The `_mget` read is
split the same way (Elasticsearch answers a bad id in its document, but a read too large is
refused whole); a request whose document cannot be read is rejected. Any other refusal of
a whole request (credentials, privileges, a wrong address) is nothing a record can cause:
splitting would reject every record, so it is reported as Elasticsearch unavailable, and
the caller waits and tries again as in an outage.

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
from typing import Any, TypeVar, cast

from elastic_transport import ConnectionError as TransportConnectionError
from elastic_transport import ConnectionTimeout
from elasticsearch import ApiError, Elasticsearch
from pydantic_core import to_json

from services.common.errors import ElasticsearchUnavailable, MappingVersionMismatch, Refused
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
    "Refused",
    "StoredById",
    "WriteReport",
    "backoff_delay",
    "bisect",
    "classify",
    "parts",
    "refusal",
]

log = logging.getLogger(__name__)

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
# Whole-request refusals that what the request carries can cause: one line Elasticsearch
# cannot parse or accept (400), or a body too large (413). Split to find the items at fault.
REFUSED_FOR_CONTENT = frozenset({400, 413})

# Of a bulk answer only what settles each item: less for Elasticsearch to write and us to parse.
BULK_ANSWER = ["items.*.status", "items.*.error"]

StoredById = dict[str, Stored | None]  # what read() found per document id (None: no document)
PlannedAction = tuple[WriteRequest, Action]

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Planned:
    """One bulk request's worth: each request with its action, and the serialised body."""

    actions: list[PlannedAction]
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


def refusal(exc: ApiError) -> Refused:
    """The error type and reason of Elasticsearch's error body; the status when it has none.

    A 413 comes from the HTTP layer, before any parsing, with no body at all.
    """
    status = exc.meta.status
    error = exc.body.get("error") if isinstance(exc.body, dict) else None
    if isinstance(error, dict):
        return Refused(status, str(error.get("type", f"http_{status}")), str(error.get("reason", error)))
    if isinstance(error, str):
        return Refused(status, f"http_{status}", error)
    return Refused(status, f"http_{status}", f"Elasticsearch refused the whole request with HTTP {status}")


def bisect(
    items: list[T], send: Callable[[list[T]], list[R]]
) -> tuple[list[tuple[T, R]], list[tuple[T, Refused]]]:
    """(answered, refused): each item with its answer, or with the refusal it met alone.

    `send` makes one request of the items and answers one result per item, in order, or
    raises Refused. A refused request is split in halves, each sent (and split) on its
    own, so that k items at fault among n cost at most 1 + 2 * k * ceil(log2 n) requests.
    """
    if not items:
        return [], []
    try:
        return list(zip(items, send(items), strict=True)), []
    except Refused as refusal:
        if len(items) == 1:
            return [], [(items[0], refusal)]
    middle = (len(items) + 1) // 2
    answered, refused = bisect(items[:middle], send)
    more_answered, more_refused = bisect(items[middle:], send)
    return answered + more_answered, refused + more_refused


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
        """The stored state of each document, read in real time (unrefreshed writes included).

        A document whose read Elasticsearch refuses (see _read) is left out, so that a
        batch read ahead is planned again when it is written, and its request rejected then.
        """
        return self._read(ids)[0]

    def _read(self, ids: Iterable[str]) -> tuple[StoredById, dict[str, Refused]]:
        """What read() answers, and the ids whose read alone was refused as a whole."""
        answered, refused = bisect(list(dict.fromkeys(ids)), self._mget)
        if refused:
            log.warning(
                "mget refused as a whole; the requests for these documents are rejected",
                extra={"ids": len(refused), "error": refused[0][1].error_type},
            )
        stored = {doc["_id"]: Stored.from_mget(doc) for _, doc in answered}
        return stored, dict(refused)

    def _mget(self, ids: list[str]) -> list[dict[str, Any]]:
        """One `_mget`: a document per id, in the order of the ids."""
        response = self._call(lambda: self._es.mget(index=self._target, ids=ids, source_includes=READ_FIELDS))
        if response is None:
            raise ElasticsearchUnavailable("mget refused")
        return list(response["docs"])

    def _plan(self, pending: list[WriteRequest], stored: StoredById, report: WriteReport) -> Planned:
        """Each request's action against what was read, and the bulk body that carries them."""
        planned: list[PlannedAction] = []
        for request in pending:
            action = plan(request, stored.get(request.doc_id))
            if action is None:
                report.superseded += 1
            else:
                planned.append((request, action))
        return Planned(planned, self._body(planned))

    def _body(self, planned: list[PlannedAction]) -> bytes:
        return ndjson(
            line
            for request, action in planned
            for line in (
                {action.op: {"_index": self._target, "_id": request.doc_id, **action.params}},
                action.body,
            )
        )

    def _write_wave(self, wave: list[WriteRequest], report: WriteReport, first: Planned | None) -> None:
        pending = wave
        attempt = 0
        while pending:
            if first is None:
                stored, unread = self._read(r.doc_id for r in pending)
                for request in pending:
                    if request.doc_id in unread:
                        refusal = unread[request.doc_id]
                        report.rejected.append((request, refusal.error_type, refusal.reason))
                readable = [r for r in pending if r.doc_id not in unread]
                first = self._plan(readable, stored, report)
            planned = first
            first = None  # a retry plans on a fresh read
            answered, refused = self._send(planned)
            for (request, _), refusal in refused:
                report.rejected.append((request, refusal.error_type, refusal.reason))
            retry: list[WriteRequest] = []
            replan: list[WriteRequest] = []
            for (request, action), item in answered:
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

    def _send(
        self, planned: Planned
    ) -> tuple[list[tuple[PlannedAction, dict[str, Any]]], list[tuple[PlannedAction, Refused]]]:
        """Send a planned part: each action with its item's answer, or with the refusal it met alone.

        The part's own body (serialised ahead, maybe) goes out first; only the halves of a
        refused part are serialised again.
        """

        def send(actions: list[PlannedAction]) -> list[dict[str, Any]]:
            whole = len(actions) == len(planned.actions)  # a part as long as the whole is the whole
            return self._bulk(planned.body if whole else self._body(actions), len(actions))

        answered, refused = bisect(planned.actions, send)
        for (request, _), refusal in refused:
            log.warning(
                "bulk item refused as a whole request; rejected",
                extra={"id": request.doc_id, "error": refusal.error_type, "reason": refusal.reason[:500]},
            )
        return answered, refused

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
        """Run one request; None when Elasticsearch refused it as a whole with a retryable status.

        Raises Refused for a whole-request refusal its content can cause (the caller splits
        the request), and ElasticsearchUnavailable for any other: raising the ApiError
        would end the consumer, which would meet it again on the same batch after a restart.
        """
        try:
            return request()
        except (TransportConnectionError, ConnectionTimeout) as exc:
            raise ElasticsearchUnavailable(str(exc)) from exc
        except ApiError as exc:
            if exc.meta.status in RETRYABLE_STATUS:
                return None
            if exc.meta.status in REFUSED_FOR_CONTENT:
                raise refusal(exc) from exc
            raise ElasticsearchUnavailable(str(exc)) from exc
