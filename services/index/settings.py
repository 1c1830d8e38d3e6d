"""Index's settings: `WIRESTREAM_INDEX_*`, plus the platform-wide `WIRESTREAM_*` ones."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.common.settings import CommonSettings
from services.index.mapping import CURRENT_VERSION


class IndexSettings(CommonSettings):
    model_config = SettingsConfigDict(env_prefix="WIRESTREAM_INDEX_", populate_by_name=True, extra="ignore")

    es_url: str = Field("http://127.0.0.1:9200", validation_alias="WIRESTREAM_ES_URL")
    host: str = "127.0.0.1"
    port: int = 8082
    group_id: str = "wirestream-index"
    index_prefix: str = Field(
        "articles", description="Concrete indices are <prefix>-v<N>; aliases <prefix> and <prefix>-write."
    )
    mapping_version: int = Field(
        CURRENT_VERSION,
        ge=CURRENT_VERSION,
        description="Which schemas/elasticsearch/articles-v<N>.json to use (v1 predates links per kind).",
    )
    batch_max_docs: int = Field(500, ge=1)
    batch_max_bytes: int = Field(8 * 1024 * 1024, ge=1024)
    batch_max_wait_ms: int = Field(
        50, ge=0, description="How long a partial batch may wait for more documents, none in flight."
    )
    bulk_concurrency: int = Field(
        2,
        ge=1,
        le=16,
        description="Bulk requests a large batch is split into, sent side by side (one per ES write thread).",
    )
    fetch_max_partition_bytes: int = Field(
        4 * 1024 * 1024,
        ge=64 * 1024,
        description="Kafka: the most one fetch answers per partition (kafka-python's default is 1 MiB).",
    )
    retry_initial_s: float = Field(0.2, gt=0)
    retry_max_s: float = Field(30.0, gt=0)
