"""Elasticsearch adapter: bulk-write documents and settle every item on its own.

Elasticsearch answers a bulk request per item. One item's 429 or 5xx is retried
alone, with exponential backoff and jitter; a version conflict means a newer
revision is already there (superseded, not an error); any other 4xx is a
rejection the caller sends to the dead-letter topic. The call returns only
when every item is settled, so the caller may commit its offsets then.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from elastic_transport import ConnectionError as TransportConnectionError
from elastic_transport import ConnectionTimeout
from elasticsearch import ApiError, Elasticsearch

from services.index.mapping import IndexNames, load_index_body

log = logging.getLogger(__name__)

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class IndexRequest:
    """One document to write, with what a dead letter would need to point back at it.

    A request with a `fallback` is a partial update (a withdrawal): it changes the stored
    document, and when there is none yet, the fallback document is indexed at `version`.
    """

    doc_id: str
    version: int
    document: dict[str, Any]
    source_ref: Any = None
    fallback: dict[str, Any] | None = None


@dataclass
class WriteReport:
    written: int = 0
    superseded: int = 0
    retried: int = 0
    rejected: list[tuple[IndexRequest, str, str]] = field(
        default_factory=list
    )  # (request, error type, reason)


def classify(item: dict[str, Any]) -> str:
    """One bulk item's answer as 'ok', 'superseded', 'retry', 'missing' (an update's target) or 'reject'."""
    status = int(item.get("status", 0))
    if 200 <= status < 300:
        return "ok"
    if status == 404 and (item.get("error") or {}).get("type") == "document_missing_exception":
        return "missing"
    if status == 409:
        return "superseded"
    if status in RETRYABLE_STATUS:
        return "retry"
    return "reject"


def backoff_delay(
    attempt: int, initial_s: float, max_s: float, rand: Callable[[], float] = random.random
) -> float:
    """Full jitter: a random wait up to an exponentially growing cap."""
    return rand() * min(max_s, initial_s * (2**attempt))


class ElasticsearchUnavailable(Exception):
    """Elasticsearch did not answer at all (down, or the connection failed)."""


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
    ) -> None:
        self._es = client
        self._names = names
        # Where writes go: the write alias, or (while reindexing) the new index directly.
        self._target = target or names.write_alias
        self._retry_initial_s = retry_initial_s
        self._retry_max_s = retry_max_s
        self._stop = stop or threading.Event()

    def ensure_index(self) -> None:
        """Create the concrete index and point both aliases at it, if that is not done yet.

        The aliases come from IndexNames.aliases(), so the read alias's withdrawn filter is
        defined once and is part of the index from its first moment.
        """
        if self._es.indices.exists_alias(name=self._names.write_alias):
            return  # the aliases may point at a reindexed generation: leave them be
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

    def write(self, requests: list[IndexRequest]) -> WriteReport:
        """Write all requests; return once each is written, superseded or rejected.

        Raises ElasticsearchUnavailable when the cluster cannot be reached; the
        caller keeps its offsets and tries the same batch again later.
        """
        report = WriteReport()
        pending = list(requests)
        attempt = 0
        while pending:
            items = self._bulk(pending)
            retry: list[IndexRequest] = []
            for request, item in zip(pending, items, strict=True):
                outcome = classify(item)
                if outcome == "ok":
                    report.written += 1
                elif outcome == "superseded":
                    report.superseded += 1
                elif outcome == "retry":
                    retry.append(request)
                elif outcome == "missing" and request.fallback is not None:
                    retry.append(replace(request, document=request.fallback, fallback=None))
                else:
                    error = item.get("error") or {}
                    report.rejected.append(
                        (request, str(error.get("type", "error")), str(error.get("reason", error)))
                    )
            if retry:
                report.retried += len(retry)
                delay = backoff_delay(attempt, self._retry_initial_s, self._retry_max_s)
                log.warning("retrying bulk items", extra={"items": len(retry), "delay_s": round(delay, 3)})
                if self._stop.wait(delay):
                    raise ElasticsearchUnavailable("stopped while retrying")
                attempt += 1
            pending = retry
        return report

    def _bulk(self, requests: list[IndexRequest]) -> list[dict[str, Any]]:
        operations: list[dict[str, Any]] = []
        for request in requests:
            target = {"_index": self._target, "_id": request.doc_id}
            if request.fallback is not None:
                operations += [{"update": target}, {"doc": request.document}]
            else:
                action = {**target, "version": request.version, "version_type": "external_gte"}
                operations += [{"index": action}, request.document]
        try:
            response = self._es.bulk(operations=operations, refresh=False)
        except (TransportConnectionError, ConnectionTimeout) as exc:
            raise ElasticsearchUnavailable(str(exc)) from exc
        except ApiError as exc:
            if exc.meta.status in RETRYABLE_STATUS:  # the whole request was refused: retry all of it
                return [{"status": exc.meta.status, "error": {"type": "bulk_refused"}} for _ in requests]
            raise
        return [next(iter(item.values())) for item in response["items"]]
