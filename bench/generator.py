"""A stream of submissions shaped like a wire day: new stories, near-copies and revisions.

bench.articles makes one distinct article per index. A real feed also carries the
same story from a second agency with a few words changed (enrich must mark it a
near-copy, yet it is its own article with its own id) and corrections of stories
already sent (the same id again with a higher revision, which must replace the
earlier one in the index). The end-to-end benchmark needs both, because they are
the cases where a pipeline loses or duplicates documents.

Every item is built from its position with seeded generators, so a stream is the
same in every run; `Stream.latest_revision` says what the index must hold at the end.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bench.articles import SOURCES, submission
from schemas.article import ArticleSubmission
from schemas.article_id import article_id

# Shares of the stream after its first tenth (a near-copy or revision needs an earlier story).
NEAR_COPY_SHARE = 0.08
REVISION_SHARE = 0.07


@dataclass
class Stream:
    """The submissions in sending order, and the revision each article id must end with."""

    lines: list[bytes] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    latest_revision: dict[str, int] = field(default_factory=dict)
    near_copies: int = 0
    revisions: int = 0

    @property
    def distinct(self) -> int:
        return len(self.latest_revision)

    def revision_sum(self) -> int:
        """What a sum aggregation over `revision` gives once every latest revision is indexed."""
        return sum(self.latest_revision.values())


def _id_of(article: dict[str, Any]) -> str:
    parsed = ArticleSubmission.model_validate(article)
    assert parsed.published_at is not None, "generated articles carry their time"
    return article_id(
        source=parsed.source.name,
        headline=parsed.headline,
        published_at=parsed.published_at,
        feed_item_id=parsed.feed_item_id,
        url=str(parsed.canonical_url) if parsed.canonical_url else None,
    )


def near_copy(original: dict[str, Any], index: int, rng: random.Random) -> dict[str, Any]:
    """Another agency's take on the story: new source and item id, a reworded lede, one sentence cut."""
    copy = json.loads(json.dumps(original))
    name, domain = rng.choice([s for s in SOURCES if s[0] != original["source"]["name"]])
    copy["source"] = {"name": name, "url": f"https://{domain}/"}
    copy["feed_item_id"] = f"copy-{index:08d}"
    copy["canonical_url"] = f"https://{domain}/wire/{index}"
    copy["dateline"] = copy["dateline"].split("(")[0] + f"({name})"
    body = copy["body"]
    body[0] = f"{name} reported that " + body[0][0].lower() + body[0][1:]
    if len(body) > 3:
        del body[rng.randrange(1, len(body) - 1)]
    return copy


def revision(original: dict[str, Any], number: int, rng: random.Random) -> dict[str, Any]:
    """A correction: same source and item id (so the same article id), a later update, changed text."""
    fixed = json.loads(json.dumps(original))
    fixed["revision"] = number
    published = datetime.fromisoformat(fixed["published_at"])
    fixed["updated_at"] = (published + timedelta(minutes=30 * number + rng.randint(1, 29))).isoformat()
    fixed["headline"] = fixed["headline"] + (" (updated)" if number == 2 else f" (update {number - 1})")
    fixed["body"] = [*fixed["body"], f"This article was corrected (revision {number}) after publication."]
    return fixed


def stream(n: int, *, seed: int = 7, first: int = 0) -> Stream:
    """N submissions: mostly new stories, with near-copies and revisions of earlier ones mixed in.

    `first` offsets the story numbers, so two streams of one run (throughput, then
    latency) never share an article id.
    """
    rng = random.Random(seed * 7919 + first)
    out = Stream()
    sent: list[dict[str, Any]] = []
    revisions_of: dict[int, int] = {}
    for position in range(n):
        roll = rng.random()
        if sent and position >= n // 10 and roll < NEAR_COPY_SHARE:
            article = near_copy(rng.choice(sent), first + position, rng)
            out.near_copies += 1
        elif sent and position >= n // 10 and roll < NEAR_COPY_SHARE + REVISION_SHARE:
            which = rng.randrange(len(sent))
            number = revisions_of.get(which, 1) + 1
            revisions_of[which] = number
            article = revision(sent[which], number, rng)
            out.revisions += 1
        else:
            article = submission(first + position, seed=seed)
            sent.append(article)
        article_key = _id_of(article)
        out.lines.append(json.dumps(article, ensure_ascii=False, separators=(",", ":")).encode())
        out.ids.append(article_key)
        out.latest_revision[article_key] = max(
            out.latest_revision.get(article_key, 0), int(article.get("revision", 1))
        )
    return out
