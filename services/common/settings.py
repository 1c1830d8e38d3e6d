"""The settings every service shares; each service extends this with its own model.

Shared values (where Kafka and Elasticsearch are) have one environment name for
the whole platform, `WIRESTREAM_KAFKA_BOOTSTRAP` and so on; a service's own
values carry its prefix, e.g. `WIRESTREAM_INGEST_PORT`.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class CommonSettings(BaseSettings):
    model_config = SettingsConfigDict(populate_by_name=True, extra="ignore")

    kafka_bootstrap: str = Field("127.0.0.1:9092", validation_alias="WIRESTREAM_KAFKA_BOOTSTRAP")
    topic_partitions: int = Field(3, ge=1, validation_alias="WIRESTREAM_TOPIC_PARTITIONS")
    topic_replication: int = Field(1, ge=1, validation_alias="WIRESTREAM_TOPIC_REPLICATION")
    log_level: str = Field("INFO", validation_alias="WIRESTREAM_LOG_LEVEL")
    stall_after_s: float = Field(
        120,
        gt=0,
        validation_alias="WIRESTREAM_STALL_AFTER_S",
        description="A consumer with records taken and no commit for this long is not ready.",
    )
    shutdown_timeout_s: float = Field(
        30,
        gt=0,
        validation_alias="WIRESTREAM_SHUTDOWN_TIMEOUT_S",
        description="After SIGTERM/SIGINT the process exits within this long, stopped gracefully or not.",
    )
