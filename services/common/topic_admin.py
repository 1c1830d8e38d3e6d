"""Creating and deleting the catalogue's topics on a broker: the Kafka edge of services/common/topics.py."""

from __future__ import annotations

import contextlib
import logging
import time

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from services.common.topics import ALL_TOPICS, TopicSpec

log = logging.getLogger(__name__)


def ensure_topics(
    bootstrap: str,
    partitions: int,
    replication: int,
    topics: tuple[TopicSpec, ...] = ALL_TOPICS,
) -> None:
    """Create the topics that do not exist yet; existing ones are left as they are."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="wirestream-topics")
    try:
        existing = set(admin.list_topics())
        missing = [
            NewTopic(
                t.name,
                num_partitions=t.partitions or partitions,
                replication_factor=replication,
                topic_configs=t.config,
            )
            for t in topics
            if t.name not in existing
        ]
        if missing:
            # Another service may create one between our look and our create.
            with contextlib.suppress(TopicAlreadyExistsError):
                admin.create_topics(missing)
            log.info("created topics", extra={"topics": [t.name for t in missing]})
    finally:
        admin.close()


def delete_topics(bootstrap: str, names: list[str], timeout_s: float = 60.0) -> None:
    """Delete topics and wait until the broker no longer lists them (tests and benchmarks only)."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="wirestream-topics")
    try:
        present = [n for n in names if n in set(admin.list_topics())]
        if present:
            admin.delete_topics(present)
        deadline = time.monotonic() + timeout_s
        while set(present) & set(admin.list_topics()):
            if time.monotonic() > deadline:
                raise TimeoutError(f"topics still listed after {timeout_s:.0f}s: {present}")
            time.sleep(0.2)
    finally:
        admin.close()


def recreate_topics(bootstrap: str, specs: tuple[TopicSpec, ...], partitions: int, replication: int) -> None:
    """Empty topics by deleting and creating them again; creation retries while a deletion settles."""
    delete_topics(bootstrap, [s.name for s in specs])
    deadline = time.monotonic() + 60.0
    while True:
        try:
            ensure_topics(bootstrap, partitions, replication, specs)
            return
        except KafkaError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)
