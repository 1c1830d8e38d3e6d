"""Stable article ids, so the same story pushed twice is one document everywhere.

Preference order: the feed's own item id (scoped by source, since two feeds may
both have an item "123"), else the canonical URL, else source + headline +
publication date. Each is hashed to a fixed-length id that is safe as a Kafka
key and an Elasticsearch `_id`; the prefix says which rule made it.
"""

from __future__ import annotations

import hashlib
import unicodedata
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

TRACKING_PARAMS = ("utm_", "fbclid", "gclid", "mc_cid", "mc_eid", "ocid", "cmpid")


def canonical_url(url: str) -> str:
    """Normalise the parts of a URL that do not change what it points to."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if parts.port and not (
        (parts.scheme == "http" and parts.port == 80) or (parts.scheme == "https" and parts.port == 443)
    ):
        host = f"{host}:{parts.port}"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith(TRACKING_PARAMS)
    ]
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((parts.scheme.lower(), host, path, urlencode(sorted(query)), ""))


def _fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def article_id(
    *,
    source: str,
    headline: str,
    published_at: datetime,
    feed_item_id: str | None = None,
    url: str | None = None,
) -> str:
    if feed_item_id:
        return "feed-" + _digest(_fold(source), feed_item_id.strip())
    if url:
        return "url-" + _digest(canonical_url(url))
    day = published_at.astimezone(UTC).date().isoformat()
    return "text-" + _digest(_fold(source), _fold(headline), day)
