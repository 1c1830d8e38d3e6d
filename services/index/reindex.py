"""`python -m services.index reindex`: rebuild the index from Kafka and swap the aliases atomically.

The topics are the source of truth (`articles.enriched` is compacted, so it holds the
latest revision of every article; `articles.control` holds the withdrawals and
`articles.links`, compacted too, the latest link update of every article). A reindex
creates a new concrete index, replays the three topics into it up to the offsets they had
when it began, moves both aliases to it in one `_aliases` call (searches never see a
moment without an index), then replays what arrived in the meantime. The running
indexer keeps writing through the write alias throughout; the external versions make
every double write harmless. The topics are replayed side by side, so an article's
link update may come before the article: the writer's plans (services/index/writes.py)
make the result the same in any order.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from elasticsearch import Elasticsearch
from kafka import KafkaConsumer, TopicPartition

from services.common.topics import CONTROL, ENRICHED, LINKS
from services.index.bulk_writer import BulkWriter
from services.index.mapping import IndexNames, load_index_body
from services.index.requests import request_for
from services.index.settings import IndexSettings
from services.index.writes import WriteRequest

log = logging.getLogger(__name__)
TOPICS = (ENRICHED.name, CONTROL.name, LINKS.name)


def _partitions(consumer: KafkaConsumer) -> list[TopicPartition]:
    return [TopicPartition(t, p) for t in TOPICS for p in sorted(consumer.partitions_for_topic(t) or [])]


def _replay(
    consumer: KafkaConsumer,
    writer: BulkWriter,
    start: dict[TopicPartition, int] | None,
    end: dict[TopicPartition, int],
    batch: int,
) -> int:
    """Write every record from `start` (the beginning when None) up to `end`; return how many."""
    partitions = list(end)
    consumer.assign(partitions)
    if start is None:
        consumer.seek_to_beginning(*partitions)
    else:
        for tp in partitions:
            consumer.seek(tp, start[tp])
    done = 0
    while any(consumer.position(tp) < end[tp] for tp in partitions):
        records = [
            r
            for part in consumer.poll(timeout_ms=500, max_records=batch).values()
            for r in part
            if r.offset < end[TopicPartition(r.topic, r.partition)]
        ]
        requests: list[WriteRequest] = []
        for record in records:
            try:
                request = request_for(record.topic, record.value, record)
            except Exception:  # the live indexer dead-letters these; a replay just skips them
                continue
            if request is not None:
                requests.append(request)
        if requests:
            report = writer.write(requests)
            done += report.written + report.superseded
            for request, error_type, reason in report.rejected:
                # The live indexer dead-letters the same records; a replay goes on without them.
                log.warning(
                    "reindex: Elasticsearch rejected a document; skipped",
                    extra={"id": request.doc_id, "error": error_type, "reason": reason[:500]},
                )
    return done


def reindex(settings: IndexSettings, stamp: str | None = None) -> str:
    es = Elasticsearch(settings.es_url, request_timeout=60)
    names = IndexNames(settings.index_prefix, settings.mapping_version)
    target = names.generation(stamp or datetime.now(UTC).strftime("%Y%m%d%H%M%S"))
    body = load_index_body(names.version)
    es.indices.create(index=target, settings=body["settings"], mappings=body["mappings"])
    writer = BulkWriter(es, names, target=target)
    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False, group_id=None
    )
    try:
        partitions = _partitions(consumer)
        first_end = consumer.end_offsets(partitions)
        copied = _replay(consumer, writer, None, first_end, settings.batch_max_docs)
        es.indices.refresh(index=target)
        _swap_aliases(es, names, target)
        caught_up = _replay(
            consumer, writer, first_end, consumer.end_offsets(partitions), settings.batch_max_docs
        )
        log.info("reindexed", extra={"index": target, "copied": copied, "caught_up": caught_up})
    finally:
        consumer.close()
        writer.close()
        es.close()
    return target


def _swap_aliases(es: Elasticsearch, names: IndexNames, target: str) -> None:
    """Both aliases move to the new index in one atomic `_aliases` request."""
    actions: list[dict[str, Any]] = [
        {"remove": {"index": "*", "alias": names.read_alias, "must_exist": False}},
        {"remove": {"index": "*", "alias": names.write_alias, "must_exist": False}},
    ]
    actions += [{"add": {"index": target, "alias": alias, **spec}} for alias, spec in names.aliases().items()]
    es.indices.update_aliases(actions=actions)
