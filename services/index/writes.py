"""What the indexer sends for each request, given what the index holds: pure.

The Elasticsearch we run has no scripting (the integration-test distribution lacks
painless), so no write can compare a stored field on the server. Instead the writer reads
the documents a batch touches (one `_mget`), and each request becomes the action that is
right against what was read. Every outcome is then independent of the order in which the
three topics deliver (they are read side by side, and a reindex replays them interleaved):

- a revision is indexed at its external version, so an older revision is a conflict
  (superseded). Its sidebar links of a kind replace the stored ones only when they are
  newer (`links_issued_at`): a link update applied before the revision arrived, to an
  earlier revision or to a placeholder, survives it;
- a link update replaces one kind by a partial update, guarded by the `_seq_no` and
  `_primary_term` read with the document: when anything wrote the document since, the
  update conflicts and is planned again against a fresh read. An update not newer than
  the stored kind is superseded without a write;
- a link update for an article not indexed yet creates a placeholder (`create`, so it can
  never replace a document): hidden by the read alias, it keeps the links until the
  article arrives. Waiting for the article instead would hold the partition back, for
  ever if the article was dead-lettered;
- a withdrawal is the partial update it always was; on a placeholder it becomes the
  withdrawal stub (links kept) at the withdrawal's version, so that the withdrawn
  revision cannot resurrect the article when it arrives.

The gap that remains: between the read and the write another process (a reindex catching
up, or the member that takes a partition over) could apply a link update that the
revision then overwrites. One indexer process never races itself: a batch is written in
waves in which each document appears once, and the next batch is read only after it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from schemas.enriched import LinkKind
from services.index.documents import PLACEHOLDER

Conflict = Literal["superseded", "replan"]

# What the writer reads of a stored document: enough to merge links and spot a placeholder.
READ_FIELDS = ["status", "links", "links_issued_at"]


@dataclass(frozen=True)
class IndexRequest:
    """A document to index at an external version (a revision), or a withdrawal.

    A request with a `fallback` is a partial update (a withdrawal): it changes the stored
    document, and when there is none yet, the fallback document is indexed at `version`.
    """

    doc_id: str
    version: int
    document: dict[str, Any]
    source_ref: Any = None
    fallback: dict[str, Any] | None = None


@dataclass(frozen=True)
class LinkRequest:
    """One kind of sidebar links to replace; `fields` is documents.link_fields(...)."""

    doc_id: str
    kind: LinkKind
    issued_at: str
    fields: dict[str, Any]
    placeholder: dict[str, Any]
    source_ref: Any = None


WriteRequest = IndexRequest | LinkRequest


@dataclass(frozen=True)
class Stored:
    """The parts of a stored document a plan depends on."""

    seq_no: int
    primary_term: int
    status: str | None = None
    links: dict[str, Any] = field(default_factory=dict)
    links_issued_at: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_mget(cls, doc: dict[str, Any]) -> Stored | None:
        """One `_mget` answer (read with READ_FIELDS) as Stored, None when there is no document."""
        if not doc.get("found"):
            return None
        source = doc.get("_source") or {}
        return cls(
            seq_no=int(doc["_seq_no"]),
            primary_term=int(doc["_primary_term"]),
            status=source.get("status"),
            links=source.get("links") or {},
            links_issued_at=source.get("links_issued_at") or {},
        )


@dataclass(frozen=True)
class Action:
    """One bulk action: its type, its parameters beside `_index` and `_id`, its body."""

    op: Literal["index", "create", "update"]
    params: dict[str, Any]
    body: dict[str, Any]
    on_conflict: Conflict = "superseded"


def newer(a: str, b: str | None) -> bool:
    """Whether stored time `a` is later than `b` (None: never set)."""
    return b is None or datetime.fromisoformat(a) > datetime.fromisoformat(b)


def _external(version: int) -> dict[str, Any]:
    return {"version": version, "version_type": "external_gte"}


def with_newer_links(document: dict[str, Any], stored: Stored | None) -> dict[str, Any]:
    """The document, with every kind of links the index holds in a newer list than its own."""
    own = document.get("links_issued_at")
    if stored is None or own is None:
        return document
    kinds = [k for k, at in stored.links_issued_at.items() if k in own and newer(at, own[k])]
    if not kinds:
        return document
    links = {**document["links"], **{k: stored.links.get(k, []) for k in kinds}}
    issued = {**own, **{k: stored.links_issued_at[k] for k in kinds}}
    return {**document, "links": links, "links_issued_at": issued}


def plan(request: WriteRequest, stored: Stored | None) -> Action | None:
    """The action for a request against what the index holds; None when it is superseded already."""
    if isinstance(request, LinkRequest):
        return _plan_links(request, stored)
    if request.fallback is None:
        return Action("index", _external(request.version), with_newer_links(request.document, stored))
    return _plan_withdrawal(request, stored)


def _plan_links(request: LinkRequest, stored: Stored | None) -> Action | None:
    if stored is None:
        return Action("create", {}, request.placeholder, "replan")
    current = stored.links_issued_at.get(request.kind)
    if current is not None and not newer(request.issued_at, current):
        return None
    guard = {"if_seq_no": stored.seq_no, "if_primary_term": stored.primary_term}
    return Action("update", guard, {"doc": request.fields}, "replan")


def _plan_withdrawal(request: IndexRequest, stored: Stored | None) -> Action:
    assert request.fallback is not None
    if stored is None:
        return Action("index", _external(request.version), request.fallback)
    if stored.status == PLACEHOLDER:
        kept = {"links": stored.links, "links_issued_at": stored.links_issued_at}
        return Action("index", _external(request.version), {**request.fallback, **kept})
    return Action("update", {}, {"doc": request.document}, "replan")


def coalesce(requests: list[WriteRequest]) -> tuple[list[WriteRequest], list[WriteRequest]]:
    """(kept, superseded): of the link updates for one document and kind, only the newest is kept.

    Each carries the complete list of its kind, so the older ones could only lose; dropping
    them here spares a write wave each when one article collects many updates in a batch.
    """
    newest: dict[tuple[str, str], LinkRequest] = {}
    for request in requests:
        if isinstance(request, LinkRequest):
            key = (request.doc_id, request.kind)
            held = newest.get(key)
            if held is None or newer(request.issued_at, held.issued_at):
                newest[key] = request
    kept = [r for r in requests if not isinstance(r, LinkRequest) or newest[(r.doc_id, r.kind)] is r]
    dropped: list[WriteRequest] = [
        r for r in requests if isinstance(r, LinkRequest) and newest[(r.doc_id, r.kind)] is not r
    ]
    return kept, dropped


def waves(requests: list[WriteRequest]) -> list[list[WriteRequest]]:
    """Split requests so that no wave touches a document twice, each document's order kept.

    A plan is made from one read; a second write to the same document in the same bulk
    would be planned against a state the first one has already changed.
    """
    out: list[list[WriteRequest]] = []
    seen: dict[str, int] = {}
    for request in requests:
        n = seen.get(request.doc_id, 0)
        seen[request.doc_id] = n + 1
        if n == len(out):
            out.append([])
        out[n].append(request)
    return out
