"""What the stages after ingest can carry, declared once.

Ingest refuses or repairs what breaks these, so that a record answered 202 never stops a
stage; the stages check them again for records that reached a topic without ingest.
Each limit comes from a real constraint, named beside it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

# Elasticsearch maps `revision` as an `integer` (articles-v2.json): a Java int.
MAX_REVISION = 2**31 - 1

# Counts a browser reads exactly (JSON numbers are doubles in JavaScript). A hundred of them
# still sum below a Java long, which `reaction_total` is in Elasticsearch.
MAX_COUNT = 2**53 - 1
MAX_REACTION_KINDS = 100

# java.time.ZoneOffset, which Elasticsearch parses dates with, stops at +-18:00; Python
# takes up to +-23:59. Times beyond it are stored in UTC instead.
MAX_UTC_OFFSET = timedelta(hours=18)

# How far ahead of its arrival an article's time is believed: clock skew and an embargo
# lifted within the day keep their time; anything later is a placeholder or a broken
# clock (9999-12-31), replaced by the time received, with a warning.
FUTURE_TOLERANCE = timedelta(hours=24)

# Nesting of a JSON body: an article is five levels deep; a thousand overflow the parser.
MAX_JSON_DEPTH = 32

# Enrichment at most doubles a record (the body's lede, entities and links it adds are
# bounded by what the article already holds), so ingest keeps a raw record within half of
# the smallest topic an article travels on (services/common/topics.py).
ENRICHMENT_GROWTH = 2


def storable(moment: datetime) -> datetime:
    """`moment` if every stage can store it; its UTC form when only its offset is too wide.

    Python's datetime holds the years 1 to 9999, Elasticsearch's `date` far more, and the
    stages compute in UTC: a time whose UTC form leaves those years (9999-12-31T23:00-05:00)
    raises ValueError, a validation error in a model.
    """
    offset = moment.utcoffset() or timedelta(0)
    try:
        instant = moment.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{moment.isoformat()} is outside the years 1 to 9999 in UTC") from None
    return instant if abs(offset) > MAX_UTC_OFFSET else moment
