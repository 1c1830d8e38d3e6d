"""The versioned index mapping (schemas/elasticsearch/) and the names derived from it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.index.documents import PLACEHOLDER

MAPPINGS_DIR = Path(__file__).resolve().parents[2] / "schemas" / "elasticsearch"

# The mapping version the documents of services/index/documents.py fit (v2: links per kind).
# Mapping versions are not interchangeable: v1 has one nested `links` list, which refuses them.
CURRENT_VERSION = 2

# `must_not` rather than `withdrawn: false`, so that a document lacking the field
# (written by hand, or by an older writer) stays visible instead of vanishing. A placeholder
# holds the links of an article that has not arrived yet: nothing to show either.
VISIBLE_ONLY: dict[str, Any] = {
    "bool": {"must_not": [{"term": {"withdrawn": True}}, {"term": {"status": PLACEHOLDER}}]}
}


def load_index_body(version: int) -> dict[str, Any]:
    body = json.loads((MAPPINGS_DIR / f"articles-v{version}.json").read_text())
    body.pop("_comment", None)
    return dict(body)


@dataclass(frozen=True)
class IndexNames:
    prefix: str
    version: int

    @property
    def concrete(self) -> str:
        return f"{self.prefix}-v{self.version}"

    def generation(self, stamp: str) -> str:
        """A later concrete index of the same mapping version, built by a reindex."""
        return f"{self.concrete}-{stamp}"

    def holds_version(self, index: str) -> bool:
        """Whether a concrete index was built from this mapping version (first or a later generation)."""
        return index == self.concrete or index.startswith(f"{self.concrete}-")

    @property
    def read_alias(self) -> str:
        return self.prefix

    @property
    def write_alias(self) -> str:
        return f"{self.prefix}-write"

    def aliases(self) -> dict[str, dict[str, Any]]:
        """The aliases body for the concrete index: the one place both aliases are defined.

        The read alias carries the withdrawn filter so that every search through it hides
        withdrawn articles: a UI cannot forget a filter it never has to write. The write
        alias has no filter (the indexer must reach withdrawn documents to update them)
        and is the write index, so a later version can take the writes over by moving it.
        """
        return {
            self.read_alias: {"filter": VISIBLE_ONLY},
            self.write_alias: {"is_write_index": True},
        }
