"""Every Kafka topic of the platform, declared once with its configuration: a catalogue, no client.

The services create what is missing at start-up (services/common/topic_admin.py; the
broker does not create topics on its own), so a topic's partitions, retention and record
size are decided here and nowhere else. Importing a topic's name imports no Kafka client.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from schemas.limits import ENRICHMENT_GROWTH
from services.common.errors import RecordTooLarge

KAFKA_DEFAULT_MAX_BYTES = 1048588  # the broker's message.max.bytes
RECORD_OVERHEAD = 4096  # a record batch's header and the record's headers, generously

WEEK_MS = str(7 * 24 * 3600 * 1000)
# An article's topics take 8 MiB records: a 2 MiB body is carried three times (as text, as
# HTML and in the original bytes), and enrichment adds to that (schemas/limits.py).
ARTICLE_BYTES = str(8 * 2**20)


@dataclass(frozen=True)
class TopicSpec:
    name: str
    purpose: str
    config: dict[str, str] = field(default_factory=dict)
    partitions: int | None = None  # None: the platform's partition count (WIRESTREAM_TOPIC_PARTITIONS)

    @property
    def max_bytes(self) -> int:
        """The largest record the topic takes (Kafka's default when the spec sets none)."""
        return int(self.config.get("max.message.bytes", KAFKA_DEFAULT_MAX_BYTES))

    def fits(self, key: bytes | None, value: bytes) -> bool:
        """Whether a record is small enough for this topic, with room for its batch's framing."""
        return len(value) + len(key or b"") + RECORD_OVERHEAD <= self.max_bytes

    def check_fits(self, key: bytes | None, value: bytes) -> None:
        """Raise RecordTooLarge for a record the broker would refuse: checked before sending,
        so that it fails as that one record's error and not as the producer's batch's."""
        if not self.fits(key, value):
            raise RecordTooLarge(
                f"the record is {len(value)} bytes; {self.name} takes at most {self.max_bytes}"
            )


RAW = TopicSpec(
    "articles.raw",
    "Canonical raw articles from ingest, keyed by article id so revisions stay ordered.",
    {"cleanup.policy": "delete", "retention.ms": WEEK_MS, "max.message.bytes": ARTICLE_BYTES},
)
ENRICHED = TopicSpec(
    "articles.enriched",
    "Enriched articles keyed by id; compacted, so a replay holds the latest revision of each.",
    {"cleanup.policy": "compact", "max.message.bytes": ARTICLE_BYTES},
)
DLQ = TopicSpec(
    "articles.dlq",
    "Dead letters from every stage: the original bytes and the reason they failed.",
    {
        "cleanup.policy": "delete",
        "retention.ms": str(4 * 7 * 24 * 3600 * 1000),
        # A dead letter carries the record it was, in base64 (4/3 of it), and its reason.
        "max.message.bytes": str(int(ARTICLE_BYTES) * 4 // 3 + 2**20),
    },
)
CONTROL = TopicSpec(
    "articles.control",
    "Withdrawals and corrections of article ids.",
    {"cleanup.policy": "delete", "retention.ms": WEEK_MS},
)

LINKS = TopicSpec(
    "articles.links",
    "Sidebar link updates for articles already published, keyed by article id.",
    {"cleanup.policy": "compact"},
)

# The two single-partition topics feed enrich's linking stage, which needs every recent
# article in one place: one partition keeps it on one worker (the others take over on
# failure) and gives every worker the same order, so one worker or two link alike.
ANALYSED = TopicSpec(
    "articles.analysed",
    "Enrich's hand-over from per-article analysis to linking.",
    {"cleanup.policy": "delete", "retention.ms": WEEK_MS, "max.message.bytes": ARTICLE_BYTES},
    partitions=1,
)
ENGAGEMENT = TopicSpec(
    "articles.engagement",
    "Views and reactions of readers, for the Ranking links.",
    {"cleanup.policy": "delete", "retention.ms": WEEK_MS},
    partitions=1,
)

ALL_TOPICS: tuple[TopicSpec, ...] = (RAW, ENRICHED, DLQ, CONTROL, LINKS, ANALYSED, ENGAGEMENT)

# The largest record any producer of the platform sends: producers are sized from it.
MAX_RECORD_BYTES = max(t.max_bytes for t in ALL_TOPICS)
# The largest raw record ingest publishes: after enrichment it still fits every topic the
# article travels on.
RAW_RECORD_BUDGET = min(t.max_bytes for t in (RAW, ANALYSED, ENRICHED)) // ENRICHMENT_GROWTH - RECORD_OVERHEAD
