"""The platform's contract: pydantic models for every message, and the JSON Schemas made from them.

`python -m schemas` writes `schemas/json/*.schema.json`; a test fails when those
files drift from the models, so the models are the one source of truth.
"""

from schemas.article import (
    ArticleSubmission,
    Contributor,
    IngestMeta,
    OriginalPayload,
    RawArticle,
    SidebarItem,
    SidebarSection,
    Source,
)
from schemas.control import ControlNotice
from schemas.dead_letter import DeadLetter
from schemas.enriched import ArticleFacts, Dateline, EnrichedArticle, Entity, LinkUpdate, SidebarLink

SCHEMA_VERSION = 1

__all__ = [
    "SCHEMA_VERSION",
    "ArticleFacts",
    "ArticleSubmission",
    "Contributor",
    "ControlNotice",
    "Dateline",
    "DeadLetter",
    "EnrichedArticle",
    "Entity",
    "IngestMeta",
    "LinkUpdate",
    "OriginalPayload",
    "RawArticle",
    "SidebarItem",
    "SidebarLink",
    "SidebarSection",
    "Source",
]
