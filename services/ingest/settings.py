"""Ingest's settings: `WIRESTREAM_INGEST_*`, plus the platform-wide `WIRESTREAM_*` ones."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from services.common.settings import CommonSettings


class IngestSettings(CommonSettings):
    model_config = SettingsConfigDict(env_prefix="WIRESTREAM_INGEST_", populate_by_name=True, extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8080
    # "id:secret" pairs, comma-separated. The id names the key in logs and metrics.
    api_keys: Annotated[dict[str, SecretStr], NoDecode] = Field(default_factory=dict)
    # Only for local runs: accept requests without a key.
    auth_disabled: bool = False
    # The operator pages (services/ingest/access.py): false puts them behind the API key.
    public_docs: bool = Field(True, description="/docs, /redoc and /openapi.json answer without a key.")
    public_metrics: bool = Field(True, description="/metrics answers without a key.")
    rate_limit_per_s: float = Field(500.0, gt=0, description="Sustained articles per second per key.")
    rate_limit_burst: int = Field(2000, ge=1, description="Articles a key may send at once.")
    max_article_bytes: int = Field(2 * 1024 * 1024, ge=1024)
    max_page_bytes: int = Field(8 * 1024 * 1024, ge=1024, description="A raw page or wire document.")
    max_bulk_bytes: int = Field(32 * 1024 * 1024, ge=1024)
    max_bulk_lines: int = Field(5000, ge=1)
    # How long a request waits for Kafka's acknowledgement before answering 503.
    publish_timeout_s: float = Field(10.0, gt=0)
    retry_after_s: int = Field(5, ge=1)
    source_timezone: str = Field("UTC", description="Zone of pages whose dates carry none.")

    @field_validator("api_keys", mode="before")
    @classmethod
    def _parse_keys(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        keys: dict[str, str] = {}
        for pair in filter(None, (p.strip() for p in value.split(","))):
            key_id, sep, secret = pair.partition(":")
            if not sep or not key_id or not secret:
                raise ValueError("api_keys is 'id:secret' pairs separated by commas")
            keys[key_id] = secret
        return keys
