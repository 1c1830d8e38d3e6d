"""`python -m services.ingest.openapi`: export the API's OpenAPI document to docs/openapi/ingest.json."""

from __future__ import annotations

import json
from pathlib import Path

from services.ingest.api import create_app
from services.ingest.settings import IngestSettings

EXPORT_PATH = Path(__file__).resolve().parents[2] / "docs" / "openapi" / "ingest.json"


def rendered() -> str:
    return json.dumps(create_app(IngestSettings()).openapi(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    EXPORT_PATH.parent.mkdir(parents=True, exist_ok=True)
    EXPORT_PATH.write_text(rendered())
    print(EXPORT_PATH)
