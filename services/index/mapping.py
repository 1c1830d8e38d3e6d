"""The versioned index mapping (schemas/elasticsearch/) and the names derived from it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAPPINGS_DIR = Path(__file__).resolve().parents[2] / "schemas" / "elasticsearch"


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

    @property
    def read_alias(self) -> str:
        return self.prefix

    @property
    def write_alias(self) -> str:
        return f"{self.prefix}-write"
