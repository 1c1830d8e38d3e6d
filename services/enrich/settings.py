"""Enrich's settings: `WIRESTREAM_ENRICH_*`, plus the platform-wide `WIRESTREAM_*` ones."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.common.settings import CommonSettings


class EnrichSettings(CommonSettings):
    model_config = SettingsConfigDict(env_prefix="WIRESTREAM_ENRICH_", populate_by_name=True, extra="ignore")

    app_id: str = Field("wirestream-enrich", description="Faust app id: the consumer group and table prefix.")
    host: str = "127.0.0.1"
    port: int = 8081
    data_dir: str = Field(".state/enrich", description="Faust's local data folder.")
    words_per_minute: int = Field(230, ge=1, description="Reading speed behind reading_time_minutes.")
