"""Write the JSON Schema of every message model into schemas/json/."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from schemas.article import ArticleSubmission, RawArticle
from schemas.control import ControlNotice
from schemas.dead_letter import DeadLetter
from schemas.engagement import EngagementEvent, EngagementSubmission
from schemas.enriched import AnalysedArticle, EnrichedArticle, LinkUpdate

JSON_DIR = Path(__file__).with_name("json")

EXPORTED: dict[str, type[BaseModel]] = {
    "article-submission": ArticleSubmission,
    "raw-article": RawArticle,
    "enriched-article": EnrichedArticle,
    "dead-letter": DeadLetter,
    "control-notice": ControlNotice,
    "link-update": LinkUpdate,
    "analysed-article": AnalysedArticle,
    "engagement-submission": EngagementSubmission,
    "engagement-event": EngagementEvent,
}


def rendered() -> dict[str, str]:
    """File name to file text, exactly as it is written (the drift test compares these)."""
    return {
        f"{name}.schema.json": json.dumps(model.model_json_schema(), indent=2, sort_keys=True) + "\n"
        for name, model in EXPORTED.items()
    }


def write() -> list[Path]:
    JSON_DIR.mkdir(exist_ok=True)
    paths = []
    for name, text in rendered().items():
        path = JSON_DIR / name
        path.write_text(text)
        paths.append(path)
    return paths
